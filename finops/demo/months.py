"""Billing months as both generators name them: ``YYYY-MM``."""

from __future__ import annotations

import re
from datetime import datetime


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """Parse ``YYYY-MM`` into [1st of the month, 1st of the next month), naive datetimes."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if not m:
        raise ValueError(f"period must look like 2026-10, got {period!r}")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"bad month in period {period!r}")
    return datetime(year, month, 1), datetime(year + (month == 12), month % 12 + 1, 1)
