"""Incremental landing on Spark (local[2]): a build lands only the billing periods whose delivery
changed since the last one (finops/engines/landing_log.py). A second build with nothing new lands
nothing and says so; a restated month replaces exactly that month, without reading the others,
and the marts equal a DuckDB build of the same files to the cent."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

import finops
from finops.demo.generate import write_cur2
from finops.engines import landing_log
from finops.engines import spark as engine
from finops.engines.compile import is_table, select_models
from finops.engines.spark_build_state import reads_the_clock
from tests.test_spark import COST_TOTALS, JOB_TOTALS, TARGETS, TEAM_TOTALS, cents, spark_answers

ROWS = 1000
SCHEMA = "nightly"
LOADS = "select billing_period_start, load_id, row_count, source_total from loads order by 1"
PERIOD_TOTALS = ("select cast(bill_billing_period_start_date as date), count(*), sum(line_item_unblended_cost) "
                 "from raw_aws_cur group by 1 order by 1")


@pytest.fixture(scope="module")
def bucket(tmp_path_factory) -> Path:
    """A CUR 2.0 export with two months, October and November 2026."""
    root = tmp_path_factory.mktemp("bucket")
    for period, seed in (("2026-10", 1), ("2026-11", 2)):
        write_cur2(root, period, rows=ROWS, seed=seed)
    return root


def rows(spark, sql: str) -> list[tuple]:
    return cents(tuple(r) for r in spark.sql(sql).collect())


def log(spark) -> list[tuple]:
    """The landing log as the next build reads it: its files now."""
    spark.read.parquet(engine.table_path(spark, SCHEMA, landing_log.LOG_TABLE)).createOrReplaceTempView("log")
    return rows(spark, "select delivery, file_count, landed_at from log order by 1")


def test_deliveries_are_the_period_folders_with_their_manifests():
    files = [landing_log.File("cur2/data/BILLING_PERIOD=2026-10/a.parquet", 10, 1),
             landing_log.File("cur2/metadata/BILLING_PERIOD=2026-10/cur2-Manifest.json", 5, 2),
             landing_log.File("cur2/data/BILLING_PERIOD=2026-11/a.parquet", 20, 3),
             landing_log.File("legacy/20261001-20261101/aid-1/legacy-1.csv.gz", 7, 4)]
    current = landing_log.deliveries(files)
    assert current == {
        "cur2/data/BILLING_PERIOD=2026-10": ("cur2/data/BILLING_PERIOD=2026-10/a.parquet 10 1",
                                             "cur2/metadata/BILLING_PERIOD=2026-10/cur2-Manifest.json 5 2"),
        "cur2/data/BILLING_PERIOD=2026-11": ("cur2/data/BILLING_PERIOD=2026-11/a.parquet 20 3",),
        "legacy/20261001-20261101": ("legacy/20261001-20261101/aid-1/legacy-1.csv.gz 7 4",),
    }
    # a new manifest (same data files) is a new delivery; the other periods are unchanged
    logged = {**current, "cur2/data/BILLING_PERIOD=2026-10": current["cur2/data/BILLING_PERIOD=2026-10"][:1]}
    assert landing_log.changed(current, logged) == ["cur2/data/BILLING_PERIOD=2026-10"]
    assert landing_log.changed(current, current) == []
    # a file outside any period folder: the source is one delivery
    assert list(landing_log.deliveries([*files, landing_log.File("export.parquet", 1, 1)])) == ["."]


def test_models_that_read_the_clock_and_what_selects_from_them_are_always_built():
    dated = reads_the_clock(select_models(None))
    assert "report_weekly_headline" in dated  # its last day is today when the data stops earlier
    assert "costs" not in dated and "workload_costs" not in dated


def test_a_build_creates_the_views_it_was_asked_for_and_those_the_tables_it_builds_read():
    models = select_models(TARGETS)
    tables = {m.name for m in models if is_table(m)}
    assert engine.views_wanted(models, tables, TARGETS) == {"costs"}  # everything kept: only the view asked for
    rebuilt = engine.views_wanted(models, tables - {"allocated_costs"}, TARGETS)
    assert {"costs", "int_cost_attribution", "int_charges", "int_aws_charges", "stg_aws_cur"} <= rebuilt
    assert not rebuilt & tables
    every = select_models(None)
    assert engine.views_wanted(every, {m.name for m in every if is_table(m)}, None) == {
        m.name for m in every if not is_table(m) and m.materialized != "seed"}


def test_a_build_with_nothing_new_lands_nothing_and_a_restated_month_replaces_only_itself(spark, bucket, tmp_path):
    said = []
    engine.build(spark, SCHEMA, source=str(bucket), targets=TARGETS, say=said.append)
    assert said == []
    first_loads = rows(spark, LOADS)
    assert len(first_loads) == 2  # October and November, landed together
    logged = log(spark)
    assert [d for d, _, _ in logged] == ["ml-team-cur2/data/BILLING_PERIOD=2026-10", "ml-team-cur2/data/BILLING_PERIOD=2026-11"]
    assert all(count == 2 for _, count, _ in logged)  # one data file and the manifest each

    first_answers = spark_answers(spark)
    tables = sum(1 for m in select_models(TARGETS) if is_table(m))
    engine.build(spark, SCHEMA, source=str(bucket), targets=TARGETS, say=said.append)
    assert said == [f"nothing new under {bucket}: 2 periods unchanged",
                    f"models current: {tables} of {tables} tables kept, built from the same data"]
    assert rows(spark, LOADS) == first_loads  # landed 0: no load logged, none replaced
    assert log(spark) == logged
    assert spark_answers(spark) == first_answers  # the kept tables, read as built

    write_cur2(bucket, "2026-11", rows=ROWS, seed=2, cost_scale=1.25, final=True)  # AWS restates November in place
    with finops.connect(tmp_path / "w.duckdb") as con:
        finops.ingest_aws(con, bucket)
        expected = {sql: cents(con.execute(sql).fetchall()) for sql in (TEAM_TOTALS, JOB_TOTALS, COST_TOTALS, PERIOD_TOTALS)}
    # October's file keeps its size and time but turns to zeros: reading it would fail the build
    october = next(bucket.glob("ml-team-cur2/data/BILLING_PERIOD=2026-10/*.parquet"))
    stat = october.stat()
    october.write_bytes(bytes(stat.st_size))
    os.utime(october, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    said.clear()
    engine.build(spark, SCHEMA, source=str(bucket), targets=TARGETS, say=said.append)
    assert said == []  # November restated: landed and every table rebuilt
    loads = rows(spark, LOADS)
    assert loads[0] == first_loads[0]  # October: not re-read, its load kept
    assert loads[1][1] > first_loads[1][1] and loads[1][3] > first_loads[1][3]  # November: a new load, 25% more
    assert rows(spark, PERIOD_TOTALS) == expected[PERIOD_TOTALS]  # November replaced as a unit, not added to
    got = spark_answers(spark)
    assert got == {sql: expected[sql] for sql in (TEAM_TOTALS, JOB_TOTALS, COST_TOTALS)}
    assert got[COST_TOTALS][0][1] > Decimal(0)
