"""``finops check``: the data-quality checks a cron job runs before anyone trusts Monday's email.

Each check is one SQL question with a pass/fail answer and a detail line saying what was found, so
a failure can be read in a cron mail or parsed from ``--format json`` by monitoring.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from finops.config.refresh import SourceSetting
from finops.models.drift import find_drift, sample_periods
from finops.warehouse.catalog import exists
from finops.warehouse.status import status


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def run_checks(con: duckdb.DuckDBPyConnection, sources: list[SourceSetting],
               now: dt.datetime | None = None) -> list[CheckResult]:
    """Every check, in a stable order; the caller exits non-zero when any is not ok."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    built = has_costs(con)
    results = [_duplicates(con), _totals(con, built)]
    results += [_freshness(con, source, now) for source in sources]
    if built:
        results += [_negative_usage(con), _currencies(con), _drift(con)]
    return results


def _duplicates(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """An AWS line item (identity/LineItemId + TimeInterval) appears once per delivery."""
    (count,) = con.execute("""
        select count(*) from (
            select 1 from raw_aws_cur
            group by x_load_id, identity_line_item_id, identity_time_interval having count(*) > 1)
    """).fetchone()
    return CheckResult("duplicates", count == 0, f"{count:,} AWS line item(s) appear more than once in a delivery"
                       if count else "no AWS line item appears twice in a delivery")


def _totals(con: duckdb.DuckDBPyConnection, built: bool) -> CheckResult:
    """Per billing period, BilledCost in costs equals the source total recorded at ingest."""
    if not built:
        return CheckResult("totals", False, "models not built (run `finops build`)")
    bad = [p for p in status(con) if not p.reconciled]
    if not bad:
        return CheckResult("totals", True, "every loaded period's costs equal its source total")
    first = bad[0]
    return CheckResult("totals", False, f"{len(bad)} period(s) differ, e.g. {first.provider} {first.billing_account_id} "
                       f"{first.billing_period_start:%Y-%m-%d}: source {first.source_total}, costs {first.billed_total}")


def _freshness(con: duckdb.DuckDBPyConnection, source: SourceSetting, now: dt.datetime) -> CheckResult:
    """The data of a configured source reaches close enough to ``now``: each billing account it
    loaded is at most its provider's usual delay plus a day behind (or fresh_days, when set); a
    metrics source, its newest sample within fresh_days (3 unless set)."""
    from finops.report.weeks import sources_data

    name = f"freshness {source.name}"
    if source.kind == "metrics":
        (latest,) = con.execute("select max(sampled_at)::timestamp from gpu_metrics where starts_with(source_file, ?)",
                                [source.location]).fetchone()
        if latest is None:
            return CheckResult(name, False, f"nothing loaded from {source.location}")
        days = 3 if source.fresh_days is None else source.fresh_days
        return CheckResult(name, now - latest <= dt.timedelta(days=days),
                           f"newest sample {latest:%Y-%m-%d %H:%M} UTC, {(now - latest).days} day(s) before now (limit {days})")
    accounts = set(con.execute("select distinct provider, billing_account_id from loads where replaced_by is null "
                               "and starts_with(source, ?)", [source.location]).fetchall())
    if not accounts:
        return CheckResult(name, False, f"nothing loaded from {source.location}")
    limit = source.fresh_days * 24 if source.fresh_days is not None else None
    data = [s for s in sources_data(con) if (s.provider, s.billing_account_id) in accounts]
    stale = [s for s in data if s.is_stale(now, limit)]
    oldest = min(data, key=lambda s: s.data_through or dt.datetime.min, default=None)
    if oldest is None or oldest.data_through is None:
        return CheckResult(name, False, f"no charges in costs from {source.location} (run `finops build`)")
    allowed = limit if limit is not None else oldest.stale_after_hours
    return CheckResult(name, not stale, f"{oldest.label}: data ends {oldest.data_through:%Y-%m-%d %H:%M} UTC, "
                       f"{oldest.hours_behind(now)} h before now (limit {allowed} h)")


def _negative_usage(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """Usage rows never consume a negative quantity (credits and refunds are separate charges)."""
    (count,) = con.execute(
        "select count(*) from costs where ChargeCategory = 'Usage' and ConsumedQuantity < 0").fetchone()
    return CheckResult("negative usage", count == 0, f"{count:,} usage row(s) with negative ConsumedQuantity"
                       if count else "no usage row has a negative quantity")


def _currencies(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """One billing currency per billing account, or the sums in the report mix currencies."""
    rows = con.execute("""
        select BillingAccountId, string_agg(distinct BillingCurrency, ', ' order by BillingCurrency)
        from costs group by 1 having count(distinct BillingCurrency) > 1 order by 1
    """).fetchall()
    return CheckResult("currencies", not rows, "; ".join(f"{a}: {c}" for a, c in rows)
                       if rows else "one billing currency per billing account")


def _drift(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """A sample of periods (the 3 changed last, 2 at random) recomputed from the landing tables
    equals what the last build recorded: an incremental build that went wrong shows here."""
    if not exists(con, "build_checksums"):
        return CheckResult("drift", False, "no build recorded its totals yet (run `finops build`)")
    (late,) = con.execute("select count(*) from loads where loaded_at > (select max(built_at) from build_checksums)").fetchone()
    if late:
        return CheckResult("drift", False, f"{late:,} period(s) loaded after the last build (run `finops build`)")
    periods = sample_periods(con)
    drifted = find_drift(con, periods)
    if drifted:
        return CheckResult("drift", False, "; ".join(f"drift: {d}" for d in drifted))
    return CheckResult("drift", True, f"{len(periods)} period(s) recomputed from the loaded bills: the same totals")


def has_costs(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the models were built (``costs`` exists), which the totals check needs."""
    (count,) = con.execute("select (select count(*) from duckdb_tables() where table_name = 'costs') "
                           "+ (select count(*) from duckdb_views() where view_name = 'costs')").fetchone()
    return bool(count)

