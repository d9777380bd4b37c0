"""Benchmark finops at real scale: ``python -m bench`` (see bench/README.md).

For each size: DuckDB's raw load beside our ingest+build of every bill shape; on the CUR 2.0
warehouse the weekly report and a no-op ``finops refresh``; ingest+``finops export focus`` of the
legacy CUR beside focus-converter; a restated month refreshed into a twelve-month warehouse beside
one month loaded into an empty one. Prints one markdown table of measurements, then the targets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import generate, measure, peer, targets
from bench.generate import CACHE

SCALES = {"100M": 100_000_000}
CAPPED_SHAPES = ("cur2", "legacy")


@dataclass
class Row:
    """One line of the table: a step's result (rows, seconds, peak_rss_mib, or error) at one size."""

    size: int
    step: str
    shape: str
    result: dict
    versus: str = ""

    def markdown(self) -> str:
        r = self.result
        if "error" in r:
            return f"| {self.size:,} | {self.step} | {self.shape} | | | | | FAILED: {r['error'].replace('|', '/')} |"
        rows = r.get("rows")
        rate = f"{rows / r['seconds']:,.0f}" if rows else ""
        return (f"| {self.size:,} | {self.step} | {self.shape} | {rows or 0:,} | {r['seconds']:.2f} | {rate} | "
                f"{r['peak_rss_mib']:,.0f} | {self.versus} |")


HEADER = ("| size | step | bill | rows | seconds | rows/s | peak RSS (MiB) | versus |\n"
          "|---:|---|---|---:|---:|---:|---:|---|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="line items per bill (one month), one run per size")
    parser.add_argument("--shapes", nargs="+", choices=generate.SHAPES, default=list(generate.SHAPES))
    parser.add_argument("--cap", default="3GB", help='also ingest+build cur2 and legacy under [duckdb] memory_limit '
                        '= CAP (default 3GB; "none": not)')
    parser.add_argument("--scale", choices=sorted(SCALES), help="instead: only the twelve-month warehouse, of this "
                        "many line items (100M: hours, not run in CI)")
    parser.add_argument("--year-rows", type=int, help="line items per month of the twelve-month warehouse "
                        "(default: a twelfth of --rows, so it holds as many rows as the one-month bill)")
    parser.add_argument("--months", type=int, default=12, help="months in the restatement warehouse")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--peer", choices=("yes", "auto", "no"), default="yes",
                        help="focus-converter: yes = install it on first use, auto = only if already installed")
    parser.add_argument("--peer-python", default=sys.executable, help="Python (3.9-3.12) for its environment")
    args = parser.parse_args(argv)
    if not 2 <= args.months <= len(generate.YEAR):
        parser.error(f"--months must be 2 to {len(generate.YEAR)}: {generate.RESTATED} is restated")
    if args.scale:
        args.rows, args.shapes, args.months, args.year_rows = [SCALES[args.scale]], [], 12, None
    if args.peer == "yes":
        peer.install(args.peer_python)
    rows: list[Row] = []
    print(f"finops benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", file=sys.stderr)
    for size in args.rows:
        run_dir = CACHE / "runs" / str(size)
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        for row in measure_size(size, args, run_dir):
            print(row.markdown(), file=sys.stderr)  # progress while the rest runs
            rows.append(row)
        shutil.rmtree(run_dir)
    print(HEADER)
    print("\n".join(row.markdown() for row in rows))
    print()
    size = max(r.size for r in rows)
    print(targets.table({(r.step, r.shape): r.result for r in rows if r.size == size and "error" not in r.result}, size))
    return 0


