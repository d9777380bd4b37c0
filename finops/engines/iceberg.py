"""Iceberg tables for what Spark builds, committed through pyiceberg.

The Iceberg Spark runtime is a JVM jar that has to come from Maven, so Spark does not write
Iceberg itself here: Spark writes plain Parquet (it scales; no row passes through Python) into a
fresh directory of the table, ``<table location>/data/<build id>/``, and only then pyiceberg
commits those files to the table in the user's catalog as one snapshot that also removes the files
they replace: every file of a mart, the files of the partitions being landed (a billing period of
``raw_aws_cur``, a usage day of ``raw_gcp_billing``). Readers see the old contents or the new, never
a half-written table; the directory of an earlier build stays until its snapshots are expired,
since they still point into it.

The catalog is configured the way every pyiceberg user already does it: ``~/.pyiceberg.yaml``
(or ``$PYICEBERG_HOME/.pyiceberg.yaml``) or ``PYICEBERG_CATALOG__<NAME>__<PROPERTY>`` variables,
so a Glue, REST, Hive or SQL catalog needs no finops-specific settings and no secret on the
command line.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from finops.errors import FinopsError

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table
    from pyspark.sql import DataFrame, SparkSession

COMMIT_RETRIES = 6  # attempts after the first when another writer committed in between
BACKOFF_SECONDS = 0.2  # the first wait; doubled each retry, with jitter so two writers drift apart
BUILD_PROPERTY = "finops.build-id"  # in every snapshot's summary: which `finops build` committed it
PARTITION_DIRECTORY = "partition"  # a landing table's directory per partition, so that each file holds one


@dataclass(frozen=True)
class Target:
    """Where one `finops build` commits: a catalog, the namespace (``--target-schema``) and this build's id."""

    catalog: Catalog
    namespace: str
    build_id: str


def target(catalog_name: str | None, namespace: str) -> Target:
    """The catalog named on the command line (default: pyiceberg's default catalog), loaded from pyiceberg's config.

    Checked before Spark starts, so a misnamed or misconfigured catalog is one line, not a JVM
    start-up followed by a stack trace."""
    try:
        from pyiceberg.catalog import load_catalog
        from pyiceberg.utils.config import Config
    except ImportError:
        raise FinopsError("--table-format iceberg needs pyiceberg (pip install 'finops[spark]')") from None
    name = catalog_name or "default"
    try:
        config = Config()  # read now, not at pyiceberg's import: the environment may have changed since
        name = catalog_name or config.get_default_catalog_name()
        properties = config.get_catalog_config(name)
    except Exception as exc:
        raise FinopsError(f"--iceberg-catalog {name}: pyiceberg's configuration: {_message(exc)}") from None
    if not properties:
        raise FinopsError(
            f"--iceberg-catalog {name}: no such catalog in .pyiceberg.yaml "
            f"or PYICEBERG_CATALOG__{name.upper().replace('-', '_')}__* variables"
        )
    try:
        catalog = load_catalog(name, **properties)
        catalog.create_namespace_if_not_exists(namespace)
    except Exception as exc:
        raise FinopsError(f"--iceberg-catalog {name}: {_message(exc)}") from None
    build_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    return Target(catalog, namespace, build_id)


def write_table(target: Target, name: str, frame: DataFrame, partition_columns: tuple[str, ...] = ()) -> str:
    """Write ``frame`` as this build's files of table ``name`` and commit them: a mart (no
    ``partition_columns``) replaces the table's contents; a landing table partitioned by them
    replaces the partitions the frame holds (a restated month) and keeps every other one.

    A landing table's files go to one directory per partition, named by a hash of its values so
    that no value has to be escaped in a path; the partition columns stay inside the files, where
    pyiceberg reads each file's partition from its column statistics. Returns the directory Spark
    reads the new files back from."""
    from pyspark.sql.functions import col, xxhash64

    table = _table(target, name, frame, partition_columns)
    directory = spark_path(f"{table.location().rstrip('/')}/data/{target.build_id}")
    _int64_timestamps(frame.sparkSession)
    if partition_columns:
        keyed = frame.withColumn(PARTITION_DIRECTORY, xxhash64(*(col(c) for c in partition_columns)))
        keyed.write.partitionBy(PARTITION_DIRECTORY).parquet(directory)
    else:
        frame.write.parquet(directory)
    commit_files(table, target, _written(frame, table, target.build_id), whole=not partition_columns)
    return directory


def current_files(target: Target, name: str) -> list[str] | None:
    """The data files of the table's current snapshot (None when the table does not exist yet)."""
    from pyiceberg.exceptions import NoSuchTableError

    try:
        table = target.catalog.load_table((target.namespace, name))
    except NoSuchTableError:
        return None
    return [task.file.file_path for task in table.scan().plan_files()]


