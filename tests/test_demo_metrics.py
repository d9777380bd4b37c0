"""The demo's telemetry files and the CloudWatch get-metric-statistics file they use, on hand-made input."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

import finops
from finops.demo.metrics import utilisation
from finops.errors import FinopsError


def statistics(path, label: str, points: list[tuple[str, object]]):
    path.write_text(json.dumps({"Label": label, "Datapoints": [
        {"Timestamp": at, "Sum": value, "Unit": "None"} for at, value in points]}, indent=4), encoding="utf-8")
    return path


def test_invocations_file_fills_the_hours_between_datapoints_with_zero(con, tmp_path):
    path = statistics(tmp_path / "rank-v2.json", "Invocations",
                      [("2026-10-05T03:00:00+00:00", 7.0), ("2026-10-05T05:00:00+05:00", 5.0)])  # 00:00 UTC
    (load,) = finops.ingest_metrics(con, [path])
    assert (load.shape, load.rows, load.resources) == ("cloudwatch-json", 4, ["rank-v2"])
    assert con.execute("select hour(sampled_at), invocations from gpu_metrics order by 1").fetchall() == [
        (0, 5.0), (1, 0.0), (2, 0.0), (3, 7.0)]
    finops.ingest_metrics(con, [path])  # loaded again, a file replaces its own samples
    assert con.execute("select count(*), sum(invocations) from gpu_metrics").fetchone() == (4, 12.0)


@pytest.mark.parametrize(("label", "points", "message"), [
    ("GPUUtilization", [], "CloudWatch statistics of 'GPUUtilization': only SageMaker Invocations"),
    ("Invocations", [("2026-10-05T00:00:00Z", -1)], "Sum -1 at 2026-10-05T00:00:00Z is not a count of invocations"),
    ("Invocations", [("yesterday", 1)], "a datapoint without a Timestamp and a Sum"),
])
def test_a_wrong_invocations_file_is_one_line_naming_it(con, tmp_path, label, points, message):
    path = statistics(tmp_path / "x.json", label, points)
    with pytest.raises(FinopsError, match=message) as caught:
        finops.ingest_metrics(con, [path])
    assert str(caught.value).startswith(str(path.resolve())) and "\n" not in str(caught.value)
    assert con.execute("select count(*) from loads").fetchone() == (0,)


def test_demo_utilisation_profiles():
    saturday_noon, monday_noon, monday_night = datetime(2026, 10, 24, 12), datetime(2026, 10, 19, 12), datetime(2026, 10, 19, 22)
    assert all(utilisation("forgotten", h, 0, 0) <= 2 for h in (saturday_noon, monday_noon))
    assert utilisation("office", monday_noon, 0, 0) >= 82 and utilisation("office", monday_night, 0, 0) <= 2
    assert utilisation("office", saturday_noon, 0, 0) <= 2 and utilisation("busy", saturday_noon, 3, 1) >= 82
