"""Reading marts another engine built: DuckDB views over their Parquet files.

Spark writes each mart as a directory of Parquet files; linking them into a DuckDB file as views
lets `finops query`, `finops report` and `finops email` run unchanged on what the cluster built,
reading only the (small) marts they need."""

from __future__ import annotations

import duckdb

from ..warehouse import sql_identifier, sql_literal


def duckdb_path(path: str) -> str:
    """A Spark path as DuckDB reads it: file: dropped, s3a:// (Hadoop's S3) as s3://."""
    if path.startswith("file:"):
        return path.removeprefix("file:")
    return "s3://" + path.removeprefix("s3a://") if path.startswith("s3a://") else path


def link_parquet_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, str]) -> None:
    """One view per table (name -> directory of Parquet files), timestamps as finops keeps them (UTC, naive)."""
    for name, path in tables.items():
        source = f"read_parquet({sql_literal(duckdb_path(path).rstrip('/') + '/*.parquet')})"
        zoned = [col for col, typ, *_ in con.execute(f"describe select * from {source}").fetchall()
                 if typ == "TIMESTAMP WITH TIME ZONE"]
        replace = ", ".join(f"cast({sql_identifier(c)} as timestamp) as {sql_identifier(c)}" for c in zoned)
        con.execute(f"create or replace view {name} as select *{f' replace ({replace})' if zoned else ''} from {source}")
