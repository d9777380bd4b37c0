"""``finops estimate``: what a training run, an inference service or a labeling job will cost, before it runs.

Every price comes from the warehouse, never from a constant in the code: instance prices from the
``prices`` mart (the bill's own rates, else the last ``finops prices refresh``, else the bundled
snapshot), managed-API token prices from the rates the bill shows in ``model_usage``, or a rate the
caller gives (``hourly_rate``, ``spot_rate``, ``input_price``, ``output_price``). What is assumed
(hours in a month, spot interruptions) is a parameter with a stated default and printed with the
figures, so an estimate can be read and argued with.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from finops.errors import UsageError

HOURS_PER_MONTH = Decimal(730)  # 365 days x 24 hours / 12 months
SPOT_OVERHEAD = Decimal("0.1")  # share of extra hours re-run after spot interruptions, from the last checkpoint
_CENT = Decimal("0.01")
_RATE = Decimal("0.0001")


@dataclass
class Estimate:
    """The figures (name, value, unit), in order, and the assumptions behind them."""

    kind: str
    currency: str
    figures: list[tuple[str, Decimal | int | str, str]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def figure(self, name: str) -> Decimal | int | str:
        """One figure's value by name (KeyError names it when missing)."""
        for label, value, _ in self.figures:
            if label == name:
                return value
        raise KeyError(name)

    def as_dict(self) -> dict:
        return {"estimate": self.kind, "currency": self.currency,
                "figures": [{"name": n, "value": str(v), "unit": u} for n, v, u in self.figures],
                "assumptions": self.assumptions}


def positive(name: str, value: Decimal | int | float | None, *, zero: bool = False) -> Decimal:
    """The value as a Decimal, or a one-line usage error naming the option when it is not a finite
    number above 0 (at least 0 with ``zero``)."""
    if value is None:
        raise UsageError(f"estimate: --{name} is required")
    number = Decimal(str(value))
    if not number.is_finite() or number < 0 or (number == 0 and not zero):
        raise UsageError(f"estimate: --{name} must be a number {'of at least' if zero else 'above'} 0, not {value}")
    return number


def instance_prices(con: duckdb.DuckDBPyConnection, instance: str, region: str) -> dict[str, tuple[Decimal, str]]:
    """The prices mart's hourly prices of ``instance`` in ``region`` by kind (on_demand, spot,
    commit_1y, commit_3y), each with its source."""
    rows = con.execute(
        "select price_kind, unit_price, source from prices where item = ? and region = ? and unit = 'h'",
        [instance, region],
    ).fetchall()
    return {kind: (Decimal(price), source) for kind, price, source in rows}


def estimate_training(
    con: duckdb.DuckDBPyConnection, *, instance: str, hours: Decimal | float, trials: int = 1, region: str = "us-east-1",
    spot: bool = False, like: str | None = None, hourly_rate: Decimal | float | None = None,
    spot_rate: Decimal | float | None = None, spot_overhead: Decimal | float = SPOT_OVERHEAD,
) -> Estimate:
    """Instance hours x hourly price, on demand, on spot and under Savings Plans; with ``like``,
    the median measured GPU hours and cost of the training runs whose name contains it."""
    hours_each = positive("hours", hours)
    runs = int(positive("trials", trials))
    overhead = positive("spot-overhead", spot_overhead, zero=True)
    prices = _hourly_prices(con, instance, region, hourly_rate, spot_rate)
    instance_hours = hours_each * runs
    result = Estimate("training", "USD")
    result.figures.append(("instance hours", instance_hours, "h"))
    on_demand = prices["on_demand"][0] * instance_hours
    result.figures.append(("on-demand cost", on_demand.quantize(_CENT), "USD"))
    if "spot" in prices:
        result.figures.append(("spot cost", (prices["spot"][0] * instance_hours * (1 + overhead)).quantize(_CENT), "USD"))
        result.assumptions.append(f"spot: {float(overhead * 100):g} % more instance hours re-run after interruptions "
                                  "(from the last checkpoint); spot prices change hourly")
    for kind, label in (("commit_1y", "1-year Savings Plan cost"), ("commit_3y", "3-year Savings Plan cost")):
        if kind in prices:
            result.figures.append((label, (prices[kind][0] * instance_hours).quantize(_CENT), "USD"))
    if spot and "spot" in prices:
        result.figures.insert(0, ("estimate (spot)", result.figure("spot cost"), "USD"))
    elif spot:
        raise UsageError(f"estimate: no spot price for {instance} in {region}; give --spot-rate")
    result.assumptions += _price_sources(instance, region, prices)
    result.assumptions.append("Savings Plan rates assume the commitment is otherwise fully used")
    if like:
        _add_like(con, result, like)
    return result


