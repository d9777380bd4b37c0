"""GCP connector: the Cloud Billing export (BigQuery table, or its files) into ``raw_gcp_billing``.

``files`` reads exported JSON, Parquet and Avro files, ``bigquery`` the export table itself,
``normalise`` maps either onto the landing table's columns with one SELECT, and ``land`` inserts
only the usage days that have newer rows (see its docstring). This module registers the kind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from finops.config import Config
from finops.connectors.gcp.bigquery import BQ_TABLE, bigquery_queries, bigquery_table, land_bigquery
from finops.connectors.gcp.files import DATA_SUFFIXES, JSON_SUFFIXES, check_required, file_inputs
from finops.connectors.gcp.land import DELIVERY_PREFIX, GCP_EXPORT, PROVIDER, SHAPE, check, describe_days, land_files, loaded_days
from finops.connectors.gcp.normalise import normalised_select
from finops.connectors.pipeline import ingest
from finops.connectors.registry import Delivery, IngestOptions, Landed, Progress, SourceKind, register
from finops.connectors.sources import open_source
from finops.errors import FinopsError
from finops.warehouse.loads import LoadResult

__all__ = [
    "BQ_TABLE", "DATA_SUFFIXES", "DELIVERY_PREFIX", "GCP_EXPORT", "JSON_SUFFIXES", "PROVIDER", "SHAPE",
    "bigquery_queries", "bigquery_table", "check_required", "ingest_gcp", "loaded_days", "normalised_select",
]


@contextmanager
def discover_at(location: str, options: IngestOptions) -> Iterator[list[Delivery]]:
    """A BigQuery table, or all the export files at a location: one delivery, whose days decide what is new."""
    if location.startswith("bq://"):
        yield [Delivery(location, location=location)]
        return
    with open_source(location, gcs_client=options.storage_client) as source:
        files = [f for f in source.files if f.name.lower().endswith(DATA_SUFFIXES)]
        if not files:
            raise FinopsError(f"{source.root}: no .json, .json.gz, .parquet or .avro files found")
        label = files[0].uri if len(files) == 1 else f"{source.root} ({len(files)} files)"
        yield [Delivery(label, files, source=source)]


def land(con: duckdb.DuckDBPyConnection, delivery: Delivery, paths: list[Path], options: IngestOptions) -> Landed:
    """Insert the usage days the table or files hold newer rows for."""
    if delivery.location.startswith("bq://"):
        return land_bigquery(con, delivery.location, options.bigquery_client, options.progress)
    inputs = file_inputs(con, paths, [f.uri for f in delivery.files])
    return land_files(con, inputs, delivery.label, options.progress, force=options.force)


register(SourceKind(
    "gcp",
    "The GCP Cloud Billing export, from its BigQuery table or its exported JSON, Parquet or Avro files; "
    "replaces each usage day that has newer rows",
    ("bq://PROJECT.DATASET.TABLE", "a directory or file", "gs://BUCKET/PREFIX"),
    discover_at, land, check, describe_days,
    example="finops ingest gcp bq://my-project.billing.gcp_billing_export_resource_v1_0123AB_456CD_789EF\n  finops ingest gcp ./export/",
))


def ingest_gcp(
    con: duckdb.DuckDBPyConnection,
    location: str | os.PathLike[str],
    *,
    build: bool = True,
    config: Config | None = None,
    progress: Progress | None = None,
    bigquery_client: object | None = None,
    storage_client: object | None = None,
    force: bool = False,
) -> list[LoadResult]:
    """Load the Cloud Billing export at ``location`` (``bq://project.dataset.table``, or a
    directory, file or ``gs://bucket/prefix`` of exported JSON/Parquet/Avro files); replace each
    usage day that has newer rows (every day of the source with ``force``). The Google clients can
    be injected (tests, custom settings)."""
    return ingest(con, "gcp", location, build=build, config=config, progress=progress,
                  bigquery_client=bigquery_client, storage_client=storage_client, force=force)
