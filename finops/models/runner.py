"""The model runner: turns the SQL files under ``sql/`` into views and tables, in dependency order.

Each model is one file ``sql/<layer>/<name>.sql`` holding one SELECT, with ``<name>.toml`` beside it:
its description, how it is materialised (``view``, ``table`` or ``incremental``), column docs and data
tests. An incremental table is rebuilt only for the loads that changed since the last build, so a
refresh costs what changed, not the size of the warehouse (see :func:`build`). Seeds
are CSV files under ``sql/seeds/`` loaded as tables; ``sql/macros.sql`` holds the few
DuckDB-specific helpers; the attribution settings of finops.toml become ``attribution_*`` tables.
Descriptions become ``COMMENT ON`` so anyone opening the DuckDB file sees them: a column takes its
model's doc, else the glossary's (``sql/columns.toml``), so a column means the same everywhere.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from finops.config.file import Attribution, Idle, Savings, load_attribution, load_idle, load_savings
from finops.errors import FinopsError
from finops.warehouse.columns.metrics import GPU_METRICS_CHANGES_COMMENT, GPU_METRICS_CHANGES_DOCS, GPU_METRICS_COMMENT, GPU_METRICS_DOCS
from finops.resources import resource_dir
from finops.warehouse.connection import first_line, sql_identifier, sql_literal

LAYERS = ("staging", "intermediate", "marts")


@dataclass
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    description: str = ""
    materialized: str = "view"
    incremental_key: str = ""
    engine_materialized: str = ""
    """On Spark and BigQuery: "view" keeps a mart a view there too (default: marts are tables)."""
    columns: dict[str, str] = field(default_factory=dict)
    tests: dict = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)


def load_models(sql_dir: Path | None = None) -> list[Model]:
    """Read every model and seed, ordered so each comes after what it selects from."""
    sql_dir = sql_dir or resource_dir("sql")
    models: dict[str, Model] = {}
    for seed in sorted((sql_dir / "seeds").glob("*.csv")):
        model = Model(seed.stem, "seeds", seed, "", materialized="seed")
        _read_docs(model, seed.with_suffix(".toml"))
        models[model.name] = model
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            model = Model(path.stem, layer, path, path.read_text(encoding="utf-8").strip().rstrip(";"))
            _read_docs(model, path.with_suffix(".toml"))
            models[model.name] = model
    for model in models.values():
        text = _strip_comments(model.sql)
        model.depends_on = [
            other for other in models if other != model.name and re.search(rf"\b{re.escape(other)}\b", text)
        ]
    return _topological(models)


def _read_docs(model: Model, path: Path) -> None:
    if not path.exists():
        return
    docs = tomllib.loads(path.read_text(encoding="utf-8"))
    model.description = docs.get("description", "")
    model.materialized = docs.get("materialized", model.materialized)
    model.incremental_key = docs.get("incremental_key", "")
    model.engine_materialized = docs.get("engine_materialized", "")
    model.columns = docs.get("columns", {})
    model.tests = docs.get("tests", {})


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _topological(models: dict[str, Model]) -> list[Model]:
    ordered: list[Model] = []
    state: dict[str, str] = {}

    def visit(name: str) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise FinopsError(f"sql/: models depend on each other in a cycle through {name}")
        state[name] = "visiting"
        for dep in models[name].depends_on:
            visit(dep)
        state[name] = "done"
        ordered.append(models[name])

    for name in models:
        visit(name)
    return ordered


def build(
    con: duckdb.DuckDBPyConnection, models: list[Model] | None = None, attribution: Attribution | None = None,
    idle: Idle | None = None, *, savings: Savings | None = None, full_refresh: bool = False,
) -> list[Model]:
    """Create or replace every relation. Run inside the caller's transaction when there is one.

    Incremental tables keep their rows and replace only those of loads that changed since they were
    last built (and idle_gpu the hours new GPU metrics fall in); any change to the models, seeds,
    macros, attribution or idle settings (or ``full_refresh``) rebuilds them whole, since it can
    change every row."""
    models = models or load_models()
    sql_dir = resource_dir("sql")
    macros = (sql_dir / "macros.sql").read_text(encoding="utf-8")
    con.execute(macros)
    attribution = attribution or load_attribution()
    write_attribution_tables(con, attribution)
    idle = idle or load_idle()
    write_idle_settings(con, idle)
    write_savings_settings(con, savings or load_savings())
    con.execute(BUILD_STATE_DDL)
    fingerprint = _fingerprint(models, macros, (attribution, idle))
    incremental: dict[str, str] = {}  # incremental tables built so far, by their key column
    for model in models:
        try:
            if model.materialized == "seed":
                con.execute(
                    f"create or replace table {model.name} as select * from "
                    f"read_csv({sql_literal(str(model.path))}, header = true)"
                )
            elif model.materialized == "incremental":
                _build_incremental(con, model, fingerprint, incremental, full_refresh=full_refresh)
                incremental[model.name] = model.incremental_key
            else:
                kind = "table" if model.materialized == "table" else "view"
                _drop_other_kind(con, model.name, kind)
                con.execute(f"create or replace {kind} {model.name} as\n{model.sql}")
        except duckdb.Error as exc:
            raise FinopsError(f"{model.path}: model {model.name} failed: {first_line(exc)}") from None
    con.execute("delete from gpu_metrics_changes")  # idle_gpu has taken them in
    document(con, models)
    return models


def _drop_other_kind(con: duckdb.DuckDBPyConnection, name: str, kind: str) -> None:
    """A model that changed from table to view (or back) in a new release replaces the old relation."""
    other = "view" if kind == "table" else "table"
    if exists(con, name, other):
        con.execute(f"drop {other} {name}")


BUILD_STATE_DDL = """
create table if not exists build_state (
    model        varchar not null,
    fingerprint  varchar not null,
    load_id      bigint not null,
    live_periods bigint not null,
    built_at     timestamp not null
)
"""

BUILD_STATE_COMMENT = (
    "What each incremental table (allocated_costs) was last built from: one row per load, with the "
    "fingerprint of the models and settings. A build compares it with loads to rebuild only what changed."
)
BUILD_STATE_DOCS = {
    "model": "The incremental table.",
    "fingerprint": "SHA-256 of every model, seed, macro and attribution setting at that build; a change rebuilds the table whole.",
    "load_id": "A load the table holds the rows of.",
    "live_periods": "How many of that load's periods were current (not replaced) at that build.",
    "built_at": "When that build ran (UTC).",
}

# the current state of every load: a load's periods only ever leave (replaced by a newer load)
LIVE_LOADS = "select load_id, count(*) as live_periods from loads where replaced_by is null group by load_id"


def _fingerprint(models: list[Model], macros: str, settings: tuple[Attribution, Idle]) -> str:
    """Everything besides the loads (and metrics) that decides a row of an incremental table."""
    digest = hashlib.sha256(macros.encode() + repr(settings).encode())
    for model in models:
        text = model.path.read_bytes() if model.materialized == "seed" else model.sql.encode()
        digest.update(f"\0{model.name}\0{model.materialized}\0".encode() + text)
    return digest.hexdigest()


def _changed_loads(con: duckdb.DuckDBPyConnection, model: str) -> list[int]:
    """Loads that are new, or lost a period to a restatement, since ``model`` was last built, and
    every current load of the same accounts and periods: models compare loads of one period (a
    period both in a CUR and a FOCUS export is taken from the CUR only), so a period is rebuilt whole."""
    return [
        load_id
        for (load_id,) in con.execute(
            f"""
            with changed as (
                select coalesce(live.load_id, built.load_id) as load_id
                from ({LIVE_LOADS}) as live
                full join (select load_id, live_periods from build_state where model = ?) as built
                    on live.load_id = built.load_id
                where live.live_periods is distinct from built.live_periods
            ),
            periods as (
                select distinct billing_account_id, billing_period_start
                from loads where load_id in (select load_id from changed)
            )
            select load_id from changed
            union
            select loads.load_id
            from loads
            join periods
                on periods.billing_account_id = loads.billing_account_id
               and periods.billing_period_start = loads.billing_period_start
            where loads.replaced_by is null
            order by 1
            """,
            [model],
        ).fetchall()
    ]


def _loads_with_new_metrics(con: duckdb.DuckDBPyConnection, model: Model) -> list[int]:
    """Current loads whose period overlaps GPU metrics loaded since the last build, for a model
    that reads gpu_metrics (idle_gpu): their hours may now be measured differently."""
    if not re.search(r"\bgpu_metrics\b", _strip_comments(model.sql)):
        return []
    return [
        load_id
        for (load_id,) in con.execute(
            """
            select load_id from loads
            where replaced_by is null and exists (
                select 1 from gpu_metrics_changes
                where gpu_metrics_changes.last_sample >= loads.billing_period_start
                  and (loads.billing_period_end is null or gpu_metrics_changes.first_sample < loads.billing_period_end)
            )
            """
        ).fetchall()
    ]


def needs_build(con: duckdb.DuckDBPyConnection) -> bool:
    """True when a build would change something: loads arrived or were restated since the last
    complete build (say one that failed), or the models or attribution rules changed."""
    models = load_models()
    macros = (resource_dir("sql") / "macros.sql").read_text(encoding="utf-8")
    fingerprint = _fingerprint(models, macros, (load_attribution(), load_idle()))
    incremental = [m.name for m in models if m.materialized == "incremental"]
    if not exists(con, "build_state"):
        return True
    built = con.execute("select model, fingerprint from build_state group by all").fetchall()
    # a warehouse without loads has no build_state rows: it needs a build only if never built
    if not built:
        return not all(exists(con, name) for name in incremental)
    return (
        sorted(built) != sorted((name, fingerprint) for name in incremental)
        or any(_changed_loads(con, name) for name in incremental)
        or bool(con.execute("select count(*) from gpu_metrics_changes").fetchone()[0])
    )


def last_built_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the models were last built from loaded data (None before the first such build)."""
    if not exists(con, "build_state"):
        return None
    return con.execute("select max(built_at) from build_state").fetchone()[0]


