"""Synthetic AWS bills: one realistic month of an ML team's Cost and Usage Report, on disk.

The demo (``finops demo``) and the benchmarks need bills without a cloud account, and the loader
needs to be tested against the quirks real bills have. So this module writes the exact shapes AWS
delivers to S3 -- legacy CUR (CSV.gz or Parquet, with its ``Manifest.json`` and assemblyId folder)
and CUR 2.0 from Data Exports (Parquet with MAP columns) -- with real column names, real usage
types, and the line-item types that make naive sums wrong: Savings Plan covered/negation/recurring
fee rows, reserved-instance DiscountedUsage/RIFee/upfront Fee rows, tax, credits, spot, untagged
spend, messy tag values, and (``hostile_tags=True``, for tests) tag values that are attacks.

How it scales: a small list of *resources* (an endpoint, a training job, a bucket...) is built in
Python -- a few per "team unit", a few tens of thousands at most -- and DuckDB SQL expands them into
line items with ``range()`` and ``hash()``-based pseudo-randomness, then writes the files with
``COPY ... TO``. No line item is ever held in a Python list, so 10 million rows fit a 2-core box.
Everything is a pure function of ``seed`` (and of ``cost_scale`` for the money), so two calls with
the same arguments write byte-identical data files.

Granularity: AWS offers hourly or daily CUR. An hourly month of even a small team is tens of
thousands of rows (every endpoint, volume and Savings Plan hour is a row), so a small ``rows``
target is met with a *daily* report (every row covers a UTC day, usage amounts are the day's
hours), and large targets use an hourly one. Pass ``granularity`` to force either.

The pieces are in :mod:`finops.demo.aws`: ``catalogue`` (prices, accounts, tag values),
``resources``, ``compute``, ``storage`` and ``plan`` (what a team runs and how many units meet
``rows``), ``items`` (the SQL line items), ``projection`` (the three on-disk shapes), ``columns``
and ``files`` (writing data files and manifests); this module holds the two entry points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from finops.demo.aws.catalogue import HOSTILE_TAG_VALUES
from finops.demo.aws.columns import (
    athena_type,
    cur2_columns,
    legacy_columns,
    legacy_manifest_columns,
)
from finops.demo.aws.files import chunks, copy_chunks, write_manifest
from finops.demo.aws.ids import digest, stable_uuid
from finops.demo.aws.period import Period
from finops.demo.aws.projection import projection, rows_from
from finops.demo.aws.session import Session, prepare

__all__ = [
    "HOSTILE_TAG_VALUES",
    "MAX_ROWS_PER_FILE",
    "cur2_columns",
    "legacy_columns",
    "write_cur2",
    "write_legacy_cur",
]

MAX_ROWS_PER_FILE = 2_000_000
"""AWS splits a delivery into several files; we split at this many line items per file."""

S3_BUCKET = "acme-ml-billing"
"""The (fictional) bucket the reports are delivered to; manifests name it."""

LEGACY_KEY_PREFIX = "cur"
CUR2_KEY_PREFIX = "cur2"


def write_legacy_cur(root: Path, period: str = "2026-10", *, rows: int = 5000, seed: int = 1,
                     report_name: str = "ml-team-cur", fmt: str = "csv",
                     assembly_id: str | None = None, payer_account_id: str = "111122223333",
                     cost_scale: float = 1.0, final: bool = False,
                     granularity: str = "auto", hostile_tags: bool = False) -> Path:
    """Write one delivery of a legacy CUR for ``period`` under ``root``; return its manifest.

    The layout is AWS's "create new report versions" one: the manifest sits in the date-range
    folder and points (``reportKeys``) at the data files in a fresh ``<assemblyId>`` folder, so a
    second delivery of the same month -- say with ``cost_scale=1.1`` -- leaves the first one's
    files in place, exactly the situation a loader must handle by trusting the manifest.

    ``fmt`` is ``"csv"`` (gzip CSV with ``category/Name`` headers, empty strings for nulls) or
    ``"parquet"`` (snappy Parquet with the Athena snake-case names). ``final=True`` fills
    ``bill/InvoiceId`` as AWS does once the month is closed. ``granularity`` is ``"auto"``
    (hourly when ``rows`` allows a realistic hourly month, else daily), ``"hourly"`` or
    ``"daily"``. ``hostile_tags=True`` puts HOSTILE_TAG_VALUES (markup, quotes, SQL) in a few tags,
    for tests of escaping; the demo never asks for them.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError("fmt must be 'csv' or 'parquet'")
    session = prepare(period, rows, seed, payer_account_id, cost_scale, final, granularity, hostile_tags)
    p = session.plan.period
    try:
        aid = assembly_id or stable_uuid("assembly", seed, p.label, cost_scale, final, fmt)
        folder = Path(root) / report_name / p.folder
        ext = "csv.gz" if fmt == "csv" else "snappy.parquet"
        ranges = chunks(session.con, session.n, MAX_ROWS_PER_FILE)
        names = [f"{report_name}-{k + 1}.{ext}" for k in range(len(ranges))]
        paths = [folder / aid / name for name in names]
        copy_chunks(session, projection(session.con, session.plan, fmt), paths, ranges, fmt)
        manifest = {
            "assemblyId": aid,
            "account": payer_account_id,
            "columns": legacy_manifest_columns(),
            "charset": "UTF-8",
            "compression": "GZIP" if fmt == "csv" else "Parquet",
            "contentType": "text/csv" if fmt == "csv" else "Parquet",
            "reportId": digest("report", payer_account_id, report_name, n=64),
            "reportName": report_name,
            "billingPeriod": {"start": p.iso(p.start), "end": p.iso(p.end)},
            "bucket": S3_BUCKET,
            "reportKeys": [f"{LEGACY_KEY_PREFIX}/{report_name}/{p.folder}/{aid}/{name}" for name in names],
            "additionalArtifactKeys": [],
        }
        return write_manifest(folder / f"{report_name}-Manifest.json", manifest)
    finally:
        session.close()


