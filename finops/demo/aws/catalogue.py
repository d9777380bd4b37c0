"""Price and product facts of the made-up ML team's AWS bill: instances, regions, accounts, tags.

Prices are us-east-1 Linux on-demand list prices in USD; the planner multiplies them by
``cost_scale``.
"""

from __future__ import annotations

from dataclasses import dataclass

# type: (EC2 $/h, vCPU, memory, GPUs, GPU memory, normalization factor, instance family)
INSTANCES: dict[str, tuple[float, int, str, int, str, int, str]] = {
    "p5.48xlarge": (98.32, 192, "2048 GiB", 8, "640 GB", 384, "GPU instance"),
    "p4d.24xlarge": (32.7726, 96, "1152 GiB", 8, "320 GB", 192, "GPU instance"),
    "g5.12xlarge": (5.672, 48, "192 GiB", 4, "96 GB", 96, "GPU instance"),
    "g5.2xlarge": (1.212, 8, "32 GiB", 1, "24 GB", 16, "GPU instance"),
    "g5.xlarge": (1.006, 4, "16 GiB", 1, "24 GB", 8, "GPU instance"),
    "g4dn.xlarge": (0.526, 4, "16 GiB", 1, "16 GB", 8, "GPU instance"),
    "m5.4xlarge": (0.768, 16, "64 GiB", 0, "", 32, "General purpose"),
}
# SageMaker ml.* instances cost 15-40 % more than the same EC2 instance.
SM_UPLIFT = {
    "p4d.24xlarge": 1.15,
    "g5.12xlarge": 1.25,
    "g5.2xlarge": 1.25,
    "g5.xlarge": 1.40,
    "g4dn.xlarge": 1.40,
    "m5.4xlarge": 1.20,
}
EC2_SPOT_FACTOR = 0.34  # spot runs ~66 % below on-demand
SM_SPOT_FACTOR = 0.32  # managed spot training
SP_FACTOR = 0.72  # Compute Savings Plan, 1 year no upfront, ~28 % off
RI_FACTOR = 0.62  # EC2 RI, 1 year partial upfront, ~38 % off (half upfront, half recurring)
RI_TYPE = "g5.2xlarge"
SP_TYPE = "g5.12xlarge"  # the instance type of the fleet the Savings Plan covers
SP_COMMIT_SHARE = 0.93  # hourly commitment / Savings Plan cost of the whole eligible fleet

REGIONS = {
    "us-east-1": ("US East (N. Virginia)", "USE1"),
    "us-west-2": ("US West (Oregon)", "USW2"),
}

PRODUCTS = {  # product code: (product name, servicecode, servicename)
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

PAYER_NAME = "acme-ml-payer"
US_ENTITY = "Amazon Web Services, Inc."
EU_ENTITY = "Amazon Web Services EMEA SARL"


@dataclass(frozen=True)
class Account:
    """One AWS account of the bill, with what its invoice and cost category rows need."""

    account_id: str
    name: str
    entity: str
    tax_type: str
    tax_rate: str
    cost_center: str


def accounts(payer: str) -> dict[str, Account]:
    """The payer plus three linked accounts; the data team's account is billed from Europe (VAT)."""
    return {
        "payer": Account(payer, PAYER_NAME, US_ENTITY, "Sales Tax", "0.0625", ""),
        "research": Account(
            "444455556666", "ml-research-prod", US_ENTITY, "Sales Tax", "0.0625", "4100-ml-research"
        ),
        "platform": Account(
            "777788889999", "ml-platform-prod", US_ENTITY, "Sales Tax", "0.0625", "4200-ml-platform"
        ),
        "data": Account(
            "222233334444", "data-eng-eu", EU_ENTITY, "VAT", "0.20", "4300-data-engineering"
        ),
    }


# Tag values exactly as humans type them: case and whitespace drift.
TEAMS = {
    "research": (["ml-research", "ML-Research"], [0.75, 0.25]),
    "platform": (["ml-platform", " ml-platform "], [0.6, 0.4]),
    "data": (["data-eng"], [1.0]),
}
PROJECTS = {
    "research": ["llm-finetune", "vision", "recsys"],
    "platform": ["recsys", "search-ranking", "llm-chat"],
    "data": ["feature-store", "etl"],
}
# Rare hostile values: downstream code must escape tag values everywhere it prints them.
HOSTILE_TAG_VALUES = ("<script>alert(1)</script>", "O'Brien \"x\"", "'; drop table costs; --")
