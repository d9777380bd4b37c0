"""`finops export focus --focus-version 1.3|1.4`: the columns each version has, the 1.4 datasets, and
focus-data-toolkit's FOCUS 1.4 lint (../shared/tools/focus-lint-1.4) on every dataset of every
source shape."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal

import duckdb
import pytest

import finops
from finops.demo import generate, generate_gcp
from finops.report.focus_datasets import cost_and_usage_columns
from tests.conftest import FOCUS_SAMPLE, REAL_CUR, ROOT

LINT = ROOT.parent / "shared" / "tools" / "focus-lint-1.4"


def _legacy(con, tmp):
    generate.write_legacy_cur(tmp / "legacy", "2026-09", rows=1200, seed=21, final=True)  # invoiced
    finops.ingest_aws(con, tmp / "legacy")


def _cur2(con, tmp):
    generate.write_cur2(tmp / "cur2", "2026-10", rows=1200, seed=22)
    finops.ingest_aws(con, tmp / "cur2")


def _gcp(con, tmp):
    generate_gcp.write_gcp_export(tmp / "gcp" / "export.json", "2026-10", rows=1200, seed=23)
    finops.ingest_gcp(con, tmp / "gcp")


SHAPES = {
    "real-cur": lambda con, tmp: finops.ingest_aws(con, REAL_CUR),
    "legacy-cur": _legacy,
    "cur2": _cur2,
    "gcp": _gcp,
    "focus-file": lambda con, tmp: finops.ingest_focus(con, FOCUS_SAMPLE),
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """Each source shape in its own warehouse, exported once as the FOCUS 1.4 datasets."""
    done = {}
    for shape, load in SHAPES.items():
        tmp = tmp_path_factory.mktemp(shape)
        con = finops.connect(tmp / "finops.duckdb")
        load(con, tmp)
        written = finops.export_focus_datasets(con, tmp / "focus-1.4")
        done[shape] = (con, tmp / "focus-1.4", written)
    yield done
    for con, *_ in done.values():
        con.close()


def test_each_version_has_its_columns(exports, tmp_path):
    con = exports["real-cur"][0]
    back = duckdb.connect()
    for version in ("1.2", "1.3", "1.4"):
        out = tmp_path / f"focus-{version}.parquet"
        assert finops.export_focus(con, out, version=version) == 1281
        names = [n for (n, *_) in back.execute(f"describe select * from '{out}'").fetchall() if not n.startswith("x_")]
        assert names == list(cost_and_usage_columns(version))
    assert {"ProviderName", "PublisherName", "ServiceProviderName"} <= set(cost_and_usage_columns("1.3"))
    assert "ProviderName" not in cost_and_usage_columns("1.4") and "HostProviderName" in cost_and_usage_columns("1.4")


def test_datasets_written_where_the_source_has_them(exports):
    written = {shape: set(files) for shape, (_, _, files) in exports.items()}
    assert written["legacy-cur"] == {"cost-and-usage", "contract-commitment", "billing-period", "invoice-detail"}
    assert written["cur2"] == {"cost-and-usage", "contract-commitment"}  # not invoiced yet
    assert written["real-cur"] == {"cost-and-usage"}  # no commitments, no invoice ids


def test_cost_and_usage_reconciles_to_the_cent(exports):
    back = duckdb.connect()
    for shape, (con, out, written) in exports.items():
        got = back.execute(f"select count(*), sum(BilledCost), sum(EffectiveCost) from '{out / 'cost-and-usage.parquet'}'").fetchone()
        assert got == con.execute("select count(*), sum(BilledCost), sum(EffectiveCost) from costs").fetchone(), shape
        assert got[0] == written["cost-and-usage"]


def test_invoice_detail_adds_up_to_the_invoices(exports):
    con, out, _ = exports["legacy-cur"]
    back = duckdb.connect()
    detail = dict(back.execute(f"select InvoiceId, sum(BilledCost) from '{out / 'invoice-detail.parquet'}' group by 1").fetchall())
    assert detail == dict(con.execute("select InvoiceId, sum(BilledCost) from costs where InvoiceId is not null group by 1").fetchall())
    (status,) = back.execute(f"select distinct BillingPeriodStatus from '{out / 'billing-period.parquet'}'").fetchone()
    assert status == "Closed"  # every row of the month has its invoice id


def test_contract_commitment_holds_every_commitment(exports):
    con, out, _ = exports["legacy-cur"]
    back = duckdb.connect()
    rows = back.execute(
        f"select ContractCommitmentId, ContractCommitmentCost from '{out / 'contract-commitment.parquet'}' order by 1"
    ).fetchall()
    assert rows == con.execute(
        "select ContractCommitmentId, ContractCommitmentCost from contract_commitments order by 1"
    ).fetchall()
    assert sum(cost for _, cost in rows) > Decimal("0")


def test_one_dataset_to_a_file_and_csv(exports, tmp_path, run):
    con = exports["legacy-cur"][0]
    out = tmp_path / "commitments.csv"
    rows = finops.export_focus(con, out, version="1.4", dataset="contract-commitment")
    assert rows == con.execute("select count(*) from contract_commitments").fetchone()[0]
    first = out.read_text().splitlines()[1]
    assert "T00:00:00Z" in first  # 1.4's literal UTC form in CSV
    with pytest.raises(finops.FinopsError, match="only the cost-and-usage dataset"):
        finops.export_focus(con, tmp_path / "x.parquet", version="1.2", dataset="invoice-detail")


def lint(path, dataset) -> subprocess.CompletedProcess:
    if not LINT.exists():
        pytest.skip(f"FOCUS 1.4 lint not found ({LINT})")
    if shutil.which("python3") is None:
        pytest.skip("the FOCUS 1.4 lint needs python3")
    return subprocess.run([str(LINT), str(path), dataset], capture_output=True, text=True, timeout=900)


# What the 1.4 lint still finds, each in the source's own figures, which the export passes on as
# delivered rather than alter a provider's money: the FOCUS 1.0 sample has list and contracted
# costs that are not unit price times quantity and a credit whose BilledCost and EffectiveCost differ.
SOURCE_FIGURES = {
    "focus-file": {"effective_cost_differs_from_billed", "cost_not_unit_price_times_quantity"},
}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_dataset_passes_the_focus_1_4_lint(exports, shape):
    _, out, written = exports[shape]
    for dataset in written:
        result = lint(out / f"{dataset}.parquet", dataset)
        report = result.stdout + result.stderr
        found = set(re.findall(r"\[[A-Z_]+:([a-z_]+)\]", report))
        assert found <= SOURCE_FIGURES.get(shape, set()), f"{shape} {dataset}: {report[-3000:]}"
        assert result.returncode == 0 or found, report[-3000:]
