"""Iceberg commits from two writers at once (pure pyiceberg, no Spark): a commit based on a snapshot
another writer has replaced is retried against the catalog's current one, so two concurrent builds
on one SQL catalog (SQLite) both succeed and every table holds one copy of the right rows; when the
retries run out the build stops with one line.

The writers commit the way `finops build --table-format iceberg` does (iceberg.write_table): the
table is loaded first, the Parquet files are written, and only then committed, so the writer that
commits second always finds its table's snapshot stale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyiceberg.table import Table

from finops.engines import iceberg
from finops.errors import FinopsError

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "lake"
MART = "team_costs"  # replaced as a whole by each build
LANDING = "raw_bills"  # partitioned by period: each build replaces its own periods
MONEY = pa.decimal128(18, 2)


def rows(period: str, amounts: list[str]) -> pa.Table:
    """A small bill of one period: one row per amount."""
    return pa.table({
        "period": pa.array([period] * len(amounts)),
        "team": pa.array([f"team-{i % 2}" for i in range(len(amounts))]),
        "cost": pa.array([Decimal(a) for a in amounts], MONEY),
    })


# each writer lands its own period and rebuilds the mart from the same bill, as two builds of one bucket would
BILLS = {
    "a": rows("2026-01", ["10.01", "20.02", "30.03"]),
    "b": rows("2026-02", ["1.10", "2.20"]),
}
MART_ROWS = rows("all", ["0.01", "0.02", "0.04"])


def catalog_env(root: Path) -> dict[str, str]:
    """A SQL catalog on SQLite, configured as a user would: PYICEBERG_CATALOG__<NAME>__* variables."""
    return {
        "PYICEBERG_CATALOG__LAKE__TYPE": "sql",
        "PYICEBERG_CATALOG__LAKE__URI": f"sqlite:///{root}/catalog.db",
        "PYICEBERG_CATALOG__LAKE__WAREHOUSE": f"file://{root}/warehouse",
    }


def create_tables(target: iceberg.Target) -> None:
    """The two tables, empty: the mart unpartitioned, the landing table by period (as a landing table is)."""
    target.catalog.create_table((NAMESPACE, MART), schema=MART_ROWS.schema)
    with target.catalog.create_table_transaction((NAMESPACE, LANDING), schema=MART_ROWS.schema) as tx:
        with tx.update_spec() as spec:
            spec.add_identity("period")


def write_files(table: Table, build_id: str, frame: pa.Table) -> list[str]:
    """This build's Parquet file of ``table``, where write_table puts it (<location>/data/<build id>/)."""
    directory = Path(table.location().removeprefix("file://")) / "data" / build_id
    directory.mkdir(parents=True)
    pq.write_table(frame, directory / "part-0.parquet")
    return [f"file://{directory}/part-0.parquet"]


def writer(name: str, start_at: float) -> None:
    """One build: load both tables, write its files, wait for the common start, commit both.

    Run in its own process (see :func:`run_writers`); exits 1 with the error's line, as `finops` does."""
    target = iceberg.target("lake", NAMESPACE)
    tables = {t: target.catalog.load_table((NAMESPACE, t)) for t in (MART, LANDING)}
    files = {MART: write_files(tables[MART], target.build_id, MART_ROWS),
             LANDING: write_files(tables[LANDING], target.build_id, BILLS[name])}
    time.sleep(max(0.0, start_at - time.time()))
    try:
        iceberg.commit_files(tables[MART], target, files[MART], whole=True)
        iceberg.commit_files(tables[LANDING], target, files[LANDING], whole=False)
    except FinopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(target.build_id))


def run_writers(root: Path) -> list[subprocess.CompletedProcess]:
    """Both writers in their own processes, committing at the same instant."""
    env = {**os.environ, **catalog_env(root), "PYTHONPATH": str(ROOT)}
    start_at = time.time() + 4  # both processes have loaded their tables by then
    code = "import sys; from tests.test_iceberg_concurrency import writer; writer(sys.argv[1], float(sys.argv[2]))"
    procs = [subprocess.Popen([sys.executable, "-c", code, name, str(start_at)], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in BILLS]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate()) for p in procs]


def totals(target: iceberg.Target, name: str) -> list[tuple[str, int, Decimal]]:
    """Rows and cost per period of the table's current snapshot, as a reader sees it."""
    table = target.catalog.load_table((NAMESPACE, name)).scan().to_arrow()
    periods = sorted(set(table["period"].to_pylist()))
    return [(p, sum(1 for q in table["period"].to_pylist() if q == p),
             sum(c for q, c in zip(table["period"].to_pylist(), table["cost"].to_pylist(), strict=True) if q == p))
            for p in periods]


@pytest.fixture
def lake(tmp_path, monkeypatch) -> iceberg.Target:
    """An empty catalog with the two tables, seen from the test's own process."""
    for key, value in catalog_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    target = iceberg.target("lake", NAMESPACE)
    create_tables(target)
    return target


def test_two_concurrent_builds_both_commit_and_each_table_holds_one_copy(lake, tmp_path):
    results = run_writers(tmp_path)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    builds = {json.loads(r.stdout) for r in results}

    # the mart: one copy of the bill (0.01 + 0.02 + 0.04), whichever build committed last
    assert totals(lake, MART) == [("all", 3, Decimal("0.07"))]
    # the landing table: each build's period, neither lost to the other's commit
    assert totals(lake, LANDING) == [("2026-01", 3, Decimal("60.06")), ("2026-02", 2, Decimal("3.30"))]
    for name in (MART, LANDING):
        table = lake.catalog.load_table((NAMESPACE, name))
        # one snapshot per build, each on top of the other's: the second was retried, not lost
        assert {s.summary[iceberg.BUILD_PROPERTY] for s in table.snapshots()} == builds
        assert len(table.snapshots()) == 2
        assert table.snapshots()[1].parent_snapshot_id == table.snapshots()[0].snapshot_id
        assert table.current_snapshot().snapshot_id == table.snapshots()[1].snapshot_id


def stale_commit(target: iceberg.Target, retries: int) -> None:
    """Commit period 2026-02 from a table loaded before another build committed period 2026-01."""
    stale = target.catalog.load_table((NAMESPACE, LANDING))
    other = iceberg.Target(target.catalog, NAMESPACE, "other-build")
    fresh = target.catalog.load_table((NAMESPACE, LANDING))
    iceberg.commit_files(fresh, other, write_files(fresh, other.build_id, BILLS["a"]), whole=False)
    iceberg.commit_files(stale, target, write_files(stale, target.build_id, BILLS["b"]), whole=False, retries=retries)


def test_a_stale_commit_is_replanned_on_the_current_snapshot(lake, monkeypatch):
    monkeypatch.setattr(iceberg, "BACKOFF_SECONDS", 0.01)
    stale_commit(lake, retries=1)
    # the other build's period is kept: the retry planned its deletes against the current snapshot
    assert totals(lake, LANDING) == [("2026-01", 3, Decimal("60.06")), ("2026-02", 2, Decimal("3.30"))]


def test_the_last_retry_failing_is_one_line_naming_the_table(lake):
    with pytest.raises(FinopsError) as raised:
        stale_commit(lake, retries=0)
    assert str(raised.value) == "iceberg table lake.raw_bills: commit conflict after 0 retries; another build is writing"
    assert totals(lake, LANDING) == [("2026-01", 3, Decimal("60.06"))]  # nothing half-committed
