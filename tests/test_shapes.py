"""Every AWS delivery shape is recognised without being told: CUR 2.0, legacy Parquet, FOCUS export."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb

import finops

CUR2_SELECT = """
    select
        'line' || i as identity_line_item_id,
        '2026-10-01T00:00:00Z/2026-10-01T01:00:00Z' as identity_time_interval,
        '' as bill_invoice_id,
        'AWS' as bill_billing_entity,
        'Amazon Web Services, Inc.' as bill_invoicing_entity,
        '012345678901' as bill_payer_account_id,
        'ML Org' as bill_payer_account_name,
        timestamp '2026-10-01' as bill_billing_period_start_date,
        timestamp '2026-11-01' as bill_billing_period_end_date,
        '012345678902' as line_item_usage_account_id,
        'ml-research' as line_item_usage_account_name,
        'Usage' as line_item_line_item_type,
        timestamp '2026-10-01 00:00' + to_hours(i) as line_item_usage_start_date,
        timestamp '2026-10-01 01:00' + to_hours(i) as line_item_usage_end_date,
        'AmazonSageMaker' as line_item_product_code,
        'USE1-Train:ml.g5.12xlarge' as line_item_usage_type,
        'RunInstance' as line_item_operation,
        'arn:aws:sagemaker:us-east-1:012345678902:training-job/llama-ft-' || i as line_item_resource_id,
        1.0::double as line_item_usage_amount,
        'USD' as line_item_currency_code,
        7.09::double as line_item_unblended_rate,
        7.09::double as line_item_unblended_cost,
        7.09::double as pricing_public_on_demand_cost,
        'Hrs' as pricing_unit,
        'SKU123' as product_sku,
        map {'product_name': 'Amazon SageMaker', 'region_code': 'us-east-1', 'gpu': '4'} as product,
        map {'user_team': 'ML-Research', 'user_job': 'llama-ft-' || i, 'aws_created_by': 'AssumedRole'} as resource_tags,
        map {'costcenter': 'research'} as cost_category,
        map(['bundled_discount'], [0.0::double])::map(varchar, double) as discount
    from range(5) t(i)
