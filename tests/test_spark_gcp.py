"""A GCP Cloud Billing export in Parquet on Spark (local mode): landed with the select list of
`finops ingest gcp`, it builds costs, workload_costs and training_jobs with DuckDB's totals to the
cent, and a re-delivered usage day replaces that day as `finops ingest gcp` does."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import finops
from finops.demo.generate_gcp import write_gcp_export
from finops.engines import spark as engine
from finops.errors import FinopsError
from tests.test_spark import cents

ROWS = 2000  # as tests/test_spark.py
TARGETS = ["costs", "workload_costs", "training_jobs"]
REDELIVERED = "2026-10-10"

COST_TOTALS = "select count(*), sum(EffectiveCost), sum(BilledCost), sum(ListCost) from costs"
TEAM_TOTALS = "select team, sum(EffectiveCost), sum(BilledCost), sum(gpu_hours) from workload_costs group by 1 order by 1"
WORKLOAD_TOTALS = (
    "select workload_type, workload_name, sum(EffectiveCost), sum(BilledCost), sum(ListCost), sum(gpu_hours) "
    "from workload_costs group by 1, 2 order by 1, 2"
)
JOB_TOTALS = "select training_job, EffectiveCost, spot_cost, spot_savings, gpu_hours from training_jobs order by 1"
DAY_TOTALS = "select usage_day, count(*), sum(cost) from raw_gcp_billing group by 1 order by 1"
LANDED = (
    "select count(*), count(resource_name), count(price_effective_price), sum(cost), sum(cost_at_list), "
    "sum(usage_amount) from raw_gcp_billing"
)
ANSWERS = (COST_TOTALS, TEAM_TOTALS, WORKLOAD_TOTALS, JOB_TOTALS)


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Path:
    """A month of the export as BigQuery writes it to Parquet (nested RECORDs, REPEATED records),
    after the end of the month before from the standard export, which lacks resource and price
    (first, so a reader that takes one file's schema would drop those fields of the month)."""
    folder = tmp_path_factory.mktemp("gcp") / "export"
    write_gcp_export(folder / "000000000000.parquet", "2026-09", rows=ROWS, seed=7, detailed=False,
                     days=["2026-09-29", "2026-09-30"])
    write_gcp_export(folder / "000000000001.parquet", "2026-10", rows=ROWS, seed=5)
    return folder


@pytest.fixture(scope="module")
def duckdb_month(month, tmp_path_factory) -> Path:
    """``month`` ingested and built by DuckDB once for the module (tests that add to it copy the file)."""
    db = tmp_path_factory.mktemp("duckdb") / "month.duckdb"
    with finops.connect(db) as con:
        finops.ingest_gcp(con, month)
    return db


def on_spark(session, sql: str) -> list[tuple]:
    return cents(tuple(r) for r in session.sql(sql).collect())


def test_the_generated_parquet_nests_as_the_export_does(month):
    schema = pq.read_schema(month / "000000000001.parquet")
    assert schema.field("service").type.num_fields == 2 and schema.field("invoice").type.num_fields == 2
    assert str(schema.field("credits").type).startswith("list<element: struct<id: string")
    assert str(schema.field("project").type.field("labels").type).startswith("list<element: struct<key")


def test_spark_builds_a_gcp_export_with_duckdbs_totals(spark, month, duckdb_month, run, db):
    with finops.connect(duckdb_month, read_only=True) as con:
        expected = {sql: cents(con.execute(sql).fetchall()) for sql in ANSWERS}
        landed = cents(con.execute(LANDED).fetchall())
    assert len(expected[JOB_TOTALS]) >= 2 and len(expected[TEAM_TOTALS]) > 2  # the month has jobs and teams
    assert {row[0] for row in expected[WORKLOAD_TOTALS]} >= {"training", "inference"}

    code, _, err = run("build", "--engine", "spark", "--source", str(month), "--target-schema", "gcp",
                       *(arg for target in TARGETS for arg in ("--model", target)))
    assert code == 0, err
    # every field of both files landed (by name, the standard export's missing ones as NULL), once
    assert on_spark(spark, LANDED) == landed
    assert {sql: on_spark(spark, sql) for sql in ANSWERS} == expected
    # the same totals where `finops query` and the report read them: the marts linked into --db
    with finops.connect(db) as con:
        assert {sql: cents(con.execute(sql).fetchall()) for sql in ANSWERS} == expected


def test_a_redelivered_day_replaces_that_day_and_keeps_the_others(spark, month, duckdb_month, tmp_path):
    again = tmp_path / "redelivered"  # the day exported again, later, with other costs
    write_gcp_export(again / "000000000001.parquet", "2026-10", rows=ROWS, seed=6, days=[REDELIVERED],
                     export_time="2026-10-20 03:00:00")
    engine.build(spark, "restated", source=str(month), targets=["costs"])
    before = on_spark(spark, DAY_TOTALS)
    engine.build(spark, "restated", source=str(again), targets=["costs"])
    with finops.connect(shutil.copy(duckdb_month, tmp_path / "w.duckdb")) as con:  # month already ingested
        finops.ingest_gcp(con, again)
        expected = {sql: cents(con.execute(sql).fetchall()) for sql in (DAY_TOTALS, COST_TOTALS)}
    after = on_spark(spark, DAY_TOTALS)
    assert after == expected[DAY_TOTALS]
    assert on_spark(spark, COST_TOTALS) == expected[COST_TOTALS]
    changed = [old[0] for old, new in zip(before, after, strict=True) if old != new]
    assert [str(day.date()) for day in changed] == [REDELIVERED]


@pytest.mark.parametrize(("select", "message"), [
    ("select 1 as id, 'gpu' as name", r"^\S+: neither a CUR nor a GCP billing export \("),
    ("select 'A-B-C' as billing_account_id, 1.5 as cost",
     r"^\S+: missing required field\(s\) service, sku, usage_start_time, .*; not a complete Cloud Billing export$"),
])
def test_parquet_of_something_else_is_one_line_naming_the_path(spark, tmp_path, select, message):
    folder = tmp_path / "other"
    folder.mkdir()
    duckdb.connect().execute(f"copy ({select}) to '{folder / 'part-0.parquet'}' (format parquet)")
    with pytest.raises(FinopsError, match=message) as caught:
        engine.build(spark, "other", source=str(folder), targets=["costs"])
    assert str(caught.value).startswith(str(folder)) and "\n" not in str(caught.value)
