"""ML cost attribution: workloads, teams, GPU hours and shared costs, against hand-computed answers."""

from __future__ import annotations

from decimal import Decimal

import pytest

import finops
from finops.config import load_config
from tests.conftest import cur_rows, write_cur_csv

ACCOUNT = "444455556666"


def sagemaker(kind: str, name: str, usage_type: str, cost: str, hours: str = "1", **extra: str) -> dict[str, str]:
    return {
        "lineItem/ProductCode": "AmazonSageMaker", "product/ProductName": "Amazon SageMaker",
        "lineItem/UsageType": usage_type, "lineItem/Operation": "RunInstance", "lineItem/UsageAmount": hours,
        "lineItem/ResourceId": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:{kind}/{name}",
        "lineItem/UnblendedCost": cost, "pricing/publicOnDemandCost": cost, "product/instanceType": "",
        **extra,
    }


def month() -> list[dict[str, str]]:
    return cur_rows(
        # three training jobs: on-demand (compute and its volume), managed spot, a tuning-job child
        sagemaker("training-job", "llama-ft", "USE1-Train:ml.p4d.24xlarge", "75.42", "2", **{"resourceTags/user:Team": "ML-Platform"}),
        sagemaker("training-job", "llama-ft", "USE1-Train:VolumeUsage.gp2", "0.30", "10", **{"pricing/unit": "GB-Mo", "resourceTags/user:Team": "ML-Platform"}),
        sagemaker("training-job", "whisper-spot", "USE1-TrSpt:ml.g5.2xlarge", "1.82", "3",
                  **{"pricing/publicOnDemandCost": "4.545", "resourceTags/user:team": "ml-platform "}),
        sagemaker("training-job", "bert-hpo-001-1a2b3c4d", "USE1-Train:ml.g5.12xlarge", "7.09",
                  **{"resourceTags/user:owner": "ml-platform"}),
        # two endpoints and a notebook
        sagemaker("endpoint", "rank-v2", "USE1-Host:ml.g5.xlarge", "2.82", "2", **{"resourceTags/user:team": "search"}),
        sagemaker("endpoint", "chat-small", "USE1-Host:ml.inf2.xlarge", "0.99", "1", **{"resourceTags/user:team": "search"}),
        sagemaker("notebook-instance", "alice-nb", "USE1-Notebk:ml.g4dn.xlarge", "0.74", "1"),
        # an EC2 run tagged with its training job, and an untagged GPU instance
        {"lineItem/UsageType": "BoxUsage:p5.48xlarge", "lineItem/UsageAmount": "2", "lineItem/UnblendedCost": "196.64",
         "pricing/publicOnDemandCost": "196.64", "product/instanceType": "p5.48xlarge", "lineItem/ResourceId": "i-0aaa",
         "resourceTags/user:job": "llm-pretrain", "resourceTags/user:team": "ml-platform"},
        {"lineItem/ResourceId": "i-0bbb"},  # BASE_ROW: g5.xlarge, 1 hour, 1.006, untagged
        # storage and egress
        {"lineItem/ProductCode": "AmazonS3", "product/ProductName": "Amazon Simple Storage Service",
         "lineItem/UsageType": "TimedStorage-ByteHrs", "lineItem/Operation": "StandardStorage", "lineItem/ResourceId": "training-data",
         "lineItem/UsageAmount": "500", "pricing/unit": "GB-Mo", "lineItem/UnblendedCost": "11.50", "pricing/publicOnDemandCost": "11.50",
         "product/instanceType": "", "resourceTags/user:team": "data-eng"},
        {"lineItem/UsageType": "EBS:VolumeUsage.gp3", "lineItem/ResourceId": "vol-0ccc", "pricing/unit": "GB-Mo",
         "lineItem/UsageAmount": "100", "lineItem/UnblendedCost": "8.00", "pricing/publicOnDemandCost": "8.00", "product/instanceType": ""},
        {"lineItem/ProductCode": "AWSDataTransfer", "product/ProductName": "AWS Data Transfer", "lineItem/UsageType": "DataTransfer-Out-Bytes",
         "lineItem/ResourceId": "", "pricing/unit": "GB", "lineItem/UsageAmount": "100", "lineItem/UnblendedCost": "9.00",
         "pricing/publicOnDemandCost": "9.00", "product/instanceType": ""},
        {"lineItem/LineItemType": "Tax", "lineItem/UsageType": "", "lineItem/ResourceId": "", "product/sku": "",
         "lineItem/UnblendedCost": "30.00", "pricing/publicOnDemandCost": "0", "product/instanceType": ""},
    )


