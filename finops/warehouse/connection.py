"""The DuckDB warehouse file: opening it, its landing tables, and the table of loads.

Landing tables (``raw_*``) hold source rows exactly once per billing period; the SQL models under
``sql/`` turn them into ``costs`` and the marts. ``loads`` records every delivery that was loaded so
anyone can see what the warehouse holds and where it came from.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from finops.warehouse.columns.cur import CUR_COLUMNS, MAP_COLUMNS, MONEY
from finops.errors import FinopsError
from finops.warehouse.columns.focus import FOCUS_COLUMNS
from finops.warehouse.columns.gcp import RAW_GCP_COLUMNS
from finops.warehouse.columns.metrics import GPU_METRICS_CHANGES_COLUMNS, GPU_METRICS_CHANGES_COMMENT, GPU_METRICS_COLUMNS, GPU_METRICS_COMMENT
from finops.warehouse.storage import storage_error

DEFAULT_DB = "finops.duckdb"
UNCHANGED = "the warehouse keeps its previous data"

_TAG_MAP = "MAP(VARCHAR, VARCHAR)"
_LOAD_COLUMNS = {"x_load_id": "BIGINT", "x_source_file": "VARCHAR"}

LOADS_DDL = f"""
create table if not exists loads (
    load_id              bigint not null,
    loaded_at            timestamp not null,
    source               varchar not null,
    shape                varchar not null,
    provider             varchar not null,
    billing_account_id   varchar not null,
    billing_period_start timestamp not null,
    billing_period_end   timestamp,
    delivery_id          varchar not null,
    row_count            bigint not null,
    source_total         {MONEY} not null,
    currency             varchar,
    files                varchar[],
    replaced_by          bigint
)
"""


def _table_ddl(name: str, columns: dict[str, str]) -> str:
    body = ",\n    ".join(f'"{col}" {typ}' for col, typ in columns.items())
    return f"create table if not exists {name} (\n    {body}\n)"


RAW_AWS_CUR_COLUMNS = {**CUR_COLUMNS, **{m: _TAG_MAP for m in MAP_COLUMNS}, **_LOAD_COLUMNS}
RAW_FOCUS_COLUMNS = {**FOCUS_COLUMNS, "x_ExtraColumns": _TAG_MAP, **_LOAD_COLUMNS}
# `finops prices refresh` (finops/prices.py); the prices mart prefers these to the bundled seeds
REFRESHED_PRICES_COLUMNS = {
    "as_of": "DATE", "provider": "VARCHAR", "service": "VARCHAR", "item": "VARCHAR", "region": "VARCHAR",
    "price_kind": "VARCHAR", "unit": "VARCHAR", "unit_price": "DECIMAL(38, 10)", "source": "VARCHAR",
    "refreshed_at": "TIMESTAMP",
}
REFRESHED_PRICES_DOCS = {
    "as_of": "Date of the refresh that read the price (UTC).",
    "provider": "AWS or Google Cloud.",
    "service": "AWS product code (AmazonEC2, AmazonSageMaker) or GCP service (Compute Engine).",
    "item": "Instance type (p4d.24xlarge, ml.p4d.24xlarge) or GCP Catalog SKU description.",
    "region": "Region the price applies to.",
    "price_kind": "on_demand, spot, commit_1y or commit_3y.",
    "unit": "Unit the price is per: h (hour) or the Catalog's unit.",
    "unit_price": "Price per unit, USD.",
    "source": "The API the price was read from: AWS Price List API, EC2 spot price history or Cloud Billing Catalog.",
    "refreshed_at": "When the refresh wrote the row (UTC).",
}

COMMENTS = {
    "loads": "One row per delivery loaded: source, billing period, assembly id or file "
    "fingerprint, rows and the source file's own total. replaced_by names the load that "
    "superseded it (a restatement).",
    "raw_aws_cur": "AWS Cost and Usage Report rows as delivered (legacy CUR and CUR 2.0, column "
    "names unified to CUR 2.0 snake case, tags folded into maps), one copy per payer account and "
    "billing period.",
    "raw_focus": "Rows of FOCUS files loaded with `finops ingest focus` (any provider), one copy "
    "per provider, billing account and billing period.",
    "raw_gcp_billing": "GCP Cloud Billing export rows (standard or detailed), single-valued fields "
    "flattened (service.id is service_id), labels and credits kept as lists; one copy per billing "
    "account and usage day (UTC).",
    "gpu_metrics": GPU_METRICS_COMMENT,
    "gpu_metrics_changes": GPU_METRICS_CHANGES_COMMENT,
    "refreshed_prices": "Public prices read by `finops prices refresh` (AWS Price List API, EC2 spot "
    "price history, GCP Cloud Billing Catalog), one row per provider, service, item, region and kind; "
    "a refresh replaces the rows it read again. The prices mart prefers them to the bundled seeds.",
}


def resolve_db_path(db: str | os.PathLike[str] | None) -> Path:
    """The warehouse path: the argument, else ``$FINOPS_DB``, else ``finops.duckdb`` here."""
    return Path(db or os.environ.get("FINOPS_DB") or DEFAULT_DB)


def connect(db: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse and make sure its landing tables exist.

    Sessions run in UTC so timestamps from every provider compare as they were billed.
    """
    path = resolve_db_path(db)
    if read_only and not path.exists():
        raise FinopsError(f"{path}: no warehouse here yet (run `finops ingest` or `finops demo` first)")
    if not read_only and path.parent != Path("") and not path.parent.exists():
        raise FinopsError(f"{path}: directory {path.parent} does not exist")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise storage_error(exc, UNCHANGED, str(path)) or FinopsError(f"{path}: cannot open the warehouse: {first_line(exc)}") from None
    except duckdb.Error as exc:
        raise FinopsError(f"{path}: not a usable DuckDB warehouse: {first_line(exc)}") from None
    con.execute("set TimeZone = 'UTC'")
    _apply_duckdb_settings(con)
    if not read_only:
        try:
            ensure_schema(con)  # writes (the WAL beside the file), so a read-only directory fails here
        except duckdb.Error as exc:
            con.close()
            storage = storage_error(exc, UNCHANGED, str(path))
            if storage is None:
                raise
            raise storage from None
    return con


