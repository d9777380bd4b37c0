"""commitment_coverage: utilisation and waste of existing commitments, against the FOCUS spec's own
worked examples and a hand-made AWS bill."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import finops
from tests.conftest import FIXTURES, write_cur_csv
from tests.test_amortisation import amortisation_delivery

SPEC = FIXTURES / "focus-spec-commitments"

# file -> (utilisation, unused commitment cost), as the spec's examples state them
SPEC_EXPECTED = {
    "commitment_discount_usage_scenario_1": (Decimal(1), Decimal(0)),  # fully used
    "commitment_discount_usage_scenario_2": (Decimal(0), Decimal("1.00")),  # not used at all
    "commitment_discount_usage_scenario_3": (Decimal("0.75"), Decimal("0.25")),  # 75 % used
    "commitment_discount_usage_scenario_4": (Decimal(1), Decimal(0)),  # used, plus on-demand overflow
    "one_hundred_percent_utilization_with_commitment_discount_flexibility_with_1_resource": (Decimal(1), Decimal(0)),
    "one_hundred_percent_utilization_with_commitment_discount_flexibility_with_2_resources": (Decimal(1), Decimal(0)),
    "one_hundred_percent_utilization_without_commitment_discount_flexibility": (Decimal(1), Decimal(0)),
    "zero_percent_utilization_without_commitment_discount_flexibility": (Decimal(0), Decimal("1.50")),
}


def as_focus_file(spec_csv: Path, out: Path) -> Path:
    """The spec's example plus the mandatory columns it leaves out (and ListCost where it has none)."""
    con = duckdb.connect()
    columns = {c for (c,) in con.execute(
        "select column_name from (describe select * from read_csv(?, nullstr = 'null', all_varchar = true))",
        [str(spec_csv)]).fetchall()}
    list_cost = "ListCost" if "ListCost" in columns else "EffectiveCost as ListCost"
    con.execute(
        f"""copy (
              select *, {list_cost}, '<my-billing-account>' as BillingAccountId, 'USD' as BillingCurrency,
                     'FOCUS spec' as ProviderName, 'FOCUS spec' as PublisherName, 'FOCUS spec' as InvoiceIssuerName,
                     'Compute' as ServiceCategory, 'Virtual Machines' as ServiceName
              from read_csv(?, nullstr = 'null', all_varchar = true)
              where ChargeCategory is not null
            ) to '{out}' (header)""",
        [str(spec_csv)],
    )
    return out


@pytest.mark.parametrize("scenario", sorted(SPEC_EXPECTED))
def test_spec_scenarios_give_the_spec_utilisation_and_waste(con, tmp_path, scenario):
    finops.ingest_focus(con, as_focus_file(SPEC / f"{scenario}.csv", tmp_path / f"{scenario}.csv"))
    rows = con.execute(
        "select week, provider, utilisation, unused_commitment_cost from commitment_coverage"
    ).fetchall()
    assert rows == [("2022-W52", "FOCUS spec", *SPEC_EXPECTED[scenario])]  # 2023-01-01 is a Sunday


def test_aws_coverage_utilisation_and_savings(con, tmp_path):
    # the amortisation bill: a Savings Plan covering p4d usage (32.7726 on demand for 21.3022, 0.40 unused),
    # an RI covering g5 usage (1.006 for 0.6312, 32.50 unused), 1.006 of on-demand EC2 usage, and spot
    finops.ingest_aws(con, write_cur_csv(tmp_path / "amortisation.csv", amortisation_delivery()))
    row = con.execute(
        """select eligible_cost, covered_cost, coverage, used_commitment_cost, unused_commitment_cost,
                  utilisation, realised_savings, effective_savings_rate
           from commitment_coverage"""
    ).fetchone()
    eligible, covered = Decimal("34.7846"), Decimal("33.7786")  # 32.7726 + 1.006 (+ 1.006 on demand)
    used, unused = Decimal("21.9334"), Decimal("32.9")
    saved = covered - used - unused  # -21.0548: the unused RI month costs more than both saved
    assert row[:2] == (eligible, covered) and row[3:5] == (used, unused) and row[6] == saved  # money: exact
    assert row[2] == pytest.approx(float(covered / eligible))  # shares: floats
    assert row[5] == pytest.approx(float(used / (used + unused)))
    assert row[7] == pytest.approx(float(saved / eligible))


def test_gcp_cud_rows_give_coverage_and_waste(con, exports):
    # the generated GCP export: an A100 CUD whose fee moves onto the A100 usage it covered (Used),
    # the hours with nothing to cover keep an Unused row
    finops.ingest_gcp(con, exports["jsonl"])
    expected = {
        week: (used, unused)
        for week, used, unused in con.execute(
            """select strftime(ChargePeriodStart, '%G-W%V'),
                      sum(EffectiveCost) filter (where CommitmentDiscountStatus = 'Used'),
                      sum(EffectiveCost) filter (where CommitmentDiscountStatus = 'Unused')
               from costs where ProviderName = 'Google Cloud' and CommitmentDiscountStatus is not null group by 1"""
        ).fetchall()
    }
    got = {
        week: (used, unused, utilisation, coverage)
        for week, used, unused, utilisation, coverage in con.execute(
            """select week, used_commitment_cost, unused_commitment_cost, utilisation, coverage
               from commitment_coverage where provider = 'Google Cloud'"""
        ).fetchall()
    }
    assert got.keys() == expected.keys() and got
    for week, (used, unused) in expected.items():
        assert got[week][:2] == (used or 0, unused or 0)
        assert got[week][2] == pytest.approx(float((used or 0) / ((used or 0) + (unused or 0))))
        assert 0 < got[week][3] <= 1
    assert any(0 < u < 1 for _, _, u, _ in got.values())  # some of the CUD went unused
