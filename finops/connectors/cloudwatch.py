"""``finops ingest metrics cloudwatch://REGION``: utilisation and invocations of billed GPU resources.

Only resources the bill shows as GPU-bearing in that region are asked for, so the calls scale with
the fleet, not with the account's metrics. CloudWatch names them differently from the bill:

- SageMaker endpoints: ``/aws/sagemaker/Endpoints`` GPUUtilization and GPUMemoryUtilization, and
  ``AWS/SageMaker`` Invocations, by EndpointName (every variant);
- SageMaker training jobs: ``/aws/sagemaker/TrainingJobs`` GPUUtilization by Host ``<job>/algo-N``;
- EC2 instances: ``CWAgent`` nvidia_smi_utilization_gpu by InstanceId and GPU index.

SageMaker's GPU metrics run from 0 to 100 x the GPUs of the instance; they are divided by the GPU
count of the billed instance type so every source means "percent per GPU". Hourly averages
(invocations: hourly sums) are fetched with GetMetricData, up to 500 queries a call, following
NextToken, from the hour after the last one loaded for each resource (else its first billed hour).
An hour of a billed endpoint without an Invocations datapoint had no requests: it is stored as 0,
so a day without any request can be told from a day without metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from finops.connectors.sources import checked_endpoint_url
from finops.errors import FinopsError
from finops.warehouse.columns.metrics import GPU_METRICS_COLUMNS

PERIOD = 3600
BATCH = 500  # GetMetricData's limit of queries per call

# (namespace, metric, statistic, column, dimension naming the resource, resource kind)
METRICS = (
    ("/aws/sagemaker/Endpoints", "GPUUtilization", "Average", "gpu_utilization", "EndpointName", "endpoint"),
    ("/aws/sagemaker/Endpoints", "GPUMemoryUtilization", "Average", "memory_utilization", "EndpointName", "endpoint"),
    ("AWS/SageMaker", "Invocations", "Sum", "invocations", "EndpointName", "endpoint"),
    ("/aws/sagemaker/TrainingJobs", "GPUUtilization", "Average", "gpu_utilization", "Host", "training-job"),
    ("CWAgent", "nvidia_smi_utilization_gpu", "Average", "gpu_utilization", "InstanceId", "instance"),
)


@dataclass
class _Resource:
    name: str  # as CloudWatch and gpu_metrics.resource_id name it
    gpus: int
    start: datetime
    last_billed: datetime


def land_cloudwatch(con: duckdb.DuckDBPyConnection, uri: str, *, endpoint_url: str | None = None) -> tuple[int, list[str]]:
    """Fetch the new hours of every billed GPU resource in the region; return (rows, resources)."""
    import boto3
    import botocore.exceptions

    if endpoint_url:  # before anything else, so a URL with a password is never used or echoed
        endpoint_url = checked_endpoint_url(endpoint_url)
    region = uri.removeprefix("cloudwatch://").strip("/")
    if not region:
        raise FinopsError(f"{uri}: name the region, e.g. cloudwatch://us-east-1")
    try:
        resources = _billed_resources(con, region)
    except duckdb.CatalogException:  # no bill loaded yet, so no allocated_costs
        resources = {}
    if not resources:
        raise FinopsError(f"{uri}: the bill shows no GPU-bearing SageMaker or EC2 resources in {region} (ingest the bill first)")
    end = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    client = boto3.client("cloudwatch", region_name=region, endpoint_url=endpoint_url)
    try:
        queries = _queries(client, resources)
        rows = 0
        for i in range(0, len(queries), BATCH):
            rows += _fetch(con, client, queries[i : i + BATCH], end, uri)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise FinopsError(f"{uri}: CloudWatch: {exc}") from None
    return rows, sorted({q["resource"] for q in queries})


def _billed_resources(con: duckdb.DuckDBPyConnection, region: str) -> dict[tuple[str, str], _Resource]:
    """(kind, CloudWatch name) -> GPUs per instance and the first hour still to fetch."""
    rows = con.execute(
        """
        with billed as (

            select
                case
                    when ResourceId like 'arn:aws:sagemaker:%:endpoint/%' then 'endpoint'
                    when ResourceId like 'arn:aws:sagemaker:%:training-job/%' then 'training-job'
                    when ResourceId like 'i-%' then 'instance'
                end                                                   as kind,
                case when ResourceId like 'arn:%' then ResourceName else ResourceId end as name,
                max(round(x_GpuHours / nullif(ConsumedQuantity, 0)))  as gpus,
                min(ChargePeriodStart)                                as first_billed,
                max(ChargePeriodStart)                                as last_billed
            from allocated_costs
            where x_GpuHours > 0 and RegionId = ? and ProviderName = 'AWS'
            group by all

        ),

        loaded as (

            select resource_id, max(sampled_at) + interval 1 hour as next_hour
            from gpu_metrics where source = 'cloudwatch'
            group by all

        )

        select kind, name, cast(gpus as integer), cast(coalesce(next_hour, first_billed) as timestamp),
            cast(last_billed as timestamp)
        from billed
        left join loaded on loaded.resource_id = billed.name
        where kind is not null
        """,
        [region],
    ).fetchall()
    return {(kind, name): _Resource(name, gpus, start, last) for kind, name, gpus, start, last in rows}


def _queries(client, resources: dict[tuple[str, str], _Resource]) -> list[dict]:  # noqa: ANN001
    """Every (metric, dimensions) CloudWatch holds for the billed resources, via paginated ListMetrics."""
    queries = []
    seen = set()
    for namespace, metric, stat, column, key, kind in METRICS:
        for page in client.get_paginator("list_metrics").paginate(Namespace=namespace, MetricName=metric):
            for found in page["Metrics"]:
                dims = {d["Name"]: d["Value"] for d in found["Dimensions"]}
                identity = (namespace, metric, tuple(sorted(dims.items())))
                if identity in seen:  # a metric is listed once per series, but some servers repeat it
                    continue
                seen.add(identity)
                name = dims.get(key, "")
                if kind == "training-job":
                    name = name.split("/")[0]  # Host is <job>/algo-N
                resource = resources.get((kind, name))
                if resource is None:
                    continue
                queries.append({
                    "resource": name,
                    "gpu_index": int(dims["index"]) if dims.get("index", "").isdigit() else None,
                    "column": column,
                    # SageMaker GPU metrics add up every GPU of the instance
                    "divisor": resource.gpus if namespace.startswith("/aws/sagemaker") and column != "invocations" else 1,
                    "start": resource.start,
                    "last_billed": resource.last_billed,
                    "stat": {"Metric": found, "Period": PERIOD, "Stat": stat},
                })
    return queries


def _fetch(con: duckdb.DuckDBPyConnection, client, batch: list[dict], end: datetime, uri: str) -> int:  # noqa: ANN001
    start = min(q["start"] for q in batch)
    if start >= end:
        return 0
    pages = client.get_paginator("get_metric_data").paginate(
        MetricDataQueries=[{"Id": f"q{i}", "MetricStat": q["stat"], "ReturnData": True} for i, q in enumerate(batch)],
        StartTime=start,
        EndTime=end,
        ScanBy="TimestampAscending",
    )
    columns: dict[str, list] = {name: [] for name in GPU_METRICS_COLUMNS}
    for page in pages:
        for result in page["MetricDataResults"]:
            q = batch[int(result["Id"][1:])]
            points = {at.astimezone(UTC).replace(tzinfo=None): value for at, value in zip(result["Timestamps"], result["Values"])}
            if q["column"] == "invocations":  # no datapoint in an hour means no request in it
                hour = q["start"]
                while hour <= min(q["last_billed"], end - timedelta(hours=1)):
                    points.setdefault(hour, 0.0)
                    hour += timedelta(hours=1)
            for at, value in sorted(points.items()):
                if at < q["start"]:
                    continue  # the batch starts at its earliest resource; this one has these hours
                row = dict.fromkeys(GPU_METRICS_COLUMNS)
                row.update(resource_id=q["resource"], gpu_index=q["gpu_index"], sampled_at=at,
                           source="cloudwatch", source_file=uri)
                row[q["column"]] = value / q["divisor"]
                for name in columns:
                    columns[name].append(row[name])
    import pyarrow as pa  # here, not at the top: every finops command would pay for importing it

    fetched = pa.table(columns, schema=pa.schema([
        (name, pa.string() if typ.startswith("VARCHAR") else pa.int32() if typ == "INTEGER"
         else pa.timestamp("us") if typ.startswith("TIMESTAMP") else pa.float64())
        for name, typ in GPU_METRICS_COLUMNS.items()
    ]))
    # one row per resource, GPU and hour: utilisation, memory and invocations come as separate series
    con.register("cloudwatch_fetched", fetched)
    try:
        (rows,) = con.execute(
            """
            insert into gpu_metrics by name
            select
                resource_id, gpu_index, sampled_at,
                avg(gpu_utilization) as gpu_utilization,       -- over variants or hosts
                avg(memory_utilization) as memory_utilization,
                sum(invocations) as invocations,
                'cloudwatch' as source, any_value(source_file) as source_file
            from cloudwatch_fetched
            group by resource_id, gpu_index, sampled_at
            """
        ).fetchone()
        con.execute(
            "insert into gpu_metrics_changes select min(sampled_at), max(sampled_at) from cloudwatch_fetched having count(*) > 0"
        )
    finally:
        con.unregister("cloudwatch_fetched")
    return rows
