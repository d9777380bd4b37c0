"""Ingest commands: find deliveries, land them, rebuild the models, all in one transaction.

Everything a command does happens in one DuckDB transaction: if any file is bad the warehouse is
exactly as it was, and a crash mid-way leaves the previous data. Deliveries already loaded are
skipped after a cheap listing, so re-running a command costs almost nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
import duckdb

from finops.connectors import aws
from finops.connectors import focus
from finops.models import builder as models
from finops.errors import FinopsError
from finops.warehouse.loads import LoadResult, already_loaded
from finops.connectors.readers import file_set
from finops.connectors.sources import Source, open_source
from finops.warehouse.connection import next_load_id, transaction

Progress = Callable[[str], None]


def ingest_aws(
    con: duckdb.DuckDBPyConnection,
    location: str | os.PathLike[str],
    *,
    endpoint_url: str | None = None,
    build: bool = True,
    progress: Progress | None = None,
) -> list[LoadResult]:
    """Load every AWS CUR delivery (legacy, CUR 2.0, FOCUS export, loose files) under ``location``."""
    with open_source(location, endpoint_url=endpoint_url) as source:
        return _ingest(con, source, aws.discover(source), aws.land, build=build, progress=progress)


def ingest_focus(
    con: duckdb.DuckDBPyConnection,
    location: str | os.PathLike[str],
    *,
    endpoint_url: str | None = None,
    build: bool = True,
    progress: Progress | None = None,
) -> list[LoadResult]:
    """Load FOCUS files (CSV or Parquet, any provider) under ``location``."""
    with open_source(location, endpoint_url=endpoint_url) as source:
        deliveries = aws.loose_deliveries(source)
        if not deliveries:
            raise FinopsError(f"{source.root}: no .csv, .csv.gz or .parquet files found")

        def land(con: duckdb.DuckDBPyConnection, files, delivery, load_id):  # noqa: ANN001
            return focus.land(con, files, None, load_id, delivery_id=delivery.delivery_id, source=delivery.label)

        return _ingest(con, source, deliveries, land, build=build, progress=progress)


def _ingest(con, source: Source, deliveries, land, *, build: bool, progress: Progress | None) -> list[LoadResult]:  # noqa: ANN001
    results: list[LoadResult] = []
    with transaction(con):
        for delivery in deliveries:
            if already_loaded(con, delivery.delivery_id):
                results.append(LoadResult(delivery.label, "", skipped=True))
                continue
            if progress:
                progress(f"loading {delivery.label}")
            paths = [source.local_path(f) for f in delivery.files]
            files = file_set(paths, [f.uri for f in delivery.files])
            results.append(land(con, files, delivery, next_load_id(con)))
            for f in delivery.files:
                source.release(f)
        if build and any(not r.skipped for r in results):
            if progress:
                progress("building models")
            models.build(con)
    return results

