"""``finops ingest metrics``: GPU utilisation samples into one tidy table, ``gpu_metrics``.

(CloudWatch, ``cloudwatch://REGION``, is fetched by :mod:`finops.connectors.cloudwatch`.)

A bill says what a GPU cost, not whether it did anything; these samples are the other half that
``idle_gpu`` joins to billed GPU hours. Two file kinds are recognised by their content, not their
name: ``nvidia-smi --query-gpu=... --format=csv`` logs and DCGM exporter scrapes (Prometheus text);
LLM servers' scrapes (vLLM, TGI, Triton) land their token and request counters beside them
(:mod:`finops.connectors.llm_metrics`).
DuckDB reads each file as lines and parses them in SQL, so a large log never becomes a Python list.
Lines that do not parse are counted and reported, never fatal: a long ``-l 1`` log often ends in a
half-written line. A file of neither kind is an error naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from finops.config import Config
from finops.connectors.cloudwatch import land_cloudwatch
from finops.connectors.cloudwatch_file import KIND as CLOUDWATCH_FILE
from finops.connectors.cloudwatch_file import is_statistics_file, land_statistics
from finops.connectors.llm_metrics import SERVING_KINDS, land_serving, serving_kind
from finops.connectors.pipeline import ingest
from finops.connectors.prometheus import LINES, samples_sql
from finops.connectors.registry import Delivery, IngestOptions, Landed, Progress, SourceKind, register
from finops.errors import FinopsError, UsageError
from finops.warehouse.connection import first_line, sql_literal
from finops.warehouse.loads import LoadResult, note_metrics_change

# nvidia-smi columns that name the machine, when a wrapper script logs one
_RESOURCE_HEADERS = ("resource_id", "instance_id", "host", "hostname")


def ingest_metrics(
    con: duckdb.DuckDBPyConnection,
    sources: list[str | os.PathLike[str]],
    *,
    resource: str | None = None,
    endpoint_url: str | None = None,
    build: bool = True,
    config: Config | None = None,
    progress: Progress | None = None,
) -> list[LoadResult]:
    """Load every metrics file in ``sources`` (files, directories, ``cloudwatch://REGION``) in one transaction.

    ``resource`` names the instance or host the samples belong to when the file does not (the bill's
    ResourceId, e.g. ``i-0abc...``, or a SageMaker endpoint name); otherwise an nvidia-smi log takes
    it from a host column or the file name, and a DCGM scrape from its ``Hostname`` label.
    """
    return ingest(con, "metrics", sources, build=build, config=config, progress=progress, resource=resource, endpoint_url=endpoint_url)


@contextmanager
def discover_at(location: str, options: IngestOptions) -> Iterator[list[Delivery]]:
    """Each file is a delivery that replaces its own samples; a CloudWatch region is one delivery."""
    if location.startswith("cloudwatch://"):
        yield [Delivery(location, location=location)]
        return
    yield [Delivery(str(path), location=str(path)) for path in _files([location])]


def land(con: duckdb.DuckDBPyConnection, delivery: Delivery, paths: list[Path], options: IngestOptions) -> Landed:
    """Fetch a region's new hours, or replace a file's samples with what it holds now."""
    if delivery.location.startswith("cloudwatch://"):
        rows, resources = land_cloudwatch(con, delivery.location, endpoint_url=options.endpoint_url)
        return Landed("cloudwatch", rows=rows, resources=resources)
    path = Path(delivery.location)
    kind = detect_kind(path)
    if kind in SERVING_KINDS:
        return land_serving(con, path, kind, options.resource)
    note_metrics_change(con, "source_file = ?", [str(path)])
    con.execute("delete from gpu_metrics where source_file = ?", [str(path)])
    land_file = {"nvidia-smi": _land_nvidia_smi, CLOUDWATCH_FILE: land_statistics}.get(kind, _land_dcgm)
    try:
        landed = land_file(con, path, options.resource)
    except duckdb.Error as exc:
        raise FinopsError(f"{path}: cannot read as {kind} metrics: {first_line(exc)}") from None
    note_metrics_change(con, "source_file = ?", [str(path)])
    return landed


def describe_samples(result: LoadResult) -> list[str]:
    """One line per file or region: its kind, the samples kept, of what, and the lines skipped."""
    garbage = f"; {result.garbage:,} line(s) not understood, skipped" if result.garbage else ""
    return [f"loaded {result.source}: {result.shape}, {result.rows:,} samples of {', '.join(result.resources) or 'no resource'}{garbage}"]


def _files(sources: list[str | os.PathLike[str]]) -> list[Path]:
    files: list[Path] = []
    for source in sources:
        if not str(source).strip():  # Path("") is the current directory, which nobody means to ingest
            raise UsageError("no source given: name a directory, a file or cloudwatch://REGION")
        path = Path(source)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            if not found:
                raise FinopsError(f"{path}: no metrics files found")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise FinopsError(f"{path}: no such file or directory")
    return [p.resolve() for p in files]


def detect_kind(path: Path) -> str:
    """``nvidia-smi``, ``dcgm``, ``vllm``, ``tgi``, ``triton`` or ``cloudwatch-json``, from the first lines; anything else is the user's mistake."""
    try:
        with path.open(encoding="utf-8") as fh:
            head = [line.strip() for _, line in zip(range(50), fh)]
    except UnicodeDecodeError:
        raise FinopsError(f"{path}: not a text file (expected an nvidia-smi CSV log or a DCGM exporter scrape)") from None
    except OSError as exc:
        raise FinopsError(f"{path}: cannot read: {exc.strerror}") from None
    first = next((line for line in head if line), "")
    if first.startswith("timestamp") and "utilization.gpu" in first:
        return "nvidia-smi"
    if any(line.startswith(("DCGM_FI_", "# HELP DCGM_FI_", "# TYPE DCGM_FI_")) for line in head):
        return "dcgm"
    serving = serving_kind(head)
    if serving:
        return serving
    if is_statistics_file(head):
        return CLOUDWATCH_FILE
    raise FinopsError(
        f"{path}: not an nvidia-smi --query-gpu CSV log (header starting 'timestamp' with utilization.gpu), "
        f"a DCGM exporter scrape (DCGM_FI_* metrics), a vLLM, TGI or Triton scrape or CloudWatch "
        f"get-metric-statistics JSON; first line: {first[:60]!r}"
    )


def _land_nvidia_smi(con: duckdb.DuckDBPyConnection, path: Path, resource: str | None) -> Landed:
    """Parse ``0 %``, ``81559 MiB`` and ``2026/11/22 13:23:58.688`` as nvidia-smi writes them."""
    with path.open(encoding="utf-8") as fh:
        header_line = next(line for line in fh if line.strip()).strip()
    header = [h.split("[")[0].strip() for h in header_line.split(",")]
    position = {name: i + 1 for i, name in enumerate(header)}  # SQL lists count from 1
    if "timestamp" not in position or "utilization.gpu" not in position:
        raise FinopsError(f"{path}: the nvidia-smi header needs timestamp and utilization.gpu columns")
    resource_column = next((c for c in _RESOURCE_HEADERS if c in position), None)
    resource_sql = (
        sql_literal(resource) if resource
        else f"f[{position[resource_column]}]" if resource_column
        else sql_literal(path.stem)
    )

    def number(column: str) -> str:
        if column not in position:
            return "null"
        return f"try_cast(nullif(regexp_extract(f[{position[column]}], '^(-?[0-9.]+)( [A-Za-z%]+)?$', 1), '') as double)"

    memory = (
        f"100 * {number('memory.used')} / nullif({number('memory.total')}, 0)"
        if "memory.used" in position and "memory.total" in position else "null"
    )
    index = f"try_cast(f[{position['index']}] as integer)" if "index" in position else "0"
    con.execute(f"""
        create or replace temp table metrics_parsed as
        with lines as (

            select trim(line) as line from {LINES.format(path=sql_literal(str(path)))}

        ),

        fields as (

            select line, list_transform(string_split(line, ','), lambda v: trim(v)) as f
            from lines
            where line <> '' and line <> {sql_literal(header_line)}

        )

        select
            {resource_sql}                                                     as resource_id,
            {index}                                                            as gpu_index,
            try_strptime(f[{position['timestamp']}], ['%Y/%m/%d %H:%M:%S.%g', '%Y/%m/%d %H:%M:%S']) as sampled_at,
            {number('utilization.gpu')}                                        as gpu_utilization,
            {memory}                                                           as memory_utilization,
            len(f) = {len(header)}                                             as complete
        from fields
    """)
    valid = "complete and sampled_at is not null and gpu_utilization between 0 and 100 and resource_id <> ''"
    return _insert(con, path, "nvidia-smi", valid, "gpu_index, sampled_at, gpu_utilization, memory_utilization, null, null, null")


# One row per GPU and scrape time from a DCGM scrape's samples (``{samples}``), plus one row per line
# that is not a sample; ``{resource}`` is the resource_id expression, ``?`` the scrape's time.
_DCGM_SQL = """
        create or replace temp table metrics_parsed as
        with {samples},

        dcgm as (

            select * from samples where starts_with(metric, 'DCGM_FI_') and value is not null

        ),

        per_gpu as (

            select
                {resource}                                                 as resource_id,
                try_cast(labels['gpu'] as integer)                             as gpu_index,
                sampled_at,
                coalesce(labels['pod'], labels['pod_name'])                    as pod,
                coalesce(labels['namespace'], labels['pod_namespace'])         as namespace,
                max(value) filter (where metric = 'DCGM_FI_DEV_GPU_UTIL')      as gpu_util,
                max(value) filter (where metric = 'DCGM_FI_PROF_SM_ACTIVE')    as sm_active,
                max(value) filter (where metric = 'DCGM_FI_DEV_FB_USED')       as fb_used,
                max(value) filter (where metric = 'DCGM_FI_DEV_FB_FREE')       as fb_free
            from dcgm
            group by all

        )

        -- garbage: lines that are not a sample, or whose value is not a number
        select
            null as resource_id, null as gpu_index, null as sampled_at, null as gpu_utilization,
            null as memory_utilization, null as sm_active, null as pod, null as namespace, false as complete
        from samples where metric = '' or value is null
        union all
        select
            resource_id,
            gpu_index,
            sampled_at,
            coalesce(gpu_util, 100 * sm_active),
            100 * fb_used / nullif(fb_used + fb_free, 0),
            100 * sm_active,
            pod,
            namespace,
            true
        from per_gpu
        where gpu_util is not null or sm_active is not null
"""


def _land_dcgm(con: duckdb.DuckDBPyConnection, path: Path, resource: str | None) -> Landed:
    """One row per GPU and scrape time from DCGM_FI_* samples; other metrics are ignored.

    Utilisation is DCGM_FI_DEV_GPU_UTIL (0-100), else SM activity (DCGM_FI_PROF_SM_ACTIVE, 0-1);
    memory is FB_USED / (FB_USED + FB_FREE). A scrape without sample timestamps (the exporter's
    default) is dated by the file's modification time.
    """
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    resource_sql = sql_literal(resource or path.stem)
    if not resource:
        resource_sql = f"coalesce(labels['Hostname'], labels['hostname'], {resource_sql})"
    con.execute(_DCGM_SQL.format(samples=samples_sql(str(path)), resource=resource_sql), [mtime])
    valid = "complete and resource_id is not null and gpu_utilization between 0 and 100"
    return _insert(con, path, "dcgm", valid, "gpu_index, sampled_at, gpu_utilization, memory_utilization, sm_active, pod, namespace")


def _insert(con: duckdb.DuckDBPyConnection, path: Path, kind: str, valid: str, columns: str) -> Landed:
    con.execute(
        "insert into gpu_metrics (resource_id, gpu_index, sampled_at, gpu_utilization, memory_utilization, sm_active, "
        f"pod, namespace, source, source_file) select resource_id, {columns}, ?, ? from metrics_parsed where {valid}",
        [kind, str(path)],
    )
    (samples, garbage, resources) = con.execute(f"""
        select
            count(*) filter (where {valid}),
            count(*) filter (where not coalesce({valid}, false)),
            list(distinct resource_id order by resource_id) filter (where {valid})
        from metrics_parsed
    """).fetchone()
    con.execute("drop table metrics_parsed")
    return Landed(kind, rows=samples, garbage=garbage, resources=resources or [])


register(SourceKind(
    "metrics",
    "GPU utilisation samples: nvidia-smi --query-gpu CSV logs, DCGM exporter scrapes, or CloudWatch for the "
    "GPU resources the bill shows (or endpoint Invocations saved with get-metric-statistics); "
    "token and request counters of vLLM, TGI and Triton scrapes; a file loaded again replaces its samples",
    ("a directory or file", "cloudwatch://REGION"),
    discover_at, land, describe=describe_samples,
    example="finops ingest metrics ./nvidia-smi-logs/ --resource i-0abc123def4567890\n"
    "  finops ingest metrics ./dcgm/*.prom\n  finops ingest metrics ./vllm-scrapes/ --resource chat-llm\n  finops ingest metrics cloudwatch://us-east-1",
    options=("endpoint_url", "resource"),
    many_locations=True,
))
