"""``finops.ingest_aws`` and ``finops.ingest_focus``: the library's names for the pipeline's two bill kinds."""

from __future__ import annotations

import os

import duckdb

from finops.config import Config
from finops.connectors.pipeline import ingest
from finops.connectors.registry import Progress
from finops.warehouse.loads import LoadResult


def ingest_aws(
    con: duckdb.DuckDBPyConnection,
    location: str | os.PathLike[str],
    *,
    endpoint_url: str | None = None,
    build: bool = True,
    config: Config | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> list[LoadResult]:
    """Load every AWS CUR delivery (legacy, CUR 2.0, FOCUS export, loose files) under ``location``;
    ``force`` loads those older than the loaded deliveries of their periods too."""
    return ingest(con, "aws", location, build=build, config=config, progress=progress, endpoint_url=endpoint_url,
                  force=force)


def ingest_focus(
    con: duckdb.DuckDBPyConnection,
    location: str | os.PathLike[str],
    *,
    endpoint_url: str | None = None,
    build: bool = True,
    config: Config | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> list[LoadResult]:
    """Load FOCUS files (CSV or Parquet, any provider) under ``location``; ``force`` loads those
    older than the loaded deliveries of their periods too."""
    return ingest(con, "focus", location, build=build, config=config, progress=progress, endpoint_url=endpoint_url,
                  force=force)
