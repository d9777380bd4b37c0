"""Spark's marts committed to Iceberg tables through pyiceberg, in a SQL catalog on SQLite (no network):
the tables hold DuckDB's totals to the cent, a rebuild replaces them in one new snapshot, a
restated month replaces its billing period in the landing table, and
`finops build --table-format iceberg --db FILE` links the marts for `finops query`."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

import finops
from finops.demo.generate import write_cur2
from finops.demo.generate_gcp import BILLING_ACCOUNT, write_gcp_export
from finops.engines import iceberg
from finops.engines import spark as engine
from finops.engines.compile import find_model
from finops.errors import FinopsError

# the same month, totals and Spark session as tests/test_spark.py
from tests.test_spark import COST_TOTALS, JOB_TOTALS, ROWS, TARGETS, TEAM_TOTALS, cents

CATALOG = "warehouse"
QUERIES = (TEAM_TOTALS, JOB_TOTALS, COST_TOTALS)
DAY_TOTALS = "select epoch(usage_day), count(*), sum(cost) from raw_gcp_billing group by 1 order by 1"  # timestamptz in Iceberg


@pytest.fixture(scope="module")
def catalog_env(tmp_path_factory):
    """A pyiceberg SQL catalog on SQLite, configured as a user would: PYICEBERG_CATALOG__<NAME>__* variables."""
    root = tmp_path_factory.mktemp("iceberg")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(f"PYICEBERG_CATALOG__{CATALOG.upper()}__TYPE", "sql")
        patch.setenv(f"PYICEBERG_CATALOG__{CATALOG.upper()}__URI", f"sqlite:///{root}/catalog.db")
        patch.setenv(f"PYICEBERG_CATALOG__{CATALOG.upper()}__WAREHOUSE", f"file://{root}/warehouse")
        yield root


@pytest.fixture(scope="module")
def cur2(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bills") / "cur2"
    write_cur2(root, rows=ROWS)
    return root


def iceberg_answers(target: iceberg.Target, queries=QUERIES, tables=TARGETS) -> dict[str, list[tuple]]:
    """The totals as an Iceberg reader sees them: each table's current snapshot, read by pyiceberg."""
    con = duckdb.connect()
    for name in tables:
        if name == "costs":  # a view of allocated_costs on every engine (sql/marts/costs.toml), as a reader would define it
            con.register("allocated_costs", target.catalog.load_table((target.namespace, "allocated_costs")).scan().to_arrow())
            con.execute(f"create view costs as {find_model('costs').sql}")
        else:
            con.register(name, target.catalog.load_table((target.namespace, name)).scan().to_arrow())
    return {sql: cents(con.execute(sql).fetchall()) for sql in queries}


def test_marts_committed_to_iceberg_hold_duckdbs_totals_and_a_rebuild_replaces_them(catalog_env, spark, cur2, tmp_path):
    with finops.connect(tmp_path / "w.duckdb") as con:
        finops.ingest_aws(con, cur2)
        expected = {sql: cents(con.execute(sql).fetchall()) for sql in QUERIES}
    assert len(expected[JOB_TOTALS]) > 5 and len(expected[TEAM_TOTALS]) > 2  # the month has jobs and teams

    first = iceberg.target(CATALOG, "lake")
    engine.build(spark, "lake", source=str(cur2), targets=TARGETS, iceberg=first)
    assert iceberg_answers(first) == expected

    # the next `finops build` of the same data, nothing kept: as after a release that changed the models
    first.catalog.drop_table(("lake", "spark_build_state"))
    second = iceberg.target(CATALOG, "lake")  # a new build id
    engine.build(spark, "lake", source=str(cur2), targets=TARGETS, iceberg=second)
    assert iceberg_answers(second) == expected  # replaced, not appended: totals are not doubled
    for name in ("allocated_costs", "workload_costs", "training_jobs"):  # the tables; costs is a view of the first
        table = second.catalog.load_table(("lake", name))
        assert [s.summary[iceberg.BUILD_PROPERTY] for s in table.snapshots()] == [first.build_id, second.build_id]
        files = iceberg.current_files(second, name)
        assert files and all(f"/data/{second.build_id}/" in f for f in files)  # one current copy: this build's
        # the first build's files are still there for its snapshot (time travel) until it is expired
        old = table.scan(snapshot_id=table.snapshots()[0].snapshot_id).plan_files()
        assert all(Path(task.file.file_path.removeprefix("file://")).exists() for task in old)
    engine.build(spark, "lake", source=str(cur2), targets=TARGETS, iceberg=iceberg.target(CATALOG, "lake"))
    for name in ("allocated_costs", "workload_costs", "training_jobs"):  # nothing new: the tables kept, no snapshot
        assert len(second.catalog.load_table(("lake", name)).snapshots()) == 2
    assert iceberg_answers(second) == expected


