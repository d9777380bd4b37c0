"""``finops status``: what the warehouse holds, and whether it still adds up to its sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import duckdb

from finops.warehouse.catalog import relation_kinds


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

    @property
    def reconciled(self) -> bool:
        return self.billed_total is not None and self.billed_total == self.source_total


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
    return [PeriodStatus(*row) for row in rows]
