"""Planning a month: team units of resources until the row target is met, then the charges
computed from them (Savings Plan fee, RI fees, taxes, credit).

A unit is what a small ML team runs in a month (endpoints, training and tuning jobs, GPU
instances under a Savings Plan and an RI, volumes, buckets, logs). The expected line-item count
of every resource is known in closed form, which is how ``rows`` is hit without generating
anything twice; hour-level randomness (instances stopping, sparse request rows) is left to SQL.
Only resources are held in Python -- a few thousand, never line items.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from finops.demo.aws import compute, storage
from finops.demo.aws.catalogue import (
    INSTANCES,
    RI_FACTOR,
    RI_TYPE,
    SP_COMMIT_SHARE,
    SP_FACTOR,
    SP_TYPE,
)
from finops.demo.aws.ids import digest
from finops.demo.aws.period import Period
from finops.demo.aws.resources import (
    Group,
    Plan,
    Unit,
    expected_rows,
    fixed_rows,
    new_plan,
    resource,
)

# A unit's groups, most important first: a partial last unit keeps a prefix-like subset.
UNIT_GROUPS = (
    compute.savings_plan_fleet, compute.reserved_box, compute.endpoints, compute.training_jobs,
    compute.tuning_job, compute.notebooks, compute.spot_training, compute.processing_jobs,
    compute.ec2_on_demand, compute.ec2_spot, storage.ebs, storage.s3, storage.data_transfer,
    storage.cloudwatch,
)


def team_unit(plan: Plan, u: int) -> list[Group]:
    """Resource groups of team unit ``u``; its random choices are seeded with (seed, unit)."""
    un = Unit(plan, u, random.Random(f"finops-demo|{plan.seed}|{u}"))
    return [group for part in UNIT_GROUPS for group in part(un)]


def _group_rows(plan: Plan, groups: list[Group]) -> float:
    return sum(expected_rows(plan, r) for g in groups for r in g)


def fill(plan: Plan, target: int) -> list[dict[str, Any]]:
    """Whole units (and finally part of a unit) until the expected row count meets ``target``."""
    budget = target - fixed_rows(plan)
    resources: list[dict[str, Any]] = []
    est_rows = 0.0
    u = 0
    while est_rows < budget:
        groups = team_unit(plan, u)
        unit_rows = _group_rows(plan, groups)
        if est_rows + unit_rows <= budget:
            for g in groups:
                resources += g
            est_rows += unit_rows
            u += 1
            continue
        # Part of a unit: take groups in priority order while each brings us closer.
        for g in groups:
            g_rows = _group_rows(plan, [g])
            if abs(est_rows + g_rows - budget) < abs(est_rows - budget):
                resources += g
                est_rows += g_rows
        break
    return resources


def is_daily(period: Period, seed: int, payer: str, scale: Decimal, granularity: str, rows: int) -> bool:
    """Whether the report is daily: forced by ``granularity``, or (``auto``) when fewer than two
    whole team units fit an hourly month -- below that it would be nothing but a few always-on
    resources."""
    if granularity not in ("auto", "hourly", "daily"):
        raise ValueError("granularity must be 'auto', 'hourly' or 'daily'")
    if granularity != "auto":
        return granularity == "daily"
    probe = new_plan(period, seed, payer, scale, daily=False)
    return rows < fixed_rows(probe) + 2 * _group_rows(probe, team_unit(probe, 0))


def _savings_plan_fee(plan: Plan, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Savings Plan's hourly fee. The commitment was bought a little below the fleet's
    full-time Savings Plan cost: fully used (with on-demand spill-over) in most hours, under-used
    when instances stop."""
    fleet = [r for r in resources if r["line_type"] == "SavingsPlanCoveredUsage"]
    if not fleet:
        return []
    full = sum(Decimal(str(round(INSTANCES[SP_TYPE][0] * SP_FACTOR, 4))) * Decimal(str(r["qty"]))
               for r in fleet)
    commit = (full * Decimal(str(SP_COMMIT_SHARE))).quantize(Decimal("0.001"))
    return [resource(
        plan, rate=commit, kind="sp_fee", acct="payer", product_code="ComputeSavingsPlans",
        region_code="", usage_type="ComputeSP:1yrNoUpfront", operation="", resource_id=plan.sp_arn,
        unit="Hrs", line_type="SavingsPlanRecurringFee", sp_arn=plan.sp_arn,
        description="1 year No Upfront Compute Savings Plan",
        pricing_term="Savings Plan", purchase_option="No Upfront", pattern="special")]


def _reserved_instance_fees(plan: Plan, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reserved instance's monthly recurring fee (RIFee) and its upfront payment (Fee)."""
    if not any(r["line_type"] == "DiscountedUsage" for r in resources):
        return []
    eff = Decimal(str(round(INSTANCES[RI_TYPE][0] * RI_FACTOR, 4)))
    rec = amort = eff / 2  # list prices; resource() applies cost_scale
    ec2 = {"acct": "platform", "product_code": "AmazonEC2", "product_family": "Compute Instance",
           "region_code": "us-east-1", "instance_type": RI_TYPE,
           "instance_family": "GPU instance", "usage_type": f"HeavyUsage:{RI_TYPE}",
           "operation": "RunInstances", "ri_arn": plan.ri_arn, "unit": "Hrs",
           "pricing_term": "Reserved", "purchase_option": "Partial Upfront", "pattern": "special"}
    fee = resource(
        plan, kind="ri_fee", **ec2, line_type="RIFee", rate=rec, ri_amort_rate=amort, ri_rec_rate=rec,
        description=f"USD {rec * plan.scale:.4f} hourly fee per Linux/UNIX (Amazon VPC), {RI_TYPE} instance")
    sub = int(digest("sub", plan.seed, n=8), 16) % 10**9
    upfront = resource(
        plan, kind="ri_upfront", **ec2, line_type="Fee", bill_type="Purchase", ri_amort_rate=amort,
        description=f"Sign up charge for subscription: {sub}, planId: {sub % 10**7}")
    return [fee, upfront]


def charges(plan: Plan, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows computed from the usage: SP fee, RIFee, RI upfront Fee, taxes, credit."""
    out = _savings_plan_fee(plan, resources) + _reserved_instance_fees(plan, resources)
    # Taxes per (account, product code) that has spend; one credit.
    for acct, code in sorted({(r["acct"], r["product_code"]) for r in resources + out}):
        out.append(resource(
            plan, kind="tax", acct=acct, product_code=code, line_type="Tax", unit="",
            description=f"Tax for product code {code}", tax_rate=plan.accounts[acct].tax_rate,
            pattern="special"))
    out.append(resource(
        plan, kind="credit", acct="research", product_code="AmazonSageMaker", line_type="Credit",
        description="AWS Promotional Credit - ML Accelerator Program", pattern="special"))
    return out
