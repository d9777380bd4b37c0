"""``finops.toml``: the settings users edit. This module reads the ``[attribution]`` section.

Attribution rules say which tags name a team, a project, or a workload; where finops.toml is absent
the defaults below apply. Keys are matched without regard to case. Unknown keys and wrong types are
errors naming the key, so a typo never silently changes who pays for what.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import FinopsError

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


def config_path(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to read: the argument, else ``$FINOPS_CONFIG``, else ./finops.toml if present."""
    if path or os.environ.get("FINOPS_CONFIG"):
        chosen = Path(path or os.environ["FINOPS_CONFIG"])
        if not chosen.exists():
            raise FinopsError(f"{chosen}: no such config file")
        return chosen
    default = Path(CONFIG_FILE)
    return default if default.exists() else None


def load_attribution(path: str | os.PathLike[str] | None = None) -> Attribution:
    """Read ``[attribution]`` from the config file, over the defaults."""
    settings = Attribution()
    chosen = config_path(path)
    if chosen is None:
        return settings
    try:
        document = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FinopsError(f"{chosen}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FinopsError(f"{chosen}: not valid TOML: {exc}") from None
    section = document.get("attribution", {})
    _expect(chosen, "attribution", section, dict)
    for key, value in section.items():
        where = f"attribution.{key}"
        if key == "tags":
            settings.tags.update(_key_lists(chosen, where, value, allowed=("team", "project")))
        elif key == "workloads":
            settings.workloads.update(_key_lists(chosen, where, value, allowed=WORKLOAD_TYPES))
        elif key == "shared_costs":
            _expect(chosen, where, value, dict)
            for kind, split in value.items():
                if kind not in SHARED_COST_KINDS:
                    raise FinopsError(f"{chosen}: unknown key {where}.{kind} (expected one of {', '.join(SHARED_COST_KINDS)})")
                _expect(chosen, f"{where}.{kind}", split, bool)
                settings.shared_costs[kind] = split
        else:
            raise FinopsError(f"{chosen}: unknown key {where} (expected tags, workloads or shared_costs)")
    return settings


def _key_lists(path: Path, where: str, value: object, *, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    _expect(path, where, value, dict)
    out = {}
    for name, keys in value.items():
        if name not in allowed:
            raise FinopsError(f"{path}: unknown key {where}.{name} (expected one of {', '.join(allowed)})")
        if not isinstance(keys, list) or not all(isinstance(k, str) and k.strip() for k in keys):
            raise FinopsError(f"{path}: {where}.{name} must be a list of tag keys, e.g. [\"team\", \"owner\"]")
        out[name] = [k.strip() for k in keys]
    return out


def _expect(path: Path, where: str, value: object, kind: type) -> None:
    if not isinstance(value, kind):
        names = {dict: "a table", bool: "true or false", list: "a list"}
        raise FinopsError(f"{path}: {where} must be {names.get(kind, kind.__name__)}")