"""


def write_cur2(root: Path, *, with_manifest: bool = True) -> Path:
    data = root / "ml-cur2" / "data" / "BILLING_PERIOD=2026-10"
    data.mkdir(parents=True)
    duckdb.connect().execute(f"copy ({CUR2_SELECT}) to '{data / 'ml-cur2-00001.snappy.parquet'}' (format parquet)")
    if with_manifest:
        meta = root / "ml-cur2" / "metadata" / "BILLING_PERIOD=2026-10"
        meta.mkdir(parents=True)
        (meta / "ml-cur2-Manifest.json").write_text(json.dumps({
            "executionId": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "exportName": "ml-cur2",
            "billingPeriod": {"start": "2026-10-01T00:00:00.000Z", "end": "2026-11-01T00:00:00.000Z"},
            "dataFiles": [{"key": "s3://bucket/exports/ml-cur2/data/BILLING_PERIOD=2026-10/ml-cur2-00001.snappy.parquet"}],
        }))
    return root


def test_cur2_with_manifest(con, tmp_path):
    (result,) = finops.ingest_aws(con, write_cur2(tmp_path / "exports"))
    assert result.shape == "aws-cur2" and result.rows == 5
    row = con.execute(
        """select BillingAccountId, BillingAccountName, SubAccountName, ServiceName, RegionId, Tags,
                  x_CostCategories, x_InstanceType, ResourceName, ResourceType, ServiceCategory, sum(BilledCost) over ()
           from costs order by ChargePeriodStart limit 1"""
    ).fetchone()
    assert row[:5] == ("012345678901", "ML Org", "ml-research", "Amazon SageMaker", "us-east-1")
    assert row[5] == {"team": "ML-Research", "job": "llama-ft-0", "aws_created_by": "AssumedRole"}
    assert row[6:] == ({"costcenter": "research"}, "ml.g5.12xlarge", "llama-ft-0", "training-job",
                       "AI and Machine Learning", Decimal("35.45"))
    (delivery,) = con.execute("select delivery_id from loads").fetchone()
    assert delivery == "execution:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    assert finops.ingest_aws(con, tmp_path / "exports")[0].skipped


def test_cur2_without_manifest(con, tmp_path):
    (result,) = finops.ingest_aws(con, write_cur2(tmp_path / "exports", with_manifest=False))
    assert (result.shape, result.rows) == ("aws-cur2", 5)


def test_legacy_parquet_with_snake_case_names(con, tmp_path):
    path = tmp_path / "cur-00001.snappy.parquet"
    duckdb.connect().execute(
        f"""copy (select '111122223333' as bill_payer_account_id,
                         timestamp '2026-10-01' as bill_billing_period_start_date,
                         timestamp '2026-11-01' as bill_billing_period_end_date,
                         'Usage' as line_item_line_item_type,
                         timestamp '2026-10-02' as line_item_usage_start_date,
                         timestamp '2026-10-02 01:00' as line_item_usage_end_date,
                         'AmazonEC2' as line_item_product_code,
                         'SpotUsage:p4d.24xlarge' as line_item_usage_type,
                         9.8318::double as line_item_unblended_cost,
                         32.7726::double as pricing_public_on_demand_cost,
                         'USD' as line_item_currency_code,
                         'ml-research' as resource_tags_user_team,
                         'Research' as cost_category_cost_center,
                         '8' as product_gpu)
            to '{path}' (format parquet)"""
    )
    (result,) = finops.ingest_aws(con, path)
    assert result.shape == "aws-cur-legacy"
    row = con.execute("select Tags, x_CostCategories, PricingCategory, x_InstanceType, EffectiveCost from costs").fetchone()
    assert row == ({"team": "ml-research"}, {"cost_center": "Research"}, "Dynamic", "p4d.24xlarge", Decimal("9.8318"))
    (product,) = con.execute("select product from raw_aws_cur").fetchone()
    assert product == {"gpu": "8"}


def test_aws_focus_export_is_recognised(con, tmp_path):
    data = tmp_path / "focus-export" / "data" / "BILLING_PERIOD=2026-10"
    data.mkdir(parents=True)
    duckdb.connect().execute(
        f"""copy (select '111122223333' as BillingAccountId, timestamp '2026-10-01' as BillingPeriodStart,
                         timestamp '2026-11-01' as BillingPeriodEnd, timestamp '2026-10-05' as ChargePeriodStart,
                         timestamp '2026-10-05 01:00' as ChargePeriodEnd, 'Usage' as ChargeCategory,
                         2.5::double as BilledCost, 2.5::double as EffectiveCost, 'USD' as BillingCurrency,
                         'AWS' as ProviderName, 'Amazon SageMaker' as ServiceName,
                         map {{'team': 'ml'}} as Tags, 'USE1-Host:ml.g5.xlarge' as x_UsageType)
            to '{data / 'part-0.parquet'}' (format parquet)"""
    )
    (result,) = finops.ingest_aws(con, tmp_path / "focus-export")
    assert result.shape == "aws-focus"
    assert con.execute("select BilledCost, Tags, x_ExtraColumns from costs").fetchone() == (
        Decimal("2.5"), {"team": "ml"}, {"x_UsageType": "USE1-Host:ml.g5.xlarge"})


def test_tag_columns_that_differ_only_in_case_are_both_kept(con, tmp_path):
    from tests.conftest import cur_rows, write_cur_csv

    rows = cur_rows({"resourceTags/user:Team": "ML-Platform", "resourceTags/user:team": "search"})
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", rows))
    (tags,) = con.execute("select Tags from costs").fetchone()
    assert tags == {"Team": "ML-Platform", "team": "search"}
