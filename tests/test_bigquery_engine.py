"""`finops build --engine bigquery`: every statement it sends is BigQuery SQL, the export table is read
in place, and the incremental table replaces only changed days. The client is a recorder: no network."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

import finops
from finops.engines import bigquery
from finops.errors import FinopsError
from finops.models.project import load_models
from finops.report.weekly import latest_week_with_data
from tests.conftest import report_figures

EXPORT = "billing-proj.billing.gcp_billing_export_resource_v1_0123AB_456CD_789EF"


class Recorder:
    """The two methods finops calls on google.cloud.bigquery.Client, remembering what they got."""

    def __init__(self):
        self.queries: list[str] = []
        self.loads: dict[str, bytes] = {}

    def query(self, sql, job_config=None):
        self.queries.append(sql)
        return self

    def load_table_from_file(self, handle, table, job_config=None):
        self.loads[table] = handle.read()
        return self

    def result(self):
        return []


def test_every_statement_parses_as_bigquery_and_reads_the_export_in_place():
    client = Recorder()
    built = bigquery.build(client, "my-proj.finops", source=EXPORT, targets=["training_jobs", "workload_costs"])
    assert {"allocated_costs", "training_jobs", "workload_costs", "stg_gcp_billing"} <= {m.name for m in built}
    for sql in client.queries:
        for statement in sqlglot.parse(sql, read="bigquery"):
            assert statement is not None
            for table in statement.find_all(exp.Table):  # nothing unqualified: views need full names
                assert table.name in {"changed_days"} or table.args.get("db") or not table.name or _is_cte(statement, table.name)
    raw = next(q for q in client.queries if "raw_gcp_billing` as" in q)
    assert f"FROM {EXPORT}" in raw
    assert "service.id AS STRING) AS service_id" in raw
    # seeds and settings were loaded as CSV (header first), not sent as SQL text
    assert client.loads["my-proj.finops.gpu_instance_types"].startswith(b"provider,instance_type,gpu_model,gpus")
    assert "my-proj.finops.attribution_tag_keys" in client.loads


def test_the_incremental_table_is_partitioned_by_day_and_replaces_changed_days_only():
    client = Recorder()
    bigquery.build(client, "my-proj.finops", source=EXPORT, targets=["allocated_costs"])
    script = next(q for q in client.queries if "`my-proj.finops.allocated_costs`" in q and "changed_days" in q)
    assert "partition by date(ChargePeriodStart)" in script
    assert "delete from `my-proj.finops.allocated_costs` where date(ChargePeriodStart) in (select day from changed_days)" in script
    assert len(sqlglot.parse(script, read="bigquery")) == 7


def test_marts_are_tables_but_costs_stays_a_view_of_allocated_costs():
    client = Recorder()
    bigquery.build(client, "my-proj.finops", source=EXPORT, targets=["costs", "report_weekly_headline"])
    created = {re.match(r"create or replace (table|view) `my-proj\.finops\.(\w+)`", q).group(2, 1)
               for q in client.queries if q.startswith("create or replace ")}
    assert ("report_weekly_headline", "table") in created and ("workload_costs", "table") not in created  # incremental
    assert ("costs", "view") in created and ("stg_gcp_billing", "view") in created and ("int_charges", "view") in created


def test_a_map_column_lands_as_the_exports_key_value_array():
    assert bigquery.bigquery_type("MAP(VARCHAR, VARCHAR)") == "ARRAY<STRUCT<key STRING, value STRING>>"


def _is_cte(statement: exp.Expression, name: str) -> bool:
    return name in {cte.alias_or_name for cte in statement.find_all(exp.CTE)}


class Warehouse(Recorder):
    """A recorder that answers ``select * from `dataset.table``` from a DuckDB file's table, typed as
    BigQuery's client returns it: DECIMAL(38, 10) is BIGNUMERIC there, Arrow decimal256(76, 38)."""

    def __init__(self, con, missing: str = ""):
        super().__init__()
        self.con, self.missing, self.table = con, missing, ""

    def query(self, sql, job_config=None):
        self.queries.append(sql)
        self.table = re.fullmatch(r"select \* from `[\w.-]+\.(\w+)`", sql)[1]
        if self.table == self.missing:
            raise LookupError(f"Not found: Table my-proj:finops.{self.table} was not found in location US\nmore")
        return self

    def result(self):
        return self

    def to_arrow(self):
        table = self.con.table(self.table).to_arrow_table()
        return table.cast(pa.schema([
            f.with_type(pa.decimal256(76, 38)) if pa.types.is_decimal(f.type) and f.type.scale > 9 else f
            for f in table.schema
        ]))


def test_the_report_marts_read_back_from_bigquery_give_the_same_report(gcp_warehouse, tmp_path):
    with finops.connect(gcp_warehouse, read_only=True) as source, finops.connect(tmp_path / "back.duckdb") as back:
        week = latest_week_with_data(source)
        copied = bigquery.read_back(back, Warehouse(source), "my-proj.finops", load_models())
        assert {"report_weekly_headline", "report_anomalies", "savings_opportunities", "idle_gpu_weekly"} <= {m.name for m in copied}
        assert not {"costs", "allocated_costs", "workload_costs"} & {m.name for m in copied}  # line items stay in BigQuery
        expected = report_figures(source, week)
        assert report_figures(back, week) == expected
        assert expected["headline"]["EffectiveCost"] > 0 and expected["training"] and expected["freshness"]
        column_types = "select table_name, column_name, data_type from duckdb_columns() where table_name in (select unnest(?)) order by all"
        names = [m.name for m in copied]
        assert back.execute(column_types, [names]).fetchall() == source.execute(column_types, [names]).fetchall()
        comment = back.execute("select comment from duckdb_tables() where table_name = 'report_anomalies'").fetchone()[0]
        assert comment.startswith("Each UTC day's EffectiveCost")


def test_a_mart_missing_in_bigquery_is_one_line_and_nothing_is_copied(gcp_warehouse, tmp_path):
    with finops.connect(gcp_warehouse, read_only=True) as source, finops.connect(tmp_path / "back.duckdb") as back:
        with pytest.raises(FinopsError) as failure:
            bigquery.read_back(back, Warehouse(source, missing="report_weekly_headline"), "my-proj.finops", load_models())
        assert str(failure.value) == (
            "my-proj.finops.report_weekly_headline: cannot read it back from BigQuery: "
            "Not found: Table my-proj:finops.report_weekly_headline was not found in location US"
        )
        assert back.execute("select count(*) from duckdb_tables() where table_name like 'report_%'").fetchone() == (0,)
