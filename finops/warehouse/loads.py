"""Restatement-safe loading: a delivery replaces whole billing periods, recorded in ``loads``.

A provider re-delivers a complete, cumulative copy of a billing period each time it restates it, so
the only correct load is to replace that period as a unit. The caller inserts the new rows tagged
with a fresh ``x_load_id`` inside a transaction; :func:`replace_periods` then removes every older
row of the same (provider, account, period) and records the load. A crash or error before the
commit leaves the previous copy in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import duckdb

from finops.warehouse.connection import sql_identifier


@dataclass(frozen=True)
class LandingTable:
    """How a landing table names the columns that identify and total a billing period."""

    table: str
    provider: str  # SQL expression
    account: str
    period_start: str
    period_end: str
    total: str
    currency: str


AWS_CUR = LandingTable(
    "raw_aws_cur",
    provider="'AWS'",
    account="bill_payer_account_id",
    period_start="bill_billing_period_start_date",
    period_end="bill_billing_period_end_date",
    total="line_item_unblended_cost",
    currency="line_item_currency_code",
)

FOCUS = LandingTable(
    "raw_focus",
    provider='"ProviderName"',
    account='"BillingAccountId"',
    period_start='"BillingPeriodStart"',
    period_end='"BillingPeriodEnd"',
    total='"BilledCost"',
    currency='"BillingCurrency"',
)

FOCUS_CONTRACT_COMMITMENTS = LandingTable(
    # a commitment period of a contract is the unit a Contract Commitment file restates
    "raw_focus_contract_commitments",
    provider='coalesce("ServiceProviderName", "InvoiceIssuerName", \'unknown\')',
    account='"ContractId"',
    period_start='"ContractCommitmentPeriodStart"',
    period_end='"ContractCommitmentPeriodEnd"',
    total='coalesce("ContractCommitmentCost", 0)',
    currency='"BillingCurrency"',
)


@dataclass(frozen=True)
class PeriodLoad:
    """One billing period a delivery replaced."""

    provider: str
    account: str
    start: datetime
    rows: int
    total: Decimal


@dataclass
class LoadResult:
    """What one delivery did to the warehouse, for the command's summary and for tests."""

    source: str
    shape: str
    skipped: bool = False
    rows: int = 0  # line items landed, or metric samples kept
    periods: list[PeriodLoad] = field(default_factory=list)
    garbage: int = 0  # lines of a metrics log not understood, skipped (never fatal)
    resources: list[str] = field(default_factory=list)  # what the metric samples are of

    # The names metrics results (once ``MetricsLoad``) had, which callers still use.
    @property
    def file(self) -> str:
        return self.source

    @property
    def kind(self) -> str:
        return self.shape

    @property
    def samples(self) -> int:
        return self.rows


def already_loaded(con: duckdb.DuckDBPyConnection, delivery_id: str) -> bool:
    """True when this exact delivery is loaded and none of its periods was replaced since."""
    row = con.execute(
        "select count(*), count(replaced_by) from loads where delivery_id = ?", [delivery_id]
    ).fetchone()
    return row[0] > 0 and row[1] == 0


def periods_sql(landing: LandingTable, relation: str) -> str:
    """Per billing period (GCP: usage day) of ``relation``, a landing table's rows: the loads log's
    provider, billing_account_id, billing_period_start and _end, row_count, source_total, currency."""
    t = landing
    return (
        f"select {t.provider} as provider, {t.account} as billing_account_id, {t.period_start} as billing_period_start, "
        f"max({t.period_end}) as billing_period_end, count(*) as row_count, "
        f"cast(sum({t.total}) as decimal(38, 10)) as source_total, "
        f"string_agg(distinct {t.currency}, ',' order by {t.currency}) as currency "
        f"from {relation} group by {t.provider}, {t.account}, {t.period_start}"
    )


def replace_periods(
    con: duckdb.DuckDBPyConnection,
    landing: LandingTable,
    *,
    load_id: int,
    source: str,
    shape: str,
    delivery_id: str,
    files: list[str],
) -> LoadResult:
    """Make the rows of ``load_id`` the only copy of each period they cover, and log the load."""
    t = landing
    groups = con.execute(
        f"{periods_sql(t, f'(select * from {t.table} where x_load_id = ?)')} order by all", [load_id]
    ).fetchall()
    result = LoadResult(source, shape)
    for provider, account, start, end, rows, total, currency in groups:
        con.execute(
            f"delete from {t.table} where {t.provider} = ? and {t.account} = ? "
            f"and {t.period_start} = ? and x_load_id <> ?",
            [provider, account, start, load_id],
        )
        con.execute(
            "update loads set replaced_by = ? where provider = ? and billing_account_id = ? "
            "and billing_period_start = ? and replaced_by is null",
            [load_id, provider, account, start],
        )
        con.execute(
            "insert into loads values (?, now()::timestamp, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
            [load_id, source, shape, provider, account, start, end, delivery_id, rows, total, currency, files],
        )
        result.rows += rows
        result.periods.append(PeriodLoad(provider, account, start, rows, total))
    return result


def note_metrics_change(con: duckdb.DuckDBPyConnection, where: str, params: list) -> None:
    """Record the span of the gpu_metrics rows ``where`` selects (before a delete, after an insert),
    so the next build recomputes idle_gpu for just the billing periods it falls in."""
    con.execute(
        "insert into gpu_metrics_changes select min(sampled_at), max(sampled_at) from gpu_metrics "
        f"where {where} having count(*) > 0",
        params,
    )


def column_list(columns: list[str]) -> str:
    return ", ".join(sql_identifier(c) for c in columns)
