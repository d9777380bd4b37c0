"""The measured steps, each run as ``python -m bench.steps STEP JSON-ARGS`` in a fresh process.

A fresh process per step makes its peak RSS its own: VmHWM, read at the end, is the high-water
mark of this process only (ru_maxrss would carry the parent's over across exec). Each step times
only its work, after imports, and prints one JSON line: rows, seconds, peak_rss_mib and extras.
The steps use finops's public API or its CLI, like a user would.
"""

from __future__ import annotations

import json
import sys
import time


def raw(files: list[str], db: str) -> dict:
    """DuckDB's own load of every column of the same files: the physical limit."""
    import duckdb

    con = duckdb.connect(db)
    started = time.perf_counter()
    reader = "read_parquet" if files[0].endswith(".parquet") else "read_csv" if ".csv" in files[0] else "read_json"
    con.execute(f"create table raw as select * from {reader}({files!r})")
    seconds = time.perf_counter() - started
    return {"rows": con.execute("select count(*) from raw").fetchone()[0], "seconds": seconds}


def ingest(provider: str, source: str, db: str) -> dict:
    """Ingest without building, then build, in one process: both times, and what the bill holds."""
    import finops
    from finops.config import load_config

    con = finops.connect(db, settings=load_config().duckdb)  # [duckdb] of $FINOPS_CONFIG, as the CLI reads it
    started = time.perf_counter()
    load = finops.ingest_gcp if provider == "gcp" else finops.ingest_aws
    line_items = sum(r.rows for r in load(con, source, build=False))
    landed = time.perf_counter()
    with finops.transaction(con):
        finops.build(con)
    built = time.perf_counter()
    resources, workloads, sagemaker, gpu = con.execute("""
        select count(distinct ResourceId), count(distinct x_WorkloadName),
               sum(EffectiveCost) filter (where ServiceName ilike '%sagemaker%' or ServiceName ilike '%vertex%')
                   / nullif(sum(EffectiveCost), 0),
               sum(EffectiveCost) filter (where x_GpuHours > 0) / nullif(sum(EffectiveCost), 0)
        from allocated_costs""").fetchone()
    return {"rows": line_items, "seconds": built - started, "ingest_seconds": landed - started,
            "build_seconds": built - landed, "resources": resources, "workloads": workloads,
            "ml_platform_share": float(sagemaker or 0), "gpu_share": float(gpu or 0)}


def report(db: str) -> dict:
    """Render the weekly report of the latest complete week with data, as `finops report` does."""
    import finops
    from finops.config import load_config
    from finops.report.weekly import latest_week_with_data, render

    con = finops.connect(db, read_only=True)
    rows = con.execute("select count(*) from costs").fetchone()[0]
    started = time.perf_counter()
    week = latest_week_with_data(con)
    html = render(con, week, load_config().report).html
    return {"rows": rows, "seconds": time.perf_counter() - started, "week": week, "html_bytes": len(html)}


def month_cost(db: str, period: str) -> dict:
    """Rows and billed cost of one billing period: shows a restatement replaced the month."""
    import finops

    con = finops.connect(db, read_only=True)
    started = time.perf_counter()
    rows, billed = con.execute("select count(*), sum(BilledCost) from costs "
                               "where strftime(BillingPeriodStart::timestamp, '%Y-%m') = ?", [period]).fetchone()
    return {"rows": rows, "seconds": time.perf_counter() - started, "billed": float(billed or 0)}


def cli(argv: list[str]) -> dict:
    """A `finops` command, in-process; the time includes importing the CLI, as cron would pay."""
    started = time.perf_counter()
    from finops.cli.app import main

    code = main(argv)
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"finops {' '.join(argv)} exited {code}")
    return {"rows": None, "seconds": seconds}


def peer(data: str, out: str) -> dict:
    """focus-converter (run by its own virtual environment's Python) on a Parquet dataset."""
    import multiprocessing
    import os
    import traceback

    from focus_converter.main import app

    started = time.perf_counter()
    try:
        app(["convert", "--provider", "aws", "--data-format", "parquet", "--parquet-data-format", "dataset",
             "--data-path", data, "--export-path", out + "/"], standalone_mode=False)
    except BaseException:
        # its writer processes wait for a sentinel that never comes after an error: end them
        traceback.print_exc()
        for child in multiprocessing.active_children():
            child.kill()
        os._exit(1)
    seconds = time.perf_counter() - started
    import pyarrow.dataset as ds

    return {"rows": ds.dataset(out).count_rows(), "seconds": seconds}


STEPS = {"raw": raw, "ingest": ingest, "report": report, "month_cost": month_cost, "cli": cli, "peer": peer}


def main() -> None:
    result = STEPS[sys.argv[1]](**json.loads(sys.argv[2]))
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({**result, "peak_rss_mib": hwm / 1024}))


if __name__ == "__main__":
    main()
