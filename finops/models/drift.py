"""Drift: does ``allocated_costs``, built incrementally, still equal what a full rebuild gives?

Every build records a cheap checksum of ``allocated_costs`` per provider, billing account, billing
period and currency (rows, EffectiveCost and BilledCost) in ``build_checksums``. ``finops check``
recomputes a sample of those periods from the landing tables alone (the models' own SQL over just
those periods' loads, as the incremental build does) and reports each that differs, so a wrong
incremental build is caught by cron before Monday's email, without a full rebuild every night.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from finops.models.project import load_models
from finops.models.scope import load_state, scoped_to
from finops.warehouse.catalog import exists
from finops.warehouse.columns.cur import MONEY
from finops.warehouse.schema import BUILD_CHECKSUMS, create_table
from finops.warehouse.sql import sql_literal

MODEL = "allocated_costs"
_KEY = ("provider", "billing_account_id", "billing_period_start", "currency")


def _checksum_sql(relation: str, where: str = "") -> str:
    """The checksum of ``relation`` (allocated_costs' columns), one row per key of build_checksums."""
    return (
        "select ProviderName as provider, BillingAccountId as billing_account_id, "
        "BillingPeriodStart as billing_period_start, BillingCurrency as currency, count(*) as row_count, "
        f"cast(sum(EffectiveCost) as {MONEY}) as effective_cost, cast(sum(BilledCost) as {MONEY}) as billed_cost "
        f"from {relation} {where} group by all"
    )


def record_checksums(con: duckdb.DuckDBPyConnection) -> None:
    """Replace build_checksums with the checksum of allocated_costs as this build left it."""
    if not exists(con, MODEL):
        return
    create_table(con, BUILD_CHECKSUMS)
    con.execute("delete from build_checksums")
    con.execute(
        f"insert into build_checksums ({', '.join(_KEY)}, row_count, effective_cost, billed_cost, built_at) "
        f"select *, now()::timestamp from ({_checksum_sql(MODEL)})"
    )


@dataclass(frozen=True)
class Drift:
    """One period whose recorded checksum differs from a fresh computation."""

    provider: str
    billing_account_id: str
    billing_period_start: dt.datetime
    currency: str | None
    incremental: tuple[int, Decimal, Decimal]  # rows, EffectiveCost, BilledCost (zeros: no rows)
    full: tuple[int, Decimal, Decimal]

    def __str__(self) -> str:
        inc, full = self.incremental, self.full
        if inc[2] != full[2]:
            what = f"{inc[2]:,.2f} vs full {full[2]:,.2f}"
        elif inc[1] != full[1]:
            what = f"effective cost {inc[1]:,.2f} vs full {full[1]:,.2f}"
        else:
            what = f"{inc[0]:,} rows vs full {full[0]:,}"
        return (f"{self.billing_period_start:%Y-%m} of {self.billing_account_id} ({self.provider}, "
                f"{self.currency or 'no currency'}): incremental {what}")


def sample_periods(con: duckdb.DuckDBPyConnection, recent: int = 3, random: int = 2) -> list[tuple]:
    """(provider, account, period start) of the ``recent`` recorded periods whose loads changed last,
    and ``random`` others: a restatement is where an incremental build can go wrong, and a random
    pick keeps every period in reach over many nights."""
    ranked = """
        select recorded.provider, recorded.billing_account_id, recorded.billing_period_start,
               row_number() over (order by max(loads.loaded_at) desc nulls last, recorded.billing_period_start desc,
                                  recorded.billing_account_id, recorded.provider) as recency
        from (select distinct provider, billing_account_id, billing_period_start from build_checksums) as recorded
        left join loads
            on loads.billing_account_id = recorded.billing_account_id
           and loads.billing_period_start >= recorded.billing_period_start - interval 1 day
           and loads.billing_period_start < recorded.billing_period_start + interval 1 month + interval 1 day
        group by recorded.provider, recorded.billing_account_id, recorded.billing_period_start
    """
    return con.execute(
        f"""
        with ranked as ({ranked})
        (select provider, billing_account_id, billing_period_start from ranked where recency <= ?)
        union all
        (select provider, billing_account_id, billing_period_start from ranked where recency > ? order by random() limit ?)
        """,
        [recent, recent, random],
    ).fetchall()


def find_drift(con: duckdb.DuckDBPyConnection, periods: list[tuple]) -> list[Drift]:
    """The ``periods`` (from :func:`sample_periods`) whose recorded checksum is not what the models
    compute now from the landing tables, by provider, account, period and currency."""
    if not periods:
        return []
    keys = ", ".join(f"({sql_literal(p)}, {sql_literal(a)}, timestamp {sql_literal(str(s))})" for p, a, s in periods)
    where = f"where (provider, billing_account_id, billing_period_start) in ({keys})"
    recorded = _by_key(con.execute(f"select * exclude (built_at) from build_checksums {where}").fetchall())
    full = _by_key(_fresh(con, keys, where))
    return [
        Drift(*key, recorded.get(key, (0, Decimal(0), Decimal(0))), full.get(key, (0, Decimal(0), Decimal(0))))
        for key in sorted(recorded.keys() | full.keys(), key=repr)
        if recorded.get(key) != full.get(key)
    ]


def _fresh(con: duckdb.DuckDBPyConnection, keys: str, where: str) -> list[tuple]:
    """The checksum of ``keys`` periods computed from scratch: the model's SQL over every load with
    rows in the landing tables in the account around those periods (GCP loads by usage day)."""
    (loads,) = con.execute(
        f"""
        select string_agg(distinct loads.load_id::varchar, ', ')
        from loads join (select * from (values {keys}) as s(provider, account, start)) as sample
            on loads.billing_account_id = sample.account
           and loads.billing_period_start >= sample.start - interval 1 day
           and loads.billing_period_start < sample.start + interval 1 month + interval 1 day
        where loads.load_id in (select load_id from ({load_state(con)}) where landed_rows > 0)
        """
    ).fetchone()
    if not loads:
        return []
    (model,) = [m for m in load_models() if m.name == MODEL]
    with scoped_to(con, loads, {}):
        return con.execute(
            f"select * from ({_checksum_sql(f'({model.sql}) as fresh')}) {where}"
        ).fetchall()


def _by_key(rows: list[tuple]) -> dict[tuple, tuple]:
    return {tuple(row[:4]): (row[4], row[5], row[6]) for row in rows}
