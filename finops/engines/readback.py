"""Reading marts another engine built back into a DuckDB file, so `finops query`, `finops report`
and `finops email` run unchanged on what the engine built.

Spark writes each mart as a directory of Parquet files: DuckDB views over them read only the (small)
marts a query needs. BigQuery keeps its tables to itself: the marts the report reads are copied,
streamed as Arrow through the same client call `finops ingest gcp` uses."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from ..errors import FinopsError
from ..models import Model
from ..warehouse import sql_identifier, sql_literal, transaction


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
    from ..models import document
    from .compile import is_table

    link_parquet_tables(con, {m.name: files(m.name) for m in built if is_table(m)})
    for model in built:
        if model.layer == "marts" and not is_table(model):
            con.execute(f"create or replace view {model.name} as\n{model.sql}")
    document(con, built)  # the comments `finops build` writes: the report and SQL users read them


def copy_bigquery_tables(con: duckdb.DuckDBPyConnection, client: object, dataset: str,
                         tables: dict[str, dict[str, str]]) -> None:
    """Copy the tables of ``dataset`` into DuckDB tables, all or none (they are small: the report's
    marts), each column cast to the DuckDB type ``tables`` gives it, as `finops build` would have
    made it. BigQuery's BIGNUMERIC, what DECIMAL(38, 10) becomes there, arrives as Arrow
    decimal256, which DuckDB cannot read: it crosses as text, digit for digit."""
    import pyarrow as pa

    with transaction(con):
        for name, types in tables.items():
            try:
                table = client.query(f"select * from `{dataset}.{name}`").result().to_arrow()
            except Exception as exc:  # noqa: BLE001 -- google.api_core raises NotFound, Forbidden, BadRequest...
                message = (getattr(exc, "message", None) or str(exc) or type(exc).__name__).splitlines()[0]
                raise FinopsError(f"{dataset}.{name}: cannot read it back from BigQuery: {message}") from None
            table = table.cast(pa.schema([
                f.with_type(pa.string()) if pa.types.is_decimal256(f.type) else f for f in table.schema
            ]))
            columns = ", ".join(
                f"cast({sql_identifier(c)} as {types[c]}) as {sql_identifier(c)}" if c in types else sql_identifier(c)
                for c in table.column_names
            )
            con.register("_bigquery_rows", table)
            con.execute(f"create or replace table {sql_identifier(name)} as select {columns} from _bigquery_rows")
            con.unregister("_bigquery_rows")
