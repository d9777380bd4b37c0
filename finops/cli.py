"""The ``finops`` command: a thin layer over the library functions.

Exit codes: 0 success, 1 a source or step failed (bad input, unreadable file), 2 usage error,
130 interrupted. Errors are one line on stderr, never a traceback (set FINOPS_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import FinopsError, UsageError

EXAMPLES = {
    "ingest aws": "finops ingest aws ./cur-exports/\n  finops ingest aws s3://my-billing-bucket/cur/ --endpoint-url http://127.0.0.1:9000",
    "ingest focus": "finops ingest focus ./focus-export.parquet",
    "build": "finops build",
    "query": 'finops query "select ServiceName, sum(EffectiveCost) from costs group by 1 order by 2 desc"\n'
    "  finops query --list",
    "export focus": "finops export focus --out focus.parquet",
    "status": "finops status",
    "demo": "finops demo",
    "schema": "finops schema --out docs/schema.md",
}


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        help="warehouse file (default: $FINOPS_DB, else finops.duckdb in the working directory)",
    )
    common.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors (for cron)")

    def sub(parent, name: str, help_text: str, example_key: str) -> argparse.ArgumentParser:  # noqa: ANN001
        return parent.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=help_text,
            epilog=f"example:\n  {EXAMPLES[example_key]}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    parser = argparse.ArgumentParser(
        prog="finops",
        description="Where your cloud money goes: AWS and GCP bills in DuckDB, in FOCUS 1.2 columns.",
        epilog="example:\n  finops demo\n  finops ingest aws ./cur-exports/ && finops query \"select * from costs limit 5\"",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"finops {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ingest = commands.add_parser("ingest", help="load billing data into the warehouse")
    sources = ingest.add_subparsers(dest="provider", metavar="PROVIDER", required=True)
    aws = sub(sources, "aws", "Load AWS Cost and Usage Reports (legacy CUR, CUR 2.0, FOCUS export) from a directory, file or s3:// prefix.", "ingest aws")
    aws.add_argument("source", help="directory, file, or s3://bucket/prefix")
    aws.add_argument("--endpoint-url", help="S3-compatible endpoint (default: $AWS_ENDPOINT_URL)")
    aws.add_argument("--no-build", action="store_true", help="load only; run `finops build` later")
    focus = sub(sources, "focus", "Load FOCUS files (CSV or Parquet, any provider) from a directory, file or s3:// prefix.", "ingest focus")
    focus.add_argument("source", help="directory, file, or s3://bucket/prefix")
    focus.add_argument("--endpoint-url", help="S3-compatible endpoint (default: $AWS_ENDPOINT_URL)")
    focus.add_argument("--no-build", action="store_true", help="load only; run `finops build` later")

    sub(commands, "build", "Rebuild every model (views and tables under sql/) from the loaded data.", "build")

    query = sub(commands, "query", "Run a SQL query against the warehouse (read-only) and print the result.", "query")
    query.add_argument("sql", nargs="?", help="the SQL to run")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format (default: table)")
    query.add_argument("--list", action="store_true", help="list every table and view with its description")

    export = commands.add_parser("export", help="write the warehouse's data to files")
    targets = export.add_subparsers(dest="target", metavar="TARGET", required=True)
    export_focus = sub(targets, "focus", "Write costs as a FOCUS 1.2 file (Parquet, or CSV when --out ends in .csv).", "export focus")
    export_focus.add_argument("--out", required=True, metavar="FILE", help="file to write")
    export_focus.add_argument("--format", choices=("parquet", "csv"), help="default: from the file suffix")

    sub(commands, "status", "Show what is loaded: one line per billing period, with its source total and reconciliation.", "status")
    schema = sub(commands, "schema", "Print the reference of every table and view (Markdown, from the comments in DuckDB).", "schema")
    schema.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
    demo = sub(commands, "demo", "Build a warehouse from bundled sample bills (default --db finops-demo.duckdb) and print a summary.", "demo")
    demo.set_defaults(demo=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    out = Output(quiet=args.quiet if hasattr(args, "quiet") else False)
    try:
        return _run(args, out)
    except FinopsError as exc:
        print(f"finops: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `finops query ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("finops: interrupted; the warehouse is unchanged", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly, keep the traceback for FINOPS_DEBUG
        if os.environ.get("FINOPS_DEBUG"):
            raise
        print(f"finops: internal error: {exc.__class__.__name__}: {exc} (set FINOPS_DEBUG=1 for details)", file=sys.stderr)
        return 1


class Output:
    """Messages go to stdout; progress to stderr only on a terminal; nothing at all with --quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.interactive = sys.stderr.isatty() and not quiet

    def say(self, text: str = "") -> None:
        if not self.quiet:
            print(text)

    def progress(self, text: str) -> None:
        if self.interactive:
            from rich.console import Console

            Console(stderr=True).print(f"[dim]… {text}[/dim]", highlight=False)


