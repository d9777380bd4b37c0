"""The finops.toml settings the models read, written as tables at every build.

Models stay plain SQL that any engine runs, and anyone can see the rules in force with a SELECT:
``attribution_*`` (which tags name teams, projects and workloads; which shared costs are split),
``idle_settings``, ``savings_settings`` and ``budget_settings``. The tables are declared in finops/warehouse/schema.py.
"""

from __future__ import annotations

import duckdb

from finops.config.budgets import Budgets
from finops.config.file import Attribution, Idle, Savings
from finops.warehouse.schema import (
    ATTRIBUTION_SHARED_COSTS,
    ATTRIBUTION_TAG_KEYS,
    ATTRIBUTION_WORKLOAD_KEYS,
    BUDGET_SETTINGS,
    IDLE_SETTINGS,
    SAVINGS_SETTINGS,
    create_table,
)


def write_settings(con: duckdb.DuckDBPyConnection, attribution: Attribution, idle: Idle, savings: Savings,
                   budgets: Budgets | None = None) -> None:
    """Replace every settings table with the settings in force."""
    write_attribution_tables(con, attribution)
    write_idle_settings(con, idle)
    write_savings_settings(con, savings)
    write_budget_settings(con, budgets or Budgets())


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


def write_budget_settings(con: duckdb.DuckDBPyConnection, budgets: Budgets) -> None:
    """One row per monthly budget (none without [budgets]), so the budgets mart reads them from SQL."""
    create_table(con, BUDGET_SETTINGS, replace=True)
    if budgets.lines:
        con.executemany(f"insert into {BUDGET_SETTINGS.name} values (?, ?, ?, ?)",
                        [(line.dimension, line.name, line.amount, budgets.currency) for line in budgets.lines])
