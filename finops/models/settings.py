"""The finops.toml settings the models read, written as tables at every build.

Models stay plain SQL that any engine runs, and anyone can see the rules in force with a SELECT:
``attribution_*`` (which tags name teams, projects and workloads; which shared costs are split),
``idle_settings``, ``savings_settings``, ``model_patterns_settings``, ``fx_rates`` and ``budget_settings``.
The tables are declared in finops/warehouse/schema.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb

from finops.config import Config
from finops.config.budgets import Budgets
from finops.config.currency import CurrencySettings
from finops.config.file import Attribution, Idle, Savings
from finops.config.models_section import ModelSettings
from finops.warehouse.catalog import exists
from finops.warehouse.schema import (
    ATTRIBUTION_SHARED_COSTS,
    ATTRIBUTION_TAG_KEYS,
    ATTRIBUTION_WORKLOAD_KEYS,
    BUDGET_SETTINGS,
    FX_RATES,
    IDLE_SETTINGS,
    MODEL_PATTERNS_SETTINGS,
    SAVINGS_SETTINGS,
    create_table,
)


def write_settings(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Replace every settings table with the settings in force."""
    write_attribution_tables(con, config.attribution)
    write_idle_settings(con, config.idle)
    write_savings_settings(con, config.savings)
    write_model_patterns(con, config.models)
    write_fx_rates(con, config.currency)
    write_budget_settings(con, config.budgets)


def write_attribution_tables(con: duckdb.DuckDBPyConnection, attribution: Attribution) -> None:
    """Tag keys in priority order (each once, lower-case, as the models match them) and the shared-cost splits."""
    for table in (ATTRIBUTION_TAG_KEYS, ATTRIBUTION_WORKLOAD_KEYS, ATTRIBUTION_SHARED_COSTS):
        create_table(con, table, replace=True)
    for table, groups in ((ATTRIBUTION_TAG_KEYS, attribution.tags), (ATTRIBUTION_WORKLOAD_KEYS, attribution.workloads)):
        rows = []
        for group, keys in groups.items():
            seen: list[str] = []
            for key in (k.lower() for k in keys):
                if key not in seen:
                    seen.append(key)
            rows += [(group, key, i + 1) for i, key in enumerate(seen)]
        if rows:
            con.executemany(f"insert into {table.name} values (?, ?, ?)", rows)
    con.executemany(f"insert into {ATTRIBUTION_SHARED_COSTS.name} values (?, ?)", list(attribution.shared_costs.items()))


def write_idle_settings(con: duckdb.DuckDBPyConnection, idle: Idle) -> None:
    """One row, so the idle_gpu marts read the threshold in force from SQL."""
    create_table(con, IDLE_SETTINGS, replace=True)
    con.execute(f"insert into {IDLE_SETTINGS.name} values (?, ?)",
                [idle.gpu_utilization_below, idle.endpoint_invocations_per_day_at_most])


def write_savings_settings(con: duckdb.DuckDBPyConnection, savings: Savings) -> None:
    """One row, so the savings marts read the settings in force from SQL."""
    create_table(con, SAVINGS_SETTINGS, replace=True)
    con.execute(f"insert into {SAVINGS_SETTINGS.name} values (?, ?, ?, ?, ?, ?, ?)",
                [savings.interruptible_endpoints, savings.commitment_lookback_days, savings.rightsizing_days,
                 savings.rightsizing_peak_memory_below, savings.rightsizing_peak_utilization_below,
                 savings.endpoint_zero_traffic_hours, savings.cold_storage_days])


def write_model_patterns(con: duckdb.DuckDBPyConnection, models: ModelSettings) -> None:
    """The [models] patterns, one row each, so model_usage reads them beside its seed."""
    create_table(con, MODEL_PATTERNS_SETTINGS, replace=True)
    if models.patterns:
        con.executemany(
            f"insert into {MODEL_PATTERNS_SETTINGS.name} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(p.dimension, p.provider, p.pattern, p.model, p.model_family, p.token_kind, p.modality, p.unit,
              p.tokens_per_unit, p.pricing_mode) for p in models.patterns],
        )


def write_fx_rates(con: duckdb.DuckDBPyConnection, currency: CurrencySettings) -> None:
    """The monthly rates of [currency], so the models convert amounts in SQL and anyone can see the
    rate a total used. When the presentation currency is USD, a month and currency [currency] has no
    rate for takes Google's own: a GCP export's currency_conversion_rate (local units per US dollar),
    inverted in Decimal. Without rates the table is empty and every amount stays in its own currency."""
    create_table(con, FX_RATES, replace=True)
    rates = {(dt.date(int(month[:4]), int(month[5:]), 1), code): (rate, currency.source)
             for (month, code), rate in currency.rates.items()}
    if currency.presentation == "USD" and exists(con, "raw_gcp_billing"):
        for month, code, local_per_usd in con.execute(_GCP_RATES).fetchall():
            rates.setdefault((month, code), ((Decimal(1) / local_per_usd).quantize(Decimal("1e-10")), "Google Cloud billing export"))
    rows = [(month, code, currency.presentation, rate, source) for (month, code), (rate, source) in sorted(rates.items())]
    if rows:
        con.executemany(f"insert into {FX_RATES.name} values (?, ?, ?, ?, ?)", rows)


# the rate Google applied most often in each month to each non-USD currency
_GCP_RATES = """
    select cast(date_trunc('month', usage_start_time) as date), upper(currency), mode(currency_conversion_rate)
    from raw_gcp_billing
    where upper(currency) <> 'USD' and currency_conversion_rate > 0
    group by all
"""
def write_budget_settings(con: duckdb.DuckDBPyConnection, budgets: Budgets) -> None:
    """One row per monthly budget (none without [budgets]), so the budgets mart reads them from SQL."""
    create_table(con, BUDGET_SETTINGS, replace=True)
    if budgets.lines:
        con.executemany(f"insert into {BUDGET_SETTINGS.name} values (?, ?, ?, ?)",
                        [(line.dimension, line.name, line.amount, budgets.currency) for line in budgets.lines])
