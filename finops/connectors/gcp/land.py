"""Landing the Cloud Billing export in ``raw_gcp_billing``: find the changed days, insert them, check them.

Google keeps adding rows for past days and corrects by adding rows, and the export has no row key.
So the unit of loading is the usage day (UTC) of one billing account: each day remembers the
largest ``export_time`` it was loaded with (in ``loads.delivery_id``), and an ingest replaces, in
one transaction, every day whose source holds a newer ``export_time``. A source with nothing newer
costs one small aggregate query and changes nothing.
"""

from __future__ import annotations

import duckdb

from finops.connectors.currencies import ISO_4217
from finops.connectors.gcp.files import diagnose
from finops.connectors.gcp.normalise import ExportInput, locate, normalised
from finops.connectors.readers import FileSet
from finops.connectors.registry import Delivery, Landed, Progress
from finops.connectors.validation import check_ranges
from finops.errors import FinopsError
from finops.warehouse.columns.gcp import FIELDS, KIND_TYPES
from finops.warehouse.connection import first_line, next_load_id, sql_literal
from finops.warehouse.loads import GCP_EXPORT, LoadResult

SHAPE = "gcp-export"
PROVIDER = "Google Cloud"
DELIVERY_PREFIX = "export_time:"


def loaded_days(con: duckdb.DuckDBPyConnection) -> str:
    """SQL for the current state: per billing account and usage day, the export_time loaded."""
    return (
        f"select billing_account_id, billing_period_start as usage_day, "
        f"max(cast(substr(delivery_id, {len(DELIVERY_PREFIX) + 1}) as timestamp)) as loaded_export_time "
        f"from loads where shape = '{SHAPE}' and replaced_by is null group by all"
    )


def changed_days(con: duckdb.DuckDBPyConnection, source_days: str, *, force: bool = False) -> int:
    """Fill temp table _gcp_changed with the days whose source export_time is newer (every day of
    the source when ``force``); return how many."""
    base = next_load_id(con)
    con.execute(
        f"""
        create or replace temp table _gcp_changed as
        select s.billing_account_id, s.usage_day, s.max_export_time,
               {base} + row_number() over (order by s.billing_account_id, s.usage_day) - 1 as load_id
        from ({source_days}) s
        left join ({loaded_days(con)}) l
          on l.billing_account_id = s.billing_account_id and l.usage_day = s.usage_day
        where {'true or' if force else ''} l.loaded_export_time is null or s.max_export_time > l.loaded_export_time
           or s.billing_account_id is null or s.usage_day is null or s.max_export_time is null
        """
    )
    return con.execute("select count(*) from _gcp_changed").fetchall()[0][0]


def _source_days_sql(inputs: list[ExportInput]) -> str:
    return " union all ".join(
        f"select billing_account_id, usage_day, max(export_time) as max_export_time "
        f"from ({normalised(i)}) group by all"
        for i in inputs
    )


def land_files(con: duckdb.DuckDBPyConnection, inputs: list[ExportInput], label: str, progress: Progress | None,
               *, force: bool = False) -> Landed:
    """Insert the rows of every day the files hold a newer export_time for (none: nothing new;
    every day when ``force``)."""
    days = f"select billing_account_id, usage_day, max(max_export_time) as max_export_time from ({_source_days_sql(inputs)}) group by all"
    try:
        changed = changed_days(con, days, force=force)
    except duckdb.ConversionException as exc:
        raise _bad_value(inputs, exc) from None
    except duckdb.Error as exc:
        raise diagnose(inputs[0].files, exc) from None
    if changed == 0:
        return Landed(SHAPE, landing=GCP_EXPORT)
    if progress:
        progress(f"loading {changed} day(s) from {label}")
    return land_changed(con, inputs)


