"""Synthetic AWS bills: one realistic month of an ML team's Cost and Usage Report, on disk.

The demo (``finops demo``) and the benchmarks need bills without a cloud account, and the loader
needs to be tested against the quirks real bills have. So this module writes the exact shapes AWS
delivers to S3 -- legacy CUR (CSV.gz or Parquet, with its ``Manifest.json`` and assemblyId folder)
and CUR 2.0 from Data Exports (Parquet with MAP columns) -- with real column names, real usage
types, and the line-item types that make naive sums wrong: Savings Plan covered/negation/recurring
fee rows, reserved-instance DiscountedUsage/RIFee/upfront Fee rows, tax, credits, spot, untagged
spend, messy and hostile tag values.

How it scales: a small list of *resources* (an endpoint, a training job, a bucket...) is built in
Python -- a few per "team unit", a few tens of thousands at most -- and DuckDB SQL expands them into
line items with ``range()`` and ``hash()``-based pseudo-randomness, then writes the files with
``COPY ... TO``. No line item is ever held in a Python list, so 10 million rows fit a 2-core box.
Everything is a pure function of ``seed`` (and of ``cost_scale`` for the money), so two calls with
the same arguments write byte-identical data files.

Granularity: AWS offers hourly or daily CUR. An hourly month of even a small team is tens of
thousands of rows (every endpoint, volume and Savings Plan hour is a row), so a small ``rows``
target is met with a *daily* report (every row covers a UTC day, usage amounts are the day's
hours), and large targets use an hourly one. Pass ``granularity`` to force either.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import random
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from finops.warehouse.columns.cur import CUR_COLUMNS, MAP_COLUMNS, snake_case

__all__ = [
    "write_legacy_cur",
    "write_cur2",
    "legacy_columns",
    "cur2_columns",
    "HOSTILE_TAG_VALUES",
    "MAX_ROWS_PER_FILE",
]

MAX_ROWS_PER_FILE = 2_000_000
"""AWS splits a delivery into several files; we split at this many line items per file."""

S3_BUCKET = "acme-ml-billing"
"""The (fictional) bucket the reports are delivered to; manifests name it."""

LEGACY_KEY_PREFIX = "cur"
CUR2_KEY_PREFIX = "cur2"

PAYER_NAME = "acme-ml-payer"

# --------------------------------------------------------------------------------------------
# Price and product facts (us-east-1 Linux on-demand list prices, USD)
# --------------------------------------------------------------------------------------------

# type: (EC2 $/h, vCPU, memory, GPUs, GPU memory, normalization factor, instance family)
_INSTANCES: dict[str, tuple[float, int, str, int, str, int, str]] = {
    "p5.48xlarge": (98.32, 192, "2048 GiB", 8, "640 GB", 384, "GPU instance"),
    "p4d.24xlarge": (32.7726, 96, "1152 GiB", 8, "320 GB", 192, "GPU instance"),
    "g5.12xlarge": (5.672, 48, "192 GiB", 4, "96 GB", 96, "GPU instance"),
    "g5.2xlarge": (1.212, 8, "32 GiB", 1, "24 GB", 16, "GPU instance"),
    "g5.xlarge": (1.006, 4, "16 GiB", 1, "24 GB", 8, "GPU instance"),
    "g4dn.xlarge": (0.526, 4, "16 GiB", 1, "16 GB", 8, "GPU instance"),
    "m5.4xlarge": (0.768, 16, "64 GiB", 0, "", 32, "General purpose"),
}
# SageMaker ml.* instances cost 15-40 % more than the same EC2 instance.
_SM_UPLIFT = {
    "p4d.24xlarge": 1.15,
    "g5.12xlarge": 1.25,
    "g5.2xlarge": 1.25,
    "g5.xlarge": 1.40,
    "g4dn.xlarge": 1.40,
    "m5.4xlarge": 1.20,
}
_EC2_SPOT_FACTOR = 0.34  # spot runs ~66 % below on-demand
_SM_SPOT_FACTOR = 0.32  # managed spot training
_SP_FACTOR = 0.72  # Compute Savings Plan, 1 year no upfront, ~28 % off
_RI_FACTOR = 0.62  # EC2 RI, 1 year partial upfront, ~38 % off (half upfront, half recurring)
_RI_TYPE = "g5.2xlarge"
_SP_COMMIT_SHARE = 0.93  # hourly commitment / Savings Plan cost of the whole eligible fleet

_REGIONS = {
    "us-east-1": ("US East (N. Virginia)", "USE1"),
    "us-west-2": ("US West (Oregon)", "USW2"),
}

_PRODUCTS = {  # product code: (product name, servicecode, servicename)
    "AmazonSageMaker": ("Amazon SageMaker", "AmazonSageMaker", "Amazon SageMaker"),
    "AmazonEC2": ("Amazon Elastic Compute Cloud", "AmazonEC2", "Amazon Elastic Compute Cloud"),
    "AmazonS3": ("Amazon Simple Storage Service", "AmazonS3", "Amazon Simple Storage Service"),
    "AWSDataTransfer": ("AWS Data Transfer", "AWSDataTransfer", "AWS Data Transfer"),
    "AmazonCloudWatch": ("AmazonCloudWatch", "AmazonCloudWatch", "AmazonCloudWatch"),
    "ComputeSavingsPlans": (
        "Savings Plans for AWS Compute usage",
        "ComputeSavingsPlans",
        "Savings Plans for AWS Compute usage",
    ),
}

_US_ENTITY = "Amazon Web Services, Inc."
_EU_ENTITY = "Amazon Web Services EMEA SARL"


@dataclass(frozen=True)
class _Account:
    account_id: str
    name: str
    entity: str
    tax_type: str
    tax_rate: str
    cost_center: str


def _accounts(payer: str) -> dict[str, _Account]:
    """The payer plus three linked accounts; the data team's account is billed from Europe (VAT)."""
    return {
        "payer": _Account(payer, PAYER_NAME, _US_ENTITY, "Sales Tax", "0.0625", ""),
        "research": _Account(
            "444455556666", "ml-research-prod", _US_ENTITY, "Sales Tax", "0.0625", "4100-ml-research"
        ),
        "platform": _Account(
            "777788889999", "ml-platform-prod", _US_ENTITY, "Sales Tax", "0.0625", "4200-ml-platform"
        ),
        "data": _Account(
            "222233334444", "data-eng-eu", _EU_ENTITY, "VAT", "0.20", "4300-data-engineering"
        ),
    }


# Tag values exactly as humans type them: case and whitespace drift.
_TEAMS = {
    "research": (["ml-research", "ML-Research"], [0.75, 0.25]),
    "platform": (["ml-platform", " ml-platform "], [0.6, 0.4]),
    "data": (["data-eng"], [1.0]),
}
_PROJECTS = {
    "research": ["llm-finetune", "vision", "recsys"],
    "platform": ["recsys", "search-ranking", "llm-chat"],
    "data": ["feature-store", "etl"],
}
# Rare hostile values: downstream code must escape tag values everywhere it prints them.
HOSTILE_TAG_VALUES = ("<script>alert(1)</script>", "O'Brien \"x\"", "'; drop table costs; --")

# --------------------------------------------------------------------------------------------
# Column definitions
# --------------------------------------------------------------------------------------------

