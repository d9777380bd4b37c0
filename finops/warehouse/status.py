"""``finops status``: what the warehouse holds, and whether it still adds up to its sources.

A period loaded from a provider's native export and from a FOCUS copy of it is counted once (the
native export wins, sql/intermediate/int_focus_charges.sql); status says so beside the FOCUS copy,
and says "counted twice" (never reconciled) if two current loads of one period both reach costs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

import duckdb

from finops.warehouse.catalog import relation_kinds
from finops.warehouse.loads import FOCUS_SHAPES


@dataclass(frozen=True)
class PeriodStatus:
    provider: str
    billing_account_id: str
    billing_period_start: datetime
    shape: str
    delivery_id: str
    rows: int
    source_total: Decimal
    billed_total: Decimal | None
    """Sum of BilledCost in ``costs`` for the period; equals ``source_total`` unless a CUR period
    shadows the same period from a FOCUS file."""
    loaded_at: datetime
    source: str
    note: str = ""
    """What else covers the period: "FOCUS copy ignored: ..." or "counted twice: ..."."""

    @property
    def reconciled(self) -> bool:
        return self.billed_total is not None and self.billed_total == self.source_total and not self.counted_twice

    @property
    def counted_twice(self) -> bool:
        return self.note.startswith(COUNTED_TWICE)


NATIVE_EXPORT = {"AWS": "the CUR", "Google Cloud": "the GCP export"}
COUNTED_TWICE = "counted twice"


def status(con: duckdb.DuckDBPyConnection) -> list[PeriodStatus]:
    """Every current load (one per provider, account and period), with its reconciliation."""
    costs = (
        """
        left join (
            select x_LoadId, BillingAccountId, BillingPeriodStart as period, sum(BilledCost) as billed
            from costs group by all
            union all
            -- a GCP export is loaded by usage day (UTC), not by billing period
            select x_LoadId, BillingAccountId, date_trunc('day', ChargePeriodStart), sum(BilledCost)
            from costs where x_LoadId in (select load_id from loads where shape = 'gcp-export') group by all
        ) c on c.x_LoadId = l.load_id and c.BillingAccountId = l.billing_account_id
           and c.period = l.billing_period_start
        """
        if "costs" in relation_kinds(con)  # a table or a view, as models change
        else "left join (select null as billed) c on true"
    )
    rows = con.execute(
        f"""
        select l.provider, l.billing_account_id, l.billing_period_start, l.shape, l.delivery_id,
               l.row_count, l.source_total, c.billed, l.loaded_at, l.source
        from loads l {costs}
        where l.replaced_by is null
        order by l.provider, l.billing_account_id, l.billing_period_start
        """
    ).fetchall()
    return _with_notes(con, [PeriodStatus(*row) for row in rows])


def _with_notes(con: duckdb.DuckDBPyConnection, periods: list[PeriodStatus]) -> list[PeriodStatus]:
    """Note the FOCUS copies the native export shadows, and periods two current loads both count."""
    names = (
        dict(con.execute("select provider_name, provider from provider_names").fetchall())
        if "provider_names" in relation_kinds(con) else {}
    )
    by_period: dict[tuple, list[int]] = defaultdict(list)
    for i, p in enumerate(periods):
        provider = names.get(p.provider.strip().lower(), p.provider)
        by_period[(provider, p.billing_account_id, f"{p.billing_period_start:%Y-%m}")].append(i)
    out = list(periods)
    for (provider, _, _), members in by_period.items():
        native = [i for i in members if periods[i].shape not in FOCUS_SHAPES]
        for i in members:
            if native and periods[i].shape in FOCUS_SHAPES and not periods[i].billed_total:
                out[i] = replace(out[i], note=f"FOCUS copy ignored: {NATIVE_EXPORT.get(provider, 'the native export')} "
                                              "of this period is loaded")
        counted = [i for i in members if periods[i].billed_total]
        copies = sum(periods[i].shape in FOCUS_SHAPES for i in counted) + any(i in native for i in counted)
        if copies > 1:  # the GCP export's days of one month are one copy
            for i in counted:
                others = ", ".join(periods[j].source for j in counted if j != i)
                out[i] = replace(out[i], note=f"{COUNTED_TWICE}: also loaded from {others}")
    return out
