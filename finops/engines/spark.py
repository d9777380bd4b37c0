"""Spark: land CUR Parquet from a path and build the same models as Parquet tables.

Landing reads the delivery where it lies (a local path or s3a://...) and projects it onto the
columns of DuckDB's ``raw_aws_cur`` with the very select list ``finops ingest aws`` uses
(:func:`finops.aws.cur_select_list`), compiled to Spark SQL: one typing rule for both engines, so
the models downstream see the same rows. The landing table is partitioned by payer account and
billing period and written with dynamic partition overwrite, so a restated month replaces its
period as a unit, as ``finops ingest`` does. Staging and intermediate models become temporary
views; marts (and anything materialised as a table) become Parquet tables in the target schema.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlglot import exp

from ..aws import SHAPE_FOCUS, cur_select_list, detect_shape
from ..config import Attribution, Idle, Savings
from ..cur_schema import REQUIRED_COLUMNS
from ..errors import FinopsError
from ..models import Model
from ..warehouse import sql_literal
from .compile import compile_model, compile_sql, select_models
from .inputs import input_tables, landing_columns, table_names

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PARTITION_COLUMNS = ("bill_payer_account_id", "bill_billing_period_start_date")


def session(master: str = "local[2]", warehouse_dir: str | None = None) -> SparkSession:
    """A SparkSession in UTC (as DuckDB's sessions are) that overwrites only the partitions it writes."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("finops")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if warehouse_dir:
        builder = builder.config("spark.sql.warehouse.dir", warehouse_dir)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("FATAL")  # a failed model is reported once, as a FinopsError
    return spark


def spark_type(duckdb_type: str) -> str:
    """A landing column's DuckDB type in Spark's spelling (MAP(VARCHAR, VARCHAR) is map<string, string>)."""
    return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="spark")


def _duckdb_type(spark_type_name: str) -> str:
    """The DuckDB name of a Spark column type, as cur_select_list expects (strings are VARCHAR)."""
    built = exp.DataType.build(spark_type_name, dialect="spark")
    return "VARCHAR" if built.is_type(*exp.DataType.TEXT_TYPES) else built.sql(dialect="duckdb")


def table_path(spark: SparkSession, schema: str, table: str) -> str:
    """Where a table's Parquet files live: Spark's own layout, <spark.sql.warehouse.dir>/<schema>.db/<table>.

    Paths rather than catalog tables, so the warehouse needs no metastore and reads back from any
    session (the report's, another cluster's) given the same warehouse directory."""
    return f"{spark.conf.get('spark.sql.warehouse.dir').rstrip('/')}/{schema}.db/{table}"


def register_tables(spark: SparkSession, schema: str, tables: dict[str, dict[str, str]]) -> None:
    """Each table as a temporary view of its files, or empty with its columns when nothing is there yet."""
    from pyspark.sql.types import StructType

    for table, columns in tables.items():
        ddl = StructType.fromDDL(", ".join(f"`{name}` {spark_type(typ)}" for name, typ in columns.items()))
        try:
            frame = spark.read.schema(ddl).parquet(table_path(spark, schema, table))
        except Exception:  # noqa: BLE001 -- Spark's AnalysisException: no such path yet
            frame = spark.createDataFrame([], ddl)
        frame.createOrReplaceTempView(table)


def land_cur(spark: SparkSession, source: str, schema: str) -> None:
    """Land every CUR Parquet file under ``source``, replacing the billing periods they hold."""
    try:
        files = spark.read.option("recursiveFileLookup", "true").option("pathGlobFilter", "*.parquet").parquet(source)
    except Exception as exc:  # noqa: BLE001 -- Spark raises its own AnalysisException for a missing path
        raise FinopsError(f"{source}: no CUR Parquet files readable here: {_first_message(exc)}") from None
    columns = {field.name: _duckdb_type(field.dataType.simpleString()) for field in files.schema.fields}
    if detect_shape(columns, source) == SHAPE_FOCUS:
        raise FinopsError(f"{source}: a FOCUS export; the Spark engine lands CUR 2.0 and legacy CUR Parquet")
    sources = {name: name for name in columns}
    missing = [c for c in REQUIRED_COLUMNS if c not in sources]
    if missing:
        raise FinopsError(f"{source}: missing required column(s) {', '.join(missing)}; not a complete CUR")
    files.createOrReplaceTempView("cur_delivery")
    # no loads log on Spark: the landing time (epoch seconds) stands in for the load id
    landing = compile_sql(
        f"select {cur_select_list(columns, sources)}, {int(time.time())} as x_load_id, "
        f"{sql_literal(source)} as x_source_file from cur_delivery",
        "spark",
    )
    try:
        # dynamic partition overwrite: the periods in this delivery are replaced, every other one is kept
        spark.sql(landing).write.mode("overwrite").partitionBy(*PARTITION_COLUMNS).parquet(
            table_path(spark, schema, "raw_aws_cur")
        )
    except Exception as exc:  # noqa: BLE001 -- py4j/Spark errors have no common base worth naming
        raise FinopsError(f"{source}: landing on Spark failed: {_first_message(exc)}") from None


def load_inputs(spark: SparkSession, models: list[Model], attribution: Attribution | None, idle: Idle | None,
                savings: Savings | None) -> None:
    """Seeds and finops.toml settings as temporary views (small: they travel from the driver)."""
    con = input_tables(models, attribution, idle, savings)
    try:
        for name in table_names(con):
            spark.createDataFrame(con.table(name).to_arrow_table()).createOrReplaceTempView(name)
    finally:
        con.close()


def build(
    spark: SparkSession, schema: str = "finops", *, source: str | None = None, targets: list[str] | None = None,
    attribution: Attribution | None = None, idle: Idle | None = None, savings: Savings | None = None,
) -> list[Model]:
    """Land ``source`` (if given), then build ``targets`` and what they select from (default: every model)."""
    if source:
        land_cur(spark, source, schema)
    register_tables(spark, schema, landing_columns())
    models = select_models(targets)
    load_inputs(spark, models, attribution, idle, savings)
    for model in models:
        if model.materialized == "seed":
            continue
        sql = compile_model(model, "spark")
        try:
            if is_table(model):
                path = table_path(spark, schema, model.name)
                spark.sql(sql).write.mode("overwrite").parquet(path)
                spark.read.parquet(path).createOrReplaceTempView(model.name)
            else:
                spark.sql(f"create or replace temp view {model.name} as\n{sql}")
        except Exception as exc:  # noqa: BLE001 -- py4j/Spark errors have no common base worth naming
            raise FinopsError(f"{model.path}: model {model.name} failed on Spark: {_first_message(exc)}") from None
    return models


def is_table(model: Model) -> bool:
    """Marts (and whatever DuckDB materialises) are written as Parquet; the rest are views."""
    return model.layer == "marts" or model.materialized in ("table", "incremental")


def _first_message(exc: BaseException) -> str:
    """Spark's message without its plan dump and stack trace."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
