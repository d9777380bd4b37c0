"""One set of models, many engines: DuckDB SQL under ``sql/`` compiled to Spark, BigQuery or Trino.

sqlglot translates nearly everything. What it cannot (DuckDB macros, an ordered ``list()``, ISO
weeks, time zones) is written once per engine in ``sql/engines.toml`` as a pattern and its
replacement, so no model is ever copied per engine.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError, UnsupportedError

from finops.errors import FinopsError
from finops.models.project import Model, load_models
from finops.resources import resource_dir


@dataclass(frozen=True)
class Macro:
    pattern: exp.Expression  # parsed as DuckDB; its bare column names are placeholders
    template: str  # the engine's SQL with the same placeholders


@cache
def macros(engine: str) -> tuple[Macro, ...]:
    """The engine's section of sql/engines.toml, longest pattern first so the most specific wins."""
    table = tomllib.loads((resource_dir("sql") / "engines.toml").read_text(encoding="utf-8")).get(engine, {})
    parsed = [Macro(sqlglot.parse_one(key, read="duckdb"), text) for key, text in table.items()]
    return tuple(sorted(parsed, key=lambda m: -len(list(m.pattern.walk()))))


def compile_sql(sql: str, engine: str) -> str:
    """``sql`` (DuckDB dialect) in ``engine``'s dialect; raises SqlglotError where it cannot."""
    if engine == "duckdb":
        return sql
    tree = sqlglot.parse_one(sql, read="duckdb")
    if engine == "trino":
        tree = without_star_except(tree)
    tree = _expand(tree, macros(engine), engine)
    tree = _printf_format(tree, engine)
    if engine == "bigquery":
        tree = _nulls_last_for_bigquery(tree)
    return tree.sql(dialect=engine, pretty=True, unsupported_level=ErrorLevel.RAISE)


def compile_model(model: Model, engine: str) -> str:
    """A model's SELECT for ``engine``; a failure names the model's file."""
    try:
        return compile_sql(model.sql, engine)
    except SqlglotError as exc:
        raise FinopsError(f"{model.path}: cannot compile {model.name} for {engine}: {str(exc).splitlines()[0]}") from None


def find_model(name: str) -> Model:
    """A model by name, or by its path under sql/ (``marts/training_jobs``)."""
    wanted = name.removesuffix(".sql").rsplit("/", 1)[-1]
    for model in load_models():
        if model.name == wanted and model.materialized != "seed":
            return model
    raise FinopsError(f"{name}: no such model under sql/ (see `finops query --list`)")


def is_table(model: Model) -> bool:
    """How Spark and BigQuery keep a model: marts (what users and the report query) and whatever
    DuckDB materialises are tables, the rest views; a mart's ``engine_materialized = "view"`` keeps
    it a view (``costs``: allocated_costs under FOCUS names, which as a table would store the bill twice)."""
    if model.engine_materialized:
        return model.engine_materialized != "view"
    return model.layer == "marts" or model.materialized in ("table", "incremental")


def select_models(targets: list[str] | None = None) -> list[Model]:
    """Every model and seed in dependency order, or only ``targets`` and everything they read."""
    models = load_models()
    if not targets:
        return models
    by_name = {m.name: m for m in models}
    unknown = [t for t in targets if t not in by_name]
    if unknown:
        raise FinopsError(f"{', '.join(unknown)}: no such model under sql/")
    wanted: set[str] = set()
    stack = list(targets)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(by_name[name].depends_on)
    return [m for m in models if m.name in wanted]


def _expand(node: exp.Expression, table: tuple[Macro, ...], engine: str) -> exp.Expression:
    """Replace every match of a macro pattern, innermost arguments first."""
    for macro in table:
        bound: dict[str, exp.Expression] = {}
        if _match(macro.pattern, node, bound):
            args = {name: _expand(value, table, engine) for name, value in bound.items()}
            body = sqlglot.parse_one(macro.template, read=engine)
            return body.transform(lambda n, args=args: args[n.name].copy() if _is_placeholder(n) and n.name in args else n)
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            node.set(key, _expand(value, table, engine))
        elif isinstance(value, list):
            node.set(key, [_expand(v, table, engine) if isinstance(v, exp.Expression) else v for v in value])
    return node


