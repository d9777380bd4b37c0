"""Benchmark: ingest + build of generated AWS bills, beside DuckDB's own raw load of the same files.

Run from the repository root:

    python bench/ingest.py --rows 1000000            # CUR 2.0 Parquet and legacy CSV.gz
    python bench/ingest.py --rows 100000 --shape cur2

Each measurement runs in a fresh process so peak RSS is its own. Generated bills are cached in
bench/.cache/ (keyed by shape, rows and seed) so reruns time only what is measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"

MEASURE = r"""
import json, sys, time
from pathlib import Path
kind, source, db = sys.argv[1], sys.argv[2], sys.argv[3]
Path(db).unlink(missing_ok=True)
start = time.perf_counter()
if kind == "raw":
    import duckdb
    con = duckdb.connect(db)
    files = sorted(str(p) for p in Path(source).rglob("*") if p.name.endswith((".parquet", ".csv.gz")))
    reader = "read_parquet" if files[0].endswith(".parquet") else "read_csv"
    con.execute(f"create table raw as select * from {reader}({files!r})")
    rows = con.execute("select count(*) from raw").fetchone()[0]
else:
    import finops
    con = finops.connect(db)
    rows = sum(r.rows for r in finops.ingest_aws(con, source))
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mib": hwm / 1024}))
"""


def generated(shape: str, rows: int, seed: int) -> Path:
    """Generate (once) a month of bills of ``rows`` line items in the given shape."""
    from finops import generate

    root = CACHE / f"{shape}-{rows}-{seed}"
    if not (root / ".complete").exists():
        start = time.perf_counter()
        writer = generate.write_cur2 if shape == "cur2" else generate.write_legacy_cur
        writer(root, "2026-10", rows=rows, seed=seed)
        (root / ".complete").write_text(f"{time.perf_counter() - start:.1f}s\n")
    return root


def measure(kind: str, source: Path, db: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, kind, str(source), str(db)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shape", choices=("cur2", "legacy", "both"), default="both")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    shapes = ["cur2", "legacy"] if args.shape == "both" else [args.shape]
    print(f"| shape | rows | DuckDB raw load (s) | finops ingest+build (s) | ratio | rows/s | peak RSS raw / finops (MiB) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for shape in shapes:
        source = generated(shape, args.rows, args.seed)
        raw = measure("raw", source, CACHE / "raw.duckdb")
        ours = measure("finops", source, CACHE / "finops.duckdb")
        print(
            f"| {shape} | {ours['rows']:,} | {raw['seconds']:.2f} | {ours['seconds']:.2f} | "
            f"{ours['seconds'] / raw['seconds']:.1f}x | {ours['rows'] / ours['seconds']:,.0f} | "
            f"{raw['peak_rss_mib']:,.0f} / {ours['peak_rss_mib']:,.0f} |"
        )
    for name in ("raw.duckdb", "finops.duckdb"):
        (CACHE / name).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
