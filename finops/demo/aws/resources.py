"""Resources: what one line-item stream of the bill is about (an endpoint, a job, a bucket...).

A resource is a dict of the columns that are constant for its line items (product, tags,
prices) plus how its usage runs over the month (``pattern``, window, quantity); SQL later expands
it into line items. :class:`Plan` holds what all resources of a bill share, :class:`Unit` the
random choices of one "team unit".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from finops.demo.aws.catalogue import INSTANCES, PROJECTS, TEAMS, Account, accounts
from finops.demo.aws.ids import digest, stable_uuid
from finops.demo.aws.period import Period

RES_DEFAULTS: dict[str, Any] = {
    "kind": "",
    "acct": "payer",
    "product_code": "",
    "product_family": "",
    "region_code": "",
    "az": "",
    "usage_type": "",
    "operation": "",
    "resource_id": "",
    "instance_type": "",
    "instance_family": "",
    "vcpu": "",
    "memory": "",
    "gpu": "",
    "gpu_memory": "",
    "storage_class": "",
    "volume_api_name": "",
    "unit": "",
    "rate": "0",
    "public_rate": None,
    "sp_rate": None,
    "norm_factor": None,
    "description": "",
    "pricing_term": "",
    "purchase_option": "",
    "line_type": "Usage",
    "bill_type": "Anniversary",
    "ri_arn": "",
    "sp_arn": "",
    "tag_team": "",
    "tag_project": "",
    "tag_job": "",
    "tag_created_by": "",
    "pattern": "",
    "start_h": 0,
    "dur_h": 0,
    "off_prob": 0.0,
    "qty": 1.0,
    "sparse_p": 0.0,
    "amt_lo": 0.0,
    "amt_hi": 0.0,
    "partial_last": False,
    "gap_start": 0,
    "gap_dur": 0,
    "ri_amort_rate": None,
    "ri_rec_rate": None,
    "tax_rate": None,
}

Group = list[dict[str, Any]]
"""Resources the planner keeps or drops together (a training job and its storage, an instance and its twins)."""

# Resource fields that are money or price factors: DECIMAL in SQL, never float.
DECIMAL_FIELDS = ("rate", "public_rate", "sp_rate", "norm_factor", "ri_amort_rate", "ri_rec_rate", "tax_rate")



def money(x: float | Decimal | str, scale: Decimal = Decimal(1)) -> str:
    """``x * scale`` as a 10-decimal string, rounded as AWS rounds (half up)."""
    return str((Decimal(str(x)) * scale).quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP))


@dataclass
class Plan:
    """What every resource of one bill shares, and the id the next resource gets."""

    period: Period
    seed: int
    scale: Decimal  # cost_scale: every list price is multiplied by it
    daily: bool
    accounts: dict[str, Account]
    sp_arn: str
    ri_arn: str
    next_rid: int = 100
    hostile_tags: bool = False  # a few tag values are attacks (HOSTILE_TAG_VALUES): for tests, never the demo

    def take_rids(self, count: int) -> int:
        """Reserve ``count`` consecutive resource ids; return the first."""
        first = self.next_rid
        self.next_rid += count
        return first


def new_plan(period: Period, seed: int, payer: str, scale: Decimal, daily: bool, hostile_tags: bool = False) -> Plan:
    """A plan with the bill's accounts and its one Savings Plan and reserved instance."""
    acc = accounts(payer)
    sp_arn = f"arn:aws:savingsplans::{payer}:savingsplan/{stable_uuid('sp', seed, payer)}"
    ri_arn = (f"arn:aws:ec2:us-east-1:{acc['platform'].account_id}:reserved-instances/"
              f"{stable_uuid('ri', seed, payer)}")
    return Plan(period, seed, scale, daily, acc, sp_arn, ri_arn, hostile_tags=hostile_tags)


def resource(plan: Plan, **kw: Any) -> dict[str, Any]:
    """One resource: defaults, then list prices times ``cost_scale``, then SKU and rate ids."""
    r = dict(RES_DEFAULTS)
    r.update(kw)
    if r["pattern"] in ("always", "business", "sparse") and not r["dur_h"]:
        r["start_h"], r["dur_h"] = 0, plan.period.hours
    r["rid"] = plan.take_rids(1)
    for f in ("rate", "public_rate", "sp_rate", "ri_amort_rate", "ri_rec_rate"):
        if r[f] is not None:
            r[f] = money(r[f], plan.scale)
    if r["public_rate"] is None:
        r["public_rate"] = r["rate"]
    if r["norm_factor"] is not None:
        r["norm_factor"] = money(r["norm_factor"])
    if r["tax_rate"] is not None:
        r["tax_rate"] = money(r["tax_rate"])
    if not r.get("sku"):
        r["sku"] = digest("sku", r["region_code"], r["usage_type"], r["operation"], n=16).upper()
    r["rate_code"] = f"{r['sku']}.JRTCKXETXF.6YS6EN2CT7" if r["line_type"] != "Tax" else ""
    r["rate_id"] = str(int(digest("rate", r["sku"], n=10), 16) % 10**10)
    r["neg_rid"] = r["od_rid"] = None
    return r


