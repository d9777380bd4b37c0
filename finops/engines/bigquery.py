"""BigQuery: the models as views and tables in a dataset, reading the Cloud Billing export in place.

``raw_gcp_billing`` is a view of the export table projected onto the columns ``finops ingest gcp``
lands, so no row is copied before the models run; the other landing tables are created empty (CUR
can be loaded into ``raw_aws_cur`` with ``bq load``). Marts are tables, rebuilt at every build
(:func:`compile.is_table`), the other models views; an
incremental model (``allocated_costs``) is partitioned by day and only the days whose export rows
changed since its last build are replaced. Every statement goes through the client's ``query`` and
the seeds through ``load_table_from_file``: the client is the one boundary, injected in tests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from finops.config import Config
from finops.engines.compile import compile_model, compile_sql, is_table, select_models
from finops.engines.inputs import input_tables, landing_columns, model_columns, table_names
from finops.errors import FinopsError
from finops.models.project import Model
from finops.warehouse.columns.gcp import FIELDS, KIND_TYPES
from finops.warehouse.connection import sql_identifier, transaction

EXPORT = "gcp_billing_export"  # the export table's name in the SQL below until it is qualified
DAY = "date(ChargePeriodStart)"


def bigquery_type(duckdb_type: str) -> str:
    """A landing column's type in BigQuery; a MAP becomes the export's own ARRAY<STRUCT<key, value>>."""
    if duckdb_type.upper().startswith("MAP("):
        duckdb_type = "STRUCT(key VARCHAR, value VARCHAR)[]"
    return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="bigquery")


def raw_gcp_billing_sql() -> str:
    """The export table with the landing table's columns: nested fields flattened, types as landed."""
    parts = [
        f"{'.'.join(path)} as {name}" if kind in ("kv", "credits", "tags")
        else f"cast({'.'.join(path)} as {KIND_TYPES[kind]}) as {name}"
        for name, (path, kind) in FIELDS.items()
    ]
    parts += [
        "date_trunc('day', cast(usage_start_time as timestamp)) as usage_day",
        "date_trunc('day', cast(usage_start_time as timestamp)) + interval 1 day as usage_day_end",
        "cast(null as bigint) as x_load_id",
        f"'{EXPORT}' as x_source_file",
    ]
    return compile_sql(f"select {', '.join(parts)} from {EXPORT}", "bigquery")


def qualify(sql: str, dataset: str, export_table: str) -> str:
    """Name every relation in full: BigQuery views may not rely on a default dataset."""
    tree = sqlglot.parse_one(sql, read="bigquery")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        if table.args.get("db") or not table.name or table.name in ctes:
            continue
        full = exp.to_table(export_table if table.name == EXPORT else f"{dataset}.{table.name}", dialect="bigquery")
        full.set("alias", table.args.get("alias"))
        table.replace(full)
    return tree.sql(dialect="bigquery", pretty=True)


def statements(model: Model, dataset: str, export_table: str) -> str:
    """The DDL (or, for an incremental model, the script) that builds ``model`` in ``dataset``."""
    body = qualify(compile_model(model, "bigquery"), dataset, export_table)
    target = f"`{dataset}.{model.name}`"
    if not is_table(model):
        return f"create or replace view {target} as\n{body}"
    if model.materialized != "incremental":
        return f"create or replace table {target} as\n{body}"
    state = f"`{dataset}.build_state`"
    export = qualify(f"select * from {EXPORT}", dataset, export_table)
    return f"""
create table if not exists {state} (model string, built_through timestamp);
create table if not exists {target} partition by {DAY} as select * from (\n{body}\n) where false;
create temp table changed_days as
select distinct date(usage_start_time) as day from ({export})
where export_time > coalesce((select max(built_through) from {state} where model = '{model.name}'), timestamp '1970-01-01');
delete from {target} where {DAY} in (select day from changed_days);
insert into {target} select * from (\n{body}\n) where {DAY} in (select day from changed_days);
delete from {state} where model = '{model.name}';
insert into {state} select '{model.name}', max(export_time) from ({export});
""".strip()


