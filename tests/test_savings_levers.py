"""savings_opportunities adds up: each on-demand GPU hour goes to one lever (idle, spot, commitment);
and the [savings] settings of finops.toml, read from the savings_settings table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import finops
from finops.config import load_config
from finops.connectors.metrics import ingest_metrics
from finops.errors import FinopsError
from tests.conftest import cur_rows, write_cur_csv
from tests.test_attribution import sagemaker
from tests.test_commitment_recommendations import START
from tests.test_spot_opportunities import P4D_ON_DEMAND, P4D_SPOT, p4d_run

P4D_1Y = Decimal("20.6467")  # sql/seeds/instance_prices.csv


def hourly(hours: int, **tags: str) -> list[dict[str, str]]:
    """One on-demand p4d instance every hour from START, as instance ``tags['lineItem/ResourceId']``."""
    rows = []
    for t in range(hours):
        start, end = START + dt.timedelta(hours=t), START + dt.timedelta(hours=t + 1)
        rows.append(p4d_run("1", **{"identity/TimeInterval": f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
                                    "lineItem/UsageStartDate": f"{start:%Y-%m-%dT%H:%M:%SZ}",
                                    "lineItem/UsageEndDate": f"{end:%Y-%m-%dT%H:%M:%SZ}", **tags}))
    return rows


def test_a_weeks_opportunities_add_up_without_counting_an_hour_twice(con, tmp_path):
    # 8 days (2026-W40: 96 h, W41: 96 h) of two p4d instances: a training job, and an untagged baseline
    job = {"lineItem/ResourceId": "i-0job", "resourceTags/user:job": "llm-pretrain", "resourceTags/user:team": "ml-platform"}
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(
        *hourly(192, **job), *hourly(192, **{"lineItem/ResourceId": "i-0base"}))))
    # the job's GPUs sat idle for one measured hour of W41 (2026-10-05 04:00)
    log = tmp_path / "gpu.csv"
    log.write_text("timestamp, instance_id, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB]\n" + "".join(
        f"2026/10/05 04:{m:02d}:00.000, i-0job, 0, 0 %, 10 MiB, 40960 MiB\n" for m in (0, 15, 30, 45)), encoding="utf-8")
    ingest_metrics(con, [log])

    levers = dict(con.execute("select x_SavingsLever, sum(ConsumedQuantity) from int_savings_levers group by 1").fetchall())
    assert levers == {"spot": 191, "idle_gpu": 1, "commitment": 192}
    rows = con.execute(
        "select week, kind, name, weekly_savings, monthly_savings from savings_opportunities order by week, kind").fetchall()
    spot_w40 = 96 * (P4D_ON_DEMAND - P4D_SPOT)  # 2,045.0112 that week
    spot_w41 = 95 * (P4D_ON_DEMAND - P4D_SPOT)  # 2,023.709: the idle hour is idle_gpu's, not spot's
    idle_w41 = P4D_ON_DEMAND  # the idle hour's whole cost
    # the Savings Plan is sized on the baseline only (the job's hours would move to spot): 1 p4d an hour at
    # the 1-year price saves 32.7726 - 20.6467 = 12.1259 in each of W41's 96 hours: 1,164.0864
    commitment_w41 = 96 * (P4D_ON_DEMAND - P4D_1Y)
    assert [r[:3] for r in rows] == [("2026-W40", "spot", "llm-pretrain"), ("2026-W41", "commitment", "Compute Savings Plan"),
                                     ("2026-W41", "idle_gpu", "i-0job"), ("2026-W41", "spot", "llm-pretrain")]
    got = {(week, kind): value for week, kind, _, value, _ in rows}
    assert got[("2026-W40", "spot")] == spot_w40
    assert got[("2026-W41", "spot")] == spot_w41
    assert got[("2026-W41", "idle_gpu")] == idle_w41
    assert got[("2026-W41", "commitment")] == pytest.approx(commitment_w41, abs=Decimal("1e-5"))
    assert [r[4] for r in rows] == [None] * 4  # 8 days: nothing recurs in 3 of the last 4 weeks, no monthly figure
    (total,) = con.execute("select sum(weekly_savings) from savings_opportunities where week = '2026-W41'").fetchone()
    # 2,023.71 (spot) + 32.77 (idle) + 1,164.09 (commitment) = 3,220.57 that week
    assert total == pytest.approx(spot_w41 + idle_w41 + commitment_w41, abs=Decimal("1e-5"))
    assert round(total, 2) == Decimal("3220.57")
    hourly_commitment = con.execute(
        "select hourly_commitment from commitment_recommendations "
        "where plan = 'Compute Savings Plan' and term_months = 12 and lookback_days = 7").fetchone()[0]
    assert hourly_commitment == pytest.approx(P4D_1Y, abs=Decimal("1e-8"))  # not 2 x 20.6467


def endpoint_bill(tmp_path):
    return write_cur_csv(tmp_path / "cur.csv", cur_rows(
        sagemaker("endpoint", "rank-v2", "USE1-Host:ml.g5.xlarge", "2.82", "2",
                  **{"pricing/publicOnDemandRate": "1.41", "lineItem/UnblendedRate": "1.41", "resourceTags/user:team": "search"})))


def test_endpoints_are_spot_candidates_only_when_configured(con, tmp_path):
    finops.ingest_aws(con, endpoint_bill(tmp_path))
    assert con.execute("select * from spot_opportunities").fetchall() == []
    assert con.execute("select interruptible_endpoints, commitment_lookback_days from savings_settings").fetchall() == [(False, 60)]
    config = tmp_path / "finops.toml"
    config.write_text("[savings]\ninterruptible_endpoints = true\n", encoding="utf-8")
    finops.build(con, config=load_config(config))
    # 2 h x (1.41 on the bill - 0.4224, the bundled ml.g5.xlarge spot rate) = 1.9752
    assert con.execute(
        "select workload_type, workload_name, on_demand_hours, on_demand_rate, spot_rate, spot_savings from spot_opportunities"
    ).fetchall() == [("inference", "rank-v2", Decimal(2), Decimal("1.41"), Decimal("0.4224"), Decimal("1.9752"))]


def test_commitment_look_back_is_the_longest_the_bill_covers_up_to_the_setting(con, tmp_path):
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(*hourly(31 * 24, **{"lineItem/ResourceId": "i-0base"}))))
    query = "select confidence, explanation from savings_opportunities where kind = 'commitment'"
    (confidence, explanation), = con.execute(query).fetchall()
    assert confidence == "medium" and "of the last 30 days. Recurring: seen in 4 of the last 4 weeks" in explanation  # 60 days: too little history
    config = tmp_path / "finops.toml"
    config.write_text("[savings]\ncommitment_lookback_days = 7\n", encoding="utf-8")
    finops.build(con, config=load_config(config))
    (confidence, explanation), = con.execute(query).fetchall()
    assert confidence == "low" and "of the last 7 days. Seen in 2 of the last 4 weeks, so no monthly figure" in explanation


@pytest.mark.parametrize(("body", "message"), [
    ("[savings]\ninterruptible_endpoint = true\n", "unknown key savings.interruptible_endpoint (expected"),
    ('[savings]\ninterruptible_endpoints = "yes"\n', "savings.interruptible_endpoints must be true or false"),
    ("[savings]\ncommitment_lookback_days = 14\n", "savings.commitment_lookback_days must be 7, 30 or 60 (days)"),
])
def test_savings_settings_errors_name_the_key(tmp_path, body, message):
    config = tmp_path / "finops.toml"
    config.write_text(body, encoding="utf-8")
    with pytest.raises(FinopsError, match="^" + str(config).replace(".", r"\.") + ": ") as raised:
        load_config(config)
    assert message in str(raised.value)


def gcp_gpu_row(hour: int, vm: str, labels: dict[str, str]) -> dict:
    """One hour of an on-demand A100 on an a2-highgpu-1g, as the detailed Cloud Billing export has it."""
    start, end = START + dt.timedelta(hours=hour), START + dt.timedelta(hours=hour + 1)
    return {
        "billing_account_id": "01A2B3-C4D5E6-F7A8B9",
        "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
        "sku": {"id": "039F-D0DA-4055", "description": "Nvidia Tesla A100 GPU running in Americas"},
        "usage_start_time": f"{start:%Y-%m-%d %H:%M:%S} UTC", "usage_end_time": f"{end:%Y-%m-%d %H:%M:%S} UTC",
        "project": {"id": "ml-research-prod", "number": "104729311205", "name": "ML Research Prod", "labels": [],
                    "ancestry_numbers": "/123456789012/104729311205/"},
        "labels": [{"key": k, "value": v} for k, v in labels.items()],
        "system_labels": [{"key": "compute.googleapis.com/machine_spec", "value": "a2-highgpu-1g"}],
        "location": {"location": "us-central1", "country": "US", "region": "us-central1", "zone": "us-central1-a"},
        "resource": {"name": vm, "global_name": f"//compute.googleapis.com/projects/ml-research-prod/zones/us-central1-a/instances/{vm}"},
        "tags": [], "cost": 2.933908, "currency": "USD", "currency_conversion_rate": 1.0,
        "usage": {"amount": 3600, "unit": "seconds", "amount_in_pricing_units": 1, "pricing_unit": "hour"},
        "credits": [], "invoice": {"month": "202610", "publisher_type": "GOOGLE"}, "cost_type": "regular",
        "subscription": {"instance_id": None}, "adjustment_info": None,
        "price": {"effective_price": "2.933908", "tier_start_amount": "0", "unit": "hour", "pricing_unit_quantity": "1"},
        "export_time": f"{end + dt.timedelta(hours=3):%Y-%m-%d %H:%M:%S}.000000 UTC",
    }


def test_gcp_gpu_skus_get_preemptible_and_committed_use_prices(con, tmp_path):
    import json

    # 8 days of two on-demand A100s: a training job's VM and an untagged one
    export = tmp_path / "gcp" / "000000000000.json"
    export.parent.mkdir()
    export.write_text("".join(json.dumps(row) + "\n" for t in range(192) for row in (
        gcp_gpu_row(t, "trainer", {"team": "research", "ml_job": "llm-finetune"}), gcp_gpu_row(t, "baseline", {}))),
        encoding="utf-8")
    finops.ingest_gcp(con, export)
    # the A100 SKU's prices in sql/seeds/gcp_sku_prices.csv: on demand 2.933908, Preemptible 1.1736, 1 year 1.848362
    assert con.execute(
        "select week, provider, workload_name, instance_type, on_demand_hours, on_demand_rate, spot_rate, spot_savings "
        "from spot_opportunities order by week").fetchall() == [
        (week, "Google Cloud", "llm-finetune", "a2-highgpu-1g", Decimal(96), Decimal("2.933908"), Decimal("1.1736"),
         Decimal("168.989568"))  # 96 GPU hours x 1.760308
        for week in ("2026-W40", "2026-W41")]
    discount, commitment, monthly = con.execute(
        "select discount, hourly_commitment, monthly_savings from commitment_recommendations "
        "where plan = 'Compute Engine committed use discount (GPU)' and term_months = 12 and lookback_days = 7").fetchone()
    assert discount == (1 - Decimal("1.848362") / Decimal("2.933908")).quantize(Decimal("1e-10"))
    # the baseline A100 only (the trainer's hours are a spot opportunity): 1.848362 an hour
    assert commitment == pytest.approx(Decimal("1.848362"), abs=Decimal("1e-8"))
    assert monthly == pytest.approx((Decimal("2.933908") - Decimal("1.848362")) * 730, abs=Decimal("1e-5"))  # 792.45
    assert con.execute("select kind, name from savings_opportunities where week = '2026-W41' order by kind").fetchall() == [
        ("commitment", "Compute Engine committed use discount (GPU)"), ("spot", "llm-finetune")]