# (legacy CSV header, kind, SQL expression over items i, resources r, accounts a)
# kinds: str, ts (timestamp), num (money or quantity), interval
_LEGACY: list[tuple[str, str, str]] = [
    ("identity/LineItemId", "str", "i.line_item_id"),
    ("identity/TimeInterval", "interval", ""),
    ("bill/InvoiceId", "str", "a.invoice_id"),
    ("bill/InvoicingEntity", "str", "a.entity"),
    ("bill/BillingEntity", "str", "'AWS'"),
    ("bill/BillType", "str", "r.bill_type"),
    ("bill/PayerAccountId", "str", "{payer}"),
    ("bill/BillingPeriodStartDate", "ts", "{period_start}"),
    ("bill/BillingPeriodEndDate", "ts", "{period_end}"),
    ("lineItem/UsageAccountId", "str", "r.account_id"),
    ("lineItem/LineItemType", "str", "r.line_type"),
    ("lineItem/UsageStartDate", "ts", "i.t0"),
    ("lineItem/UsageEndDate", "ts", "i.t1"),
    ("lineItem/ProductCode", "str", "r.product_code"),
    ("lineItem/UsageType", "str", "r.usage_type"),
    ("lineItem/Operation", "str", "r.operation"),
    ("lineItem/AvailabilityZone", "str", "r.az"),
    ("lineItem/ResourceId", "str", "r.resource_id"),
    ("lineItem/UsageAmount", "num", "i.amount"),
    ("lineItem/NormalizationFactor", "num", "r.norm_factor"),
    ("lineItem/NormalizedUsageAmount", "num", "i.amount * r.norm_factor"),
    ("lineItem/CurrencyCode", "str", "'USD'"),
    ("lineItem/UnblendedRate", "num", "i.rate"),
    ("lineItem/UnblendedCost", "num", "i.cost"),
    ("lineItem/BlendedRate", "num", "i.rate"),
    ("lineItem/BlendedCost", "num", "i.cost"),
    ("lineItem/LineItemDescription", "str", "r.description"),
    ("lineItem/TaxType", "str", "CASE WHEN r.line_type = 'Tax' THEN a.tax_type END"),
    ("lineItem/LegalEntity", "str", "a.entity"),
    ("product/ProductName", "str", "r.product_name"),
    ("product/servicecode", "str", "r.servicecode"),
    ("product/servicename", "str", "r.servicename"),
    ("product/productFamily", "str", "r.product_family"),
    ("product/regionCode", "str", "r.region_code"),
    ("product/region", "str", "r.region_code"),
    ("product/location", "str", "r.location"),
    ("product/instanceType", "str", "r.instance_type"),
    ("product/instanceFamily", "str", "r.instance_family"),
    ("product/vcpu", "str", "r.vcpu"),
    ("product/memory", "str", "r.memory"),
    ("product/gpu", "str", "r.gpu"),
    ("product/gpuMemory", "str", "r.gpu_memory"),
    ("product/storageClass", "str", "r.storage_class"),
    ("product/volumeApiName", "str", "r.volume_api_name"),
    ("product/sku", "str", "r.sku"),
    ("product/usagetype", "str", "r.usage_type"),
    ("product/operation", "str", "r.operation"),
    ("pricing/RateCode", "str", "r.rate_code"),
    ("pricing/RateId", "str", "r.rate_id"),
    ("pricing/publicOnDemandCost", "num", "i.public_cost"),
    ("pricing/publicOnDemandRate", "num", "i.public_rate"),
    ("pricing/term", "str", "r.pricing_term"),
    ("pricing/unit", "str", "r.unit"),
    ("pricing/purchaseOption", "str", "r.purchase_option"),
    ("reservation/AmortizedUpfrontFeeForBillingPeriod", "num", "i.ri_amort_period"),
    ("reservation/EffectiveCost", "num", "i.ri_eff"),
    ("reservation/RecurringFeeForUsage", "num", "i.ri_rec_usage"),
    ("reservation/ReservationARN", "str", "r.ri_arn"),
    ("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod", "num", "i.ri_unused_amort"),
    ("reservation/UnusedRecurringFee", "num", "i.ri_unused_rec"),
    ("savingsPlan/AmortizedUpfrontCommitmentForBillingPeriod", "num", "i.sp_amort_upfront"),
    ("savingsPlan/RecurringCommitmentForBillingPeriod", "num", "i.sp_recurring"),
    ("savingsPlan/SavingsPlanARN", "str", "r.sp_arn"),
    ("savingsPlan/SavingsPlanEffectiveCost", "num", "i.sp_eff"),
    ("savingsPlan/SavingsPlanRate", "num", "i.sp_rate"),
    ("savingsPlan/TotalCommitmentToDate", "num", "i.sp_total"),
    ("savingsPlan/UsedCommitment", "num", "i.sp_used"),
    ("savingsPlan/OfferingType", "str", "CASE WHEN r.sp_arn <> '' THEN 'ComputeSavingsPlans' END"),
    ("resourceTags/aws:createdBy", "str", "r.tag_created_by"),
    ("resourceTags/user:job", "str", "r.tag_job"),
    ("resourceTags/user:project", "str", "r.tag_project"),
    ("resourceTags/user:team", "str", "r.tag_team"),
    ("costCategory/CostCenter", "str", "a.cost_center"),
]

# Legacy product columns that CUR 2.0 folds into its `product` map, with the map key.
_CUR2_PRODUCT_KEYS = {
    "product/ProductName": "product_name",
    "product/servicename": "servicename",
    "product/region": "region",
    "product/vcpu": "vcpu",
    "product/memory": "memory",
    "product/gpu": "gpu",
    "product/gpuMemory": "gpu_memory",
    "product/storageClass": "storage_class",
    "product/volumeApiName": "volume_api_name",
}


def _map_key(header: str) -> str:
    """Key of a tag/cost-category/product column inside the CUR 2.0 maps (``user_team``)."""
    category = header.split("/", 1)[0]
    return snake_case(header)[len(snake_case(category + "/x")) - 1 :]


def legacy_columns() -> list[str]:
    """Legacy CSV headers in file order (the Parquet form uses :func:`athena_name` of each)."""
    return [h for h, _, _ in _LEGACY]


_CUR2_ONLY = ("bill_payer_account_name", "line_item_usage_account_name")


def cur2_columns() -> list[str]:
    """CUR 2.0 column names in file order (alphabetical, as Data Exports writes them)."""
    folded = {snake_case(h) for h in _CUR2_PRODUCT_KEYS}
    names = {c for c in CUR_COLUMNS if c not in folded}
    names |= {snake_case(h) for h, _, _ in _LEGACY if not h.startswith(("resourceTags/", "costCategory/"))}
    names -= folded
    names |= set(MAP_COLUMNS) | set(_CUR2_ONLY)
    return sorted(names)


# --------------------------------------------------------------------------------------------
# Period and resource planning (Python: a few thousand resources, never line items)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Period:
    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    @property
    def days(self) -> int:
        return self.hours // 24

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")

    @property
    def folder(self) -> str:
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    def iso(self, which: datetime) -> str:
        return which.strftime("%Y%m%dT%H%M%S.000Z")


