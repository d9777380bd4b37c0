"""Every source shape `finops ingest` reads, landed for Spark by the connectors themselves on the driver.

Legacy CUR CSV(.gz) with manifests and assembly folders, AWS FOCUS exports and any FOCUS file, GCP
JSON/JSONL(.gz)/Avro (and whatever Spark cannot read as CUR or GCP Parquet itself) go through the
very discovery, landing and checks of `finops ingest` (:func:`finops.connectors.pipeline.land_one`),
into a DuckDB file in a temporary directory on the driver: every type, every per-row check and
every one-line error is `finops ingest`'s. The landed rows then travel to the executors through
Spark itself (Arrow batches, so no filesystem need be shared with the driver), and replace their
periods in the Spark landing tables as Spark-native landing does. A bad file stops the build
before any Spark table is written.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from finops.connectors.aws import SHAPE_FOCUS, detect_shape
from finops.connectors.gcp import DATA_SUFFIXES as GCP_SUFFIXES
from finops.connectors.pipeline import land_one
from finops.connectors.readers import describe, file_set
from finops.connectors.registry import SOURCE_KINDS, Delivery, IngestOptions, SourceKind
from finops.connectors.sources import open_source
from finops.engines.inputs import landing_columns
from finops.engines.spark import LOADS_PARTITION_COLUMNS, replace_partitions, spark_type
from finops.errors import FinopsError
from finops.warehouse.connection import connect, transaction
from finops.warehouse.loads import LANDING_TABLES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from finops.engines.iceberg import Target

GCP_ONLY_SUFFIXES = tuple(s for s in GCP_SUFFIXES if s != ".parquet")  # JSON and Avro: never an AWS bill


def source_kind_for(location: str) -> SourceKind:
    """The kind `finops ingest` would be told for ``source``: GCP for JSON or Avro files or Parquet
    with the export's columns, FOCUS for FOCUS files without a CUR manifest, AWS otherwise."""
    with open_source(location) as listed:
        names = [f.name.lower() for f in listed.files]
        if any(name.endswith("manifest.json") for name in names):
            return SOURCE_KINDS["aws"]  # CUR manifests (legacy, CUR 2.0 and AWS's FOCUS export)
        if any(name.endswith(GCP_ONLY_SUFFIXES) for name in names):
            return SOURCE_KINDS["gcp"]
        data = [f for f in listed.files if f.name.lower().endswith((".csv", ".csv.gz", ".parquet"))]
        if not data:
            return SOURCE_KINDS["aws"]  # whose discovery says what is missing
        con = duckdb.connect()
        try:
            columns = describe(con, file_set([listed.local_path(data[0])], [data[0].uri]))
        finally:
            con.close()
    if "billing_account_id" in columns or "cost" in columns:
        return SOURCE_KINDS["gcp"]
    try:
        shape = detect_shape(columns, data[0].uri)
    except FinopsError:
        shape = None  # not a CUR either: the FOCUS connector names the columns it lacks
    return SOURCE_KINDS["aws"] if shape and shape != SHAPE_FOCUS else SOURCE_KINDS["focus"]


def land_on_driver(spark: SparkSession, source: str, schema: str, iceberg: Target | None) -> None:
    """Land ``source`` with the connectors of `finops ingest` on the driver, then into Spark's tables."""
    location = "s3://" + source.split("://", 1)[1] if source.startswith("s3a://") else source  # boto3's spelling
    kind = source_kind_for(location)
    with tempfile.TemporaryDirectory(prefix="finops-landing-") as scratch, \
            connect(Path(scratch) / "landing.duckdb") as con, \
            kind.discover(location, IngestOptions()) as deliveries:
        land_deliveries(spark, con, kind, deliveries, schema, iceberg)


def land_deliveries(spark: SparkSession, con: duckdb.DuckDBPyConnection, kind: SourceKind, deliveries: list[Delivery],
                    schema: str, iceberg: Target | None) -> None:
    """Land ``deliveries`` (those of one source to land; a caller may pass fewer) in the scratch
    warehouse ``con`` exactly as `finops ingest` does, then replace their periods on Spark.

    Load ids are the landing time in epoch seconds plus the scratch id, as Spark-native landing's."""
    with transaction(con):
        for delivery in deliveries:
            land_one(con, kind, delivery, IngestOptions())
    offset = int(time.time()) - 1
    for landed in LANDING_TABLES:
        if con.execute(f"select count(*) from {landed.table}").fetchall()[0][0]:
            frame = to_spark(spark, con, landed.table, f"* replace (x_load_id + {offset} as x_load_id)")
            replace_partitions(frame, schema, landed.table, (_column(landed.account), _column(landed.period_start)),
                               iceberg)
    if con.execute("select count(*) from loads where replaced_by is null").fetchall()[0][0]:
        loads = to_spark(spark, con, "loads", f"* replace (load_id + {offset} as load_id)", "replaced_by is null")
        replace_partitions(loads, schema, "loads", LOADS_PARTITION_COLUMNS, iceberg)


def to_spark(spark: SparkSession, con: duckdb.DuckDBPyConnection, table: str, select: str, where: str = "true") -> DataFrame:
    """A scratch table's rows as a Spark DataFrame with the landing table's Spark types."""
    from pyspark.sql.functions import col
    from pyspark.sql.types import StructType

    columns = landing_columns()[table]
    arrow = con.sql(f"select {select} from {table} where {where}").to_arrow_table()
    frame = spark.createDataFrame(arrow)
    ddl = StructType.fromDDL(", ".join(f"`{name}` {spark_type(typ)}" for name, typ in columns.items()))
    return frame.select(*[col(f"`{f.name}`").cast(f.dataType).alias(f.name) for f in ddl.fields])


def _column(expression: str) -> str:
    """A LandingTable's column name without its SQL quotes ("BillingAccountId" is BillingAccountId)."""
    return expression.strip('"')