def check(con: duckdb.DuckDBPyConnection, delivery: Delivery, landed: Landed) -> None:
    """Refuse rows that cannot be placed, priced or reconciled: one line, naming the file."""
    files = landed.files
    where = f"from raw_gcp_billing where x_load_id between {landed.loads[0][0]} and {landed.loads[-1][0]}"
    needs = {
        "billing_account_id": "billing_account_id", "usage_start_time": "usage_start_time",
        "usage_end_time": "usage_end_time", "export_time": "export_time", "cost": "cost",
        "currency": "currency", "credits": "credits field", "invoice_month": "invoice.month",
    }
    for column, shown in needs.items():
        n, f = con.execute(f"select count(*), any_value(x_source_file) {where} and {column} is null").fetchone()
        if n:
            if column == "billing_account_id" and con.execute(f"select count(*) = count(*) filter (cost is null) {where}").fetchone()[0]:
                raise FinopsError(f"{files.uri_of(f)}: not a Cloud Billing export (no billing_account_id or cost in any row)")
            raise FinopsError(f"{files.uri_of(f)}: {n} row(s) with no {shown}")
    check_ranges(con, "raw_gcp_billing", where.removeprefix("from raw_gcp_billing "), files)
    bad = con.execute(f"select invoice_month, x_source_file {where} and not regexp_full_match(invoice_month, '\\d{{6}}') limit 1").fetchone()
    if bad:
        raise FinopsError(f"{files.uri_of(bad[1])}: invoice.month {bad[0]!r} is not YYYYMM")
    # per file, and across the files of one billing account and day (a billing account bills in one currency)
    mixed = con.execute(
        f"select string_agg(distinct x_source_file, ', '), string_agg(distinct currency, ', ' order by currency) {where} "
        f"group by billing_account_id, cast(usage_start_time as date) having count(distinct currency) > 1 limit 1"
    ).fetchone()
    if mixed:
        named = [files.uri_of(f) for f in mixed[0].split(", ")]
        verb = "mixes" if len(named) == 1 else "mix"
        raise FinopsError(f"{' and '.join(named)}: {verb} currencies {mixed[1]} for one billing account and day (an account bills in one currency)")
    known = ", ".join(sql_literal(c) for c in sorted(ISO_4217))
    bad = con.execute(f"select currency, x_source_file {where} and upper(currency) not in ({known}) limit 1").fetchone()
    if bad:
        raise FinopsError(f"{files.uri_of(bad[1])}: unknown currency {bad[0]!r} (not an ISO 4217 code)")


def _bad_value(inputs: list[ExportInput], exc: duckdb.Error) -> FinopsError:
    """After a failed cast: which field, which value, which file (scratch connection)."""
    scratch = duckdb.connect()
    scratch.execute("set TimeZone = 'UTC'")
    for source in inputs:
        if source.files.fmt == "avro":
            continue
        for path, kind in FIELDS.values():
            found = locate(source.types, path)
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


def land_changed(con: duckdb.DuckDBPyConnection, inputs: list[ExportInput]) -> Landed:
    """Insert the rows of the days in _gcp_changed, one load per day, tagged with its export_time."""
    for source in inputs:
        try:
            con.execute(
                f"""
                insert into raw_gcp_billing by name
                select n.* exclude (x_source_file), c.load_id as x_load_id, n.x_source_file
                from ({normalised(source)}) n
                join _gcp_changed c
                  on c.billing_account_id is not distinct from n.billing_account_id
                 and c.usage_day is not distinct from n.usage_day
                """
            )
        except duckdb.ConversionException as exc:
            raise _bad_value([source], exc) from None
        except duckdb.Error as exc:
            raise diagnose(source.files, exc) from None
    loads = con.execute("select load_id, max_export_time from _gcp_changed order by load_id").fetchall()
    con.execute("drop table _gcp_changed")
    files = FileSet(
        tuple(p for i in inputs for p in i.files.paths), tuple(u for i in inputs for u in i.files.uris), inputs[0].files.fmt
    )
    return Landed(SHAPE, GCP_EXPORT, [(load_id, f"{DELIVERY_PREFIX}{at.isoformat(sep=' ')}") for load_id, at in loads], files)


def describe_days(result: LoadResult) -> list[str]:
    """GCP loads by usage day, so one line per billing account: how many days, which, their total."""
    lines = []
    for account in sorted({p.account for p in result.periods}):
        days = sorted(p.start for p in result.periods if p.account == account)
        total = sum(p.total for p in result.periods if p.account == account)
        rows = sum(p.rows for p in result.periods if p.account == account)
        span = f"{days[0]:%Y-%m-%d}" + (f" to {days[-1]:%Y-%m-%d}" if len(days) > 1 else "")
        lines.append(f"loaded {result.source}: {PROVIDER} {account} {len(days)} day(s) {span}, {rows:,} rows, {total:,.2f} billed")
    return lines