def exists(con: duckdb.DuckDBPyConnection, name: str, kind: str = "table") -> bool:
    """Whether the warehouse has a table (or ``kind`` view) ``name``."""
    catalog = "duckdb_views() where not internal and view_name" if kind == "view" else "duckdb_tables() where table_name"
    return bool(con.execute(f"select count(*) from {catalog} = ? and schema_name = 'main'", [name]).fetchone()[0])


def _build_incremental(con: duckdb.DuckDBPyConnection, model: Model, fingerprint: str, upstream: dict[str, str], *,
                       full_refresh: bool) -> None:
    """Replace the rows of changed loads, or everything when anything else changed."""
    key = sql_identifier(model.incremental_key)
    built = con.execute("select distinct fingerprint from build_state where model = ?", [model.name]).fetchall()
    if full_refresh or not exists(con, model.name) or built != [(fingerprint,)]:
        _drop_other_kind(con, model.name, "table")
        con.execute(f"create or replace table {model.name} as\n{model.sql}")
    elif changed := sorted(set(_changed_loads(con, model.name)) | set(_loads_with_new_metrics(con, model))):
        loads = ", ".join(str(int(load_id)) for load_id in changed)
        con.execute(f"delete from {model.name} where {key} in ({loads})")
        with _scoped_to(con, loads, upstream):
            con.execute(f"insert into {model.name}\n{model.sql}")
    con.execute("delete from build_state where model = ?", [model.name])
    con.execute(
        f"insert into build_state select ?, ?, load_id, live_periods, now()::timestamp from ({LIVE_LOADS})",
        [model.name, fingerprint],
    )


