"""The benchmark (``python -m bench``) at a tiny size, so it cannot rot; timings are not checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from bench import generate
from finops.demo.generate_gcp import write_gcp_export

ROOT = Path(__file__).resolve().parent.parent


def test_bench_smoke_run_prints_every_measurement_and_the_targets():
    out = subprocess.run(
        [sys.executable, "-m", "bench", "--rows", "2000", "--months", "2", "--shapes", "cur2", "legacy",
         "--peer", "auto"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    table = out.stdout
    assert table.startswith("| size | step | bill | rows | seconds | rows/s | peak RSS (MiB) | versus |")
    for step in ("DuckDB raw load | cur2", "ingest+build | cur2", "ingest+build | legacy", "weekly report",
                 "no-op refresh | cur2", "export focus | legacy", "ingest+build+export focus | legacy",
                 "load 2 months | cur2", "load 1 month into an empty warehouse | cur2",
                 "refresh of restated 2026-09 | cur2"):
        assert f"| 2,000 | {step}" in table, step
    assert "x raw; " in table and "x one month alone; its billed cost x1.020 |" in table
    for target in ("within 2.5x of DuckDB's raw load", "under a 3GB cap", "peak RSS < 3 GiB", "no-op refresh < 0.5 s",
                   "weekly report < 2 s", "faster than focus-converter", "over 200,000 resources",
                   "within 1.5x of loading it alone"):
        assert target in table.split("Targets")[1], target


def test_gcp_bill_written_day_by_day_equals_the_month_written_at_once(tmp_path):
    """The day-per-file writer (flat memory at 10M rows) must not change a single row."""
    days = generate.month("gcp", 800, seed=3)
    whole = write_gcp_export(tmp_path / "month.parquet", generate.PERIOD, rows=800, seed=3)
    con = duckdb.connect()
    files = [str(p) for p in generate.data_files(days, "gcp")]
    assert len(files) == 32  # UTC days Oct 1 (from 07:00) to Nov 1 (to 07:00)
    assert con.execute(f"""
        select count(*) from (
            (select * from read_parquet({files!r}) except all
             select * from '{whole}')
            union all
            (select * from '{whole}' except all
             select * from read_parquet({files!r})))""").fetchone()[0] == 0


def test_restated_month_is_a_new_delivery_of_the_same_files():
    """The re-delivery overwrites the month's files in place under a new execution id, like Data Exports."""
    original, again = generate.month("cur2", 500, 3, generate.RESTATED), generate.restated(500, 3)
    names = sorted(p.relative_to(original).as_posix() for p in original.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file())
    manifest = next(p for p in names if p.endswith("Manifest.json"))
    assert (original / manifest).read_text() != (again / manifest).read_text()


def test_focus_converter_input_has_the_columns_its_aws_rules_require():
    data = generate.peer_input(generate.month("legacy", 500, 3))
    columns = {r[0] for r in duckdb.sql(f"describe select * from '{data}/*.parquet'").fetchall()}
    # focus-converter 1.0.0: the source columns its AWS conversion plan validates before converting
    assert {"line_item_usage_account_id", "line_item_unblended_cost", "savings_plan_savings_plan_arn",
            "reservation_reservation_arn", "product_purchase_option", "reservation_total_reserved_units",
            "pricing_public_on_demand_cost", "product_region_code"} <= columns
