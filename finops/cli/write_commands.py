"""Handlers of the commands that change the warehouse: ingest, build, demo, refresh, prices, init.

Each is ``handler(ctx) -> exit code``, a few lines over a library function; the writer lock is
taken by the dispatcher for commands marked ``writes`` in the table (:mod:`finops.cli.commands`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from finops.cli.context import Context
from finops.cli.output import print_table
from finops.errors import UsageError


def ingest(ctx: Context) -> int:
    from finops.connectors.pipeline import describe_results
    from finops.connectors.pipeline import ingest as ingest_kind

    args = ctx.args
    options = {key: getattr(args, key) for key in ("endpoint_url", "resource", "force") if getattr(args, key, None)}
    location = args.source if args.action == "metrics" else args.source[0]
    with ctx.connect() as con:
        results = ingest_kind(con, args.action, location, config=ctx.config, build=not args.no_build,
                              progress=ctx.out.progress, **options)
    for line in describe_results(results, args.action):
        ctx.out.say(line)
    return 0


def build(ctx: Context) -> int:
    args = ctx.args
    if args.engine != "duckdb":
        from finops.engines.run import build_elsewhere

        built = build_elsewhere(args, ctx.config, ctx.out.say)
        ctx.out.say(f"built {len(built)} models on {args.engine}")
        return 0
    from finops.models.builder import build as build_models
    from finops.warehouse.connection import transaction

    with ctx.writer(), ctx.connect() as con, transaction(con):
        built = build_models(con, config=ctx.config, full_refresh=args.full_refresh)
    ctx.out.say(f"built {len(built)} models")
    return 0


def demo(ctx: Context) -> int:
    from finops.connectors.pipeline import describe_results
    from finops.demo.run import run_demo, sources_dir, summary, write_demo_report
    from finops.report.weeks import parse_as_of

    path = ctx.db
    with ctx.connect() as con:
        results = run_demo(con, sources_dir(path), config=ctx.config, progress=ctx.out.progress)
        rows = summary(con)
        report_path = write_demo_report(con, path, ctx.config, as_of=parse_as_of(ctx.args.as_of))
    for kind, loaded in results:
        for line in describe_results(loaded, kind):
            ctx.out.say(line)
    ctx.out.say()
    print_table(["period", "billing account", "rows", "billed", "amortised", "top service"], rows, ctx.out)
    ctx.out.say(f"\nwarehouse: {path}   bill files: {sources_dir(path)}/   weekly report: {report_path}")
    ctx.out.say(f"try: finops query --db {path} \"select ServiceName, sum(EffectiveCost) from costs group by 1 order by 2 desc\"")
    return 0


def refresh(ctx: Context) -> int:
    from finops.ops.refresh import refresh as run_refresh
    from finops.report.weeks import parse_as_of

    config = ctx.config
    if config.path is None:
        raise UsageError("refresh: no finops.toml here (run `finops init`, or set $FINOPS_CONFIG)")
    args = ctx.args
    as_of = parse_as_of(args.as_of)
    with ctx.connect() as con:
        result = run_refresh(con, config, db=ctx.db, email=not args.no_email, resend_unconfirmed=args.resend_unconfirmed,
                             allow_partial=args.allow_partial, as_of=as_of, log=ctx.out.say,
                             detail=ctx.out.say if args.verbose else None)
    for failure in result.failed:
        print(f"finops: refresh: {failure}", file=sys.stderr)
    return result.exit_code


def prices_refresh(ctx: Context) -> int:
    from finops.savings.prices import refresh_prices

    args = ctx.args
    if args.lookback_days < 1:
        raise UsageError("prices refresh: --lookback-days must be at least 1")
    with ctx.connect() as con:
        results = refresh_prices(con, providers=args.provider or ("aws", "gcp"), lookback_days=args.lookback_days,
                                 regions=args.region)
    for result in results:
        if result.problem:
            print(f"finops: prices refresh: {result.line()}", file=sys.stderr)
        else:
            ctx.out.say(result.line())
    return 0 if any(r.prices for r in results) else 1


def init(ctx: Context) -> int:
    from finops.ops.init import write_template

    write_template(Path(ctx.args.out))
    ctx.out.say(f"wrote {ctx.args.out}: edit [sources.*] and [email], then run `finops refresh`")
    return 0
