"""EffectiveCost follows the amortised-cost formula (docs/aws.md, 'Amortised cost (EffectiveCost)'), line item by line item."""

from __future__ import annotations

from decimal import Decimal

import finops
from tests.conftest import cur_rows, write_cur_csv

SP = "arn:aws:savingsplans::111122223333:savingsplan/3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
SP_PRODUCT = {"product/ProductName": "Savings Plans for AWS Compute usage", "product/sku": "", "product/instanceType": "",
              "product/regionCode": "", "product/location": ""}
RI = "arn:aws:ec2:us-east-1:111122223333:reserved-instances/7a8b9c0d-1e2f-3a4b-5c6d-7e8f9a0b1c2d"


def amortisation_delivery() -> list[dict[str, str]]:
    covered = {"savingsPlan/SavingsPlanARN": SP, "pricing/term": "Savings Plan"}
    return cur_rows(
        # Savings Plan: covered usage at the SP rate, its negation, and the hourly fee (0.40 unused)
        {"lineItem/LineItemType": "SavingsPlanCoveredUsage", "lineItem/UsageType": "BoxUsage:p4d.24xlarge",
         "lineItem/UnblendedCost": "32.7726", "pricing/publicOnDemandCost": "32.7726",
         "pricing/publicOnDemandRate": "32.7726", "savingsPlan/SavingsPlanEffectiveCost": "21.3022", **covered},
        {"lineItem/LineItemType": "SavingsPlanNegation", "lineItem/UsageType": "BoxUsage:p4d.24xlarge",
         "lineItem/UnblendedCost": "-32.7726", "pricing/publicOnDemandCost": "32.7726", **covered},
        {"lineItem/LineItemType": "SavingsPlanRecurringFee", "lineItem/ProductCode": "ComputeSavingsPlans",
         "lineItem/UsageType": "ComputeSP:1yrNoUpfront", "lineItem/ResourceId": SP, **SP_PRODUCT,
         "lineItem/UnblendedCost": "21.7022", "pricing/publicOnDemandCost": "0",
         "savingsPlan/TotalCommitmentToDate": "21.7022", "savingsPlan/UsedCommitment": "21.3022", **covered},
        {"lineItem/LineItemType": "SavingsPlanUpfrontFee", "lineItem/ProductCode": "ComputeSavingsPlans", **SP_PRODUCT,
         "lineItem/UnblendedCost": "1000", "pricing/publicOnDemandCost": "0", **covered},
        # Reserved Instance: covered usage at the amortised rate, the monthly fee, the upfront payment
        {"lineItem/LineItemType": "DiscountedUsage", "lineItem/UsageType": "BoxUsage:g5.xlarge",
         "lineItem/UnblendedCost": "0", "pricing/publicOnDemandCost": "1.006",
         "reservation/ReservationARN": RI, "reservation/EffectiveCost": "0.6312"},
        {"lineItem/LineItemType": "RIFee", "lineItem/UsageType": "HeavyUsage:g5.xlarge",
         "lineItem/UnblendedCost": "300.00", "pricing/publicOnDemandCost": "0", "reservation/ReservationARN": RI,
         "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": "12.50", "reservation/UnusedRecurringFee": "20.00"},
        {"lineItem/LineItemType": "Fee", "lineItem/UsageType": "HeavyUsage:g5.xlarge",
         "lineItem/UnblendedCost": "4000", "pricing/publicOnDemandCost": "0", "reservation/ReservationARN": RI},
        # on-demand, spot, tax and a credit count as billed
        {"lineItem/LineItemType": "Usage"},
        {"lineItem/LineItemType": "Usage", "lineItem/UsageType": "USW2-SpotUsage:g5.12xlarge",
         "lineItem/Operation": "RunInstances:SV001", "lineItem/UnblendedCost": "2.0000",
         "pricing/publicOnDemandCost": "5.672", "pricing/term": "Spot"},
        {"lineItem/LineItemType": "Tax", "lineItem/UnblendedCost": "10.00", "pricing/publicOnDemandCost": "0",
         "lineItem/UsageType": "", "lineItem/Operation": "", "lineItem/ResourceId": "", "product/sku": "",
         "lineItem/TaxType": "Sales Tax"},
        {"lineItem/LineItemType": "Credit", "lineItem/UnblendedCost": "-5.00", "pricing/publicOnDemandCost": "0"},
    )


