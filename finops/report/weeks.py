"""Which week a report is of, whether the loaded data covers it, and how fresh each source's data is.

Freshness is the data's own recency: the end of the latest charge (ChargePeriodEnd) of each provider
and billing account, against "now". A bill always lags: AWS refreshes a CUR up to three times a day,
about a day behind, and GCP's export is up to a day behind, so a source is stale only when it is
more than its expected lag plus one missed daily delivery behind. "Now" is the clock unless
``--as-of`` gives a date, so a report of old data (the demo's) can be read as of its own time.

A week is covered when every provider's data reaches the week's end (a provider's data reaches as
far as its furthest billing account: an account that stopped spending holds nothing back). `finops email` and
`finops refresh` never send a week that is not covered (:class:`DataIncomplete`, exit 3) unless told
to send it marked preliminary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from finops.errors import DataIncomplete, UsageError
from finops.warehouse.catalog import relation_kinds

EXPECTED_LAG_HOURS = {"AWS": 24, "Google Cloud": 24}  # per ProviderName; others get DEFAULT_LAG_HOURS
DEFAULT_LAG_HOURS = 24
GRACE_HOURS = 24  # one missed daily delivery on top of the expected lag makes a source stale


@dataclass(frozen=True)
class SourceData:
    """How far one provider's billing account's data reaches."""

    provider: str
    billing_account_id: str
    data_through: dt.datetime | None

    @property
    def label(self) -> str:
        return f"{self.provider.lower()} {self.billing_account_id}"

    @property
    def expected_lag_hours(self) -> int:
        return EXPECTED_LAG_HOURS.get(self.provider, DEFAULT_LAG_HOURS)

    @property
    def stale_after_hours(self) -> int:
        """How far behind the data may be before it counts as stale: the usual delay plus a day."""
        return self.expected_lag_hours + GRACE_HOURS

    def hours_behind(self, now: dt.datetime) -> int | None:
        """Whole hours from the end of the data to ``now`` (0 when the data reaches past it)."""
        if self.data_through is None:
            return None
        return max(int((now - self.data_through).total_seconds() // 3600), 0)

    def is_stale(self, now: dt.datetime, limit_hours: int | None = None) -> bool:
        """More than ``limit_hours`` (default: the expected lag plus a day) behind, or no charges at all."""
        behind = self.hours_behind(now)
        limit = self.stale_after_hours if limit_hours is None else limit_hours
        return behind is None or behind > limit


def parse_as_of(text: str | None) -> dt.datetime | None:
    """``--as-of 2026-11-02``: "now" is the start of that day (UTC); None when not given."""
    if text is None:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time())
    except ValueError:
        raise UsageError(f"--as-of {text}: expected a date such as 2026-11-02") from None


def utc_now(as_of: dt.datetime | None = None) -> dt.datetime:
    """``as_of``, else the clock: naive UTC, as the warehouse's timestamps are."""
    return as_of or dt.datetime.now(dt.UTC).replace(tzinfo=None)


def last_complete_week(today: dt.date) -> str:
    """The ISO week before the one ``today`` falls in (today's week is not over, even on Sunday)."""
    year, week, _ = (today - dt.timedelta(days=today.isoweekday())).isocalendar()
    return f"{year}-W{week:02d}"


def week_end(week: str) -> dt.datetime:
    """The Monday 00:00 UTC after ``week``: where its data must reach for the week to be complete."""
    return dt.datetime.combine(dt.date.fromisocalendar(int(week[:4]), int(week[6:]), 1) + dt.timedelta(days=7), dt.time())


def sources_data(con: duckdb.DuckDBPyConnection) -> list[SourceData]:
    """Every provider and billing account in ``costs`` with the end of its latest charge."""
    if "costs" not in relation_kinds(con):
        return []
    return [SourceData(*row) for row in con.execute(
        "select ProviderName, BillingAccountId, cast(max(ChargePeriodEnd) as timestamp) from costs "
        "group by all order by 1, 2").fetchall()]


def by_provider(sources: list[SourceData]) -> list[SourceData]:
    """One per provider, reaching as far as its furthest billing account (their ids joined)."""
    providers: dict[str, list[SourceData]] = {}
    for source in sources:
        providers.setdefault(source.provider, []).append(source)
    return [SourceData(provider, ", ".join(s.billing_account_id for s in group),
                       max((s.data_through for s in group if s.data_through), default=None))
            for provider, group in providers.items()]


def covered_week(sources: list[SourceData], now: dt.datetime) -> str | None:
    """The latest ISO week that is over by ``now`` and that every provider's data covers to its end."""
    ends = [s.data_through for s in by_provider(sources)]
    if not ends or None in ends:
        return None
    return min(last_complete_week(min(ends).date()), last_complete_week(now.date()))


def default_week(sources: list[SourceData], now: dt.datetime) -> str:
    """`finops report`'s week: the latest complete week the data covers, else the last calendar week."""
    return covered_week(sources, now) or last_complete_week(now.date())


def behind(sources: list[SourceData], week: str) -> list[str]:
    """One phrase per provider whose data stops before the end of ``week``."""
    end = week_end(week)
    if not sources:
        return ["no billing data is loaded"]
    lines = []
    for source in by_provider(sources):
        if source.data_through is None:
            lines.append(f"{source.label}: no charges")
        elif source.data_through < end:
            lines.append(f"{source.label}: data ends {source.data_through:%Y-%m-%d %H:%M}, "
                         f"{_span(end - source.data_through)} before the end of {week}")
    return lines


def require_covered(sources: list[SourceData], week: str, *, allow_partial: bool) -> bool:
    """Whether ``week`` is partial (sent marked preliminary); raises DataIncomplete when it is and
    ``allow_partial`` is not given, so nothing is sent."""
    lines = behind(sources, week)
    if lines and not allow_partial:
        raise DataIncomplete(f"{week} not sent: data not complete for the week: {'; '.join(lines)} "
                             "(--allow-partial sends it marked preliminary)")
    return bool(lines)


def _span(delta: dt.timedelta) -> str:
    """26 days, 1 day, 7 hours: how far a source is behind, in the unit a reader thinks in."""
    days, hours = delta.days, int(delta.total_seconds() // 3600)
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"
