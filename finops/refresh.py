"""``finops refresh``: every configured source, then the models, the weekly report and the email.

Meant for cron. Each source is ingested in its own transaction (see ingest.py), so one broken source
neither stops the others nor leaves half a delivery behind; a SIGKILL at any moment leaves the
previous complete data, and the next run loads what is missing (deliveries already loaded are
skipped). The models are rebuilt once, after the sources, only when something new was loaded. The
report of the last complete week is written every run; the email goes once per week, remembered in
the ``sent_reports`` table.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import models
from .check import has_costs, run_checks
from .errors import FinopsError
from .refresh_config import Config, SourceSetting
from .warehouse import first_line, sql_literal, transaction

Log = Callable[[str], None]

SENT_DDL = """
create table if not exists sent_reports (
    week       varchar primary key,
    sent_at    timestamp not null,
    recipients varchar[] not null,
    subject    varchar not null
)
"""
SENT_COMMENTS = {
    "": "One row per weekly report emailed by `finops refresh`, so each week is sent once.",
    "week": "ISO week of the report, e.g. 2026-W44.",
    "sent_at": "When it was sent (UTC).",
    "recipients": "Addresses it went to.",
    "subject": "The email's subject line.",
}


@dataclass
class RefreshResult:
    loaded_rows: int = 0
    failed: list[str] = field(default_factory=list)  # one line per failed source or step
    report_path: Path | None = None
    emailed: list[str] = field(default_factory=list)


def refresh(con: duckdb.DuckDBPyConnection, config: Config, *, db: Path, email: bool = True,
            today: dt.date | None = None, log: Log = print, detail: Log | None = None) -> RefreshResult:
    """Run every step; failures are collected in the result (the caller exits 1), never raised."""
    result = RefreshResult()
    for source in config.sources:
        _step(result, f"source {source.name}", log, lambda s=source: _ingest(con, s, detail))
    if result.loaded_rows or not has_costs(con):
        _step(result, "build", log, lambda: _build(con))
    week = _last_complete_week(today or dt.datetime.now(dt.UTC).date())
    report = _step(result, f"report {week}", log, lambda: _render(con, week))
    if report is None:
        return result
    target = _report_target(config, db, week)
    if _step(result, f"write {target}", log, lambda: _write(target, report.html)):
        result.report_path = target
    if email:
        _step(result, f"email {week}", log, lambda: _email_once(con, config, report, result))
    return result


def _step(result: RefreshResult, name: str, log: Log, action: Callable[[], object]) -> object:
    """Run one step, log one line with its rows and seconds, record a failure instead of raising."""
    started = time.monotonic()
    try:
        outcome = action()
    except (FinopsError, duckdb.Error, OSError) as exc:
        message = first_line(exc) if isinstance(exc, duckdb.Error) else str(exc)
        result.failed.append(f"{name}: {message}")
        log(f"{name}: FAILED after {time.monotonic() - started:.1f}s: {message}")
        return None
    rows = outcome if isinstance(outcome, int) else None
    note = f"{rows:,} rows, " if rows is not None else f"{outcome}, " if isinstance(outcome, str) else ""
    log(f"{name}: {note}{time.monotonic() - started:.1f}s")
    if name.startswith("source ") and rows:
        result.loaded_rows += rows
    return outcome


def _ingest(con: duckdb.DuckDBPyConnection, source: SourceSetting, detail: Log | None) -> int:
    """Load one source without building; return the rows (or metric samples) newly loaded."""
    from .gcp import ingest_gcp
    from .ingest import ingest_aws, ingest_focus
    from .metrics import ingest_metrics

    if source.kind == "metrics":
        loads = ingest_metrics(con, [source.location], resource=source.resource, endpoint_url=source.endpoint_url,
                               build=False, progress=detail)
        return sum(m.samples for m in loads)
    if source.kind == "gcp":
        results = ingest_gcp(con, source.location, build=False, progress=detail)
    else:
        ingest = ingest_aws if source.kind == "aws" else ingest_focus
        results = ingest(con, source.location, endpoint_url=source.endpoint_url, build=False, progress=detail)
    return sum(p.rows for r in results if not r.skipped for p in r.periods)


def _build(con: duckdb.DuckDBPyConnection) -> int:
    with transaction(con):
        models.build(con)
    return int(con.execute("select count(*) from costs").fetchone()[0])


def _last_complete_week(today: dt.date) -> str:
    from .report import last_complete_week

    return last_complete_week(today)


def _render(con: duckdb.DuckDBPyConnection, week: str):  # noqa: ANN202
    from .report import render
    from .report_config import load_report_settings

    return render(con, week, load_report_settings())


def _report_target(config: Config, db: Path, week: str) -> Path:
    """Reports go to [refresh] report_dir, relative to the warehouse's directory."""
    directory = Path(config.refresh.report_dir)
    return (directory if directory.is_absolute() else db.parent / directory) / f"report-{week}.html"


def _write(target: Path, html: str) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return f"{len(html.encode()) // 1024} KB"


def _email_once(con: duckdb.DuckDBPyConnection, config: Config, report, result: RefreshResult) -> str:  # noqa: ANN001
    """Send the week's report if [email] names recipients and it was not sent before.

    Never on doubtful data: not after a failed source or build, nor when the warehouse's totals or
    duplicates checks fail (a wrong total in Monday's email is worse than no email)."""
    from .mail import send_report
    from .report_config import load_email_settings

    settings = load_email_settings(config.path) if config.path else load_email_settings()
    if not settings.to:
        return "no [email] to, not sent"
    if result.failed:
        raise FinopsError("not sent: an earlier step failed")
    doubtful = [c for c in run_checks(con, []) if not c.ok]
    if doubtful:
        raise FinopsError(f"not sent: check {doubtful[0].name} failed: {doubtful[0].detail}")
    con.execute(SENT_DDL)
    for column, text in SENT_COMMENTS.items():
        target = "table sent_reports" if not column else f"column sent_reports.{column}"
        con.execute(f"comment on {target} is {sql_literal(text)}")
    if con.execute("select count(*) from sent_reports where week = ?", [report.week]).fetchone()[0]:
        return "already sent"
    recipients = send_report(report, settings)
    con.execute("insert into sent_reports values (?, now()::timestamp, ?, ?)", [report.week, recipients, report.subject])
    result.emailed = recipients
    return f"sent to {', '.join(recipients)}"
