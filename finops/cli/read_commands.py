"""Handlers of the commands that read the warehouse: query, status, schema, export, report, email, check, sql."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from finops.cli.context import Context
from finops.cli.output import csv_text, emit, json_text, print_table, table_text
from finops.errors import FinopsError, UsageError

if TYPE_CHECKING:
    from finops.warehouse.status import PeriodStatus


def query(ctx: Context) -> int:
    from finops.warehouse.catalog import relations
    from finops.warehouse.connection import first_line

    args = ctx.args
    if not args.sql and not args.list:
        raise UsageError("query: give the SQL to run, or --list")
    if args.format == "parquet" and not args.out:
        raise UsageError("query: --format parquet needs --out FILE")
    with ctx.connect(read_only=True) as con:
        if args.list:
            print_table(["name", "kind", "description"], relations(con), ctx.out)
            return 0
        try:
            if args.format == "parquet":
                _copy_parquet(con, args.sql.strip().rstrip(";"), Path(args.out))
                ctx.out.say(f"wrote {args.out}")
                return 0
            cursor = con.execute(args.sql)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            rows = cursor.fetchall() if columns else []
        except duckdb.Error as exc:
            raise FinopsError(f"query: {first_line(exc)}") from None
    if args.format == "csv":
        text = csv_text(columns, rows, raw=args.raw)
    elif args.format == "json":
        text = json_text(columns, rows)
    else:
        text = table_text(columns, rows)
    emit(text, args.out)
    return 0


def _copy_parquet(con: duckdb.DuckDBPyConnection, sql: str, target: Path) -> None:
    """DuckDB writes a temporary file beside the target, renamed when whole: a failed query or a
    full disk leaves no half file."""
    from finops.warehouse.connection import sql_literal
    from finops.warehouse.storage import storage_error

    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        con.execute(f"copy ({sql}) to {sql_literal(temporary)} (format parquet, compression zstd, use_tmp_file false)")
        os.replace(temporary, target)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        storage = storage_error(exc, "nothing was written")
        if storage is not None:  # name the file the user asked for, not the temporary one
            raise type(storage)(str(storage).replace(temporary, str(target))) from None
        raise


def status(ctx: Context) -> int:
    from finops.report.weeks import sources_data, utc_now
    from finops.warehouse.status import status as warehouse_status

    with ctx.connect(read_only=True) as con:
        periods = warehouse_status(con)
        sources = sources_data(con)
    if not periods:
        ctx.out.say("nothing loaded yet")
        return 0
    rows = [
        (
            p.provider,
            p.billing_account_id,
            f"{p.billing_period_start:%Y-%m-%d}" if p.shape == "gcp-export" else f"{p.billing_period_start:%Y-%m}",
            p.shape,
            p.rows,
            p.source_total,
            _reconciled(p),
            f"{p.loaded_at:%Y-%m-%d %H:%M}",
            p.source,
            p.note,
        )
        for p in periods
    ]
    print_table(["provider", "account", "period", "shape", "rows", "source total", "reconciled", "loaded (UTC)", "source", "note"],
                rows, ctx.out)
    now = utc_now()
    for source in sources:  # the data's own recency, as the report's Data freshness section and `finops check` judge it
        through = f"{source.data_through:%Y-%m-%d %H:%M} UTC, {source.hours_behind(now)} h behind" if source.data_through else "no charges"
        ctx.out.say(f"data of {source.label}: through {through}{' (stale)' if source.is_stale(now) else ''}")
    return 0


def _reconciled(p: PeriodStatus) -> str:
    """The status table's reconciled cell: yes, ignored (a FOCUS copy the native export shadows), or why not."""
    if p.reconciled:
        return "yes"
    if p.note and not p.counted_twice:
        return "ignored"
    return "not built" if p.billed_total is None else f"NO ({p.billed_total})"


def schema(ctx: Context) -> int:
    from finops.models.docs import schema_markdown

    text = schema_markdown()
    emit(text, ctx.args.out)
    if ctx.args.out:
        ctx.out.say(f"wrote {ctx.args.out}")
    return 0


def export_focus(ctx: Context) -> int:
    """FOCUS 1.4 without --dataset is a directory of dataset files; everything else one file."""
    from finops.report.export import export_focus as write_focus
    from finops.report.export import export_focus_datasets

    args = ctx.args
    with ctx.connect(read_only=True) as con:
        if args.focus_version == "1.4" and args.dataset is None:
            fmt = args.format or "parquet"
            for dataset, rows in export_focus_datasets(con, args.out, fmt=fmt).items():
                ctx.out.say(f"wrote {rows:,} rows to {Path(args.out) / f'{dataset}.{fmt}'}")
            return 0
        rows = write_focus(con, args.out, fmt=args.format, version=args.focus_version, dataset=args.dataset or "cost-and-usage")
    ctx.out.say(f"wrote {rows:,} rows to {args.out}")
    return 0


def _now(ctx: Context) -> dt.datetime:
    from finops.report.weeks import parse_as_of, utc_now

    return utc_now(parse_as_of(ctx.args.as_of))


def report(ctx: Context) -> int:
    """Any week may be written; one the data does not cover says so in a preliminary banner."""
    from finops.report.weekly import parse_week, render
    from finops.report.weeks import behind, default_week, sources_data
    from finops.warehouse.storage import write_text_atomically

    now = _now(ctx)
    with ctx.connect(read_only=True) as con:
        sources = sources_data(con)
        week = parse_week(ctx.args.week) if ctx.args.week else default_week(sources, now)
        target = Path(ctx.args.out or f"report-{week}.html")
        if target.parent != Path("") and not target.parent.is_dir():
            raise FinopsError(f"{target}: directory {target.parent} does not exist")
        weekly = render(con, week, ctx.config.report, now=now, preliminary=bool(behind(sources, week)))
    write_text_atomically(target, weekly.html)
    ctx.out.say(f"wrote {target} ({len(weekly.html.encode()) // 1024} KB): {weekly.subject}")
    return 0


def email(ctx: Context) -> int:
    """The last complete calendar week (or --week), sent only once the data covers it (else exit 3)."""
    from finops.report.mail import send_report
    from finops.report.weekly import parse_week, render
    from finops.report.weeks import last_complete_week, require_covered, sources_data

    now = _now(ctx)
    week = parse_week(ctx.args.week) if ctx.args.week else last_complete_week(now.date())
    with ctx.connect(read_only=True) as con:
        partial = require_covered(sources_data(con), week, allow_partial=ctx.args.allow_partial)
        weekly = render(con, week, ctx.config.report, now=now, preliminary=partial)
    recipients = send_report(weekly, ctx.config.email, ctx.args.to)
    ctx.out.say(f"sent \"{weekly.subject}\" to {', '.join(recipients)}")
    return 0


def check(ctx: Context) -> int:
    from finops.ops.check import run_checks

    with ctx.connect(read_only=True) as con:
        results = run_checks(con, ctx.config.sources, _now(ctx))
    if ctx.args.format == "json":
        print(json.dumps([{"check": r.name, "ok": r.ok, "detail": r.detail} for r in results], indent=1))
    else:
        print_table(["check", "result", "detail"], [(r.name, "ok" if r.ok else "FAILED", r.detail) for r in results], ctx.out)
    return 0 if all(r.ok for r in results) else 1


def sql(ctx: Context) -> int:
    from finops.engines.compile import compile_model, find_model

    print(compile_model(find_model(ctx.args.model), ctx.args.engine))
    return 0
