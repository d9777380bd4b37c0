"""The words a finance reader sees in the weekly report, in place of table, column and code names.

The marts name things for SQL (``idle_gpu_suspected``, ``BilledCost``, ``storage_tiering``); the
report says what they mean. A mart or column this module does not know is shown by its name with
the underscores made spaces, so a new mart still appears, just less politely worded.
"""

from __future__ import annotations

import re

WORKLOAD_TYPES = {
    "training": "Model training",
    "inference": "Inference endpoints",
    "notebook": "Notebooks",
    "batch": "Batch jobs",
    "labeling": "Data labelling",
    "storage": "Storage",
    "data_transfer": "Data transfer",
    "gpu_compute": "GPU machines",
    "cpu_compute": "CPU machines",
    "load_balancer": "Load balancers",
    "nat_gateway": "NAT gateways",
    "monitoring": "Monitoring",
    "support": "Support plan",
    "tax": "Tax",
    "commitment_fees": "Unused commitments and fees",
    "other": "Other",
}

SAVINGS_KINDS = {
    "spot": "Move to spot",
    "idle_gpu": "Stop idle GPU",
    "commitment": "Buy a Savings Plan",
    "rightsizing": "Right-size GPU",
    "endpoint_scaling": "Scale endpoint down",
    "storage_tiering": "Move to colder storage",
    "unattached_volume": "Delete unattached disk",
    "data_transfer": "Cut data transfer",
    "commitment_expiry": "Renew ending commitment",
    "commitment_underused": "Use or sell idle commitment",
}

# optional sections (marts named idle_gpu* and savings*): a title and what the reader should know
SECTIONS = {
    "idle_gpu_weekly": ("GPUs measured idle", "GPU machines whose own utilisation metrics show them idle: hours under "
                        "the idle threshold and what those hours cost."),
    "idle_gpu_suspected": ("GPUs that look idle from the bill", "Not measured, only suspected: GPU endpoints and "
                           "notebooks billed every hour of the week, and other GPU machines billed through every night "
                           "and weekend with no training attributed to them."),
    "savings_opportunities": ("Opportunities this week", "What each change would have saved this week. A monthly "
                              "run-rate is shown only for work seen in at least 3 of the last 4 weeks, never for a "
                              "one-off. Each dollar is counted once, under its best option (stop idle machines first, "
                              "then scale endpoints, right-size, move to spot, and commit for the rest), so the "
                              "week's savings add up."),
}

COLUMNS = {
    "resource_name": "Resource", "resource_id": "Resource", "workload_name": "Workload", "name": "Name",
    "team": "Team", "kind": "What to do", "idle_hours": "Idle hours", "idle_share": "Idle share",
    "wasted_cost": "Cost of idle hours", "BilledCost": "Billed", "EffectiveCost": "Cost",
    "off_hours_cost": "Night and weekend cost", "weekly_savings": "Saving this week",
    "monthly_savings": "Monthly run-rate (recurring)", "confidence": "Confidence", "explanation": "Why",
    "suspected_rule": "Why flagged", "mean_gpu_utilization": "GPU utilisation",
}


def workload(code: str) -> str:
    """A workload type in words: gpu_compute (a GPU machine no workload tag names) reads "GPU machines"."""
    return WORKLOAD_TYPES.get(code, _words(code))


def savings_kind(code: str) -> str:
    """A savings kind in words: storage_tiering reads "Move to colder storage"."""
    return SAVINGS_KINDS.get(code, _words(code))


def section(name: str, comment: str) -> tuple[str, str]:
    """(title, description) of an optional section; an unknown mart keeps its own comment."""
    return SECTIONS.get(name, (_words(name), comment))


def column(name: str) -> str:
    """A column heading: BilledCost reads "Billed", weekly_savings "Saving this week"."""
    return COLUMNS.get(name, _words(name))


def _words(code: str) -> str:
    """snake_case or CamelCase as a capitalised phrase."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", code).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:].lower()
