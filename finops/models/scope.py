"""What a partial computation of the models sees: the loads the models can read, and views that
narrow every landing table to some of them.

The incremental build (finops/models/builder.py) recomputes only the loads that changed, and the
drift check (finops/models/drift.py) recomputes a few periods from scratch to compare; both run the
models' unchanged SQL over a chosen set of loads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from finops.warehouse.catalog import tables_with_column
from finops.warehouse.sql import sql_identifier

# how many of each load's periods are current: a load's periods only ever leave (replaced by a newer load)
LIVE_LOADS = "select load_id, count(*) as live_periods from loads where replaced_by is null group by load_id"


def load_state(con: duckdb.DuckDBPyConnection) -> str:
    """SQL of every load the models can see, with its live periods and the rows it has in the
    landing tables. The models read the landing tables, not the ``loads`` log: a delivery of one
    landing table (a FOCUS file) may mark a load of another (the CUR of its period) replaced while
    that load's rows stay, so rows are counted where they are, and a load whose rows left counts as changed."""
    landed = " union all ".join(
        f"select x_load_id as load_id, count(*) as landed_rows from {table} group by 1"
        for table in tables_with_column(con, "x_load_id")
    ) or "select null::bigint as load_id, 0::bigint as landed_rows"
    return f"""
        select load_id, coalesce(any_value(live.live_periods), 0) as live_periods,
               coalesce(sum(landed.landed_rows), 0)::bigint as landed_rows
        from ({LIVE_LOADS}) as live full join ({landed}) as landed using (load_id)
        where load_id is not null
        group by load_id
    """


@contextmanager
def scoped_to(con: duckdb.DuckDBPyConnection, loads: str, upstream: dict[str, str]) -> Iterator[None]:
    """Let the models see only the rows of ``loads`` in every landing table and in ``upstream``.

    ``upstream`` maps the incremental tables built before this one to their key columns. Temporary
    views shadow these tables' names for the models' views (DuckDB's search path puts temp first),
    so the unchanged SQL computes just the changed loads: no per-engine copy of a model, and no
    reliance on the optimiser pushing a filter through every CTE and join."""
    database = sql_identifier(con.execute("select current_database()").fetchone()[0])
    keys = dict.fromkeys(tables_with_column(con, "x_load_id"), "x_load_id") | upstream
    for table, key in keys.items():
        con.execute(
            f"create temp view {table} as select * from {database}.main.{table} "
            f"where {sql_identifier(key)} in ({loads})"
        )
    try:
        yield
    finally:
        for table in keys:
            con.execute(f"drop view if exists temp.main.{table}")
