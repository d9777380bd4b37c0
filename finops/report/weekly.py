"""The weekly HTML cost report: numbers from the ``report_*`` marts, laid out by Jinja2 templates.

Every figure is read from a SQL mart (see docs/report.md); the templates in ``reports/`` only format
and place them. The HTML is email-safe: table layout, CSS inlined at render time (css-inline), no
JavaScript, no external resources, bars drawn as table cells so Gmail and Outlook show them, and one
picture (twelve weeks of spend by workload, finops/report/chart.py): a ``cid:`` image part in the
email, a data URI in the saved file. Sections for idle GPUs and savings appear once a mart named
``idle_gpu*`` or ``savings*`` exists; a budget line once a ``budgets`` relation does. What the
reader sees is worded in finops/report/wording.py, never by table or column names.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import jinja2

from finops.config.report import ReportSettings
from finops.errors import FinopsError, UsageError
from finops.report import wording
from finops.report.chart import ChartData, draw
from finops.report.currency import report_currency
from finops.report.weeks import SourceData, utc_now
from finops.resources import resource_dir
from finops.warehouse.catalog import column_names, relation_kinds, relations
from finops.warehouse.connection import sql_identifier

OPTIONAL_SECTIONS = {"idle_gpus": "idle_gpu", "savings": "savings"}  # section: relation name prefix
TREND_WEEKS = 8
CHART_WEEKS = 12
CHART_CID = "spend-by-workload"
# how an optional mart's columns are shown: one label, the team, and up to MAX_FIGURES figures
LABEL_COLUMNS = ("resource_name", "workload_name", "resource_id", "name")
FIGURE_WORDS = ("idle_hours", "idle_share", "wasted", "saving", "coverage", "utili", "cost")
MAX_FIGURES = 4
# words a mart states for each row (savings_opportunities): what kind of saving, before the label, and
# how sure and why, after the figures, so a reader sees the reasoning beside the dollars
KIND_COLUMNS = ("kind",)
REASON_COLUMNS = ("confidence", "explanation", "rule")  # a column whose name ends in one of these

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
    "ai_models": "select * from report_ai_models where week = $week order by EffectiveCost desc, model limit $top",
    "ai_owners": """
        select team, application, currency, sum(EffectiveCost) as EffectiveCost from model_usage
        where strftime(day, '%G-W%V') = $week group by all order by EffectiveCost desc, team, application limit $top""",
    "anomalies": """
        select * from report_anomalies
        where week = $week and abs(deviation) >= $min_cost and (baseline = 0 or abs(deviation_share) >= $threshold)
        order by abs(deviation) desc, day, name limit $top""",
    "freshness": "select * from report_data_freshness order by provider, billing_account_id, shape",
    "unallocated": "select * from report_unallocated where week = $week order by EffectiveCost desc, resource_id limit $top",
    "unallocated_total": "select coalesce(sum(EffectiveCost), 0) as EffectiveCost, count(*) as resources "
                         "from report_unallocated where week = $week",
    "chart": f"""
        select week, name, EffectiveCost from report_breakdown
        where dimension = 'workload_type'
          and week in (select week from report_weekly_headline where week_start between
                       cast($week_start as date) - interval {7 * (CHART_WEEKS - 1)} day and cast($week_start as date))
        order by week, name""",
    "commitments": """
        select commitment, utilisation, unused_cost, term_end, expiring_soon from commitment_utilisation
        where grain = 'week' and period = $week and commitment_cost > 0
        order by unused_cost desc, commitment limit $top""",
}
# the month's budget lines, those in trouble first; only once [budgets] names any (budget_settings has rows)
BUDGETS_QUERY = """
    select * from budgets where month = strftime(cast($week_start as date) + interval 6 day, '%Y-%m')
    order by case status when 'over' then 0 when 'at risk' then 1 else 2 end, dimension <> 'total', dimension, name"""


@dataclass
class Report:
    """A rendered report: ``html`` is what `finops report` saves (its chart a data URI);
    `finops email` sends ``email_html``, whose chart is ``cid:`` of one of ``images``."""

    week: str
    subject: str
    html: str
    text: str
    email_html: str = ""
    images: dict[str, bytes] = field(default_factory=dict)  # Content-ID: PNG


def reads(relation: str) -> bool:
    """Whether the report reads ``relation``: what an engine that keeps its tables must hand back."""
    return relation.startswith(("report_", "budgets", "model_usage", "commitment_utilisation",
                                *OPTIONAL_SECTIONS.values()))


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
        data[name] = query_rows(con, sql, {k: params[k] for k in set(re.findall(r"\$(\w+)", sql))})
    now = utc_now(now)
    for row in data["freshness"]:
        source = SourceData(row["provider"], row["billing_account_id"], row["data_through"])
        row.update(hours_behind=source.hours_behind(now), is_stale=source.is_stale(now))
    data["as_of"] = now
    data["budgets"] = query_rows(con, BUDGETS_QUERY, {"week_start": params["week_start"]}) if "budgets" in relation_kinds(con) else []
    headline = data.pop("headline")
    data["headline"] = headline[0] if headline else None
    currency, data["fx_rates"] = report_currency(con, params["week_start"])
    data["currency"] = currency or "USD"  # no charges at all: say dollars
    data["breakdown"] = {
        dimension: [r for r in data["breakdown"] if r["dimension"] == dimension]
        for dimension in ("workload_type", "team", "provider")
    }
    for section, prefix in OPTIONAL_SECTIONS.items():
        tables = [_optional_section(con, name, comment, week, settings.top) for name, comment in _relations(con, prefix)]
        data[section] = sorted((t for t in tables if t), key=lambda t: ("suspected" in t["name"], t["name"]))
    data["unallocated_total"] = data["unallocated_total"][0]
    budgets = _monthly_budgets(con)
    data["budget"] = budgets.get((data["headline"] or {}).get("month"))
    weeks = [_iso_week(params["week_start"] - dt.timedelta(days=7 * k)) for k in reversed(range(CHART_WEEKS))]
    spend: dict[str, dict[str, Decimal]] = {}
    for row in data.pop("chart"):  # to the cent: a bar is drawn from it, and every engine agrees on cents
        spend.setdefault(row["week"], {})[row["name"]] = Decimal(row["EffectiveCost"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
    data["chart"] = ChartData(weeks, spend, _weekly_budgets(budgets, weeks))
    return data


def _iso_week(day: dt.date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def _monthly_budgets(con: duckdb.DuckDBPyConnection) -> dict[str, Decimal]:
    """The total budget per month ('2026-10': amount) from the budgets mart ([budgets] total of
    finops.toml); else nothing, and no budget line. Team or provider budgets are parts of the spend,
    so only the total one is drawn against the whole bar."""
    if not {"month", "budget", "dimension"} <= set(column_names(con, "budgets")):
        return {}
    rows = con.execute("select left(cast(month as varchar), 7), sum(budget) from budgets where dimension = 'total' "
                       "group by 1").fetchall()
    return {month: Decimal(total) for month, total in rows if total is not None}


def _weekly_budgets(monthly: dict[str, Decimal], weeks: list[str]) -> dict[str, Decimal]:
    """Each week's share of its month's budget (7 days of the month its Monday falls in)."""
    shares = {}
    for week in weeks:
        monday = week_start(week)
        if f"{monday:%Y-%m}" in monthly:
            days = (monday.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - monday.replace(day=1)
            shares[week] = monthly[f"{monday:%Y-%m}"] * 7 / days.days
    return shares


def render(con: duckdb.DuckDBPyConnection, week: str, settings: ReportSettings, *,
           now: dt.datetime | None = None, preliminary: bool = False) -> Report:
    """The report for ``week``: HTML with CSS inlined (chart as a data URI for the saved file, as
    ``cid:`` for the email), the plain-text alternative, the subject."""
    import css_inline

    data = report_data(con, week, settings, now=now, preliminary=preliminary)
    env = _environment(data["currency"])
    png = draw(data["chart"], wording.WORKLOAD_TYPES, lambda amount: money(amount, data["currency"], whole=True))
    data["chart_alt"] = chart_alt(data["chart"], data["currency"])

    def page(chart_src: str) -> str:
        return css_inline.inline(env.get_template("weekly.html.j2").render(**data, chart_src=chart_src))

    return Report(
        week=week,
        subject=" ".join(env.get_template("subject.txt.j2").render(**data).split()),  # one line, however the template wraps
        html=page("data:image/png;base64," + base64.b64encode(png).decode()),
        text=env.get_template("weekly.txt.j2").render(**data),
        email_html=page(f"cid:{CHART_CID}"),
        images={CHART_CID: png},
    )


def chart_alt(chart: ChartData, currency: str) -> str:
    """The chart in words, for readers who cannot see it: the weeks, this week's total and largest parts."""
    last = chart.weeks[-1]
    parts = sorted(chart.spend.get(last, {}).items(), key=lambda kv: -kv[1])[:3]
    total = sum(chart.spend.get(last, {}).values(), Decimal(0))
    text = (f"Spend per week from {chart.weeks[0]} to {last}, stacked by workload. {last}: {money(total, currency)}"
            + "".join(f", {wording.workload(name)} {money(cost, currency)}" for name, cost in parts) + ".")
    if last in chart.budget:
        text += f" Budget for the week: {money(chart.budget[last], currency)}."
    return text


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
    env.filters["rate"] = lambda value: rate(value, currency)
    env.filters["cell"] = lambda value, column: cell(value, column, currency)
    env.filters["workload"] = wording.workload
    env.filters["heading"] = wording.column
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


