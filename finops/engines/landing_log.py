"""Incremental landing on Spark: land only the periods whose delivery changed since the last build.

A nightly `finops build --engine spark --source s3a://bucket/cur/` would otherwise re-read the
bucket's whole history. Before landing, the files under the source are listed (names, sizes and
modification times: a listing, no file is opened) and grouped into deliveries, one per billing
period folder: ``BILLING_PERIOD=YYYY-MM`` (CUR 2.0: its ``data/`` folder together with the manifest
in ``metadata/``, whose executionId changes with each delivery) or ``YYYYMMDD-YYYYMMDD`` (legacy
CUR: the manifest and its assemblyId folders). A source whose files are not all in such folders
(a GCP export, a FOCUS folder) is one delivery, re-landed whole when any file changes.

The table ``landing_log`` in the target schema (Parquet, or an Iceberg table with
``--table-format iceberg``) holds each delivery's file list as last landed. A delivery whose list
differs, or that is new, is landed (its periods replaced as units, as always); one that matches is
not read at all; a build with nothing new lands nothing and says so in one line (to ``say``). The
log is written after the landing, so a failed landing is retried by the next build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from finops.connectors.aws import CUR2_PERIOD_DIR, LEGACY_PERIOD_DIR

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from finops.engines.iceberg import Target

    # spark.py's landing of the files under a path: (session, path, source, schema, iceberg)
    Lander = Callable[[SparkSession, str, str, str, Target | None], None]

Say = Callable[[str], None]  # where a build's one-line messages go (the CLI's, silent under --quiet)

LOG_TABLE = "landing_log"
LOG_COLUMNS = {"source": "VARCHAR", "delivery": "VARCHAR", "files": "VARCHAR[]", "file_count": "BIGINT",
               "bytes": "BIGINT", "landed_at": "TIMESTAMP"}
WHOLE_SOURCE = "."  # the delivery key of a source that is not laid out in period folders


@dataclass(frozen=True)
class File:
    """One file of a delivery as the listing shows it: its path under the source, size and mtime (ms)."""

    path: str
    size: int
    modified: int

    def evidence(self) -> str:
        return f"{self.path} {self.size} {self.modified}"


def delivery_key(path: str) -> str | None:
    """The period folder ``path`` (relative to the source) lies in, or None when it lies in none.

    A CUR 2.0 manifest (``<export>/metadata/BILLING_PERIOD=…/``) belongs to its data folder
    (``<export>/data/BILLING_PERIOD=…/``), where the landing reads the period's rows."""
    parts = path.split("/")[:-1]
    for i, part in enumerate(parts):
        if CUR2_PERIOD_DIR.match(part):
            folder = parts[: i + 1]
            if i > 0 and folder[i - 1] == "metadata":
                folder[i - 1] = "data"
            return "/".join(folder)
        if LEGACY_PERIOD_DIR.match(part):
            return "/".join(parts[: i + 1])
    return None


def deliveries(files: list[File]) -> dict[str, tuple[str, ...]]:
    """Each delivery's evidence (its files' paths, sizes and mtimes, sorted), by delivery key; the
    whole source as one delivery when any file lies outside a period folder."""
    keys = {f.path: delivery_key(f.path) for f in files}
    grouped: dict[str, list[str]] = {}
    whole = any(key is None for key in keys.values())
    for f in files:
        grouped.setdefault(WHOLE_SOURCE if whole else keys[f.path], []).append(f.evidence())
    return {key: tuple(sorted(entries)) for key, entries in grouped.items()}


def changed(current: dict[str, tuple[str, ...]], logged: dict[str, tuple[str, ...]]) -> list[str]:
    """The deliveries to land: new ones and those whose files differ from what was last landed."""
    return sorted(key for key, evidence in current.items() if logged.get(key) != evidence)


def land_changed(
    spark: SparkSession, source: str, schema: str, iceberg: Target | None, land_files: Lander, say: Say | None = None
) -> None:
    """Land (with ``land_files``) the deliveries under ``source`` that changed since the last build
    and log them. Every delivery new (a first build): one landing of the whole source."""
    root = source.rstrip("/")
    current = deliveries(list_files(spark, root))
    if not current:  # nothing listed: the landing says what is wrong with the path
        land_files(spark, source, source, schema, iceberg)
        return
    logged = read_log(spark, schema, root, iceberg)
    todo = changed(current, logged)
    if not todo:
        if say:
            count = len(current)
            say(f"nothing new under {source}: {count} period{'' if count == 1 else 's'} unchanged")
        return
    if len(todo) == len(current):
        land_files(spark, source, source, schema, iceberg)
    else:
        for key in todo:  # each replaces its own periods; the unchanged ones are not read
            land_files(spark, f"{root}/{key}", source, schema, iceberg)
    write_log(spark, schema, root, {**logged, **{key: current[key] for key in todo}}, iceberg)


def list_files(spark: SparkSession, root: str) -> list[File]:
    """Every file under ``root``, through Spark's Hadoop file systems (local, s3a://, gs://), with
    paths relative to it (none when it does not exist); hidden files (``_SUCCESS``, ``.crc``) are
    skipped, as Spark's readers do."""
    context = spark.sparkContext
    hadoop = context._jvm.org.apache.hadoop.fs
    path = hadoop.Path(root)
    filesystem = path.getFileSystem(context._jsc.hadoopConfiguration())
    prefix = filesystem.makeQualified(path).toString().rstrip("/") + "/"
    try:
        listing = filesystem.listFiles(path, True)
    except Exception:  # a missing path: no files, and the landing's own one-line error
        return []
    files = []
    while listing.hasNext():
        status = listing.next()
        relative = status.getPath().toString().removeprefix(prefix)
        if not any(part.startswith(("_", ".")) for part in relative.split("/")):
            files.append(File(relative, status.getLen(), status.getModificationTime()))
    return files


def read_log(spark: SparkSession, schema: str, root: str, iceberg: Target | None) -> dict[str, tuple[str, ...]]:
    """What was last landed from ``root``: each delivery's evidence, by key (empty on a first build)."""
    from pyspark.sql.functions import col

    from finops.engines.spark import register_tables

    register_tables(spark, schema, {LOG_TABLE: LOG_COLUMNS}, iceberg)
    rows = spark.table(LOG_TABLE).where(col("source") == root).select("delivery", "files").collect()
    return {row["delivery"]: tuple(row["files"]) for row in rows}


def write_log(spark: SparkSession, schema: str, root: str, landed: dict[str, tuple[str, ...]], iceberg: Target | None) -> None:
    """Replace ``root``'s rows of the log with ``landed``, keeping other sources' rows. The rows
    travel through the driver (one per period), so the table is rewritten, never read while written."""
    from pyspark.sql.functions import col

    from finops.engines.spark import replace_partitions

    others = [tuple(row) for row in spark.table(LOG_TABLE).where(col("source") != root).collect()]
    now = datetime.now(UTC)
    ours = [(root, key, list(files), len(files), sum(int(f.rsplit(" ", 2)[1]) for f in files), now)
            for key, files in sorted(landed.items())]
    columns = spark.table(LOG_TABLE).schema  # registered by read_log, with LOG_COLUMNS
    replace_partitions(spark.createDataFrame(others + ours, columns), schema, LOG_TABLE, (), iceberg)

