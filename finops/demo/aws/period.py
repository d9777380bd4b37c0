"""The billing period of one bill: its hours, days and business hours, and how AWS names it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from finops.demo.months import month_bounds


@dataclass(frozen=True)
class Period:
    """A billing period [start, end) of whole UTC days."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    @property
    def days(self) -> int:
        return self.hours // 24

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")

    @property
    def folder(self) -> str:
        """The date-range folder AWS delivers a legacy CUR of this period to."""
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    @property
    def first_weekday(self) -> int:
        return self.start.weekday()

    def iso(self, which: datetime) -> str:
        return which.strftime("%Y%m%dT%H%M%S.000Z")

    def is_business_hour(self, h: int) -> bool:
        """Weekdays 13:00-23:59 UTC, a US office day; the line-item SQL uses the same rule."""
        return (h // 24 + self.first_weekday) % 7 < 5 and 13 <= h % 24 <= 23

    @cached_property
    def business_hours(self) -> int:
        return sum(1 for h in range(self.hours) if self.is_business_hour(h))

    @cached_property
    def business_days(self) -> int:
        return sum(1 for d in range(self.days) if (d + self.first_weekday) % 7 < 5)


def parse_period(period: str) -> Period:
    """Parse ``YYYY-MM`` into the billing period [1st of month, 1st of next month)."""
    return Period(*month_bounds(period))
