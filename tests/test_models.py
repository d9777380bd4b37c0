"""The model runner and the data tests declared beside each model."""

from __future__ import annotations

import finops
from finops.models.project import load_models
from finops.warehouse.catalog import columns_of, relations
from finops.warehouse.schema import ALERTS_SENT, SENT_REPORTS, TABLES, create_table
from tests.conftest import FOCUS_SAMPLE, REAL_CUR, write_cur_csv
from tests.test_amortisation import amortisation_delivery


def test_models_run_in_dependency_order():
    names = [m.name for m in load_models()]
    assert names.index("stg_aws_cur") < names.index("int_aws_charges") < names.index("int_focus_charges") < names.index("costs")
    assert names.index("aws_service_categories") < names.index("int_aws_charges")
    assert names.index("stg_gcp_billing") < names.index("int_gcp_charges") < names.index("costs")
    assert names.index("int_charges") < names.index("int_cost_attribution") < names.index("allocated_costs") < names.index("costs")


def test_both_sources_produce_the_same_columns_in_the_same_order(con):
    finops.build(con)

    def columns(relation: str) -> list[tuple[str, str]]:
        return con.execute(
            "select column_name, data_type from duckdb_columns() where table_name = ? order by column_index", [relation]
        ).fetchall()

    # costs is a UNION ALL by position: a column out of place would silently mix values
    assert columns("int_aws_charges") == columns("int_focus_charges") == columns("int_gcp_charges") == columns("int_charges")
    # costs is allocated_costs without the attribution columns: exactly the charges' columns
    assert columns("costs") == columns("int_charges")


def test_declared_data_tests_pass_on_real_and_hand_made_data(con, tmp_path):
    finops.ingest_aws(con, REAL_CUR)
    finops.ingest_aws(con, write_cur_csv(tmp_path / "c" / "cur.csv", amortisation_delivery()))
    finops.ingest_focus(con, FOCUS_SAMPLE)
    assert finops.run_tests(con) == []


def test_data_tests_catch_a_broken_row(con, tmp_path):
    finops.ingest_aws(con, REAL_CUR)
    con.execute("update allocated_costs set ChargeCategory = 'usage'")
    failures = finops.run_tests(con)
    assert failures == ["costs.ChargeCategory: unexpected value(s) 'usage'"]


def test_relations_carry_their_descriptions(con):
    finops.build(con)
    described = {name: text for name, _, text in relations(con)}
    assert described["costs"].startswith("Every charge from every provider")
    (comment,) = con.execute(
        "select comment from duckdb_columns() where table_name = 'costs' and column_name = 'EffectiveCost'"
    ).fetchone()
    assert comment.startswith("Amortised cost")


def test_an_older_warehouse_gains_new_landing_columns(db):
    import duckdb

    old = duckdb.connect(str(db))
    old.execute("create table raw_focus (BilledCost decimal(38, 10), x_load_id bigint)")
    old.execute("insert into raw_focus values (1.5, 7)")
    old.close()
    con = finops.connect(db)
    assert con.execute("select BilledCost, PricingCurrencyEffectiveCost, x_load_id from raw_focus").fetchall() == [(1.5, None, 7)]
    finops.build(con)  # the models bind against the migrated table
    con.close()


def write_project(root, models: dict[str, str]):
    """A sql/ directory holding ``models`` (name -> SELECT) as staging models, no seeds."""
    (root / "seeds").mkdir(parents=True)
    (root / "staging").mkdir()
    for name, sql in models.items():
        (root / "staging" / f"{name}.sql").write_text(sql, encoding="utf-8")
    return root


def test_only_real_table_references_are_dependencies(tmp_path):
    sql_dir = write_project(tmp_path / "sql", {
        "charges": "select 1 as amount",
        "teams": "select 'ml' as team",
        # a CTE named like a model, a column and a string named like one: no dependency on them
        "shadowed": "with charges as (select 2 as amount) select amount, 'teams' as teams from charges",
        "reader": "select c.amount from charges as c join (select * from teams) as t on true",
    })
    depends = {m.name: m.depends_on for m in load_models(sql_dir)}
    assert depends == {"charges": [], "teams": [], "shadowed": [], "reader": ["charges", "teams"]}


def test_a_model_reads_landing_and_settings_tables_too():
    reads = {m.name: m.reads for m in load_models()}
    assert reads["idle_gpu"] == ["allocated_costs", "gpu_metrics", "idle_settings"]
    assert reads["stg_aws_cur"] == ["aws_regions", "aws_usage_type_units", "raw_aws_cur"]  # the seeds it normalises with


def test_every_model_comes_after_what_it_reads():
    """Dependencies are the parsed table references: each is built before the model that reads it,
    and a name that only appears as a CTE, a column or a string adds no edge (storage_tiering has a
    column named costs; savings_opportunities labels rows 'idle_gpu')."""
    models = load_models()
    names = [m.name for m in models]
    for model in models:
        assert all(names.index(dep) < names.index(model.name) for dep in model.depends_on), model.name
    by_name = {m.name: m for m in models}
    assert "costs" not in by_name["storage_tiering"].depends_on
    assert "idle_gpu" not in by_name["savings_opportunities"].depends_on

def test_every_relation_and_every_column_of_finops_tables_is_described(con):
    finops.ingest_aws(con, REAL_CUR)
    finops.ingest_focus(con, FOCUS_SAMPLE)
    create_table(con, SENT_REPORTS)  # what `finops refresh` adds before its first email
    create_table(con, ALERTS_SENT)  # and before its first alert
    assert [name for name, _, description in relations(con) if not description] == []
    missing = [f"{table}.{column}" for table in TABLES for column, _, comment in columns_of(con, table) if not comment]
    assert missing == []
    assert {name for name, kind, _ in relations(con) if kind == "table"} >= set(TABLES)
    (comment,) = con.execute("select comment from duckdb_columns() where table_name = 'sent_reports' "
                             "and column_name = 'week'").fetchone()
    assert comment == "ISO week of the report, e.g. 2026-W44."
