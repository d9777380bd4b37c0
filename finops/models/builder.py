"""Building the models: every relation in dependency order, incremental tables by changed load.

An incremental table is rebuilt only for the loads that changed since the last build, so a refresh
costs what changed, not the size of the warehouse (see :func:`build`); ``build_state`` remembers
what each was last built from. ``sql/macros.sql`` holds the few DuckDB-specific helpers the models
call; the finops.toml settings become tables first (finops/models/settings.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb

from finops.config import Config
from finops.errors import FinopsError
from finops.models.docs import document
from finops.models.project import Model, load_models
from finops.models.settings import write_settings
from finops.resources import resource_dir
from finops.warehouse.catalog import exists, tables_with_column
from finops.warehouse.schema import BUILD_STATE, GPU_METRICS, create_table
from finops.warehouse.sql import first_line, sql_identifier, sql_literal

# the current state of every load: a load's periods only ever leave (replaced by a newer load)
LIVE_LOADS = "select load_id, count(*) as live_periods from loads where replaced_by is null group by load_id"


def build(
    con: duckdb.DuckDBPyConnection, models: list[Model] | None = None, *, config: Config | None = None,
    full_refresh: bool = False,
) -> list[Model]:
    """Create or replace every relation. Run inside the caller's transaction when there is one.

    Incremental tables keep their rows and replace only those of loads that changed since they were
    last built (and idle_gpu the hours new GPU metrics fall in); any change to the models, seeds,
    macros, attribution or idle settings (or ``full_refresh``) rebuilds them whole, since it can
    change every row. ``config`` holds the settings the models read (defaults without one)."""
    config = config or Config()
    models = models or load_models()
    macros = _macros()
    con.execute(macros)
    write_settings(con, config.attribution, config.idle, config.savings, config.budgets)
    create_table(con, BUILD_STATE)
    fingerprint = _fingerprint(models, macros, config)
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


def needs_build(con: duckdb.DuckDBPyConnection, config: Config | None = None) -> bool:
    """True when a build would change something: loads arrived or were restated since the last
    complete build (say one that failed), or the models or attribution rules changed."""
    models = load_models()
    fingerprint = _fingerprint(models, _macros(), config or Config())
    incremental = [m.name for m in models if m.materialized == "incremental"]
    if not exists(con, BUILD_STATE.name):
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
    if not exists(con, BUILD_STATE.name):
        return None
    return con.execute("select max(built_at) from build_state").fetchone()[0]


def _macros() -> str:
    return (resource_dir("sql") / "macros.sql").read_text(encoding="utf-8")


def _drop_other_kind(con: duckdb.DuckDBPyConnection, name: str, kind: str) -> None:
    """A model that changed from table to view (or back) in a new release replaces the old relation."""
    other = "view" if kind == "table" else "table"
    if exists(con, name, other):
        con.execute(f"drop {other} {name}")


def _fingerprint(models: list[Model], macros: str, config: Config) -> str:
    """Everything besides the loads (and metrics) that decides a row of an incremental table: the
    SQL, and the attribution and idle settings (no incremental table reads the savings settings)."""
    digest = hashlib.sha256(macros.encode() + repr((config.attribution, config.idle)).encode())
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
    if GPU_METRICS.name not in model.reads:
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
    keys = dict.fromkeys(tables_with_column(con, "x_load_id"), "x_load_id") | upstream
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
