"""A team unit's compute: EC2 instances (Savings Plan, reserved, on-demand, spot) and SageMaker.

Each function returns resource groups of one unit, most important first; a group is what the
planner keeps or drops together (a training job and its storage, an instance and its twins).
They draw from the unit's random generator, so :func:`finops.demo.aws.plan.team_unit` calls them
in a fixed order.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from finops.demo.aws.catalogue import (
    EC2_SPOT_FACTOR,
    HOSTILE_TAG_VALUES,
    INSTANCES,
    REGIONS,
    RI_FACTOR,
    RI_TYPE,
    SM_SPOT_FACTOR,
    SM_UPLIFT,
    SP_FACTOR,
    SP_TYPE,
)
from finops.demo.aws.ids import digest
from finops.demo.aws.resources import (
    Group,
    Unit,
    covered,
    ec2_facts,
    iam_user,
    resource,
    sagemaker_facts,
)


def savings_plan_fleet(un: Unit) -> list[Group]:
    """An EC2 fleet covered by the Compute Savings Plan; it stops now and then (the plan is
    under-used in those hours)."""
    plan, od = un.plan, INSTANCES[SP_TYPE][0]
    sp_rate = round(od * SP_FACTOR, 4)
    groups = []
    for k in range(2):
        gap_start, gap_dur = un.window(6, 30)  # a maintenance stop
        groups.append(covered(
            plan, kind="ec2_sp", acct="platform", **ec2_facts(SP_TYPE, "us-east-1"),
            az=un.az("us-east-1"), usage_type=f"BoxUsage:{SP_TYPE}", operation="RunInstances",
            resource_id=f"i-0{digest('sp-i', plan.seed, un.index, k, n=16)}", rate=od,
            sp_rate=sp_rate, line_type="SavingsPlanCoveredUsage",
            description=f"Savings Plan rate ${sp_rate} per hour for "
                        f"BoxUsage:{SP_TYPE}, covered by {plan.sp_arn.rsplit('/', 1)[1]}",
            od_description=f"${od} per On Demand Linux {SP_TYPE} Instance Hour",
            pricing_term="OnDemand", sp_arn=plan.sp_arn, tag_created_by=iam_user("ci-bot"),
            **un.tags("platform", 0.15), pattern="always", start_h=0, dur_h=plan.period.hours,
            off_prob=0.04, gap_start=gap_start, gap_dur=gap_dur))
    return groups


def reserved_box(un: Unit) -> list[Group]:
    """One inference box under the reserved instance (1 year, partial upfront)."""
    plan, od = un.plan, INSTANCES[RI_TYPE][0]
    eff = round(od * RI_FACTOR, 4)
    return [[resource(
        plan, kind="ec2_ri", acct="platform", **ec2_facts(RI_TYPE, "us-east-1"),
        az="us-east-1a", usage_type=f"BoxUsage:{RI_TYPE}", operation="RunInstances",
        resource_id=f"i-0{digest('ri-i', plan.seed, un.index, n=16)}", rate=0, public_rate=od,
        line_type="DiscountedUsage", ri_arn=plan.ri_arn,
        ri_amort_rate=Decimal(str(eff)) / 2, ri_rec_rate=Decimal(str(eff)) / 2,
        description=f"Linux/UNIX (Amazon VPC), {RI_TYPE} reserved instance applied",
        pricing_term="Reserved", purchase_option="Partial Upfront",
        tag_created_by=iam_user("ci-bot"), **un.tags("platform", 0.1),
        pattern="always", start_h=0, dur_h=plan.period.hours, off_prob=0.02)]]


def _ml_rate(itype: str) -> float:
    """SageMaker's hourly list price of ``ml.<itype>``."""
    return round(INSTANCES[itype][0] * SM_UPLIFT[itype], 4)


def _sagemaker_instance(un: Unit, kind: str, acct: str, itype: str, az: str, usage: str,
                        arn_path: str, what: str, **kw: Any) -> dict[str, Any]:
    """A SageMaker instance resource billed at its ml.* rate: an endpoint, notebook or job.

    The caller draws ``az`` (and any other random value) itself: the order of draws is part of
    the output.
    """
    rate, region = _ml_rate(itype), az[:-1]  # an availability zone is its region and a letter
    account_id = un.plan.accounts[acct].account_id
    return resource(
        un.plan, kind=kind, acct=acct, **sagemaker_facts(itype, region), az=az,
        usage_type=f"{REGIONS[region][1]}-{usage}:ml.{itype}", operation="RunInstance",
        resource_id=f"arn:aws:sagemaker:{region}:{account_id}:{arn_path}", rate=rate,
        description=f"${rate} per {what} ml.{itype} hour in {REGIONS[region][0]}",
        pricing_term="OnDemand", tag_created_by=un.sagemaker_role, **kw)


