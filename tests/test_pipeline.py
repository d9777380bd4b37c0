"""One ingest pipeline for every registered source kind: the same promises, proved with real files.

For each kind: a delivery loaded twice lands once; a bad file in a batch leaves the warehouse
exactly as it was, even after good deliveries of the same batch landed; ``build=False`` builds
nothing; and what was loaded reads back as the lines ``finops ingest`` prints.
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import finops
from finops.connectors.pipeline import describe_results
from finops.demo.generate_gcp import write_gcp_export
from finops.errors import FinopsError, UsageError
from finops.models import builder as models
from tests.conftest import FIXTURES, FOCUS_SAMPLE, cur_rows, write_cur_csv, write_legacy_delivery

H100 = FIXTURES / "gpu-telemetry" / "nvidia-smi-h100-query.csv"


def write_good(kind: str, root: Path, n: int) -> Path:
    """The ``n``th good delivery of ``kind`` below ``root`` (each one new data); returns the location."""
    if kind == "aws":
        period = ("20261001-20261101", "20261101-20261201")[n]
        rows = cur_rows({}, {"lineItem/UnblendedCost": "2.50"}) if n == 0 else cur_rows(
            {"bill/BillingPeriodStartDate": "2026-11-01T00:00:00Z", "bill/BillingPeriodEndDate": "2026-12-01T00:00:00Z",
             "lineItem/UsageStartDate": "2026-11-02T00:00:00Z", "lineItem/UsageEndDate": "2026-11-02T01:00:00Z"})
        write_legacy_delivery(root, rows, assembly=f"assembly-{n}", period=period)
    elif kind == "focus":
        folder = root / f"{n}-good"
        if n == 0:
            folder.mkdir(parents=True)
            shutil.copy(FOCUS_SAMPLE, folder / "focus.csv")
        else:  # the same sample restated: another copy of its periods, every cost doubled
            write_cur_csv(folder / "focus.csv", _doubled_costs(FOCUS_SAMPLE))
    elif kind == "gcp":
        write_gcp_export(root / f"00000000000{n}.parquet", ("2026-09", "2026-10")[n], rows=300, seed=n + 1)
    else:
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(H100, root / f"{n}-i-gpu{n}.csv")
    return root


def _doubled_costs(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [{**r, "BilledCost": str(Decimal(r["BilledCost"]) * 2) if r["BilledCost"] else ""} for r in rows]


def write_bad(kind: str, root: Path) -> None:
    """A file of ``kind`` that must be refused, sorted after the good ones so they land first."""
    if kind == "aws":
        write_cur_csv(root / "zz-loose" / "bad.csv", cur_rows({"lineItem/UnblendedCost": "twelve"}))
    elif kind == "focus":
        (root / "zz-bad").mkdir()
        (root / "zz-bad" / "bad.csv").write_text("BilledCost,Other\n1,2\n", encoding="utf-8")
    elif kind == "gcp":  # readable and landed, then refused by the checks: XYZ is no currency
        write_gcp_export(root / "zz-bad.parquet", "2026-11", rows=100, seed=9, currency="XYZ")
    else:
        (root / "zz-bad.csv").write_text("hello\nthis is not a metrics log\n", encoding="utf-8")


def state(con: duckdb.DuckDBPyConnection) -> tuple:
    """Everything an ingest can change: the loads log and every landing table's rows and totals."""
    return (
        con.execute("select * exclude (loaded_at) from loads order by all").fetchall(),
        con.execute("select count(*), sum(line_item_unblended_cost) from raw_aws_cur").fetchall(),
        con.execute("select count(*), sum(BilledCost) from raw_focus").fetchall(),
        con.execute("select count(*), sum(cost) from raw_gcp_billing").fetchall(),
        con.execute("select count(*), sum(gpu_utilization), list(distinct source_file order by source_file) from gpu_metrics").fetchall(),
    )


KINDS = sorted(finops.SOURCE_KINDS)


