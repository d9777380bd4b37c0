"""GCP connector: the Cloud Billing export (BigQuery table, or its files) into ``raw_gcp_billing``.

Google keeps adding rows for past days and corrects by adding rows, and the export has no row key.
So the unit of loading is the usage day (UTC) of one billing account: each day remembers the
largest ``export_time`` it was loaded with (in ``loads.delivery_id``), and an ingest replaces, in
one transaction, every day whose source holds a newer ``export_time``. A source with nothing newer
costs one small aggregate query and changes nothing.

Files (newline-delimited JSON, optionally gzip, Parquet, Avro) are read by DuckDB (Avro through
polars), BigQuery results stream in as Arrow record batches: rows never become Python objects.
Every source is normalised by the same SELECT, built from the source's own types, so a field an
older export lacks is simply null, and money is cast to DECIMAL from the number's text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from finops.connectors.currencies import ISO_4217
from finops.errors import FinopsError
from finops.warehouse.columns.gcp import FIELDS, KIND_TYPES, REQUIRED, json_columns
from finops.warehouse.loads import LandingTable, LoadResult, replace_periods
from finops.connectors.readers import FileSet, error_reason, sniff_format
from finops.warehouse.connection import first_line, next_load_id, sql_identifier, sql_literal, transaction

SHAPE = "gcp-export"
PROVIDER = "Google Cloud"
GCP_EXPORT = LandingTable(
    "raw_gcp_billing",
    provider=sql_literal(PROVIDER),
    account="billing_account_id",
    period_start="usage_day",
    period_end="usage_day_end",
    total="cost",
    currency="currency",
)
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
DATA_SUFFIXES = (*JSON_SUFFIXES, ".parquet", ".avro")
BQ_TABLE = re.compile(r"^bq://([A-Za-z0-9_.:-]+)\.([A-Za-z0-9_]+)\.([A-Za-z0-9_$-]+)$")
DELIVERY_PREFIX = "export_time:"

Progress = Callable[[str], None]


@dataclass
class _Input:
    """One readable relation of export rows: SQL to select from, its types, and what to name in errors."""

    sql: str
    types: dict[str, duckdb.DuckDBPyType]
    files: FileSet
    filename: str  # SQL expression for x_source_file


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def ingest_gcp(
    con: duckdb.DuckDBPyConnection,
    location: str | os.PathLike[str],
    *,
    build: bool = True,
    progress: Progress | None = None,
    bigquery_client: object | None = None,
    storage_client: object | None = None,
) -> list[LoadResult]:
    """Load the Cloud Billing export at ``location`` (``bq://project.dataset.table``, or a
    directory, file or ``gs://bucket/prefix`` of exported JSON/Parquet/Avro files); replace each
    usage day that has newer rows. The Google clients can be injected (tests, custom settings)."""
    from finops.models import builder as models

    location = str(location)
    if location.startswith("bq://"):
        with transaction(con):
            result = _ingest_bigquery(con, location, bigquery_client, progress)
            if build and not result.skipped:
                models.build(con)
        return [result]

    from finops.connectors.sources import open_source

    with open_source(location, gcs_client=storage_client) as source:
        files = [f for f in source.files if f.name.lower().endswith(DATA_SUFFIXES)]
        if not files:
            raise FinopsError(f"{source.root}: no .json, .json.gz, .parquet or .avro files found")
        if progress:
            progress(f"reading {source.root}")
        paths = [source.local_path(f) for f in files]
        label = files[0].uri if len(files) == 1 else f"{source.root} ({len(files)} files)"
        with transaction(con):
            inputs = _file_inputs(con, paths, [f.uri for f in files])
            result = _land(con, inputs, label, progress)
            if build and not result.skipped:
                if progress:
                    progress("building models")
                models.build(con)
        return [result]


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _json_reader(paths: tuple[Path, ...]) -> str:
    files = "[" + ", ".join(sql_literal(str(p)) for p in paths) + "]"
    columns = "{" + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in json_columns().items()) + "}"
    return f"read_json({files}, format = 'newline_delimited', columns = {columns}, filename = true, compression = 'auto')"


def _parquet_reader(paths: tuple[Path, ...]) -> str:
    files = "[" + ", ".join(sql_literal(str(p)) for p in paths) + "]"
    return f"read_parquet({files}, union_by_name = true, filename = true, hive_partitioning = false)"


def _file_inputs(con: duckdb.DuckDBPyConnection, paths: list[Path], uris: list[str]) -> list[_Input]:
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
        inputs.append(_Input(reader, _types(con, reader, files), files, "filename"))
    return inputs


def _avro_inputs(con: duckdb.DuckDBPyConnection, members: list[tuple[Path, str]]) -> list[_Input]:
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
        inputs.append(_Input(name, types, files, sql_literal(uri)))
    return inputs


def _types(con: duckdb.DuckDBPyConnection, reader: str, files: FileSet) -> dict[str, duckdb.DuckDBPyType]:
    try:
        rel = con.sql(f"select * from {reader} limit 0")
        return {n: t for n, t in zip(rel.columns, rel.types) if n != "filename"}
    except duckdb.Error as exc:
        raise _diagnose(files, exc) from None


def check_required(types: dict[str, duckdb.DuckDBPyType], label: str) -> None:
    """One line naming what is missing before a row is read (also the Spark engine's check)."""
    missing = [c for c in REQUIRED if c not in types]
    if len(missing) == len(REQUIRED) or "billing_account_id" in missing and "cost" in missing:
        raise FinopsError(f"{label}: not a Cloud Billing export (no billing_account_id, cost or credits columns)")
    if missing:
        raise FinopsError(f"{label}: missing required field(s) {', '.join(missing)}; not a complete Cloud Billing export")


def _diagnose(files: FileSet, exc: duckdb.Error) -> FinopsError:
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


# --------------------------------------------------------------------------------------------
# Normalising any source to raw_gcp_billing's columns
# --------------------------------------------------------------------------------------------


def _locate(types: dict[str, duckdb.DuckDBPyType], path: tuple[str, ...]) -> tuple[str, duckdb.DuckDBPyType] | None:
    typ = types.get(path[0])
    expr = sql_identifier(path[0])
    for part in path[1:]:
        if typ is None or typ.id != "struct":
            return None
        children = dict(typ.children)
        if part not in children:
            return None
        expr, typ = f"struct_extract({expr}, {sql_literal(part)})", children[part]
    return None if typ is None else (expr, typ)


def _scalar(expr: str, typ: duckdb.DuckDBPyType, kind: str) -> str:
    tid = typ.id
    if kind == "str":
        return f"nullif(cast({expr} as varchar), '')"
    if kind == "money":
        if tid == "varchar":
            return f"cast(nullif(trim({expr}), '') as {KIND_TYPES['money']})"
        if tid in ("double", "float"):  # through the shortest text that round-trips: 0.1 stays 0.1
            return f"cast(cast({expr} as varchar) as {KIND_TYPES['money']})"
        return f"cast({expr} as {KIND_TYPES['money']})"
    if kind == "ts":
        if tid == "varchar":  # '2026-10-01 07:00:00 UTC', '2026-10-01T07:00:00Z', ...
            return f"cast(cast(nullif(trim({expr}), '') as timestamptz) as timestamp)"
        if tid == "bigint":  # Avro timestamp-micros without its logical type
            return f"make_timestamp({expr})"
        return f"cast({expr} as timestamp)"
    if kind == "bool":
        return f"cast({expr} as boolean)"
    raise AssertionError(kind)


_LIST_FIELDS = {
    "kv": (("key", "str"), ("value", "str")),
    "credits": (("id", "str"), ("full_name", "str"), ("type", "str"), ("name", "str"), ("amount", "money")),
    "tags": (("key", "str"), ("value", "str"), ("inherited", "bool"), ("namespace", "str")),
}


def _convert(found: tuple[str, duckdb.DuckDBPyType] | None, kind: str, name: str, label: str) -> str:
    if found is None:
        return f"cast(null as {KIND_TYPES[kind]})"
    expr, typ = found
    if kind not in _LIST_FIELDS:
        return _scalar(expr, typ, kind)
    if typ.id != "list" or typ.children[0][1].id != "struct":
        raise FinopsError(f"{label}: field {name} is {typ}, not a list of records as the export writes it")
    children = dict(typ.children[0][1].children)
    parts = []
    for field, fkind in _LIST_FIELDS[kind]:
        if field in children:
            value = _scalar(f"e.{sql_identifier(field)}", children[field], fkind)
            if fkind == "str":
                value = f"cast(e.{sql_identifier(field)} as varchar)"  # keep '' label values as they are
        else:
            value = f"cast(null as {'BOOLEAN' if fkind == 'bool' else KIND_TYPES.get(fkind, 'VARCHAR')})"
        parts.append(f"{sql_literal(field)}: {value}")
    return f"cast(list_transform({expr}, lambda e: {{{', '.join(parts)}}}) as {KIND_TYPES[kind]})"


def normalised_select(relation: str, types: dict[str, duckdb.DuckDBPyType], label: str, filename: str) -> str:
    """DuckDB SQL selecting raw_gcp_billing's columns (but x_load_id) from ``relation`` of ``types``.

    Public because the Spark engine compiles this very query to land exports: one typing rule for
    every engine. ``label`` names the source in errors, ``filename`` is the x_source_file expression."""
    parts = [
        f"{_convert(_locate(types, path), kind, '.'.join(path), label)} as {name}"
        for name, (path, kind) in FIELDS.items()
    ]
    parts.append(f"{filename} as x_source_file")
    return (
        f"select *, date_trunc('day', usage_start_time) as usage_day, "
        f"date_trunc('day', usage_start_time) + interval 1 day as usage_day_end "
        f"from (select {', '.join(parts)} from {relation})"
    )


def _normalised(source: _Input) -> str:
    return normalised_select(source.sql, source.types, source.files.label(), source.filename)


# --------------------------------------------------------------------------------------------
# Landing: find the changed days, insert them, check them, replace them
# --------------------------------------------------------------------------------------------


def loaded_days(con: duckdb.DuckDBPyConnection) -> str:
    """SQL for the current state: per billing account and usage day, the export_time loaded."""
    return (
        f"select billing_account_id, billing_period_start as usage_day, "
        f"max(cast(substr(delivery_id, {len(DELIVERY_PREFIX) + 1}) as timestamp)) as loaded_export_time "
        f"from loads where shape = '{SHAPE}' and replaced_by is null group by all"
    )


def _changed_days(con: duckdb.DuckDBPyConnection, source_days: str) -> int:
    """Fill temp table _gcp_changed with the days whose source export_time is newer; return how many."""
    base = next_load_id(con)
    con.execute(
        f"""
        create or replace temp table _gcp_changed as
        select s.billing_account_id, s.usage_day, s.max_export_time,
               {base} + row_number() over (order by s.billing_account_id, s.usage_day) - 1 as load_id
        from ({source_days}) s
        left join ({loaded_days(con)}) l
          on l.billing_account_id = s.billing_account_id and l.usage_day = s.usage_day
        where l.loaded_export_time is null or s.max_export_time > l.loaded_export_time
           or s.billing_account_id is null or s.usage_day is null or s.max_export_time is null
        """
    )
    return con.execute("select count(*) from _gcp_changed").fetchall()[0][0]


def _source_days_sql(inputs: list[_Input]) -> str:
    return " union all ".join(
        f"select billing_account_id, usage_day, max(export_time) as max_export_time "
        f"from ({_normalised(i)}) group by all"
        for i in inputs
    )


def _land(con: duckdb.DuckDBPyConnection, inputs: list[_Input], label: str, progress: Progress | None) -> LoadResult:
    days = f"select billing_account_id, usage_day, max(max_export_time) as max_export_time from ({_source_days_sql(inputs)}) group by all"
    try:
        changed = _changed_days(con, days)
    except duckdb.ConversionException as exc:
        raise _bad_value(inputs, exc) from None
    except duckdb.Error as exc:
        raise _diagnose(inputs[0].files, exc) from None
    if changed == 0:
        return LoadResult(label, SHAPE, skipped=True)
    if progress:
        progress(f"loading {changed} day(s) from {label}")
    return _land_changed(con, inputs, label)


def _uri(inputs: list[_Input], local: str | None) -> str:
    for i in inputs:
        uri = i.files.uri_of(local) if local else None
        if uri and uri != local:
            return uri
    return local or inputs[0].files.label()


def _check(con: duckdb.DuckDBPyConnection, first: int, last: int, inputs: list[_Input]) -> None:
    """Refuse rows that cannot be placed, priced or reconciled: one line, naming the file."""
    where = f"from raw_gcp_billing where x_load_id between {first} and {last}"
    needs = {
        "billing_account_id": "billing_account_id", "usage_start_time": "usage_start_time",
        "usage_end_time": "usage_end_time", "export_time": "export_time", "cost": "cost",
        "currency": "currency", "credits": "credits field", "invoice_month": "invoice.month",
    }
    for column, shown in needs.items():
        n, f = con.execute(f"select count(*), any_value(x_source_file) {where} and {column} is null").fetchone()
        if n:
            if column == "billing_account_id" and con.execute(f"select count(*) = count(*) filter (cost is null) {where}").fetchone()[0]:
                raise FinopsError(f"{_uri(inputs, f)}: not a Cloud Billing export (no billing_account_id or cost in any row)")
            raise FinopsError(f"{_uri(inputs, f)}: {n} row(s) with no {shown}")
    bad = con.execute(f"select invoice_month, x_source_file {where} and not regexp_full_match(invoice_month, '\\d{{6}}') limit 1").fetchone()
    if bad:
        raise FinopsError(f"{_uri(inputs, bad[1])}: invoice.month {bad[0]!r} is not YYYYMM")
    mixed = con.execute(
        f"select x_source_file, string_agg(distinct currency, ', ' order by currency) {where} "
        f"group by x_source_file having count(distinct currency) > 1 limit 1"
    ).fetchone()
    if mixed:
        raise FinopsError(f"{_uri(inputs, mixed[0])}: mixes currencies {mixed[1]} in one export (a billing account bills in one currency)")
    known = ", ".join(sql_literal(c) for c in sorted(ISO_4217))
    bad = con.execute(f"select currency, x_source_file {where} and upper(currency) not in ({known}) limit 1").fetchone()
    if bad:
        raise FinopsError(f"{_uri(inputs, bad[1])}: unknown currency {bad[0]!r} (not an ISO 4217 code)")


def _bad_value(inputs: list[_Input], exc: duckdb.Error) -> FinopsError:
    """After a failed cast: which field, which value, which file (scratch connection)."""
    scratch = duckdb.connect()
    scratch.execute("set TimeZone = 'UTC'")
    for source in inputs:
        if source.files.fmt == "avro":
            continue
        for name, (path, kind) in FIELDS.items():
            found = _locate(source.types, path)
            if found is None or kind not in ("money", "ts") or found[1].id != "varchar":
                continue
            target = "TIMESTAMPTZ" if kind == "ts" else KIND_TYPES[kind]
            row = scratch.execute(
                f"select {found[0]}, filename from {source.sql} "
                f"where nullif(trim({found[0]}), '') is not null and try_cast(trim({found[0]}) as {target}) is null limit 1"
            ).fetchone()
            if row:
                kind_text = "a timestamp" if kind == "ts" else "a number"
                return FinopsError(f"{source.files.uri_of(row[1])}: field {'.'.join(path)} has a value that is not {kind_text}: {str(row[0])[:40]!r}")
    return FinopsError(f"{inputs[0].files.label()}: {first_line(exc)}")


# --------------------------------------------------------------------------------------------
# BigQuery
# --------------------------------------------------------------------------------------------

DAYS_SQL = """
SELECT billing_account_id, DATE(usage_start_time) AS usage_day, MAX(export_time) AS max_export_time
FROM {table}
GROUP BY billing_account_id, usage_day
"""

ROWS_SQL = """
SELECT *
FROM {table}
WHERE DATE(usage_start_time) IN UNNEST(@days)
  AND export_time <= @as_of
"""


def bigquery_table(location: str) -> str:
    """``bq://project.dataset.table`` as a quoted BigQuery table reference."""
    m = BQ_TABLE.match(location)
    if not m:
        raise FinopsError(f"{location}: expected bq://PROJECT.DATASET.TABLE")
    return f"`{m.group(1)}.{m.group(2)}.{m.group(3)}`"


def bigquery_queries(location: str) -> tuple[str, str]:
    """The two queries an ingest runs: changed days (small aggregate), then those days' rows."""
    table = bigquery_table(location)
    return DAYS_SQL.format(table=table).strip(), ROWS_SQL.format(table=table).strip()


def _bigquery_client(location: str) -> object:
    try:
        from google.cloud import bigquery  # deferred: heavy, and only this path needs it
    except ImportError:
        raise FinopsError(f"{location}: reading BigQuery needs google-cloud-bigquery (pip install 'finops[gcp]')") from None
    import google.auth.exceptions

    project = BQ_TABLE.match(location).group(1)
    try:
        return bigquery.Client(project=project)
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise FinopsError(
            f"{location}: no Google Cloud credentials (run `gcloud auth application-default login` or set "
            f"GOOGLE_APPLICATION_CREDENTIALS): {str(exc).splitlines()[0]}"
        ) from None


def _run_query(client: object, location: str, sql: str, params: list | None = None) -> object:
    """Run one query; return its result as an Arrow RecordBatchReader (streamed, never rows)."""
    import pyarrow as pa

    job_config = None
    if params:
        from google.cloud import bigquery

        job_config = bigquery.QueryJobConfig(query_parameters=params)
    try:
        rows = client.query(sql, job_config=job_config).result()
        batches = iter(rows.to_arrow_iterable())
        first = next(batches, None)
    except FinopsError:
        raise
    except Exception as exc:  # google.api_core raises NotFound, Forbidden, BadRequest, auth errors...
        message = getattr(exc, "message", None) or str(exc)
        raise FinopsError(f"{location}: {message.splitlines()[0] if message else exc.__class__.__name__}") from None
    if first is None:
        return None

    def chain():
        yield first
        yield from batches

    return pa.RecordBatchReader.from_batches(first.schema, chain())


def _ingest_bigquery(con: duckdb.DuckDBPyConnection, location: str, client: object | None, progress: Progress | None) -> LoadResult:
    days_sql, rows_sql = bigquery_queries(location)
    client = client if client is not None else _bigquery_client(location)
    if progress:
        progress(f"asking {location} which days changed")
    days = _run_query(client, location, days_sql)
    if days is None:
        raise FinopsError(f"{location}: the table has no rows")
    con.register("_gcp_bq_days", days.read_all())
    source_days = "select billing_account_id, cast(usage_day as timestamp) as usage_day, cast(max_export_time as timestamp) as max_export_time from _gcp_bq_days"
    changed = _changed_days(con, source_days)
    con.unregister("_gcp_bq_days")
    if changed == 0:
        return LoadResult(location, SHAPE, skipped=True)
    day_list, as_of = con.execute(
        "select list(distinct cast(usage_day as date) order by cast(usage_day as date)), max(max_export_time) from _gcp_changed"
    ).fetchall()[0]
    from google.cloud import bigquery

    params = [
        bigquery.ArrayQueryParameter("days", "DATE", day_list),
        bigquery.ScalarQueryParameter("as_of", "TIMESTAMP", as_of),
    ]
    if progress:
        progress(f"reading {len(day_list)} day(s) from {location}")
    reader = _run_query(client, location, rows_sql, params)
    if reader is None:
        raise FinopsError(f"{location}: the changed days returned no rows")
    con.register("_gcp_bq_rows", reader)
    files = FileSet((Path(location),), (location,), "bigquery")
    rel = con.sql("select * from _gcp_bq_rows limit 0")
    types = dict(zip(rel.columns, rel.types))
    check_required(types, location)
    source = _Input("_gcp_bq_rows", types, files, sql_literal(location))
    try:
        result = _land_changed(con, [source], location)
    finally:
        con.unregister("_gcp_bq_rows")
    return result


def _land_changed(con: duckdb.DuckDBPyConnection, inputs: list[_Input], label: str) -> LoadResult:
    """Insert the rows of the days in _gcp_changed, check them, and make them those days' only copy."""
    for source in inputs:
        try:
            con.execute(
                f"""
                insert into raw_gcp_billing by name
                select n.* exclude (x_source_file), c.load_id as x_load_id, n.x_source_file
                from ({_normalised(source)}) n
                join _gcp_changed c
                  on c.billing_account_id is not distinct from n.billing_account_id
                 and c.usage_day is not distinct from n.usage_day
                """
            )
        except duckdb.ConversionException as exc:
            raise _bad_value([source], exc) from None
        except duckdb.Error as exc:
            raise _diagnose(source.files, exc) from None
    loads = con.execute("select load_id, max_export_time from _gcp_changed order by load_id").fetchall()
    _check(con, loads[0][0], loads[-1][0], inputs)
    result = LoadResult(label, SHAPE)
    files = [u for i in inputs for u in i.files.uris]
    for load_id, export_time in loads:
        one = replace_periods(
            con, GCP_EXPORT, load_id=load_id, source=label, shape=SHAPE,
            delivery_id=f"{DELIVERY_PREFIX}{export_time.isoformat(sep=' ')}", files=files,
        )
        result.rows += one.rows
        result.periods.extend(one.periods)
    con.execute("drop table _gcp_changed")
    return result
