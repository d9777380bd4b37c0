"""The one currency the weekly report adds its amounts in, and the exchange rates it used.

Bills in different currencies are never summed: ``workload_costs`` converts each month's amounts
to the ``[currency]`` presentation currency where ``fx_rates`` has that month's rate, and leaves
the rest in their own currency. A report over amounts left in more than one currency would add
euros to dollars, so it is refused with an error that names the currencies and months to add."""

from __future__ import annotations

import datetime as dt

import duckdb

from finops.errors import FinopsError
from finops.warehouse.catalog import exists

DOCS = "docs/report.md, 'Currencies'"


def report_currency(con: duckdb.DuckDBPyConnection, week_start: dt.date) -> tuple[str | None, list[dict]]:
    """The currency of every amount in the report (None: no charges yet) and the rates used in the
    months ``week_start``'s week touches; a FinopsError when amounts are in several currencies."""
    # the headline mart lists the currencies left after conversion, and is read back from other engines too
    (listed,) = con.execute("select max(currency) from report_weekly_headline").fetchone()
    currencies = sorted(listed.split(", ")) if listed else []
    if len(currencies) > 1:
        (presentation, missing) = con.execute(
            """select max(presentation_currency), (
                   select string_agg(distinct currency || ' in ' || strftime(day, '%Y-%m'), ', ')
                   from workload_costs
                   where currency <> coalesce((select max(presentation_currency) from fx_rates), '')
               ) from fx_rates"""
        ).fetchone()
        need = f"rates to {presentation} for {missing}" if presentation else "a presentation currency and monthly rates"
        raise FinopsError(f"costs hold {' and '.join(currencies)}; add [currency] {need} to finops.toml, see {DOCS}")
    if not exists(con, "fx_rates"):  # marts read back from another engine (finops build --engine ... --db) carry no rates
        return (currencies[0] if currencies else None), []
    months = {week_start.replace(day=1), (week_start + dt.timedelta(days=6)).replace(day=1)}
    rates = [
        {"month": month, "currency": code, "rate": rate, "presentation_currency": presentation, "source": source}
        for month, code, rate, presentation, source in con.execute(
            "select month, currency, rate, presentation_currency, source from fx_rates "
            "where month in (select unnest(?)) and currency in (select distinct BillingCurrency from costs) order by 1, 2",
            [sorted(months)],
        ).fetchall()
    ]
    return (currencies[0] if currencies else None), rates
