"""SageMaker endpoint invocations saved from CloudWatch as a file, for machines without access to the API.

``aws cloudwatch get-metric-statistics --namespace AWS/SageMaker --metric-name Invocations
--dimensions Name=EndpointName,Value=NAME Name=VariantName,Value=AllTraffic --statistics Sum
--period 3600 ... > NAME.json`` writes ``{"Label": "Invocations", "Datapoints": [{"Timestamp", "Sum",
"Unit"}]}``. The output names neither the endpoint nor the variant, so the endpoint is ``--resource``
or the file's name, as for an nvidia-smi log. CloudWatch leaves out an hour without a request: the
hours between the file's first and last datapoint that it lacks are stored as 0 invocations, as the
API loader (:mod:`finops.connectors.cloudwatch`) stores a billed hour without a datapoint.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from finops.connectors.registry import Landed
from finops.errors import FinopsError

KIND = "cloudwatch-json"


def is_statistics_file(head: list[str]) -> bool:
    """A JSON document with CloudWatch's Label and Datapoints keys in its first lines."""
    text = " ".join(head)
    return text.startswith("{") and '"Datapoints"' in text and '"Label"' in text


def land_statistics(con: duckdb.DuckDBPyConnection, path: Path, resource: str | None) -> Landed:
    """Insert the file's hourly invocation sums, the hours missing between its datapoints as 0."""
    name = resource or path.stem
    hours = _hourly_sums(path)
    if hours:
        hour, last = min(hours), max(hours)
        while hour < last:
            hours.setdefault(hour, 0.0)
            hour += timedelta(hours=1)
    con.executemany(
        "insert into gpu_metrics (resource_id, sampled_at, invocations, source, source_file) values (?, ?, ?, 'cloudwatch', ?)",
        [(name, at, value, str(path)) for at, value in sorted(hours.items())],
    )
    return Landed(KIND, rows=len(hours), resources=[name] if hours else [])


def _hourly_sums(path: Path) -> dict[datetime, float]:
    """Datapoints per UTC hour (naive), each checked: a file that says something else is an error."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FinopsError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if document.get("Label") != "Invocations":
        raise FinopsError(f"{path}: CloudWatch statistics of {document.get('Label')!r}: only SageMaker "
                          "Invocations (--statistics Sum) is read from a file; read GPU utilisation with cloudwatch://REGION")
    sums: dict[datetime, float] = {}
    for point in document.get("Datapoints") or []:
        try:
            at = datetime.fromisoformat(str(point["Timestamp"]).replace("Z", "+00:00"))
            value = Decimal(str(point["Sum"]))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            raise FinopsError(f"{path}: a datapoint without a Timestamp and a Sum: {json.dumps(point)[:80]}") from None
        if not value.is_finite() or value < 0:
            raise FinopsError(f"{path}: Sum {point['Sum']} at {point['Timestamp']} is not a count of invocations")
        at = (at.astimezone(UTC) if at.tzinfo else at).replace(tzinfo=None, minute=0, second=0, microsecond=0)
        sums[at] = sums.get(at, 0.0) + float(value)
    return sums