def endpoints(un: Unit) -> list[Group]:
    """Real-time endpoints, billed every hour of the month whether or not anyone calls them."""
    groups = []
    for k, (name, itype) in enumerate([("llm-chat-prod", "g5.12xlarge"), ("recsys-ranker-staging", "g5.xlarge")]):
        region = "us-west-2" if (un.index % 4 == 3 and k == 1) else "us-east-1"
        tags = un.tags("platform", 0.1)
        if un.plan.hostile_tags and un.index == 0 and k == 1:
            tags["tag_project"] = HOSTILE_TAG_VALUES[1]
        groups.append([_sagemaker_instance(
            un, "sm_endpoint", "platform", itype, un.az(region), "Host", f"endpoint/{name}{un.suffix}",
            "Hosting", **tags, pattern="always", start_h=0, dur_h=un.plan.period.hours, qty=1.0)])
    return groups


def notebooks(un: Unit) -> list[Group]:
    """Notebook instances: one left on all month, one used in office hours."""
    groups = []
    for name, pattern in [("alice-gpu-notebook", "always"), ("bob-cv-notebook", "business")]:
        az = un.az("us-east-1")
        groups.append([_sagemaker_instance(
            un, "sm_notebook", "research", "g4dn.xlarge", az, "Notebk",
            f"notebook-instance/{name}{un.suffix}", "Notebook", **un.tags("research", 0.2),
            pattern=pattern, start_h=0, dur_h=un.plan.period.hours)])
    return groups


def processing_jobs(un: Unit) -> list[Group]:
    """Processing jobs (feature builds)."""
    groups = []
    for _ in range(4):
        start, dur = un.window(1, 6)
        name = f"feature-build-{un.timestamp(start)}"
        az = un.az("us-east-1")
        tags = un.tags("data", 0.1, job=name)
        qty = float(un.rng.choice([1, 2]))
        groups.append([_sagemaker_instance(
            un, "sm_processing", "data", "m5.4xlarge", az, "Processing", f"processing-job/{name}",
            "Processing", **tags, pattern="window", start_h=start, dur_h=dur, qty=qty,
            partial_last=True)])
    return groups


def training_jobs(un: Unit) -> list[Group]:
    """Training jobs (compute + ML storage), the bulk of the spend."""
    bases = ["llm-finetune-llama3-8b", "vit-pretrain", "recsys-two-tower", "whisper-distill"]
    rng, groups = un.rng, []
    for k in range(14):
        itype = rng.choices(["p4d.24xlarge", "g5.12xlarge", "g5.2xlarge"], [0.4, 0.35, 0.25])[0]
        count = rng.choice({"p4d.24xlarge": [1, 1, 2, 4], "g5.12xlarge": [1, 2],
                            "g5.2xlarge": [1, 1, 2]}[itype])
        lo, hi = {"p4d.24xlarge": (6, 60), "g5.12xlarge": (3, 36), "g5.2xlarge": (1, 12)}[itype]
        start, dur = un.window(lo, hi)
        region = "us-west-2" if rng.random() < 0.1 else "us-east-1"
        name = f"{rng.choice(bases)}-{un.timestamp(start)}"
        tags = un.tags("research", 0.08, job=name)
        if un.plan.hostile_tags and un.index == 0 and k == 0:
            tags["tag_project"] = HOSTILE_TAG_VALUES[0]
        if un.plan.hostile_tags and un.index == 0 and k == 1:
            tags["tag_job"] = HOSTILE_TAG_VALUES[2]
        groups.append(training_job(un, name, itype, count, region, start, dur, tags, "Train"))
    return groups