EXPECTED = {  # line item type -> (ChargeCategory, EffectiveCost, ListCost, PricingCategory, CommitmentDiscountStatus)
    "SavingsPlanCoveredUsage": ("Usage", "21.3022", "32.7726", "Committed", "Used"),
    "SavingsPlanNegation": ("Usage", "0", "0", "Committed", "Used"),
    "SavingsPlanRecurringFee": ("Purchase", "0", "0", "Standard", None),
    "SavingsPlanUpfrontFee": ("Purchase", "0", "0", "Standard", None),
    "DiscountedUsage": ("Usage", "0.6312", "1.006", "Committed", "Used"),
    "RIFee": ("Purchase", "0", "0", "Standard", None),
    "Fee": ("Purchase", "0", "0", "Standard", None),
    "Usage": ("Usage", "1.006", "1.006", "Standard", None),
    "Tax": ("Tax", "10.00", "0", None, None),
    "Credit": ("Credit", "-5.00", "0", None, None),
}


def test_effective_cost_follows_the_amortised_formula(con, tmp_path):
    finops.ingest_aws(con, write_cur_csv(tmp_path / "amortisation.csv", amortisation_delivery()))
    rows = con.execute(
        """select x_LineItemType, ChargeCategory, EffectiveCost, ListCost, PricingCategory, CommitmentDiscountStatus
           from costs where x_RowKind = 'line_item' and x_PurchaseOption <> 'Spot'"""
    ).fetchall()
    got = {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}
    assert got == {k: (c, Decimal(e), Decimal(lc), p, s) for k, (c, e, lc, p, s) in EXPECTED.items()}


def test_unused_commitment_is_its_own_row(con, tmp_path):
    finops.ingest_aws(con, write_cur_csv(tmp_path / "amortisation.csv", amortisation_delivery()))
    unused = con.execute(
        """select x_LineItemType, CommitmentDiscountType, EffectiveCost, BilledCost, ChargeCategory, PricingCategory
           from costs where CommitmentDiscountStatus = 'Unused' order by 1"""
    ).fetchall()
    assert unused == [
        ("RIFee", "Reserved Instance", Decimal("32.5"), 0, "Usage", "Committed"),  # 12.50 upfront + 20.00 recurring
        ("SavingsPlanRecurringFee", "Savings Plan", Decimal("0.4"), 0, "Usage", "Committed"),  # 21.7022 - 21.3022
    ]


def test_spot_is_dynamic_and_totals_add_up(con, tmp_path):
    finops.ingest_aws(con, write_cur_csv(tmp_path / "amortisation.csv", amortisation_delivery()))
    spot = con.execute(
        "select PricingCategory, EffectiveCost, x_OnDemandEquivalentCost from costs where x_PurchaseOption = 'Spot'"
    ).fetchall()
    assert spot == [("Dynamic", Decimal("2"), Decimal("5.672"))]
    billed, effective = con.execute("select sum(BilledCost), sum(EffectiveCost) from costs").fetchone()
    assert billed == Decimal("5329.7082")  # every unblended cost once, the synthetic Unused rows add 0
    assert effective == Decimal("62.8394")  # 21.3022 + .6312 + 1.006 + 2 + 10 - 5 + 32.5 + .4


def test_net_columns_take_precedence(con, tmp_path):
    rows = cur_rows(
        {"lineItem/LineItemType": "DiscountedUsage", "lineItem/UnblendedCost": "0",
         "reservation/ReservationARN": RI, "reservation/EffectiveCost": "0.6312", "reservation/NetEffectiveCost": "0.5681"},
        {"lineItem/LineItemType": "Usage", "lineItem/UnblendedCost": "1.006", "lineItem/NetUnblendedCost": "0.9054"},
        {"lineItem/LineItemType": "SavingsPlanCoveredUsage", "savingsPlan/SavingsPlanARN": SP,
         "savingsPlan/SavingsPlanEffectiveCost": "0.70", "savingsPlan/NetSavingsPlanEffectiveCost": "0.63"},
    )
    finops.ingest_aws(con, write_cur_csv(tmp_path / "net.csv", rows))
    got = dict(con.execute("select x_LineItemType, EffectiveCost from costs").fetchall())
    assert got == {"DiscountedUsage": Decimal("0.5681"), "Usage": Decimal("0.9054"), "SavingsPlanCoveredUsage": Decimal("0.63")}
