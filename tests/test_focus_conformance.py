"""FOCUS conformance on awkward real-world bills, checked by the validator: AWS CURs with empty
pricing units, units outside FOCUS's format (DPU-Hour, 64K-Chunks) and no product/location, and the
FOCUS 1.0 sample data, which lacks columns 1.2 requires and breaks rules 1.2 added."""

from __future__ import annotations

import csv
import subprocess
from decimal import Decimal

import pytest

import finops
from tests.conftest import FOCUS_SAMPLE, REAL_CUR, cur_rows, write_cur_csv
from tests.test_export import validator_command, validator_env

NO_UNIT = {"pricing/unit": ""}


def awkward_delivery() -> list[dict[str, str]]:
    """Line items as real CURs carry them: no pricing/unit on some, AWS's own unit spellings on others."""
    rows = cur_rows(
        {"lineItem/ProductCode": "AmazonS3", "lineItem/UsageType": "USE1-Requests-Tier2", "lineItem/UsageAmount": "2000",
         "lineItem/ResourceId": "ml-datasets", "product/regionCode": "us-east-1",
         "product/ProductName": "Amazon Simple Storage Service", **NO_UNIT},
        {"lineItem/UsageType": "USW2-SpotUsage:g5.12xlarge", "pricing/term": "Spot", **NO_UNIT},
        {"lineItem/UsageType": "USW2-EBS:VolumeUsage.gp3", "lineItem/ResourceId": "vol-0abc", "lineItem/UsageAmount": "0.5",
         **NO_UNIT},
        {"lineItem/LineItemType": "RIFee", "lineItem/UsageType": "HeavyUsage:g5.xlarge", "lineItem/UsageAmount": "720",
         "lineItem/UnblendedCost": "300.00", "pricing/publicOnDemandCost": "0",
         "reservation/ReservationARN": "arn:aws:ec2:us-west-2:111122223333:reserved-instances/7a8b", **NO_UNIT},
        {"lineItem/ProductCode": "AWSGlue", "lineItem/UsageType": "USW2-ETL-DPU-Hour", "lineItem/UsageAmount": "3.5",
         "lineItem/ResourceId": "", "pricing/unit": "DPU-Hour", "product/ProductName": "AWS Glue"},
        {"lineItem/ProductCode": "AWSQueueService", "lineItem/UsageType": "USW2-Requests-RBP",
         "lineItem/UsageAmount": "1200", "lineItem/ResourceId": "", "pricing/unit": "64K-Chunks",
         "product/ProductName": "Amazon Simple Queue Service"},
        {"lineItem/UsageType": "USW2-Something-New", "lineItem/ResourceId": "", **NO_UNIT},
        {"lineItem/ProductCode": "AWSLambda", "lineItem/UsageType": "USW2-Lambda-GB-Second", "lineItem/UsageAmount": "3600",
         "lineItem/ResourceId": "", "pricing/unit": "Lambda-GB-Second", "product/ProductName": "AWS Lambda"},
    )
    for row in rows:
        del row["product/location"]  # CUR 2.0 exports and trimmed legacy CURs can leave it out
    return rows


EXPECTED_UNITS = {  # usage type -> (PricingUnit, ConsumedUnit)
    "USE1-Requests-Tier2": ("Requests", "Requests"),
    "USW2-SpotUsage:g5.12xlarge": ("Hours", "Hours"),
    "USW2-EBS:VolumeUsage.gp3": ("GB-Months", "GB-Months"),
    "HeavyUsage:g5.xlarge": ("Hours", None),  # a fee is a Purchase: priced, not consumed
    "USW2-ETL-DPU-Hour": ("DPU-Hours", "DPU-Hours"),
    "USW2-Requests-RBP": ("64 KB Chunks", "64 KB Chunks"),
    "USW2-Something-New": ("Units", "Units"),
    "USW2-Lambda-GB-Second": ("GB-Seconds", "GB-Seconds"),
}


def real_cur_without_location(path):
    """The real anonymised CUR with its product/location column taken out."""
    with open(REAL_CUR, newline="", encoding="utf-8") as fh:
        rows = [{k: v for k, v in row.items() if k != "product/location"} for row in csv.DictReader(fh)]
    return write_cur_csv(path, rows)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("conformance")
    con = finops.connect(root / "finops.duckdb")
    finops.ingest_aws(con, write_cur_csv(root / "awkward" / "cur.csv", awkward_delivery()))
    finops.ingest_aws(con, real_cur_without_location(root / "real" / "cur.csv"))
    yield con
    con.close()


def test_units_are_derived_and_in_focus_format(warehouse):
    got = dict(
        (usage_type, (pricing, consumed))
        for usage_type, pricing, consumed in warehouse.execute(
            "select x_UsageType, PricingUnit, ConsumedUnit from costs "
            "where BillingAccountId = '111122223333' and x_RowKind = 'line_item'"
        ).fetchall()
    )
    assert got == EXPECTED_UNITS


def test_region_names_come_from_the_seed_without_product_location(warehouse):
    names = dict(warehouse.execute("select distinct RegionId, RegionName from costs where RegionId is not null").fetchall())
    assert names["us-west-2"] == "US West (Oregon)"
    assert names["us-east-1"] == "US East (N. Virginia)"
    assert names["ca-central-1"] == "Canada (Central)"
    assert warehouse.execute("select count(*) from costs where RegionId is not null and RegionName is null").fetchone() == (0,)


