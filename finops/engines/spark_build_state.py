"""Which model tables a Spark build can keep: those built from the same landed data by the same models.

A nightly `finops build --engine spark` with nothing new would otherwise rebuild every mart from
unchanged rows. The table ``spark_build_state`` in the target schema holds, per model table, the key it
was built under: a digest of the project (SQL, seeds and macros, as `finops build` fingerprints
them), of the seed and settings tables the models read, and of the ``loads`` log (a landing writes a new load id for every
period it replaces). A table whose key matches and whose files exist is read as it is; every other
one is built. Models that read the clock (``current_date``) and whatever selects from them are
always built, so nothing dated is kept from an earlier day.

The keys of the tables about to be built are removed before the build and written after it, so a
build that fails half-way leaves nothing that a later build would mistake for current.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from finops.config import Config
from finops.models.builder import project_fingerprint
from finops.models.project import Model

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from finops.engines.iceberg import Target

STATE_TABLE = "spark_build_state"
STATE_COLUMNS = {"model": "VARCHAR", "state_key": "VARCHAR"}
CLOCK = re.compile(r"\b(current_date|current_timestamp|now\s*\(|today\s*\()", re.IGNORECASE)


def state_key(spark: SparkSession, models: list[Model], config: Config | None, inputs: str) -> str:
    """The key of a build from what is landed now (the ``loads`` view must be registered) with the
    seed and settings tables whose digest is ``inputs``."""
    loads = sorted(str(tuple(row)) for row in spark.table("loads").collect())  # one row per period: small
    digest = hashlib.sha256(f"{project_fingerprint(models, config)}\0{inputs}".encode())
    for row in loads:
        digest.update(b"\0" + row.encode())
    return digest.hexdigest()


def reads_the_clock(models: list[Model]) -> set[str]:
    """The models whose rows depend on the day they are built, and every model selecting from one."""
    dated: set[str] = set()
    for model in models:  # in build order: what a model selects from comes first
        if CLOCK.search(model.sql) or any(name in dated for name in model.depends_on):
            dated.add(model.name)
    return dated


def read_state(spark: SparkSession, schema: str, iceberg: Target | None) -> dict[str, str]:
    """Each model table's key as last built (empty before the first build)."""
    from finops.engines.spark import register_tables

    register_tables(spark, schema, {STATE_TABLE: STATE_COLUMNS}, iceberg)
    return {row["model"]: row["state_key"] for row in spark.table(STATE_TABLE).collect()}


def write_state(spark: SparkSession, schema: str, state: dict[str, str], iceberg: Target | None) -> None:
    """Replace ``spark_build_state`` with ``state`` (a row per model table: it travels through the driver)."""
    from finops.engines.spark import replace_partitions

    columns = spark.table(STATE_TABLE).schema  # registered by read_state, with STATE_COLUMNS
    frame = spark.createDataFrame(sorted(state.items()), columns)
    if iceberg:  # written twice in a build, while a build's files of a table go to one directory
        iceberg = replace(iceberg, build_id=f"{iceberg.build_id}-{uuid.uuid4().hex[:8]}")
    replace_partitions(frame, schema, STATE_TABLE, (), iceberg)