@pytest.fixture
def attributed(con, tmp_path):
    finops.ingest_aws(con, write_cur_csv(tmp_path / "m" / "cur.csv", month()), config=load_config())
    return con


def test_training_jobs_have_the_hand_computed_cost_and_gpu_hours(attributed):
    rows = attributed.execute(
        "select training_job, tuning_job, team, gpu_hours, EffectiveCost, spot_cost, spot_savings, instance_types "
        "from training_jobs order by training_job"
    ).fetchall()
    assert rows == [
        ("bert-hpo-001-1a2b3c4d", "bert-hpo", "ml-platform", Decimal(4), Decimal("7.09"), 0, 0, "ml.g5.12xlarge"),
        ("llama-ft", None, "ml-platform", Decimal(16), Decimal("75.72"), 0, 0, "ml.p4d.24xlarge"),  # compute + volume
        ("llm-pretrain", None, "ml-platform", Decimal(16), Decimal("196.64"), 0, 0, "p5.48xlarge"),
        ("whisper-spot", None, "ml-platform", Decimal(3), Decimal("1.82"), Decimal("1.82"), Decimal("2.725"), "ml.g5.2xlarge"),
    ]


def test_endpoints_notebooks_storage_transfer(attributed):
    endpoints = attributed.execute("select endpoint, team, instance_hours, gpu_hours, EffectiveCost from endpoints order by 1").fetchall()
    assert endpoints == [
        ("chat-small", "search", Decimal(1), Decimal(1), Decimal("0.99")),
        ("rank-v2", "search", Decimal(2), Decimal(2), Decimal("2.82")),
    ]
    kinds = attributed.execute(
        "select workload_type, workload_name, team, sum(EffectiveCost), sum(gpu_hours) from workload_costs "
        "where workload_type not in ('training', 'inference') group by all order by 1, 2"
    ).fetchall()
    assert kinds == [
        ("data_transfer", "AWS Data Transfer", "unallocated", Decimal("9"), 0),
        ("gpu_compute", "i-0bbb", "unallocated", Decimal("1.006"), Decimal(1)),  # an untagged GPU instance, by its id
        ("notebook", "alice-nb", "unallocated", Decimal("0.74"), Decimal(1)),
        ("storage", "training-data", "data-eng", Decimal("11.5"), 0),
        ("storage", "vol-0ccc", "unallocated", Decimal("8"), 0),
        ("tax", "Tax", "unallocated", Decimal("30"), 0),
    ]


