"""The DuckDB warehouse file: opening it, with its landing tables and the table of loads, and
all-or-nothing transactions.

Landing tables (``raw_*``) hold source rows exactly once per billing period; the SQL models under
``sql/`` turn them into ``costs`` and the marts. ``loads`` records every delivery that was loaded so
anyone can see what the warehouse holds and where it came from. Both are declared, with what every
column means, in finops/warehouse/schema.py.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from finops.config import DuckDBSettings
from finops.errors import FinopsError
from finops.warehouse.lock import LockBusy
from finops.warehouse.schema import WAREHOUSE_TABLES, create_table
from finops.warehouse.sql import first_line, sql_identifier, sql_literal  # noqa: F401 (finops imports them from here)
from finops.warehouse.storage import storage_error

DEFAULT_DB = "finops.duckdb"
DEFAULT_MEMORY_LIMIT_BYTES = 2 * 10**9
"""DuckDB's memory cap unless [duckdb] memory_limit or $FINOPS_MEMORY_LIMIT says otherwise: DuckDB's
own default (80 % of RAM) let a 10M-line month reach 6.2 GiB, on hosts that also run other work;
under 2 GB it spills to ``<warehouse>.tmp/`` beside the file (DuckDB's default temp_directory)."""
UNCHANGED = "the warehouse keeps its previous data"
RECOVERY = "see docs/cron.md 'Recovering a damaged warehouse'"
# DuckDB's words for a file that is not a database, or one cut short or overwritten (the first two
# name the file, which must be the warehouse: a bill file cut short reads the same)
_DAMAGE = (
    ("not a valid DuckDB database file", "not a DuckDB database file"),
    ("Could not read enough bytes", "the file is truncated"),
)
_CORRUPT = "Corrupt database file"  # a block whose checksum does not match: only ever the database
_HOLDER = re.compile(r"Conflicting lock is held in (\S+) \(PID (\d+)\)")


def resolve_db_path(db: str | os.PathLike[str] | None) -> Path:
    """The warehouse path: the argument, else ``$FINOPS_DB``, else ``finops.duckdb`` here."""
    return Path(db or os.environ.get("FINOPS_DB") or DEFAULT_DB)


def connect(db: str | os.PathLike[str] | None = None, *, read_only: bool = False,
            settings: DuckDBSettings | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse and make sure its landing tables exist.

    Sessions run in UTC so timestamps from every provider compare as they were billed.
    ``settings`` is finops.toml's ``[duckdb]`` (DuckDB's own defaults without it).
    """
    path = resolve_db_path(db)
    if read_only and not path.exists():
        raise FinopsError(f"{path}: no warehouse here yet (run `finops ingest` or `finops demo` first)")
    if not read_only and path.parent != Path("") and not path.parent.exists():
        raise FinopsError(f"{path}: directory {path.parent} does not exist")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise (storage_error(exc, UNCHANGED, str(path)) or held_open(exc, path) or damaged(exc, path)
               or FinopsError(f"{path}: cannot open the warehouse: {first_line(exc)}")) from None
    except duckdb.Error as exc:
        raise damaged(exc, path) or FinopsError(f"{path}: not a usable DuckDB warehouse: {first_line(exc)}") from None
    con.execute("set TimeZone = 'UTC'")
    _apply_duckdb_settings(con, settings or DuckDBSettings())
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


def damaged(exc: BaseException, path: str | os.PathLike[str]) -> FinopsError | None:
    """The error for a warehouse file that is not a DuckDB database, or is truncated or overwritten
    (however far a command got before DuckDB noticed), or None when ``exc`` is something else."""
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc)
    reasons = [reason for words, reason in _DAMAGE if words in text and f'"{Path(path).resolve()}"' in text]
    if _CORRUPT in text:
        reasons.append("a block's checksum does not match")
    return FinopsError(f"{path}: not a DuckDB warehouse or damaged ({reasons[0]}); {RECOVERY}") if reasons else None


def held_open(exc: BaseException, path: str | os.PathLike[str]) -> LockBusy | None:
    """Exit 75, like the writer lock, when another process has the file open (DuckDB allows one
    writer, or any number of readers, never both): a ``finops query``, a notebook, the duckdb CLI."""
    found = _HOLDER.search(str(exc))
    if found is None:
        return None
    program, pid = Path(found[1]).name, found[2]
    return LockBusy(f"{path}: held open by another process ({program}, pid {pid}); try again when it has finished")


def _apply_duckdb_settings(con: duckdb.DuckDBPyConnection, settings: DuckDBSettings) -> None:
    """finops.toml [duckdb]: memory_limit and threads, so a big bill spills to disk on a small host.

    Insertion order is not kept: every model and report orders what it shows, and DuckDB needs far
    less memory to write a big table when it need not buffer rows back into file order.

    Commits do not compact the rows a restatement deleted (DuckDB's checkpoint vacuum): doing so
    rewrote the row groups around the replaced period: 1.3 s of the 1.8 s commit of a restated month
    on a twelve-month warehouse of 1M line items (bench/README.md). The row groups a period filled alone are still dropped,
    so what stays is a partly empty row group at each edge of a replaced period."""
    memory_limit = settings.memory_limit or os.environ.get("FINOPS_MEMORY_LIMIT") or default_memory_limit()
    try:
        if not sys.stdout.isatty():  # DuckDB's own progress bar would land in cron mail and pipes
            con.execute("set enable_progress_bar = false")
        con.execute("set preserve_insertion_order = false")
        con.execute("set max_vacuum_tasks = 0")
        con.execute(f"set memory_limit = {sql_literal(memory_limit)}")
        if settings.threads:
            con.execute(f"set threads = {int(settings.threads)}")
    except duckdb.Error as exc:
        con.close()
        where = "finops.toml [duckdb] memory_limit or threads" if settings.memory_limit or settings.threads \
            else "$FINOPS_MEMORY_LIMIT"
        raise FinopsError(f"{where}: {first_line(exc)}") from None


def default_memory_limit() -> str:
    """2 GB, or DuckDB's own 80 % of RAM on a host with less than 2.5 GB, in bytes as DuckDB reads them."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not every platform reports it
        ram = 0
    limit = min(DEFAULT_MEMORY_LIMIT_BYTES, int(ram * 0.8)) if ram else DEFAULT_MEMORY_LIMIT_BYTES
    return f"{limit // 10**6}MB"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the landing tables and the load log if they are missing, or upgrade them (idempotent)."""
    from finops.warehouse.loads import upgrade_source_totals  # loads.py builds on this module

    for table in WAREHOUSE_TABLES:
        create_table(con, table)
    upgrade_source_totals(con)


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
