"""``finops.toml`` sections for unattended runs: ``[sources.<name>]``, ``[refresh]`` and ``[duckdb]``.

Same rules as ``[attribution]`` (file.py): unknown keys and wrong types are errors naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from finops.errors import UsageError

DEFAULT_LOCK_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class SourceSetting:
    """One place bills or metrics are read from; ``fresh_days`` is how old its data may get (None: a
    bill's provider's usual delay plus a day, three days for metrics)."""

    name: str
    kind: str
    location: str
    endpoint_url: str | None = None
    resource: str | None = None
    fresh_days: int | None = None


@dataclass
class RefreshSettings:
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS
    report_dir: str = "reports"


@dataclass
class DuckDBSettings:
    """Applied to every connection: a memory cap (e.g. "4GB") so a big bill spills to disk instead
    of the process being killed, and a thread count so a shared host keeps some cores free.

    None: $FINOPS_MEMORY_LIMIT, else 2GB (finops/warehouse/connection.py), since DuckDB's own 80 % of
    RAM let a 10M-line month reach 6.2 GiB (bench/README.md)."""

    memory_limit: str | None = None
    threads: int | None = None


# DuckDB starts a thread per setting even far beyond the cores, and then even `status` crawls
MAX_THREADS = 256
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)
_UNIT_BYTES = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
MIN_MEMORY_BYTES = 128 * 10**6  # below this DuckDB cannot even build the models of an empty warehouse


def parse_duckdb(chosen: Path | None, section: dict) -> DuckDBSettings:
    """``[duckdb]``: a memory cap DuckDB can live with, and a sane thread count."""
    settings = DuckDBSettings()
    for key, value in section.items():
        where = f"duckdb.{key}"
        if key == "memory_limit":
            size = _SIZE.match(value) if isinstance(value, str) else None
            if size is None:
                raise UsageError(f"{chosen}: {where} must be a size in quotes, e.g. \"4GB\"")
            if float(size[1]) * _UNIT_BYTES[size[2].lower()] < MIN_MEMORY_BYTES:
                raise UsageError(f"{chosen}: {where} must be at least 128MB")
            settings.memory_limit = value.strip()
        elif key == "threads":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_THREADS:
                raise UsageError(f"{chosen}: {where} must be a whole number of threads, from 1 to {MAX_THREADS}")
            settings.threads = value
        else:
            raise UsageError(f"{chosen}: unknown key {where} (expected memory_limit or threads)")
    return settings


def parse_sources(chosen: Path, section: object, kinds: tuple[str, ...] | None) -> list[SourceSetting]:
    """``[sources.<name>]``; ``kinds`` are the source kinds the connectors register (None: not checked here)."""
    _table(chosen, "sources", section)
    out = []
    for name, body in section.items():
        where = f"sources.{name}"
        _table(chosen, where, body)
        values: dict[str, object] = {}
        for key, value in body.items():
            if key == "fresh_days":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise UsageError(f"{chosen}: {where}.fresh_days must be a whole number of days")
            elif key in ("kind", "location", "endpoint_url", "resource"):
                if not isinstance(value, str) or not value.strip():
                    raise UsageError(f"{chosen}: {where}.{key} must be a non-empty string")
            else:
                raise UsageError(f"{chosen}: unknown key {where}.{key} "
                                 "(expected kind, location, endpoint_url, resource or fresh_days)")
            values[key] = value
        for required in ("kind", "location"):
            if required not in values:
                raise UsageError(f"{chosen}: {where}.{required} is missing")
        if kinds is not None and values["kind"] not in kinds:
            raise UsageError(f"{chosen}: {where}.kind must be one of {', '.join(kinds)}")
        location = str(values["location"])
        if "://" not in location and not Path(location).is_absolute():  # cron's cwd is not the config's
            values["location"] = str((chosen.parent / location).resolve())
        out.append(SourceSetting(name=name, **values))  # type: ignore[arg-type]
    return out


def parse_refresh(chosen: Path, section: object) -> RefreshSettings:
    """``[refresh]``: how long to wait for the lock, where reports go."""
    _table(chosen, "refresh", section)
    settings = RefreshSettings()
    for key, value in section.items():
        where = f"refresh.{key}"
        if key == "lock_wait_seconds":
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise UsageError(f"{chosen}: {where} must be a number of seconds, at least 0")
            settings.lock_wait_seconds = float(value)
        elif key == "report_dir":
            if not isinstance(value, str) or not value.strip():
                raise UsageError(f"{chosen}: {where} must be a directory path in quotes")
            settings.report_dir = value
        else:
            raise UsageError(f"{chosen}: unknown key {where} (expected lock_wait_seconds or report_dir)")
    return settings


def _table(chosen: Path, where: str, value: object) -> None:
    if not isinstance(value, dict):
        raise UsageError(f"{chosen}: {where} must be a table")
