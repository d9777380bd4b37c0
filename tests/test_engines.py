"""The models compiled for Spark, BigQuery and Trino: every one compiles, and the macros of
sql/engines.toml come out as written (golden files; FINOPS_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

import finops
from finops.engines.compile import compile_model, compile_sql, find_model, without_star_except
from finops.errors import FinopsError
from finops.models.project import Model, load_models

GOLDEN = Path(__file__).parent / "golden"
ENGINES = ("spark", "bigquery", "trino")
MODELS = [m for m in load_models() if m.materialized != "seed"]

# Functions sqlglot does not model but the engine has; any other unknown function would reach the
# engine as written in DuckDB and fail there.
ENGINE_FUNCTIONS = {
    "spark": {"get", "map_entries"},
    "bigquery": set(),
    "trino": {"map_entries", "with_timezone", "at_timezone"},
}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_model_compiles_to_functions_the_engine_has(engine):
    for model in MODELS:
        sql = compile_model(model, engine)
        tree = sqlglot.parse_one(sql, read=engine)
        assert tree, model.name
        assert "first_tag(" not in sql.lower() and "tag_set(" not in sql.lower(), model.name  # macros expanded
        unknown = {f.name.lower() for f in tree.find_all(exp.Anonymous)} - ENGINE_FUNCTIONS[engine]
        assert not unknown, f"{model.name} on {engine}: {sorted(unknown)}"


@pytest.mark.parametrize("engine", ENGINES)
def test_models_with_macros_match_their_golden_sql(engine):
    # int_cost_attribution uses both DuckDB macros (first_tag, tag_set) and an ordered list()
    sql = compile_model(find_model("int_cost_attribution"), engine) + "\n"
    golden = GOLDEN / f"int_cost_attribution.{engine}.sql"
    if os.environ.get("FINOPS_UPDATE_GOLDEN"):
        golden.write_text(sql)
    assert sql == golden.read_text(), f"{golden.name}: review the diff, then FINOPS_UPDATE_GOLDEN=1 pytest tests/test_engines.py"


def test_a_macro_matches_only_its_own_literal_and_expands_nested_arguments():
    assert compile_sql("select strftime(ts, '%G-W%V') as w", "spark") == (
        "SELECT\n  CONCAT(EXTRACT(YEAROFWEEK FROM ts), '-W', LPAD(CAST(WEEKOFYEAR(ts) AS STRING), 2, '0')) AS w"
    )
    assert "DATE_FORMAT(ts, 'yyyy-MM')" in compile_sql("select strftime(ts, '%Y-%m')", "spark")
    nested = compile_sql("select first_tag(first_tag_input(tags), list_extract(keys, 1))", "spark")
    assert "GET(keys, 1 - 1)" in nested and "MAP_ENTRIES(FIRST_TAG_INPUT(tags))" in nested


def test_bigquery_sorts_nulls_last_inside_windows_as_duckdb_does():
    sql = compile_sql("select row_number() over (partition by a order by b) from t", "bigquery")
    assert "ORDER BY b IS NULL, b" in sql


def test_an_unknown_model_is_one_line_naming_it():
    with pytest.raises(FinopsError, match="nope: no such model"):
        find_model("marts/nope")


def test_finops_sql_prints_a_model_compiled_for_an_engine(run):
    code, out, _ = run("sql", "--engine", "trino", "marts/training_jobs", use_db=False)
    assert code == 0 and sqlglot.parse_one(out, read="trino")
    assert "FROM allocated_costs" in out


@pytest.mark.parametrize("engine", ENGINES)
def test_format_patterns_become_printf_with_fixed_point_arguments_as_doubles(engine):
    sql = " ".join(compile_sql("select format('{} ran {:.0f} hours, {:.2f} at 5 % off', name, hours, cost)", engine).split())
    assert "'%s ran %.0f hours, %.2f at 5 %% off'" in sql
    double = "FLOAT64" if engine == "bigquery" else "DOUBLE"
    assert f"name, CAST(hours AS {double}), CAST(cost AS {double}) )" in sql


@pytest.mark.parametrize(("engine", "spelling"), [("spark", "'$%,.2f'"), ("trino", "'$%,.2f'"), ("bigquery", "'$%\\'.2f'")])
def test_thousands_separated_money_has_each_engines_printf_spelling(engine, spelling):
    assert spelling in compile_sql("select format('${:,.2f}', cost) as shown from costs", engine)


def test_a_format_field_without_a_printf_spelling_is_one_line():
    model = Model(name="thousands", path=Path("sql/marts/thousands.sql"), layer="marts",
                  sql="select format('{:,}', total) as shown from costs")
    with pytest.raises(FinopsError, match=r"thousands\.sql: cannot compile thousands for spark: .*only \{\}, \{:\.Nf\} and \{:,\.Nf\}"):
        compile_model(model, "spark")


def test_trino_names_the_columns_a_star_excepts_and_the_rows_stay_the_same(gcp_warehouse):
    # Trino has no `select * except`: the columns are named instead; run in DuckDB, the same rows come back
    starred = [m for m in MODELS if "exclude" in m.sql]
    assert {"costs", "int_cost_attribution", "int_gcp_charges"} <= {m.name for m in starred}
    with finops.connect(gcp_warehouse, read_only=True) as con:
        for model in starred:
            assert "EXCEPT (" not in compile_model(model, "trino"), model.name
            named = without_star_except(sqlglot.parse_one(model.sql, read="duckdb")).sql("duckdb")
            rows = con.execute(f"select * from ({model.sql}) order by all").fetchall()
            assert rows and con.execute(f"select * from ({named}) order by all").fetchall() == rows, model.name
