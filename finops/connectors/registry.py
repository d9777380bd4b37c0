"""What a source kind is, and the registry of them: adding a kind is one module plus one ``register``.

A kind says where it reads from and supplies plain functions; :mod:`finops.connectors.pipeline`
does everything else the same way for every kind (one transaction, skipping deliveries already
loaded, the ``loads`` log, releasing downloads, one build). The kinds register themselves when
their module is imported; ``finops/connectors/__init__.py`` imports them all, so the registry is
complete as soon as anything in ``finops.connectors`` is used.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from finops.connectors.readers import FileSet
from finops.connectors.sources import Source, SourceFile
from finops.warehouse.loads import LandingTable, LoadResult

Progress = Callable[[str], None]
"""Where an ingest says what it is doing, one short line at a time (the CLI's spinner, refresh's log)."""


@dataclass(frozen=True)
class IngestOptions:
    """Settings some kinds use and the others ignore, so every caller passes them the same way."""

    endpoint_url: str | None = None  # S3 or CloudWatch endpoint (MinIO, moto, a VPC endpoint)
    resource: str | None = None  # the instance metrics belong to when the file does not say
    bigquery_client: object | None = None  # injected Google clients (tests, custom settings)
    storage_client: object | None = None
    progress: Progress | None = None
    force: bool = False  # load deliveries older than the loaded ones too (`finops ingest --force`)


@dataclass
class Delivery:
    """One unit a kind lands: files of a source, or a location the kind reads itself (bq://, cloudwatch://)."""

    label: str
    files: list[SourceFile] = field(default_factory=list)
    delivery_id: str | None = None
    """Same id, same data: skipped when already loaded. None when the kind tells what is new while
    landing (GCP compares usage days, a metrics file replaces its own samples)."""
    period_start: str | None = None  # 'YYYY-MM-DD' when a manifest says which period it is
    source: Source | None = None  # where ``files`` are fetched from and released to
    location: str = ""  # what the kind reads when there are no files
    manifest: SourceFile | None = None  # the manifest that lists ``files``, part of the delivery's evidence

    @property
    def delivered_at(self) -> datetime | None:
        """When the delivery was written: the newest modification time of its manifest and files."""
        times = [f.modified for f in (*self.files, self.manifest) if f is not None and f.modified is not None]
        return max(times) if times else None


@dataclass
class Landed:
    """Rows a kind inserted for one delivery; the pipeline checks them, then makes them current."""

    shape: str
    landing: LandingTable | None = None
    """The landing table whose periods the rows replace; None when the kind keeps its rows current
    itself (metrics replace a file's samples)."""
    loads: list[tuple[int, str]] = field(default_factory=list)
    """(x_load_id, delivery_id) of each load inserted; empty with a landing table means nothing new."""
    files: FileSet | None = None  # what was read, for messages and the loads log
    rows: int = 0  # rows kept, where there is no landing table to count them
    garbage: int = 0  # lines not understood and skipped (metrics logs)
    resources: list[str] = field(default_factory=list)


Discover = Callable[[str, IngestOptions], AbstractContextManager[list[Delivery]]]
Land = Callable[[duckdb.DuckDBPyConnection, Delivery, list[Path], IngestOptions], Landed]
Check = Callable[[duckdb.DuckDBPyConnection, Delivery, Landed], None]
Describe = Callable[[LoadResult], list[str]]


def describe_periods(result: LoadResult) -> list[str]:
    """A bill's summary: one line per billing period it replaced."""
    return [
        f"loaded {result.source}: {p.provider} {p.account} {p.start:%Y-%m}, {p.rows:,} rows, {p.total:,.2f} billed"
        for p in result.periods
    ]


@dataclass(frozen=True)
class SourceKind:
    """A kind of source ``finops ingest KIND`` reads.

    ``discover`` lists the deliveries at one location, keeping what they need open (a download
    directory) until the context ends; ``land`` inserts one delivery's rows, given its files
    fetched locally; ``check`` refuses landed rows that cannot be placed, priced or reconciled
    (one line naming the file), before they replace anything; ``describe`` says what a landed
    delivery changed, in the lines ``finops ingest`` prints.
    """

    name: str
    summary: str  # one line, for help text and docs
    locations: tuple[str, ...]  # the forms a location may take, e.g. "s3://BUCKET/PREFIX"
    discover: Discover
    land: Land
    check: Check | None = None
    describe: Describe = describe_periods
    example: str = ""  # `finops ingest KIND ...` lines for --help and docs/cli.md
    options: tuple[str, ...] = ()  # the IngestOptions fields the kind uses: its command-line options
    many_locations: bool = False  # one ingest may name several locations (metrics files and regions)

    def accepts(self, location: str) -> bool:
        """A local path always; an address only with a scheme one of ``locations`` names."""
        if "://" not in location:
            return True
        return any(form.startswith(location.split("://", 1)[0] + "://") for form in self.locations)


SOURCE_KINDS: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> SourceKind:
    """Make ``kind`` available to the pipeline, the CLI and refresh by its name."""
    if kind.name in SOURCE_KINDS:
        raise ValueError(f"source kind {kind.name} is registered twice")
    SOURCE_KINDS[kind.name] = kind
    return kind
