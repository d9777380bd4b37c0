"""Spark: land CUR or GCP billing export Parquet from a path and build the same models as Parquet tables.

Landing reads the delivery where it lies (a local path or s3a://...) and projects it onto the
columns of DuckDB's ``raw_aws_cur`` with the very select list ``finops ingest aws`` uses
(:func:`finops.aws.cur_select_list`), compiled to Spark SQL: one typing rule for both engines, so
the models downstream see the same rows. The landing table is partitioned by payer account and
billing period and written with dynamic partition overwrite, so a restated month replaces its
period as a unit, as ``finops ingest`` does. Staging and intermediate models become temporary
views; marts (and anything materialised as a table, see :func:`compile.is_table`) become Parquet tables in the target schema.
A GCP Cloud Billing export in Parquet lands the same way into ``raw_gcp_billing`` with the select
list of ``finops ingest gcp`` (:func:`finops.gcp.normalised_select`), partitioned by billing
account and usage day: a re-delivered day replaces that day.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

import duckdb
from sqlglot import exp

from finops.config import Config
from finops.connectors.aws import SHAPE_FOCUS, cur_select_list, detect_shape
from finops.connectors.gcp import GCP_EXPORT, check_required, normalised_select
from finops.connectors.gcp import SHAPE as GCP_SHAPE
from finops.connectors.sources import open_source
from finops.engines.compile import compile_model, compile_sql, is_table, select_models
from finops.engines.iceberg import Target, current_files, spark_path, write_table
from finops.engines.inputs import input_tables, landing_columns, model_columns, table_names
from finops.engines.landing_log import Say, land_changed
from finops.engines.spark_build_state import read_state, reads_the_clock, state_key, write_state
from finops.errors import FinopsError
from finops.models.project import Model
from finops.warehouse.columns.cur import REQUIRED_COLUMNS
from finops.warehouse.connection import sql_literal
from finops.warehouse.loads import AWS_CUR, LandingTable, periods_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

LOADS_PARTITION_COLUMNS = ("provider", "billing_account_id", "billing_period_start")  # one row per period


# what the models' meaning rests on: UTC timestamps as DuckDB's, a landing replaces only its periods,
# and decimal sums keep DuckDB's ten decimals (by default Spark rounds DECIMAL(38, 10) + DECIMAL(38, 10)
# to nine, so sub-cent amounts drift and a share on a rounding boundary flips in its last place)
REQUIRED_CONF = {"spark.sql.session.timeZone": "UTC", "spark.sql.sources.partitionOverwriteMode": "dynamic",
                 "spark.sql.decimalOperations.allowPrecisionLoss": "false"}


def session(master: str = "local[2]", warehouse_dir: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """A SparkSession in UTC (as DuckDB's sessions are) that overwrites only the partitions it writes.

    ``conf`` is any other Spark setting (spark.jars.packages, spark.hadoop.fs.s3a.*, executor sizes)."""
    from pyspark.sql import SparkSession

    fixed = sorted(set(conf or {}) & set(REQUIRED_CONF))
    if fixed:
        raise FinopsError(f"--spark-conf {fixed[0]}: finops sets it to {REQUIRED_CONF[fixed[0]]}, the models depend on it")
    settings = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false", **(conf or {}), **REQUIRED_CONF}
    if warehouse_dir:
        settings["spark.sql.warehouse.dir"] = warehouse_dir
    builder = SparkSession.builder.master(master).appName("finops")
    for key, value in settings.items():
        builder = builder.config(key, value)
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


def register_tables(spark: SparkSession, schema: str, tables: dict[str, dict[str, str]],
                    iceberg: Target | None = None) -> None:
    """Each table as a temporary view of its files (with ``iceberg``, those of the Iceberg table's
    current snapshot), or empty with its columns when nothing is there yet."""
    from pyspark.sql.types import StructType

    for table, columns in tables.items():
        ddl = StructType.fromDDL(", ".join(f"`{name}` {spark_type(typ)}" for name, typ in columns.items()))
        paths = [spark_path(f) for f in current_files(iceberg, table) or []] if iceberg else [table_path(spark, schema, table)]
        try:
            frame = spark.read.schema(ddl).parquet(*paths)
        except Exception:
            frame = spark.createDataFrame([], ddl)
        frame.createOrReplaceTempView(table)


def land(spark: SparkSession, source: str, schema: str, iceberg: Target | None = None, say: Say | None = None) -> None:
    """Land every delivery under ``source``, replacing the periods it holds, and log them in
    ``loads`` as `finops ingest` does: CUR and GCP billing export Parquet read by the executors where
    it lies, any other shape `finops ingest` reads landed by its connectors on the driver
    (:mod:`finops.engines.spark_sources`). ``say`` hears the one line of a source with nothing new."""
    from finops.engines.spark_sources import land_on_driver

    scheme = source.split("://", 1)[0] if "://" in source else "file"
    if scheme in ("s3", "s3a") and not _has_filesystem(spark, scheme):
        if not spark.sparkContext.master.startswith("local"):
            # executors on other machines cannot read the driver's downloads: the rows travel through Spark
            land_on_driver(spark, source, schema, iceberg)
            return
        # local mode: the executors share the driver's disk, so fetch the objects as `finops ingest` does
        with open_source("s3://" + source.split("://", 1)[1]) as fetched:
            if not any(f.name.endswith(".parquet") for f in fetched.files):
                land_on_driver(spark, source, schema, iceberg)
                return
            _land_files(spark, str(fetched.local_copy(".parquet")), source, schema, iceberg)
        return
    land_changed(spark, source, schema, iceberg, _land_files, say)  # only the periods whose delivery changed


def _land_files(spark: SparkSession, path: str, source: str, schema: str, iceberg: Target | None) -> None:
    """Land the Parquet files under ``path``, naming them ``source`` (where they came from); any
    other shape (CSV, JSON, Avro, FOCUS files) on the driver."""
    from finops.engines.spark_sources import land_on_driver

    # mergeSchema: files written before and after a schema change (a GCP export gaining fields, the
    # standard and the detailed export) are read by name, as DuckDB's union_by_name does
    reader = spark.read.options(recursiveFileLookup="true", pathGlobFilter="*.parquet", mergeSchema="true")
    try:
        files = reader.parquet(path)
    except Exception:
        land_on_driver(spark, source, schema, iceberg)  # no Parquet here: the connectors say what there is
        return
    columns = {field.name: _duckdb_type(field.dataType.simpleString()) for field in files.schema.fields}
    if "billing_account_id" not in columns and "cost" not in columns and _is_focus(columns):
        land_on_driver(spark, source, schema, iceberg)
        return
    load_id = int(time.time())  # no sequence on Spark: the landing time (epoch seconds) is the load id
    if "billing_account_id" in columns or "cost" in columns:  # the export's own top-level fields, no CUR's
        landed, shape, landing = gcp_landing(files, columns, source, load_id)
    else:
        landed, shape, landing = cur_landing(files, columns, source, load_id)
    try:
        # partitioned by account and period (GCP: usage day): the periods in this delivery are
        # replaced as units, every other one is kept
        replace_partitions(spark.sql(landing), schema, landed.table, (landed.account, landed.period_start), iceberg)
    except Exception as exc:
        raise FinopsError(f"{source}: landing on Spark failed: {_first_message(exc)}") from None
    log_load(spark, schema, landed, load_id, source, shape, iceberg)


def _is_focus(columns: dict[str, str]) -> bool:
    """Whether Parquet ``columns`` are a FOCUS file's (AWS's FOCUS export or any provider's)."""
    try:
        return detect_shape(columns, "") == SHAPE_FOCUS
    except FinopsError:
        return False


def cur_landing(files: DataFrame, columns: dict[str, str], source: str, load_id: int) -> tuple[LandingTable, str, str]:
    """The landing table, shape and Spark SQL that land the CUR Parquet ``files`` (``columns``: their DuckDB types)."""
    try:
        shape = detect_shape(columns, source)
    except FinopsError:
        raise FinopsError(
            f"{source}: neither a CUR nor a GCP billing export (no line_item_* or lineItem/UnblendedCost columns, "
            f"no billing_account_id or cost)"
        ) from None
    sources = {name: name for name in columns}
    missing = [c for c in REQUIRED_COLUMNS if c not in sources]
    if missing:
        raise FinopsError(f"{source}: missing required column(s) {', '.join(missing)}; not a complete CUR")
    files.createOrReplaceTempView("cur_delivery")
    landing = compile_sql(
        f"select {cur_select_list(columns, sources)}, {load_id} as x_load_id, "
        f"{sql_literal(source)} as x_source_file from cur_delivery",
        "spark",
    )
    return AWS_CUR, shape, landing


def gcp_landing(files: DataFrame, columns: dict[str, str], source: str, load_id: int) -> tuple[LandingTable, str, str]:
    """The landing table, shape and Spark SQL that land a Cloud Billing export in Parquet.

    Google corrects a day by exporting more rows for it, so a delivery is the whole of each day it
    holds, and its usage days are what the landing replaces (GCP_EXPORT's period is the day)."""
    types = {name: duckdb.sqltype(typ) for name, typ in columns.items()}
    check_required(types, source)
    files.createOrReplaceTempView("gcp_delivery")
    normalised = normalised_select("gcp_delivery", types, source, sql_literal(source))
    return GCP_EXPORT, GCP_SHAPE, compile_sql(f"select *, {load_id} as x_load_id from ({normalised})", "spark")


def log_load(spark: SparkSession, schema: str, landed: LandingTable, load_id: int, source: str, shape: str,
             iceberg: Target | None) -> None:
    """One ``loads`` row per period just landed, replacing that period's row: the loads log of
    `finops ingest` (without the replaced loads' history), so the report's data-freshness section
    and `finops query` on ``loads`` say what Spark holds. The periods are read back from the landed
    table, whose files of this load Parquet statistics on x_load_id single out."""
    columns = landing_columns()
    register_tables(spark, schema, {landed.table: columns[landed.table]}, iceberg)
    just_landed = f"(select * from {landed.table} where x_load_id = {load_id})"
    log = compile_sql(
        f"select {load_id} as load_id, cast(current_timestamp as timestamp) as loaded_at, {sql_literal(source)} as source, "
        f"{sql_literal(shape)} as shape, provider, billing_account_id, billing_period_start, billing_period_end, "
        f"cast(null as varchar) as delivery_id, row_count, source_total, {sql_literal(landed.total_of)} as source_total_of, "
        f"currency, [{sql_literal(source)}] as files, "
        f"cast(null as bigint) as replaced_by from ({periods_sql(landed, just_landed)})",
        "spark",
    )
    try:
        replace_partitions(spark.sql(log), schema, "loads", LOADS_PARTITION_COLUMNS, iceberg)
    except Exception as exc:
        raise FinopsError(f"{source}: logging the load on Spark failed: {_first_message(exc)}") from None


def _has_filesystem(spark: SparkSession, scheme: str) -> bool:
    """Whether Spark's Hadoop can read ``scheme``:// (s3a needs hadoop-aws, which pyspark lacks)."""
    context = spark.sparkContext
    try:
        context._jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass(scheme, context._jsc.hadoopConfiguration())
    except Exception:
        return False
    return True


def replace_partitions(frame: DataFrame, schema: str, table: str, partition_columns: tuple[str, ...],
                       iceberg: Target | None) -> None:
    """Write a landing table's partitions that ``frame`` holds, keeping the others: Spark's dynamic
    partition overwrite of the table's directory, or one Iceberg snapshot."""
    if iceberg:
        write_table(iceberg, table, frame, partition_columns)
    else:
        frame.write.mode("overwrite").partitionBy(*partition_columns).parquet(table_path(frame.sparkSession, schema, table))


def load_inputs(spark: SparkSession, models: list[Model], config: Config | None) -> str:
    """Seeds and finops.toml settings as temporary views (small: they travel from the driver); returns
    a digest of their rows, so a build knows when they changed."""
    con = input_tables(models, config)
    digest = hashlib.sha256()
    try:
        for name in table_names(con):
            rows = con.table(name).to_arrow_table()
            digest.update(f"\0{name}\0{sorted(map(str, rows.to_pylist()))}".encode())
            spark.createDataFrame(rows).createOrReplaceTempView(name)
    finally:
        con.close()
    return digest.hexdigest()


def build(
    spark: SparkSession, schema: str = "finops", *, source: str | None = None, targets: list[str] | None = None,
    config: Config | None = None,
    iceberg: Target | None = None, say: Say | None = None,
) -> list[Model]:
    """Land ``source`` (if given), then build ``targets`` and what they select from (default: every model).

    With ``iceberg``, the landing tables and each mart are committed to that catalog's tables rather
    than left as plain Parquet. ``say`` (the CLI's messages, silent under --quiet) hears what a
    build with nothing new skipped."""
    if source:
        land(spark, source, schema, iceberg, say)
    register_tables(spark, schema, landing_columns(), iceberg)
    models = select_models(targets)
    key = state_key(spark, models, config, load_inputs(spark, models, config))
    built_before, dated = read_state(spark, schema, iceberg), reads_the_clock(models)
    kept = {name for name, built_key in built_before.items() if built_key == key and name not in dated}
    kept = {m.name for m in models if m.name in kept and _register_built(spark, schema, m.name, iceberg)}
    state = {name: built_key for name, built_key in built_before.items() if name in kept or name not in
             {m.name for m in models}}
    write_state(spark, schema, state, iceberg)  # what is rebuilt now is not current until it is built
    if kept and say:
        tables = sum(1 for m in models if is_table(m))
        say(f"models current: {len(kept)} of {tables} tables kept, built from the same data")
    types = model_columns()
    wanted = views_wanted(models, kept, targets)
    for model in models:
        if model.materialized == "seed" or model.name in kept or not (is_table(model) or model.name in wanted):
            continue
        sql = compile_model(model, "spark")
        try:
            if is_table(model):
                frame = typed(spark.sql(sql), types.get(model.name, {}))
                if iceberg:
                    path = write_table(iceberg, model.name, frame)
                else:
                    path = table_path(spark, schema, model.name)
                    frame.write.mode("overwrite").parquet(path)
                spark.read.parquet(path).createOrReplaceTempView(model.name)
            else:  # the analysed plan, not the SQL text, which Spark would parse and analyse again at every use
                spark.sql(sql).createOrReplaceTempView(model.name)
        except Exception as exc:
            raise FinopsError(f"{model.path}: model {model.name} failed on Spark: {_first_message(exc)}") from None
    write_state(spark, schema, {**state, **{m.name: key for m in models if is_table(m)}}, iceberg)
    return models


def views_wanted(models: list[Model], kept: set[str], targets: list[str] | None) -> set[str]:
    """The view models a build creates: those asked for (all, without ``targets``) and those a table
    it builds reads, directly or through other views. A view only kept tables read is left out: its
    analysis is most of a build with nothing new."""
    by_name = {m.name: m for m in models}
    views = {m.name for m in models if m.materialized != "seed" and not is_table(m)}
    wanted = {name for name in views if not targets or name in targets}
    stack = [*wanted, *(m.name for m in models if is_table(m) and m.name not in kept)]
    while stack:
        for name in by_name[stack.pop()].depends_on:
            if name in views and name not in wanted:
                wanted.add(name)
                stack.append(name)
    return wanted


def _register_built(spark: SparkSession, schema: str, name: str, iceberg: Target | None) -> bool:
    """Read the model table ``name`` as last built, if its files are there."""
    try:
        paths = [spark_path(f) for f in current_files(iceberg, name) or []] if iceberg else [table_path(spark, schema, name)]
        spark.read.parquet(*paths).createOrReplaceTempView(name)
    except Exception:  # never built here, or its files are gone: build it
        return False
    return True


def typed(frame: DataFrame, columns: dict[str, str]) -> DataFrame:
    """A table's numbers cast to the types DuckDB gives them (``columns``), its columns in DuckDB's
    order: Spark's ratios of decimals stay DECIMAL where DuckDB's are DOUBLE, and Spark puts the keys
    of a join USING (...) first where DuckDB keeps ``select left.*`` in the left table's order. Only
    numbers: Spark has no HUGEINT, and the rest agree."""
    from pyspark.sql.functions import col

    numbers = {name: spark_type(typ) for name, typ in columns.items() if typ.startswith(("DECIMAL", "DOUBLE"))}
    order = [name for name in columns if name in frame.columns] + [n for n in frame.columns if n not in columns]
    return frame.select(*[
        col(f"`{name}`").cast(numbers[name]).alias(name) if name in numbers else col(f"`{name}`")
        for name in order
    ])


def _first_message(exc: BaseException) -> str:
    """Spark's message without its plan dump and stack trace; for an error raised in the JVM, its
    root cause (py4j's own first line, "An error occurred while calling o39.parquet", says nothing)."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        while java.getCause() is not None:
            java = java.getCause()
        return java.toString().splitlines()[0]
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