def rate(value: Decimal | None, currency: str = "USD") -> str:
    """A unit price: to the cent like any amount, but one under a cent keeps two significant digits
    ($0.0042 per 1,000 predictions), so a cheap rate never reads as $0.00."""
    if value is None or value == 0 or abs(value) >= Decimal("0.01"):
        return money(value, currency)
    places = Decimal(1).scaleb(Decimal(value).adjusted() - 1)
    digits = f"{abs(Decimal(value).quantize(places, rounding=ROUND_HALF_UP))}"
    sign = "-" if value < 0 else ""
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
        if "gpu_utilization" in name:  # measured in percent already (docs/metrics.md), not a share
            return f"{float(value):,.0f} %"
        if "share" in name or "utili" in name or "coverage" in name:
            return percent(value, signed=False)
        return number(value, 0 if isinstance(value, int) else 1)
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if name == "kind":
        return wording.savings_kind(str(value))
    if name == "workload_type":
        return wording.workload(str(value))
    return str(value)


def query_rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    """Each row of ``sql`` as a dict by column name, as the templates and the alerts read them."""
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _relations(con: duckdb.DuckDBPyConnection, prefix: str) -> list[tuple[str, str]]:
    """(name, comment) of the tables and views whose name starts with ``prefix``."""
    return [(name, comment) for name, _, comment in relations(con) if name.startswith(prefix)]