def tuning_job(un: Unit) -> list[Group]:
    """A hyperparameter tuning job and its children (<tuning>-NNN-<hash>), one group."""
    plan, hours = un.plan, un.plan.period.hours
    t_start, _ = un.window(30, 60)
    tuning = f"recsys-hpo-{(plan.period.start + timedelta(hours=t_start)):%m%d-%H%M}"
    tags = un.tags("research", 0.05, job=tuning)
    hpo: Group = []
    for c in range(6):
        dur = un.rng.randint(1, 6)
        start = min(t_start + (c // 2) * 6, hours - dur)
        child = f"{tuning}-{c + 1:03d}-{digest('hpo', plan.seed, un.index, c, n=8)}"
        hpo += training_job(un, child, "g5.12xlarge", 1, "us-east-1", start, dur, tags, "Train")
    return [hpo]


def spot_training(un: Unit) -> list[Group]:
    """Managed spot training."""
    groups = []
    for _ in range(3):
        itype = un.rng.choice(["g5.2xlarge", "g5.12xlarge"])
        start, dur = un.window(2, 20)
        name = f"vit-pretrain-spot-{un.timestamp(start)}"
        groups.append(training_job(un, name, itype, 1, "us-east-1", start, dur,
                                   un.tags("research", 0.1, job=name), "TrSpt"))
    return groups


def training_job(un: Unit, name: str, itype: str, count: int, region: str, start: int, dur: int,
                 tags: dict[str, str], kind: str) -> Group:
    """A SageMaker training job (``kind`` Train or TrSpt, managed spot): compute hours plus its
    ML storage volume."""
    pfx = REGIONS[region][1]
    arn = f"arn:aws:sagemaker:{region}:{un.plan.accounts['research'].account_id}:training-job/{name}"
    ml_rate = _ml_rate(itype)
    spot = kind == "TrSpt"
    rate = round(ml_rate * SM_SPOT_FACTOR, 4) if spot else ml_rate
    common = dict(acct="research", az=un.az(region), resource_id=arn,
                  tag_created_by=un.sagemaker_role, pattern="window", start_h=start, dur_h=dur,
                  partial_last=True, **tags)
    gb = un.rng.choice([100, 200, 500])
    what = "Managed Spot Training" if spot else "Training"
    return [
        resource(un.plan, kind="sm_training", **sagemaker_facts(itype, region), **common,
                 usage_type=f"{pfx}-{kind}:ml.{itype}", operation="RunInstance", rate=rate,
                 public_rate=ml_rate, qty=float(count),
                 description=f"${rate} per {what} ml.{itype} hour in {REGIONS[region][0]}",
                 pricing_term="Spot" if spot else "OnDemand"),
        resource(un.plan, kind="sm_storage", product_code="AmazonSageMaker", product_family="ML Storage",
                 region_code=region, **common, usage_type=f"{pfx}-Train:VolumeUsage.gp2",
                 operation="CreateVolume-Gp2", unit="GB-Mo", rate=0.14,
                 volume_api_name="gp2", qty=gb * count / un.plan.period.hours,
                 description=f"$0.14 per GB-Mo of ML storage for Training in {REGIONS[region][0]}",
                 pricing_term="OnDemand"),
    ]


def _ec2_prefix(region: str) -> str:
    """EC2 usage types name the region, except in us-east-1 (``USW2-BoxUsage:g5.xlarge``)."""
    return "" if region == "us-east-1" else f"{REGIONS[region][1]}-"


def ec2_on_demand(un: Unit) -> list[Group]:
    """On-demand EC2 GPU instances: a p4d burst, a p5 burst (some units), a weekday g5 in
    Oregon, and a dev box nobody turned off."""
    plan, rng = un.plan, un.rng
    fleet: list[tuple[str, str, str, tuple[int, int] | None]] = [
        ("p4d.24xlarge", "us-east-1", "window", (24, 120)),
        ("g5.xlarge", "us-west-2", "business", None),
        ("g4dn.xlarge", "us-east-1", "always", None),
    ]
    if un.index % 3 == 0:
        fleet.append(("p5.48xlarge", "us-east-1", "window", (12, 48)))
    groups = []
    for k, (itype, region, pattern, win) in enumerate(fleet):
        od = INSTANCES[itype][0]
        start, dur = un.window(*win) if win else (0, plan.period.hours)
        groups.append([resource(
            plan, kind="ec2_od", acct="platform", **ec2_facts(itype, region),
            az=un.az(region), usage_type=f"{_ec2_prefix(region)}BoxUsage:{itype}",
            operation="RunInstances", resource_id=f"i-0{digest('od-i', plan.seed, un.index, k, n=16)}",
            rate=od, description=f"${od} per On Demand Linux {itype} Instance Hour",
            pricing_term="OnDemand", tag_created_by=iam_user(rng.choice(["alice", "bob", "carol"])),
            **un.tags("platform" if k else "research", 0.2), pattern=pattern,
            start_h=start, dur_h=dur, partial_last=pattern == "window")])
    return groups


def ec2_spot(un: Unit) -> list[Group]:
    """Spot instances for batch work."""
    plan, groups = un.plan, []
    for k, (itype, region) in enumerate([("g5.12xlarge", "us-east-1"), ("g5.xlarge", "us-west-2")]):
        od = INSTANCES[itype][0]
        spot = round(od * EC2_SPOT_FACTOR, 4)
        start, dur = un.window(24, 240)
        groups.append([resource(
            plan, kind="ec2_spot", acct="platform", **ec2_facts(itype, region),
            az=un.az(region), usage_type=f"{_ec2_prefix(region)}SpotUsage:{itype}",
            operation="RunInstances:SV001", resource_id=f"i-0{digest('spot-i', plan.seed, un.index, k, n=16)}",
            rate=spot, public_rate=od,
            description=f"${spot} per Linux/UNIX Spot Instance-hour for {itype} in {REGIONS[region][0]}",
            pricing_term="Spot", tag_created_by=iam_user("batch-runner"),
            **un.tags("platform", 0.4), pattern="window", start_h=start, dur_h=dur,
            partial_last=True)])
    return groups
