"""``finops demo``: a warehouse built from bundled sample data, no cloud account needed.

Two months of a made-up ML team's AWS bill, written by the project's own generator in the shapes
AWS delivers (September as a legacy CUR with a manifest, October as a CUR 2.0 Data Export, as
when a team migrates), plus a real anonymised legacy CUR from the FinOps Foundation, and the GPU
utilisation and endpoint invocations of the generated bill's GPU hours. The generated files are kept
beside the warehouse, so a new user can see what a CUR and a metrics log look like.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from finops.config import Config
from finops.connectors.pipeline import ingest
from finops.connectors.registry import Progress
from finops.demo import generate
from finops.demo.metrics import write_demo_metrics
from finops.resources import resource_dir
from finops.warehouse.loads import LoadResult

DEMO_DB = "finops-demo.duckdb"
DEMO_ROWS = 15000  # an hourly report, as ML teams keep them (idle-GPU hours need it)
REAL_SAMPLE = "aws-cur-legacy/sample-anonymous-aws-export-dataset.csv"


def write_demo_sources(root: Path) -> list[Path]:
    """Write the demo's bill files below ``root``; return the locations to ingest."""
    generate.write_legacy_cur(root / "legacy", "2026-09", rows=DEMO_ROWS, seed=7, granularity="hourly")
    generate.write_cur2(root / "cur2", "2026-10", rows=DEMO_ROWS, seed=8, granularity="hourly")
    return [root / "legacy", root / "cur2", resource_dir("fixtures") / REAL_SAMPLE]


def run_demo(con: duckdb.DuckDBPyConnection, sources: Path, *, config: Config | None = None,
             progress: Progress | None = None) -> list[tuple[str, list[LoadResult]]]:
    """Write the sample bills below ``sources`` (deterministic) and load them into ``con``, then the
    GPU telemetry of their GPU hours (finops/demo/metrics.py), so the idle-GPU and per-prediction
    figures are measured ones; return what each source kind loaded."""
    bills: list[LoadResult] = []
    for location in write_demo_sources(sources):
        bills += ingest(con, "aws", location, config=config, progress=progress)
    telemetry = ingest(con, "metrics", write_demo_metrics(con, sources / "metrics"), config=config, progress=progress)
    return [("aws", bills), ("metrics", telemetry)]


def write_demo_report(con: duckdb.DuckDBPyConnection, db: Path, config: Config | None = None, *,
                      as_of: dt.datetime | None = None) -> Path:
    """Write the weekly report beside the warehouse, for the last ISO week the sample bills cover to
    its end (the calendar's last complete week has no demo data: the bills are for Sept-Oct 2026),
    read as of ``as_of`` (default: the end of the sample data, so it is not years behind)."""
    from finops.report.weekly import render
    from finops.report.weeks import covered_week, sources_data

    sources = sources_data(con)
    now = as_of or max(s.data_through for s in sources)
    week = covered_week(sources, now)
    target = db.with_name(f"{db.stem}-report-{week}.html")
    target.write_text(render(con, week, (config or Config()).report, now=now).html, encoding="utf-8")
    return target


def sources_dir(db: Path) -> Path:
    """Where the demo keeps its bill files: beside the warehouse, named after it."""
    return db.with_name(f"{db.stem}-sources")


def summary(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Per billing period and account: the rows loaded (as `finops status` counts them: the bill's line
    items, before finops derives rows such as unused commitments), billed and amortised cost, and the
    top service."""
    return con.execute(
        """
        with by_service as (
            select BillingPeriodStart, BillingAccountId, ServiceName, sum(EffectiveCost) as cost
            from costs group by all
        ),
        top_service as (
            select BillingPeriodStart, BillingAccountId, arg_max(ServiceName, cost) as service
            from by_service group by all
        )
        select strftime(c.BillingPeriodStart, '%Y-%m') as period, c.BillingAccountId,
               (select sum(l.row_count) from loads l
                where l.replaced_by is null and l.billing_account_id = c.BillingAccountId
                  and l.billing_period_start = c.BillingPeriodStart) as rows,
               sum(c.BilledCost) as billed, sum(c.EffectiveCost) as effective,
               any_value(t.service) as top_service
        from costs c join top_service t using (BillingPeriodStart, BillingAccountId)
        group by all order by 1, 2
        """
    ).fetchall()