def _optional_section(con: duckdb.DuckDBPyConnection, name: str, comment: str, week: str, top: int) -> dict | None:
    """The week's rows of a weekly mart built by another part of finops (idle GPUs, savings), shown as
    they are, largest wasted or saved dollars first. Marts without a ``week`` column, or finer than a
    week (an ``hour`` or ``day`` column), are not report material: None."""
    columns = column_names(con, name)
    if "week" not in columns or {"hour", "day"} & set(columns):
        return None
    label = next((c for c in LABEL_COLUMNS if c in columns), next(c for c in columns if c != "week"))
    figures = [c for c in columns if c != label and any(word in c.lower() for word in FIGURE_WORDS)][:MAX_FIGURES]
    notes = [c for c in KIND_COLUMNS if c in columns and c != label] + \
        (["team"] if "team" in columns and label != "team" else [])
    reasons = [c for c in columns if c.endswith(REASON_COLUMNS) and c not in figures and c != label]
    ranked = [c for c in figures if any(word in c.lower() for word in ("wasted", "saving"))] or \
        [c for c in figures if "cost" in c.lower()]
    where = "week = $week" + (f" and {sql_identifier(ranked[0])} > 0" if ranked else "")
    # ties broken by name: the same rows, in the same order, on every run and engine
    order = f"order by {sql_identifier(ranked[0]) + ' desc, ' if ranked else ''}{sql_identifier(label)}"
    select = ", ".join(sql_identifier(c) for c in [label, *notes, *figures, *reasons])
    rows = query_rows(con, f"select {select} from {sql_identifier(name)} where {where} {order} limit {int(top)}", {"week": week})
    figure = sql_identifier(ranked[0]) if ranked else "null"
    (summary,) = query_rows(con, f"select sum({figure}) as total, count(*) as count from {sql_identifier(name)} where {where}",
                       {"week": week})
    title, description = wording.section(name, comment)
    return {"name": name, "title": title, "description": description, "label": label, "notes": notes,
            "figures": figures, "reasons": reasons, "rows": rows, **summary,
            "total_column": ranked[0] if ranked else None}
