"""Building the models: every relation in dependency order, incremental tables by changed load.

An incremental table is rebuilt only for the loads that changed since the last build, so a refresh
costs what changed, not the size of the warehouse (see :func:`build`); ``build_state`` remembers
what each was last built from. ``sql/macros.sql`` holds the few DuckDB-specific helpers the models
call; the finops.toml settings become tables first (finops/models/settings.py).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb

from finops.config import Config
from finops.errors import FinopsError
from finops.models.docs import document
from finops.models.drift import record_checksums
from finops.models.project import Model, load_models
from finops.models.scope import load_state, scoped_to
from finops.models.settings import write_settings
from finops.resources import resource_dir
from finops.warehouse.catalog import exists, relation_kinds
from finops.warehouse.loads import FOCUS_SHAPES
from finops.warehouse.schema import BUILD_STATE, GPU_METRICS, REFRESHED_PRICES, create_table
from finops.warehouse.sql import first_line, sql_identifier, sql_literal


def build(
    con: duckdb.DuckDBPyConnection, models: list[Model] | None = None, *, config: Config | None = None,
    full_refresh: bool = False,
) -> list[Model]:
    """Create or replace every relation (staging and intermediate views and seeds only when the
    fingerprint changed). Run inside the caller's transaction when there is one.

    Incremental tables keep their rows and replace only those of loads that changed since they were
    last built (and idle_gpu the hours new GPU metrics fall in); any change to the models, seeds,
    macros, attribution or idle settings (or ``full_refresh``) rebuilds them whole, since it can
    change every row. ``config`` holds the settings the models read (defaults without one)."""
    config = config or Config()
    models = models or load_models()
    macros = _macros()
    con.execute(macros)
    write_settings(con, config)
    create_table(con, BUILD_STATE)
    fingerprint = _fingerprint(models, macros, config)
    unchanged = set() if full_refresh else _unchanged_views_and_seeds(con, models, fingerprint)
    incremental: dict[str, str] = {}  # incremental tables built so far, by their key column
    for model in models:
        if model.name in unchanged:
            continue
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
    record_checksums(con)
    document(con, models)
    return models


def needs_build(con: duckdb.DuckDBPyConnection, config: Config | None = None) -> bool:
    """True when a build would change something: loads arrived or were restated since the last
    complete build (say one that failed), the models or attribution rules changed, or `finops
    prices refresh` stored prices since (savings_opportunities, a table, prices with them)."""
    models = load_models(dependencies=False)
    fingerprint = project_fingerprint(models, config)
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
        or bool(con.execute(
            f"select count(*) from {REFRESHED_PRICES.name} where refreshed_at > (select max(built_at) from build_state)"
        ).fetchone()[0])
    )


def last_built_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the models were last built from loaded data (None before the first such build)."""
    if not exists(con, BUILD_STATE.name):
        return None
    return con.execute("select max(built_at) from build_state").fetchone()[0]


def project_fingerprint(models: list[Model], config: Config | None = None) -> str:
    """What, besides the landed data, decides the models' rows: their SQL, seeds, macros and
    settings (another engine keeps a table built under the same fingerprint from the same data)."""
    return _fingerprint(models, _macros(), config or Config())


def _macros() -> str:
    return (resource_dir("sql") / "macros.sql").read_text(encoding="utf-8")


def _unchanged_views_and_seeds(con: duckdb.DuckDBPyConnection, models: list[Model], fingerprint: str) -> set[str]:
    """The staging and intermediate views and the seeds a build can leave as they are: all there,
    and the last build ran under this fingerprint (the same SQL, seeds, macros and settings). Kept,
    they keep their comments, and documenting them again (a COMMENT ON per column, 0.5-0.7 ms
    each, over 700 of them) was half a rebuild's time on a small bill. Marts are always rebuilt: `finops build
    --engine spark` may have linked Spark's in their place."""
    recorded = {found for (found,) in con.execute("select distinct fingerprint from build_state").fetchall()}
    if recorded != {fingerprint}:
        return set()
    kinds = relation_kinds(con)
    wanted = {m.name: "table" if m.materialized == "seed" else "view" for m in models
              if m.materialized not in ("incremental", "table") and m.layer != "marts"}
    return {name for name, kind in wanted.items() if kinds.get(name) == kind}