def _run(args: argparse.Namespace, out: Output) -> int:
    from .warehouse import connect, resolve_db_path

    if args.command == "ingest":
        from .ingest import ingest_aws, ingest_focus

        ingest = ingest_aws if args.provider == "aws" else ingest_focus
        with connect(args.db) as con:
            results = ingest(con, args.source, endpoint_url=args.endpoint_url, build=not args.no_build, progress=out.progress)
        _report_loads(results, out)
        return 0

    if args.command == "build":
        from .models import build
        from .warehouse import transaction

        with connect(args.db) as con, transaction(con):
            built = build(con)
        out.say(f"built {len(built)} models")
        return 0

    if args.command == "query":
        return _query(args, out)

    if args.command == "export":
        from .export import export_focus

        with connect(args.db, read_only=True) as con:
            rows = export_focus(con, args.out, fmt=args.format)
        out.say(f"wrote {rows:,} rows to {args.out}")
        return 0

    if args.command == "status":
        with connect(args.db, read_only=True) as con:
            return _status(con, out)

    if args.command == "schema":
        from .schema_doc import schema_markdown

        text = schema_markdown()
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
            out.say(f"wrote {args.out}")
        else:
            print(text, end="")
        return 0

    if args.command == "demo":
        from .demo import DEMO_DB, run_demo, sources_dir, summary

        path = resolve_db_path(args.db or os.environ.get("FINOPS_DB") or DEMO_DB)
        with connect(path) as con:
            results = run_demo(con, sources_dir(path), progress=out.progress)
            rows = summary(con)
        _report_loads(results, out)
        out.say()
        _print_table(["period", "billing account", "rows", "billed", "amortised", "top service"], rows, out)
        out.say(f"\nwarehouse: {path}   bill files: {sources_dir(path)}/")
        out.say(f"try: finops query --db {path} \"select ServiceName, sum(EffectiveCost) from costs group by 1 order by 2 desc\"")
        return 0
    raise UsageError(f"unknown command {args.command}")


def _report_loads(results, out: Output) -> None:  # noqa: ANN001
    for r in results:
        if r.skipped:
            out.say(f"skipped {r.source}: already loaded")
            continue
        for p in r.periods:
            out.say(f"loaded {r.source}: {p.provider} {p.account} {p.start:%Y-%m}, {p.rows:,} rows, {p.total:,.2f} billed")


def _query(args: argparse.Namespace, out: Output) -> int:
    import duckdb

    from .models import relations
    from .warehouse import connect, first_line

    if not args.sql and not args.list:
        raise UsageError("query: give the SQL to run, or --list")
    with connect(args.db, read_only=True) as con:
        if args.list:
            _print_table(["name", "kind", "description"], relations(con), out)
            return 0
        try:
            cursor = con.execute(args.sql)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            rows = cursor.fetchall() if columns else []
        except duckdb.Error as exc:
            raise FinopsError(f"query: {first_line(exc)}") from None
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif args.format == "json":
        print(json.dumps([dict(zip(columns, row)) for row in rows], default=str, indent=1))
    else:
        _print_table(columns, rows, out)
    return 0


def _status(con, out: Output) -> int:  # noqa: ANN001
    from .status import status

    periods = status(con)
    if not periods:
        out.say("nothing loaded yet")
        return 0
    rows = [
        (
            p.provider,
            p.billing_account_id,
            f"{p.billing_period_start:%Y-%m}",
            p.shape,
            p.rows,
            p.source_total,
            "yes" if p.reconciled else ("not built" if p.billed_total is None else f"NO ({p.billed_total})"),
            f"{p.loaded_at:%Y-%m-%d %H:%M}",
            p.source,
        )
        for p in periods
    ]
    _print_table(["provider", "account", "period", "shape", "rows", "source total", "reconciled", "loaded (UTC)", "source"], rows, out)
    return 0


def _print_table(columns: list[str], rows: list[tuple], out: Output) -> None:
    """A plain aligned table: readable in a terminal, a pipe and a cron mail alike."""
    if out.quiet:
        return
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    print(line(columns))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))


def _cell(value: object) -> str:
    from decimal import Decimal

    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value == value.quantize(Decimal("0.01")) or abs(value) >= 1 else f"{value:,.6f}"
    return str(value)


def _is_number(value: object) -> bool:
    from decimal import Decimal

    return value is None or (isinstance(value, int | float | Decimal) and not isinstance(value, bool))


if __name__ == "__main__":
    sys.exit(main())
