"""GPU metrics and idle GPUs: a real H100 recording, a DCGM scrape, and a hand-computed week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import pytest

import finops
from finops.config import load_config
from finops.connectors.metrics import ingest_metrics
from tests.conftest import FIXTURES, REAL_CUR, cur_rows, snapshot, write_cur_csv

H100 = FIXTURES / "gpu-telemetry" / "nvidia-smi-h100-query.csv"
PHASES = FIXTURES / "gpu-telemetry" / "phases.txt"


def phases() -> list[tuple[str, datetime]]:
    """(label, UTC start) per line; the recording's first line has no label: it is the idle start."""
    out = []
    for line in PHASES.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            *label, stamp = line.split()
            out.append((label[0] if label else "idle", datetime.fromisoformat(stamp.replace("Z", ""))))
    return out


def test_real_h100_recording_phases_at_the_default_threshold(con):
    (load,) = ingest_metrics(con, [H100], resource="i-h100")
    assert (load.kind, load.samples, load.garbage, load.resources) == ("nvidia-smi", 112, 0, ["i-h100"])
    (threshold,) = con.execute("select gpu_utilization_below from idle_settings").fetchone()
    assert threshold == 5.0
    starts = phases()
    found = []
    for i, (label, start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else datetime(9999, 1, 1)
        count, mean = con.execute(
            "select count(*), avg(gpu_utilization) from gpu_metrics where sampled_at >= ? and sampled_at < ?",
            [start, end],
        ).fetchone()
        found.append((label, count, "idle" if mean < threshold else "busy"))
    assert found == [("idle", 30, "idle"), ("busy", 38, "busy"), ("light", 36, "busy"), ("idle", 8, "idle")]
    # units inside values: memory % from "0 MiB" / "81559 MiB", timestamps to the millisecond
    first = con.execute("select cast(sampled_at as varchar), memory_utilization from gpu_metrics order by sampled_at limit 1").fetchone()
    assert first == ("2026-11-22 13:23:58.688", 0.0)


def test_garbage_lines_are_counted_not_fatal_and_reloading_replaces(run, tmp_path, con):
    log = tmp_path / "i-0feed.csv"  # no --resource: the file name names the instance
    text = H100.read_text(encoding="utf-8")
    log.write_text(text + "garbage\n2026/11/22 13:25:50.900, 0, [N/A], NVIDIA H100 80GB HBM3, 00000000:00:06.0, [N/A], 0 %, 0 MiB, 81559 MiB, 75 W, 50\n"
                   "2026/11/22 13:25:51.901, 0, GPU-bf4d", encoding="utf-8")
    con.close()
    code, out, err = run("ingest", "metrics", str(log))
    assert (code, err) == (0, "")
    assert out == f"loaded {log}: nvidia-smi, 112 samples of i-0feed; 3 line(s) not understood, skipped\n"
    assert run("ingest", "metrics", str(log))[0] == 0
    code, out, _ = run("query", "select count(*), count(distinct resource_id) from gpu_metrics", "--format", "csv")
    assert out == "count_star(),count(DISTINCT resource_id)\n112,1\n"


def test_a_file_of_the_wrong_kind_is_a_clear_error(run, db, tmp_path):
    run("ingest", "metrics", str(H100))
    before = snapshot(db)
    for wrong in (REAL_CUR, PHASES):
        code, out, err = run("ingest", "metrics", str(H100), str(wrong))
        assert code == 1 and out == ""
        assert err.startswith(f"finops: {wrong.resolve()}: not an nvidia-smi --query-gpu CSV log") and err.count("\n") == 1
    assert snapshot(db) == before
    code, _, err = run("ingest", "metrics", str(tmp_path / "missing"))
    assert code == 1 and "no such file or directory" in err


DCGM_SCRAPE = """\
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-aaaa",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",container="trainer",namespace="ml",pod="llama-ft-0"} 87 1790000000000
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-bbbb",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",container="",namespace="",pod=""} 0 1790000000000
# HELP DCGM_FI_PROF_SM_ACTIVE The ratio of cycles an SM has at least 1 warp assigned.
# TYPE DCGM_FI_PROF_SM_ACTIVE gauge
DCGM_FI_PROF_SM_ACTIVE{gpu="0",UUID="GPU-aaaa",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",container="trainer",namespace="ml",pod="llama-ft-0"} 0.75 1790000000000
DCGM_FI_PROF_SM_ACTIVE{gpu="1",UUID="GPU-bbbb",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",container="",namespace="",pod=""} 0 1790000000000
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-aaaa",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",container="trainer",namespace="ml",pod="llama-ft-0"} 61440 1790000000000
DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-aaaa",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7",container="trainer",namespace="ml",pod="llama-ft-0"} 20480 1790000000000
DCGM_FI_DEV_SM_CLOCK{gpu="0",UUID="GPU-aaaa",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-node-7"} 1410 1790000000000
DCGM_FI_DEV_GPU_UTIL{gpu="1",Hostname="gpu-node-7" not a number
"""


def test_dcgm_scrape_two_gpus_one_host_with_pod_labels(con, tmp_path):
    scrape = tmp_path / "node-7.prom"
    scrape.write_text(DCGM_SCRAPE, encoding="utf-8")
    (load,) = ingest_metrics(con, [scrape])
    assert (load.kind, load.samples, load.garbage, load.resources) == ("dcgm", 2, 1, ["gpu-node-7"])
    rows = con.execute(
        "select resource_id, gpu_index, cast(sampled_at as varchar), gpu_utilization, memory_utilization, sm_active, "
        "nullif(pod, ''), nullif(namespace, ''), source from gpu_metrics order by gpu_index"
    ).fetchall()
    assert rows == [
        ("gpu-node-7", 0, "2026-09-21 14:13:20", 87.0, 75.0, 75.0, "llama-ft-0", "ml", "dcgm"),
        ("gpu-node-7", 1, "2026-09-21 14:13:20", 0.0, None, 0.0, None, None, "dcgm"),
    ]


# A hand-made week, Monday 2026-10-05 to Sunday 2026-10-11, every hour billed (g5.xlarge: 1 GPU):
#   i-nightly  untagged g5.xlarge at 1.006/h, busy 08:00-20:00 UTC (85 %), idle at night (2 %)
#   i-busy     g5.xlarge tagged with a training job, 90 % all week
#   alice-nb   SageMaker notebook ml.g4dn.xlarge at 0.7364/h, always on, no metrics
WEEK = datetime(2026, 10, 5)


def week_bill() -> list[dict[str, str]]:
    rows = []
    for h in range(168):
        start, end = WEEK + timedelta(hours=h), WEEK + timedelta(hours=h + 1)
        when = {"lineItem/UsageStartDate": f"{start:%Y-%m-%dT%H:%M:%SZ}", "lineItem/UsageEndDate": f"{end:%Y-%m-%dT%H:%M:%SZ}",
                "identity/TimeInterval": f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}"}
        rows += [
            {**when, "lineItem/ResourceId": "i-nightly"},
            {**when, "lineItem/ResourceId": "i-busy", "resourceTags/user:job": "llm-pretrain", "resourceTags/user:team": "ml-platform"},
            {**when, "lineItem/ProductCode": "AmazonSageMaker", "product/ProductName": "Amazon SageMaker",
             "lineItem/UsageType": "USE1-Notebk:ml.g4dn.xlarge", "lineItem/Operation": "RunInstance",
             "lineItem/ResourceId": "arn:aws:sagemaker:us-east-1:444455556666:notebook-instance/alice-nb",
             "lineItem/UnblendedCost": "0.7364", "pricing/publicOnDemandCost": "0.7364", "product/instanceType": ""},
        ]
    return cur_rows(*rows)


def week_metrics(path: Path) -> Path:
    """nvidia-smi log with an instance_id column, four samples an hour for both instances."""
    lines = ["timestamp, instance_id, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB]"]
    for q in range(168 * 4):
        at = WEEK + timedelta(minutes=15 * q)
        night = at.hour < 8 or at.hour >= 20
        lines.append(f"{at:%Y/%m/%d %H:%M:%S}.000, i-nightly, 0, {2 if night else 85} %, 1000 MiB, 23028 MiB")
        lines.append(f"{at:%Y/%m/%d %H:%M:%S}.000, i-busy, 0, 90 %, 20000 MiB, 23028 MiB")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def week(con, tmp_path):
    finops.ingest_aws(con, write_cur_csv(tmp_path / "bill" / "cur.csv", week_bill()))
    ingest_metrics(con, [week_metrics(tmp_path / "gpu.csv")])
    return con


def test_generated_week_idle_hours_and_wasted_dollars(week):
    rows = week.execute(
        "select resource_id, week, billed_hours, measured_hours, idle_hours, idle_share, wasted_cost, "
        "longest_idle_stretch_hours from idle_gpu_weekly order by resource_id"
    ).fetchall()
    by_id = {r[0]: r[1:] for r in rows}
    # 12 idle hours a night (00-08 and 20-24) x 7 = 84; 84 x 1.006 = 84.504; a whole night is 12 hours
    assert by_id["i-nightly"] == ("2026-W41", 168, 168, 84, 0.5, Decimal("84.504"), 12)
    assert by_id["i-busy"] == ("2026-W41", 168, 168, 0, 0.0, Decimal("0"), 0)
    assert by_id["arn:aws:sagemaker:us-east-1:444455556666:notebook-instance/alice-nb"] == ("2026-W41", 168, 0, 0, None, Decimal("0"), 0)
    assert week.execute("select idle_rule from idle_gpu where is_idle group by all").fetchall() == [("mean GPU utilisation < 5.0 %",)]
    assert finops.run_tests(week) == []


def test_billing_only_heuristic_flags_the_always_on_notebook(week):
    rows = week.execute(
        "select resource_name, suspected_rule, billed_hours, billed_off_hours, off_hours_cost, measured "
        "from idle_gpu_suspected order by resource_name"
    ).fetchall()
    assert rows == [
        # 108 off hours: 5 nights x 12 hours + 48 weekend hours
        ("alice-nb", "billed every hour of the week", 168, 108, Decimal("79.5312"), False),
        ("i-nightly", "billed through nights and weekends, no training attributed", 168, 108, Decimal("108.648"), True),
    ]


def test_gpu_efficiency_per_team_and_workload(week):
    rows = week.execute(
        "select team, workload_type, workload_name, gpu_hours, measured_gpu_hours, round(gpu_efficiency, 4) "
        "from gpu_efficiency order by team, workload_name"
    ).fetchall()
    assert rows == [
        ("ml-platform", "training", "llm-pretrain", Decimal(168), Decimal(168), 0.9),
        ("unallocated", "notebook", "alice-nb", Decimal(168), Decimal(0), None),
        # (84 h x 85 % + 84 h x 2 %) / 168 h
        ("unallocated", "gpu_compute", "i-nightly", Decimal(168), Decimal(168), 0.435),
    ]


def test_idle_threshold_from_finops_toml(week, tmp_path):
    config = tmp_path / "finops.toml"
    config.write_text("[idle]\ngpu_utilization_below = 95\n", encoding="utf-8")
    finops.build(week, config=load_config(config))
    assert week.execute("select sum(idle_hours) from idle_gpu_weekly where resource_id = 'i-busy'").fetchone() == (168,)
    config.write_text("[idle]\ngpu_utilisation_below = 5\n", encoding="utf-8")
    with pytest.raises(finops.FinopsError, match="unknown key idle.gpu_utilisation_below"):
        load_config(config)
    config.write_text("[idle]\ngpu_utilization_below = 0\n", encoding="utf-8")
    with pytest.raises(finops.FinopsError, match="idle.gpu_utilization_below must be a percentage"):
        load_config(config)


def test_cloudwatch_endpoint_gpu_utilisation_is_per_gpu_and_invocations_cost_per_1000(con, tmp_path, aws_env):
    # four hours of two g5.12xlarge endpoints (4 GPUs each), a day ago, in us-east-1
    first = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0) - timedelta(hours=30)
    hours = [first + timedelta(hours=h) for h in range(4)]
    rows = []
    for start, endpoint in ((h, e) for h in hours for e in ("rank-v2", "quiet-v1")):
        end = start + timedelta(hours=1)
        period_start = start.replace(day=1, hour=0)
        period_end = (period_start + timedelta(days=32)).replace(day=1)
        rows.append({
            "lineItem/UsageStartDate": f"{start:%Y-%m-%dT%H:%M:%SZ}", "lineItem/UsageEndDate": f"{end:%Y-%m-%dT%H:%M:%SZ}",
            "identity/TimeInterval": f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
            "bill/BillingPeriodStartDate": f"{period_start:%Y-%m-%dT%H:%M:%SZ}", "bill/BillingPeriodEndDate": f"{period_end:%Y-%m-%dT%H:%M:%SZ}",
            "lineItem/ProductCode": "AmazonSageMaker", "product/ProductName": "Amazon SageMaker", "product/regionCode": "us-east-1",
            "lineItem/UsageType": "USE1-Host:ml.g5.12xlarge", "lineItem/Operation": "RunInstance",
            "lineItem/ResourceId": f"arn:aws:sagemaker:us-east-1:444455556666:endpoint/{endpoint}",
            "lineItem/UnblendedCost": "7.09", "pricing/publicOnDemandCost": "7.09", "product/instanceType": "",
        })
    finops.ingest_aws(con, write_cur_csv(tmp_path / "bill" / "cur.csv", cur_rows(*rows)))

    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=aws_env)
    dims = [{"Name": "EndpointName", "Value": "rank-v2"}, {"Name": "VariantName", "Value": "AllTraffic"}]
    for start in hours:
        cloudwatch.put_metric_data(Namespace="/aws/sagemaker/Endpoints", MetricData=[
            {"MetricName": "GPUUtilization", "Dimensions": dims, "Timestamp": start + timedelta(minutes=m), "Value": 40.0, "Unit": "Percent"}
            for m in (0, 30)])
        cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=[
            {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": start + timedelta(minutes=m), "Value": 250.0, "Unit": "None"}
            for m in (0, 30)])
    # quiet-v1 busies its GPUs but was last invoked before the billed hours: idle by the invocations rule
    quiet = [{"Name": "EndpointName", "Value": "quiet-v1"}, {"Name": "VariantName", "Value": "AllTraffic"}]
    cloudwatch.put_metric_data(Namespace="/aws/sagemaker/Endpoints", MetricData=[
        {"MetricName": "GPUUtilization", "Dimensions": quiet, "Timestamp": start, "Value": 300.0} for start in hours])
    cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=[
        {"MetricName": "Invocations", "Dimensions": quiet, "Timestamp": first - timedelta(days=3), "Value": 5.0}])
    # a metric of an endpoint the bill does not show is not fetched
    cloudwatch.put_metric_data(Namespace="/aws/sagemaker/Endpoints", MetricData=[
        {"MetricName": "GPUUtilization", "Dimensions": [{"Name": "EndpointName", "Value": "other"}], "Timestamp": hours[0], "Value": 10.0}])

    (load,) = ingest_metrics(con, ["cloudwatch://us-east-1"], endpoint_url=aws_env)
    assert (load.kind, load.samples, load.resources) == ("cloudwatch", 8, ["quiet-v1", "rank-v2"])
    assert con.execute(
        "select resource_id, count(*), min(gpu_utilization), max(gpu_utilization), sum(invocations) from gpu_metrics group by 1 order by 1"
    ).fetchall() == [("quiet-v1", 4, 75.0, 75.0, 0.0), ("rank-v2", 4, 10.0, 10.0, 2000.0)]
    # incremental: nothing new since the last hour loaded
    (again,) = ingest_metrics(con, ["cloudwatch://us-east-1"], endpoint_url=aws_env)
    assert again.samples == 0
    assert con.execute("select count(*) from gpu_metrics").fetchone() == (8,)
    # 4 GPUs at 10 % each is not idle by utilisation; quiet-v1 is idle all four hours: 4 x 7.09
    assert con.execute(
        "select resource_name, count(*), bool_or(is_idle), any_value(idle_rule), sum(wasted_cost) from idle_gpu group by 1 order by 1"
    ).fetchall() == [("quiet-v1", 4, True, "endpoint: <= 0 invocations that day", Decimal("28.36")),
                     ("rank-v2", 4, False, None, Decimal("0"))]
    # cost per 1,000 predictions: 4 x 7.09 / 2000 x 1000
    assert con.execute("select sum(invocations), sum(BilledCost) * 1000 / sum(invocations), min(cost_per_1000_predictions) from endpoints where endpoint = 'rank-v2'").fetchone() == (
        2000.0, 14.18, Decimal("14.18"))


def test_cloudwatch_without_billed_gpu_resources_is_a_clear_error(run, aws_env):
    run("ingest", "aws", str(REAL_CUR))  # a real bill with no GPU resources
    code, out, err = run("ingest", "metrics", "cloudwatch://us-east-1", "--endpoint-url", aws_env)
    assert (code, out) == (1, "")
    assert err == "finops: cloudwatch://us-east-1: the bill shows no GPU-bearing SageMaker or EC2 resources in us-east-1 (ingest the bill first)\n"
