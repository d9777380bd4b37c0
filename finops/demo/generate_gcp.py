"""Synthetic GCP Cloud Billing exports: an ML team's month, as BigQuery exports it to files.

The GCP connector needs test data with the real schema and the quirks that make naive sums wrong:
credits nested in every row (committed use and sustained use discounts, free tier, a promotion),
commitment fees, "Spot Preemptible" GPU SKUs, tax rows, labels as lists of key/value records (with
mixed-case keys, as humans type them), and the invoice month in Pacific time. The files are what
``EXPORT DATA`` / an extract job writes: newline-delimited JSON (optionally gzip; FLOAT as JSON
numbers, NUMERIC and INT64 as strings, TIMESTAMP as ``2026-10-01 07:00:00 UTC``) or Parquet (typed,
nested). The standard export has no ``resource`` or ``price``; the detailed one has both.

As in :mod:`finops.demo.generate`, a small list of resources is built in Python and DuckDB expands it
into rows with ``range()`` and ``hash()``; the output is a pure function of the arguments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from finops.demo.gcp.catalogue import rows_per_hour
from finops.demo.gcp.columns import export_query
from finops.demo.gcp.lines import build_lines
from finops.demo.months import month_bounds

__all__ = ["BILLING_ACCOUNT", "FORMATS", "first_day", "usage_days", "write_gcp_export"]

BILLING_ACCOUNT = "01A2B3-C4D5E6-F7A8B9"
FORMATS = ("jsonl", "jsonl.gz", "parquet")
PACIFIC = ZoneInfo("America/Los_Angeles")


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    """A Pacific invoice month as naive UTC datetimes [start, end)."""
    start, end = (t.replace(tzinfo=PACIFIC).astimezone(UTC).replace(tzinfo=None)
                  for t in month_bounds(month))
    return start, end


def write_gcp_export(
    path: Path,
    month: str = "2026-10",
    *,
    rows: int = 3000,
    seed: int = 1,
    fmt: str | None = None,
    detailed: bool = True,
    days: list[date | str] | None = None,
    export_time: datetime | str | None = None,
    billing_account: str = BILLING_ACCOUNT,
    currency: str = "USD",
    conversion_rate: float = 1.0,
) -> Path:
    """Write one export file of ``month`` (a Pacific-time invoice month) to ``path``; return it.

    ``rows`` is a target (usage rows are hourly; tax and promotion rows come on top). ``days``
    keeps only those UTC usage days; ``export_time`` gives every row that export time (else each
    row is exported 1-20 hours after its usage ends). ``fmt`` defaults from the file name.
    """
    path = Path(path)
    fmt = fmt or ("parquet" if path.name.endswith(".parquet") else "jsonl.gz" if path.name.endswith(".gz") else "jsonl")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    start, end = _month_bounds(month)
    expected = rows_per_hour() * int((end - start).total_seconds() // 3600)
    copies = max(1, -(-rows // int(expected)))  # a bigger team: more VMs, jobs and endpoints alike
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        build_lines(con, start, end, seed=seed, detailed=detailed, copies=copies,
                    scale=min(1.0, rows / (expected * copies)), day_filter=_day_filter(days),
                    fixed_export=f"timestamp '{export_time}'" if export_time else None)
        query = export_query(fmt, detailed=detailed, billing_account=billing_account, currency=currency,
                             conversion_rate=conversion_rate, invoice_month=month.replace("-", ""))
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            options = "format parquet, compression zstd"
        else:
            options = "format json" + (", compression gzip" if fmt == "jsonl.gz" else "")
        con.execute(f"copy ({query}) to '{path}' ({options})")
    finally:
        con.close()
    return path


def _day_filter(days: list[date | str] | None) -> str:
    """SQL over ``t0`` that keeps only the usage of ``days`` (all days when None)."""
    if not days:
        return ""
    listed = ", ".join(f"date '{d}'" for d in days)
    return f"and cast(t0 as date) in ({listed})"


def first_day(month: str) -> date:
    """The first full UTC day of a Pacific invoice month (its 2nd calendar day)."""
    start, _ = _month_bounds(month)
    return (start + timedelta(days=1)).date()


def usage_days(month: str) -> list[date]:
    """The UTC days a Pacific invoice month's usage falls on: from the eve of its first full UTC
    day to the first day of the next month, whose early hours are still this month's."""
    start, end = _month_bounds(month)
    return [start.date() + timedelta(days=k) for k in range((end.date() - start.date()).days + 1)]
