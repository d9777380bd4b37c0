"""A team unit's storage, network and monitoring: EBS volumes and a snapshot, S3 buckets with
their requests and egress, cross-region data transfer, CloudWatch.

As in :mod:`finops.demo.aws.compute`, each function returns resource groups and draws from the
unit's random generator in a fixed order.
"""

from __future__ import annotations

from finops.demo.aws.ids import digest
from finops.demo.aws.resources import Group, Unit, iam_user, resource


def ebs(un: Unit) -> list[Group]:
    """EBS volumes (hourly GB-Mo) and a snapshot (daily)."""
    plan, rng, hours = un.plan, un.rng, un.plan.period.hours
    groups = []
    for k in range(3):
        gb = rng.choice([500, 1000, 2000, 4000])
        tags = un.tags("platform", 0.35)
        groups.append([resource(
            plan, kind="ebs", acct="platform", product_code="AmazonEC2", product_family="Storage",
            region_code="us-east-1", az=un.az("us-east-1"),
            usage_type="EBS:VolumeUsage.gp3", operation="CreateVolume-Gp3",
            resource_id=f"vol-0{digest('vol', plan.seed, un.index, k, n=16)}", unit="GB-Mo", rate=0.08,
            volume_api_name="gp3",
            description="$0.08 per GB-month of General Purpose (gp3) provisioned storage - US East (N. Virginia)",
            pricing_term="OnDemand", tag_created_by=iam_user("ci-bot"), **tags,
            pattern="always", start_h=0, dur_h=hours, qty=gb / hours)])
    snap_gb = rng.choice([2000, 4000, 8000])
    acct = plan.accounts["platform"].account_id
    groups.append([resource(
        plan, kind="ebs_snap", acct="platform", product_code="AmazonEC2", product_family="Storage Snapshot",
        region_code="us-east-1", usage_type="EBS:SnapshotUsage", operation="CreateSnapshot",
        resource_id=f"arn:aws:ec2:us-east-1:{acct}:snapshot/snap-0{digest('snap', plan.seed, un.index, n=16)}",
        unit="GB-Mo", rate=0.05, storage_class="",
        description="$0.05 per GB-Month of snapshot data stored - US East (N. Virginia)",
        pricing_term="OnDemand", **un.tags("platform", 0.5), pattern="daily",
        qty=snap_gb * 24 / hours)])
    return groups


def s3(un: Unit) -> list[Group]:
    """S3 buckets, a group each: storage (one row a day), requests, data transfer out."""
    plan, hours, groups = un.plan, un.plan.period.hours, []
    for bucket, team, tb in [
        ("acme-ml-datasets", "data", (15, 60)),
        ("acme-ml-checkpoints", "research", (10, 40)),
        ("acme-data-lake-raw", "data", (20, 80)),
    ]:
        name = f"{bucket}{'' if un.index == 0 else f'-{un.index:03d}'}"
        acct = "data" if team == "data" else "research"
        tags = un.tags(team, 0.2)
        gb = un.rng.randint(*tb) * 1024
        bucket_facts = dict(kind="s3", acct=acct, product_code="AmazonS3", region_code="us-east-1",
                            resource_id=name, pricing_term="OnDemand", **tags)
        groups.append([
            resource(plan, **bucket_facts, product_family="Storage", usage_type="TimedStorage-ByteHrs",
                     operation="StandardStorage", unit="GB-Mo", rate=0.023,
                     storage_class="General Purpose",
                     description="$0.023 per GB - first 50 TB / month of storage used",
                     pattern="daily", qty=gb * 24 / hours),
            resource(plan, **bucket_facts, product_family="API Request", usage_type="Requests-Tier1",
                     operation="PutObject", unit="Requests", rate="0.000005",
                     description="$0.005 per 1,000 PUT, COPY, POST, or LIST requests",
                     pattern="sparse", sparse_p=0.3, amt_lo=2000, amt_hi=200000),
            resource(plan, **bucket_facts, product_family="API Request", usage_type="Requests-Tier2",
                     operation="GetObject", unit="Requests", rate="0.0000004",
                     description="$0.0004 per 1,000 GET and all other requests",
                     pattern="sparse", sparse_p=0.4, amt_lo=10000, amt_hi=500000),
            resource(plan, **bucket_facts, product_family="Data Transfer", usage_type="DataTransfer-Out-Bytes",
                     operation="GetObject", unit="GB", rate=0.09,
                     description="$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier",
                     pattern="sparse", sparse_p=0.06, amt_lo=5, amt_hi=150),
        ])
    return groups


def data_transfer(un: Unit) -> list[Group]:
    """Cross-region transfer to Oregon, where some jobs and endpoints run."""
    return [[resource(
        un.plan, kind="dt", acct="research", product_code="AWSDataTransfer", product_family="Data Transfer",
        region_code="us-east-1", usage_type="USE1-USW2-AWS-Out-Bytes", operation="",
        unit="GB", rate=0.02, pricing_term="OnDemand",
        description="$0.02 per GB - US East (N. Virginia) data transfer to US West (Oregon)",
        pattern="sparse", sparse_p=0.15, amt_lo=20, amt_hi=400)]]


def cloudwatch(un: Unit) -> list[Group]:
    """CloudWatch, a little: metrics and log ingestion, in one account per unit."""
    plan, acct = un.plan, ("research", "platform", "data")[un.index % 3]
    metrics = {"kind": "cw", "acct": acct, "product_code": "AmazonCloudWatch", "region_code": "us-east-1",
               "pricing_term": "OnDemand"}
    return [[
        resource(plan, **metrics, product_family="Metric", usage_type="CW:MetricMonitorUsage",
                 operation="MetricStorage", unit="Metrics", rate=0.30,
                 description="$0.30 per metric-month - first 10,000 metrics",
                 pattern="daily", qty=un.rng.randint(100, 600) * 24 / plan.period.hours),
        resource(plan, **metrics, product_family="Data Payload", usage_type="DataProcessing-Bytes",
                 operation="PutLogEvents", unit="GB", rate=0.50,
                 description="$0.50 per GB custom log data ingested",
                 pattern="sparse", sparse_p=0.5, amt_lo=0.05, amt_hi=1.5),
    ]]