def test_no_quantity_without_its_unit(warehouse):
    (pricing, consumed) = warehouse.execute(
        "select count(*) filter (where PricingQuantity is not null and PricingUnit is null), "
        "count(*) filter (where ConsumedQuantity is not null and ConsumedUnit is null) from costs"
    ).fetchone()
    assert (pricing, consumed) == (0, 0)


def run_validator(path) -> str:
    command = validator_command()
    if command is None:
        pytest.skip("FOCUS validator not found (../shared/tools/focus-validate); it needs python3.12")
    result = subprocess.run([*command, str(path)], capture_output=True, text=True, env=validator_env(), timeout=900)
    report = result.stdout + result.stderr
    if "needs python3.12" in report:
        pytest.skip("the FOCUS validator needs python3.12, not installed here")
    return report


def test_awkward_bills_pass_the_validator(warehouse, tmp_path):
    out = tmp_path / "focus.parquet"
    finops.export_focus(warehouse, out)
    report = run_validator(out)
    assert "genuine failures: 0;" in report, report[-3000:]


def test_a_focus_bill_passes_the_validator(warehouse, tmp_path):
    # a FOCUS 1.2 bill as another tool writes it (our own export), loaded as a FOCUS source
    bill = tmp_path / "bill" / "focus.parquet"
    bill.parent.mkdir()
    finops.export_focus(warehouse, bill)
    con = finops.connect(tmp_path / "focus.duckdb")
    finops.ingest_focus(con, bill)
    out = tmp_path / "focus.parquet"
    finops.export_focus(con, out)
    assert con.execute("select count(*) from costs").fetchone() == warehouse.execute("select count(*) from costs").fetchone()
    report = run_validator(out)
    assert "genuine failures: 0;" in report, report[-3000:]


@pytest.fixture(scope="module")
def focus_1_0(tmp_path_factory):
    con = finops.connect(tmp_path_factory.mktemp("focus-1.0") / "finops.duckdb")
    finops.ingest_focus(con, FOCUS_SAMPLE)
    yield con
    con.close()


def test_a_focus_1_0_file_gets_what_1_2_requires_from_what_it_states(focus_1_0):
    def one(sql):
        return focus_1_0.execute(sql).fetchall()

    # the sample's own total is untouched: 1,000 rows, 20.5202 billed (summed from the CSV by hand)
    assert one("select count(*), round(sum(BilledCost), 4) from costs") == [(1000, Decimal("20.5202"))]
    assert one("select distinct PricingCurrency from costs") == [("USD",)]
    # an invoice from AWS's own legal entities is AWS's; the entity stays in x_InvoicingEntity
    assert one("select distinct InvoiceIssuerName from costs where ProviderName = 'AWS'") == [("AWS",)]
    assert sorted(one("select distinct x_InvoicingEntity from costs where ProviderName = 'AWS'")) == [
        ("Amazon Web Services Canada, Inc.",), ("Amazon Web Services EMEA SARL",), ("Amazon Web Services, Inc.",)]
    assert sorted(one("select ProviderName, SubAccountType, count(*) from costs group by all")) == [
        ("AWS", "Linked Account", 942), ("Microsoft", "Subscription", 51), ("Oracle", "Tenancy", 7)]
    # 1.0 filed EBS under Storage and instances under Compute; from 1.2 a service has one category
    assert one("select distinct ServiceCategory, ServiceSubcategory from costs "
               "where ServiceName = 'Amazon Elastic Compute Cloud'") == [("Compute", "Virtual Machines")]
    assert sorted(one("select distinct PricingUnit from costs where PricingUnit in ('GB-Seconds', 'GiBps-Months', "
                      "'Lambda-GB-Seconds', 'GiB/Second-Months')")) == [("GB-Seconds",), ("GiBps-Months",)]
    # OCI names its regions by id (us-phoenix-1); AWS's id without a name gets the name AWS prints
    assert sorted(one("select distinct RegionId, RegionName from costs where ProviderName = 'Oracle'")) == [
        ("us-phoenix-1", "us-phoenix-1"), ("us-sanjose-1", "us-sanjose-1")]
    assert ("us-east-1", "US East (N. Virginia)") in one("select distinct RegionId, RegionName from costs")
    assert one("select count(*) from costs where (ResourceId is null) <> (ResourceType is null)") == [(0,)]
    assert one("select count(*) from costs where ConsumedQuantity is not null and ChargeCategory <> 'Usage'") == [(0,)]
    assert one("select count(*) from costs where ContractedUnitPrice < 0") == [(0,)]
    assert one("select count(*) from costs where SkuId is not null and SkuMeter is null") == [(0,)]
    assert one("select BillingAccountName from costs where ProviderName = 'Oracle' limit 1") == [("20209880",)]


def test_the_focus_1_0_sample_exports_as_valid_focus_1_2(focus_1_0, tmp_path):
    out = tmp_path / "focus.parquet"
    finops.export_focus(focus_1_0, out)
    report = run_validator(out)
    assert "genuine failures: 0;" in report, report[-3000:]
