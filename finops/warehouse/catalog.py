"""What the warehouse holds: its tables and views and their columns, asked of DuckDB's catalog.

Every question about what exists goes through here, so schema ``main``, DuckDB's internal views
and the table/view distinction are spelled once."""

from __future__ import annotations

import duckdb

# the tables and views users and models see: schema main, without DuckDB's own (internal) views
_RELATIONS = """
    select table_name as name, 'table' as kind, coalesce(comment, '') as comment
    from duckdb_tables() where schema_name = 'main'
    union all
    select view_name, 'view', coalesce(comment, '') from duckdb_views() where schema_name = 'main' and not internal
"""
_COLUMNS = "select * from duckdb_columns() where schema_name = 'main' and not internal"


def relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(name, kind, description) of every table and view in the warehouse, by name."""
    return con.execute(f"select name, kind, comment from ({_RELATIONS}) order by 1").fetchall()


def relation_kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every table and view by name: ``"table"`` or ``"view"``."""
    return dict(con.execute(f"select name, kind from ({_RELATIONS})").fetchall())


def exists(con: duckdb.DuckDBPyConnection, name: str, kind: str = "table") -> bool:
    """Whether the warehouse has a table (or ``kind`` view) ``name``."""
    query = f"select count(*) from ({_RELATIONS}) where name = ? and kind = ?"
    return bool(con.execute(query, [name, kind]).fetchone()[0])


def columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str, str]]:
    """(name, DuckDB type, description) of each column of ``relation``, in order."""
    return con.execute(
        f"select column_name, data_type, coalesce(comment, '') from ({_COLUMNS}) where table_name = ? "
        "order by column_index",
        [relation],
    ).fetchall()


def column_names(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """The columns of ``relation``, in order."""
    return [name for name, _, _ in columns_of(con, relation)]


def comments(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, dict[str, str]]]:
    """Every relation's comment and its columns' comments in order (``''`` where there is none), by
    relation: two catalog queries, where asking relation by relation takes one each."""
    found: dict[str, tuple[str, dict[str, str]]] = {name: (comment, {}) for name, _, comment in relations(con)}
    for relation, column, comment in con.execute(
        f"select table_name, column_name, coalesce(comment, '') from ({_COLUMNS}) order by table_name, column_index"
    ).fetchall():
        if relation in found:
            found[relation][1][column] = comment
    return found


def tables_with_column(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    """The tables (not views) that have a column ``column``, by name."""
    return [name for (name,) in con.execute(
        f"select table_name from ({_COLUMNS}) where column_name = ? "
        f"and table_name in (select name from ({_RELATIONS}) where kind = 'table') order by 1",
        [column],
    ).fetchall()]