def measure_size(size: int, args: argparse.Namespace, run_dir: Path):  # noqa: ANN201 (a generator of Row)
    """Every measurement at one size, yielded as it completes; a failed step fails only its block."""
    config = run_dir / "finops.toml"
    config.write_text("")  # every step reads this, never a finops.toml of the working directory
    env = {"FINOPS_CONFIG": str(config)}
    ours: dict[str, dict] = {}
    for shape in args.shapes:
        yield from guarded(size, "ingest+build", shape, load(size, shape, args, run_dir, env, ours))
        if shape in CAPPED_SHAPES and args.cap != "none":
            yield from guarded(size, f"ingest+build, {args.cap} cap", shape, capped(size, shape, args, run_dir))
    if "cur2" in ours:
        yield from guarded(size, "report and refresh", "cur2", report_and_refresh(size, args, run_dir, env))
    if "legacy" in ours:
        yield from guarded(size, "export focus", "legacy", versus_peer(size, args, run_dir, ours["legacy"], env))
    month_rows = args.year_rows or max(1, size // args.months)
    yield from guarded(size, "restatement", "cur2", restatement(size, month_rows, args, run_dir, env))


def guarded(size: int, block: str, shape: str, rows: Iterator[Row]) -> Iterator[Row]:
    """The block's rows; when one of its steps fails, a FAILED row instead of the rest of it."""
    try:
        yield from rows
    except RuntimeError as exc:
        yield Row(size, block, shape, {"error": " ".join(str(exc).split())[-300:]})


def load(size: int, shape: str, args: argparse.Namespace, run_dir: Path, env: dict, ours: dict) -> Iterator[Row]:
    """DuckDB's raw load of the bill, then our ingest and build of it (kept in ``ours``)."""
    source = generate.month(shape, size, args.seed)
    files = [str(p) for p in generate.data_files(source, shape)]
    raw = measure.run("raw", files=files, db=run_dir / f"raw-{shape}.duckdb")
    (run_dir / f"raw-{shape}.duckdb").unlink()
    yield Row(size, "DuckDB raw load", shape, raw)
    provider = "gcp" if shape.startswith("gcp") else "aws"
    result = measure.run("ingest", provider=provider, source=source, db=run_dir / f"{shape}.duckdb", env=env)
    ours[shape] = result
    yield Row(size, "ingest", shape, {**result, "seconds": result["ingest_seconds"]})
    yield Row(size, "build", shape, {**result, "seconds": result["build_seconds"]})
    yield Row(size, "ingest+build", shape, result, f"{result['seconds'] / raw['seconds']:.1f}x raw; {describe(result)}")


def capped(size: int, shape: str, args: argparse.Namespace, run_dir: Path) -> Iterator[Row]:
    """Our ingest and build of the same bill with DuckDB's memory capped as ``[duckdb] memory_limit`` does."""
    config = run_dir / "capped.toml"
    config.write_text(f'[duckdb]\nmemory_limit = "{args.cap}"\n')
    db = run_dir / f"capped-{shape}.duckdb"
    result = measure.run("ingest", provider="aws", source=generate.month(shape, size, args.seed), db=db,
                         env={"FINOPS_CONFIG": str(config)})
    db.unlink()
    yield Row(size, f"ingest+build, {args.cap} cap", shape, result)


def report_and_refresh(size: int, args: argparse.Namespace, run_dir: Path, env: dict) -> Iterator[Row]:
    """The weekly report on the CUR 2.0 warehouse, and a refresh that finds nothing new."""
    db, config = run_dir / "cur2.duckdb", Path(env["FINOPS_CONFIG"])
    config.write_text(f'[sources.bench]\nkind = "aws"\nlocation = "{generate.month("cur2", size, args.seed)}"\n\n'
                      f'[refresh]\nreport_dir = "reports"\n')
    result = measure.run("report", db=db, env=env)
    yield Row(size, f"weekly report {result['week']}", "cur2", result)
    refresh = ["refresh", "--no-email", "--db", db]
    measure.run("cli", argv=refresh, env=env)  # the first refresh builds: the ingest did not record a refresh's build
    yield Row(size, "no-op refresh", "cur2", measure.run("cli", argv=refresh, env=env))


def versus_peer(size: int, args: argparse.Namespace, run_dir: Path, ingested: dict, env: dict) -> Iterator[Row]:
    """`finops export focus` after the legacy ingest, beside focus-converter on the same rows."""
    exported = measure.run("cli", argv=["export", "focus", "--out", run_dir / "focus.parquet",
                                        "--db", run_dir / "legacy.duckdb"], env=env)
    total = {"rows": ingested["rows"], "seconds": ingested["seconds"] + exported["seconds"],
             "peak_rss_mib": max(ingested["peak_rss_mib"], exported["peak_rss_mib"])}
    yield Row(size, "export focus", "legacy", {**exported, "rows": ingested["rows"]})
    if args.peer == "no" or not peer.installed():
        yield Row(size, "ingest+build+export focus", "legacy", total, "focus-converter skipped")
        return
    data = generate.peer_input(generate.month("legacy", size, args.seed))
    converted = measure.run("peer", python=peer.python(), data=data, out=run_dir / "focus-converter")
    yield Row(size, "focus-converter 1.0.0", "legacy as Parquet", converted)
    yield Row(size, "ingest+build+export focus", "legacy", total,
              f"{total['seconds'] / converted['seconds']:.2f}x focus-converter")


def restatement(size: int, month_rows: int, args: argparse.Namespace, run_dir: Path, env: dict) -> Iterator[Row]:
    """A restated month refreshed into a warehouse of twelve months, beside one month alone."""
    months = generate.YEAR[-args.months:]
    roots = [generate.month("cur2", month_rows, args.seed, period) for period in months]
    bucket = generate.link_tree(roots, run_dir / "bucket")
    db = run_dir / "year.duckdb"
    year = measure.run("ingest", provider="aws", source=bucket, db=db, env=env)
    yield Row(size, f"load {len(months)} months", "cur2", year)
    single = measure.run("ingest", provider="aws", source=roots[months.index(generate.RESTATED)],
                         db=run_dir / "month.duckdb", env=env)
    yield Row(size, "load 1 month into an empty warehouse", "cur2", single)
    before = measure.run("month_cost", db=db, period=generate.RESTATED, env=env)
    generate.link_tree([generate.restated(month_rows, args.seed)], bucket)
    config = run_dir / "year.toml"
    config.write_text(f'[sources.bucket]\nkind = "aws"\nlocation = "{bucket}"\n')
    refreshed = measure.run("cli", argv=["refresh", "--no-email", "--db", db], env={"FINOPS_CONFIG": str(config)})
    after = measure.run("month_cost", db=db, period=generate.RESTATED, env=env)
    yield Row(size, f"refresh of restated {generate.RESTATED}", "cur2", {**refreshed, "rows": single["rows"]},
              f"{refreshed['seconds'] / single['seconds']:.1f}x one month alone; "
              f"its billed cost x{after['billed'] / before['billed']:.3f}")


def describe(result: dict) -> str:
    return (f"{result['resources']:,} resources, {result['workloads']:,} workloads, "
            f"{result['ml_platform_share']:.0%} SageMaker/Vertex, {result['gpu_share']:.0%} GPU")


if __name__ == "__main__":
    sys.exit(main())
