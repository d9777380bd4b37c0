"""FOCUS 1.2, 1.3 and 1.4 files of AWS, Azure and Google Cloud shape, the Contract Commitment
dataset, and per-commitment utilisation (commitment_utilisation) with expiry."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

import finops
from tests.conftest import cur_rows, write_cur_csv

PROVIDERS = {  # FOCUS 1.2 ProviderName -> (PublisherName, InvoiceIssuerName, service)
    "AWS": ("Amazon Web Services", "AWS", "Amazon Elastic Compute Cloud"),
    "Microsoft": ("Microsoft", "Microsoft", "Virtual Machines"),
    "Google Cloud": ("Google Cloud", "Google Cloud", "Compute Engine"),
}
CHARGES = (("Usage", "12.3456"), ("Tax", "0.99"), ("Credit", "-1.10"))  # billed 12.2356 per file


def focus_rows(version: str, provider: str) -> list[dict[str, str]]:
    """Three charges of ``provider`` with the columns FOCUS ``version`` has (1.3 adds the new provider
    columns and ContractApplied; 1.4 drops ProviderName and PublisherName)."""
    publisher, issuer, service = PROVIDERS[provider]
    rows = []
    for category, cost in CHARGES:
        row = {
            "BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
            "BillingAccountId": f"{provider}-{version}", "BillingAccountName": "Finance", "BillingAccountType": "Billing Account",
            "BillingCurrency": "USD", "BillingPeriodStart": "2026-10-01T00:00:00Z", "BillingPeriodEnd": "2026-11-01T00:00:00Z",
            "ChargeCategory": category, "ChargeFrequency": "Usage-Based" if category == "Usage" else "One-Time",
            "ChargePeriodStart": "2026-10-05T00:00:00Z", "ChargePeriodEnd": "2026-10-05T01:00:00Z",
            "InvoiceIssuerName": issuer, "PricingCurrency": "USD", "ServiceName": service, "ServiceCategory": "Compute",
            "ProviderName": provider, "PublisherName": publisher,
        }
        if version in ("1.3", "1.4"):
            row |= {"ServiceProviderName": provider, "HostProviderName": provider, "ContractApplied": "",
                    "AllocatedMethodId": "", "AllocatedResourceId": ""}
        if version == "1.4":
            del row["ProviderName"], row["PublisherName"]
            row["CommitmentProgramEligibilityDetails"] = ""
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def versions_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("focus-versions")
    con = finops.connect(root / "finops.duckdb")
    for version in ("1.2", "1.3", "1.4"):
        for provider in PROVIDERS:
            folder = root / f"{provider}-{version}".replace(" ", "-")
            folder.mkdir()
            finops.ingest_focus(con, write_csv(folder / "focus.csv", focus_rows(version, provider)))
    yield con
    con.close()


def test_every_version_and_provider_reconciles_to_the_cent(versions_warehouse):
    got = versions_warehouse.execute(
        "select BillingAccountId, sum(BilledCost), sum(EffectiveCost), count(*) from costs group by 1"
    ).fetchall()
    expected = Decimal("12.3456") + Decimal("0.99") - Decimal("1.10")
    assert sorted(got) == sorted((f"{p}-{v}", expected, expected, 3) for v in ("1.2", "1.3", "1.4") for p in PROVIDERS)


def test_version_is_told_from_the_columns(versions_warehouse):
    got = dict(versions_warehouse.execute(
        "select distinct BillingAccountId, x_FocusVersion from raw_focus").fetchall())
    assert got == {f"{p}-{v}": v for v in ("1.2", "1.3", "1.4") for p in PROVIDERS}


def test_provider_names_are_filled_both_ways(versions_warehouse):
    # 1.2 files name the provider in ProviderName only; 1.4 files in ServiceProviderName only
    got = set(versions_warehouse.execute(
        "select distinct ProviderName, PublisherName, ServiceProviderName, HostProviderName from costs "
        "where BillingAccountId in ('Microsoft-1.2', 'Microsoft-1.4', 'AWS-1.4')").fetchall())
    assert got == {("Microsoft",) * 4, ("AWS",) * 4}


def test_aws_cur_rows_name_the_service_provider(con, tmp_path):
    marketplace = {"bill/BillingEntity": "AWS Marketplace", "lineItem/LegalEntity": "Datadog, Inc.",
                   "lineItem/ProductCode": "prod-datadog", "product/ProductName": "Datadog Pro"}
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows({}, marketplace)))
    got = set(con.execute("select ProviderName, PublisherName, ServiceProviderName, HostProviderName from costs").fetchall())
    assert got == {("AWS", "Amazon Web Services", "AWS", "AWS"), ("AWS", "Datadog, Inc.", "Datadog, Inc.", "AWS")}


COMMITMENTS = [
    {"BillingCurrency": "USD", "ContractCommitmentCategory": "Spend", "ContractCommitmentCost": "120000.00",
     "ContractCommitmentDescription": "Annual spend commitment, year 1", "ContractCommitmentId": "cc-2026",
     "ContractCommitmentPeriodStart": "2026-01-01T00:00:00Z", "ContractCommitmentPeriodEnd": "2027-01-01T00:00:00Z",
     "ContractCommitmentQuantity": "", "ContractCommitmentType": "Spend Commitment", "ContractCommitmentUnit": "",
     "ContractId": "contract-1", "ContractPeriodStart": "2026-01-01T00:00:00Z", "ContractPeriodEnd": "2028-01-01T00:00:00Z",
     "ServiceProviderName": "Microsoft", "InvoiceIssuerName": "Microsoft", "x_Region": "EU"},
    {"BillingCurrency": "USD", "ContractCommitmentCategory": "Spend", "ContractCommitmentCost": "130000.00",
     "ContractCommitmentDescription": "Annual spend commitment, year 2", "ContractCommitmentId": "cc-2027",
     "ContractCommitmentPeriodStart": "2027-01-01T00:00:00Z", "ContractCommitmentPeriodEnd": "2028-01-01T00:00:00Z",
     "ContractCommitmentQuantity": "", "ContractCommitmentType": "Spend Commitment", "ContractCommitmentUnit": "",
     "ContractId": "contract-1", "ContractPeriodStart": "2026-01-01T00:00:00Z", "ContractPeriodEnd": "2028-01-01T00:00:00Z",
     "ServiceProviderName": "Microsoft", "InvoiceIssuerName": "Microsoft", "x_Region": ""},
    {"BillingCurrency": "USD", "ContractCommitmentCategory": "usage", "ContractCommitmentCost": "",
     "ContractCommitmentDescription": "GPU hours", "ContractCommitmentId": "cc-gpu",
     "ContractCommitmentPeriodStart": "2026-01-01T00:00:00Z", "ContractCommitmentPeriodEnd": "2027-01-01T00:00:00Z",
     "ContractCommitmentQuantity": "8760", "ContractCommitmentType": "Usage Commitment", "ContractCommitmentUnit": "Hours",
     "ContractId": "contract-1", "ContractPeriodStart": "2026-01-01T00:00:00Z", "ContractPeriodEnd": "2028-01-01T00:00:00Z",
     "ServiceProviderName": "Microsoft", "InvoiceIssuerName": "Microsoft", "x_Region": ""},
]


def test_contract_commitment_file_lands_every_row(con, tmp_path):
    finops.ingest_focus(con, write_csv(tmp_path / "contract_commitments.csv", COMMITMENTS))
    got = con.execute(
        """select ContractCommitmentId, ContractCommitmentCategory, ContractCommitmentCost, ContractCommitmentQuantity,
                  ContractId, cast(ContractPeriodEnd as date), x_Source
           from contract_commitments order by 1"""
    ).fetchall()
    assert [r[:5] for r in got] == [
        ("cc-2026", "Spend", Decimal("120000.00"), None, "contract-1"),
        ("cc-2027", "Spend", Decimal("130000.00"), None, "contract-1"),
        ("cc-gpu", "Usage", None, Decimal("8760"), "contract-1"),
    ]
    assert {(str(r[5]), r[6]) for r in got} == {("2028-01-01", "focus_file")}
    assert con.execute("select x_ExtraColumns from raw_focus_contract_commitments where ContractCommitmentId = 'cc-2026'"
                       ).fetchone() == ({"x_Region": "EU"},)
    assert con.execute("select count(*) from raw_focus").fetchone() == (0,)

    # delivered again (restated), it replaces its commitment periods instead of doubling them
    restated = [{**row, "ContractCommitmentCost": "125000.00"} if row["ContractCommitmentId"] == "cc-2026" else row
                for row in COMMITMENTS]
    (tmp_path / "again").mkdir()
    finops.ingest_focus(con, write_csv(tmp_path / "again" / "contract_commitments.csv", restated))
    assert con.execute("select count(*), sum(ContractCommitmentCost) from contract_commitments").fetchone() == (
        3, Decimal("255000.00"))


SP = "arn:aws:savingsplans::111122223333:savingsplan/5b6d4e7f-sp01"
RI = "arn:aws:ec2:us-west-2:111122223333:reserved-instances/7a8b9c0d-ri01"


def commitment_bill() -> list[dict[str, str]]:
    """96 hours (Monday 2026-10-05 to Thursday): a Compute Savings Plan of 0.25 $/h of which 0.221 is
    used each hour, ending 2027-10-01; a fully used g5 RI ending 2026-11-10, 30 days after the week."""
    sp = {"savingsPlan/SavingsPlanARN": SP, "savingsPlan/OfferingType": "ComputeSavingsPlans",
          "savingsPlan/StartTime": "2024-10-01T00:00:00.000Z", "savingsPlan/EndTime": "2027-10-01T00:00:00.000Z"}
    ri = {"reservation/ReservationARN": RI, "reservation/StartTime": "2025-11-10T00:00:00.000Z",
          "reservation/EndTime": "2026-11-10T00:00:00.000Z"}
    rows = []
    for hour in range(96):
        day, h = divmod(hour, 24)
        when = {"lineItem/UsageStartDate": f"2026-10-{5 + day:02d}T{h:02d}:00:00Z",
                "lineItem/UsageEndDate": f"2026-10-{5 + day:02d}T{h:02d}:59:59Z"}
        rows += [
            {**when, **sp, "lineItem/LineItemType": "SavingsPlanCoveredUsage", "lineItem/UsageType": "BoxUsage:c5.xlarge",
             "lineItem/UnblendedCost": "0.34", "pricing/publicOnDemandCost": "0.34",
             "savingsPlan/SavingsPlanEffectiveCost": "0.221"},
            {**when, **sp, "lineItem/LineItemType": "SavingsPlanRecurringFee", "lineItem/ProductCode": "ComputeSavingsPlans",
             "lineItem/ResourceId": SP, "lineItem/UnblendedCost": "0.25", "pricing/publicOnDemandCost": "0",
             "savingsPlan/TotalCommitmentToDate": "0.25", "savingsPlan/UsedCommitment": "0.221"},
            {**when, **ri, "lineItem/LineItemType": "DiscountedUsage", "lineItem/UnblendedCost": "0",
             "pricing/publicOnDemandCost": "1.006", "reservation/EffectiveCost": "0.6312"},
        ]
    rows.append({**ri, "lineItem/LineItemType": "RIFee", "lineItem/UsageType": "HeavyUsage:g5.xlarge",
                 "lineItem/UnblendedCost": "60.5952", "pricing/publicOnDemandCost": "0",
                 "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": "0", "reservation/UnusedRecurringFee": "0"})
    # on-demand c5 usage the plan could have covered: 24 hours at 0.17
    rows += [{"lineItem/UsageStartDate": f"2026-10-06T{h:02d}:00:00Z", "lineItem/UsageEndDate": f"2026-10-06T{h:02d}:59:59Z",
              "lineItem/UsageType": "BoxUsage:c5.large", "lineItem/UnblendedCost": "0.17",
              "pricing/publicOnDemandCost": "0.17"} for h in range(24)]
    return cur_rows(*rows)


@pytest.fixture(scope="module")
def commitments_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("commitments")
    con = finops.connect(root / "finops.duckdb")
    finops.ingest_aws(con, write_cur_csv(root / "cur.csv", commitment_bill()))
    yield con
    con.close()


def test_savings_plan_utilisation_beside_a_fully_used_ri(commitments_warehouse):
    got = commitments_warehouse.execute(
        """select commitment_id, commitment, commitment_cost, used_cost, unused_cost, utilisation, covered_cost,
                  eligible_cost, term_end, days_to_expiry, expiring_soon
           from commitment_utilisation where grain = 'week' and period = '2026-W41' order by commitment_id"""
    ).fetchall()
    ri, sp = got
    assert sp[:5] == (SP, "Compute Savings Plan 5b6d4e7f-sp01", Decimal("24.000"), Decimal("21.216"), Decimal("2.784"))
    assert round(sp[5] * 100, 1) == 88.4
    # covered: 96 h x 0.34; eligible adds the 24 on-demand c5 hours of the same service at 0.17
    assert sp[6:8] == (Decimal("32.64"), Decimal("36.72"))
    assert (str(sp[8]), sp[9], sp[10]) == ("2027-10-01", 355, False)
    assert ri[2:6] == (Decimal("60.5952"), Decimal("60.5952"), Decimal(0), 1.0)
    assert (str(ri[8]), ri[9], ri[10]) == ("2026-11-10", 30, True)


def test_contract_commitments_are_derived_from_the_bill(commitments_warehouse):
    got = commitments_warehouse.execute(
        """select ContractCommitmentId, ContractCommitmentCategory, ContractCommitmentType, ContractCommitmentCost,
                  cast(ContractPeriodStart as date), cast(ContractPeriodEnd as date), x_Source
           from contract_commitments order by 1"""
    ).fetchall()
    assert [(r[0], r[1], r[2], r[3], str(r[4]), str(r[5]), r[6]) for r in got] == [
        (RI, "Usage", "Reserved Instance", Decimal("60.5952"), "2025-11-10", "2026-11-10", "bill"),
        (SP, "Spend", "Savings Plan", Decimal("24.000"), "2024-10-01", "2027-10-01", "bill"),
    ]


def test_expiring_and_underused_commitments_are_savings_rows(commitments_warehouse):
    got = commitments_warehouse.execute(
        "select kind, name, weekly_savings, monthly_savings, explanation from savings_opportunities "
        "where kind like 'commitment_%' order by kind"
    ).fetchall()
    assert [r[:4] for r in got] == [
        # the RI covered 96 h x 1.006 = 96.576 for 60.5952: 35.9808 a week lapses when it ends
        ("commitment_expiry", f"Reserved Instance {RI.rsplit('/', 1)[1]}", Decimal("35.9808"), None),
        ("commitment_underused", "Compute Savings Plan 5b6d4e7f-sp01", Decimal("2.784"), None),  # one week: not recurring
    ]
    assert got[0][4].startswith("Reserved Instance 7a8b9c0d-ri01 ends on 2026-11-10 (within 30 days); it covers about $419.65")
    assert "88.4 % used this week: $2.78 of it paid for nothing" in got[1][4]


def test_report_states_each_commitment(commitments_warehouse):
    from finops.config.report import ReportSettings
    from finops.report.weekly import render

    report = render(commitments_warehouse, "2026-W41", ReportSettings())
    assert "Compute Savings Plan 5b6d4e7f-sp01: 88.4 % used, $2.78 unused this week, expires 2027-10-01\n" in report.text
    assert "Reserved Instance 7a8b9c0d-ri01: 100.0 % used, $0.00 unused this week, expires 2026-11-10\n" in report.text
    assert "Compute Savings Plan 5b6d4e7f-sp01: 88.4 % used, $2.78 unused this week, expires 2027-10-01</p>" in report.html
