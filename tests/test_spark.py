"""The same models on Spark (local mode): from the same generated months as the DuckDB tests
(tests/test_generate.py), costs, workload_costs and training_jobs agree with DuckDB's to the cent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import finops
from finops.cli.app import main
from finops.demo.generate import write_cur2, write_legacy_cur
from finops.engines import spark as engine
from finops.engines.readback import link_marts
from finops.errors import FinopsError
from finops.models.project import load_models
from finops.report.weekly import latest_week_with_data
from tests.conftest import report_figures
from tests.test_s3 import upload

ROWS = 2000  # as tests/test_generate.py
TARGETS = ["costs", "workload_costs", "training_jobs"]
CENT = Decimal("0.01")

TEAM_TOTALS = "select team, sum(EffectiveCost), sum(BilledCost), sum(gpu_hours) from workload_costs group by 1 order by 1"
JOB_TOTALS = "select training_job, EffectiveCost, spot_cost, spot_savings, gpu_hours from training_jobs order by 1"
COST_TOTALS = "select count(*), sum(EffectiveCost), sum(BilledCost), sum(ListCost) from costs"


@pytest.fixture(scope="module")
def bills(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bills")
    write_cur2(root / "cur2", rows=ROWS)
    write_legacy_cur(root / "legacy", rows=ROWS, fmt="parquet")
    return {"cur2": root / "cur2", "legacy": root / "legacy"}


@pytest.fixture(scope="module")
def duckdb_built(bills, tmp_path_factory) -> dict[str, Path]:
    """Each bill ingested and built by DuckDB once for the module: what Spark's marts must equal."""
    root = tmp_path_factory.mktemp("duckdb")
    for shape, source in bills.items():
        with finops.connect(root / f"{shape}.duckdb") as con:
            finops.ingest_aws(con, source)
    return {shape: root / f"{shape}.duckdb" for shape in bills}


@pytest.fixture(scope="module")
def every_mart(spark, bills, tmp_path_factory) -> Path:
    """Every model built on Spark from the CUR 2.0 month by `finops build` (schema "every"), once for
    the module: the warehouse it linked the marts into. Later builds of that schema keep its tables."""
    db = tmp_path_factory.mktemp("every") / "linked.duckdb"
    code = main(["build", "--engine", "spark", "--source", str(bills["cur2"]), "--target-schema", "every",
                 "--db", str(db), "--quiet"])
    assert code == 0
    return db


def cents(rows) -> list[tuple]:
    return [tuple(v.quantize(CENT) if isinstance(v, Decimal) else v for v in row) for row in rows]


def duckdb_answers(db: Path) -> dict[str, list[tuple]]:
    with finops.connect(db, read_only=True) as con:
        return {sql: cents(con.execute(sql).fetchall()) for sql in (TEAM_TOTALS, JOB_TOTALS, COST_TOTALS)}


def spark_answers(session) -> dict[str, list[tuple]]:
    return {sql: cents(tuple(r) for r in session.sql(sql).collect()) for sql in (TEAM_TOTALS, JOB_TOTALS, COST_TOTALS)}


@pytest.mark.parametrize(("shape", "schema"), [("cur2", "every"), ("legacy", "legacy")])
def test_spark_builds_the_same_totals_per_team_and_training_job_as_duckdb(spark, bills, duckdb_built, every_mart,
                                                                          shape, schema, tmp_path):
    # CUR 2.0 into the schema every_mart built: nothing new lands and the tables are read back as kept
    expected = duckdb_answers(duckdb_built[shape])
    built = engine.build(spark, schema, source=str(bills[shape]), targets=TARGETS)
    got = spark_answers(spark)
    assert got[COST_TOTALS] == expected[COST_TOTALS]
    assert got[TEAM_TOTALS] == expected[TEAM_TOTALS]
    assert got[JOB_TOTALS] == expected[JOB_TOTALS]
    assert len(expected[JOB_TOTALS]) > 5 and len(expected[TEAM_TOTALS]) > 2  # the month has jobs and teams
    # the marts are Parquet files where Spark keeps tables: DuckDB (finops query, the report) reads them back
    with finops.connect(tmp_path / "linked.duckdb") as con:
        link_marts(con, built, lambda name: engine.table_path(spark, schema, name))
        assert not Path(engine.table_path(spark, schema, "costs").removeprefix("file:")).exists()  # a view there too
        assert {sql: cents(con.execute(sql).fetchall()) for sql in expected} == expected


def test_a_restated_month_replaces_its_billing_period_as_duckdb_does(spark, tmp_path):
    source = tmp_path / "cur2"
    write_cur2(source, rows=500, seed=4)
    engine.build(spark, "restated", source=str(source), targets=["costs"])
    with finops.connect(tmp_path / "w.duckdb") as con:
        finops.ingest_aws(con, source)
        write_cur2(source, rows=500, seed=4, cost_scale=1.5, final=True)  # AWS restates the month in place
        finops.ingest_aws(con, source)
        expected = cents(con.execute(COST_TOTALS).fetchall())
    first = cents(tuple(r) for r in spark.sql(COST_TOTALS).collect())
    engine.build(spark, "restated", source=str(source), targets=["costs"])
    assert cents(tuple(r) for r in spark.sql(COST_TOTALS).collect()) == expected != first


