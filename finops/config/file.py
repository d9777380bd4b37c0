"""``finops.toml`` as a file (where it is, its TOML, type checks), and the sections the models read:
``[attribution]``, ``[idle]`` and ``[savings]``.

Attribution rules say which tags name a team, a project, or a workload; where finops.toml is absent
the defaults below apply. Keys are matched without regard to case. Unknown keys and wrong types are
errors naming the key, so a typo never silently changes who pays for what. Only
:func:`finops.config.load_config` reads the file; the parsers here get its tables.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from finops.errors import FinopsError

CONFIG_FILE = "finops.toml"
WORKLOAD_TYPES = ("training", "inference", "notebook", "batch", "storage", "data_transfer", "labeling", "other")
SHARED_COST_KINDS = ("support", "tax", "untagged_networking")


@dataclass
class Attribution:
    """Which tag keys mean what, in priority order, and which shared costs are split across teams."""

    tags: dict[str, list[str]] = field(
        default_factory=lambda: {
            "team": ["team", "owner", "cost-center", "costcenter", "cost_center"],
            "project": ["project", "application", "app"],
        }
    )
    workloads: dict[str, list[str]] = field(
        default_factory=lambda: {
            "training": ["job", "training-job", "training_job", "ml_job", "ml-job"],
            "inference": ["endpoint", "endpoint-name"],
            "notebook": ["notebook"],
            "batch": ["pipeline", "batch-job"],
        }
    )
    shared_costs: dict[str, bool] = field(default_factory=lambda: {kind: False for kind in SHARED_COST_KINDS})


@dataclass
class Idle:
    """When a measured GPU hour counts as idle: mean utilisation per GPU below a percentage, or an
    endpoint's day with at most so many invocations (CloudWatch)."""

    gpu_utilization_below: float = 5.0
    endpoint_invocations_per_day_at_most: int = 0


@dataclass
class Savings:
    """Which on-demand hours count as spot candidates, which commitment look-back the savings
    summary shows, and the thresholds of the rightsizing, endpoint and storage levers."""

    interruptible_endpoints: bool = False  # real-time endpoints are spot candidates only when true
    commitment_lookback_days: int = 60  # the longest look-back savings_opportunities may use
    rightsizing_days: int = 14  # days of GPU metrics a rightsizing needs, all under both peaks below
    rightsizing_peak_memory_below: float = 20.0  # percent of GPU memory in use, at its peak
    rightsizing_peak_utilization_below: float = 40.0  # percent, the busiest hour's mean per GPU
    endpoint_zero_traffic_hours: int = 4  # shortest run of hours without invocations worth scaling away
    cold_storage_days: int = 60  # days without reads before a bucket counts as cold


COMMITMENT_LOOKBACKS = (7, 30, 60)
# [savings] keys holding a whole number of days or hours at least 1, and those holding a percentage
SAVINGS_COUNTS = {"rightsizing_days": "days", "endpoint_zero_traffic_hours": "hours", "cold_storage_days": "days"}
SAVINGS_PERCENTAGES = ("rightsizing_peak_memory_below", "rightsizing_peak_utilization_below")


def config_path(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to read: the argument, else ``$FINOPS_CONFIG``, else ./finops.toml if present."""
    if path or os.environ.get("FINOPS_CONFIG"):
        chosen = Path(path or os.environ["FINOPS_CONFIG"])
        if not chosen.exists():
            raise FinopsError(f"{chosen}: no such config file")
        return chosen
    default = Path(CONFIG_FILE)
    return default if default.exists() else None


def parse_attribution(chosen: Path, section: dict) -> Attribution:
    """``[attribution]`` over the defaults."""
    settings = Attribution()
    for key, value in section.items():
        where = f"attribution.{key}"
        if key == "tags":
            settings.tags.update(_key_lists(chosen, where, value, allowed=("team", "project")))
        elif key == "workloads":
            settings.workloads.update(_key_lists(chosen, where, value, allowed=WORKLOAD_TYPES))
        elif key == "shared_costs":
            expect(chosen, where, value, dict)
            for kind, split in value.items():
                if kind not in SHARED_COST_KINDS:
                    raise FinopsError(f"{chosen}: unknown key {where}.{kind} (expected one of {', '.join(SHARED_COST_KINDS)})")
                expect(chosen, f"{where}.{kind}", split, bool)
                settings.shared_costs[kind] = split
        else:
            raise FinopsError(f"{chosen}: unknown key {where} (expected tags, workloads or shared_costs)")
    return settings


def parse_idle(chosen: Path, section: dict) -> Idle:
    """``[idle]`` over the defaults."""
    settings = Idle()
    for key, value in section.items():
        if key == "gpu_utilization_below":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
                raise FinopsError(f"{chosen}: idle.{key} must be a percentage above 0 and at most 100, e.g. 5")
            settings.gpu_utilization_below = float(value)
        elif key == "endpoint_invocations_per_day_at_most":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FinopsError(f"{chosen}: idle.{key} must be a whole number of invocations, e.g. 0")
            settings.endpoint_invocations_per_day_at_most = value
        else:
            raise FinopsError(f"{chosen}: unknown key idle.{key} (expected gpu_utilization_below or endpoint_invocations_per_day_at_most)")
    return settings


def parse_savings(chosen: Path, section: dict) -> Savings:
    """``[savings]`` over the defaults."""
    settings = Savings()
    for key, value in section.items():
        if key == "interruptible_endpoints":
            expect(chosen, f"savings.{key}", value, bool)
            settings.interruptible_endpoints = value
        elif key == "commitment_lookback_days":
            if isinstance(value, bool) or value not in COMMITMENT_LOOKBACKS:
                raise FinopsError(f"{chosen}: savings.{key} must be 7, 30 or 60 (days)")
            settings.commitment_lookback_days = value
        elif key in SAVINGS_COUNTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise FinopsError(f"{chosen}: savings.{key} must be a whole number of {SAVINGS_COUNTS[key]}, at least 1")
            setattr(settings, key, value)
        elif key in SAVINGS_PERCENTAGES:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
                raise FinopsError(f"{chosen}: savings.{key} must be a percentage above 0 and at most 100, e.g. 20")
            setattr(settings, key, float(value))
        else:
            known = ", ".join(["interruptible_endpoints", "commitment_lookback_days", *SAVINGS_COUNTS, *SAVINGS_PERCENTAGES])
            raise FinopsError(f"{chosen}: unknown key savings.{key} (expected one of {known})")
    return settings


def read_document(path: Path) -> dict:
    """The file's TOML as a dict; unreadable or invalid TOML is one line naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FinopsError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FinopsError(f"{path}: not valid TOML: {exc}") from None


def _key_lists(path: Path, where: str, value: object, *, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    expect(path, where, value, dict)
    out = {}
    for name, keys in value.items():
        if name not in allowed:
            raise FinopsError(f"{path}: unknown key {where}.{name} (expected one of {', '.join(allowed)})")
        if not isinstance(keys, list) or not all(isinstance(k, str) and k.strip() for k in keys):
            raise FinopsError(f"{path}: {where}.{name} must be a list of tag keys, e.g. [\"team\", \"owner\"]")
        out[name] = [k.strip() for k in keys]
    return out


def expect(path: Path, where: str, value: object, kind: type) -> None:
    if not isinstance(value, kind):
        names = {dict: "a table", bool: "true or false", list: "a list"}
        raise FinopsError(f"{path}: {where} must be {names.get(kind, kind.__name__)}")
