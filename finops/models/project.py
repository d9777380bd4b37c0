"""The SQL project under ``sql/``: every model and seed, and the order they build in.

Each model is one file ``sql/<layer>/<name>.sql`` holding one SELECT, with ``<name>.toml`` beside it:
its description, how it is materialised (``view``, ``table`` or ``incremental``), column docs and data
tests. Seeds are CSV files under ``sql/seeds/`` loaded as tables. A model depends on the relations
its SQL selects from, read from the parsed SQL (DuckDB dialect), so a CTE, a column or a string
named like another model adds no dependency.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from finops.errors import FinopsError
from finops.resources import resource_dir

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
    reads: list[str] = field(default_factory=list)
    """Every table and view the SQL selects from: models, seeds, landing and settings tables."""
    depends_on: list[str] = field(default_factory=list)
    """The models and seeds among ``reads``: what must be built first."""


def load_models(sql_dir: Path | None = None, *, dependencies: bool = True) -> list[Model]:
    """Read every model and seed, ordered so each comes after what it selects from.

    ``dependencies=False`` skips parsing the SQL (no ``reads``, ``depends_on`` or build order, the
    files in layer order): enough to fingerprint the project, and a nightly no-op refresh then
    does not pay for parsing every model."""
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
            if dependencies:
                model.reads = relations_read(model)
            models[model.name] = model
    if not dependencies:
        return list(models.values())
    for model in models.values():  # in the project's own order, which the build order follows
        model.depends_on = [name for name in models if name in model.reads and name != model.name]
    return _topological(models)


def relations_read(model: Model) -> list[str]:
    """The tables and views ``model``'s SQL selects from, by name: every table reference that is
    not one of its CTEs (table functions such as ``generate_series`` have no name and drop out)."""
    return list(_relations_in(model.sql, str(model.path), model.name))


@functools.lru_cache(maxsize=512)
def _relations_in(sql: str, path: str, name: str) -> tuple[str, ...]:
    """relations_read's parse, once per process and SQL text: every build, compile and model lookup
    reads the whole project, and parsing its models is most of a second."""
    # imported here: sqlglot takes a tenth of the CLI's start, and a no-op refresh never parses
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except SqlglotError as exc:
        raise FinopsError(f"{path}: cannot parse model {name}: {str(exc).splitlines()[0]}") from None
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    names = {table.name for table in tree.find_all(exp.Table) if not table.db and table.name}
    return tuple(sorted(names - ctes))


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
