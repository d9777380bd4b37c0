"""``finops.toml`` sections for unattended runs: ``[sources.<name>]``, ``[refresh]`` and ``[duckdb]``.

Same rules as ``[attribution]`` (config.py): unknown keys and wrong types are errors naming the key.
Here they are usage errors (exit 2), so a cron job with a typo in its config fails loudly and is
never mistaken for a failing source. :func:`load_config` also runs the other sections' readers, so
one call validates the whole file before a refresh touches the warehouse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from finops.config.file import _document, config_path, load_attribution, load_idle, load_savings
from finops.errors import FinopsError, UsageError
from finops.warehouse.lock import DEFAULT_WAIT_SECONDS
from finops.config.report import load_email_settings, load_report_settings

SOURCE_KINDS = ("aws", "gcp", "focus", "metrics")
SECTIONS = ("attribution", "idle", "savings", "report", "email", "sources", "refresh", "duckdb")


@dataclass(frozen=True)
class SourceSetting:
    """One place bills or metrics are read from; ``fresh_days`` is how old its data may get."""

    name: str
    kind: str
    location: str
    endpoint_url: str | None = None
    resource: str | None = None
    fresh_days: int = 3


@dataclass
class RefreshSettings:
    lock_wait_seconds: float = DEFAULT_WAIT_SECONDS
    report_dir: str = "reports"


@dataclass
class DuckDBSettings:
    """Applied to every connection: a memory cap (e.g. "4GB") so a big bill spills to disk instead
    of the process being killed, and a thread count so a shared host keeps some cores free.

    No cap by default (DuckDB's own: 80 % of RAM): a 3GB cap kept a 10M-line CUR 2.0 month under
    3.2 GiB, but landing a 10M-line legacy CSV CUR then ran out of memory (bench/README.md)."""

    memory_limit: str | None = None
    threads: int | None = None


@dataclass
class Config:
    path: Path | None
    sources: list[SourceSetting] = field(default_factory=list)
    refresh: RefreshSettings = field(default_factory=RefreshSettings)
    duckdb: DuckDBSettings = field(default_factory=DuckDBSettings)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the whole file; any problem is a usage error (exit 2) naming the key."""
    try:
        chosen = config_path(path)
        if chosen is None:
            return Config(None)
        document = _document(chosen)
        for key in document:
            if key not in SECTIONS:
                raise FinopsError(f"{chosen}: unknown key {key} (expected one of {', '.join(SECTIONS)})")
        for reader in (load_attribution, load_idle, load_savings, load_report_settings, load_email_settings):
            reader(chosen)
        return Config(chosen, _sources(chosen, document.get("sources", {})),
                      _refresh(chosen, document.get("refresh", {})), load_duckdb(chosen, document))
    except UsageError:
        raise
    except FinopsError as exc:
        raise UsageError(str(exc)) from None


def load_duckdb(chosen: Path | None = None, document: dict | None = None) -> DuckDBSettings:
    """Read ``[duckdb]`` (also used by warehouse.connect, which has no other config to read)."""
    settings = DuckDBSettings()
    chosen = chosen or config_path()
    if chosen is None:
        return settings
    section = (document if document is not None else _document(chosen)).get("duckdb", {})
    _table(chosen, "duckdb", section)
    for key, value in section.items():
        where = f"duckdb.{key}"
        if key == "memory_limit":
            if not isinstance(value, str) or not value.strip():
                raise UsageError(f"{chosen}: {where} must be a size in quotes, e.g. \"4GB\"")
            settings.memory_limit = value.strip()
        elif key == "threads":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"{chosen}: {where} must be a whole number of threads, at least 1")
            settings.threads = value
        else:
            raise UsageError(f"{chosen}: unknown key {where} (expected memory_limit or threads)")
    return settings


def _sources(chosen: Path, section: object) -> list[SourceSetting]:
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
        if values["kind"] not in SOURCE_KINDS:
            raise UsageError(f"{chosen}: {where}.kind must be one of {', '.join(SOURCE_KINDS)}")
        location = str(values["location"])
        if "://" not in location and not Path(location).is_absolute():  # cron's cwd is not the config's
            values["location"] = str((chosen.parent / location).resolve())
        out.append(SourceSetting(name=name, **values))  # type: ignore[arg-type]
    return out


def _refresh(chosen: Path, section: object) -> RefreshSettings:
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
