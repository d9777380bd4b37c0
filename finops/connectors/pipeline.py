"""The one ingest: find a kind's deliveries, land the new ones, log them, rebuild, all in one transaction.

Everything an ingest does happens in one DuckDB transaction: if any delivery is bad the warehouse
is exactly as it was, and a crash mid-way leaves the previous data. Deliveries already loaded are
skipped after a cheap listing, so re-running costs almost nothing; a landed delivery replaces the
periods it covers (``loads.replace_periods``) unless the loaded copy of a period is newer by the
deliveries' own evidence (``force`` loads it anyway), and its downloaded files are deleted at once,
so a year of S3 deliveries never fills the disk. Files of one delivery with the same content are
read once (:mod:`finops.connectors.contents`). The models are built once, at the end, when
something new landed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace

import duckdb

from finops.config import Config
from finops.connectors.contents import distinct_contents
from finops.connectors.registry import SOURCE_KINDS, Delivery, IngestOptions, Landed, Progress, SourceKind
from finops.errors import FinopsError, UsageError
from finops.models import builder as models
from finops.warehouse.connection import transaction
from finops.warehouse.loads import LoadResult, OlderPeriod, already_loaded, replace_periods

Location = str | os.PathLike[str]


def ingest(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    location: Location | Sequence[Location],
    *,
    build: bool = True,
    config: Config | None = None,
    progress: Progress | None = None,
    **options: object,
) -> list[LoadResult]:
    """Load every new delivery of ``kind`` at ``location`` (or each of several locations).

    ``config`` is what the build reads (attribution rules, idle and savings settings; defaults
    without it). ``options`` are :class:`IngestOptions` fields: ``endpoint_url``, ``resource``,
    ``bigquery_client``, ``storage_client``, ``force`` (load deliveries older than the loaded ones,
    and those already loaded, anyway); a kind ignores those it does not use.
    """
    source_kind = source_kind_named(kind)
    settings = IngestOptions(progress=progress, **options)
    locations = [str(location)] if isinstance(location, (str, os.PathLike)) else [str(loc) for loc in location]
    for loc in locations:
        if not source_kind.accepts(loc):
            raise FinopsError(f"{loc}: {kind} reads {' or '.join(source_kind.locations)}")
    results: list[LoadResult] = []
    with ExitStack() as opened, transaction(con):
        for loc in locations:
            for delivery in opened.enter_context(source_kind.discover(loc, settings)):
                results.append(land_one(con, source_kind, delivery, settings))
        if build and any(not r.skipped for r in results):
            if progress:
                progress("building models")
            models.build(con, config=config)
    return results


def describe_results(results: list[LoadResult], kind: str) -> list[str]:
    """The lines ``finops ingest KIND`` prints for what ``ingest`` returned: one per delivery
    skipped, and what each landed one changed, in the kind's own terms (periods, days, samples)."""
    describe = source_kind_named(kind).describe
    lines = []
    for r in results:
        lines += [f"read once: {dropped} has the same content as {kept}" for dropped, kept in r.same_content]
        lines += [_older_line(r.source, o, "%Y-%m-%d" if kind == "gcp" else "%Y-%m") for o in r.older]
        if r.skipped and not r.older:
            lines.append(f"skipped {r.source}: already loaded")
        elif not r.skipped:
            lines += describe(r)
    return lines


def _older_line(source: str, older: OlderPeriod, period_format: str) -> str:
    return (f"skipped {source}: older than the loaded delivery of {older.start.strftime(period_format)} "
            f"({older.provider} {older.account}; evidence {older.evidence} < {older.loaded}, loaded from "
            f"{older.loaded_source}); --force loads it anyway")


def source_kind_named(kind: str) -> SourceKind:
    """The registered kind, or a usage error listing the kinds there are."""
    if kind not in SOURCE_KINDS:
        raise UsageError(f"unknown source kind {kind!r} (expected one of {', '.join(SOURCE_KINDS)})")
    return SOURCE_KINDS[kind]


def land_one(con: duckdb.DuckDBPyConnection, kind: SourceKind, delivery: Delivery, options: IngestOptions) -> LoadResult:
    """Skip, or fetch, land, check and log one delivery, deleting its downloads once landed."""
    if delivery.delivery_id and not options.force and already_loaded(con, delivery.delivery_id):
        return LoadResult(delivery.label, "", skipped=True)
    if options.progress:
        options.progress(f"loading {delivery.label}")
    all_files = delivery.files
    paths = [delivery.source.local_path(f) for f in all_files]
    kept, same_content = distinct_contents(all_files, paths)
    for dropped, _ in same_content:
        delivery.source.release(dropped)
    delivery = replace(delivery, files=[all_files[i] for i in kept])
    landed = kind.land(con, delivery, [paths[i] for i in kept], options)
    if kind.check and landed.loads:
        kind.check(con, delivery, landed)
    for f in delivery.files:
        delivery.source.release(f)
    result = _logged(con, delivery, landed, options.force)
    result.same_content = [(dropped.uri, kept_file.uri) for dropped, kept_file in same_content]
    return result


def _logged(con: duckdb.DuckDBPyConnection, delivery: Delivery, landed: Landed, force: bool) -> LoadResult:
    """Make each landed load the only copy of its periods, in ``loads``, unless the loaded copy is
    newer by the deliveries' evidence; sum up what changed."""
    result = LoadResult(delivery.label, landed.shape, rows=landed.rows, garbage=landed.garbage, resources=landed.resources)
    if landed.landing is None:
        return result
    files = list(landed.files.uris) if landed.files else []
    for load_id, delivery_id in landed.loads:
        one = replace_periods(
            con, landed.landing, load_id=load_id, source=delivery.label, shape=landed.shape,
            delivery_id=delivery_id, files=files, delivered_at=delivery.delivered_at, force=force,
        )
        result.rows += one.rows
        result.periods.extend(one.periods)
        result.older.extend(one.older)
    result.skipped = not result.periods
    return result
