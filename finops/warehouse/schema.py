"""Every table finops itself creates, declared once: its columns and types, what it and each column
mean, and how an older warehouse is brought up to date.

The warehouse opening (:func:`finops.warehouse.connection.ensure_schema`), the model build and
``finops refresh`` create their tables from here with :func:`create_table`, and the build's
``COMMENT ON`` pass (:func:`finops.models.docs.document`) takes every description from here, so
the reference in docs/schema.md and the DuckDB file say the same. The landing tables' column types
live beside their readers in ``finops/warehouse/columns/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from finops.warehouse.catalog import columns_of
from finops.warehouse.columns.cur import CUR_COLUMNS, MAP_COLUMNS, MONEY
from finops.warehouse.columns.focus import FOCUS_COLUMNS
from finops.warehouse.columns.gcp import RAW_GCP_COLUMNS, column_doc
from finops.warehouse.columns.metrics import GPU_METRICS_COLUMNS
from finops.warehouse.sql import sql_identifier, sql_literal


@dataclass(frozen=True)
class Table:
    """One table finops creates. A column without a declared comment takes the glossary's
    (sql/columns.toml), else ``describe_column``'s: how a landing table's source names its fields."""

    name: str
    columns: dict[str, str]  # name -> DuckDB type, with any constraint (NOT NULL, DEFAULT ...)
    comment: str
    column_comments: dict[str, str] = field(default_factory=dict)
    upgrade: tuple[str, ...] = ()  # run after the missing columns are added, for older warehouses
    describe_column: Callable[[str], str | None] | None = None

    def ddl(self, *, replace: bool = False) -> str:
        """CREATE TABLE for this table: if missing, or replacing what is there."""
        body = ",\n    ".join(f"{sql_identifier(column)} {typ}" for column, typ in self.columns.items())
        create = "create or replace table" if replace else "create table if not exists"
        return f"{create} {self.name} (\n    {body}\n)"


def create_table(con: duckdb.DuckDBPyConnection, table: Table, *, replace: bool = False) -> None:
    """Create ``table`` (or ``replace`` it, emptied), upgrade one an older finops made, and comment it.

    An older warehouse gains the columns this finops adds (null, or their DEFAULT, in old rows)."""
    con.execute(table.ddl(replace=replace))
    present = {column: comment for column, _, comment in columns_of(con, table.name)}
    for column, typ in table.columns.items():
        if column not in present:
            con.execute(f"alter table {table.name} add column {sql_identifier(column)} {typ}")
    for statement in table.upgrade:
        con.execute(statement)
    con.execute(f"comment on table {table.name} is {sql_literal(table.comment)}")
    for column, text in table.column_comments.items():
        if present.get(column) != text:  # each COMMENT is a catalog write; opening a warehouse stays quick
            con.execute(f"comment on column {table.name}.{sql_identifier(column)} is {sql_literal(text)}")


def _cur_column_doc(column: str) -> str | None:
    """raw_aws_cur keeps AWS's own column names; AWS's data dictionary is their documentation."""
    return f"AWS CUR column {column}, as delivered (legacy CSV headers converted to this CUR 2.0 name)."


_TAG_MAP = "MAP(VARCHAR, VARCHAR)"
_LOAD_COLUMNS = {"x_load_id": "BIGINT", "x_source_file": "VARCHAR"}

LOADS = Table(
    "loads",
    {
        "load_id": "bigint not null",
        "loaded_at": "timestamp not null",
        "source": "varchar not null",
        "shape": "varchar not null",
        "provider": "varchar not null",
        "billing_account_id": "varchar not null",
        "billing_period_start": "timestamp not null",
        "billing_period_end": "timestamp",
        "delivery_id": "varchar not null",
        "row_count": "bigint not null",
        "source_total": f"{MONEY} not null",
        "currency": "varchar",
        "files": "varchar[]",
        "replaced_by": "bigint",
    },
    "One row per delivery loaded: source, billing period, assembly id or file "
    "fingerprint, rows and the source file's own total. replaced_by names the load that "
    "superseded it (a restatement).",
)

RAW_AWS_CUR = Table(
    "raw_aws_cur",
    {**CUR_COLUMNS, **{m: _TAG_MAP for m in MAP_COLUMNS}, **_LOAD_COLUMNS},
    "AWS Cost and Usage Report rows as delivered (legacy CUR and CUR 2.0, column "
    "names unified to CUR 2.0 snake case, tags folded into maps), one copy per payer account and "
    "billing period.",
    describe_column=_cur_column_doc,
)

RAW_FOCUS = Table(
    "raw_focus",
    {**FOCUS_COLUMNS, "x_ExtraColumns": _TAG_MAP, **_LOAD_COLUMNS},
    "Rows of FOCUS files loaded with `finops ingest focus` (any provider), one copy "
    "per provider, billing account and billing period.",
)

RAW_GCP_BILLING = Table(
    "raw_gcp_billing",
    RAW_GCP_COLUMNS,
    "GCP Cloud Billing export rows (standard or detailed), single-valued fields "
    "flattened (service.id is service_id), labels and credits kept as lists; one copy per billing "
    "account and usage day (UTC).",
    describe_column=column_doc,
)

GPU_METRICS = Table(
    "gpu_metrics",
    GPU_METRICS_COLUMNS,
    "GPU utilisation samples loaded with `finops ingest metrics` (nvidia-smi CSV logs, DCGM "
    "exporter scrapes, CloudWatch hourly averages): one row per resource, GPU and timestamp; a file loaded again replaces its rows.",
    {
        "resource_id": "The instance, host or resource the samples belong to (--resource, a host column, the DCGM Hostname label, or the file "
            "name); matched to the bill's ResourceId or ResourceName.",
        "gpu_index": "GPU index on the machine (nvidia-smi index, DCGM gpu label).",
        "sampled_at": "Sample time, UTC.",
        "gpu_utilization": "GPU utilisation, percent (nvidia-smi utilization.gpu, DCGM_FI_DEV_GPU_UTIL, else 100 x DCGM_FI_PROF_SM_ACTIVE).",
        "memory_utilization": "GPU memory in use, percent of the total (memory.used / memory.total, FB_USED / (FB_USED + FB_FREE)).",
        "sm_active": "Share of time streaming multiprocessors were active, percent (DCGM_FI_PROF_SM_ACTIVE x 100); null from nvidia-smi.",
        "pod": "Kubernetes pod using the GPU (DCGM pod label).",
        "namespace": "Kubernetes namespace of the pod (DCGM namespace label).",
        "source": "nvidia-smi, dcgm or cloudwatch.",
        "source_file": "The file the samples were loaded from (loading it again replaces them), or the cloudwatch:// source.",
        "invocations": "SageMaker endpoint invocations in the hour (CloudWatch AWS/SageMaker Invocations, all variants); null from other sources.",
    },
)

# `finops prices refresh` (finops/savings/prices.py); the prices mart prefers these to the bundled seeds
REFRESHED_PRICES_COLUMNS = {
    "as_of": "DATE", "provider": "VARCHAR", "service": "VARCHAR", "item": "VARCHAR", "region": "VARCHAR",
    "price_kind": "VARCHAR", "unit": "VARCHAR", "unit_price": "DECIMAL(38, 10)", "source": "VARCHAR",
    "refreshed_at": "TIMESTAMP",
}
REFRESHED_PRICES = Table(
    "refreshed_prices",
    REFRESHED_PRICES_COLUMNS,
    "Public prices read by `finops prices refresh` (AWS Price List API, EC2 spot "
    "price history, GCP Cloud Billing Catalog), one row per provider, service, item, region and kind; "
    "a refresh replaces the rows it read again. The prices mart prefers them to the bundled seeds.",
    {
        "as_of": "Date of the refresh that read the price (UTC).",
        "provider": "AWS or Google Cloud.",
        "service": "AWS product code (AmazonEC2, AmazonSageMaker) or GCP service (Compute Engine).",
        "item": "Instance type (p4d.24xlarge, ml.p4d.24xlarge) or GCP Catalog SKU description.",
        "region": "Region the price applies to.",
        "price_kind": "on_demand, spot, commit_1y or commit_3y.",
        "unit": "Unit the price is per: h (hour) or the Catalog's unit.",
        "unit_price": "Price per unit, USD.",
        "source": "The API the price was read from: AWS Price List API, EC2 spot price history or Cloud Billing Catalog.",
        "refreshed_at": "When the refresh wrote the row (UTC).",
    },
)

# What idle_gpu must recompute: each load of metrics notes the time span it replaced or added, and
# the next build recomputes the billed hours of the loads whose period overlaps it, then clears it.
GPU_METRICS_CHANGES = Table(
    "gpu_metrics_changes",
    {"first_sample": "TIMESTAMP NOT NULL", "last_sample": "TIMESTAMP NOT NULL"},
    "Time spans of gpu_metrics loaded or replaced since the last build; the build recomputes idle_gpu "
    "for the billing periods they fall in, then empties this table.",
    {
        "first_sample": "Earliest sample time of the span (UTC).",
        "last_sample": "Latest sample time of the span (UTC).",
    },
)

BUILD_STATE = Table(
    "build_state",
    {
        "model": "varchar not null",
        "fingerprint": "varchar not null",
        "load_id": "bigint not null",
        "live_periods": "bigint not null",
        "built_at": "timestamp not null",
    },
    "What each incremental table (allocated_costs) was last built from: one row per load, with the "
    "fingerprint of the models and settings. A build compares it with loads to rebuild only what changed.",
    {
        "model": "The incremental table.",
        "fingerprint": "SHA-256 of every model, seed, macro and attribution setting at that build; a change rebuilds the table whole.",
        "load_id": "A load the table holds the rows of.",
        "live_periods": "How many of that load's periods were current (not replaced) at that build.",
        "built_at": "When that build ran (UTC).",
    },
)

# The finops.toml settings the models read, rewritten by every build (finops/models/settings.py).
ATTRIBUTION_TAG_KEYS = Table(
    "attribution_tag_keys",
    {"dimension": "VARCHAR", "tag_key": "VARCHAR", "priority": "INTEGER"},
    "Tag keys that name a team or a project (dimension), in priority order; from [attribution.tags] of finops.toml or the defaults.",
)
ATTRIBUTION_WORKLOAD_KEYS = Table(
    "attribution_workload_keys",
    {"workload_type": "VARCHAR", "tag_key": "VARCHAR", "priority": "INTEGER"},
    "Tag keys that name a workload of a type (training, inference, ...), in priority order; from [attribution.workloads].",
)
ATTRIBUTION_SHARED_COSTS = Table(
    "attribution_shared_costs",
    {"charge_kind": "VARCHAR", "split": "BOOLEAN"},
    "Which shared costs (support, tax, untagged_networking) are split across teams in proportion to their direct spend; from [attribution.shared_costs].",
)
IDLE_SETTINGS = Table(
    "idle_settings",
    {"gpu_utilization_below": "DOUBLE", "endpoint_invocations_per_day_at_most": "BIGINT"},
    "The idle-GPU thresholds in force, from [idle] of finops.toml or the defaults: an hour is idle when mean utilisation per GPU is below "
        "gpu_utilization_below percent (5), or when its endpoint had at most endpoint_invocations_per_day_at_most invocations that day (0).",
)
SAVINGS_SETTINGS = Table(
    "savings_settings",
    {"interruptible_endpoints": "BOOLEAN", "commitment_lookback_days": "INTEGER", "rightsizing_days": "INTEGER",
     "rightsizing_peak_memory_below": "DOUBLE", "rightsizing_peak_utilization_below": "DOUBLE",
     "endpoint_zero_traffic_hours": "INTEGER", "cold_storage_days": "INTEGER"},
    "The savings settings in force, from [savings] of finops.toml or the defaults: whether real-time endpoints count as spot candidates "
        "(interruptible_endpoints, false) the longest commitment look-back savings_opportunities shows (commitment_lookback_days, 60), and the "
        "rightsizing, endpoint and cold-storage thresholds (rightsizing_days 14, rightsizing_peak_memory_below 20, rightsizing_peak_utilization_below "
        "40, endpoint_zero_traffic_hours 4, cold_storage_days 60).",
)

# `finops refresh` (finops/ops/refresh.py) creates it before its first email
SENT_REPORTS = Table(
    "sent_reports",
    {
        "week": "varchar primary key",
        "sent_at": "timestamp",
        "recipients": "varchar[] not null",
        "subject": "varchar not null",
        "status": "varchar default 'sent'",  # a sent_reports made before the status column: its rows were all sent
        "message_id": "varchar",
        "attempted_at": "timestamp",
        "refused": "varchar[]",
    },
    "One row per weekly report emailed by `finops refresh`, so each week is sent once.",
    {
        "week": "ISO week of the report, e.g. 2026-W44.",
        "sent_at": "When the server accepted it (UTC); null while status is sending.",
        "recipients": "Addresses it went to.",
        "subject": "The email's subject line.",
        "status": "sending: recorded before the send and not confirmed since (it may or may not have "
        "arrived; `finops refresh --resend-unconfirmed` sends it again); sent: the server accepted it for "
        "every recipient; partly sent: it accepted it for some and refused those in refused (never sent again, "
        "so the others get no second copy).",
        "message_id": "The email's Message-ID header, the same on a resend.",
        "attempted_at": "When the last send of it began (UTC).",
        "refused": "The recipients the server refused at RCPT, who never got it; empty when it accepted every "
        "one, null on rows recorded before this column existed.",
    },
    upgrade=("alter table sent_reports alter column sent_at drop not null",),
)

# the monthly budgets of finops.toml [budgets], rewritten by every build (finops/models/settings.py)
BUDGET_SETTINGS = Table(
    "budget_settings",
    {"dimension": "VARCHAR", "name": "VARCHAR", "amount": "DECIMAL(38, 10)", "currency": "VARCHAR"},
    "The monthly budgets in force, from [budgets] of finops.toml (none by default); the budgets mart compares spend with them.",
    {
        "dimension": "What the budget covers: total, team, workload_type, provider or account.",
        "name": "The team, workload type, provider or account it is for (total: total).",
        "amount": "The monthly budget.",
        "currency": "Its currency; null: the bill's own currency.",
    },
)

# `finops refresh` (finops/ops/alerts.py) records each alert it posted, so an event is posted once
ALERTS_SENT = Table(
    "alerts_sent",
    {
        "event": "varchar not null",
        "webhook": "varchar not null",
        "message": "varchar not null",
        "sent_at": "timestamp not null",
    },
    "One row per alert `finops refresh` posted to a webhook of [alerts], so each event reaches each webhook once.",
    {
        "event": "What happened, as a stable key: budget:<month>:<dimension>:<name>:<status>, anomaly:<day>:<dimension>:<name> "
        "or stale:<provider>:<billing account>:<data end>.",
        "webhook": "The webhook's kind and the environment variable holding its URL (never the URL).",
        "message": "The text posted.",
        "sent_at": "When the webhook accepted it (UTC).",
    },
)

# created whenever the warehouse is opened for writing: what ingestion writes and the models read
WAREHOUSE_TABLES = (LOADS, RAW_AWS_CUR, RAW_FOCUS, RAW_GCP_BILLING, GPU_METRICS, REFRESHED_PRICES, GPU_METRICS_CHANGES)
SETTINGS_TABLES = (ATTRIBUTION_TAG_KEYS, ATTRIBUTION_WORKLOAD_KEYS, ATTRIBUTION_SHARED_COSTS, IDLE_SETTINGS, SAVINGS_SETTINGS,
                   BUDGET_SETTINGS)
TABLES = {table.name: table for table in (*WAREHOUSE_TABLES, BUILD_STATE, *SETTINGS_TABLES, SENT_REPORTS, ALERTS_SENT)}