def untagged_week() -> list[dict[str, str]]:
    """A week of spend no tag claims: what each line is, not "other"."""
    def ec2(usage_type: str, cost: str, resource: str, **extra: str) -> dict[str, str]:
        return {"lineItem/UsageType": usage_type, "lineItem/UnblendedCost": cost, "pricing/publicOnDemandCost": cost,
                "lineItem/ResourceId": resource, **extra}

    return cur_rows(
        ec2("USW2-BoxUsage:g5.xlarge", "1.006", "i-0gpu", **{"resourceTags/user:Name": "gpu-scratch"}),
        ec2("USW2-BoxUsage:m5.large", "0.096", "i-0cpu", **{"product/instanceType": "m5.large"}),
        ec2("USW2-NatGateway-Hours", "0.045", "arn:aws:ec2:us-west-2:444455556666:natgateway/nat-0a",
            **{"product/instanceType": ""}),
        ec2("USW2-NatGateway-Bytes", "0.45", "arn:aws:ec2:us-west-2:444455556666:natgateway/nat-0a",
            **{"product/instanceType": "", "pricing/unit": "GB", "lineItem/UsageAmount": "10"}),
        ec2("USW2-LoadBalancerUsage", "0.0225", "arn:aws:elasticloadbalancing:us-west-2:444455556666:loadbalancer/app/web/1",
            **{"lineItem/ProductCode": "AWSELB", "product/ProductName": "Elastic Load Balancing", "product/instanceType": ""}),
        ec2("CW:MetricMonitorUsage", "3.00", "", **{"lineItem/ProductCode": "AmazonCloudWatch",
            "product/ProductName": "AmazonCloudWatch", "product/instanceType": "", "pricing/unit": "Metrics"}),
        ec2("Dollar", "100.00", "", **{"lineItem/ProductCode": "AWSSupportBusiness", "lineItem/LineItemType": "Fee",
            "product/ProductName": "AWS Support (Business)", "product/instanceType": "", "product/sku": ""}),
    )


def test_untagged_spend_is_split_by_what_it_is_and_listed_to_tag(con, tmp_path):
    finops.ingest_aws(con, write_cur_csv(tmp_path / "u" / "cur.csv", untagged_week()))
    kinds = con.execute("select workload_type, workload_name, sum(EffectiveCost) from workload_costs "
                        "group by all order by 1, 2").fetchall()
    assert kinds == [
        ("cpu_compute", "i-0cpu", Decimal("0.096")),
        ("gpu_compute", "gpu-scratch", Decimal("1.006")),  # named by its Name tag
        ("load_balancer", "1", Decimal("0.0225")),
        ("monitoring", "AmazonCloudWatch", Decimal("3")),
        ("nat_gateway", "nat-0a", Decimal("0.495")),
        ("support", "AWS Support (Business)", Decimal("100")),
    ]
    listed = con.execute("select week, resource_id, resource_name, workload_type, EffectiveCost "
                         "from report_unallocated order by EffectiveCost desc").fetchall()
    assert listed == [  # support and CloudWatch have no resource to tag
        ("2026-W40", "i-0gpu", "gpu-scratch", "gpu_compute", Decimal("1.006")),
        ("2026-W40", "arn:aws:ec2:us-west-2:444455556666:natgateway/nat-0a", "nat-0a", "nat_gateway", Decimal("0.495")),
        ("2026-W40", "i-0cpu", "i-0cpu", "cpu_compute", Decimal("0.096")),
        ("2026-W40", "arn:aws:elasticloadbalancing:us-west-2:444455556666:loadbalancer/app/web/1", "1",
         "load_balancer", Decimal("0.0225")),
    ]
    assert finops.run_tests(con) == []


def test_nothing_lost_or_double_counted(attributed):
    (total,) = attributed.execute("select sum(EffectiveCost) from costs").fetchone()
    assert total == Decimal("345.326")
    assert attributed.execute("select sum(EffectiveCost) from workload_costs").fetchone() == (total,)
    assert attributed.execute("select sum(EffectiveCost) from allocated_costs").fetchone() == (total,)
    (weekly,) = attributed.execute("select sum(total_cost) from cost_breakdown").fetchone()
    assert weekly == total
    assert attributed.execute("select sum(EffectiveCost) from team_costs").fetchone() == (total,)
    assert finops.run_tests(attributed) == []


def test_tag_aliases_and_case_land_in_one_team(attributed):
    teams = dict(attributed.execute("select team, sum(direct_cost) from team_costs group by 1").fetchall())
    # Team=ML-Platform, team='ml-platform ', owner=ml-platform are one team
    assert teams["ml-platform"] == Decimal("75.42") + Decimal("0.30") + Decimal("1.82") + Decimal("7.09") + Decimal("196.64")
    assert set(teams) == {"ml-platform", "search", "data-eng", "unallocated"}