def spark_path(location: str) -> str:
    """An Iceberg location as Spark's Hadoop file systems name it (S3 is s3a:// there)."""
    return "s3a://" + location.removeprefix("s3://") if location.startswith("s3://") else location


def _table(target: Target, name: str, frame: DataFrame, partition_columns: tuple[str, ...] = ()) -> Table:
    """The table, created with the frame's columns (and identity partitions) if absent; columns a
    changed model adds are added to it."""
    import pyarrow as pa
    from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError
    from pyspark.sql.pandas.types import to_arrow_schema

    # every column optional: Spark's nullability follows the plan, and a rebuild may differ
    schema = pa.schema([f.with_nullable(True) for f in to_arrow_schema(frame.schema, timezone="UTC")])
    identifier = (target.namespace, name)
    try:
        table = target.catalog.load_table(identifier)
    except NoSuchTableError:
        try:  # table and partitioning in one commit, so a concurrent build never sees it unpartitioned
            with target.catalog.create_table_transaction(identifier, schema=schema) as tx:
                if partition_columns:
                    with tx.update_spec() as spec:
                        for column in partition_columns:
                            spec.add_identity(column)
        except TableAlreadyExistsError:
            pass  # another build created it a moment ago: use theirs
        return target.catalog.load_table(identifier)
    try:
        with table.update_schema() as update:
            update.union_by_name(schema)
    except Exception as exc:
        raise FinopsError(
            f"iceberg table {target.namespace}.{name}: the model's columns no longer fit it: {_message(exc)}"
        ) from None
    return table


def _int64_timestamps(spark: SparkSession) -> None:
    """Iceberg wants timestamps as int64 microseconds, not Spark's default INT96."""
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")


def _written(frame: DataFrame, table: Table, build_id: str) -> list[str]:
    """The files Spark wrote for this build, named as the table names its location (s3://, not s3a://)."""
    directory = f"{table.location().rstrip('/')}/data/{build_id}"
    written = frame.sparkSession.read.option("recursiveFileLookup", "true").parquet(spark_path(directory)).inputFiles()
    return sorted(f"{directory}/{path.split(f'/{build_id}/', 1)[1]}" for path in written)


def commit_files(table: Table, target: Target, files: list[str], *, whole: bool = True, retries: int = COMMIT_RETRIES) -> None:
    """Commit ``files`` as one snapshot, retried when another writer committed first.

    Iceberg commits are optimistic: a commit based on a snapshot that is no longer current fails.
    pyiceberg's own retry of it re-applies the same deletes, which its serializable check then
    refuses (ValidationException: the other writer added files). So each retry here waits
    (exponential backoff with jitter), reloads the table and plans the deletes again against the
    catalog's current snapshot: a concurrent build's partitions are kept, only this build's are
    replaced, and a mart ends with one copy. After the last retry the build stops with one line."""
    from pyiceberg.exceptions import CommitFailedException, ValidationException

    for attempt in range(retries + 1):
        try:
            _commit_once(table, target, files, whole=whole)
            return
        except (CommitFailedException, ValidationException):
            if attempt == retries:
                break
            time.sleep(BACKOFF_SECONDS * 2**attempt * (0.5 + random.random()))
            table.refresh()
    raise FinopsError(
        f"iceberg table {target.namespace}.{table.name()[-1]}: commit conflict after {retries} retries; "
        f"another build is writing"
    )


def _commit_once(table: Table, target: Target, files: list[str], *, whole: bool) -> None:
    """One snapshot that adds ``files`` and deletes the files they replace: every file the table
    held (``whole``, a mart), or those of the partitions the new files hold (a landing table)."""
    from pyiceberg.io.pyarrow import parquet_file_to_data_file
    from pyiceberg.table import TableProperties

    with table.transaction() as tx:
        # add_files' way of reading columns by name: Spark's Parquet files carry no Iceberg field ids
        mapping = tx.table_metadata.schema().name_mapping.model_dump_json()
        tx.set_properties(**{TableProperties.DEFAULT_NAME_MAPPING: mapping})
        added = [parquet_file_to_data_file(table.io, tx.table_metadata, path) for path in files]
        landed = {_key(data_file.partition) for data_file in added}
        with tx.update_snapshot(snapshot_properties={BUILD_PROPERTY: target.build_id}).overwrite() as overwrite:
            for task in table.scan().plan_files():
                if whole or _key(task.file.partition) in landed:
                    overwrite.delete_data_file(task.file)
            for data_file in added:
                overwrite.append_data_file(data_file)


def _key(partition) -> tuple:  # noqa: ANN001 -- pyiceberg's Record of a file's partition values
    return tuple(partition[i] for i in range(len(partition)))


def _message(exc: BaseException) -> str:
    """The first line of an error, with any password in a URL (user:secret@host) masked."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return re.sub(r"(//[^/:@\s]*):[^@/\s]*@", r"\1:***@", first)
