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
from finops.warehouse.columns.focus import CONTRACT_COMMITMENT_COLUMNS, FOCUS_1_3_COLUMNS, FOCUS_COLUMNS
from finops.warehouse.columns.gcp import RAW_GCP_COLUMNS, column_doc
from finops.warehouse.columns.metrics import GPU_METRICS_COLUMNS, LLM_SERVING_COLUMNS
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
        "source_total_of": "varchar",
        "currency": "varchar",
        "files": "varchar[]",
        "replaced_by": "bigint",
        "data_through": "timestamp",
        "delivered_at": "timestamp",
        "forced": "boolean default false",
        "landing_table": "varchar",
    },
    "One row per delivery loaded: source, billing period, assembly id or file "
    "fingerprint, rows and the source file's own total. replaced_by names the load that "
    "superseded it (a restatement).",
    {
        "landing_table": "The table the delivery's rows went to (raw_aws_cur, raw_focus, ...). A delivery replaces only "
            "loads of its own table: a FOCUS copy of a CUR never replaces the CUR, the models choose between them.",
        "data_through": "The delivery's own evidence of how recent it is, first part: the latest time its rows of this period "
            "reach (CUR lineItem/UsageEndDate, FOCUS ChargePeriodEnd, GCP export_time). Null in loads an older finops made.",
        "delivered_at": "The evidence's second part, deciding between equal data_through: when the delivery was written (the newest "
            "S3 LastModified, Cloud Storage update time or file modification time of its manifest and files).",
        "forced": "True when `finops ingest --force` loaded this delivery although the loaded one's evidence was newer.",
        "source_total_of": "What source_total adds up, in the source's own fields: `lineItem/UnblendedCost` (AWS CUR), "
            "`BilledCost` (FOCUS), `cost + credits` (GCP: the invoice's amount, promotions included), "
            "`ContractCommitmentCost` (FOCUS Contract Commitment). `cost` in GCP loads an older finops replaced.",
    },
    # loads an older finops made name their table by their shape
    upgrade=("update loads set landing_table = case when shape in ('focus', 'aws-focus') then 'raw_focus' "
             "when shape = 'gcp-export' then 'raw_gcp_billing' else 'raw_aws_cur' end where landing_table is null",),
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
    {**FOCUS_COLUMNS, "x_ExtraColumns": _TAG_MAP, **_LOAD_COLUMNS, **FOCUS_1_3_COLUMNS, "x_FocusVersion": "VARCHAR"},
    "Rows of FOCUS files (1.0 to 1.4) loaded with `finops ingest focus` (any provider), one copy "
    "per provider, billing account and billing period. A 1.4 file has no ProviderName or PublisherName: "
    "they are filled from its ServiceProviderName.",
    {"x_FocusVersion": "The FOCUS version the file's columns say it is: 1.0, 1.1, 1.2, 1.3 or 1.4."},
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
        "landed_rows": "bigint",
    },
    "What each incremental table (allocated_costs) was last built from: one row per load, with the "
    "fingerprint of the models and settings. A build compares it with loads and the landing tables' rows "
    "to rebuild only what changed.",
    {
        "model": "The incremental table.",
        "fingerprint": "SHA-256 of every model, seed, macro and attribution setting at that build; a change rebuilds the table whole.",
        "load_id": "A load the table holds the rows of.",
        "live_periods": "How many of that load's periods were current (not replaced) at that build.",
        "built_at": "When that build ran (UTC).",
        "landed_rows": "How many rows that load had in the landing tables at that build (null: built by an older finops).",
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
FX_RATES = Table(
    "fx_rates",
    {"month": "DATE", "currency": "VARCHAR", "presentation_currency": "VARCHAR", "rate": "DECIMAL(38, 10)", "source": "VARCHAR"},
    "Monthly exchange rates in force, from [currency] of finops.toml (inline or its rates_file): one unit of currency is worth rate units "
        "of presentation_currency in that month. The weekly report converts its totals with them; empty without a [currency] section.",
    {
        "month": "First day of the month the rate applies to.",
        "currency": "The bill's currency (ISO 4217), e.g. EUR.",
        "presentation_currency": "The currency the report presents, [currency] presentation.",
        "rate": "Units of presentation_currency per unit of currency.",
        "source": "Where the rate came from: finops.toml or its rates file.",
    },
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

RAW_FOCUS_CONTRACT_COMMITMENTS = Table(
    "raw_focus_contract_commitments",
    {**CONTRACT_COMMITMENT_COLUMNS, "x_ExtraColumns": _TAG_MAP, **_LOAD_COLUMNS},
    "Rows of FOCUS Contract Commitment files (FOCUS 1.3 and later) loaded with `finops ingest focus`: one row "
    "per commitment and commitment period, as delivered; a file loaded again replaces the commitment periods it restates.",
)

# [models] of finops.toml (finops/config/models_section.py), rewritten by every build beside the other settings
MODEL_PATTERNS_SETTINGS = Table(
    "model_patterns_settings",
    {"dimension": "VARCHAR", "provider": "VARCHAR", "pattern": "VARCHAR", "model": "VARCHAR", "model_family": "VARCHAR",
     "token_kind": "VARCHAR", "modality": "VARCHAR", "unit": "VARCHAR", "tokens_per_unit": "BIGINT", "pricing_mode": "VARCHAR"},
    "Patterns naming generative-AI models, token kinds and pricing modes added by [models] of finops.toml, in the columns of the "
    "model_usage_patterns seed; they win over the seed's.",
    {
        "pattern": "SQL LIKE pattern over the lower-cased usage type, SKU, service name and description.",
        "model": "Normalised model name ([[models.patterns]]).",
        "model_family": "Model family ([[models.patterns]]).",
        "token_kind": "input, output, cache_read, cache_write, provisioned, training or storage ([[models.token_kinds]]).",
        "modality": "text, image, audio or video ([[models.token_kinds]]).",
        "unit": "Unit of the quantity: tokens, characters, ... ([[models.token_kinds]]).",
        "tokens_per_unit": "Tokens per unit of ConsumedQuantity when the price does not say 1K or 1M ([[models.token_kinds]]).",
        "pricing_mode": "on_demand, batch or provisioned ([[models.pricing_modes]], or implied by a token kind).",
    },
)

# `finops ingest metrics` of a vLLM, TGI or Triton scrape (finops/connectors/llm_metrics.py)
LLM_SERVING_METRICS = Table(
    "llm_serving_metrics",
    LLM_SERVING_COLUMNS,
    "Token and request counters of self-hosted LLM servers (vLLM, TGI, Triton scrapes loaded with `finops ingest metrics`), "
    "cumulative as scraped: one row per resource, model, counter and scrape time; a file loaded again replaces its rows. "
    "The endpoints mart takes the increase between scrapes.",
    {
        "resource_id": "The endpoint or instance that served them (--resource, else the file name); matched to the endpoint name or the bill's ResourceId.",
        "model": "The model served (vLLM model_name, TGI model_id, Triton model label); empty when the scrape does not say.",
        "sampled_at": "Scrape time, UTC (the sample's timestamp, else the file's modification time).",
        "counter": "prompt_tokens (vllm:prompt_tokens_total, tgi_request_input_length_sum), generation_tokens "
            "(vllm:generation_tokens_total, tgi_request_generated_tokens_sum) or requests (vllm:request_success_total, "
            "tgi_request_success, nv_inference_request_success).",
        "value": "The counter's value since the server started (summed over the scrape's other labels).",
        "source": "vllm, tgi or triton.",
        "source_file": "The file the counters were loaded from (loading it again replaces them).",
    },
)

# every build records it (finops/models/drift.py); `finops check` recomputes a sample of it from scratch
BUILD_CHECKSUMS = Table(
    "build_checksums",
    {
        "provider": "varchar",
        "billing_account_id": "varchar",
        "billing_period_start": "timestamp",
        "currency": "varchar",
        "row_count": "bigint not null",
        "effective_cost": f"{MONEY}",
        "billed_cost": f"{MONEY}",
        "built_at": "timestamp not null",
    },
    "What the last build left in allocated_costs, per provider, billing account, billing period and "
    "currency: rows and cost sums, which `finops check` (drift) compares with a fresh computation.",
    {
        "provider": "ProviderName of the rows.",
        "billing_account_id": "BillingAccountId of the rows.",
        "billing_period_start": "BillingPeriodStart of the rows.",
        "currency": "BillingCurrency of the rows; sums are never across currencies.",
        "row_count": "Rows of allocated_costs at that build.",
        "effective_cost": "Sum of their EffectiveCost.",
        "billed_cost": "Sum of their BilledCost.",
        "built_at": "When that build ran (UTC).",
    },
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
WAREHOUSE_TABLES = (
    LOADS, RAW_AWS_CUR, RAW_FOCUS, RAW_GCP_BILLING, GPU_METRICS, REFRESHED_PRICES, GPU_METRICS_CHANGES,
    RAW_FOCUS_CONTRACT_COMMITMENTS, LLM_SERVING_METRICS,
)
SETTINGS_TABLES = (ATTRIBUTION_TAG_KEYS, ATTRIBUTION_WORKLOAD_KEYS, ATTRIBUTION_SHARED_COSTS, IDLE_SETTINGS, SAVINGS_SETTINGS,
                   MODEL_PATTERNS_SETTINGS, FX_RATES, BUDGET_SETTINGS)
TABLES = {table.name: table for table in (*WAREHOUSE_TABLES, BUILD_STATE, BUILD_CHECKSUMS, *SETTINGS_TABLES, SENT_REPORTS,
                                          ALERTS_SENT)}