def build(
    client: object, dataset: str, *, source: str, targets: list[str] | None = None,
    config: Config | None = None,
) -> list[Model]:
    """Build ``targets`` (default: every model) in ``dataset`` (``project.dataset``) over the export table ``source``."""
    models = select_models(targets)
    _run(client, f"create schema if not exists `{dataset}`", "the dataset")
    _run(client, f"create or replace view `{dataset}.raw_gcp_billing` as\n"
                 f"{qualify(raw_gcp_billing_sql(), dataset, source)}", "raw_gcp_billing")
    for table, columns in landing_columns().items():
        if table == "raw_gcp_billing":
            continue  # the export itself, above
        body = ", ".join(f"`{name}` {bigquery_type(typ)}" for name, typ in columns.items())
        _run(client, f"create table if not exists `{dataset}.{table}` ({body})", table)
    load_inputs(client, dataset, models, config)
    for model in models:
        if model.materialized != "seed":
            _run(client, statements(model, dataset, source), f"{model.path}: model {model.name}")
    return models


def read_back(con: duckdb.DuckDBPyConnection, client: object, dataset: str, built: list[Model]) -> list[Model]:
    """Copy the marts the weekly report reads from ``dataset`` into ``con``, with the models' comments,
    so `finops report` and `finops email` run on a DuckDB file; query the other marts in BigQuery."""
    from finops.models.docs import document
    from finops.report.weekly import reads

    marts = [m for m in built if m.layer == "marts" and reads(m.name)]
    types = model_columns()
    _copy_tables(con, client, dataset, {m.name: types.get(m.name, {}) for m in marts})
    document(con, marts)
    return marts


def _copy_tables(con: duckdb.DuckDBPyConnection, client: object, dataset: str,
                         tables: dict[str, dict[str, str]]) -> None:
    """Copy the tables of ``dataset`` into DuckDB tables, all or none (they are small: the report's
    marts), each column cast to the DuckDB type ``tables`` gives it, as `finops build` would have
    made it. BigQuery's BIGNUMERIC, what DECIMAL(38, 10) becomes there, arrives as Arrow
    decimal256, which DuckDB cannot read: it crosses as text, digit for digit."""
    import pyarrow as pa

    with transaction(con):
        for name, types in tables.items():
            try:
                table = client.query(f"select * from `{dataset}.{name}`").result().to_arrow()
            except Exception as exc:
                raise FinopsError(f"{dataset}.{name}: cannot read it back from BigQuery: {_message(exc)}") from None
            table = table.cast(pa.schema([
                f.with_type(pa.string()) if pa.types.is_decimal256(f.type) else f for f in table.schema
            ]))
            columns = ", ".join(
                f"cast({sql_identifier(c)} as {types[c]}) as {sql_identifier(c)}" if c in types else sql_identifier(c)
                for c in table.column_names
            )
            con.register("_bigquery_rows", table)
            con.execute(f"create or replace table {sql_identifier(name)} as select {columns} from _bigquery_rows")
            con.unregister("_bigquery_rows")


def load_inputs(client: object, dataset: str, models: list[Model], config: Config | None) -> None:
    """Seeds and settings as tables, loaded from CSV files DuckDB writes (types autodetected by BigQuery)."""
    from google.cloud import bigquery

    job = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.CSV, skip_leading_rows=1, autodetect=True,
        write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
    )
    con = input_tables(models, config)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name in table_names(con):
                path = Path(tmp) / f"{name}.csv"
                con.execute(f"copy {name} to '{path}' (header)")
                with open(path, "rb") as handle:
                    try:
                        client.load_table_from_file(handle, f"{dataset}.{name}", job_config=job).result()
                    except Exception as exc:
                        raise FinopsError(f"{dataset}.{name}: BigQuery load failed: {_message(exc)}") from None
    finally:
        con.close()


def _run(client: object, sql: str, what: str) -> None:
    try:
        client.query(sql).result()
    except Exception as exc:
        raise FinopsError(f"{what} failed on BigQuery: {_message(exc)}") from None


def _message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return message.splitlines()[0] if message else type(exc).__name__