@contextmanager
def _scoped_to(con: duckdb.DuckDBPyConnection, loads: str, upstream: dict[str, str]) -> Iterator[None]:
    """Let the models see only the rows of ``loads`` in every landing table and in ``upstream``.

    ``upstream`` maps the incremental tables built before this one to their key columns. Temporary
    views shadow these tables' names for the models' views (DuckDB's search path puts temp first),
    so the unchanged SQL computes just the changed loads: no per-engine copy of a model, and no
    reliance on the optimiser pushing a filter through every CTE and join."""
    database = sql_identifier(con.execute("select current_database()").fetchone()[0])
    keys = dict(
        con.execute(
            "select table_name, 'x_load_id' from duckdb_columns() where schema_name = 'main' and column_name = 'x_load_id' "
            "and table_name in (select table_name from duckdb_tables() where schema_name = 'main')"
        ).fetchall()
    ) | upstream
    for table, key in keys.items():
        con.execute(
            f"create temp view {table} as select * from {database}.main.{table} "
            f"where {sql_identifier(key)} in ({loads})"
        )
    try:
        yield
    finally:
        for table in keys:
            con.execute(f"drop view if exists temp.main.{table}")


ATTRIBUTION_TABLES = {
    "attribution_tag_keys": "Tag keys that name a team or a project (dimension), in priority order; from [attribution.tags] of finops.toml or the defaults.",
    "attribution_workload_keys": "Tag keys that name a workload of a type (training, inference, ...), in priority order; from [attribution.workloads].",
    "attribution_shared_costs": "Which shared costs (support, tax, untagged_networking) are split across teams in proportion to their direct spend; from [attribution.shared_costs].",
    "idle_settings": "The idle-GPU thresholds in force, from [idle] of finops.toml or the defaults: an hour is idle when mean utilisation per GPU is below gpu_utilization_below percent (5), or when its endpoint had at most endpoint_invocations_per_day_at_most invocations that day (0).",
    "savings_settings": "The savings settings in force, from [savings] of finops.toml or the defaults: whether real-time endpoints count as spot candidates (interruptible_endpoints, false) the longest commitment look-back savings_opportunities shows (commitment_lookback_days, 60), and the rightsizing, endpoint and cold-storage thresholds (rightsizing_days 14, rightsizing_peak_memory_below 20, rightsizing_peak_utilization_below 40, endpoint_zero_traffic_hours 4, cold_storage_days 60).",
}


