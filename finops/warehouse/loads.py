"""Restatement-safe loading: a delivery replaces whole billing periods, recorded in ``loads``.

A provider re-delivers a complete, cumulative copy of a billing period each time it restates it, so
the only correct load is to replace that period as a unit. The caller inserts the new rows tagged
with a fresh ``x_load_id`` inside a transaction; :func:`replace_periods` then removes every older
row of the same (provider, account, period) and records the load. A crash or error before the
commit leaves the previous copy in place.

Which copy of a period wins is decided by the deliveries' own evidence, never by load order: the
latest time the period's rows reach (``data_through``), then when the delivery was written
(``delivered_at``). A delivery older than the loaded one by that evidence is not loaded (its rows
are removed again, ``loads`` is unchanged) unless it is forced; so two sources holding the current
and an archived copy of a period settle on the current one and stay there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import duckdb

from finops.warehouse.connection import sql_identifier, sql_literal

FOCUS_SHAPES = ("focus", "aws-focus")
"""Shapes of loads of FOCUS files: a copy of a period the provider's native export may hold too."""


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
    data_time: str  # the column whose latest value says how recent a delivery's rows of a period are
    total_of: str = ""  # what ``total`` adds up, in the source's own words (loads.source_total_of)
    total_of_before: str = ""  # what an older finops's source_total added up, where it differed


AWS_CUR = LandingTable(
    "raw_aws_cur",
    provider="'AWS'",
    account="bill_payer_account_id",
    period_start="bill_billing_period_start_date",
    period_end="bill_billing_period_end_date",
    total="line_item_unblended_cost",
    currency="line_item_currency_code",
    data_time="line_item_usage_end_date",
    total_of="lineItem/UnblendedCost",
)

FOCUS = LandingTable(
    "raw_focus",
    provider='"ProviderName"',
    account='"BillingAccountId"',
    period_start='"BillingPeriodStart"',
    period_end='"BillingPeriodEnd"',
    total='"BilledCost"',
    currency='"BillingCurrency"',
    data_time='"ChargePeriodEnd"',
    total_of="BilledCost",
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
    data_time='"ContractCommitmentPeriodEnd"',  # no row time: a restated file of the same periods ties, and the newer load wins
    total_of="ContractCommitmentCost",
)

GCP_EXPORT = LandingTable(
    # the usage day is what Google corrects by exporting more rows for it (finops.connectors.gcp.land)
    "raw_gcp_billing",
    provider=sql_literal("Google Cloud"),
    account="billing_account_id",
    period_start="usage_day",
    period_end="usage_day_end",
    # the invoice's amount: credits are negative and every one, promotions too, reduces what is owed
    total="cost + coalesce(list_sum(list_transform(credits, lambda c: coalesce(c.amount, 0))), 0)",
    currency="currency",
    data_time="export_time",
    total_of="cost + credits",
    total_of_before="cost",
)

LANDING_TABLES = (AWS_CUR, FOCUS, FOCUS_CONTRACT_COMMITMENTS, GCP_EXPORT)


@dataclass(frozen=True)
class PeriodLoad:
    """One billing period a delivery replaced."""

    provider: str
    account: str
    start: datetime
    rows: int
    total: Decimal


@dataclass(frozen=True)
class Evidence:
    """How recent a delivery of a period is, by its own account; compared as (data_through, delivered_at)."""

    data_through: datetime | None
    delivered_at: datetime | None

    def key(self) -> tuple[datetime, datetime]:
        """The comparison key; an unknown part (an older finops's loads) counts as the oldest."""
        return (self.data_through or datetime.min, self.delivered_at or datetime.min)

    def __str__(self) -> str:
        parts = [f"data through {self.data_through:%Y-%m-%d %H:%M}" if self.data_through else "data through unknown",
                 f"delivered {self.delivered_at:%Y-%m-%d %H:%M:%S}" if self.delivered_at else "delivered unknown"]
        return ", ".join(parts)


