"""Commitment sizing: how much to commit per hour so a Savings Plan, RI or CUD pays best.

AWS sizes its own recommendations the same way (docs/savings.md, 'How a commitment is sized'): over a look-back of hourly
on-demand-equivalent eligible spend h_t, a commitment of c dollars per hour at discount d costs
``sum_t [c + max(0, h_t - c / (1 - d))]`` - the fee every hour, plus on-demand for whatever the
commitment does not cover. No forecasting: the past is assumed to repeat.

The cost is convex and piecewise linear in c with its kinks at c = h_t (1 - d), so the minimum is at
one of those kinks (or at 0); we evaluate them all in one sorted pass rather than searching a grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

HOURS_PER_MONTH = Decimal(730)  # AWS's own month: 8760 / 12
MIN_LOOKBACK_HOURS = 7 * 24  # less than a week of history says nothing about a 1-3 year term


def commitment_cost(hourly: Sequence[Decimal], commitment: Decimal, discount: Decimal) -> Decimal:
    """What the look-back would have cost with ``commitment`` per hour: fee plus uncovered on-demand."""
    covers = commitment / (1 - discount)
    return sum((commitment + max(Decimal(0), h - covers) for h in hourly), Decimal(0))


def optimal_commitment(hourly: Sequence[Decimal], discount: Decimal) -> Decimal:
    """The hourly commitment minimising ``commitment_cost``; the smallest one when several tie,
    because a smaller commitment risks less if usage falls."""
    if not 0 < discount < 1:
        raise ValueError(f"discount must be between 0 and 1, got {discount}")
    if not hourly:
        return Decimal(0)
    keep = 1 - discount
    ordered = sorted(hourly)
    n = len(ordered)
    above = sum(ordered, Decimal(0))  # on-demand spend above the current threshold
    best_c, best_cost = Decimal(0), above
    for i, h in enumerate(ordered):
        # threshold u = h: every hour i.. is covered up to h, the hours after i pay the rest
        above -= h
        # hours i+1.. each pay (h_j - u); hours ..i pay nothing. cost = n*c + sum_{j>i} h_j - (n-i-1)*u
        c = h * keep
        cost = n * c + above - (n - i - 1) * h
        if cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


@dataclass(frozen=True)
class Recommendation:
    """A sized commitment with the figures finance asks for, or the reason there is none."""

    hourly_commitment: Decimal
    monthly_savings: Decimal
    utilisation: Decimal | None  # share of the committed dollars the look-back would have used
    break_even_months: Decimal | None  # months the covered usage must last for the term to pay off
    lookback_hours: int
    reason: str | None = None  # set when there is no recommendation


def recommend(hourly: Sequence[Decimal], discount: Decimal, term_months: int) -> Recommendation:
    """Size a commitment over ``hourly`` (one value per hour of the look-back, zeros included)."""
    n = len(hourly)
    if n < MIN_LOOKBACK_HOURS:
        return Recommendation(Decimal(0), Decimal(0), None, None, n,
                              f"no recommendation: only {n} hours of history, at least {MIN_LOOKBACK_HOURS} needed")
    c = optimal_commitment(hourly, discount)
    if c == 0:
        return Recommendation(Decimal(0), Decimal(0), None, None, n,
                              "no recommendation: usage is too spiky for any commitment to pay off")
    on_demand = sum(hourly, Decimal(0))
    savings_per_hour = (on_demand - commitment_cost(hourly, c, discount)) / n
    covers = c / (1 - discount)
    used = sum((min(h, covers) for h in hourly), Decimal(0)) * (1 - discount)
    utilisation = used / (c * n)
    break_even = term_months * (1 - discount) / utilisation
    return Recommendation(c, savings_per_hour * HOURS_PER_MONTH, utilisation, break_even, n)