def test_shared_costs_split_in_proportion_and_sum_back(con, tmp_path, monkeypatch):
    config = tmp_path / "finops.toml"
    config.write_text("[attribution.shared_costs]\ntax = true\nuntagged_networking = true\n")
    monkeypatch.setenv("FINOPS_CONFIG", str(config))
    finops.ingest_aws(con, write_cur_csv(tmp_path / "m" / "cur.csv", month()), config=load_config())
    rows = {team: (direct, shared, total) for _, team, direct, shared, total in con.execute("select * from team_costs").fetchall()}
    pool = Decimal("30") + Decimal("9")  # tax and untagged egress
    tagged = sum(rows[t][0] for t in rows if t != "unallocated")
    assert sum(shared for _, shared, _ in rows.values()) == pool
    assert rows["unallocated"][1] == 0  # untagged spend gets no share
    for team in ("search", "data-eng"):
        assert abs(rows[team][1] - pool * rows[team][0] / tagged) < Decimal("1e-9")
    (total,) = con.execute("select sum(EffectiveCost) from costs").fetchone()
    assert sum(t for _, _, t in rows.values()) == total


def test_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "finops.toml"
    bad.write_text("[attribution.tags]\nteem = ['team']\n")
    with pytest.raises(finops.FinopsError, match=r"unknown key attribution.tags.teem"):
        load_config(bad)
    bad.write_text("[attribution.shared_costs]\ntax = 'yes'\n")
    with pytest.raises(finops.FinopsError, match=r"attribution.shared_costs.tax must be true or false"):
        load_config(bad)
    bad.write_text("[attribution\n")
    with pytest.raises(finops.FinopsError, match="not valid TOML"):
        load_config(bad)


def test_workload_tags_are_configurable(con, tmp_path, monkeypatch):
    config = tmp_path / "finops.toml"
    config.write_text('[attribution.workloads]\ninference = ["service"]\n[attribution.tags]\nteam = ["squad"]\n')
    monkeypatch.setenv("FINOPS_CONFIG", str(config))
    rows = cur_rows({"resourceTags/user:service": "fraud-api", "resourceTags/user:squad": "Risk"})
    finops.ingest_aws(con, write_cur_csv(tmp_path / "c" / "cur.csv", rows), config=load_config())
    assert con.execute("select x_WorkloadType, x_WorkloadName, x_Team, x_GpuHours from allocated_costs").fetchone() == (
        "inference", "fraud-api", "risk", Decimal(1))


def test_google_cloud_rows_are_attributed_too(con, tmp_path):
    from finops.demo.generate_gcp import write_gcp_export

    write_gcp_export(tmp_path / "gcp" / "000000000000.parquet", "2026-10", rows=3000, seed=5)
    finops.ingest_gcp(con, tmp_path / "gcp")
    jobs = {r[0]: r[1:] for r in con.execute(
        "select training_job, team, gpu_model, gpu_hours, EffectiveCost from training_jobs").fetchall()}
    assert set(jobs) == {"llm-finetune-0012", "vision-pretrain-7"}  # Vertex AI and GCE runs named by the ml_job label
    # GPU hours are the GPU SKUs' hours (cores and memory SKUs of the same VM carry none)
    (expected_hours,) = con.execute(
        "select sum(PricingQuantity) from costs where Tags['ml_job'] = 'llm-finetune-0012' "
        "and SkuMeter like '%GPU%' and ChargeCategory = 'Usage'").fetchone()
    assert jobs["llm-finetune-0012"][:3] == ("ml-research", "A100", expected_hours) and expected_hours > 0
    (total,) = con.execute("select sum(EffectiveCost) from costs").fetchone()
    assert con.execute("select sum(EffectiveCost) from workload_costs").fetchone() == (total,)
    assert finops.run_tests(con) == []
