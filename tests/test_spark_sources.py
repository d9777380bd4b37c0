"""Source shapes Spark cannot read itself, landed on Spark (local mode) by the connectors of
`finops ingest` on the driver: a GCP export in JSONL and a FOCUS CSV reconcile with `finops ingest`
to the cent, and a bad CSV is one line naming the file with nothing written to the target."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

import finops
from finops.demo.generate_gcp import write_gcp_export
from finops.engines import spark as engine
from finops.errors import FinopsError
from finops.resources import resource_dir
from tests.test_spark import cents

FOCUS_SAMPLE = resource_dir("fixtures") / "focus" / "focus-1.0-sample-1000.csv"
COST_TOTALS = "select count(*), sum(EffectiveCost), sum(BilledCost), sum(ListCost) from costs"
DAY_TOTALS = "select usage_day, count(*), sum(cost), sum(cost_at_list) from raw_gcp_billing group by 1 order by 1"
PERIODS = ("select shape, billing_account_id, billing_period_start, row_count, source_total, currency from loads "
           "order by billing_account_id, billing_period_start")


@pytest.fixture(scope="module")
def jsonl_export(tmp_path_factory) -> Path:
    """Two files of one month of the GCP export as newline-delimited JSON, one gzipped."""
    folder = tmp_path_factory.mktemp("gcp-jsonl") / "export"
    write_gcp_export(folder / "000000000000.jsonl", "2026-10", rows=6000, seed=5, days=["2026-10-10", "2026-10-11"])
    write_gcp_export(folder / "000000000001.jsonl.gz", "2026-10", rows=6000, seed=6, days=["2026-10-12"])
    return folder


def on_spark(spark, sql: str) -> list[tuple]:
    return cents(tuple(r) for r in spark.sql(sql).collect())


def on_duckdb(kind: str, source: Path, db: Path, *queries: str) -> list[list[tuple]]:
    with finops.connect(db) as con:
        finops.ingest(con, kind, source)
        return [cents(con.execute(sql).fetchall()) for sql in queries]


def test_a_gcp_jsonl_export_lands_on_spark_as_finops_ingest_lands_it(spark, jsonl_export, tmp_path):
    days, costs, periods = on_duckdb("gcp", jsonl_export, tmp_path / "w.duckdb", DAY_TOTALS, COST_TOTALS, PERIODS)
    engine.build(spark, "jsonl", source=str(jsonl_export), targets=["costs"])
    assert [d for d, *_ in days] == [d for d, *_ in on_spark(spark, DAY_TOTALS)]
    assert on_spark(spark, DAY_TOTALS) == days and len(days) == 3
    assert on_spark(spark, COST_TOTALS) == costs and costs[0][0] > 300
    assert on_spark(spark, PERIODS) == periods  # one loads row per usage day, as `finops ingest gcp` logs


def test_a_focus_csv_lands_on_spark_as_finops_ingest_lands_it(spark, tmp_path):
    costs, periods = on_duckdb("focus", FOCUS_SAMPLE, tmp_path / "w.duckdb", COST_TOTALS, PERIODS)
    engine.build(spark, "focus_csv", source=str(FOCUS_SAMPLE), targets=["costs"])
    assert on_spark(spark, COST_TOTALS) == costs
    assert costs[0][:3] == (1000, Decimal("14.98"), Decimal("20.52"))  # the sample's 1,000 charges
    assert on_spark(spark, PERIODS) == periods and {shape for shape, *_ in periods} == {"focus"}
    assert sorted(row_count for _, _, _, row_count, _, _ in periods) == [1, 6, 51, 942]

def test_a_bad_csv_is_one_line_naming_the_file_and_writes_nothing_to_the_target(spark, run, tmp_path):
    rows = list(csv.reader(FOCUS_SAMPLE.open(newline="")))
    rows[5][rows[0].index("BilledCost")] = "twelve"
    bad = tmp_path / "bills" / "bad.csv"
    bad.parent.mkdir()
    with bad.open("w", newline="") as out:
        csv.writer(out).writerows(rows)
    shutil.copy(FOCUS_SAMPLE, tmp_path / "bills" / "good.csv")  # a good file beside it lands nothing either
    with pytest.raises(FinopsError, match=r"bad\.csv: column BilledCost has a value that is not a number: 'twelve'"):
        engine.land(spark, str(bad.parent), "bad_csv")
    assert not Path(engine.table_path(spark, "bad_csv", "raw_focus").removeprefix("file:")).exists()
    assert not Path(engine.table_path(spark, "bad_csv", "loads").removeprefix("file:")).exists()
    code, _, err = run("build", "--engine", "spark", "--source", str(bad), "--target-schema", "bad_csv_cli")
    assert code == 1 and err.strip().splitlines() == [err.strip()]
    assert f"{bad}: column BilledCost has a value that is not a number: 'twelve'" in err
    assert not Path(engine.table_path(spark, "bad_csv_cli", "raw_focus").removeprefix("file:")).exists()