def covered(plan: Plan, od_description: str, **kw: Any) -> list[dict[str, Any]]:
    """A Savings Plan eligible instance and its two twins.

    Each hour the plan covers eligible usage until the commitment is spent: the covered part
    is a SavingsPlanCoveredUsage row, offset by a SavingsPlanNegation row (twin ``neg_rid``);
    any part beyond the commitment stays an on-demand Usage row (twin ``od_rid``). Twins keep
    per-resource attributes such as descriptions computed once per resource, not per row.
    """
    r = resource(plan, **kw)
    first = plan.take_rids(2)
    neg = dict(r, rid=first, line_type="SavingsPlanNegation", pattern="twin",
               description=f"SavingsPlanNegation used by AccountId : "
                           f"{plan.accounts[r['acct']].account_id} and UsageSku : {r['sku']}")
    od = dict(r, rid=first + 1, line_type="Usage", pattern="twin", sp_arn="",
              sp_rate=None, description=od_description)
    r["neg_rid"], r["od_rid"] = neg["rid"], od["rid"]
    return [r, neg, od]


def expected_rows(plan: Plan, r: dict[str, Any]) -> float:
    """Expected line items of one resource (exact except for random off-hours/sparse rows)."""
    pat, p, daily = r["pattern"], plan.period, plan.daily
    if pat == "daily":
        n = float(p.days)
    elif pat == "always":
        n = p.days if daily else (p.hours - r["gap_dur"]) * (1 - r["off_prob"])
    elif pat == "business":
        n = p.business_days if daily else p.business_hours * (1 - r["off_prob"])
    elif pat == "window":
        s, e = r["start_h"], r["start_h"] + r["dur_h"] - 1
        n = (e // 24 - s // 24 + 1) if daily else r["dur_h"]
    elif pat == "sparse":
        sparse = r["sparse_p"]
        n = p.days * (1 - (1 - sparse) ** 24) if daily else p.hours * sparse
    else:
        n = 0.0
    return n * (2 if r["line_type"] == "SavingsPlanCoveredUsage" else 1)


def fixed_rows(plan: Plan) -> float:
    """Rows that do not grow with units: SP fee per slot, RIFee, Fee, credit, taxes."""
    slots = plan.period.days if plan.daily else plan.period.hours
    return slots + 3 + 14


def _instance_facts(itype: str, region: str, product_code: str, family: str, name: str) -> dict[str, Any]:
    _, vcpu, mem, gpu, gmem, _, fam = INSTANCES[itype]
    return {"product_code": product_code, "product_family": family, "region_code": region,
            "instance_type": name, "instance_family": fam, "vcpu": str(vcpu), "memory": mem,
            "gpu": str(gpu), "gpu_memory": gmem, "unit": "Hrs"}


def ec2_facts(itype: str, region: str) -> dict[str, Any]:
    """Product columns of an EC2 instance hour (EC2 rows carry the RI normalization factor)."""
    return dict(_instance_facts(itype, region, "AmazonEC2", "Compute Instance", itype),
                norm_factor=INSTANCES[itype][5])


def sagemaker_facts(itype: str, region: str) -> dict[str, Any]:
    """Product columns of a SageMaker ``ml.*`` instance hour."""
    return _instance_facts(itype, region, "AmazonSageMaker", "ML Instance", f"ml.{itype}")


def iam_user(name: str) -> str:
    """The ``aws:createdBy`` tag of a resource an IAM user created."""
    return f"IAMUser:AIDA{digest('user', name, n=12).upper()}:{name}"


@dataclass(frozen=True)
class Unit:
    """One team unit being planned: its index and the random choices it makes.

    Its ``rng`` is seeded with (seed, unit), so adding units never changes earlier ones; the
    groups of a unit must draw from it in a fixed order.
    """

    plan: Plan
    index: int
    rng: random.Random

    @property
    def suffix(self) -> str:
        """Appended to resource names of units after the first, so names stay unique."""
        return "" if self.index == 0 else f"-{self.index}"

    @property
    def sagemaker_role(self) -> str:
        """The ``aws:createdBy`` tag of what SageMaker launches."""
        return f"AssumedRole:AROA{digest('role', self.plan.seed, n=12).upper()}:SageMaker"

    def tags(self, team: str, untagged: float, job: str = "") -> dict[str, str]:
        """Team/project/job tags, or none with probability ``untagged``."""
        if self.rng.random() < untagged:
            return {}
        values, weights = TEAMS[team]
        return {
            "tag_team": self.rng.choices(values, weights)[0],
            "tag_project": self.rng.choice(PROJECTS[team]),
            "tag_job": job,
        }

    def az(self, region: str) -> str:
        return region + self.rng.choice("abcd")

    def window(self, lo: int, hi: int) -> tuple[int, int]:
        """(start hour, duration) of a job that runs ``lo``-``hi`` hours inside the month."""
        hours = self.plan.period.hours
        dur = self.rng.randint(lo, min(hi, hours - 1))
        return self.rng.randrange(0, hours - dur + 1), dur

    def timestamp(self, h: int) -> str:
        """A job-name timestamp in hour ``h`` (``2026-10-03-14-07-31-123``), as SageMaker makes them."""
        rng = self.rng
        t = self.plan.period.start + timedelta(hours=h, minutes=rng.randrange(60), seconds=rng.randrange(60))
        return t.strftime("%Y-%m-%d-%H-%M-%S") + f"-{rng.randrange(1000):03d}"