def test_a_restated_month_replaces_its_billing_period_in_the_iceberg_landing_table(catalog_env, spark, tmp_path):
    october, november = tmp_path / "october", tmp_path / "november"
    write_cur2(october, "2026-10", rows=500, seed=4)
    write_cur2(november, "2026-11", rows=500, seed=5)
    for source in (october, november):
        engine.build(spark, "restated", source=str(source), targets=["costs"], iceberg=iceberg.target(CATALOG, "restated"))
    with finops.connect(tmp_path / "w.duckdb") as con:
        finops.ingest_aws(con, october, build=False)  # one build of both months
        finops.ingest_aws(con, november)
        before = cents(con.execute(COST_TOTALS).fetchall())
        write_cur2(october, "2026-10", rows=500, seed=4, cost_scale=1.5, final=True)  # AWS restates October in place
        finops.ingest_aws(con, october)
        expected = cents(con.execute(COST_TOTALS).fetchall())
    restate = iceberg.target(CATALOG, "restated")
    assert iceberg_answers(restate, [COST_TOTALS], ["costs"]) == {COST_TOTALS: before}
    kept = [f for f in iceberg.current_files(restate, "raw_aws_cur") if f"/data/{restate.build_id}/" not in f]

    engine.build(spark, "restated", source=str(october), targets=["costs"], iceberg=restate)
    assert iceberg_answers(restate, [COST_TOTALS], ["costs"]) == {COST_TOTALS: expected} != {COST_TOTALS: before}
    landing = restate.catalog.load_table(("restated", "raw_aws_cur"))
    periods = {task.file.partition[1] for task in landing.scan().plan_files()}
    assert len(periods) == 2  # October (this build's files) and November (an earlier build's, kept)
    november_files = [f for f in iceberg.current_files(restate, "raw_aws_cur") if f"/data/{restate.build_id}/" not in f]
    assert november_files and set(november_files) < set(kept)
    assert landing.current_snapshot().summary[iceberg.BUILD_PROPERTY] == restate.build_id


def test_a_gcp_export_lands_in_iceberg_one_partition_per_billing_account_and_day(catalog_env, spark, tmp_path):
    export = tmp_path / "gcp"
    write_gcp_export(export / "000000000000.parquet", "2026-10", rows=500, seed=5)
    target = iceberg.target(CATALOG, "gcp")
    engine.land(spark, str(export), "gcp", target)
    with finops.connect(tmp_path / "w.duckdb") as con:
        finops.ingest_gcp(con, export, build=False)
        expected = cents(con.execute(DAY_TOTALS).fetchall())
    landing = target.catalog.load_table(("gcp", "raw_gcp_billing"))
    con = duckdb.connect()
    con.register("raw_gcp_billing", landing.scan().to_arrow())
    assert cents(con.execute(DAY_TOTALS).fetchall()) == expected and len(expected) > 20
    partitions = {(task.file.partition[0], task.file.partition[1]) for task in landing.scan().plan_files()}
    assert len(partitions) == len(expected) and {account for account, _ in partitions} == {BILLING_ACCOUNT}


def test_finops_build_into_iceberg_links_the_marts_for_finops_query(catalog_env, spark, cur2, run):
    code, _, err = run("build", "--engine", "spark", "--source", str(cur2), "--target-schema", "cli",
                       "--model", "training_jobs", "--table-format", "iceberg", "--iceberg-catalog", CATALOG)
    assert code == 0, err
    code, out, _ = run("query", "select count(*) as jobs, sum(gpu_hours) > 0 as gpus from training_jobs", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "jobs,gpus" and out.splitlines()[1].endswith(",True")
    assert int(out.splitlines()[1].split(",")[0]) > 5


def test_an_unknown_catalog_is_one_line_before_spark_starts(catalog_env, run):
    code, _, err = run("build", "--engine", "spark", "--table-format", "iceberg", "--iceberg-catalog", "nope")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "--iceberg-catalog nope: no such catalog" in err and "PYICEBERG_CATALOG__NOPE__" in err


def test_a_misconfigured_catalog_is_one_line_without_its_password(monkeypatch):
    monkeypatch.setenv("PYICEBERG_CATALOG__BROKEN__URI", "mysql://finops:s3cret@db.example/iceberg")
    with pytest.raises(FinopsError, match="--iceberg-catalog broken: ") as failure:
        iceberg.target("broken", "finops")
    assert "s3cret" not in str(failure.value) and "\n" not in str(failure.value)


def test_a_malformed_pyiceberg_yaml_is_one_line(monkeypatch, tmp_path):
    (tmp_path / ".pyiceberg.yaml").write_text("catalog: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("PYICEBERG_HOME", str(tmp_path))
    with pytest.raises(FinopsError, match="--iceberg-catalog lake: pyiceberg's configuration: "):
        iceberg.target("lake", "finops")


def test_without_pyiceberg_the_iceberg_format_is_one_line(monkeypatch, run):
    monkeypatch.setitem(sys.modules, "pyiceberg.catalog", None)  # import fails as if not installed
    code, _, err = run("build", "--engine", "spark", "--table-format", "iceberg", "--iceberg-catalog", CATALOG)
    assert code == 1 and err.strip() == "finops: --table-format iceberg needs pyiceberg (pip install 'finops[spark]')"


def test_iceberg_catalog_without_the_iceberg_format_is_a_usage_error(run):
    code, _, err = run("build", "--engine", "spark", "--iceberg-catalog", CATALOG)
    assert code == 2 and "--table-format iceberg" in err
