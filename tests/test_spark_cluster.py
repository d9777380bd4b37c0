"""`finops build --engine spark` on a real standalone cluster (a master and two one-core workers on
loopback, tests/spark_cluster.py): every model builds in executors apart from the driver, from a CUR
2.0 month and from a legacy CUR CSV.gz month restated by a second delivery, and the marts and every
section of the weekly report equal DuckDB's to the cent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import finops
from finops.demo.generate import write_cur2, write_legacy_cur
from finops.models.project import load_models
from finops.report.weekly import latest_week_with_data
from tests.conftest import SPARK_INTERPRETED, report_figures
from tests.spark_cluster import spark_cluster  # noqa: F401  (the fixture)

ROWS = 2000  # a few thousand line items: the cluster test stays around two minutes
CENT = Decimal("0.01")
MARTS = sorted(m.name for m in load_models() if m.layer == "marts")
# when it ran, and its load ids: DuckDB numbers loads from a sequence, Spark by the landing's epoch second
VARYING = ("last_loaded_at", "loaded_at", "built_at", "x_LoadId", "load_id")


def rounded(rows: list[tuple]) -> list[tuple]:
    """Money to the cent, shares to four places (two engines' doubles differ in the last bits)."""
    cells = [tuple(v.quantize(CENT) if isinstance(v, Decimal) else round(v, 4) if isinstance(v, float) else v
                   for v in row) for row in rows]
    return sorted(cells, key=repr)  # repr: rows with nulls sort too


def marts(db: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every mart's columns in order and its rows, less the columns that say when and how it was built."""
    with finops.connect(db, read_only=True) as con:
        found = {}
        for name in MARTS:
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where table_name = ? order by column_index", [name]).fetchall()]
            kept = [c for c in columns if c not in VARYING]
            found[name] = kept, rounded(con.execute("select " + ", ".join(f'"{c}"' for c in kept) + f" from {name}").fetchall())
        return found


def report(db: Path, week: str) -> dict:
    with finops.connect(db, read_only=True) as con:
        return report_figures(con, week, ignore=(*VARYING, "as_of"))  # as_of: when the report was made


def build_on_cluster(run, master: str, source: Path, schema: str, warehouse: Path) -> None:
    code, _, err = run("build", "--engine", "spark", "--spark-master", master, "--source", str(source),
                       "--target-schema", schema, "--spark-warehouse", str(warehouse),
                       "--spark-conf", "spark.sql.shuffle.partitions=4",
                       *[arg for key, value in SPARK_INTERPRETED.items() for arg in ("--spark-conf", f"{key}={value}")])
    assert code == 0, err


def assert_same(got_db: Path, expected_db: Path) -> None:
    """The Spark-built marts and report, section by section, are DuckDB's."""
    with finops.connect(expected_db, read_only=True) as con:
        week = latest_week_with_data(con)
    expected, got = report(expected_db, week), report(got_db, week)
    assert expected["headline"]["EffectiveCost"] > 0
    for section in expected:
        assert got[section] == expected[section], section
    expected_marts, got_marts = marts(expected_db), marts(got_db)
    for name in MARTS:
        assert got_marts[name] == expected_marts[name], name


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cluster-warehouse")


def test_a_cur2_month_builds_every_model_on_the_cluster_as_duckdb_does(spark_cluster, run, db, warehouse,  # noqa: F811
                                                                      tmp_path):
    source = tmp_path / "cur2"
    write_cur2(source, rows=ROWS)
    with finops.connect(tmp_path / "duckdb.duckdb") as con:
        finops.ingest_aws(con, source)
    build_on_cluster(run, spark_cluster, source, "cur2", warehouse)
    assert_same(db, tmp_path / "duckdb.duckdb")
    with finops.connect(db, read_only=True) as con:  # every mart came from the cluster
        linked = {name for (name,) in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    assert set(MARTS) <= linked


def test_a_restated_legacy_csv_month_on_the_cluster_replaces_its_period_as_duckdb_does(
        spark_cluster, run, db, warehouse, tmp_path):  # noqa: F811
    source = tmp_path / "legacy"
    write_legacy_cur(source, rows=ROWS, fmt="csv", seed=3)
    build_on_cluster(run, spark_cluster, source, "legacy", warehouse)
    with finops.connect(tmp_path / "duckdb.duckdb") as con:
        finops.ingest_aws(con, source)
        first = con.execute("select sum(BilledCost) from costs").fetchall()[0][0]
        write_legacy_cur(source, rows=ROWS, fmt="csv", seed=3, cost_scale=1.5, final=True)  # a new assembly
        finops.ingest_aws(con, source)
        restated = con.execute("select sum(BilledCost) from costs").fetchall()[0][0]
    assert restated != first
    build_on_cluster(run, spark_cluster, source, "legacy", warehouse)
    assert_same(db, tmp_path / "duckdb.duckdb")
    with finops.connect(db, read_only=True) as con:
        assert con.execute("select sum(BilledCost) from costs").fetchall()[0][0].quantize(CENT) == restated.quantize(CENT)