@dataclass(frozen=True)
class OlderPeriod:
    """A period a delivery holds that was not loaded: the loaded delivery's evidence is newer."""

    provider: str
    account: str
    start: datetime
    evidence: Evidence
    loaded: Evidence
    loaded_source: str


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
    older: list[OlderPeriod] = field(default_factory=list)  # periods not loaded: the loaded copy is newer
    same_content: list[tuple[str, str]] = field(default_factory=list)  # (file not read, file of the same content read)

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
        f"string_agg(distinct {t.currency}, ',' order by {t.currency}) as currency, max({t.data_time}) as data_through "
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
    delivered_at: datetime | None = None,
    force: bool = False,
) -> LoadResult:
    """Make the rows of ``load_id`` the only copy of each period they cover, and log the load;
    a period whose loaded copy has newer evidence keeps it (unless ``force``): see the module's rule."""
    t = landing
    groups = con.execute(
        f"{periods_sql(t, f'(select * from {t.table} where x_load_id = ?)')} order by all", [load_id]
    ).fetchall()
    result = LoadResult(source, shape)
    for provider, account, start, end, rows, total, currency, data_through in groups:
        evidence = Evidence(data_through, delivered_at)
        key = [provider, account, start]
        current = con.execute(  # a delivery competes with the loads of its own landing table only
            "select data_through, delivered_at, source from loads where provider = ? and billing_account_id = ? "
            "and billing_period_start = ? and landing_table = ? and replaced_by is null order by load_id desc limit 1",
            [*key, t.table],
        ).fetchone()
        loaded = Evidence(current[0], current[1]) if current else None
        if loaded and evidence.key() < loaded.key() and not force:
            con.execute(f"delete from {t.table} where {t.provider} = ? and {t.account} = ? and {t.period_start} = ? "
                        "and x_load_id = ?", [*key, load_id])
            result.older.append(OlderPeriod(provider, account, start, evidence, loaded, current[2]))
            continue
        con.execute(
            f"delete from {t.table} where {t.provider} = ? and {t.account} = ? "
            f"and {t.period_start} = ? and x_load_id <> ?",
            [*key, load_id],
        )
        con.execute(
            "update loads set replaced_by = ? where provider = ? and billing_account_id = ? "
            "and billing_period_start = ? and landing_table = ? and replaced_by is null",
            [load_id, *key, t.table],
        )
        con.execute(
            "insert into loads (load_id, loaded_at, source, shape, provider, billing_account_id, billing_period_start, "
            "billing_period_end, delivery_id, row_count, source_total, source_total_of, currency, files, replaced_by, "
            "data_through, delivered_at, forced, landing_table) "
            "values (?, now()::timestamp, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?)",
            [load_id, source, shape, provider, account, start, end, delivery_id, rows, total, t.total_of, currency,
             files, data_through, delivered_at, bool(loaded and evidence.key() < loaded.key()), t.table],
        )
        result.rows += rows
        result.periods.append(PeriodLoad(provider, account, start, rows, total))
    return result


def upgrade_source_totals(con: duckdb.DuckDBPyConnection) -> None:
    """Say what each load's source_total adds up, in loads an older finops made; where that finops
    added up something else (GCP: cost without the credits), recompute the total of every current
    load from its rows, so ``finops status`` reconciles it with the costs of today's models.
    Replaced loads keep their total, and say what it was. A warehouse with nothing to upgrade costs
    one count."""
    if not con.execute("select count(*) from loads where source_total_of is null").fetchone()[0]:
        return
    for t in LANDING_TABLES:
        if t.total_of_before:
            con.execute(
                f"""
                update loads set source_total = landed.source_total, source_total_of = {sql_literal(t.total_of)}
                from (select x_load_id, {t.account} as account, {t.period_start} as period_start,
                             cast(sum({t.total}) as decimal(38, 10)) as source_total
                      from {t.table} group by all) landed
                where loads.landing_table = {sql_literal(t.table)} and loads.source_total_of is null
                  and loads.replaced_by is null and landed.x_load_id = loads.load_id
                  and landed.account = loads.billing_account_id and landed.period_start = loads.billing_period_start
                """
            )
        con.execute(
            f"update loads set source_total_of = {sql_literal(t.total_of_before or t.total_of)} "
            f"where landing_table = {sql_literal(t.table)} and source_total_of is null"
        )


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