def write_attribution_tables(con: duckdb.DuckDBPyConnection, attribution: Attribution) -> None:
    """The settings as tables, so models stay plain SQL and anyone can see the rules in force."""
    con.execute("create or replace table attribution_tag_keys (dimension varchar, tag_key varchar, priority integer)")
    con.execute("create or replace table attribution_workload_keys (workload_type varchar, tag_key varchar, priority integer)")
    con.execute("create or replace table attribution_shared_costs (charge_kind varchar, split boolean)")
    for table, groups in (("attribution_tag_keys", attribution.tags), ("attribution_workload_keys", attribution.workloads)):
        rows = []
        for group, keys in groups.items():
            seen: list[str] = []
            for key in (k.lower() for k in keys):
                if key not in seen:
                    seen.append(key)
            rows += [(group, key, i + 1) for i, key in enumerate(seen)]
        if rows:
            con.executemany(f"insert into {table} values (?, ?, ?)", rows)
    con.executemany("insert into attribution_shared_costs values (?, ?)", list(attribution.shared_costs.items()))


def write_idle_settings(con: duckdb.DuckDBPyConnection, idle: Idle) -> None:
    """One row, so the idle_gpu marts read the threshold in force from SQL."""
    con.execute(
        "create or replace table idle_settings as select ?::double as gpu_utilization_below, "
        "?::bigint as endpoint_invocations_per_day_at_most",
        [idle.gpu_utilization_below, idle.endpoint_invocations_per_day_at_most],
    )


def write_savings_settings(con: duckdb.DuckDBPyConnection, savings: Savings) -> None:
    """One row, so the savings marts read the settings in force from SQL."""
    con.execute(
        "create or replace table savings_settings as select ?::boolean as interruptible_endpoints, "
        "?::integer as commitment_lookback_days, ?::integer as rightsizing_days, "
        "?::double as rightsizing_peak_memory_below, ?::double as rightsizing_peak_utilization_below, "
        "?::integer as endpoint_zero_traffic_hours, ?::integer as cold_storage_days",
        [savings.interruptible_endpoints, savings.commitment_lookback_days, savings.rightsizing_days,
         savings.rightsizing_peak_memory_below, savings.rightsizing_peak_utilization_below,
         savings.endpoint_zero_traffic_hours, savings.cold_storage_days],
    )