def _hourly_prices(
    con: duckdb.DuckDBPyConnection, instance: str, region: str, hourly_rate: Decimal | float | None, spot_rate: Decimal | float | None,
) -> dict[str, tuple[Decimal, str]]:
    """The instance's prices, the caller's rates winning; no on-demand price at all is an error."""
    prices = instance_prices(con, instance, region)
    if hourly_rate is not None:
        prices["on_demand"] = (positive("hourly-rate", hourly_rate), "given with --hourly-rate")
    if spot_rate is not None:
        prices["spot"] = (positive("spot-rate", spot_rate), "given with --spot-rate")
    if "on_demand" not in prices:
        raise UsageError(f"estimate: unknown instance {instance} in {region}: the prices table has no price for it "
                         "(check the name, run `finops prices refresh`, or give --hourly-rate)")
    return prices


def _price_sources(instance: str, region: str, prices: dict[str, tuple[Decimal, str]]) -> list[str]:
    return [f"{kind.replace('_', '-')} price of {instance} in {region}: {price.quantize(_RATE)} USD/h ({source})"
            for kind, (price, source) in sorted(prices.items())]


def _add_like(con: duckdb.DuckDBPyConnection, result: Estimate, like: str) -> None:
    """Median GPU hours and cost of the matching runs in training_jobs, beside the estimate."""
    rows = con.execute(
        "select gpu_hours, EffectiveCost from training_jobs where contains(lower(training_job), lower(?))", [like],
    ).fetchall()
    if not rows:
        result.assumptions.append(f"no training run in the bill has a name containing {like!r}")
        return
    result.figures.append((f"runs like {like}", len(rows), "runs"))
    result.figures.append(("their median GPU hours", statistics.median(Decimal(g) for g, _ in rows), "GPU h"))
    result.figures.append(("their median cost", statistics.median(Decimal(c) for _, c in rows).quantize(_CENT), "USD"))


def estimate_inference(
    con: duckdb.DuckDBPyConnection, *, rps: Decimal | float, instance: str | None = None, batch: int = 1,
    latency_ms: Decimal | float | None = None, region: str = "us-east-1", hourly_rate: Decimal | float | None = None,
    model: str | None = None, input_tokens: int | None = None, output_tokens: int | None = None,
    input_price: Decimal | float | None = None, output_price: Decimal | float | None = None,
) -> Estimate:
    """Self-hosted (``instance``): instances needed for ``rps`` at batches of ``batch`` taking
    ``latency_ms`` each, a month's cost and the cost per 1,000 predictions; managed (``model``):
    tokens per request times the per-token prices."""
    requests_per_second = positive("rps", rps)
    if (instance is None) == (model is None):
        raise UsageError("estimate inference: give --instance (self-hosted) or --model (a managed API), not both")
    if model is not None:
        return _managed(con, model, requests_per_second, input_tokens, output_tokens, input_price, output_price)
    assert instance is not None
    size = int(positive("batch", batch))
    latency = positive("latency-ms", latency_ms) / 1000
    hourly = _hourly_prices(con, instance, region, hourly_rate, None)["on_demand"]
    # C_infer = R / B x t_latency x c_gpu_hour: each instance serves B requests every t_latency seconds
    instances = math.ceil(requests_per_second * latency / size)
    monthly = hourly[0] * instances * HOURS_PER_MONTH
    per_1000 = hourly[0] / 3600 * latency / size * 1000
    result = Estimate("inference", "USD")
    result.figures += [
        ("instances needed", instances, instance),
        ("monthly cost", monthly.quantize(_CENT), "USD"),
        ("cost per 1,000 predictions at full use", per_1000.quantize(_RATE), "USD"),
        ("cost per 1,000 predictions", (monthly * 1000 / (requests_per_second * 3600 * HOURS_PER_MONTH)).quantize(_RATE), "USD"),
    ]
    result.assumptions += [
        f"each instance serves batches of {size} requests every {float(latency * 1000):g} ms, all day",
        f"a month is {HOURS_PER_MONTH} hours; instances run on demand and never scale to zero",
        *_price_sources(instance, region, {"on_demand": hourly}),
    ]
    return result


