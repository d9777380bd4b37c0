"""The model runner and the data tests declared beside each model."""

from __future__ import annotations

import finops
from finops.models.project import load_models
from finops.warehouse.catalog import relations

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
