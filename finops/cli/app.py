"""The ``finops`` command: a thin layer over the library functions.

Exit codes: 0 success, 1 a source or step failed (bad input, unreadable file), 2 usage or config
error, 75 another finops process holds the warehouse's writer lock, 130 interrupted. Errors are one line on stderr, never a traceback (set FINOPS_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from finops import __version__
from finops.errors import FinopsError, UsageError

EXAMPLES = {
    "ingest aws": "finops ingest aws ./cur-exports/\n  finops ingest aws s3://my-billing-bucket/cur/ --endpoint-url http://127.0.0.1:9000",
    "ingest focus": "finops ingest focus ./focus-export.parquet",
    "ingest gcp": "finops ingest gcp bq://my-project.billing.gcp_billing_export_resource_v1_0123AB_456CD_789EF\n"
    "  finops ingest gcp ./export/",
    "ingest metrics": "finops ingest metrics ./nvidia-smi-logs/ --resource i-0abc123def4567890\n"
    "  finops ingest metrics ./dcgm/*.prom\n  finops ingest metrics cloudwatch://us-east-1",
    "build": "finops build\n  finops build --engine spark --spark-master local[2] --source s3a://billing/cur2/ --target-schema finops\n"
    "  finops build --engine bigquery --project my-proj --dataset finops --source my-proj.billing.gcp_billing_export_v1_0123AB_456CD_789EF",
    "sql": "finops sql --engine trino marts/training_jobs",
    "query": 'finops query "select ServiceName, sum(EffectiveCost) from costs group by 1 order by 2 desc"\n'
    '  finops query "select * from workload_costs where week = \'2026-W44\'" --format parquet --out w44.parquet\n'
    "  finops query --list",
    "export focus": "finops export focus --out focus.parquet",
    "status": "finops status",
    "demo": "finops demo",
    "schema": "finops schema --out docs/schema.md",
    "report": "finops report --week 2026-W44 --out reports/2026-W44.html\n  finops report",
    "email": "finops email --week 2026-W44 --to finance@example.com",
    "refresh": "finops refresh\n  finops refresh --no-email --quiet\n  finops refresh --resend-unconfirmed",
    "init": "finops init",
    "check": "finops check\n  finops check --format json",
    "prices refresh": "finops prices refresh\n  finops prices refresh --provider aws --lookback-days 7",
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
    gcp = sub(sources, "gcp", "Load a GCP Cloud Billing export from BigQuery (bq://project.dataset.table) or from its exported JSON, Parquet or Avro files; replaces each usage day that has newer rows.", "ingest gcp")
    gcp.add_argument("source", help="bq://project.dataset.table, or a directory or file of exported files")
    gcp.add_argument("--no-build", action="store_true", help="load only; run `finops build` later")
    metrics = sub(sources, "metrics", "Load GPU utilisation samples: nvidia-smi --query-gpu CSV logs, DCGM exporter scrapes (Prometheus text), or CloudWatch for the GPU resources the bill shows; a file loaded again replaces its samples.", "ingest metrics")
    metrics.add_argument("source", nargs="+", help="files or directories of metrics files, or cloudwatch://REGION")
    metrics.add_argument("--resource", metavar="ID", help="the instance or resource the samples belong to (the bill's ResourceId, or a SageMaker resource name); default: from the file")
    metrics.add_argument("--endpoint-url", help="CloudWatch-compatible endpoint for cloudwatch:// (default: $AWS_ENDPOINT_URL)")
    metrics.add_argument("--no-build", action="store_true", help="load only; run `finops build` later")

    build = sub(commands, "build", "Rebuild every model (views and tables under sql/) from the loaded data.", "build")
    build.add_argument("--full-refresh", action="store_true",
                       help="rebuild allocated_costs whole, not only the loads that changed (never needed after finops's own loads)")
    build.add_argument("--engine", choices=("duckdb", "spark", "bigquery"), default="duckdb",
                       help="where to build (default: duckdb, the warehouse file); see docs/scale-out.md")
    build.add_argument("--source", metavar="PATH|TABLE",
                       help="spark: CUR or GCP billing export Parquet to land first (path or s3a://); bigquery: the billing export table, read in place")
    build.add_argument("--spark-master", metavar="URL", default="local[2]", help="spark: the master (default: local[2])")
    build.add_argument("--spark-conf", action="append", metavar="KEY=VALUE",
                       help="spark: any Spark setting, e.g. spark.jars.packages=org.apache.hadoop:hadoop-aws:3.4.1; repeat for more")
    build.add_argument("--spark-warehouse", metavar="DIR", help="spark: where tables live (default: Spark's spark.sql.warehouse.dir)")
    build.add_argument("--target-schema", metavar="NAME", default="finops", help="spark: the schema the tables go to (default: finops)")
    build.add_argument("--table-format", choices=("parquet", "iceberg"), default="parquet",
                       help="spark: write the landing tables and marts as plain Parquet (default) or commit them to Iceberg tables")
    build.add_argument("--iceberg-catalog", metavar="NAME",
                       help="spark: the pyiceberg catalog (from .pyiceberg.yaml or PYICEBERG_CATALOG__NAME__* variables; "
                       "default: pyiceberg's default catalog)")
    build.add_argument("--project", help="bigquery: the Google Cloud project that runs the jobs")
    build.add_argument("--dataset", default="finops", help="bigquery: the dataset the tables go to (default: finops)")
    build.add_argument("--model", action="append", metavar="NAME",
                       help="spark, bigquery: build only this model and what it reads; repeat for more (default: every model)")

    sql = sub(commands, "sql", "Print a model compiled for another engine's SQL dialect (sqlglot, plus the per-engine macros of sql/engines.toml).", "sql")
    sql.add_argument("model", help="model name or path under sql/, e.g. marts/training_jobs")
    sql.add_argument("--engine", choices=("duckdb", "spark", "bigquery", "trino"), required=True, help="target engine (trino also serves Athena)")

    query = sub(commands, "query", "Run a SQL query against the warehouse (read-only) and print the result.", "query")
    query.add_argument("sql", nargs="?", help="the SQL to run")
    query.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table",
                       help="output format (default: table; parquet needs --out)")
    query.add_argument("--out", metavar="FILE", help="write the result to FILE instead of printing it")
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
    report = sub(commands, "report", "Write the weekly HTML cost report of an ISO week (default: the last complete week before today).", "report")
    report.add_argument("--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W44 (default: the last complete week before today, UTC)")
    report.add_argument("--out", metavar="FILE", help="HTML file to write (default: report-<week>.html here)")
    email = sub(commands, "email", "Send the weekly report by email (SMTP with STARTTLS and login, or Amazon SES), as set in finops.toml [email] and the environment.", "email")
    email.add_argument("--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W44 (default: the last complete week before today, UTC)")
    email.add_argument("--to", action="append", metavar="ADDRESS", help="recipient; repeat for more (default: [email] to)")
    refresh = sub(commands, "refresh", "For cron: ingest every source in finops.toml, rebuild, write the last complete week's report and email it once. Exit 0 ok, 1 a source or step failed, 2 config error, 74 disk full or directory not writable, 75 another writer holds the lock.", "refresh")
    refresh.add_argument("--no-email", action="store_true", help="write the report but do not send it")
    refresh.add_argument("-v", "--verbose", action="store_true", help="also print each delivery as it loads")
    refresh.add_argument("--resend-unconfirmed", action="store_true",
                         help="send again a week's email whose earlier send was never confirmed (it may have arrived)")
    init = sub(commands, "init", "Write a commented finops.toml template to edit (refuses to overwrite one).", "init")
    init.add_argument("--out", metavar="FILE", default="finops.toml", help="file to write (default: finops.toml)")
    check = sub(commands, "check", "Data-quality checks: duplicate line items, costs vs source totals, source freshness, negative usage, mixed currencies; exit 1 when one fails.", "check")
    check.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    prices = commands.add_parser("prices", help="public prices the savings estimates use")
    price_actions = prices.add_subparsers(dest="action", metavar="ACTION", required=True)
    prices_refresh = sub(price_actions, "refresh", "Read today's GPU prices (AWS Price List API, EC2 spot price history, GCP Cloud Billing Catalog) into the warehouse. A source that cannot be reached keeps its earlier or bundled prices. Exit 0 when any price was refreshed, 1 when none could be.", "prices refresh")
    prices_refresh.add_argument("--provider", action="append", choices=("aws", "gcp"), help="only this provider; repeat for both (default: both)")
    prices_refresh.add_argument("--lookback-days", type=int, default=30, metavar="DAYS", help="days of spot price history to average (default: 30)")
    prices_refresh.add_argument("--region", action="append", metavar="REGION", help="region to price; repeat for more (default: us-east-1 / us-central1 and every region the bill shows GPU usage in)")
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
    from finops.warehouse.connection import connect, resolve_db_path

    if args.command == "ingest":
        from finops.connectors.gcp import ingest_gcp
        from finops.connectors.ingest import ingest_aws, ingest_focus

        if args.provider == "metrics":
            with _writer(args, out):
                return _ingest_metrics(args, out)
        with _writer(args, out), connect(args.db) as con:
            if args.provider == "gcp":
                results = ingest_gcp(con, args.source, build=not args.no_build, progress=out.progress)
            else:
                ingest = ingest_aws if args.provider == "aws" else ingest_focus
                results = ingest(con, args.source, endpoint_url=args.endpoint_url, build=not args.no_build, progress=out.progress)
        _report_loads(results, out)
        return 0

    if args.command == "sql":
        from finops.engines.compile import compile_model, find_model

        print(compile_model(find_model(args.model), args.engine))
        return 0

    if args.command == "build" and args.engine != "duckdb":
        from finops.engines.run import build_elsewhere

        built = build_elsewhere(args)
        out.say(f"built {len(built)} models on {args.engine}")
        return 0

    if args.command == "build":
        from finops.models.builder import build
        from finops.warehouse.connection import transaction

        with _writer(args, out), connect(args.db) as con, transaction(con):
            built = build(con, full_refresh=args.full_refresh)
        out.say(f"built {len(built)} models")
        return 0

    if args.command == "query":
        return _query(args, out)

    if args.command == "export":
        from finops.report.export import export_focus

        with connect(args.db, read_only=True) as con:
            rows = export_focus(con, args.out, fmt=args.format)
        out.say(f"wrote {rows:,} rows to {args.out}")
        return 0

    if args.command == "status":
        with connect(args.db, read_only=True) as con:
            return _status(con, out)

    if args.command == "schema":
        from finops.models.docs import schema_markdown

        text = schema_markdown()
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
            out.say(f"wrote {args.out}")
        else:
            print(text, end="")
        return 0

    if args.command in ("report", "email"):
        return _weekly_report(args, out)

    if args.command == "refresh":
        return _refresh(args, out)

    if args.command == "check":
        from finops.ops.check import run_checks
        from finops.config.refresh import load_config

        config = load_config()
        with connect(args.db, read_only=True) as con:
            results = run_checks(con, config.sources)
        if args.format == "json":
            print(json.dumps([{"check": r.name, "ok": r.ok, "detail": r.detail} for r in results], indent=1))
        else:
            _print_table(["check", "result", "detail"], [(r.name, "ok" if r.ok else "FAILED", r.detail) for r in results], out)
        return 0 if all(r.ok for r in results) else 1

    if args.command == "prices":
        return _refresh_prices(args, out)

    if args.command == "init":
        from finops.ops.init import write_template

        write_template(Path(args.out))
        out.say(f"wrote {args.out}: edit [sources.*] and [email], then run `finops refresh`")
        return 0

    if args.command == "demo":
        from finops.demo.run import DEMO_DB, run_demo, sources_dir, summary, write_demo_report

        path = resolve_db_path(args.db or os.environ.get("FINOPS_DB") or DEMO_DB)
        with _writer(args, out, path), connect(path) as con:
            results = run_demo(con, sources_dir(path), progress=out.progress)
            rows = summary(con)
            report_path = write_demo_report(con, path)
        _report_loads(results, out)
        out.say()
        _print_table(["period", "billing account", "rows", "billed", "amortised", "top service"], rows, out)
        out.say(f"\nwarehouse: {path}   bill files: {sources_dir(path)}/   weekly report: {report_path}")
        out.say(f"try: finops query --db {path} \"select ServiceName, sum(EffectiveCost) from costs group by 1 order by 2 desc\"")
        return 0
    raise UsageError(f"unknown command {args.command}")


def _writer(args: argparse.Namespace, out: Output, db: Path | None = None):  # noqa: ANN202
    """The warehouse's writer lock, waiting as long as finops.toml [refresh] lock_wait_seconds says."""
    from finops.warehouse.lock import writer_lock
    from finops.config.refresh import load_config
    from finops.warehouse.connection import resolve_db_path

    config = load_config()
    return writer_lock(db or resolve_db_path(args.db), wait_seconds=config.refresh.lock_wait_seconds, log=out.progress)


