"""The demo's GPU telemetry, generated to match what the loaded demo bills show.

An nvidia-smi log of the fleet (one ``instance_id`` column, two samples an hour per GPU) for every
GPU-bearing EC2 instance the bill bills, over exactly its billed hours, and one CloudWatch
``get-metric-statistics`` file of Invocations per SageMaker endpoint. Who is busy is fixed by the
resource's place in a sorted list, so every run writes the same files: training runs busy, some
development boxes idle at night and at weekends, one box forgotten idle all the time; the production
endpoint serves all day, the staging one on weekdays only (its weekends are idle days).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb

FLEET_LOG = "gpu-fleet-nvidia-smi.csv"
HEADER = "timestamp, instance_id, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB]"
MEMORY_TOTAL = 23028  # MiB, an A10G's; the demo does not model memory per GPU type


def write_demo_metrics(con: duckdb.DuckDBPyConnection, root: Path) -> list[Path]:
    """Write the telemetry of the billed GPU hours in ``con`` below ``root``; return the files."""
    root.mkdir(parents=True, exist_ok=True)
    return [_write_fleet_log(con, root / FLEET_LOG), *_write_invocations(con, root)]


def utilisation(profile: str, hour: datetime, gpu: int, sample: int) -> int:
    """Percent busy of one GPU in one sample: a deterministic wobble around the profile's level."""
    wobble = (hour.day * 7 + hour.hour * 3 + gpu * 5 + sample * 11) % 9
    working = hour.isoweekday() <= 5 and 8 <= hour.hour < 20
    if profile == "forgotten" or (profile == "office" and not working):
        return wobble % 3  # 0-2 %: a process holding the GPU, doing nothing
    return 82 + wobble  # 82-90 %


def _profile(position: int, workload_type: str) -> str:
    """Training is busy; of the other boxes every third is idle outside office hours, one forgotten."""
    if workload_type == "training":
        return "busy"
    if position == 0:
        return "forgotten"
    return "office" if position % 3 == 1 else "busy"


def _write_fleet_log(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    billed = con.execute(
        """
        select resource_id, hour, workload_type, cast(round(gpu_hours) as integer) as gpus
        from idle_gpu where resource_id like 'i-%' and provider = 'AWS'
        order by resource_id, hour
        """
    ).fetchall()
    others = sorted({r for r, _, kind, _ in billed if kind != "training"})
    lines = [HEADER]
    for resource, hour, kind, gpus in billed:
        profile = _profile(others.index(resource) if resource in others else -1, kind)
        for sample, minute in enumerate((10, 40)):
            stamp = hour.replace(minute=minute)
            for gpu in range(max(gpus, 1)):
                busy = utilisation(profile, hour, gpu, sample)
                used = MEMORY_TOTAL * busy // 100 + 300
                lines.append(f"{stamp:%Y/%m/%d %H:%M:%S}.000, {resource}, {gpu}, {busy} %, {used} MiB, {MEMORY_TOTAL} MiB")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_invocations(con: duckdb.DuckDBPyConnection, root: Path) -> list[Path]:
    """Per endpoint (its name, as CloudWatch's EndpointName dimension has it), hourly Invocations:
    the first endpoint by name all day with a daytime peak, the others weekdays 09:00-18:00 only."""
    billed = con.execute(
        """
        select resource_name, list(distinct hour order by hour)
        from idle_gpu where workload_type = 'inference' and resource_id like 'arn:aws:sagemaker:%:endpoint/%'
        group by all order by resource_name
        """
    ).fetchall()
    files = []
    for position, (endpoint, hours) in enumerate(billed):
        points = []
        for hour in hours:
            if position == 0:
                count = 900 + 260 * (12 - abs(hour.hour - 14) if 2 <= hour.hour <= 23 else 0) + hour.day * 13
            elif hour.isoweekday() <= 5 and 9 <= hour.hour < 18:
                count = 150 + (hour.day * 17 + hour.hour * 29) % 90
            else:
                continue  # CloudWatch has no datapoint for an hour without a request
            points.append({"Timestamp": f"{hour:%Y-%m-%dT%H:%M:%S}+00:00", "Sum": float(count), "Unit": "None"})
        path = root / f"{endpoint}.json"
        path.write_text(json.dumps({"Label": "Invocations", "Datapoints": points}, indent=4) + "\n", encoding="utf-8")
        files.append(path)
    return files
