"""The weekly HTML cost report: numbers from the ``report_*`` marts, laid out by Jinja2 templates.

Every figure is read from a SQL mart (see docs/report.md); the templates in ``reports/`` only format
and place them. The HTML is email-safe: table layout, CSS inlined at render time (css-inline), no
JavaScript, no external resources, bars drawn as table cells so Gmail and Outlook show them.
Sections for idle GPUs and savings appear once a mart named ``idle_gpu*`` or ``savings*`` exists.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import jinja2

from finops.config.report import ReportSettings
from finops.errors import FinopsError, UsageError
from finops.report.weeks import SourceData, utc_now
from finops.resources import resource_dir
from finops.warehouse.catalog import relation_kinds
from finops.warehouse.connection import sql_identifier

OPTIONAL_SECTIONS = {"idle_gpus": "idle_gpu", "savings": "savings"}  # section: relation name prefix
TREND_WEEKS = 8
# how an optional mart's columns are shown: one label, the team, and up to MAX_FIGURES figures
LABEL_COLUMNS = ("resource_name", "workload_name", "resource_id", "name")
FIGURE_WORDS = ("idle_hours", "idle_share", "rule", "wasted", "saving", "coverage", "utili", "cost")
MAX_FIGURES = 4
# words a mart states for each row (savings_opportunities): what kind of saving, before the label, and
# how sure and why, after the figures, so a reader sees the reasoning beside the dollars
KIND_COLUMNS = ("kind",)
REASON_COLUMNS = ("confidence", "explanation")

QUERIES = {
    "headline": "select * from report_weekly_headline where week = $week",
    "trend": f"""
        select week, EffectiveCost,
               cast(round(100 * greatest(EffectiveCost, 0) / nullif(max(EffectiveCost) over (), 0)) as integer) as bar_percent
        from report_weekly_headline
        where week_start between cast($week_start as date) - interval {7 * (TREND_WEEKS - 1)} day and cast($week_start as date)
        order by week_start""",
    "breakdown": "select * from report_breakdown where week = $week order by dimension, EffectiveCost desc, name",
    "movers": """
        select *, case when abs(change) > $major then 'major' when abs(change) > $minor then 'minor' else 'watch' end as severity
        from report_top_movers where week = $week
        order by abs(change) desc, workload_name limit $top""",
    "training": "select * from report_training_jobs where week = $week order by EffectiveCost desc, training_job limit $top",
    "endpoints": "select * from report_endpoints where week = $week order by EffectiveCost desc, endpoint limit $top",
    "anomalies": """
        select * from report_anomalies
        where week = $week and abs(deviation) >= $min_cost and (baseline = 0 or abs(deviation_share) >= $threshold)
        order by abs(deviation) desc, day, name limit $top""",
    "freshness": "select * from report_data_freshness order by provider, billing_account_id, shape",
}
# the month's budget lines, those in trouble first; only once [budgets] names any (budget_settings has rows)
BUDGETS_QUERY = """
    select * from budgets where month = strftime(cast($week_start as date) + interval 6 day, '%Y-%m')
    order by case status when 'over' then 0 when 'at risk' then 1 else 2 end, dimension <> 'total', dimension, name"""


@dataclass
class Report:
    """A rendered report: what `finops report` saves and `finops email` sends."""

    week: str
    subject: str
    html: str
    text: str


def reads(relation: str) -> bool:
    """Whether the report reads ``relation``: what an engine that keeps its tables must hand back."""
    return relation.startswith(("report_", *OPTIONAL_SECTIONS.values()))


def parse_week(text: str) -> str:
    """Validate an ISO week such as 2026-W44 (a usage error otherwise)."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", text.strip())
    if not match:
        raise UsageError(f"--week {text}: expected an ISO week such as 2026-W44")
    try:
        dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise UsageError(f"--week {text}: year {match[1]} has no week {match[2]}") from None
    return f"{match[1]}-W{match[2]}"


def latest_week_with_data(con: duckdb.DuckDBPyConnection) -> str | None:
    """The last ISO week that has charges and that the loaded data covers to its end (for the demo)."""
    rows = con.execute(
        "select week from report_weekly_headline where is_complete and days_with_data > 0 "
        "order by week_start desc limit 1"
    ).fetchall()
    return rows[0][0] if rows else None


def week_start(week: str) -> dt.date:
    return dt.date.fromisocalendar(int(week[:4]), int(week[6:]), 1)


def report_data(con: duckdb.DuckDBPyConnection, week: str, settings: ReportSettings, *,
                now: dt.datetime | None = None, preliminary: bool = False) -> dict:
    """Every section's rows for ``week``, as dicts, straight from the marts; freshness as of ``now``
    (default: the clock); ``preliminary`` marks a week the data does not cover yet."""
    if not _relations(con, "report_weekly_headline"):
        raise FinopsError("the warehouse has no report marts yet: run `finops build`")
    params = {
        "week": week,
        "week_start": week_start(week),
        "major": settings.major_mover,
        "minor": settings.minor_mover,
        "min_cost": settings.anomaly_min_cost,
        "threshold": settings.anomaly_threshold,
        "top": settings.top,
    }
    data: dict = {"week": week, "week_start": params["week_start"], "settings": settings, "preliminary": preliminary}
    for name, sql in QUERIES.items():
        data[name] = _rows(con, sql, {k: params[k] for k in set(re.findall(r"\$(\w+)", sql))})
    now = utc_now(now)
    for row in data["freshness"]:
        source = SourceData(row["provider"], row["billing_account_id"], row["data_through"])
        row.update(hours_behind=source.hours_behind(now), is_stale=source.is_stale(now))
    data["as_of"] = now
    data["budgets"] = _rows(con, BUDGETS_QUERY, {"week_start": params["week_start"]}) if "budgets" in relation_kinds(con) else []
    headline = data.pop("headline")
    data["headline"] = headline[0] if headline else None
    data["currency"] = (data["headline"] or {}).get("currency") or "USD"  # no charges at all: say dollars
    data["breakdown"] = {
        dimension: [r for r in data["breakdown"] if r["dimension"] == dimension]
        for dimension in ("workload_type", "team", "provider")
    }
    for section, prefix in OPTIONAL_SECTIONS.items():
        tables = [_optional_section(con, name, comment, week, settings.top) for name, comment in _relations(con, prefix)]
        data[section] = sorted((t for t in tables if t), key=lambda t: ("suspected" in t["name"], t["name"]))
    return data