def _refresh(args: argparse.Namespace, out: Output) -> int:
    from finops.ops.refresh import refresh
    from finops.config.refresh import load_config
    from finops.warehouse.connection import connect, resolve_db_path

    config = load_config()
    if config.path is None:
        raise UsageError("refresh: no finops.toml here (run `finops init`, or set $FINOPS_CONFIG)")
    db = resolve_db_path(args.db)
    with _writer(args, out), connect(db) as con:
        result = refresh(con, config, db=db, email=not args.no_email, resend_unconfirmed=args.resend_unconfirmed,
                         log=out.say, detail=out.say if args.verbose else None)
    for failure in result.failed:
        print(f"finops: refresh: {failure}", file=sys.stderr)
    return result.exit_code


def _refresh_prices(args: argparse.Namespace, out: Output) -> int:
    from finops.savings.prices import refresh_prices
    from finops.warehouse.connection import connect

    if args.lookback_days < 1:
        raise UsageError("prices refresh: --lookback-days must be at least 1")
    with _writer(args, out), connect(args.db) as con:
        results = refresh_prices(con, providers=args.provider or ("aws", "gcp"), lookback_days=args.lookback_days,
                                 regions=args.region)
    for result in results:
        if result.problem:
            print(f"finops: prices refresh: {result.line()}", file=sys.stderr)
        else:
            out.say(result.line())
    return 0 if any(r.prices for r in results) else 1


