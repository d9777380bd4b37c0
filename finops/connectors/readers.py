"""Reading bill files with DuckDB, and turning DuckDB's errors into one line a user can act on.

Files are always read by DuckDB (``read_csv`` / ``read_parquet``), never row by row in Python.
CSV is read as text and cast column by column, so a bad value is reported with its column rather
than silently guessed into another type.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from finops.errors import FinopsError
from finops.warehouse.connection import first_line, sql_identifier, sql_literal

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
AVRO_MAGIC = b"Obj\x01"


@dataclass(frozen=True)
class FileSet:
    """Files of one delivery read together, with the address each came from (for messages)."""

    paths: tuple[Path, ...]
    uris: tuple[str, ...]
    fmt: str  # "csv" or "parquet"

    def uri_of(self, local: str) -> str:
        for path, uri in zip(self.paths, self.uris):
            if str(path) == local:
                return uri
        return local

    def label(self) -> str:
        return self.uris[0] if len(self.uris) == 1 else f"{self.uris[0]} (+{len(self.uris) - 1} more files)"

    def reader(self) -> str:
        """The table function that reads every file, with a ``filename`` column."""
        files = "[" + ", ".join(sql_literal(str(p)) for p in self.paths) + "]"
        if self.fmt == "parquet":
            return f"read_parquet({files}, union_by_name = true, filename = true, hive_partitioning = false)"
        return (
            f"read_csv({files}, header = true, all_varchar = true, union_by_name = true, "
            "filename = true, hive_partitioning = false, nullstr = ['', 'NULL', 'null'])"
        )


def sniff_format(path: Path, uri: str, *, text_format: str = "csv") -> str:
    """Tell Parquet and Avro from text (CSV or JSON) by content, so a misnamed file is still read right."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise FinopsError(f"{uri}: cannot read: {exc.strerror}") from None
    if not head:
        raise FinopsError(f"{uri}: empty file")
    if head == PARQUET_MAGIC:
        return "parquet"
    if head == AVRO_MAGIC:
        return "avro"
    if path.name.lower().endswith((".parquet", ".avro")):
        raise FinopsError(f"{uri}: not a {path.suffix[1:].capitalize()} file (wrong header)")
    if head[:2] == GZIP_MAGIC and not path.name.endswith(".gz"):
        raise FinopsError(f"{uri}: gzip-compressed but not named .gz; rename it to {path.name}.gz")
    return text_format


def file_set(paths: Sequence[Path], uris: Sequence[str]) -> FileSet:
    """Group files that must be read together; they must share one format."""
    formats = {sniff_format(p, u) for p, u in zip(paths, uris)}
    if "avro" in formats:
        raise FinopsError(f"{uris[0]}: an Avro file; AWS bills and FOCUS files are CSV or Parquet")
    if len(formats) > 1:
        raise FinopsError(f"{uris[0]}: mixes CSV and Parquet files in one delivery")
    return FileSet(tuple(paths), tuple(uris), formats.pop())


def describe(con: duckdb.DuckDBPyConnection, files: FileSet) -> dict[str, str]:
    """Column names and DuckDB types of a file set (reads headers and metadata only)."""
    try:
        rows = con.execute(f"describe select * from {files.reader()}").fetchall()
    except duckdb.Error as exc:
        raise diagnose(files, exc) from None
    columns = {name: typ for name, typ, *_ in rows if name != "filename"}
    if not columns or (files.fmt == "csv" and len(columns) == 1 and next(iter(columns)).startswith("column")):
        raise FinopsError(f"{files.label()}: no header row; not a bill file")
    return columns


def original_headers(files: FileSet) -> dict[str, str]:
    """DuckDB's column name -> the header as written, for CSV files.

    Column names are case-insensitive in DuckDB, so of two headers that differ only in case (AWS
    tags ``user:Team`` and ``user:team`` are different tags) the second is read as ``..._1``. This
    undoes that renaming, with DuckDB's own rule, so no tag is lost or renamed.
    """
    if files.fmt != "csv":
        return {}
    names: dict[str, str] = {}
    for path in files.paths:
        opener = gzip.open if path.name.endswith(".gz") else open
        try:
            with opener(path, "rt", encoding="utf-8", newline="") as fh:
                header = next(csv.reader(fh), [])
        except (OSError, EOFError, UnicodeDecodeError, csv.Error):
            continue  # unreadable files are reported when DuckDB reads them
        seen: set[str] = set()
        for original in header:
            name, n = original, 0
            while name.lower() in seen:
                n += 1
                name = f"{original}_{n}"
            seen.add(name.lower())
            names.setdefault(name, original)
    return names


def diagnose(files: FileSet, exc: duckdb.Error) -> FinopsError:
    """Find which file of a set is unreadable, and say so in one line.

    Runs on a scratch connection: the failed statement has aborted the warehouse's transaction.
    """
    con = duckdb.connect()
    for path, uri in zip(files.paths, files.uris):
        single = FileSet((path,), (uri,), files.fmt)
        try:
            con.execute(f"select count(*) from {single.reader()}").fetchone()
        except duckdb.Error as inner:
            return FinopsError(f"{uri}: cannot read: {error_reason(inner)}")
    return FinopsError(f"{files.label()}: {error_reason(exc)}")


def find_bad_value(files: FileSet, casts: dict[str, tuple[str, str]]) -> FinopsError | None:
    """After a failed cast, name the column, the value and the file that caused it.

    ``casts`` maps a source column to (target type, display name). Only runs on the error path,
    one query per column, on a scratch connection (the failed cast aborted the transaction).
    """
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for column, (typ, display) in casts.items():
        col = sql_identifier(column)
        row = con.execute(
            f"select {col}, filename from {files.reader()} "
            f"where {col} is not null and try_cast({col} as {typ}) is null limit 1"
        ).fetchone()
        if row is not None:
            value = str(row[0])
            shown = shortened(value)
            if typ.startswith("DECIMAL") and _is_a_number(value):  # a number, but more digits than DECIMAL holds
                return FinopsError(f"{files.uri_of(row[1])}: column {display} has a value too large for a bill: {shown!r}")
            kind = "a number" if typ.startswith("DECIMAL") else typ.lower()
            return FinopsError(f"{files.uri_of(row[1])}: column {display} has a value that is not {kind}: {shown!r}")
    return None


def shortened(value: str) -> str:
    """A value as an error line shows it: whole up to 40 characters, else its start and "..."."""
    return value if len(value) <= 40 else value[:37] + "..."


def _is_a_number(text: str) -> bool:
    try:
        return not math.isnan(float(text))
    except ValueError:
        return False


def error_reason(exc: duckdb.Error) -> str:
    text = first_line(exc)
    lowered = text.lower()
    if "gzip" in lowered or "zlib" in lowered or "compressed" in lowered:
        return "the gzip stream is corrupt or truncated"
    if "parquet" in lowered and ("magic" in lowered or "too small" in lowered or "footer" in lowered):
        return "the Parquet file is corrupt or truncated"
    for prefix in ("Invalid Input Error: ", "IO Error: ", "Conversion Error: ", "Binder Error: "):
        text = text.removeprefix(prefix)
    return text