def render(con: duckdb.DuckDBPyConnection, week: str, settings: ReportSettings, *,
           now: dt.datetime | None = None, preliminary: bool = False) -> Report:
    """The report for ``week``: HTML with CSS inlined, the plain-text alternative, the subject."""
    import css_inline

    data = report_data(con, week, settings, now=now, preliminary=preliminary)
    env = _environment(data["currency"])
    html = css_inline.inline(env.get_template("weekly.html.j2").render(**data))
    text = env.get_template("weekly.txt.j2").render(**data)
    subject = " ".join(env.get_template("subject.txt.j2").render(**data).split())  # one line, however the template wraps
    return Report(week=week, subject=subject, html=html, text=text)


def _environment(currency: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("reports")),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda value, whole=False: money(value, currency, whole=whole)
    env.filters["signed_money"] = lambda value, whole=False: money(value, currency, whole=whole, signed=True)
    env.filters["percent"] = percent
    env.filters["number"] = number
    env.filters["cell"] = lambda value, column: cell(value, column, currency)
    return env


def money(value: Decimal | int | None, currency: str = "USD", *, whole: bool = False, signed: bool = False) -> str:
    """$12,345.67, -$1,234.56 (or +$ with signed), 1,234.56 EUR; whole=True rounds to dollars."""
    if value is None:
        return "n/a"
    amount = Decimal(value).quantize(Decimal(1) if whole else Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount == 0:
        amount = abs(amount)  # never "-$0.00"
    digits = f"{abs(amount):,}"
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${digits}" if currency == "USD" else f"{sign}{digits} {currency}"


def percent(share: float | Decimal | None, signed: bool = True) -> str:
    """A share as +8 % (whole percent; one decimal below 10 %); n/a when there is no base."""
    if share is None:
        return "n/a"
    value = float(share) * 100
    text = f"{value:+.1f}" if abs(value) < 10 else f"{value:+,.0f}"
    return (text if signed else text.lstrip("+")) + " %"


def number(value: Decimal | int | float | None, places: int = 1) -> str:
    return "n/a" if value is None else f"{float(value):,.{places}f}"


def cell(value: object, column: str, currency: str) -> str:
    """A value of an optional mart's column: money for *cost*/*dollars*/*savings*, shares as %."""
    name = column.lower()
    if value is None:
        return ""
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        if any(word in name for word in ("cost", "dollar", "saving", "wasted", "spend")):
            return money(Decimal(str(value)), currency)
        if "share" in name or "utili" in name or "coverage" in name:
            return percent(value, signed=False)
        return number(value, 0 if isinstance(value, int) else 1)
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _relations(con: duckdb.DuckDBPyConnection, prefix: str) -> list[tuple[str, str]]:
    """(name, comment) of the tables and views whose name starts with ``prefix``."""
    return con.execute(
        """
        select name, coalesce(comment, '') from (
            select table_name as name, comment from duckdb_tables() where schema_name = 'main'
            union all
            select view_name, comment from duckdb_views() where schema_name = 'main' and not internal
        ) where starts_with(name, $prefix) order by name
        """,
        {"prefix": prefix},
    ).fetchall()


def _optional_section(con: duckdb.DuckDBPyConnection, name: str, comment: str, week: str, top: int) -> dict | None:
    """The week's rows of a weekly mart built by another part of finops (idle GPUs, savings), shown as
    they are, largest wasted or saved dollars first. Marts without a ``week`` column, or finer than a
    week (an ``hour`` or ``day`` column), are not report material: None."""
    columns = [c for (c,) in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'main' and table_name = ? order by column_index",
        [name]).fetchall()]
    if "week" not in columns or {"hour", "day"} & set(columns):
        return None
    label = next((c for c in LABEL_COLUMNS if c in columns), next(c for c in columns if c != "week"))
    figures = [c for c in columns if c != label and any(word in c.lower() for word in FIGURE_WORDS)][:MAX_FIGURES]
    shown = [c for c in KIND_COLUMNS if c in columns and c != label] + [label] + \
        (["team"] if "team" in columns and label != "team" else []) + figures + \
        [c for c in REASON_COLUMNS if c in columns and c not in figures]
    ranked = [c for c in figures if any(word in c.lower() for word in ("wasted", "saving"))] or \
        [c for c in figures if "cost" in c.lower()]
    where = "week = $week" + (f" and {sql_identifier(ranked[0])} > 0" if ranked else "")
    # ties broken by name: the same rows, in the same order, on every run and engine
    order = f"order by {sql_identifier(ranked[0]) + ' desc, ' if ranked else ''}{sql_identifier(label)}"
    select = ", ".join(sql_identifier(c) for c in shown)
    rows = con.execute(
        f"select {select} from {sql_identifier(name)} where {where} {order} limit {int(top)}", {"week": week}
    ).fetchall()
    return {"name": name, "description": comment, "columns": shown, "rows": rows}
