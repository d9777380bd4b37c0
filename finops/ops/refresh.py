"""``finops refresh``: every configured source, then the models, the weekly report and the email.

Meant for cron. Each source is ingested in its own transaction (see connectors/pipeline.py), so one broken source
neither stops the others nor leaves half a delivery behind; a SIGKILL at any moment leaves the
previous complete data, and the next run loads what is missing (deliveries already loaded are
skipped). The models are rebuilt once, after the sources, only when something new was loaded or
they are behind the loads (``models.needs_build``). The report of the last complete week is written
when the models changed since it was written (or it is missing); the email goes once per week, remembered in
the ``sent_reports`` table, and only once the data of every source reaches the week's end (else exit 3,
:class:`DataIncomplete`, unless ``allow_partial`` sends it marked preliminary). Last, the alerts of
``[alerts]`` are posted (finops/ops/alerts.py).

A full disk or a read-only directory (:class:`StorageError`) stops the run at once: every later step
would fail the same way. A build that failed so after its sources committed is owed, and the next
run does it (``build_state`` remembers which loads the models were last built from).

The email is sent at most once, and never silently dropped: the intent to send (with the message's
Message-ID) is committed before the SMTP conversation, the confirmation after it. A send refused by
the server removes the intent, so the next run tries again; one it accepted for only some
recipients is recorded "partly sent" with the refused ones and never sent again; one whose outcome
is unknown (killed, or the connection lost after the message went out) stays "sending", and every
later run reports it instead of sending a second copy, until ``resend_unconfirmed`` sends it again
with the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from finops.config import Config, SourceSetting
from finops.connectors.pipeline import ingest
from finops.errors import DataIncomplete, FinopsError
from finops.models import builder as models
from finops.ops.check import run_checks
from finops.warehouse.connection import first_line, transaction
from finops.warehouse.schema import SENT_REPORTS, create_table
from finops.warehouse.storage import StorageError, write_text_atomically

if TYPE_CHECKING:
    from finops.report.weeks import SourceData

Log = Callable[[str], None]


@dataclass
class RefreshResult:
    loaded_rows: int = 0
    failed: list[str] = field(default_factory=list)  # one line per failed source or step
    report_path: Path | None = None
    emailed: list[str] = field(default_factory=list)
    storage_failed: bool = False  # a full disk or read-only directory: the run stopped there
    incomplete: bool = False  # the email was not sent: the data does not cover the week yet

    @property
    def exit_code(self) -> int:
        """0 ok, 74 the disk or directory needs attention, 1 any other failure, 3 only the week's data incomplete."""
        if self.storage_failed:
            return StorageError.exit_code
        if len(self.failed) > int(self.incomplete):
            return 1
        return DataIncomplete.exit_code if self.incomplete else 0


def refresh(con: duckdb.DuckDBPyConnection, config: Config, *, db: Path, email: bool = True,
            resend_unconfirmed: bool = False, allow_partial: bool = False, as_of: dt.datetime | None = None,
            log: Log = print, detail: Log | None = None) -> RefreshResult:
    """Run every step; failures are collected in the result (the caller exits with its exit_code).
    ``as_of`` is "now" (default: the clock): which week is the last complete one, how fresh data is."""
    from finops.report.weeks import utc_now

    result = RefreshResult()
    for source in config.sources:
        _step(result, f"source {source.name}", log, lambda s=source: _ingest(con, s, config, detail))
        if result.storage_failed:
            return result
    if result.loaded_rows or models.needs_build(con, config):
        _step(result, "build", log, lambda: _build(con, config))
        if result.storage_failed:
            return result
    now = utc_now(as_of)
    _report_and_email(con, config, db, now, result, log, email=email, resend_unconfirmed=resend_unconfirmed,
                      allow_partial=allow_partial)
    if config.alerts.webhooks and not result.storage_failed:
        _step(result, "alerts", log, lambda: _alerts(con, config, now, log))
    return result


def _report_and_email(con: duckdb.DuckDBPyConnection, config: Config, db: Path, now: dt.datetime, result: RefreshResult,
                      log: Log, *, email: bool, resend_unconfirmed: bool, allow_partial: bool) -> None:
    """Write the last complete week's report (kept when current) and email it once, if due."""
    from finops.report.weeks import behind, last_complete_week, sources_data

    week = last_complete_week(now.date())
    target = _report_target(config, db, week)
    if _report_current(con, target) and not (email and _email_due(con, config, week)):
        log(f"report {week}: {target} is current, kept")
        result.report_path = target
        return
    sources = sources_data(con)  # once: the banner and the send decision judge the same data
    partial = bool(behind(sources, week))
    report = _step(result, f"report {week}", log, lambda: _render(con, week, config, now, partial))
    if report is None:
        return
    if _step(result, f"write {target}", log, lambda: _write(target, report.html)):
        result.report_path = target
    if email:
        _step(result, f"email {week}", log,
              lambda: _email_once(con, config, report, result, resend_unconfirmed, allow_partial, sources))


def _step(result: RefreshResult, name: str, log: Log, action: Callable[[], object]) -> object:
    """Run one step, log one line with its rows and seconds, record a failure instead of raising."""
    started = time.monotonic()
    try:
        outcome = action()
    except (FinopsError, duckdb.Error, OSError) as exc:
        result.storage_failed |= isinstance(exc, StorageError)
        result.incomplete |= isinstance(exc, DataIncomplete)
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


def _ingest(con: duckdb.DuckDBPyConnection, source: SourceSetting, config: Config, detail: Log | None) -> int:
    """Load one source without building; return the rows (or metric samples) newly loaded."""
    results = ingest(con, source.kind, source.location, build=False, config=config, progress=detail,
                     endpoint_url=source.endpoint_url, resource=source.resource)
    return sum(r.rows for r in results if not r.skipped)


