"""Alerts beyond the email: `finops refresh` posts to the webhooks of ``[alerts]`` when a budget is at
risk or over, an anomaly above the major threshold appears, or a source's data is stale.

One message per event, and each event once per webhook: an event has a stable key (what, which
month or day, which line), and a posted one is recorded in ``alerts_sent`` before the next is
tried, so a rerun, or a run after a crash, posts only what was never accepted. Bodies are what
each receiver expects: Slack's incoming-webhook JSON, a Microsoft Teams Adaptive Card message
(Workflows and the older connectors both take it), or a generic JSON object for anything else.

A webhook URL is a secret, read from the environment variable ``url_env`` names; logs, errors
and ``alerts_sent`` name the webhook by its kind and that variable, never the URL. A post that
times out, cannot connect, or gets a 5xx or 429 is tried again (three tries, with a growing pause);
a 4xx is a wrong URL or body, so it is not.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from finops.config import Config
from finops.config.alerts import Webhook
from finops.errors import FinopsError
from finops.report.currency import report_currency
from finops.report.weekly import QUERIES, money, query_rows, week_start
from finops.report.weeks import last_complete_week, sources_data
from finops.warehouse.catalog import relation_kinds
from finops.warehouse.connection import transaction
from finops.warehouse.schema import ALERTS_SENT, create_table

ATTEMPTS = 3
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Event:
    key: str  # stable: the same event has the same key on every run
    title: str
    text: str


def events(con: duckdb.DuckDBPyConnection, config: Config, now: dt.datetime) -> list[Event]:
    """Everything worth an alert as of ``now``: budgets in trouble, major anomalies, stale sources."""
    return [*_budget_events(con), *_anomaly_events(con, config, now), *_stale_events(con, now)]


def post_alerts(con: duckdb.DuckDBPyConnection, config: Config, *, now: dt.datetime, log: Callable[[str], None] = print,
                backoff_seconds: float = 1.0) -> int:
    """Post each new event to each webhook; return how many posts were accepted. A webhook that
    fails is reported after the others were tried (its events stay unsent, for the next run)."""
    found = events(con, config, now)
    with transaction(con):
        create_table(con, ALERTS_SENT)
    sent = set(con.execute("select event, webhook from alerts_sent").fetchall())
    posted, problems = 0, []
    for webhook in config.alerts.webhooks:
        pending = [e for e in found if (e.key, webhook.name) not in sent]
        if not pending:
            continue
        url = os.environ.get(webhook.url_env, "").strip()
        if not url:
            problems.append(f"{webhook.name}: ${webhook.url_env} is not set, {len(pending)} alert(s) not posted")
            continue
        for event in pending:
            try:
                _post(url, body(webhook.kind, event), webhook, backoff_seconds)
            except FinopsError as exc:
                problems.append(str(exc))
                break  # the receiver is down or refuses: the rest wait for the next run
            with transaction(con):
                con.execute("insert into alerts_sent values (?, ?, ?, now()::timestamp)", [event.key, webhook.name, event.text])
            log(f"alert to {webhook.name}: {event.title}")
            posted += 1
    if problems:
        raise FinopsError(f"alerts: {'; '.join(problems)}")
    return posted


def body(kind: str, event: Event) -> dict:
    """The JSON a ``kind`` of webhook expects for ``event``."""
    if kind == "slack":
        return {"text": f"*{event.title}*\n{event.text}"}
    if kind == "teams":
        card = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.4",
                "body": [{"type": "TextBlock", "text": event.title, "weight": "Bolder", "size": "Medium", "wrap": True},
                         {"type": "TextBlock", "text": event.text, "wrap": True}]}
        return {"type": "message",
                "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}
    return {"source": "finops", "event": event.key, "title": event.title, "text": event.text}


def _post(url: str, payload: dict, webhook: Webhook, backoff_seconds: float) -> None:
    """POST ``payload``, tried up to ATTEMPTS times while the failure may be passing."""
    data = json.dumps(payload).encode()
    for attempt in range(1, ATTEMPTS + 1):
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/json", "User-Agent": "finops"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                response.read()
            return
        except urllib.error.HTTPError as exc:
            problem, passing = f"HTTP {exc.code} {exc.reason}", exc.code >= 500 or exc.code == 429
        except (urllib.error.URLError, OSError) as exc:  # never str(exc) of a request: it could hold the URL
            reason = getattr(exc, "reason", exc)
            problem, passing = f"{reason.__class__.__name__}: {getattr(reason, 'strerror', None) or reason}", True
        if not passing or attempt == ATTEMPTS:
            raise FinopsError(f"{webhook.name}: {problem} (after {attempt} tr{'ies' if attempt > 1 else 'y'})")
        time.sleep(backoff_seconds * 2 ** (attempt - 1))


def _budget_events(con: duckdb.DuckDBPyConnection) -> list[Event]:
    """Lines of the latest month that are at risk or over (a line going from at risk to over is a new event)."""
    if "budgets" not in relation_kinds(con):
        return []
    rows = con.execute("""
        select month, dimension, name, currency, month_to_date, forecast, budget, status, as_of_day from budgets
        where status <> 'on track' and month = (select max(month) from budgets)
        order by dimension, name""").fetchall()
    found = []
    for month, dimension, name, currency, to_date, forecast, budget, status, as_of in rows:
        label = "Total" if dimension == "total" else f"{dimension.replace('_', ' ')} {name}"
        title = f"Budget {'over' if status == 'over' else 'at risk'}: {label}, {month}"
        text = (f"{money(to_date, currency)} spent of {money(budget, currency)} through {as_of}; "
                f"forecast for the month {money(forecast, currency)}.")
        found.append(Event(f"budget:{month}:{dimension}:{name}:{status}", title, text))
    return found


def _anomaly_events(con: duckdb.DuckDBPyConnection, config: Config, now: dt.datetime) -> list[Event]:
    """The report's anomalies of the last complete week whose deviation is above [report] major_mover."""
    if "report_anomalies" not in relation_kinds(con):
        return []
    settings = config.report
    week = last_complete_week(now.date())
    params = {"week": week, "min_cost": settings.anomaly_min_cost, "threshold": settings.anomaly_threshold,
              "top": settings.top}
    found = []
    rows = [row for row in query_rows(con, QUERIES["anomalies"], params) if abs(row["deviation"]) > settings.major_mover]
    # in the report's one currency (a EUR bill's spike is not in dollars); mixed currencies are refused there
    currency = (report_currency(con, week_start(week))[0] or "USD") if rows else "USD"
    for row in rows:
        title = f"Cost anomaly: {row['name']} on {row['day']}"
        text = (f"{row['dimension']} {row['name']} spent {money(row['EffectiveCost'], currency)} on {row['day']} against a "
                f"usual {money(row['baseline'], currency)} a day ({money(row['deviation'], currency, signed=True)}), "
                f"week of {week_start(week)}.")
        found.append(Event(f"anomaly:{row['day']}:{row['dimension']}:{row['name']}", title, text))
    return found


def _stale_events(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> list[Event]:
    """Sources whose data is more than its usual delay and a day behind ``now``."""
    found = []
    for source in sources_data(con):
        if not source.is_stale(now):
            continue
        through = f"{source.data_through:%Y-%m-%d %H:%M}" if source.data_through else "none"
        title = f"Billing data is stale: {source.label}"
        text = (f"The {source.label} data ends {through} UTC, {source.hours_behind(now)} hours before "
                f"{now:%Y-%m-%d %H:%M} UTC (it is usually up to {source.expected_lag_hours} hours behind).")
        found.append(Event(f"stale:{source.provider}:{source.billing_account_id}:{through}", title, text))
    return found
