"""The commitment optimiser (finops.savings): hand-computed cases and a brute-force cross-check."""

from __future__ import annotations

import random
from decimal import Decimal

from finops.savings.commitments import commitment_cost, optimal_commitment, recommend

D35 = Decimal("0.35")


def test_flat_baseline_commits_the_whole_baseline_at_its_discounted_price():
    # 10 $/h on demand every hour, 35 % off: commit 10 x 0.65 = 6.5 $/h and cover everything
    hourly = [Decimal(10)] * (30 * 24)
    assert optimal_commitment(hourly, D35) == Decimal("6.5")
    rec = recommend(hourly, D35, term_months=12)
    assert rec.hourly_commitment == Decimal("6.5")
    assert rec.monthly_savings == Decimal("3.5") * 730  # 10 - 6.5 every hour of a 730-hour month
    assert rec.utilisation == 1
    assert rec.break_even_months == Decimal("7.8")  # 12 months x 0.65
    assert rec.reason is None


def test_usage_idle_half_the_time_commits_less():
    hourly = [Decimal(10), Decimal(0)] * (15 * 24)
    assert optimal_commitment(hourly, D35) < Decimal("6.5")
    # at 35 % off, a commitment used half the time costs more than on-demand: none at all
    rec = recommend(hourly, D35, term_months=12)
    assert rec.hourly_commitment == 0 and "too spiky" in rec.reason
    # with a deeper discount (60 %) covering the busy half pays: 10 x 0.4 = 4 $/h
    assert optimal_commitment(hourly, Decimal("0.6")) == Decimal(4)


def test_a_base_with_peaks_commits_to_the_base():
    # 6 $/h always, 10 $/h a tenth of the time: the peaks are not worth committing to
    hourly = [Decimal(10) if t % 10 == 0 else Decimal(6) for t in range(24 * 30)]
    assert optimal_commitment(hourly, D35) == Decimal(6) * Decimal("0.65")


def test_brute_force_over_a_fine_grid_agrees():
    rng = random.Random(6)
    discount = Decimal("0.5")  # h in steps of 0.02 puts every kink on the 0.01 grid
    for _ in range(20):
        n = rng.randint(24, 200)
        base = rng.randint(0, 200)
        hourly = [Decimal(2 * (base + rng.randint(0, 300) * rng.choice((0, 1, 1, 1)))) / 100 for _ in range(n)]
        grid = [Decimal(k) / 100 for k in range(int(max(hourly) * 100) + 2)]
        costs = [commitment_cost(hourly, c, discount) for c in grid]
        best = min(costs)
        assert optimal_commitment(hourly, discount) == grid[costs.index(best)]  # the smallest of any ties


def test_brute_force_agrees_on_cost_for_any_discount():
    rng = random.Random(60)
    for _ in range(10):
        discount = Decimal(rng.randint(5, 70)) / 100
        hourly = [Decimal(rng.randint(0, 2000)) / 100 for _ in range(rng.randint(24, 150))]
        step = Decimal("0.002")
        grid = [k * step for k in range(int(max(hourly) / step) + 2)]
        best_on_grid = min(commitment_cost(hourly, c, discount) for c in grid)
        optimum = commitment_cost(hourly, optimal_commitment(hourly, discount), discount)
        assert optimum <= best_on_grid + Decimal("1e-20")  # nothing on the grid beats it (bar Decimal rounding) ...
        assert best_on_grid - optimum <= len(hourly) * step * 2  # ... and the grid gets as close as its step


def test_too_short_a_history_gives_no_recommendation():
    rec = recommend([Decimal(10)] * 48, D35, term_months=12)
    assert rec.hourly_commitment == 0 and "48 hours" in rec.reason