def write_cur2(root: Path, period: str = "2026-10", *, rows: int = 5000, seed: int = 1,
               export_name: str = "ml-team-cur2", payer_account_id: str = "111122223333",
               cost_scale: float = 1.0, final: bool = False, granularity: str = "auto",
               hostile_tags: bool = False) -> Path:
    """Write one delivery of a CUR 2.0 Data Export for ``period`` under ``root``; return its manifest.

    Data Exports overwrites a billing period in place: data files go to
    ``<export>/data/BILLING_PERIOD=YYYY-MM/`` (stale files of an earlier, larger delivery are
    removed) and the manifest to ``<export>/metadata/BILLING_PERIOD=YYYY-MM/``. The schema is
    fixed -- every column is present even when empty -- with ``product``, ``resource_tags``,
    ``cost_category`` and ``discount`` as ``MAP(VARCHAR, VARCHAR)``; costs are DOUBLE.
    ``hostile_tags`` as for :func:`write_legacy_cur`.
    """
    session = prepare(period, rows, seed, payer_account_id, cost_scale, final, granularity, hostile_tags)
    p = session.plan.period
    try:
        part = f"BILLING_PERIOD={p.label}"
        data_dir = Path(root) / export_name / "data" / part
        ranges = chunks(session.con, session.n, MAX_ROWS_PER_FILE)
        names = [f"{export_name}-{k + 1:05d}.snappy.parquet" for k in range(len(ranges))]
        if data_dir.exists():
            for old in data_dir.glob(f"{export_name}-*.snappy.parquet"):
                if old.name not in names:
                    old.unlink()
        select = projection(session.con, session.plan, "cur2")
        copy_chunks(session, select, [data_dir / name for name in names], ranges, "parquet")
        manifest = _cur2_manifest(session, select, export_name, payer_account_id, names,
                                  cost_scale, final)
        meta = Path(root) / export_name / "metadata" / part
        meta.mkdir(parents=True, exist_ok=True)
        return write_manifest(meta / f"{export_name}-Manifest.json", manifest)
    finally:
        session.close()


def _cur2_manifest(session: Session, select: str, export_name: str, payer_account_id: str,
                   names: list[str], cost_scale: float, final: bool) -> dict[str, Any]:
    """The CUR 2.0 manifest of data files ``names``; its column types are those of ``select``."""
    p: Period = session.plan.period
    part = f"BILLING_PERIOD={p.label}"
    schema = session.con.execute(f"DESCRIBE SELECT {select} {rows_from(session.plan)} LIMIT 0").fetchall()
    execution_id = stable_uuid("execution", session.plan.seed, p.label, cost_scale, final)
    export_id = stable_uuid("export", payer_account_id, export_name)
    return {
        "executionId": execution_id,
        "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{payer_account_id}:export/{export_name}-{export_id}",
        "exportName": export_name,
        "tableName": "COST_AND_USAGE_REPORT",
        "billingPeriod": {"start": f"{p.start:%Y-%m-%dT%H:%M:%S.000Z}", "end": f"{p.end:%Y-%m-%dT%H:%M:%S.000Z}"},
        "bucket": S3_BUCKET,
        "dataFiles": [f"s3://{S3_BUCKET}/{CUR2_KEY_PREFIX}/{export_name}/data/{part}/{name}" for name in names],
        "columns": [{"name": c[0], "type": athena_type(c[1])} for c in schema],
        "compression": "PARQUET",
        "format": "PARQUET",
        "additionalOutputFiles": [],
    }