def _apply_duckdb_settings(con: duckdb.DuckDBPyConnection) -> None:
    """finops.toml [duckdb]: memory_limit and threads, so a big bill spills to disk on a small host."""
    from finops.config.refresh import load_duckdb

    settings = load_duckdb()
    try:
        if not sys.stdout.isatty():  # DuckDB's own progress bar would land in cron mail and pipes
            con.execute("set enable_progress_bar = false")
        if settings.memory_limit:
            con.execute(f"set memory_limit = {sql_literal(settings.memory_limit)}")
        if settings.threads:
            con.execute(f"set threads = {int(settings.threads)}")
    except duckdb.Error as exc:
        con.close()
        raise FinopsError(f"finops.toml [duckdb] memory_limit or threads: {first_line(exc)}") from None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the landing tables and the load log if they are missing (idempotent)."""
    con.execute(LOADS_DDL)
    for table, columns in (("raw_aws_cur", RAW_AWS_CUR_COLUMNS), ("raw_focus", RAW_FOCUS_COLUMNS),
                           ("raw_gcp_billing", RAW_GCP_COLUMNS), ("gpu_metrics", GPU_METRICS_COLUMNS),
                           ("refreshed_prices", REFRESHED_PRICES_COLUMNS),
                           ("gpu_metrics_changes", GPU_METRICS_CHANGES_COLUMNS)):
        con.execute(_table_ddl(table, columns))
        _add_missing_columns(con, table, columns)
    for table, text in COMMENTS.items():
        con.execute(f"comment on table {table} is {sql_literal(text)}")


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    """A warehouse made by an older finops gains the columns this one lands (null for old rows)."""
    present = {name for (name,) in con.execute(
        "select column_name from duckdb_columns() where table_name = ?", [table]).fetchall()}
    for name, typ in columns.items():
        if name not in present:
            con.execute(f"alter table {table} add column {sql_identifier(name)} {typ}")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: any exception rolls the warehouse back to where it was.

    A full disk or read-only directory (while writing or at commit) becomes a :class:`StorageError`.
    After some of those DuckDB has already aborted the transaction, or invalidated the whole
    database until it is reopened, so the rollback may fail too: the original error is the one to
    report, and the file still holds the previous data either way."""
    (warehouse,) = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    con.execute("begin transaction")
    try:
        yield con
        con.execute("commit")
    except BaseException as exc:
        try:
            con.execute("rollback")
        except duckdb.Error:
            pass  # already aborted by the failure itself
        storage = storage_error(exc, UNCHANGED, warehouse)
        if storage is None:
            raise
        raise storage from None


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    (value,) = con.execute("select coalesce(max(load_id), 0) + 1 from loads").fetchone()
    return int(value)


def sql_literal(value: str) -> str:
    """Quote a string for SQL text (for DDL, where parameters are not allowed)."""
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def first_line(exc: BaseException) -> str:
    """DuckDB messages can run to several lines of context; users get the first that says what."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else exc.__class__.__name__
