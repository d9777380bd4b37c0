"""Reading marts Spark built back into a DuckDB file, so `finops query`, `finops report` and
`finops email` run unchanged on what the cluster built.

Spark writes each mart as a directory of Parquet files: DuckDB views over them read only the (small)
marts a query needs. (BigQuery keeps its tables to itself: :func:`bigquery.read_back` copies the
report's marts.)"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from finops.models.project import Model
from finops.warehouse.connection import sql_identifier, sql_literal


def duckdb_path(path: str) -> str:
    """A Spark path as DuckDB reads it: file: dropped, s3a:// (Hadoop's S3) as s3://."""
    if path.startswith("file:"):
        return path.removeprefix("file:")
    return "s3://" + path.removeprefix("s3a://") if path.startswith("s3a://") else path


def link_parquet_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, str | list[str]]) -> None:
    """One view per table, timestamps as finops keeps them (UTC, naive).

    A table is a directory of Parquet files (Spark's layout) or the list of its files (an Iceberg
    table's current snapshot, whose directory also holds files of earlier builds)."""
    for name, path in tables.items():
        if isinstance(path, str):
            source = f"read_parquet({sql_literal(duckdb_path(path).rstrip('/') + '/*.parquet')})"
        else:
            source = f"read_parquet([{', '.join(sql_literal(duckdb_path(f)) for f in path)}])"
        zoned = [col for col, typ, *_ in con.execute(f"describe select * from {source}").fetchall()
                 if typ == "TIMESTAMP WITH TIME ZONE"]
        replace = ", ".join(f"cast({sql_identifier(c)} as timestamp) as {sql_identifier(c)}" for c in zoned)
        con.execute(f"create or replace view {name} as select *{f' replace ({replace})' if zoned else ''} from {source}")


def link_marts(con: duckdb.DuckDBPyConnection, built: list[Model], files: Callable[[str], str | list[str]]) -> None:
    """Every mart of ``built`` into ``con``, with the models' comments: a table as a view over its
    files (``files(name)``), a mart the engine keeps as a view (costs) as its own DuckDB SQL over those."""
    from finops.engines.compile import is_table
    from finops.models.docs import document

    link_parquet_tables(con, {m.name: files(m.name) for m in built if is_table(m)})
    for model in built:
        if model.layer == "marts" and not is_table(model):
            con.execute(f"create or replace view {model.name} as\n{model.sql}")
    document(con, built)  # the comments `finops build` writes: the report and SQL users read them

