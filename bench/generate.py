"""Bills for the benchmark, generated once and cached in bench/.cache/bills/.

The line items come from finops.demo.generate (AWS: SageMaker jobs, endpoints and notebooks, GPU
instances, Savings Plans, RIs, tax, messy tags; more rows means more teams, jobs and endpoints,
so tag cardinality grows with size) and finops.demo.generate_gcp (Vertex AI, GPU VMs, credits). Each
bill is written in the layout its provider delivers, so ingest does its real discovery work.
A bill is cached under a name made of its arguments and marked complete only once fully written.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
BILLS = CACHE / "bills"

SHAPES = ("cur2", "legacy", "gcp", "gcp-jsonl", "cur2-resources")
DATA_SUFFIXES = {"cur2": ".parquet", "legacy": ".csv.gz", "gcp": ".parquet", "gcp-jsonl": ".json.gz",
                 "cur2-resources": ".parquet"}
ROWS_PER_RESOURCE = 5
"""cur2-resources: the CUR 2.0 bill's rows spread over a fifth as many resources (200,000 at 1M)."""
PERIOD = "2026-10"
YEAR = ["2025-11", "2025-12"] + [f"2026-{m:02d}" for m in range(1, 11)]  # twelve months up to PERIOD
RESTATED = "2026-09"  # AWS restates a closed month; here the one before the latest


def month(shape: str, rows: int, seed: int, period: str = PERIOD) -> Path:
    """Directory holding one month of ``rows`` line items in ``shape`` (see SHAPES)."""
    root = BILLS / f"{shape}-{rows}-{seed}-{period}"
    return _cached(root, lambda: _write(shape, root, period, rows, seed))


def restated(rows: int, seed: int, period: str = RESTATED) -> Path:
    """The month-end re-delivery of a CUR 2.0 month: new execution id, invoice ids, costs +2 %."""
    from finops.demo import generate

    root = BILLS / f"cur2-{rows}-{seed}-{period}-restated"
    return _cached(root, lambda: generate.write_cur2(root, period, rows=rows, seed=seed, final=True, cost_scale=1.02))


def data_files(root: Path, shape: str) -> list[Path]:
    """The bill's data files (not manifests), for DuckDB's raw load of the same bytes."""
    return sorted(p for p in root.rglob("*") if p.name.endswith(DATA_SUFFIXES[shape]))


def link_tree(roots: list[Path], dest: Path) -> Path:
    """Hard-link every file of ``roots`` into one tree at ``dest``; later roots replace earlier
    files of the same path, as a re-delivery overwrites them in the bucket. Costs no disk."""
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.name != ".complete":
                target = dest / path.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.unlink(missing_ok=True)
                os.link(path, target)
    return dest


def peer_input(legacy: Path) -> Path:
    """The legacy CUR's line items as the Parquet dataset focus-converter 1.0.0 reads.

    It cannot read AWS's CSV headers (``lineItem/UsageAccountId``): its rules name the Athena
    columns of the Parquet CUR. So the same CSV files are re-encoded with those names, plus three
    columns its rules spell differently from AWS (``..._arn`` for ``..._a_r_n``,
    ``product_purchase_option``) and ``reservation_total_reserved_units``, which its validation
    requires and this account's bill does not carry. Not timed: it only gives the peer a format it
    supports.
    """
    import duckdb

    from finops.warehouse.columns.cur import snake_case

    root = legacy.with_name(legacy.name + "-focus-converter")

    def write() -> None:
        root.mkdir(parents=True)
        con = duckdb.connect()
        files = [str(p) for p in data_files(legacy, "legacy")]
        headers = [r[0] for r in con.execute(f"describe select * from read_csv({files!r})").fetchall()]
        columns = [f'"{h}" as {snake_case(h)}' for h in headers] + [
            '"savingsPlan/SavingsPlanARN" as savings_plan_savings_plan_arn',
            '"reservation/ReservationARN" as reservation_reservation_arn',
            '"pricing/purchaseOption" as product_purchase_option',
            "cast(null as double) as reservation_total_reserved_units",
        ]
        con.execute(f"copy (select {', '.join(columns)} from read_csv({files!r})) "
                    f"to '{root / 'part-0.parquet'}' (format parquet, compression snappy)")
        con.close()

    return _cached(root, write)


def _write(shape: str, root: Path, period: str, rows: int, seed: int) -> None:
    from finops.demo import generate

    if shape == "cur2-resources":
        _spread_resources(month("cur2", rows, seed, period), root, max(1, rows // ROWS_PER_RESOURCE))
    elif shape == "cur2":
        generate.write_cur2(root, period, rows=rows, seed=seed)
    elif shape == "legacy":
        generate.write_legacy_cur(root, period, rows=rows, seed=seed)
    else:
        _write_gcp(root, period, rows, seed, "parquet" if shape == "gcp" else "jsonl.gz")


def _write_gcp(root: Path, period: str, rows: int, seed: int, fmt: str) -> None:
    """One file per UTC usage day, as an export job splits a big table into many files: each call
    plans the whole month but materialises one day, so memory stays flat from 1M to 10M rows."""
    from finops.demo.generate_gcp import usage_days, write_gcp_export

    suffix = "parquet" if fmt == "parquet" else "json.gz"
    for k, day in enumerate(usage_days(period)):
        write_gcp_export(root / f"billing-export-{k:012d}.{suffix}", period, rows=rows, seed=seed, fmt=fmt, days=[day])


def _cached(root: Path, write: Callable[[], object]) -> Path:
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        write()
        (root / ".complete").write_text(f"generated in {time.perf_counter() - started:.1f}s\n")
    return root


def _spread_resources(bill: Path, root: Path, resources: int) -> None:
    """The same CUR 2.0 rows and costs over about ``resources`` resources: each resource's month is
    cut into k contiguous spans, each a resource of its own (as short-lived jobs and instances are),
    with k the smallest giving at least ``resources``. Only line_item_resource_id changes."""
    import duckdb

    con = duckdb.connect()
    files = [str(p) for p in data_files(bill, "cur2")]
    con.execute(f"create view bill as select * from read_parquet({files!r})")

    def spread(k: int) -> str:
        hour = "epoch(line_item_usage_start_date - date_trunc('month', line_item_usage_start_date)) / 3600"
        return (f"case when nullif(line_item_resource_id, '') is null then line_item_resource_id "
                f"else line_item_resource_id || '-' || cast(floor({hour} * {k} / 744) as bigint) end")

    def count(k: int) -> int:
        return con.execute(f"select count(distinct {spread(k)}) from bill").fetchone()[0]

    low, high = 1, 1
    while count(high) < resources and high < 744:
        low, high = high, min(high * 2, 744)
    while low < high:  # the smallest k with count(k) >= resources
        mid = (low + high) // 2
        low, high = (mid + 1, high) if count(mid) < resources else (low, mid)
    for path in bill.rglob("*"):
        if path.is_file() and path.name != ".complete":
            target = root / path.relative_to(bill)
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.name.endswith(".parquet"):
                con.execute(f"copy (select * replace ({spread(high)} as line_item_resource_id) "
                            f"from read_parquet('{path}')) to '{target}' (format parquet, compression snappy)")
            else:
                shutil.copyfile(path, target)
    con.close()