def test_every_kind_is_registered_with_a_summary_and_location_forms():
    assert KINDS == ["aws", "focus", "gcp", "metrics"]
    for name, kind in finops.SOURCE_KINDS.items():
        assert kind.name == name and len(kind.summary) > 20 and "\n" not in kind.summary
        assert kind.locations and all(kind.accepts(form) for form in kind.locations if "://" in form)


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_delivery_twice_loads_once(con, tmp_path, kind):
    location = write_good(kind, tmp_path / kind, 0)
    first = finops.ingest(con, kind, location, build=False)
    after_first = state(con)
    assert first and not any(r.skipped for r in first) and sum(r.rows for r in first) > 0
    again = finops.ingest(con, kind, location, build=False)
    assert state(con) == after_first
    if kind == "metrics":  # a file loaded again replaces its own samples with the same ones
        assert [r.rows for r in again] == [r.rows for r in first]
    else:
        assert all(r.skipped and r.rows == 0 for r in again)


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_file_in_a_batch_leaves_the_warehouse_as_it_was(con, tmp_path, kind):
    location = write_good(kind, tmp_path / kind, 0)
    finops.ingest(con, kind, location, build=False)
    before = state(con)
    write_good(kind, location, 1)  # lands first, then the bad file fails the whole batch
    write_bad(kind, location)
    with pytest.raises(FinopsError, match="zz"):
        finops.ingest(con, kind, location, build=False)
    assert state(con) == before


@pytest.mark.parametrize("kind", KINDS)
def test_no_build_builds_nothing(con, tmp_path, kind):
    finops.ingest(con, kind, write_good(kind, tmp_path / kind, 0), build=False)
    assert models.last_built_at(con) is None and not models.exists(con, "costs", "view") and not models.exists(con, "costs")


def test_a_build_happens_once_and_only_when_something_landed(con, tmp_path):
    location = write_good("aws", tmp_path / "aws", 0)
    steps: list[str] = []
    finops.ingest(con, "aws", location, progress=steps.append)
    assert steps.count("building models") == 1
    assert con.execute("select sum(BilledCost) from costs").fetchone()[0] == Decimal("3.506")
    steps.clear()
    finops.ingest(con, "aws", location, progress=steps.append)
    assert steps == []


@pytest.mark.parametrize("kind", KINDS)
def test_results_read_as_the_lines_ingest_prints(con, tmp_path, kind):
    location = write_good(kind, tmp_path / kind, 0).resolve()
    lines = describe_results(finops.ingest(con, kind, location, build=False), kind)
    expected = {
        "aws": [f"loaded {location}/ml-cur/20261001-20261101/ml-cur-Manifest.json: AWS 111122223333 2026-10, 2 rows, 3.51 billed"],
        "metrics": [f"loaded {location / '0-i-gpu0.csv'}: nvidia-smi, 112 samples of 0-i-gpu0"],
    }
    if kind in expected:
        assert lines == expected[kind]
    elif kind == "gcp":
        assert len(lines) == 1 and lines[0].startswith(f"loaded {location}/000000000000.parquet: Google Cloud ")
        assert " day(s) 2026-09-" in lines[0] and lines[0].endswith(" billed")
    else:
        assert lines and all(line.startswith(f"loaded {location}/0-good/focus.csv: ") for line in lines)
    again = describe_results(finops.ingest(con, kind, location, build=False), kind)
    assert again == lines if kind == "metrics" else all(line.startswith("skipped ") for line in again)


def test_a_location_a_kind_cannot_read_and_an_unknown_kind_are_one_line_errors(con):
    with pytest.raises(FinopsError, match=r"^bq://p\.d\.t: aws reads a directory or file or s3://BUCKET/PREFIX$"):
        finops.ingest(con, "aws", "bq://p.d.t")
    with pytest.raises(UsageError, match="unknown source kind 'azure'"):
        finops.ingest(con, "azure", "./bills")
