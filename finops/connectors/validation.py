"""Checks on a delivery before and after its rows land, inside the load's transaction so a failure
rolls it back.

Before: every column a bill file declares must have a physical type its landing column can take
without changing its meaning (a BOOLEAN cost would land as 1.00, a DOUBLE account id as
``111122223333.0``, a new account). After: every row must be placeable (account, period, currency)
and within range: dates between 2000 and 2100 (one row dated 9999-12-31 would make the hourly
models build grids to the year 9999) and amounts small enough that finops can add them up in
DECIMAL(38, 10) without overflowing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import duckdb

from finops.connectors.currencies import ISO_4217
from finops.connectors.readers import FileSet, diagnose, shortened
from finops.errors import FinopsError
from finops.warehouse.connection import sql_identifier, sql_literal
from finops.warehouse.loads import LandingTable

EARLIEST, LATEST = "2000-01-01", "2100-01-01"
MAX_DIGITS = 24
"""Integer digits an amount may have: DECIMAL(38, 10) holds 28, and the models add millions of rows."""

_INTEGER = re.compile(r"^U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?$")
_NUMBER = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL(\(\d+, ?\d+\))?)$")
_TIME = re.compile(r"^(DATE|TIMESTAMP(_S|_MS|_NS)?( WITH TIME ZONE)?)$")


def type_problem(source_type: str, target: str, *, identifier: bool = False) -> str | None:
    """Why a column of physical type ``source_type`` cannot land as ``target``, or None if it can.

    Text is always accepted (it is parsed value by value, and a bad value is reported with its
    column); an ``identifier`` (an account or project id) may be text or a whole number only."""
    source = source_type.upper()
    if source == "VARCHAR":
        return None
    if identifier and not _INTEGER.match(source):
        return f"is {source_type}, not text or a whole number as an id must be"
    if target.startswith("DECIMAL") and not _NUMBER.match(source):
        return f"is {source_type}, not a number"
    if target == "TIMESTAMP" and not _TIME.match(source):
        return f"is {source_type}, not a date or timestamp"
    return None


def check_types(con: duckdb.DuckDBPyConnection, files: FileSet, wanted: Mapping[str, tuple[str, str, bool]]) -> None:
    """Refuse a file whose column has a physical type its landing column cannot take.

    ``wanted`` maps a source column to (landing type, display name, is an identifier). Each
    Parquet file's own schema is read (metadata only), so the message names the file that has it."""
    singles = [files] if files.fmt != "parquet" or len(files.paths) == 1 else [
        FileSet((path,), (uri,), files.fmt) for path, uri in zip(files.paths, files.uris)
    ]
    for single in singles:
        try:
            rows = con.execute(f"describe select * from {single.reader()}").fetchall()
        except duckdb.Error as exc:
            raise diagnose(single, exc) from None
        for name, source_type, *_ in rows:
            if name in wanted:
                target, display, identifier = wanted[name]
                problem = type_problem(source_type, target, identifier=identifier)
                if problem:
                    raise FinopsError(f"{single.label()}: column {display} {problem}")


def check_ranges(con: duckdb.DuckDBPyConnection, table: str, where: str, files: FileSet,
                 display: Mapping[str, str] | None = None) -> None:
    """Refuse landed rows (``where`` selects them) with a date outside 2000-01-01 to 2100-01-01 or
    an amount of more than :data:`MAX_DIGITS` integer digits: one line naming file, column, value."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() where table_name = ? and "
        "(data_type like 'DECIMAL%' or data_type like 'TIMESTAMP%' or data_type = 'DATE')",
        [table],
    ).fetchall()
    if not columns:
        return
    limit = 10**MAX_DIGITS
    tests = [
        (name, f"abs({sql_identifier(name)}) >= {limit}" if typ.startswith("DECIMAL") else
         f"({sql_identifier(name)} < timestamp '{EARLIEST}' or {sql_identifier(name)} >= timestamp '{LATEST}')")
        for name, typ in columns
    ]
    flags = ", ".join(f"coalesce({test}, false)" for _, test in tests)
    values = ", ".join(f"cast({sql_identifier(name)} as varchar)" for name, _ in tests)
    row = con.execute(
        f"select x_source_file, [{flags}], [{values}] from {table} {where} "
        f"and ({' or '.join(test for _, test in tests)}) limit 1"
    ).fetchone()
    if row is None:
        return
    source, flagged, shown = row
    index = flagged.index(True)
    name, typ = columns[index]
    label = (display or {}).get(name, name)
    value = shortened(shown[index])
    if typ.startswith("DECIMAL"):
        raise FinopsError(f"{files.uri_of(source)}: column {label} has a value too large for a bill: {value!r} "
                          f"(more than {MAX_DIGITS} digits before the decimal point)")
    raise FinopsError(f"{files.uri_of(source)}: column {label} has a date outside {EARLIEST} to {LATEST}: {value!r}")


def check_landed(
    con: duckdb.DuckDBPyConnection,
    landing: LandingTable,
    load_id: int,
    files: FileSet,
    *,
    expected_period: str | None = None,
    display: dict[str, str] | None = None,
) -> None:
    """Refuse a delivery with no rows, rows that cannot be placed in a period, or odd currencies."""
    t = landing
    display = display or {}
    where = f"from {t.table} where x_load_id = {load_id}"
    (rows,) = con.execute(f"select count(*) {where}").fetchone()
    if rows == 0:
        raise FinopsError(f"{files.label()}: no line items (the file has a header but no rows)")

    for column in (t.account, t.period_start, t.period_end, t.currency, t.total):
        bad = con.execute(f"select count(*), any_value(x_source_file) {where} and {column} is null").fetchone()
        if bad[0]:
            name = display.get(column, column.strip('"'))
            raise FinopsError(f"{files.uri_of(bad[1])}: {bad[0]} row(s) with no {name}")

    check_ranges(con, t.table, f"where x_load_id = {load_id}", files, display)

    known = ", ".join(sql_literal(c) for c in sorted(ISO_4217))
    bad = con.execute(
        f"select {t.currency}, x_source_file {where} and upper({t.currency}) not in ({known}) limit 1"
    ).fetchone()
    if bad:
        raise FinopsError(f"{files.uri_of(bad[1])}: unknown currency {bad[0]!r} (not an ISO 4217 code)")

    mixed = con.execute(
        f"select x_source_file, string_agg(distinct upper({t.currency}), ' and ' order by upper({t.currency})) {where} "
        f"group by x_source_file, {t.account} having count(distinct upper({t.currency})) > 1 limit 1"
    ).fetchone()
    if mixed:
        raise FinopsError(f"{files.uri_of(mixed[0])}: mixes currencies {mixed[1]} for one billing account (an account bills in one currency)")

    if expected_period:
        bad = con.execute(
            f"select {t.period_start}, x_source_file {where} and {t.period_start} <> cast(? as timestamp) limit 1",
            [expected_period],
        ).fetchone()
        if bad:
            raise FinopsError(
                f"{files.uri_of(bad[1])}: holds billing period {bad[0]:%Y-%m-%d} but its manifest is for {expected_period}"
            )
