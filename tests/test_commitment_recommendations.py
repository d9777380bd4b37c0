"""commitment_recommendations: the SQL closed form gives what finops.savings.recommend gives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import finops
from finops.savings.commitments import recommend
from tests.conftest import cur_rows, write_cur_csv
from tests.test_spot_opportunities import P4D_ON_DEMAND, p4d_run

START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
HOURS = 8 * 24  # more than the 7-day look-back, less than 30


def hourly_p4d(instances: list[int]) -> list[dict[str, str]]:
    """One on-demand p4d line per hour, running ``instances[t]`` instances in hour t (0: no line)."""
    rows = []
    for t, count in enumerate(instances):
        if count:
            start, end = (START + dt.timedelta(hours=t + k) for k in (0, 1))
            span = {"identity/TimeInterval": f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
                    "lineItem/UsageStartDate": f"{start:%Y-%m-%dT%H:%M:%SZ}", "lineItem/UsageEndDate": f"{end:%Y-%m-%dT%H:%M:%SZ}"}
            rows.append(p4d_run(str(count), **{"lineItem/ResourceId": "i-0p4d", **span}))
    return cur_rows(*rows)


def recommendations(con) -> dict:
    return {(lookback, term): rest for lookback, term, *rest in con.execute(
        """select lookback_days, term_months, discount, hourly_commitment, monthly_savings, expected_utilisation,
                  break_even_months, explanation
           from commitment_recommendations where plan = 'Compute Savings Plan'"""
    ).fetchall()}


@pytest.mark.parametrize("pattern", ["flat", "base_and_peaks", "half_idle"])
def test_sql_agrees_with_the_optimiser(con, tmp_path, pattern):
    instances = {
        "flat": [2] * HOURS,
        "base_and_peaks": [3 if t % 8 == 0 else 1 for t in range(HOURS)],
        "half_idle": [2 if t % 2 else 0 for t in range(HOURS)],
    }[pattern]
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", hourly_p4d(instances)))
    got = recommendations(con)
    # the p4d.24xlarge prices of sql/seeds/instance_prices.csv: 1 year 20.6467, 3 years 14.0922 per hour
    for term, commit_rate in ((12, Decimal("20.6467")), (36, Decimal("14.0922"))):
        discount, commitment, monthly, utilisation, break_even, explanation = got[(7, term)]
        assert discount == (1 - commit_rate / P4D_ON_DEMAND).quantize(Decimal("1e-10"))
        expected = recommend([n * P4D_ON_DEMAND for n in instances[-7 * 24:]], discount, term)
        assert commitment == expected.hourly_commitment
        assert monthly == pytest.approx(expected.monthly_savings, abs=Decimal("1e-6"))
        if expected.reason:
            assert explanation == expected.reason
        else:
            assert utilisation == pytest.approx(float(expected.utilisation))
            assert break_even == pytest.approx(float(expected.break_even_months))
            assert explanation.startswith(f"commit {commitment:.2f} $/h for {term} months")
        # 8 days of bill (less its idle first hour when half idle): a 30-day look-back has too little history
        billed = HOURS - next(t for t, n in enumerate(instances) if n)
        assert tuple(got[(30, term)][1:3]) == (0, 0)
        assert got[(30, term)][5] == f"no recommendation: the bill covers only {billed} of the 720 hours of a 30-day look-back"


def test_flat_usage_commits_the_whole_baseline(con, tmp_path):
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", hourly_p4d([1] * HOURS)))
    discount, commitment, monthly, utilisation, *_ = recommendations(con)[(7, 12)]
    # the p4d's 1-year price (to the discount's ten decimals): every hour covered
    assert commitment == pytest.approx(Decimal("20.6467"), abs=Decimal("1e-8"))
    assert monthly == pytest.approx((P4D_ON_DEMAND - Decimal("20.6467")) * 730, abs=Decimal("1e-5"))
    assert utilisation == 1
