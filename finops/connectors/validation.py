"""Checks on freshly landed rows, run inside the load's transaction so a failure rolls it back."""

from __future__ import annotations

import duckdb

from finops.connectors.currencies import ISO_4217
from finops.connectors.readers import FileSet
from finops.errors import FinopsError
from finops.warehouse.connection import sql_literal
from finops.warehouse.loads import LandingTable


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