def _managed(
    con: duckdb.DuckDBPyConnection, model: str, rps: Decimal, input_tokens: int | None, output_tokens: int | None,
    input_price: Decimal | float | None, output_price: Decimal | float | None,
) -> Estimate:
    """Per-request tokens x the bill's observed per-1M-token rates (or the given prices)."""
    tokens_in = positive("input-tokens", input_tokens, zero=True)
    tokens_out = positive("output-tokens", output_tokens, zero=True)
    rates, currency, assumptions = observed_token_rates(con, model) if input_price is None or output_price is None else ({}, "USD", [])
    if input_price is not None:
        rates["input"] = positive("input-price", input_price)
        assumptions.append(f"input price {input_price} per 1M tokens, given with --input-price")
    if output_price is not None:
        rates["output"] = positive("output-price", output_price)
        assumptions.append(f"output price {output_price} per 1M tokens, given with --output-price")
    per_request = (tokens_in * rates["input"] + tokens_out * rates["output"]) / 1_000_000
    monthly_requests = rps * 3600 * HOURS_PER_MONTH
    result = Estimate("inference", currency, assumptions=assumptions)
    result.figures += [
        ("requests per month", monthly_requests, "requests"),
        ("monthly cost", (per_request * monthly_requests).quantize(_CENT), currency),
        ("cost per 1,000 predictions", (per_request * 1000).quantize(_RATE), currency),
    ]
    result.assumptions.append(f"a month is {HOURS_PER_MONTH} hours at a steady {rps} requests per second; no cached or batch tokens")
    return result


def observed_token_rates(con: duckdb.DuckDBPyConnection, model: str) -> tuple[dict[str, Decimal], str, list[str]]:
    """The bill's on-demand cost per 1M input and output tokens of the model named ``model`` (its
    normalised name, or every part of it: claude-sonnet matches claude-3.5-sonnet); with several
    such models, the one with the most tokens."""
    parts = [p for p in model.lower().split("-") if p]
    rows = con.execute("""
        select model, currency, token_kind, sum(EffectiveCost) * 1000000 / sum(tokens), sum(tokens)
        from model_usage
        where token_kind in ('input', 'output') and unit = 'tokens' and pricing_mode = 'on_demand' and tokens > 0
          and (model = lower(?) or list_bool_and(list_transform(?, lambda p: contains(model, p))))
        group by all
    """, [model, parts]).fetchall()
    if not rows:
        raise UsageError(f"estimate: the bill has no on-demand token usage of a model like {model} "
                         "(see model_usage; or give --input-price and --output-price per 1M tokens)")
    volume: dict[tuple[str, str], Decimal] = {}
    for name, currency, _, _, tokens in rows:
        volume[(name, currency)] = volume.get((name, currency), Decimal(0)) + Decimal(tokens)
    chosen, currency = max(volume, key=lambda key: (volume[key], key))
    rates = {kind: Decimal(rate) for name, cur, kind, rate, _ in rows if (name, cur) == (chosen, currency)}
    missing = {"input", "output"} - set(rates)
    if missing:
        raise UsageError(f"estimate: the bill shows no {' or '.join(sorted(missing))} tokens of {chosen}; "
                         f"give --{sorted(missing)[0]}-price per 1M tokens")
    assumptions = [f"{kind} tokens of {chosen} at {rate.quantize(_RATE)} {currency} per 1M, the bill's observed on-demand rate"
                   for kind, rate in sorted(rates.items())]
    if len(volume) > 1:
        assumptions.append(f"{model} matched {', '.join(sorted(n for n, _ in volume))}; priced as {chosen}, the most used")
    return rates, currency, assumptions


def estimate_labeling(
    *, items: int, minutes_per_item: Decimal | float, hourly_rate: Decimal | float | None, currency: str = "USD",
) -> Estimate:
    """Labeler hours (items x minutes per item) and their cost at the given hourly rate."""
    count = positive("items", items)
    minutes = positive("minutes-per-item", minutes_per_item)
    rate = positive("hourly-rate", hourly_rate)
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise UsageError(f"estimate: --currency must be an ISO 4217 code such as USD, not {currency!r}")
    hours = count * minutes / 60
    result = Estimate("labeling", code)
    result.figures += [("labeler hours", hours.quantize(_CENT), "h"), ("cost", (hours * rate).quantize(_CENT), code)]
    result.assumptions += [f"{float(minutes):g} minutes per item, every item labeled once", f"labelers paid {rate} {code} per hour"]
    return result