def _build(con: duckdb.DuckDBPyConnection, config: Config) -> int:
    with transaction(con):
        models.build(con, config=config)
    return int(con.execute("select count(*) from costs").fetchone()[0])


def _render(con: duckdb.DuckDBPyConnection, week: str, config: Config, now: dt.datetime, partial: bool):  # noqa: ANN202
    from finops.report.weekly import render  # jinja2 and css-inline: only when a report is due

    return render(con, week, config.report, now=now, preliminary=partial)


def _alerts(con: duckdb.DuckDBPyConnection, config: Config, now: dt.datetime, log: Log) -> str:
    from finops.ops.alerts import post_alerts

    posted = post_alerts(con, config, now=now, log=log)
    return f"{posted} posted"


def _report_target(config: Config, db: Path, week: str) -> Path:
    """Reports go to [refresh] report_dir, relative to the warehouse's directory."""
    directory = Path(config.refresh.report_dir)
    return (directory if directory.is_absolute() else db.parent / directory) / f"report-{week}.html"


def _report_current(con: duckdb.DuckDBPyConnection, target: Path) -> bool:
    """The week's report was written after the last build, so rendering it again changes nothing:
    a run with nothing new stays well under a second however large the warehouse."""
    built = models.last_built_at(con)
    return built is not None and target.exists() and dt.datetime.fromtimestamp(target.stat().st_mtime, dt.UTC).replace(tzinfo=None) > built


def _email_due(con: duckdb.DuckDBPyConnection, config: Config, week: str) -> bool:
    """Whether the email step has something to do for ``week``: send it, or report an unconfirmed send."""
    earlier = _send_record(con, week)
    return bool(config.email.to) and (earlier is None or earlier[0] not in ("sent", "partly sent"))


def _send_record(con: duckdb.DuckDBPyConnection, week: str) -> tuple | None:
    """(status, Message-ID, attempted at) of the week's send, if one was begun."""
    if not models.exists(con, "sent_reports"):
        return None
    return con.execute("select status, message_id, strftime(attempted_at, '%Y-%m-%d %H:%M') from sent_reports "
                       "where week = ?", [week]).fetchone()


def _write(target: Path, html: str) -> str:
    write_text_atomically(target, html, "the previous report is unchanged")
    return f"{len(html.encode()) // 1024} KB"


def _email_once(con: duckdb.DuckDBPyConnection, config: Config, report, result: RefreshResult,  # noqa: ANN001
                resend_unconfirmed: bool, allow_partial: bool, sources: list[SourceData]) -> str:
    """Send the week's report if [email] names recipients and it was not sent before.

    Never on doubtful data: not after a failed source or build, nor when the warehouse's totals or
    duplicates checks fail (a wrong total in Monday's email is worse than no email), nor before every
    source's data reaches the week's end (unless ``allow_partial``: then it says preliminary). At most
    once: see the module's docstring for the "sending" record."""
    from finops.report.mail import DeliveryUnknown, PartlyRefused, new_message_id, send_report
    from finops.report.weeks import require_covered

    settings = config.email
    if not settings.to:
        return "no [email] to, not sent"
    if result.failed:
        raise FinopsError("not sent: an earlier step failed")
    doubtful = [c for c in run_checks(con, []) if not c.ok]
    if doubtful:
        raise FinopsError(f"not sent: check {doubtful[0].name} failed: {doubtful[0].detail}")
    with transaction(con):  # each write commits on its own (the "sending" record must precede the send)
        create_table(con, SENT_REPORTS)  # or upgrade an older one
    earlier = _send_record(con, report.week)
    if earlier and earlier[0] == "sent":
        return "already sent"
    if earlier and earlier[0] == "partly sent":
        (refused,) = con.execute("select refused from sent_reports where week = ?", [report.week]).fetchone()
        return f"already sent, except to {', '.join(refused)} (refused by the server)"
    if earlier and not resend_unconfirmed:
        raise FinopsError(f"not sent again: the send begun {earlier[2]} UTC (Message-ID {earlier[1]}) was never "
                          "confirmed by the server, so it may have arrived; ask a recipient, then run "
                          "`finops refresh --resend-unconfirmed` to send it again")
    require_covered(sources, report.week, allow_partial=allow_partial)
    message_id = earlier[1] if earlier else new_message_id(settings.sender)
    with transaction(con):
        con.execute("insert or replace into sent_reports (week, recipients, subject, status, message_id, attempted_at) "
                    "values (?, ?, ?, 'sending', ?, now()::timestamp)", [report.week, list(settings.to), report.subject, message_id])
    try:
        recipients = send_report(report, settings, message_id=message_id)
    except DeliveryUnknown as exc:
        raise FinopsError(f"{exc}; not sent again without `finops refresh --resend-unconfirmed`") from None
    except PartlyRefused as exc:  # the accepted recipients have it: recorded, so they never get a second copy
        with transaction(con):
            con.execute("update sent_reports set status = 'partly sent', sent_at = now()::timestamp, refused = ? "
                        "where week = ?", [exc.refused, report.week])
        raise
    except FinopsError:
        with transaction(con):
            con.execute("delete from sent_reports where week = ?", [report.week])  # refused: the next run tries again
        raise
    with transaction(con):
        con.execute("update sent_reports set status = 'sent', sent_at = now()::timestamp, refused = []::varchar[] "
                    "where week = ?", [report.week])
    result.emailed = recipients
    return f"sent to {', '.join(recipients)}"