def without_star_except(tree: exp.Expression) -> exp.Expression:
    """``select * exclude (a, b)`` with the columns named instead (Trino has no EXCEPT on a star):
    sqlglot's qualify expands every star from the DuckDB types of the landing tables and models,
    qualifying the columns as it goes (tests/test_engines.py runs the result in DuckDB: same rows)."""
    if not any(star.args.get("except_") for star in tree.find_all(exp.Star)):
        return tree
    from sqlglot.optimizer.qualify import qualify

    return qualify(tree, schema=relation_columns(), dialect="duckdb", expand_stars=True,
                   validate_qualify_columns=False, quote_identifiers=False)


def relation_columns() -> dict[str, dict[str, str]]:
    """Every relation a model can read, with its DuckDB column types."""
    from finops.engines.inputs import landing_columns, model_columns

    return {**landing_columns(), **model_columns()}


def _printf_format(tree: exp.Expression, engine: str) -> exp.Expression:
    """DuckDB's ``format()`` takes Python-style ``{}``, ``{:.2f}`` and ``{:,.2f}`` (thousands
    separated); Spark's format_string, BigQuery's and Trino's format() take printf's ``%s``,
    ``%.2f`` and ``%,.2f`` (BigQuery ``%'.2f``), and sqlglot leaves the pattern as it is. A
    fixed-point argument is cast to DOUBLE, as DuckDB formats it (Spark's formatter refuses its own
    DECIMAL for %f)."""
    grouping = "'" if engine == "bigquery" else ","
    for call in list(tree.find_all(exp.Format)):
        pattern = call.this
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            continue
        args = list(call.expressions)
        position = iter(range(len(args)))

        def printf(match: re.Match, args: list = args, position: Iterator[int] = position) -> str:
            if match[0] == "%":
                return "%%"
            at = next(position)
            if not match[1]:
                return "%s"
            args[at] = exp.cast(args[at], exp.DataType.Type.DOUBLE)
            return "%" + (grouping if match[1].startswith(",") else "") + match[1].lstrip(",")

        text = _FORMAT_FIELD.sub(printf, pattern.this)
        if re.search(r"\{[^}]*\}", text):
            raise UnsupportedError(f"format({pattern.sql()}): only {{}}, {{:.Nf}} and {{:,.Nf}} fields have a printf spelling")
        call.set("this", exp.Literal.string(text))
        call.set("expressions", args)
    return tree


_FORMAT_FIELD = re.compile(r"%|\{(?::(,?\.\d+f))?\}")


def _nulls_last_for_bigquery(tree: exp.Expression) -> exp.Expression:
    """DuckDB sorts NULLs last, BigQuery first, and BigQuery cannot say NULLS LAST inside a window
    or an aggregate: sort by ``key IS NULL`` first there, which means the same on both."""
    for ordered in list(tree.find_all(exp.Ordered)):
        if ordered.args.get("desc") or ordered.args.get("nulls_first"):
            continue  # descending puts NULLs last on both engines
        if not isinstance(ordered.find_ancestor(exp.Window, exp.AggFunc, exp.Select), (exp.Window, exp.AggFunc)):
            continue  # a query's own ORDER BY can say NULLS LAST
        parent, key = ordered.parent, ordered.arg_key
        items = parent.args[key]
        at = next(i for i, item in enumerate(items) if item is ordered)
        nulls = exp.Ordered(this=exp.Is(this=ordered.this.copy(), expression=exp.Null()), nulls_first=True)
        ordered.set("nulls_first", True)
        parent.set(key, [*items[:at], nulls, ordered, *items[at + 1:]])
    return tree


def _is_placeholder(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and not node.table


def _match(pattern: object, node: object, bound: dict[str, exp.Expression]) -> bool:
    if isinstance(pattern, exp.Expression) and _is_placeholder(pattern):
        if not isinstance(node, exp.Expression):
            return False
        if pattern.name in bound:
            return bound[pattern.name] == node
        bound[pattern.name] = node
        return True
    if isinstance(pattern, exp.Literal):
        return pattern == node
    if isinstance(pattern, exp.Expression):
        if type(pattern) is not type(node):
            return False
        keys = set(pattern.args) | set(node.args)
        return all(_match(pattern.args.get(k), node.args.get(k), bound) for k in keys)
    if isinstance(pattern, list):
        return isinstance(node, list) and len(pattern) == len(node) and all(
            _match(p, n, bound) for p, n in zip(pattern, node)
        )
    if not pattern and not node:  # None, False, [] and a missing arg are alike
        return True
    if isinstance(pattern, str) and isinstance(node, str):
        return pattern.lower() == node.lower()
    return pattern == node
