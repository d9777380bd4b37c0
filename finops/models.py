"""The model runner: turns the SQL files under ``sql/`` into views and tables, in dependency order.

Each model is one file ``sql/<layer>/<name>.sql`` holding one SELECT, with ``<name>.toml`` beside it:
its description, how it is materialised (``view`` or ``table``), column docs and data tests. Seeds
are CSV files under ``sql/seeds/`` loaded as tables; ``sql/macros.sql`` holds the few
DuckDB-specific helpers; the attribution settings of finops.toml become ``attribution_*`` tables.
Descriptions become ``COMMENT ON`` so anyone opening the DuckDB file sees them: a column takes its
model's doc, else the glossary's (``sql/columns.toml``), so a column means the same everywhere.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .config import Attribution, Idle, load_attribution, load_idle
from .errors import FinopsError
from .metrics_schema import GPU_METRICS_COMMENT, GPU_METRICS_DOCS
from .resources import resource_dir
from .warehouse import first_line, sql_identifier, sql_literal

LAYERS = ("staging", "intermediate", "marts")


@dataclass
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    description: str = ""
    materialized: str = "view"
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
    idle: Idle | None = None,
) -> list[Model]:
    """Create or replace every relation. Run inside the caller's transaction when there is one."""
    models = models or load_models()
    sql_dir = resource_dir("sql")
    con.execute((sql_dir / "macros.sql").read_text(encoding="utf-8"))
    write_attribution_tables(con, attribution or load_attribution())
    write_idle_settings(con, idle or load_idle())
    for model in models:
        try:
            if model.materialized == "seed":
                con.execute(
                    f"create or replace table {model.name} as select * from "
                    f"read_csv({sql_literal(str(model.path))}, header = true)"
                )
            else:
                kind = "table" if model.materialized == "table" else "view"
                con.execute(f"create or replace {kind} {model.name} as\n{model.sql}")
        except duckdb.Error as exc:
            raise FinopsError(f"{model.path}: model {model.name} failed: {first_line(exc)}") from None
    document(con, models)
    return models


ATTRIBUTION_TABLES = {
    "attribution_tag_keys": "Tag keys that name a team or a project (dimension), in priority order; from [attribution.tags] of finops.toml or the defaults.",
    "attribution_workload_keys": "Tag keys that name a workload of a type (training, inference, ...), in priority order; from [attribution.workloads].",
    "attribution_shared_costs": "Which shared costs (support, tax, untagged_networking) are split across teams in proportion to their direct spend; from [attribution.shared_costs].",
    "idle_settings": "The idle-GPU thresholds in force, from [idle] of finops.toml or the defaults: an hour is idle when mean utilisation per GPU is below gpu_utilization_below percent (5), or when its endpoint had at most endpoint_invocations_per_day_at_most invocations that day (0).",
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


def document(con: duckdb.DuckDBPyConnection, models: list[Model]) -> None:
    """COMMENT ON every relation and column: model docs first, then the glossary."""
    glossary = tomllib.loads((resource_dir("sql") / "columns.toml").read_text(encoding="utf-8"))
    descriptions = {m.name: (m.description, m.columns) for m in models}
    descriptions.update({name: (text, {}) for name, text in ATTRIBUTION_TABLES.items()})
    from .warehouse import COMMENTS

    descriptions.update({name: (text, {}) for name, text in COMMENTS.items()})
    descriptions["gpu_metrics"] = (GPU_METRICS_COMMENT, GPU_METRICS_DOCS)
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
        from .gcp_schema import column_doc

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