def test_a_path_without_cur_parquet_is_one_line(spark, tmp_path):
    with pytest.raises(FinopsError, match="nothing: no such file or directory"):  # as `finops ingest` says
        engine.build(spark, "empty", source=str(tmp_path / "nothing"), targets=["costs"])


def test_finops_build_on_spark_links_the_marts_for_finops_query(spark, bills, every_mart, run):
    code, _, err = run("build", "--engine", "spark", "--source", str(bills["cur2"]), "--target-schema", "every",
                       "--model", "training_jobs")
    assert code == 0, err
    code, out, _ = run("query", "select count(*) as jobs, sum(gpu_hours) > 0 as gpus from training_jobs", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "jobs,gpus" and out.splitlines()[1].endswith(",True")
    assert int(out.splitlines()[1].split(",")[0]) > 5


COLUMN_TYPES = "select table_name, column_name, data_type from duckdb_columns() where table_name in (select unnest(?)) order by all"
EXPLAINED = """
    select kind, week, name, explanation from savings_opportunities
    union all
    select plan, cast(term_months as varchar), cast(lookback_days as varchar), explanation from commitment_recommendations
    order by all"""


def test_every_mart_builds_on_spark_and_the_weekly_report_reads_the_same(spark, duckdb_built, every_mart, run, tmp_path):
    with finops.connect(duckdb_built["cur2"], read_only=True) as con:
        week = latest_week_with_data(con)
        expected = report_figures(con, week, ignore=("last_loaded_at",))
        explained = con.execute(EXPLAINED).fetchall()
        marts = [m.name for m in load_models() if m.layer == "marts"]
        column_types = con.execute(COLUMN_TYPES, [marts]).fetchall()
    with finops.connect(every_mart, read_only=True) as con:
        assert report_figures(con, week, ignore=("last_loaded_at",)) == expected
        # the sentences a finance reader gets: DuckDB's format('{:.2f}') is printf's '%.2f' on Spark
        assert con.execute(EXPLAINED).fetchall() == explained and len(explained) > 20
        # one interface wherever the marts are built: Spark's decimal arithmetic and ratios are cast back
        assert con.execute(COLUMN_TYPES, [marts]).fetchall() == column_types
        assert expected["headline"]["EffectiveCost"] > 0 and expected["savings"] and expected["idle_gpus"]
        described = con.execute("select comment from duckdb_views() where view_name = 'report_weekly_headline'").fetchone()
        assert described[0].startswith("The weekly report's headline")  # the linked marts carry the models' docs
    code, out, err = run("report", "--week", week, "--out", str(tmp_path / "report.html"), "--db", str(every_mart),
                         use_db=False)
    assert code == 0, err
    assert (tmp_path / "report.html").read_text().count(week) >= 1


def test_an_s3_source_is_fetched_when_local_spark_has_no_s3_filesystem(spark, bills, duckdb_built, aws_env, monkeypatch):
    # pyspark has no hadoop-aws: in local mode the driver fetches the objects, as `finops ingest` does
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env)
    upload(aws_env, "billing-spark", bills["cur2"], "exports")
    expected = duckdb_answers(duckdb_built["cur2"])
    engine.build(spark, "s3", source="s3a://billing-spark/exports", targets=["costs"])
    assert cents(tuple(r) for r in spark.sql(COST_TOTALS).collect()) == expected[COST_TOTALS]
    assert [tuple(r) for r in spark.sql("select distinct x_source_file from raw_aws_cur").collect()] == [
        ("s3a://billing-spark/exports",)]
    landed = spark.sql("select count(*) from raw_aws_cur").collect()[0][0]
    assert [tuple(r) for r in spark.sql("select source, row_count from loads").collect()] == [
        ("s3a://billing-spark/exports", landed)]


def test_spark_settings_reach_the_session_but_not_those_the_models_rest_on(spark, run):
    code, _, err = run("build", "--engine", "spark", "--model", "prices", "--target-schema", "conf",
                       "--spark-conf", "spark.sql.shuffle.partitions=7")
    assert code == 0, err
    assert spark.conf.get("spark.sql.shuffle.partitions") == "7"
    code, _, err = run("build", "--engine", "spark", "--spark-conf", "spark.sql.session.timeZone=Europe/Paris")
    assert code == 1 and err.strip().splitlines() == [err.strip()]
    assert "--spark-conf spark.sql.session.timeZone: finops sets it to UTC" in err
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    code, _, err = run("build", "--engine", "spark", "--spark-conf", "spark.executor.memory")
    assert code == 2 and "--spark-conf takes KEY=VALUE" in err
