"""``finops estimate training|inference|labeling``: options and handlers over finops.savings.estimate.

Kept beside the command table rather than in read_commands.py: three commands sharing a few
number options and one way of printing (a table of figures, then every assumption; or JSON).
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal, InvalidOperation

from finops.cli.context import Context
from finops.cli.output import print_table
from finops.savings.estimate import Estimate


def number(text: str) -> Decimal:
    """A command-line number as a Decimal; argparse turns the error into a one-line usage error."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _common(p: argparse.ArgumentParser, *, priced: bool = True) -> None:
    if priced:
        p.add_argument("--region", default="us-east-1", help="region of the instance price (default: us-east-1)")
        p.add_argument("--hourly-rate", type=number, metavar="USD", help="on-demand price per instance hour, instead of the prices table's")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")


def training_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--instance", required=True, help="instance type, e.g. ml.p4d.24xlarge or p4d.24xlarge")
    p.add_argument("--hours", type=number, required=True, help="hours each trial runs")
    p.add_argument("--trials", type=int, default=1, help="how many runs, e.g. of a hyper-parameter search (default: 1)")
    p.add_argument("--spot", action="store_true", help="headline the spot figure")
    p.add_argument("--spot-rate", type=number, metavar="USD", help="spot price per instance hour, instead of the prices table's")
    p.add_argument("--spot-overhead", type=number, default=Decimal("0.1"), metavar="SHARE",
                   help="share of hours re-run after spot interruptions (default: 0.1)")
    p.add_argument("--like", metavar="NAME", help="also show the median GPU hours and cost of past training runs whose name contains NAME")
    _common(p)


def inference_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rps", type=number, required=True, help="requests per second, steady")
    p.add_argument("--instance", help="self-hosted: the instance type serving the model, e.g. ml.g5.xlarge")
    p.add_argument("--batch", type=int, default=1, help="self-hosted: requests per batch (default: 1)")
    p.add_argument("--latency-ms", type=number, help="self-hosted: milliseconds one batch takes")
    p.add_argument("--model", help="managed API: the model, e.g. claude-sonnet (priced at the bill's rates in model_usage)")
    p.add_argument("--input-tokens", type=int, help="managed API: input tokens per request")
    p.add_argument("--output-tokens", type=int, help="managed API: output tokens per request")
    p.add_argument("--input-price", type=number, help="managed API: price per 1M input tokens, instead of the bill's")
    p.add_argument("--output-price", type=number, help="managed API: price per 1M output tokens, instead of the bill's")
    _common(p)


def labeling_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--items", type=int, required=True, help="items to label")
    p.add_argument("--minutes-per-item", type=number, required=True, help="minutes a labeler spends on one item")
    p.add_argument("--hourly-rate", type=number, required=True, help="what a labeler hour costs, in --currency")
    p.add_argument("--currency", default="USD", help="ISO 4217 currency of --hourly-rate (default: USD)")
    _common(p, priced=False)


def training(ctx: Context) -> int:
    from finops.savings.estimate import estimate_training

    a = ctx.args
    with ctx.connect(read_only=True) as con:
        result = estimate_training(con, instance=a.instance, hours=a.hours, trials=a.trials, region=a.region, spot=a.spot,
                                   like=a.like, hourly_rate=a.hourly_rate, spot_rate=a.spot_rate, spot_overhead=a.spot_overhead)
    return _show(ctx, result)


def inference(ctx: Context) -> int:
    from finops.savings.estimate import estimate_inference

    a = ctx.args
    with ctx.connect(read_only=True) as con:
        result = estimate_inference(con, rps=a.rps, instance=a.instance, batch=a.batch, latency_ms=a.latency_ms, region=a.region,
                                    hourly_rate=a.hourly_rate, model=a.model, input_tokens=a.input_tokens,
                                    output_tokens=a.output_tokens, input_price=a.input_price, output_price=a.output_price)
    return _show(ctx, result)


def labeling(ctx: Context) -> int:
    from finops.savings.estimate import estimate_labeling

    a = ctx.args
    return _show(ctx, estimate_labeling(items=a.items, minutes_per_item=a.minutes_per_item, hourly_rate=a.hourly_rate,
                                        currency=a.currency))


def _show(ctx: Context, result: Estimate) -> int:
    if ctx.args.format == "json":
        print(json.dumps(result.as_dict(), indent=1))
        return 0
    print_table(["figure", "value", "unit"], result.figures, ctx.out)
    print("\nassumptions:")
    for line in result.assumptions:
        print(f"  - {line}")
    return 0
