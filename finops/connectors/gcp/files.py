"""Cloud Billing export files (newline-delimited JSON, optionally gzip, Parquet, Avro) as inputs.

DuckDB reads JSON and Parquet, polars reads Avro into Arrow: rows never become Python objects.
Files are grouped by their content's format, not their names.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from finops.connectors.gcp.normalise import ExportInput
from finops.connectors.readers import FileSet, error_reason, sniff_format
from finops.errors import FinopsError
from finops.warehouse.columns.gcp import REQUIRED, json_columns
from finops.warehouse.connection import first_line, sql_literal

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
DATA_SUFFIXES = (*JSON_SUFFIXES, ".parquet", ".avro")


def _json_reader(paths: tuple[Path, ...]) -> str:
    files = "[" + ", ".join(sql_literal(str(p)) for p in paths) + "]"
    columns = "{" + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in json_columns().items()) + "}"
    return f"read_json({files}, format = 'newline_delimited', columns = {columns}, filename = true, compression = 'auto')"


def _parquet_reader(paths: tuple[Path, ...]) -> str:
    files = "[" + ", ".join(sql_literal(str(p)) for p in paths) + "]"
    return f"read_parquet({files}, union_by_name = true, filename = true, hive_partitioning = false)"


def file_inputs(con: duckdb.DuckDBPyConnection, paths: list[Path], uris: list[str]) -> list[ExportInput]:
    """One input per format among the files (one per Avro file), each checked to be an export."""
    groups: dict[str, list[tuple[Path, str]]] = {}
    for path, uri in zip(paths, uris):
        groups.setdefault(sniff_format(path, uri, text_format="json"), []).append((path, uri))
    inputs = []
    for fmt, members in sorted(groups.items()):
        ps, us = tuple(p for p, _ in members), tuple(u for _, u in members)
        files = FileSet(ps, us, fmt)
        if fmt == "json":
            reader = _json_reader(ps)
        elif fmt == "parquet":
            for p, u in members:  # a Parquet file of some other table: say so before reading rows
                check_required(_types(con, _parquet_reader((p,)), FileSet((p,), (u,), fmt)), u)
            reader = _parquet_reader(ps)
        else:
            inputs.extend(_avro_inputs(con, members))
            continue
        inputs.append(ExportInput(reader, _types(con, reader, files), files, "filename"))
    return inputs


def _avro_inputs(con: duckdb.DuckDBPyConnection, members: list[tuple[Path, str]]) -> list[ExportInput]:
    import polars as pl  # deferred: only Avro needs it

    inputs = []
    for i, (path, uri) in enumerate(members):
        try:
            table = pl.read_avro(path).to_arrow()
        except Exception as exc:  # polars raises its own ComputeError, OSError, ...
            raise FinopsError(f"{uri}: cannot read Avro: {str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__}") from None
        name = f"_gcp_avro_{i}"
        con.register(name, table)
        files = FileSet((path,), (uri,), "avro")
        types = _types(con, name, files)
        check_required(types, uri)
        inputs.append(ExportInput(name, types, files, sql_literal(uri)))
    return inputs


def _types(con: duckdb.DuckDBPyConnection, reader: str, files: FileSet) -> dict[str, duckdb.DuckDBPyType]:
    try:
        rel = con.sql(f"select * from {reader} limit 0")
        return {n: t for n, t in zip(rel.columns, rel.types) if n != "filename"}
    except duckdb.Error as exc:
        raise diagnose(files, exc) from None


def check_required(types: dict[str, duckdb.DuckDBPyType], label: str) -> None:
    """One line naming what is missing before a row is read (also the Spark engine's check)."""
    missing = [c for c in REQUIRED if c not in types]
    if len(missing) == len(REQUIRED) or "billing_account_id" in missing and "cost" in missing:
        raise FinopsError(f"{label}: not a Cloud Billing export (no billing_account_id, cost or credits columns)")
    if missing:
        raise FinopsError(f"{label}: missing required field(s) {', '.join(missing)}; not a complete Cloud Billing export")


def diagnose(files: FileSet, exc: duckdb.Error) -> FinopsError:
    """Name the unreadable file of a set, on a scratch connection (the warehouse's is aborted)."""
    if files.fmt in ("json", "parquet") and len(files.paths) > 1:
        scratch = duckdb.connect()
        for path, uri in zip(files.paths, files.uris):
            reader = _json_reader((path,)) if files.fmt == "json" else _parquet_reader((path,))
            try:
                scratch.execute(f"select count(*) from {reader}").fetchone()
            except duckdb.Error as inner:
                return FinopsError(f"{uri}: {_read_error_reason(inner, files.fmt)}")
    return FinopsError(f"{files.label()}: {_read_error_reason(exc, files.fmt)}")


def _read_error_reason(exc: duckdb.Error, fmt: str) -> str:
    text = re.sub(r' in file "[^"]*",?', "", first_line(exc))
    if fmt == "json" and "Malformed JSON" in text:
        return "not valid newline-delimited JSON: " + text.removeprefix("Invalid Input Error: ").strip()
    return "cannot read: " + error_reason(Exception(text))