def _ingest_metrics(args: argparse.Namespace, out: Output) -> int:
    from finops.connectors.metrics import ingest_metrics
    from finops.warehouse.connection import connect

    with connect(args.db) as con:
        results = ingest_metrics(con, args.source, resource=args.resource, endpoint_url=args.endpoint_url,
                                 build=not args.no_build, progress=out.progress)
    for r in results:
        garbage = f"; {r.garbage:,} line(s) not understood, skipped" if r.garbage else ""
        out.say(f"loaded {r.file}: {r.kind}, {r.samples:,} samples of {', '.join(r.resources) or 'no resource'}{garbage}")
    return 0


def _weekly_report(args: argparse.Namespace, out: Output) -> int:
    """`finops report` saves the week's report; `finops email` sends it."""
    import datetime as dt

    from finops.report.weekly import last_complete_week, parse_week, render
    from finops.config.report import load_report_settings
    from finops.warehouse.storage import write_text_atomically
    from finops.warehouse.connection import connect

    week = parse_week(args.week) if args.week else last_complete_week(dt.datetime.now(dt.UTC).date())
    settings = load_report_settings()
    if args.command == "email":
        from finops.report.mail import send_report
        from finops.config.report import load_email_settings

        email = load_email_settings()
        with connect(args.db, read_only=True) as con:
            report = render(con, week, settings)
        recipients = send_report(report, email, args.to)
        out.say(f"sent \"{report.subject}\" to {', '.join(recipients)}")
        return 0
    target = Path(args.out or f"report-{week}.html")
    if target.parent != Path("") and not target.parent.is_dir():
        raise FinopsError(f"{target}: directory {target.parent} does not exist")
    with connect(args.db, read_only=True) as con:
        report = render(con, week, settings)
    write_text_atomically(target, report.html)
    out.say(f"wrote {target} ({len(report.html.encode()) // 1024} KB): {report.subject}")
    return 0