def document(con: duckdb.DuckDBPyConnection, models: list[Model]) -> None:
    """COMMENT ON every relation and column: model docs first, then the glossary."""
    glossary = tomllib.loads((resource_dir("sql") / "columns.toml").read_text(encoding="utf-8"))
    descriptions = {m.name: (m.description, m.columns) for m in models}
    descriptions.update({name: (text, {}) for name, text in ATTRIBUTION_TABLES.items()})
    descriptions["build_state"] = (BUILD_STATE_COMMENT, BUILD_STATE_DOCS)
    from finops.warehouse.connection import COMMENTS, REFRESHED_PRICES_DOCS

    descriptions.update({name: (text, {}) for name, text in COMMENTS.items()})
    descriptions["gpu_metrics"] = (GPU_METRICS_COMMENT, GPU_METRICS_DOCS)
    descriptions["gpu_metrics_changes"] = (GPU_METRICS_CHANGES_COMMENT, GPU_METRICS_CHANGES_DOCS)
    descriptions["refreshed_prices"] = (COMMENTS["refreshed_prices"], REFRESHED_PRICES_DOCS)
    kinds = dict(
        con.execute(
            "select table_name, 'table' from duckdb_tables() where schema_name = 'main' "
            "union all select view_name, 'view' from duckdb_views() where schema_name = 'main' and not internal"
        ).fetchall()
    )
    for name, (description, columns) in descriptions.items():
        if name not in kinds:
            continue
        kind = kinds[name]
        if description:
            con.execute(f"comment on {kind} {name} is {sql_literal(description)}")
        for (column,) in con.execute(
            "select column_name from duckdb_columns() where table_name = ? and schema_name = 'main'", [name]
        ).fetchall():
            text = columns.get(column) or glossary["columns"].get(column) or _raw_column_doc(name, column)
            if text:
                con.execute(f"comment on column {name}.{sql_identifier(column)} is {sql_literal(text)}")


def _raw_column_doc(relation: str, column: str) -> str | None:
    """raw_aws_cur keeps AWS's own column names; AWS's data dictionary is their documentation."""
    if relation == "raw_aws_cur":
        return f"AWS CUR column {column}, as delivered (legacy CSV headers converted to this CUR 2.0 name)."
    if relation == "raw_gcp_billing":
        from finops.warehouse.columns.gcp import column_doc

        return column_doc(column)
    return None


def run_tests(con: duckdb.DuckDBPyConnection, models: list[Model] | None = None) -> list[str]:
    """Run the data tests declared beside each model; return one line per failure."""
    failures = []
    for model in models or load_models():
        tests = model.tests
        for column in tests.get("not_null", []):
            (n,) = con.execute(f"select count(*) from {model.name} where {sql_identifier(column)} is null").fetchone()
            if n:
                failures.append(f"{model.name}.{column}: {n} null value(s)")
        for column in tests.get("unique", []):
            (n,) = con.execute(
                f"select count(*) from (select {sql_identifier(column)} from {model.name} "
                f"group by 1 having count(*) > 1)"
            ).fetchone()
            if n:
                failures.append(f"{model.name}.{column}: {n} duplicated value(s)")
        for column, allowed in tests.get("accepted_values", {}).items():
            values = ", ".join(sql_literal(v) for v in allowed)
            rows = con.execute(
                f"select distinct {sql_identifier(column)} from {model.name} "
                f"where {sql_identifier(column)} is not null and {sql_identifier(column)} not in ({values})"
            ).fetchall()
            if rows:
                failures.append(f"{model.name}.{column}: unexpected value(s) {', '.join(repr(r[0]) for r in rows)}")
        for text in tests.get("expect_zero_rows", []):
            (n,) = con.execute(f"select count(*) from ({text})").fetchone()
            if n:
                failures.append(f"{model.name}: {n} row(s) break: {text}")
    return failures


def relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(name, kind, description) of every table and view in the warehouse."""
    return con.execute(
        """
        select table_name, lower(table_type), coalesce(comment, '')
        from (
            select table_name, 'table' as table_type, comment from duckdb_tables() where schema_name = 'main'
            union all
            select view_name, 'view', comment from duckdb_views() where schema_name = 'main' and not internal
        )
        order by 1
        """
    ).fetchall()