def _period(period: str) -> _Period:
    """Parse ``YYYY-MM`` into the billing period [1st of month, 1st of next month)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if not m:
        raise ValueError(f"period must look like 2026-10, got {period!r}")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"bad month in period {period!r}")
    start = datetime(year, month, 1)
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    return _Period(start, end)


def _hex(*parts: object, n: int = 16) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:n]


def _uuid(*parts: object) -> str:
    """A deterministic UUID-looking string (version-4 layout)."""
    h = _hex(*parts, n=32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def _money(x: float | Decimal | str, scale: Decimal = Decimal(1)) -> str:
    return str((Decimal(str(x)) * scale).quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP))


_RES_DEFAULTS: dict[str, Any] = dict(
    kind="",
    acct="payer",
    product_code="",
    product_family="",
    region_code="",
    az="",
    usage_type="",
    operation="",
    resource_id="",
    instance_type="",
    instance_family="",
    vcpu="",
    memory="",
    gpu="",
    gpu_memory="",
    storage_class="",
    volume_api_name="",
    unit="",
    rate="0",
    public_rate=None,
    sp_rate=None,
    norm_factor=None,
    description="",
    pricing_term="",
    purchase_option="",
    line_type="Usage",
    bill_type="Anniversary",
    ri_arn="",
    sp_arn="",
    tag_team="",
    tag_project="",
    tag_job="",
    tag_created_by="",
    pattern="",
    start_h=0,
    dur_h=0,
    off_prob=0.0,
    qty=1.0,
    sparse_p=0.0,
    amt_lo=0.0,
    amt_hi=0.0,
    partial_last=False,
    gap_start=0,
    gap_dur=0,
    ri_amort_rate=None,
    ri_rec_rate=None,
    tax_rate=None,
)

_DECIMAL_FIELDS = ("rate", "public_rate", "sp_rate", "norm_factor", "ri_amort_rate", "ri_rec_rate", "tax_rate")


class _Planner:
    """Builds the resource list: one "team unit" after another until the row target is met.

    A unit is what a small ML team runs in a month (endpoints, training and tuning jobs, GPU
    instances under a Savings Plan and an RI, volumes, buckets, logs). Its random choices come
    from a ``random.Random`` seeded with (seed, unit), so adding units never changes earlier
    ones, and the expected line-item count of every resource is known in closed form, which is
    how ``rows`` is hit without generating anything twice. Hour-level randomness (instances
    stopping, sparse request rows) is left to SQL ``hash()``.
    """

    def __init__(self, p: _Period, seed: int, payer: str, scale: Decimal, daily: bool) -> None:
        self.p, self.seed, self.scale, self.daily = p, seed, scale, daily
        self.acc = _accounts(payer)
        self.H, self.D = p.hours, p.days
        self.dow0 = p.start.weekday()
        self.biz_hours = sum(1 for h in range(self.H) if self._is_biz(h))
        self.biz_days = sum(1 for d in range(self.D) if (d + self.dow0) % 7 < 5)
        self.sp_arn = f"arn:aws:savingsplans::{payer}:savingsplan/{_uuid('sp', seed, payer)}"
        self.ri_arn = (
            f"arn:aws:ec2:us-east-1:{self.acc['platform'].account_id}:reserved-instances/"
            f"{_uuid('ri', seed, payer)}"
        )
        self.next_rid = 100
        self.resources: list[dict[str, Any]] = []
        self.est_rows = 0.0
        self.units = 0

    # -- helpers ----------------------------------------------------------------------------

    def _is_biz(self, h: int) -> bool:
        return (h // 24 + self.dow0) % 7 < 5 and 13 <= h % 24 <= 23

    def _res(self, **kw: Any) -> dict[str, Any]:
        """One resource: defaults, then list prices times ``cost_scale``, then SKU and rate ids."""
        r = dict(_RES_DEFAULTS)
        r.update(kw)
        if r["pattern"] in ("always", "business", "sparse") and not r["dur_h"]:
            r["start_h"], r["dur_h"] = 0, self.H
        r["rid"] = self.next_rid
        self.next_rid += 1
        for f in ("rate", "public_rate", "sp_rate", "ri_amort_rate", "ri_rec_rate"):
            if r[f] is not None:
                r[f] = _money(r[f], self.scale)
        if r["public_rate"] is None:
            r["public_rate"] = r["rate"]
        if r["norm_factor"] is not None:
            r["norm_factor"] = _money(r["norm_factor"])
        if r["tax_rate"] is not None:
            r["tax_rate"] = _money(r["tax_rate"])
        if not r.get("sku"):
            r["sku"] = _hex("sku", r["region_code"], r["usage_type"], r["operation"], n=16).upper()
        r["rate_code"] = f"{r['sku']}.JRTCKXETXF.6YS6EN2CT7" if r["line_type"] != "Tax" else ""
        r["rate_id"] = str(int(_hex("rate", r["sku"], n=10), 16) % 10**10)
        r["neg_rid"] = r["od_rid"] = None
        return r

    def _covered(self, od_description: str, **kw: Any) -> list[dict[str, Any]]:
        """A Savings Plan eligible instance and its two twins.

        Each hour the plan covers eligible usage until the commitment is spent: the covered part
        is a SavingsPlanCoveredUsage row, offset by a SavingsPlanNegation row (twin ``neg_rid``);
        any part beyond the commitment stays an on-demand Usage row (twin ``od_rid``). Twins keep
        per-resource attributes such as descriptions computed once per resource, not per row.
        """
        r = self._res(**kw)
        neg = dict(r, rid=self.next_rid, line_type="SavingsPlanNegation", pattern="twin",
                   description=f"SavingsPlanNegation used by AccountId : "
                               f"{self.acc[r['acct']].account_id} and UsageSku : {r['sku']}")
        od = dict(r, rid=self.next_rid + 1, line_type="Usage", pattern="twin", sp_arn="",
                  sp_rate=None, description=od_description)
        self.next_rid += 2
        r["neg_rid"], r["od_rid"] = neg["rid"], od["rid"]
        return [r, neg, od]

    def _tags(self, rng: random.Random, team_of: str, untagged: float, job: str = "") -> dict[str, str]:
        if rng.random() < untagged:
            return {}
        values, weights = _TEAMS[team_of]
        return {
            "tag_team": rng.choices(values, weights)[0],
            "tag_project": rng.choice(_PROJECTS[team_of]),
            "tag_job": job,
        }

    def _est(self, r: dict[str, Any]) -> float:
        """Expected line items of one resource (exact except for random off-hours/sparse rows)."""
        pat, H, D = r["pattern"], self.H, self.D
        if pat == "daily":
            n = float(D)
        elif pat == "always":
            n = D if self.daily else (H - r["gap_dur"]) * (1 - r["off_prob"])
        elif pat == "business":
            n = self.biz_days if self.daily else self.biz_hours * (1 - r["off_prob"])
        elif pat == "window":
            s, e = r["start_h"], r["start_h"] + r["dur_h"] - 1
            n = (e // 24 - s // 24 + 1) if self.daily else r["dur_h"]
        elif pat == "sparse":
            p = r["sparse_p"]
            n = D * (1 - (1 - p) ** 24) if self.daily else H * p
        else:
            n = 0.0
        return n * (2 if r["line_type"] == "SavingsPlanCoveredUsage" else 1)

    def fixed_rows(self) -> float:
        """Rows that do not grow with units: SP fee per slot, RIFee, Fee, credit, taxes."""
        slots = self.D if self.daily else self.H
        return slots + 3 + 14

    def _ec2(self, itype: str, region: str) -> dict[str, Any]:
        od, vcpu, mem, gpu, gmem, nf, fam = _INSTANCES[itype]
        return dict(
            product_code="AmazonEC2",
            product_family="Compute Instance",
            region_code=region,
            instance_type=itype,
            instance_family=fam,
            vcpu=str(vcpu),
            memory=mem,
            gpu=str(gpu),
            gpu_memory=gmem,
            norm_factor=nf,
            unit="Hrs",
        )

    def _sm(self, itype: str, region: str) -> dict[str, Any]:
        od, vcpu, mem, gpu, gmem, nf, fam = _INSTANCES[itype]
        return dict(
            product_code="AmazonSageMaker",
            product_family="ML Instance",
            region_code=region,
            instance_type=f"ml.{itype}",
            instance_family=fam,
            vcpu=str(vcpu),
            memory=mem,
            gpu=str(gpu),
            gpu_memory=gmem,
            unit="Hrs",
        )

    def _az(self, rng: random.Random, region: str) -> str:
        return region + rng.choice("abcd")

    def _window(self, rng: random.Random, lo: int, hi: int) -> tuple[int, int]:
        dur = rng.randint(lo, min(hi, self.H - 1))
        return rng.randrange(0, self.H - dur + 1), dur

    def _ts(self, h: int, rng: random.Random) -> str:
        t = self.p.start + timedelta(hours=h, minutes=rng.randrange(60), seconds=rng.randrange(60))
        return t.strftime("%Y-%m-%d-%H-%M-%S") + f"-{rng.randrange(1000):03d}"

    # -- one unit -----------------------------------------------------------------------------

    def unit(self, u: int) -> list[list[dict[str, Any]]]:
        """Resource groups of team unit ``u``, most important first (trimming drops the tail)."""
        rng = random.Random(f"finops-demo|{self.seed}|{u}")
        sfx = "" if u == 0 else f"-{u}"
        acc = self.acc
        groups: list[list[dict[str, Any]]] = []
        H = self.H
        created_sm = f"AssumedRole:AROA{_hex('role', self.seed, n=12).upper()}:SageMaker"

        def user(name: str) -> str:
            return f"IAMUser:AIDA{_hex('user', name, n=12).upper()}:{name}"

        # EC2 g5.12xlarge fleet covered by the Compute Savings Plan (stops now and then: the
        # plan is under-used in those hours).
        for k in range(2):
            od = _INSTANCES["g5.12xlarge"][0]
            iid = f"i-0{_hex('sp-i', self.seed, u, k, n=16)}"
            gap_start, gap_dur = self._window(rng, 6, 30)  # a maintenance stop
            groups.append(self._covered(
                kind="ec2_sp", acct="platform", **self._ec2("g5.12xlarge", "us-east-1"),
                az=self._az(rng, "us-east-1"), usage_type="BoxUsage:g5.12xlarge",
                operation="RunInstances", resource_id=iid, rate=od,
                sp_rate=round(od * _SP_FACTOR, 4), line_type="SavingsPlanCoveredUsage",
                description=f"Savings Plan rate ${round(od * _SP_FACTOR, 4)} per hour for "
                            f"BoxUsage:g5.12xlarge, covered by {self.sp_arn.rsplit('/', 1)[1]}",
                od_description=f"${od} per On Demand Linux g5.12xlarge Instance Hour",
                pricing_term="OnDemand", sp_arn=self.sp_arn,
                tag_created_by=user("ci-bot"),
                **self._tags(rng, "platform", 0.15),
                pattern="always", start_h=0, dur_h=H, off_prob=0.04, gap_start=gap_start,
                gap_dur=gap_dur))

        # One g5.2xlarge inference box under the reserved instance (1 year, partial upfront).
        od = _INSTANCES[_RI_TYPE][0]
        eff = round(od * _RI_FACTOR, 4)
        groups.append([self._res(
            kind="ec2_ri", acct="platform", **self._ec2(_RI_TYPE, "us-east-1"),
            az="us-east-1a", usage_type=f"BoxUsage:{_RI_TYPE}", operation="RunInstances",
            resource_id=f"i-0{_hex('ri-i', self.seed, u, n=16)}", rate=0, public_rate=od,
            line_type="DiscountedUsage", ri_arn=self.ri_arn,
            ri_amort_rate=Decimal(str(eff)) / 2, ri_rec_rate=Decimal(str(eff)) / 2,
            description=f"Linux/UNIX (Amazon VPC), {_RI_TYPE} reserved instance applied",
            pricing_term="Reserved", purchase_option="Partial Upfront",
            tag_created_by=user("ci-bot"), **self._tags(rng, "platform", 0.1),
            pattern="always", start_h=0, dur_h=H, off_prob=0.02)])

        # Real-time endpoints, billed every hour of the month whether or not anyone calls them.
        for k, (name, itype, qty) in enumerate(
            [("llm-chat-prod", "g5.12xlarge", 1), ("recsys-ranker-staging", "g5.xlarge", 1)]
        ):
            region = "us-west-2" if (u % 4 == 3 and k == 1) else "us-east-1"
            acct = acc["platform"].account_id
            rate = round(_INSTANCES[itype][0] * _SM_UPLIFT[itype], 4)
            tags = self._tags(rng, "platform", 0.1)
            if u == 0 and k == 1:
                tags["tag_project"] = HOSTILE_TAG_VALUES[1]
            groups.append([self._res(
                kind="sm_endpoint", acct="platform", **self._sm(itype, region),
                az=self._az(rng, region), usage_type=f"{_REGIONS[region][1]}-Host:ml.{itype}",
                operation="RunInstance",
                resource_id=f"arn:aws:sagemaker:{region}:{acct}:endpoint/{name}{sfx}",
                rate=rate, description=f"${rate} per Hosting ml.{itype} hour in {_REGIONS[region][0]}",
                pricing_term="OnDemand", tag_created_by=created_sm, **tags,
                pattern="always", start_h=0, dur_h=H, qty=float(qty))])

        # Training jobs (compute + ML storage), the bulk of the spend.
        bases = ["llm-finetune-llama3-8b", "vit-pretrain", "recsys-two-tower", "whisper-distill"]
        for k in range(14):
            itype = rng.choices(["p4d.24xlarge", "g5.12xlarge", "g5.2xlarge"], [0.4, 0.35, 0.25])[0]
            count = rng.choice({"p4d.24xlarge": [1, 1, 2, 4], "g5.12xlarge": [1, 2],
                                "g5.2xlarge": [1, 1, 2]}[itype])
            lo, hi = {"p4d.24xlarge": (6, 60), "g5.12xlarge": (3, 36), "g5.2xlarge": (1, 12)}[itype]
            start, dur = self._window(rng, lo, hi)
            region = "us-west-2" if rng.random() < 0.1 else "us-east-1"
            name = f"{rng.choice(bases)}-{self._ts(start, rng)}"
            tags = self._tags(rng, "research", 0.08, job=name)
            if u == 0 and k == 0:
                tags["tag_project"] = HOSTILE_TAG_VALUES[0]
            if u == 0 and k == 1:
                tags["tag_job"] = HOSTILE_TAG_VALUES[2]
            groups.append(self._training(rng, name, itype, count, region, start, dur, tags,
                                         created_sm, "Train"))

        # A hyperparameter tuning job and its children (<tuning>-NNN-<hash>).
        t_start, _ = self._window(rng, 30, 60)
        tuning = f"recsys-hpo-{(self.p.start + timedelta(hours=t_start)):%m%d-%H%M}"
        tags = self._tags(rng, "research", 0.05, job=tuning)
        hpo: list[dict[str, Any]] = []
        for c in range(6):
            dur = rng.randint(1, 6)
            start = min(t_start + (c // 2) * 6, H - dur)
            child = f"{tuning}-{c + 1:03d}-{_hex('hpo', self.seed, u, c, n=8)}"
            hpo += self._training(rng, child, "g5.12xlarge", 1, "us-east-1", start, dur, tags,
                                  created_sm, "Train")
        groups.append(hpo)

        # Notebook instances: one left on all month, one used in office hours.
        for k, (name, pattern) in enumerate([("alice-gpu-notebook", "always"),
                                            ("bob-cv-notebook", "business")]):
            rate = round(_INSTANCES["g4dn.xlarge"][0] * _SM_UPLIFT["g4dn.xlarge"], 4)
            acct = acc["research"].account_id
            groups.append([self._res(
                kind="sm_notebook", acct="research", **self._sm("g4dn.xlarge", "us-east-1"),
                az=self._az(rng, "us-east-1"), usage_type="USE1-Notebk:ml.g4dn.xlarge",
                operation="RunInstance",
                resource_id=f"arn:aws:sagemaker:us-east-1:{acct}:notebook-instance/{name}{sfx}",
                rate=rate, description=f"${rate} per Notebook ml.g4dn.xlarge hour in US East (N. Virginia)",
                pricing_term="OnDemand", tag_created_by=created_sm,
                **self._tags(rng, "research", 0.2), pattern=pattern, start_h=0, dur_h=H)])

        # Managed spot training.
        for k in range(3):
            itype = rng.choice(["g5.2xlarge", "g5.12xlarge"])
            start, dur = self._window(rng, 2, 20)
            name = f"vit-pretrain-spot-{self._ts(start, rng)}"
            groups.append(self._training(rng, name, itype, 1, "us-east-1", start, dur,
                                         self._tags(rng, "research", 0.1, job=name), created_sm,
                                         "TrSpt"))

        # Processing jobs (feature builds).
        for k in range(4):
            start, dur = self._window(rng, 1, 6)
            name = f"feature-build-{self._ts(start, rng)}"
            rate = round(_INSTANCES["m5.4xlarge"][0] * _SM_UPLIFT["m5.4xlarge"], 4)
            acct = acc["data"].account_id
            groups.append([self._res(
                kind="sm_processing", acct="data", **self._sm("m5.4xlarge", "us-east-1"),
                az=self._az(rng, "us-east-1"), usage_type="USE1-Processing:ml.m5.4xlarge",
                operation="RunInstance",
                resource_id=f"arn:aws:sagemaker:us-east-1:{acct}:processing-job/{name}",
                rate=rate,
                description=f"${rate} per Processing ml.m5.4xlarge hour in US East (N. Virginia)",
                pricing_term="OnDemand", tag_created_by=created_sm,
                **self._tags(rng, "data", 0.1, job=name), pattern="window", start_h=start,
                dur_h=dur, qty=float(rng.choice([1, 2])), partial_last=True)])

        # On-demand EC2 GPU instances: a p4d burst, a p5 burst (some units), a weekday g5 in
        # Oregon, and a dev box nobody turned off.
        ec2_od: list[tuple[str, str, str, tuple[int, int] | None]] = [
            ("p4d.24xlarge", "us-east-1", "window", (24, 120)),
            ("g5.xlarge", "us-west-2", "business", None),
            ("g4dn.xlarge", "us-east-1", "always", None),
        ]
        if u % 3 == 0:
            ec2_od.append(("p5.48xlarge", "us-east-1", "window", (12, 48)))
        for k, (itype, region, pattern, win) in enumerate(ec2_od):
            od = _INSTANCES[itype][0]
            start, dur = self._window(rng, *win) if win else (0, H)
            prefix = "" if region == "us-east-1" else f"{_REGIONS[region][1]}-"
            groups.append([self._res(
                kind="ec2_od", acct="platform", **self._ec2(itype, region),
                az=self._az(rng, region), usage_type=f"{prefix}BoxUsage:{itype}",
                operation="RunInstances", resource_id=f"i-0{_hex('od-i', self.seed, u, k, n=16)}",
                rate=od, description=f"${od} per On Demand Linux {itype} Instance Hour",
                pricing_term="OnDemand", tag_created_by=user(rng.choice(["alice", "bob", "carol"])),
                **self._tags(rng, "platform" if k else "research", 0.2), pattern=pattern,
                start_h=start, dur_h=dur, partial_last=pattern == "window")])

        # Spot instances for batch work.
        for k, (itype, region) in enumerate([("g5.12xlarge", "us-east-1"), ("g5.xlarge", "us-west-2")]):
            od = _INSTANCES[itype][0]
            spot = round(od * _EC2_SPOT_FACTOR, 4)
            start, dur = self._window(rng, 24, 240)
            prefix = "" if region == "us-east-1" else f"{_REGIONS[region][1]}-"
            groups.append([self._res(
                kind="ec2_spot", acct="platform", **self._ec2(itype, region),
                az=self._az(rng, region), usage_type=f"{prefix}SpotUsage:{itype}",
                operation="RunInstances:SV001", resource_id=f"i-0{_hex('spot-i', self.seed, u, k, n=16)}",
                rate=spot, public_rate=od,
                description=f"${spot} per Linux/UNIX Spot Instance-hour for {itype} in {_REGIONS[region][0]}",
                pricing_term="Spot", tag_created_by=user("batch-runner"),
                **self._tags(rng, "platform", 0.4), pattern="window", start_h=start, dur_h=dur,
                partial_last=True)])

        # EBS volumes (hourly GB-Mo) and a snapshot (daily).
        for k in range(3):
            gb = rng.choice([500, 1000, 2000, 4000])
            tags = self._tags(rng, "platform", 0.35)
            groups.append([self._res(
                kind="ebs", acct="platform", product_code="AmazonEC2", product_family="Storage",
                region_code="us-east-1", az=self._az(rng, "us-east-1"),
                usage_type="EBS:VolumeUsage.gp3", operation="CreateVolume-Gp3",
                resource_id=f"vol-0{_hex('vol', self.seed, u, k, n=16)}", unit="GB-Mo", rate=0.08,
                volume_api_name="gp3",
                description="$0.08 per GB-month of General Purpose (gp3) provisioned storage - US East (N. Virginia)",
                pricing_term="OnDemand", tag_created_by=user("ci-bot"), **tags,
                pattern="always", start_h=0, dur_h=H, qty=gb / H)])
        snap_gb = rng.choice([2000, 4000, 8000])
        acct = acc["platform"].account_id
        groups.append([self._res(
            kind="ebs_snap", acct="platform", product_code="AmazonEC2", product_family="Storage Snapshot",
            region_code="us-east-1", usage_type="EBS:SnapshotUsage", operation="CreateSnapshot",
            resource_id=f"arn:aws:ec2:us-east-1:{acct}:snapshot/snap-0{_hex('snap', self.seed, u, n=16)}",
            unit="GB-Mo", rate=0.05, storage_class="",
            description="$0.05 per GB-Month of snapshot data stored - US East (N. Virginia)",
            pricing_term="OnDemand", **self._tags(rng, "platform", 0.5), pattern="daily",
            qty=snap_gb * 24 / H)])

        # S3 buckets: storage (one row a day), requests, data transfer out.
        for k, (bucket, team, tb) in enumerate([
            ("acme-ml-datasets", "data", (15, 60)),
            ("acme-ml-checkpoints", "research", (10, 40)),
            ("acme-data-lake-raw", "data", (20, 80)),
        ]):
            name = f"{bucket}{'' if u == 0 else f'-{u:03d}'}"
            acct = "data" if team == "data" else "research"
            tags = self._tags(rng, team, 0.2)
            gb = rng.randint(*tb) * 1024
            s3 = dict(kind="s3", acct=acct, product_code="AmazonS3", region_code="us-east-1",
                      resource_id=name, pricing_term="OnDemand", **tags)
            groups.append([
                self._res(**s3, product_family="Storage", usage_type="TimedStorage-ByteHrs",
                          operation="StandardStorage", unit="GB-Mo", rate=0.023,
                          storage_class="General Purpose",
                          description="$0.023 per GB - first 50 TB / month of storage used",
                          pattern="daily", qty=gb * 24 / H),
                self._res(**s3, product_family="API Request", usage_type="Requests-Tier1",
                          operation="PutObject", unit="Requests", rate="0.000005",
                          description="$0.005 per 1,000 PUT, COPY, POST, or LIST requests",
                          pattern="sparse", sparse_p=0.3, amt_lo=2000, amt_hi=200000),
                self._res(**s3, product_family="API Request", usage_type="Requests-Tier2",
                          operation="GetObject", unit="Requests", rate="0.0000004",
                          description="$0.0004 per 1,000 GET and all other requests",
                          pattern="sparse", sparse_p=0.4, amt_lo=10000, amt_hi=500000),
                self._res(**s3, product_family="Data Transfer", usage_type="DataTransfer-Out-Bytes",
                          operation="GetObject", unit="GB", rate=0.09,
                          description="$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier",
                          pattern="sparse", sparse_p=0.06, amt_lo=5, amt_hi=150),
            ])
        groups.append([self._res(
            kind="dt", acct="research", product_code="AWSDataTransfer", product_family="Data Transfer",
            region_code="us-east-1", usage_type="USE1-USW2-AWS-Out-Bytes", operation="",
            unit="GB", rate=0.02, pricing_term="OnDemand",
            description="$0.02 per GB - US East (N. Virginia) data transfer to US West (Oregon)",
            pattern="sparse", sparse_p=0.15, amt_lo=20, amt_hi=400)])

        # CloudWatch, a little.
        cw_acct = ("research", "platform", "data")[u % 3]
        groups.append([
            self._res(kind="cw", acct=cw_acct, product_code="AmazonCloudWatch", product_family="Metric",
                      region_code="us-east-1", usage_type="CW:MetricMonitorUsage",
                      operation="MetricStorage", unit="Metrics", rate=0.30, pricing_term="OnDemand",
                      description="$0.30 per metric-month - first 10,000 metrics",
                      pattern="daily", qty=rng.randint(100, 600) * 24 / H),
            self._res(kind="cw", acct=cw_acct, product_code="AmazonCloudWatch", product_family="Data Payload",
                      region_code="us-east-1", usage_type="DataProcessing-Bytes",
                      operation="PutLogEvents", unit="GB", rate=0.50, pricing_term="OnDemand",
                      description="$0.50 per GB custom log data ingested",
                      pattern="sparse", sparse_p=0.5, amt_lo=0.05, amt_hi=1.5),
        ])
        return groups

    def _training(self, rng: random.Random, name: str, itype: str, count: int, region: str,
                  start: int, dur: int, tags: dict[str, str], created: str,
                  kind: str) -> list[dict[str, Any]]:
        """A SageMaker training job: compute hours plus its ML storage volume."""
        pfx = _REGIONS[region][1]
        acct = self.acc["research"].account_id
        arn = f"arn:aws:sagemaker:{region}:{acct}:training-job/{name}"
        ml_rate = round(_INSTANCES[itype][0] * _SM_UPLIFT[itype], 4)
        spot = kind == "TrSpt"
        rate = round(ml_rate * _SM_SPOT_FACTOR, 4) if spot else ml_rate
        common = dict(acct="research", az=self._az(rng, region), resource_id=arn,
                      tag_created_by=created, pattern="window", start_h=start, dur_h=dur,
                      partial_last=True, **tags)
        gb = rng.choice([100, 200, 500])
        what = "Managed Spot Training" if spot else "Training"
        return [
            self._res(kind="sm_training", **self._sm(itype, region), **common,
                      usage_type=f"{pfx}-{kind}:ml.{itype}", operation="RunInstance", rate=rate,
                      public_rate=ml_rate, qty=float(count),
                      description=f"${rate} per {what} ml.{itype} hour in {_REGIONS[region][0]}",
                      pricing_term="Spot" if spot else "OnDemand"),
            self._res(kind="sm_storage", product_code="AmazonSageMaker", product_family="ML Storage",
                      region_code=region, **common, usage_type=f"{pfx}-Train:VolumeUsage.gp2",
                      operation="CreateVolume-Gp2", unit="GB-Mo", rate=0.14,
                      volume_api_name="gp2", qty=gb * count / self.H,
                      description=f"$0.14 per GB-Mo of ML storage for Training in {_REGIONS[region][0]}",
                      pricing_term="OnDemand"),
        ]

    # -- the whole month ----------------------------------------------------------------------

    def fill(self, target: int) -> None:
        """Add units (and finally part of a unit) until the expected row count meets ``target``."""
        budget = target - self.fixed_rows()
        u = 0
        while self.est_rows < budget:
            groups = self.unit(u)
            unit_rows = sum(self._est(r) for g in groups for r in g)
            self.units = u + 1
            if self.est_rows + unit_rows <= budget:
                for g in groups:
                    self.resources += g
                self.est_rows += unit_rows
                u += 1
                continue
            # Part of a unit: take groups in priority order while each brings us closer.
            for g in groups:
                g_rows = sum(self._est(r) for r in g)
                if abs(self.est_rows + g_rows - budget) < abs(self.est_rows - budget):
                    self.resources += g
                    self.est_rows += g_rows
            break

    def specials(self) -> list[dict[str, Any]]:
        """Rows computed from the usage: SP fee, RIFee, RI upfront Fee, taxes, credit."""
        acc = self.acc
        out = []
        covered = [r for r in self.resources if r["line_type"] == "SavingsPlanCoveredUsage"]
        if covered:
            # The commitment was bought a little below the fleet's full-time Savings Plan cost:
            # fully used (with on-demand spill-over) in most hours, under-used when instances stop.
            full = sum(Decimal(str(round(_INSTANCES["g5.12xlarge"][0] * _SP_FACTOR, 4))) * Decimal(str(r["qty"]))
                       for r in covered)
            commit = (full * Decimal(str(_SP_COMMIT_SHARE))).quantize(Decimal("0.001"))
            out.append(self._res(rate=commit,
                kind="sp_fee", acct="payer", product_code="ComputeSavingsPlans", region_code="",
                usage_type="ComputeSP:1yrNoUpfront", operation="", resource_id=self.sp_arn,
                unit="Hrs", line_type="SavingsPlanRecurringFee", sp_arn=self.sp_arn,
                description="1 year No Upfront Compute Savings Plan",
                pricing_term="Savings Plan", purchase_option="No Upfront", pattern="special"))
        ri = [r for r in self.resources if r["line_type"] == "DiscountedUsage"]
        if ri:
            eff = Decimal(str(round(_INSTANCES[_RI_TYPE][0] * _RI_FACTOR, 4)))
            rec = amort = eff / 2  # list prices; _res applies cost_scale
            ec2 = dict(acct="platform", product_code="AmazonEC2", product_family="Compute Instance",
                       region_code="us-east-1", instance_type=_RI_TYPE,
                       instance_family="GPU instance", usage_type=f"HeavyUsage:{_RI_TYPE}",
                       operation="RunInstances", ri_arn=self.ri_arn, unit="Hrs",
                       pricing_term="Reserved", purchase_option="Partial Upfront", pattern="special")
            out.append(self._res(
                kind="ri_fee", **ec2, line_type="RIFee", rate=rec, ri_amort_rate=amort,
                ri_rec_rate=rec,
                description=f"USD {rec * self.scale:.4f} hourly fee per Linux/UNIX (Amazon VPC), {_RI_TYPE} instance"))
            sub = int(_hex("sub", self.seed, n=8), 16) % 10**9
            out.append(self._res(
                kind="ri_upfront", **ec2, line_type="Fee", bill_type="Purchase", ri_amort_rate=amort,
                description=f"Sign up charge for subscription: {sub}, planId: {sub % 10**7}"))
        # Taxes per (account, product code) that has spend; one credit.
        pairs = sorted({(r["acct"], r["product_code"]) for r in self.resources + out})
        for acct, code in pairs:
            a = acc[acct]
            out.append(self._res(
                kind="tax", acct=acct, product_code=code, line_type="Tax", unit="",
                description=f"Tax for product code {code}", tax_rate=a.tax_rate,
                pattern="special"))
        out.append(self._res(
            kind="credit", acct="research", product_code="AmazonSageMaker", line_type="Credit",
            description="AWS Promotional Credit - ML Accelerator Program", pattern="special"))
        return out


def _res_table(planner: _Planner, resources: list[dict[str, Any]]) -> pa.Table:
    """Resources as an Arrow table, with account-independent product facts filled in."""
    rows = []
    for r in resources:
        name, scode, sname = _PRODUCTS.get(r["product_code"], ("", "", ""))
        region = r["region_code"]
        loc = _REGIONS[region][0] if region in _REGIONS else ""
        rows.append({**r, "account_id": planner.acc[r["acct"]].account_id, "product_name": name,
                     "servicecode": scode, "servicename": sname, "location": loc})
    cols = list(rows[0].keys())
    data = {c: [row[c] for row in rows] for c in cols}
    types = {"rid": pa.int32(), "neg_rid": pa.int32(), "od_rid": pa.int32(), "start_h": pa.int32(),
             "gap_start": pa.int32(), "gap_dur": pa.int32(), "dur_h": pa.int32(), "off_prob": pa.float64(),
             "qty": pa.float64(), "sparse_p": pa.float64(), "amt_lo": pa.float64(),
             "amt_hi": pa.float64(), "partial_last": pa.bool_()}
    fields = []
    for c in cols:
        t = types.get(c, pa.string())
        if t == pa.string():
            data[c] = [None if v is None else str(v) for v in data[c]]
        fields.append(pa.field(c, t))
    return pa.Table.from_pydict(data, schema=pa.schema(fields))


# --------------------------------------------------------------------------------------------
# SQL: expand resources into line items
# --------------------------------------------------------------------------------------------

_NUM = "DECIMAL(18,10)"


def _build_items(con: duckdb.DuckDBPyConnection, planner: _Planner, final: bool) -> int:
    """Create ``items``: one narrow row per line item, keyed by (rid, h0); return the count.

    Everything that is constant for a resource (line item type, product, tags, ...) stays in
    ``res``; each resource carries one line item type (Savings Plan negations and on-demand
    spill-over have their own twin resources), so ``items`` holds only the per-row numbers.
    """
    p, seed, H, D = planner.p, planner.seed, planner.H, planner.D
    slot_h = 24 if planner.daily else 1
    S = H // slot_h
    con.execute("CREATE OR REPLACE TEMP MACRO u01(a, b, c) AS (hash(a, b, c) % 1000003)::DOUBLE / 1000003.0")

    # Accounts, with invoice ids once the month is final.
    acc_rows = []
    for a in planner.acc.values():
        inv = None
        if final:
            n = int(_hex("inv", seed, p.label, a.entity, n=12), 16)
            inv = f"EUINDE{p.start:%y}-{n % 10**6:06d}" if a.entity == _EU_ENTITY else f"{n % 10**10:010d}"
        acc_rows.append((a.account_id, a.name, a.entity, a.tax_type, a.cost_center or None, inv))
    con.execute("CREATE OR REPLACE TEMP TABLE accounts (account_id VARCHAR, account_name VARCHAR, "
                "entity VARCHAR, tax_type VARCHAR, cost_center VARCHAR, invoice_id VARCHAR)")
    con.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)", acc_rows)

    casts = ", ".join(f"CAST({c} AS {_NUM}) AS {c}" for c in _DECIMAL_FIELDS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE res AS SELECT * REPLACE ({casts}) FROM res_arrow")

    # 1. Hourly activity of every expandable resource, rolled up to the report's time slots.
    amount = f"CAST(round(amount, 10) AS {_NUM})"
    rollup = (f"SELECT rid, h AS h0, 1 AS len, {amount} AS amount FROM act" if slot_h == 1 else
              f"SELECT rid, (h // 24) * 24 AS h0, 24 AS len, CAST(round(sum(amount), 10) AS {_NUM}) AS amount"
              f" FROM act GROUP BY ALL")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE su AS
        WITH ex AS (
            SELECT rid, pattern, off_prob, qty, sparse_p, amt_lo, amt_hi, partial_last, start_h, dur_h,
                   gap_start, gap_dur, unnest(range(start_h, start_h + dur_h)) AS h
            FROM res WHERE pattern IN ('always', 'business', 'window', 'sparse')
        ), act AS (
            SELECT rid, h,
                   CASE WHEN pattern = 'sparse'
                            THEN round(amt_lo + (amt_hi - amt_lo) * u01({seed} + 1, rid, h),
                                       CASE WHEN amt_hi > 1000 THEN 0 ELSE 4 END)
                        WHEN partial_last AND h = start_h + dur_h - 1
                            THEN qty * ((1 + hash({seed}, rid) % 3599) / 3600.0)
                        ELSE qty END AS amount
            FROM ex
            WHERE CASE pattern
                    WHEN 'sparse' THEN u01({seed}, rid, h) < sparse_p
                    WHEN 'business' THEN ((h // 24) + {planner.dow0}) % 7 < 5 AND h % 24 BETWEEN 13 AND 23
                    ELSE off_prob = 0 OR u01({seed}, rid, h) >= off_prob
                  END
                  AND NOT (h >= gap_start AND h < gap_start + gap_dur)
        )
        {rollup}
        UNION ALL
        SELECT rid, d * 24 AS h0, 24 AS len, CAST(round(qty, 10) AS {_NUM}) AS amount
        FROM res, range({D}) t(d) WHERE pattern = 'daily'
    """)

    def dec(expr: object) -> str:
        return f"CAST({expr} AS {_NUM})"

    null = dec("NULL")
    # Column order of items (all but rid/h0/len are money or quantities).
    con.execute(f"""
        CREATE OR REPLACE TABLE items (
            rid INTEGER, h0 SMALLINT, len SMALLINT, amount {_NUM}, rate {_NUM}, cost {_NUM},
            public_rate {_NUM}, public_cost {_NUM}, ri_eff {_NUM}, ri_rec_usage {_NUM},
            ri_amort_period {_NUM}, ri_unused_amort {_NUM}, ri_unused_rec {_NUM}, sp_eff {_NUM},
            sp_rate {_NUM}, sp_total {_NUM}, sp_used {_NUM}, sp_recurring {_NUM}, sp_amort_upfront {_NUM})
    """)

    # 2. Usage and DiscountedUsage rows.
    con.execute(f"""
        INSERT INTO items
        SELECT su.rid, su.h0, su.len, su.amount,
               CASE WHEN r.line_type = 'DiscountedUsage' THEN {dec(0)} ELSE r.rate END,
               CASE WHEN r.line_type = 'DiscountedUsage' THEN {dec(0)} ELSE {dec('su.amount * r.rate')} END,
               r.public_rate, {dec('su.amount * r.public_rate')},
               CASE WHEN r.line_type = 'DiscountedUsage'
                    THEN {dec('su.amount * (r.ri_amort_rate + r.ri_rec_rate)')} END,
               CASE WHEN r.line_type = 'DiscountedUsage' THEN {dec('su.amount * r.ri_rec_rate')} END,
               {null}, {null}, {null}, {null}, {null}, {null}, {null}, {null}, {null}
        FROM su JOIN res r USING (rid)
        WHERE r.line_type <> 'SavingsPlanCoveredUsage'
    """)

    # 3. Savings Plan: each slot, eligible usage (in rid order) is covered until the commitment
    # is spent. Covered part -> SavingsPlanCoveredUsage + SavingsPlanNegation; the rest stays
    # on-demand Usage. Used commitment = sum of covered effective cost <= the commitment.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE alloc AS
        WITH c AS (SELECT rate * {slot_h} AS commit FROM res WHERE line_type = 'SavingsPlanRecurringFee'),
        el AS (
            SELECT su.rid, su.h0, su.len, su.amount, r.rate, r.public_rate, r.sp_rate, r.neg_rid, r.od_rid,
                   {dec('su.amount * r.sp_rate')} AS eff
            FROM su JOIN res r USING (rid) WHERE r.line_type = 'SavingsPlanCoveredUsage'
        ), cum AS (
            SELECT *, sum(eff) OVER (PARTITION BY h0 ORDER BY rid ROWS UNBOUNDED PRECEDING) - eff AS before
            FROM el
        )
        SELECT cum.*, {dec('greatest(0, least(eff, c.commit - before))')} AS cov_eff,
               CASE WHEN {dec('greatest(0, least(eff, c.commit - before))')} = eff THEN amount
                    ELSE {dec('greatest(0, least(eff, c.commit - before)) / sp_rate')} END AS cov_amt
        FROM cum, c
    """)
    con.execute("DROP TABLE su")
    con.execute(f"""
        INSERT INTO items
        SELECT rid, h0, len, cov_amt, rate, {dec('cov_amt * rate')}, public_rate,
               {dec('cov_amt * public_rate')}, {null}, {null}, {null}, {null}, {null},
               cov_eff, sp_rate, {null}, {null}, {null}, {null}
        FROM alloc WHERE cov_eff > 0
        UNION ALL
        SELECT neg_rid, h0, len, cov_amt, rate, {dec('-(cov_amt * rate)')}, public_rate,
               {dec('cov_amt * public_rate')}, {null}, {null}, {null}, {null}, {null},
               {null}, sp_rate, {null}, {null}, {null}, {null}
        FROM alloc WHERE cov_eff > 0
        UNION ALL
        SELECT od_rid, h0, len, amount - cov_amt, rate, {dec('(amount - cov_amt) * rate')}, public_rate,
               {dec('(amount - cov_amt) * public_rate')}, {null}, {null}, {null}, {null}, {null},
               {null}, {null}, {null}, {null}, {null}, {null}
        FROM alloc WHERE amount > cov_amt
    """)
    con.execute(f"""
        INSERT INTO items
        WITH slots AS (SELECT s * {slot_h} AS h0 FROM range({S}) t(s)),
        used AS (SELECT h0, sum(cov_eff) AS used FROM alloc GROUP BY h0)
        SELECT f.rid, slots.h0, {slot_h}, {dec(slot_h)}, f.rate, {dec(f'f.rate * {slot_h}')}, {dec(0)},
               {dec(0)}, {null}, {null}, {null}, {null}, {null}, {null}, {null},
               {dec(f'f.rate * {slot_h}')}, {dec('coalesce(used.used, 0)')}, {dec(f'f.rate * {slot_h}')},
               {dec(0)}
        FROM slots JOIN res f ON f.line_type = 'SavingsPlanRecurringFee'
        LEFT JOIN used USING (h0)
    """)
    con.execute("DROP TABLE alloc")

    # 4. RI: the month's recurring fee (with the unused part) and this month's upfront payment.
    con.execute(f"""
        INSERT INTO items
        WITH q AS (SELECT CAST(sum(qty) AS DECIMAL(38,10)) AS n FROM res WHERE line_type = 'DiscountedUsage'),
        u AS (SELECT coalesce(sum(i.amount), 0) AS used FROM items i JOIN res r USING (rid)
              WHERE r.line_type = 'DiscountedUsage')
        SELECT f.rid, 0, {H}, {dec(f'q.n * {H}')}, f.ri_rec_rate, {dec(f'q.n * {H} * f.ri_rec_rate')},
               {dec(0)}, {dec(0)}, {null}, {null}, {dec(f'q.n * {H} * f.ri_amort_rate')},
               {dec(f'(q.n * {H} - u.used) * f.ri_amort_rate')},
               {dec(f'(q.n * {H} - u.used) * f.ri_rec_rate')},
               {null}, {null}, {null}, {null}, {null}, {null}
        FROM res f, q, u WHERE f.line_type = 'RIFee' AND q.n > 0
        UNION ALL
        SELECT f.rid, 0, {H}, q.n, {dec('round(f.ri_amort_rate * 8760, 2)')},
               {dec('round(f.ri_amort_rate * 8760, 2) * q.n')}, {dec(0)}, {dec(0)},
               {null}, {null}, {null}, {null}, {null}, {null}, {null}, {null}, {null}, {null}, {null}
        FROM res f, q WHERE f.line_type = 'Fee' AND q.n > 0
    """)

    # 5. Taxes per (account, product code) and one promotional credit.
    con.execute(f"""
        INSERT INTO items
        WITH spend AS (
            SELECT r.account_id, r.product_code, r.line_type, sum(i.cost) AS s
            FROM items i JOIN res r USING (rid) GROUP BY ALL
        ), base AS (SELECT account_id, product_code, sum(s) AS s FROM spend GROUP BY ALL)
        SELECT t.rid, 0, {H}, {dec(1)}, {null}, {dec('round(base.s * t.tax_rate, 2)')},
               {dec(0)}, {dec(0)}, {null}, {null}, {null}, {null}, {null}, {null}, {null}, {null},
               {null}, {null}, {null}
        FROM res t JOIN base ON t.account_id = base.account_id AND t.product_code = base.product_code
        WHERE t.line_type = 'Tax' AND round(base.s * t.tax_rate, 2) > 0
        UNION ALL
        SELECT c.rid, 0, {H}, {dec(1)}, {null}, {dec('-round(spend.s * 0.05, 2)')},
               {dec(0)}, {dec(0)}, {null}, {null}, {null}, {null}, {null}, {null}, {null}, {null},
               {null}, {null}, {null}
        FROM res c JOIN spend ON spend.account_id = c.account_id AND spend.product_code = 'AmazonSageMaker'
             AND spend.line_type = 'Usage'
        WHERE c.line_type = 'Credit' AND spend.s > 0
    """)
    return con.execute("SELECT count(*) FROM items").fetchall()[0][0]


@dataclass
class _Session:
    """A scratch DuckDB database (file-backed, so big months spill to disk) and its plan."""

    con: duckdb.DuckDBPyConnection
    planner: _Planner
    n: int
    tmp: tempfile.TemporaryDirectory  # type: ignore[type-arg]

    def close(self) -> None:
        self.con.close()
        self.tmp.cleanup()


def _prepare(period: str, rows: int, seed: int, payer: str, cost_scale: float, final: bool,
             granularity: str) -> _Session:
    """Plan resources for ``rows`` line items and materialise them in a scratch DuckDB."""
    if rows < 1:
        raise ValueError("rows must be positive")
    if cost_scale <= 0:
        raise ValueError("cost_scale must be positive")
    if not re.fullmatch(r"\d{12}", payer):
        raise ValueError("payer_account_id must be 12 digits")
    p = _period(period)
    scale = Decimal(str(cost_scale))
    if granularity not in ("auto", "hourly", "daily"):
        raise ValueError("granularity must be 'auto', 'hourly' or 'daily'")
    if granularity == "auto":
        # Hourly only when at least two whole team units fit; below that a month of hourly rows
        # would be nothing but a few always-on resources.
        probe = _Planner(p, seed, payer, scale, daily=False)
        unit_rows = sum(probe._est(r) for g in probe.unit(0) for r in g)
        daily = rows < probe.fixed_rows() + 2 * unit_rows
    else:
        daily = granularity == "daily"
    planner = _Planner(p, seed, payer, scale, daily=daily)
    planner.fill(rows)
    resources = planner.resources + planner.specials()
    tmp = tempfile.TemporaryDirectory(prefix="finops-generate-")
    try:
        # The line items live in a compressed on-disk table: 10 million rows need a few hundred
        # MB of buffer instead of several GB, and anything larger than memory spills to tmp.
        con = duckdb.connect(os.path.join(tmp.name, "bill.duckdb"),
                             config={"temp_directory": os.path.join(tmp.name, "spill")})
        con.execute("SET enable_progress_bar = false")
        con.register("res_arrow", _res_table(planner, resources))
        n = _build_items(con, planner, final)
        con.unregister("res_arrow")
    except BaseException:
        tmp.cleanup()
        raise
    return _Session(con, planner, n, tmp)


# --------------------------------------------------------------------------------------------
# Projections to the three on-disk shapes
# --------------------------------------------------------------------------------------------


def _fill(expr: str, planner: _Planner) -> str:
    p = planner.p
    return expr.format(
        payer=f"'{planner.acc['payer'].account_id}'",
        period_start=f"TIMESTAMP '{p.start:%Y-%m-%d %H:%M:%S}'",
        period_end=f"TIMESTAMP '{p.end:%Y-%m-%d %H:%M:%S}'",
    )


_TS_FMT = "%Y-%m-%dT%H:%M:%SZ"
_INTERVAL = f"strftime(i.t0, '{_TS_FMT}') || '/' || strftime(i.t1, '{_TS_FMT}')"


def _fmt_csv(kind: str, e: str) -> str:
    """CSV text as AWS writes it: ISO timestamps with Z, plain decimals, empty for null."""
    if kind == "interval":
        return _INTERVAL
    if kind == "ts":
        return f"strftime({e}, '{_TS_FMT}')"
    if kind == "num":  # up to 10 decimals, trailing zeros dropped ("32.7726", "0", "-1.5")
        return f"rtrim(rtrim(CAST(CAST({e} AS DECIMAL(38,10)) AS VARCHAR), '0'), '.')"
    if kind == "raw":
        return e
    return f"NULLIF({e}, '')"


def _fmt_typed(kind: str, e: str) -> str:
    """Parquet values: TIMESTAMP, DOUBLE money (as AWS's Parquet has), NULL for empty strings."""
    if kind == "interval":
        return _INTERVAL
    if kind == "ts":
        return f"CAST({e} AS TIMESTAMP)"
    if kind == "num":
        return f"CAST({e} AS DOUBLE)"
    if kind == "raw":
        return e
    return f"NULLIF({e}, '')"


def _map_expr(pairs: list[tuple[str, str]]) -> str:
    entries = ", ".join(f"{{'key': '{k}', 'value': NULLIF({e}, '')}}" for k, e in pairs)
    return (f"CAST(map_from_entries(list_filter([{entries}], lambda x: x.value IS NOT NULL))"
            f" AS MAP(VARCHAR, VARCHAR))")


def _shape_columns(planner: _Planner, shape: str) -> list[tuple[str, str, str]]:
    """(output column, kind, SQL expression) for ``shape`` in csv / parquet / cur2."""
    if shape == "csv":
        return [(h, kind, _fill(e, planner)) for h, kind, e in _LEGACY]
    if shape == "parquet":
        return [(snake_case(h), kind, _fill(e, planner)) for h, kind, e in _LEGACY]
    by_name: dict[str, tuple[str, str]] = {}
    tags: list[tuple[str, str]] = []
    cats: list[tuple[str, str]] = []
    prod: list[tuple[str, str]] = []
    for header, kind, expr in _LEGACY:
        e = _fill(expr, planner)
        if header.startswith("resourceTags/"):
            tags.append((_map_key(header), e))
        elif header.startswith("costCategory/"):
            cats.append((_map_key(header), e))
        elif header in _CUR2_PRODUCT_KEYS:
            prod.append((_CUR2_PRODUCT_KEYS[header], e))
        else:
            by_name[snake_case(header)] = (kind, e)
    by_name["bill_payer_account_name"] = ("str", f"'{PAYER_NAME}'")
    by_name["line_item_usage_account_name"] = ("str", "a.account_name")
    by_name["resource_tags"] = ("raw", _map_expr(tags))
    by_name["cost_category"] = ("raw", _map_expr(cats))
    by_name["product"] = ("raw", _map_expr(prod))
    by_name["discount"] = ("raw", "CAST(MAP() AS MAP(VARCHAR, VARCHAR))")
    out = []
    for name in cur2_columns():
        if name not in by_name:  # never filled for this account: the net_ (negotiated) variants
            t = CUR_COLUMNS.get(name, "VARCHAR")
            by_name[name] = ("raw", "CAST(NULL AS DOUBLE)" if t.startswith("DECIMAL") else f"CAST(NULL AS {t})")
        kind, e = by_name[name]
        out.append((name, kind, e))
    return out


def _projection(con: duckdb.DuckDBPyConnection, planner: _Planner, shape: str) -> str:
    """Build ``rx`` (everything that is per resource, computed once) and return the row SELECT.

    Tags, product facts, descriptions and the CUR 2.0 maps depend only on the resource, so they
    are formatted for a few thousand resources instead of millions of line items; the row
    SELECT only formats the per-row numbers and dates and joins ``rx`` by ``rid``.
    """
    fmt = _fmt_csv if shape == "csv" else _fmt_typed
    rx_cols, out = [], []
    for k, (name, kind, expr) in enumerate(_shape_columns(planner, shape)):
        quoted = '"' + name.replace('"', '""') + '"'
        if kind == "interval" or _ITEM_REF.search(expr):
            out.append(f"{fmt(kind, _ROW_REF.sub('x.', expr))} AS {quoted}")
        else:
            rx_cols.append(f"{fmt(kind, expr)} AS c{k}")
            out.append(f"x.c{k} AS {quoted}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rx AS SELECT r.rid, r.norm_factor, "
        + ", ".join(rx_cols)
        + " FROM res r JOIN accounts a ON a.account_id = r.account_id"
    )
    return ",\n".join(out)


def _rows_from(planner: _Planner, lo: int = 0, hi: int = 1 << 15) -> str:
    """FROM clause over the line items whose slot starts in hours [lo, hi], joined to ``rx``.

    Dates and the line item id are derived here rather than stored: the id is a hash of
    (seed, period, resource, slot), so it is stable across restatements of the same month.
    """
    start, seed, label = f"{planner.p.start:%Y-%m-%d %H:%M:%S}", planner.seed, planner.p.label
    return f"""FROM (
        SELECT *, TIMESTAMP '{start}' + to_hours(h0) AS t0, TIMESTAMP '{start}' + to_hours(h0 + len) AS t1,
               md5(concat_ws('|', {seed}, '{label}', rid, h0))
                 || substr(md5(concat_ws('|', 'li', {seed}, '{label}', rid, h0)), 1, 20) AS line_item_id
        FROM items WHERE h0 BETWEEN {lo} AND {hi}) i
        JOIN rx x ON x.rid = i.rid"""


_ITEM_REF = re.compile(r"\bi\.")
_ROW_REF = re.compile(r"\b[ra]\.")  # resource/account references inside row-level expressions


def _copy_csv_gz(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    """COPY ``query`` to a gzip CSV, compressing on a second core.

    DuckDB's own gzip writer is single-threaded and slower than zlib, so DuckDB writes plain CSV
    into a named pipe while a thread (zlib releases the GIL) gzips it; a fixed mtime and no file
    name in the gzip header keep the bytes deterministic. Without ``os.mkfifo`` (Windows) DuckDB
    compresses itself.
    """
    options = "FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"'"
    if not hasattr(os, "mkfifo"):
        con.execute(f"COPY ({query}) TO '{_sql_path(path)}' ({options}, COMPRESSION gzip)")
        return
    with tempfile.TemporaryDirectory(prefix="finops-gen-") as tmp:
        fifo = os.path.join(tmp, "rows.csv")
        os.mkfifo(fifo)
        errors: list[BaseException] = []

        def pump() -> None:
            try:
                with open(fifo, "rb") as src, open(path, "wb") as raw, gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0
                ) as gz:
                    shutil.copyfileobj(src, gz, 1 << 20)
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

        worker = threading.Thread(target=pump, name="finops-gzip", daemon=True)
        worker.start()
        try:
            con.execute(f"COPY ({query}) TO '{_sql_path(Path(fifo))}' ({options})")
        except BaseException:
            try:  # DuckDB may have failed before opening the pipe: let the reader see EOF
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
            worker.join()
            raise
        worker.join()
        if errors:
            raise errors[0]


def _sql_path(path: Path) -> str:
    return path.as_posix().replace("'", "''")


def _chunks(con: duckdb.DuckDBPyConnection, n: int) -> list[tuple[int, int]]:
    """Split the month into ceil(n / MAX_ROWS_PER_FILE) consecutive slot ranges of similar size."""
    files = max(1, math.ceil(n / MAX_ROWS_PER_FILE))
    if files == 1:
        return [(0, 1 << 15)]
    ranges: list[list[int]] = []
    seen = 0
    for h0, count in con.execute("SELECT h0, count(*) FROM items GROUP BY h0 ORDER BY h0").fetchall():
        k = min(files - 1, seen * files // n)
        if len(ranges) <= k:
            ranges.append([h0, h0])
        ranges[-1][1] = h0
        seen += count
    ranges[-1][1] = 1 << 15
    return [(lo, hi) for lo, hi in ranges]


def _copy_chunks(session: _Session, select: str, paths: list[Path], ranges: list[tuple[int, int]],
                 fmt: str) -> None:
    """Write the line items in (slot, resource) order, one slot range per file."""
    con, planner = session.con, session.planner
    for path, (lo, hi) in zip(paths, ranges):
        path.parent.mkdir(parents=True, exist_ok=True)
        query = f"SELECT {select} {_rows_from(planner, lo, hi)} ORDER BY i.h0, i.rid"
        if fmt == "csv":
            _copy_csv_gz(con, query, path)
        else:
            con.execute(f"COPY ({query}) TO '{_sql_path(path)}' "
                        "(FORMAT parquet, COMPRESSION snappy)")


_MANIFEST_TYPES = {"str": "String", "ts": "DateTime", "num": "BigDecimal", "interval": "Interval"}


def _legacy_manifest_columns() -> list[dict[str, str]]:
    cols = []
    for header, kind, _ in _LEGACY:
        category, name = header.split("/", 1)
        t = _MANIFEST_TYPES[kind]
        if category in ("reservation", "savingsPlan", "resourceTags", "costCategory"):
            t = "OptionalBigDecimal" if kind == "num" else "OptionalString"
        cols.append({"category": category, "name": name, "type": t})
    return cols


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def write_legacy_cur(root: Path, period: str = "2026-10", *, rows: int = 5000, seed: int = 1,
                     report_name: str = "ml-team-cur", fmt: str = "csv",
                     assembly_id: str | None = None, payer_account_id: str = "111122223333",
                     cost_scale: float = 1.0, final: bool = False,
                     granularity: str = "auto") -> Path:
    """Write one delivery of a legacy CUR for ``period`` under ``root``; return its manifest.

    The layout is AWS's "create new report versions" one: the manifest sits in the date-range
    folder and points (``reportKeys``) at the data files in a fresh ``<assemblyId>`` folder, so a
    second delivery of the same month -- say with ``cost_scale=1.1`` -- leaves the first one's
    files in place, exactly the situation a loader must handle by trusting the manifest.

    ``fmt`` is ``"csv"`` (gzip CSV with ``category/Name`` headers, empty strings for nulls) or
    ``"parquet"`` (snappy Parquet with the Athena snake-case names). ``final=True`` fills
    ``bill/InvoiceId`` as AWS does once the month is closed. ``granularity`` is ``"auto"``
    (hourly when ``rows`` allows a realistic hourly month, else daily), ``"hourly"`` or
    ``"daily"``.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError("fmt must be 'csv' or 'parquet'")
    session = _prepare(period, rows, seed, payer_account_id, cost_scale, final, granularity)
    p = session.planner.p
    try:
        aid = assembly_id or _uuid("assembly", seed, p.label, cost_scale, final, fmt)
        folder = Path(root) / report_name / p.folder
        ext = "csv.gz" if fmt == "csv" else "snappy.parquet"
        ranges = _chunks(session.con, session.n)
        names = [f"{report_name}-{k + 1}.{ext}" for k in range(len(ranges))]
        paths = [folder / aid / name for name in names]
        _copy_chunks(session, _projection(session.con, session.planner, fmt), paths, ranges, fmt)
        manifest = {
            "assemblyId": aid,
            "account": payer_account_id,
            "columns": _legacy_manifest_columns(),
            "charset": "UTF-8",
            "compression": "GZIP" if fmt == "csv" else "Parquet",
            "contentType": "text/csv" if fmt == "csv" else "Parquet",
            "reportId": _hex("report", payer_account_id, report_name, n=64),
            "reportName": report_name,
            "billingPeriod": {"start": p.iso(p.start), "end": p.iso(p.end)},
            "bucket": S3_BUCKET,
            "reportKeys": [f"{LEGACY_KEY_PREFIX}/{report_name}/{p.folder}/{aid}/{name}" for name in names],
            "additionalArtifactKeys": [],
        }
        return _write_manifest(folder / f"{report_name}-Manifest.json", manifest)
    finally:
        session.close()


def write_cur2(root: Path, period: str = "2026-10", *, rows: int = 5000, seed: int = 1,
               export_name: str = "ml-team-cur2", payer_account_id: str = "111122223333",
               cost_scale: float = 1.0, final: bool = False, granularity: str = "auto") -> Path:
    """Write one delivery of a CUR 2.0 Data Export for ``period`` under ``root``; return its manifest.

    Data Exports overwrites a billing period in place: data files go to
    ``<export>/data/BILLING_PERIOD=YYYY-MM/`` (stale files of an earlier, larger delivery are
    removed) and the manifest to ``<export>/metadata/BILLING_PERIOD=YYYY-MM/``. The schema is
    fixed -- every column is present even when empty -- with ``product``, ``resource_tags``,
    ``cost_category`` and ``discount`` as ``MAP(VARCHAR, VARCHAR)``; costs are DOUBLE.
    """
    session = _prepare(period, rows, seed, payer_account_id, cost_scale, final, granularity)
    con, p = session.con, session.planner.p
    try:
        part = f"BILLING_PERIOD={p.label}"
        data_dir = Path(root) / export_name / "data" / part
        ranges = _chunks(con, session.n)
        names = [f"{export_name}-{k + 1:05d}.snappy.parquet" for k in range(len(ranges))]
        if data_dir.exists():
            for old in data_dir.glob(f"{export_name}-*.snappy.parquet"):
                if old.name not in names:
                    old.unlink()
        select = _projection(con, session.planner, "cur2")
        _copy_chunks(session, select, [data_dir / name for name in names], ranges, "parquet")
        schema = con.execute(f"DESCRIBE SELECT {select} {_rows_from(session.planner)} LIMIT 0").fetchall()
        execution_id = _uuid("execution", seed, p.label, cost_scale, final)
        export_id = _uuid("export", payer_account_id, export_name)
        manifest = {
            "executionId": execution_id,
            "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{payer_account_id}:export/{export_name}-{export_id}",
            "exportName": export_name,
            "tableName": "COST_AND_USAGE_REPORT",
            "billingPeriod": {"start": f"{p.start:%Y-%m-%dT%H:%M:%S.000Z}", "end": f"{p.end:%Y-%m-%dT%H:%M:%S.000Z}"},
            "bucket": S3_BUCKET,
            "dataFiles": [f"s3://{S3_BUCKET}/{CUR2_KEY_PREFIX}/{export_name}/data/{part}/{name}" for name in names],
            "columns": [{"name": c[0], "type": _athena_type(c[1])} for c in schema],
            "compression": "PARQUET",
            "format": "PARQUET",
            "additionalOutputFiles": [],
        }
        meta = Path(root) / export_name / "metadata" / part
        meta.mkdir(parents=True, exist_ok=True)
        return _write_manifest(meta / f"{export_name}-Manifest.json", manifest)
    finally:
        session.close()


def _write_manifest(path: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest last and atomically, as AWS does once every data file is in place."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def _athena_type(duck: str) -> str:
    if duck.startswith("MAP"):
        return "map<string,string>"
    return {"VARCHAR": "string", "DOUBLE": "double", "TIMESTAMP": "timestamp"}.get(duck, duck.lower())
