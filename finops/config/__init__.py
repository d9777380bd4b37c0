"""finops.toml, read once at the edge (the CLI, ``finops refresh``) into one typed :class:`Config`.

Nothing below the edge reads the file: the connection, the model build, the report and the
email get the sections they need passed in, so what a command did is decided by one read of one
file. Library callers who pass nothing get the defaults, which are what an absent file means.

Unknown keys and wrong types are usage errors (exit 2) naming the key, so a cron job with a typo
in its config fails loudly and is never mistaken for a failing source.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from finops.config.alerts import Alerts, parse_alerts
from finops.config.budgets import Budgets, parse_budgets
from finops.config.currency import CurrencySettings, parse_currency
from finops.config.file import (
    Attribution,
    Idle,
    Savings,
    config_path,
    expect,
    parse_attribution,
    parse_idle,
    parse_savings,
    read_document,
)
from finops.config.models_section import ModelSettings, parse_models
from finops.config.refresh import (
    DuckDBSettings,
    RefreshSettings,
    SourceSetting,
    parse_duckdb,
    parse_refresh,
    parse_sources,
)
from finops.config.report import EmailSettings, ReportSettings, parse_email, parse_report
from finops.errors import FinopsError, UsageError


@dataclass
class Config:
    """Every section of finops.toml, typed; ``path`` is the file read (None: defaults only)."""

    path: Path | None = None
    attribution: Attribution = field(default_factory=Attribution)
    idle: Idle = field(default_factory=Idle)
    savings: Savings = field(default_factory=Savings)
    report: ReportSettings = field(default_factory=ReportSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    sources: list[SourceSetting] = field(default_factory=list)
    refresh: RefreshSettings = field(default_factory=RefreshSettings)
    duckdb: DuckDBSettings = field(default_factory=DuckDBSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    currency: CurrencySettings = field(default_factory=CurrencySettings)
    budgets: Budgets = field(default_factory=Budgets)
    alerts: Alerts = field(default_factory=Alerts)


_TABLE_SECTIONS = {
    "attribution": parse_attribution,
    "idle": parse_idle,
    "savings": parse_savings,
    "report": parse_report,
    "email": parse_email,
    "refresh": parse_refresh,
    "duckdb": parse_duckdb,
    "models": parse_models,
    "currency": parse_currency,
    "budgets": parse_budgets,
    "alerts": parse_alerts,
}
SECTIONS = (*_TABLE_SECTIONS, "sources")


def load_config(path: str | os.PathLike[str] | None = None, *, source_kinds: Iterable[str] | None = None) -> Config:
    """Read and validate the whole file: the argument, else ``$FINOPS_CONFIG``, else ./finops.toml
    if present. Without a file every section has its defaults (``[email]`` still takes the
    environment's FINOPS_SMTP_* variables). ``source_kinds`` are the kinds ``[sources.*]`` may
    name: the connectors' registry, which the edge passes (config sits below the connectors)."""
    try:
        chosen = config_path(path)
        document = read_document(chosen) if chosen else {}
        for key in document:
            if key not in SECTIONS:
                raise FinopsError(f"{chosen}: unknown key {key} (expected one of {', '.join(SECTIONS)})")
        sections = {}
        for name, parse in _TABLE_SECTIONS.items():
            section = document.get(name, {})
            expect(chosen, name, section, dict)
            sections[name] = parse(chosen, section)
        kinds = tuple(source_kinds) if source_kinds is not None else None
        sources = parse_sources(chosen, document["sources"], kinds) if "sources" in document else []
        return Config(chosen, sources=sources, **sections)
    except UsageError:
        raise
    except FinopsError as exc:
        raise UsageError(str(exc)) from None


__all__ = [
    "SECTIONS",
    "Alerts",
    "Attribution",
    "Budgets",
    "Config",
    "CurrencySettings",
    "DuckDBSettings",
    "EmailSettings",
    "Idle",
    "ModelSettings",
    "RefreshSettings",
    "ReportSettings",
    "Savings",
    "SourceSetting",
    "load_config",
]
