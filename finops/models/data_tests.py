"""The data tests declared beside each model (``[tests]`` in its ``.toml``), run on built data.

not_null, unique and accepted_values name columns; expect_zero_rows holds queries that must return
nothing (a total that must reconcile, a row that must not exist)."""

from __future__ import annotations

import duckdb

from finops.models.project import Model, load_models
from finops.warehouse.sql import sql_identifier, sql_literal


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