def _report_loads(results, out: Output) -> None:  # noqa: ANN001
    for r in results:
        if r.skipped:
            out.say(f"skipped {r.source}: already loaded")
            continue
        if r.shape == "gcp-export":  # loaded by usage day: one line per billing account
            for account in sorted({p.account for p in r.periods}):
                days = sorted(p.start for p in r.periods if p.account == account)
                total = sum(p.total for p in r.periods if p.account == account)
                rows = sum(p.rows for p in r.periods if p.account == account)
                span = f"{days[0]:%Y-%m-%d}" + (f" to {days[-1]:%Y-%m-%d}" if len(days) > 1 else "")
                out.say(f"loaded {r.source}: Google Cloud {account} {len(days)} day(s) {span}, {rows:,} rows, {total:,.2f} billed")
            continue
        for p in r.periods:
            out.say(f"loaded {r.source}: {p.provider} {p.account} {p.start:%Y-%m}, {p.rows:,} rows, {p.total:,.2f} billed")


def _query(args: argparse.Namespace, out: Output) -> int:
    import duckdb

    from finops.warehouse.catalog import relations
    from finops.warehouse.connection import connect, first_line, sql_literal

    if not args.sql and not args.list:
        raise UsageError("query: give the SQL to run, or --list")
    if args.format == "parquet" and not args.out:
        raise UsageError("query: --format parquet needs --out FILE")
    with connect(args.db, read_only=True) as con:
        if args.list:
            _print_table(["name", "kind", "description"], relations(con), out)
            return 0
        try:
            if args.format == "parquet":
                sql = args.sql.strip().rstrip(";")
                con.execute(f"copy ({sql}) to {sql_literal(args.out)} (format parquet, compression zstd)")
                out.say(f"wrote {args.out}")
                return 0
            cursor = con.execute(args.sql)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            rows = cursor.fetchall() if columns else []
        except duckdb.Error as exc:
            raise FinopsError(f"query: {first_line(exc)}") from None
    with open(args.out, "w", encoding="utf-8", newline="") if args.out else nullcontext(sys.stdout) as stream:
        if args.format == "csv":
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
        elif args.format == "json":
            print(json.dumps([dict(zip(columns, row)) for row in rows], default=str, indent=1), file=stream)
        else:
            _print_table(columns, rows, out, stream=stream)
    return 0


def _status(con, out: Output) -> int:  # noqa: ANN001
    from finops.warehouse.status import status

    periods = status(con)
    if not periods:
        out.say("nothing loaded yet")
        return 0
    rows = [
        (
            p.provider,
            p.billing_account_id,
            f"{p.billing_period_start:%Y-%m-%d}" if p.shape == "gcp-export" else f"{p.billing_period_start:%Y-%m}",
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


def _print_table(columns: list[str], rows: list[tuple], out: Output, stream=None) -> None:  # noqa: ANN001
    """A plain aligned table: readable in a terminal, a pipe and a cron mail alike."""
    if out.quiet and stream is None:
        return
    stream = stream or sys.stdout
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    print(line(columns), file=stream)
    print(line(["-" * w for w in widths]), file=stream)
    for row in cells:
        print(line(row), file=stream)


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