def _drop_other_kind(con: duckdb.DuckDBPyConnection, name: str, kind: str) -> None:
    """A model that changed from table to view (or back) in a new release replaces the old relation."""
    other = "view" if kind == "table" else "table"
    if exists(con, name, other):
        con.execute(f"drop {other} {name}")


def _fingerprint(models: list[Model], macros: str, config: Config) -> str:
    """Everything besides the loads (and metrics) that decides a row of an incremental table: the
    SQL, and the attribution and idle settings (no incremental table reads the savings settings)."""
    digest = hashlib.sha256(macros.encode() + repr((config.attribution, config.idle, config.currency)).encode())
    for model in sorted(models, key=lambda m: m.name):  # by name: the same with or without the build order
        text = model.path.read_bytes() if model.materialized == "seed" else model.sql.encode()
        digest.update(f"\0{model.name}\0{model.materialized}\0".encode() + text)
    return digest.hexdigest()


def _changed_loads(con: duckdb.DuckDBPyConnection, model: str) -> list[int]:
    """Loads that are new, lost a period to a restatement, or gained or lost rows in a landing
    table since ``model`` was last built, and every load with rows that shares a period with them
    (replaced in ``loads`` or not), and so on until no more are added: models compare loads of one
    period (a period both in a native export and a FOCUS copy is taken from the native export only;
    a FOCUS load matches by month, as GCP's days do), so every period a rebuild touches is rebuilt
    whole, including the other periods of a FOCUS file that spans several."""
    state = load_state(con)
    changed = {
        load_id
        for (load_id,) in con.execute(
            f"""
            with state as ({state})
            select coalesce(state.load_id, built.load_id)
            from state
            full join (select load_id, live_periods, landed_rows from build_state where model = ?) as built
                on state.load_id = built.load_id
            where (state.live_periods, state.landed_rows) is distinct from (built.live_periods, built.landed_rows)
            """,
            [model],
        ).fetchall()
    }
    while changed:
        sharing = {load_id for (load_id,) in con.execute(_SHARING_PERIODS.format(state=state, loads=_id_list(changed))).fetchall()}
        if sharing <= changed:
            break
        changed |= sharing
    return sorted(changed)


def _id_list(load_ids: set[int]) -> str:
    return ", ".join(str(int(load_id)) for load_id in sorted(load_ids))


# loads with rows whose account and period (a FOCUS load: month) meet those of the given loads
_SHARING_PERIODS = f"""
    with state as ({{state}}),
    periods as (
        select distinct billing_account_id, billing_period_start, shape in {FOCUS_SHAPES!r} as focus
        from loads where load_id in ({{loads}})
    )
    select distinct loads.load_id
    from loads
    join periods
        on periods.billing_account_id = loads.billing_account_id
       and (periods.billing_period_start = loads.billing_period_start
            or (periods.focus or loads.shape in {FOCUS_SHAPES!r})
               and date_trunc('month', periods.billing_period_start) = date_trunc('month', loads.billing_period_start))
    where loads.load_id in (select load_id from state)
"""


def _loads_with_new_metrics(con: duckdb.DuckDBPyConnection, model: Model) -> list[int]:
    """Loads with rows whose period overlaps GPU metrics loaded since the last build, for a model
    that reads gpu_metrics (idle_gpu): their hours may now be measured differently."""
    if GPU_METRICS.name not in model.reads:
        return []
    return [
        load_id
        for (load_id,) in con.execute(
            f"""
            select distinct load_id from loads
            where load_id in (select load_id from ({load_state(con)}) where landed_rows > 0) and exists (
                select 1 from gpu_metrics_changes
                where gpu_metrics_changes.last_sample >= loads.billing_period_start
                  and (loads.billing_period_end is null or gpu_metrics_changes.first_sample < loads.billing_period_end)
            )
            order by 1
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
        with scoped_to(con, loads, upstream):
            con.execute(f"insert into {model.name}\n{model.sql}")
    con.execute("delete from build_state where model = ?", [model.name])
    con.execute(
        "insert into build_state (model, fingerprint, load_id, live_periods, landed_rows, built_at) "
        f"select ?, ?, load_id, live_periods, landed_rows, now()::timestamp from ({load_state(con)})",
        [model.name, fingerprint],
    )
