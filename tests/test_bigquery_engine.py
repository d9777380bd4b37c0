"""`finops build --engine bigquery`: every statement it sends is BigQuery SQL, the export table is read
in place, and the incremental table replaces only changed days. The client is a recorder: no network."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from finops.engines import bigquery

EXPORT = "billing-proj.billing.gcp_billing_export_resource_v1_0123AB_456CD_789EF"


class Recorder:
    """The two methods finops calls on google.cloud.bigquery.Client, remembering what they got."""

    def __init__(self):
        self.queries: list[str] = []
        self.loads: dict[str, bytes] = {}

    def query(self, sql, job_config=None):  # noqa: ANN001, ARG002
        self.queries.append(sql)
        return self

    def load_table_from_file(self, handle, table, job_config=None):  # noqa: ANN001, ARG002
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


def test_a_map_column_lands_as_the_exports_key_value_array():
    assert bigquery.bigquery_type("MAP(VARCHAR, VARCHAR)") == "ARRAY<STRUCT<key STRING, value STRING>>"


def _is_cte(statement: exp.Expression, name: str) -> bool:
    return name in {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
