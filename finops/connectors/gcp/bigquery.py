"""Reading the Cloud Billing export table in BigQuery: which days changed, then only those days' rows.

Results stream in as Arrow record batches, never as Python rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

from finops.connectors.gcp.files import check_required
from finops.connectors.gcp.land import GCP_EXPORT, SHAPE, changed_days, land_changed
from finops.connectors.gcp.normalise import ExportInput
from finops.connectors.readers import FileSet
from finops.connectors.registry import Landed, Progress
from finops.errors import FinopsError
from finops.warehouse.connection import sql_literal

BQ_TABLE = re.compile(r"^bq://([A-Za-z0-9_.:-]+)\.([A-Za-z0-9_]+)\.([A-Za-z0-9_$-]+)$")

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

    def chain() -> Iterator[pa.RecordBatch]:
        yield first
        yield from batches

    return pa.RecordBatchReader.from_batches(first.schema, chain())


def land_bigquery(con: duckdb.DuckDBPyConnection, location: str, client: object | None, progress: Progress | None) -> Landed:
    """Ask the table which days changed, then insert only those days' rows."""
    days_sql, rows_sql = bigquery_queries(location)
    client = client if client is not None else _bigquery_client(location)
    if progress:
        progress(f"asking {location} which days changed")
    days = _run_query(client, location, days_sql)
    if days is None:
        raise FinopsError(f"{location}: the table has no rows")
    con.register("_gcp_bq_days", days.read_all())
    source_days = ("select billing_account_id, cast(usage_day as timestamp) as usage_day, "
                   "cast(max_export_time as timestamp) as max_export_time from _gcp_bq_days")
    changed = changed_days(con, source_days)
    con.unregister("_gcp_bq_days")
    if changed == 0:
        return Landed(SHAPE, landing=GCP_EXPORT)
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
    try:
        return land_changed(con, [ExportInput("_gcp_bq_rows", types, files, sql_literal(location))])
    finally:
        con.unregister("_gcp_bq_rows")
