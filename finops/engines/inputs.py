"""What the models read besides the bill: seeds and finops.toml settings, made by DuckDB for any engine.

DuckDB reads the seed CSVs and writes the settings tables exactly as `finops build` does, so every
engine gets the same rows and column types; the engine module only moves them across."""

from __future__ import annotations

from functools import cache

import duckdb

from finops.config import Config
from finops.models.builder import build
from finops.models.project import Model
from finops.models.settings import (
    write_attribution_tables,
    write_budget_settings,
    write_idle_settings,
    write_savings_settings,
)
from finops.warehouse.connection import ensure_schema, sql_literal


def input_tables(models: list[Model], config: Config | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the seeds among ``models`` and the settings tables; the caller closes it."""
    config = config or Config()
    con = duckdb.connect()
    write_attribution_tables(con, config.attribution)
    write_idle_settings(con, config.idle)
    write_savings_settings(con, config.savings)
    write_budget_settings(con, config.budgets)
    for model in models:
        if model.materialized == "seed":
            con.execute(f"create table {model.name} as select * from read_csv({sql_literal(str(model.path))}, header = true)")
    return con


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [name for (name,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]


@cache
def landing_columns() -> dict[str, dict[str, str]]:
    """Every table `finops` lands into (raw_*, loads, gpu_metrics, ...) with its DuckDB column types,
    read from a fresh schema so another engine always gets the tables the models may read."""
    return _empty_warehouse_columns(with_models=False)


@cache
def model_columns() -> dict[str, dict[str, str]]:
    """Every model's columns with the DuckDB types `finops build` gives them, read from a build on an
    empty warehouse (about a second, once a process): what another engine's tables are cast to, so
    that the marts keep one interface wherever they are built."""
    return _empty_warehouse_columns(with_models=True)


def _empty_warehouse_columns(*, with_models: bool) -> dict[str, dict[str, str]]:
    """Relation -> column -> DuckDB type in a fresh warehouse: its landing tables, or (``with_models``)
    every model built on them."""
    con = duckdb.connect()
    try:
        ensure_schema(con)
        names = [m.name for m in build(con)] if with_models else [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main'").fetchall()]
        columns: dict[str, dict[str, str]] = {}
        for table, column, typ in con.execute(
            "select table_name, column_name, data_type from duckdb_columns() where schema_name = 'main' "
            "and table_name in (select unnest($names)) order by table_name, column_index", {"names": names}
        ).fetchall():
            columns.setdefault(table, {})[column] = typ
        return columns
    finally:
        con.close()
