"""Labels picked by cost, ties broken by the label: when two teams (projects, services, names) carry
exactly the same cost, the one sorting last wins, whatever order the rows arrived in, and an
incremental build picks what a full rebuild picks (issue #16).

One warehouse for the module. Every pair below is written twice, once as "ab" (alpha's rows first)
and once as "ba" (beta's first), so a pick that followed the rows' order would differ between them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import finops
from finops.connectors.metrics import ingest_metrics
from tests.conftest import cur_rows, write_cur_csv
from tests.test_incremental_equals_full import _normalised
from tests.test_savings_wave2 import W41, endpoint_hours, hour_fields, nvidia_smi_log, p4d_hours, storage_day
from tests.test_spot_opportunities import P4D_ON_DEMAND, p4d_run

ORDERS = ("ab", "ba")

# every model that picks a label, and so could differ between two builds of the same rows
PICKING = ("report_unallocated", "report_training_jobs", "report_endpoints", "training_jobs", "endpoints",
           "endpoint_traffic_gaps", "gpu_rightsizing", "int_gpu_rightsizing", "storage_growth", "spot_opportunities",
           "int_cost_attribution", "idle_gpu", "int_gpu_resource_weeks", "savings_opportunities")


def in_order(order: str, alpha: list[dict[str, str]], beta: list[dict[str, str]]) -> list[dict[str, str]]:
    """The two sides of a tie, alpha's rows first for "ab", beta's first for "ba"."""
    return alpha + beta if order == "ab" else beta + alpha


def training(order: str) -> list[dict[str, str]]:
    """One on-demand p4d hour each for teams alpha (project p1) and beta (p2) of job train-<order>."""
    def hour(t: int, team: str, project: str) -> dict[str, str]:
        return p4d_run("1", **{"lineItem/ResourceId": f"i-0train{order}", "resourceTags/user:job": f"train-{order}",
                               "resourceTags/user:team": team, "resourceTags/user:project": project,
                               **hour_fields(t, W41)})
    first, second = (0, 1) if order == "ab" else (1, 0)
    return in_order(order, [hour(first, "alpha", "p1")], [hour(second, "beta", "p2")])


def alternating(order: str, hours: list[dict[str, str]]) -> list[dict[str, str]]:
    """The hours tagged alpha, beta, alpha, ... for "ab" and beta, alpha, ... for "ba": as many of each."""
    first, second = ("alpha", "beta") if order == "ab" else ("beta", "alpha")
    return [{**row, "resourceTags/user:team": first if t % 2 == 0 else second} for t, row in enumerate(hours)]


def endpoint(order: str) -> list[dict[str, str]]:
    """Endpoint ep-<order> all of 2026-W41, its hours alternating between alpha and beta at one rate."""
    return alternating(order, endpoint_hours(f"ep-{order}", 7 * 24))


def untagged(order: str) -> list[dict[str, str]]:
    """An untagged g5 instance of one hour: its EC2 charge named box-a, a CloudWatch one as dear named box-b."""
    resource = {"lineItem/ResourceId": f"i-0untagged{order}", **hour_fields(0, W41)}
    compute = {**resource, "resourceTags/user:Name": "box-a"}
    monitoring = {**resource, "resourceTags/user:Name": "box-b", "lineItem/ProductCode": "AmazonCloudWatch",
                  "product/ProductName": "AmazonCloudWatch", "lineItem/UsageType": "USW2-CW:MetricMonitorUsage",
                  "product/instanceType": "", "lineItem/Operation": "MetricStorage", "pricing/unit": "Metrics"}
    return in_order(order, [compute], [monitoring])


def bucket(order: str) -> list[dict[str, str]]:
    """A day of S3 Standard storage of bucket-<order>, half of it tagged alpha and half beta."""
    day = storage_day(f"bucket-{order}", W41.date(), "USE1-TimedStorage-ByteHrs", "10", "0.23")
    return in_order(order, [{**day, "resourceTags/user:team": "alpha"}], [{**day, "resourceTags/user:team": "beta"}])


def quiet_a100(order: str) -> list[dict[str, str]]:
    """14 days of a p4d (its metrics: 8 % memory, so rightsized), its hours alternating alpha and beta."""
    return alternating(order, p4d_hours(f"i-0quiet{order}", 14 * 24))


def invocations(con, endpoint_name: str) -> None:
    """CloudWatch invocations as its loader lands them: 100 an hour from 08:00 to 16:00, none otherwise."""
    con.executemany(
        "insert into gpu_metrics (resource_id, sampled_at, source, source_file, invocations) "
        "values (?, ?, 'cloudwatch', 'cloudwatch://us-east-1', ?)",
        [(endpoint_name, W41 + dt.timedelta(hours=t), 100 if 8 <= t % 24 < 16 else 0) for t in range(7 * 24)])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The ties delivered as a normal refresh would: invocations, the October bill, GPU metrics and
    a second account's bill, each ingest followed by its incremental build. Yields the connection
    and every picking model's rows as the incremental builds left them."""
    root = tmp_path_factory.mktemp("ties")
    con = finops.connect(root / "ties.duckdb")
    for order in ORDERS:
        invocations(con, f"ep-{order}")
    rows = [row for order in ORDERS
            for row in (*training(order), *endpoint(order), *untagged(order), *bucket(order), *quiet_a100(order))]
    finops.ingest_aws(con, write_cur_csv(root / "october" / "cur.csv", cur_rows(*rows)))
    ingest_metrics(con, [nvidia_smi_log(root / f"quiet{order}.csv", f"i-0quiet{order}", 14, 30, 3277) for order in ORDERS])
    other = cur_rows({"bill/PayerAccountId": "999988887777", "lineItem/ResourceId": "i-0other", **hour_fields(2, W41)})
    finops.ingest_aws(con, write_cur_csv(root / "other" / "cur.csv", other))
    incremental = {name: sorted(con.execute(f"select {_normalised(con, name)} from {name}").fetchall(), key=repr)
                   for name in PICKING}
    yield con, incremental
    con.close()


def picks(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_a_training_jobs_team_and_project_are_the_costlier_then_the_one_sorting_last(warehouse):
    con, _ = warehouse
    assert picks(con, "select training_job, team, project, gpu_model, EffectiveCost from training_jobs order by 1") == [
        ("train-ab", "beta", "p2", "A100", 2 * P4D_ON_DEMAND), ("train-ba", "beta", "p2", "A100", 2 * P4D_ON_DEMAND)]
    assert picks(con, "select week, training_job, team, gpu_model from report_training_jobs order by 2") == [
        ("2026-W41", "train-ab", "beta", "A100"), ("2026-W41", "train-ba", "beta", "A100")]
    assert picks(con, "select workload_name, team, on_demand_hours from spot_opportunities order by 1") == [
        ("train-ab", "beta", Decimal(2)), ("train-ba", "beta", Decimal(2))]


def test_an_endpoints_team_is_the_costlier_then_the_one_sorting_last(warehouse):
    con, _ = warehouse
    daily = picks(con, "select endpoint, team, count(*) from endpoints group by all order by 1")
    assert daily == [("ep-ab", "beta", 7), ("ep-ba", "beta", 7)]  # 12 hours each a day, at one rate
    assert picks(con, "select week, endpoint, team, EffectiveCost from report_endpoints order by 2") == [
        ("2026-W41", "ep-ab", "beta", Decimal("236.544")), ("2026-W41", "ep-ba", "beta", Decimal("236.544"))]
    # 16 hours a day without a request, 8 of each team's
    assert picks(con, "select endpoint, team, zero_traffic_hours, instance_types from endpoint_traffic_gaps order by 1") == [
        ("ep-ab", "beta", 112, "ml.g5.xlarge"), ("ep-ba", "beta", 112, "ml.g5.xlarge")]


def test_an_untagged_resources_name_service_and_workload_are_the_ones_sorting_last(warehouse):
    con, _ = warehouse
    assert picks(con, "select resource_id, resource_name, service, workload_type, EffectiveCost "
                      "from report_unallocated where resource_id like 'i-0untagged%' order by 1") == [
        ("i-0untaggedab", "box-b", "AmazonCloudWatch", "monitoring", Decimal("2.012")),
        ("i-0untaggedba", "box-b", "AmazonCloudWatch", "monitoring", Decimal("2.012"))]


def test_a_buckets_team_is_the_one_sorting_last(warehouse):
    con, _ = warehouse
    assert picks(con, "select bucket, storage_class, team, gb_months from storage_growth order by 1") == [
        ("bucket-ab", "STANDARD", "beta", Decimal(20)), ("bucket-ba", "STANDARD", "beta", Decimal(20))]


def test_a_rightsized_resources_team_is_the_one_sorting_last(warehouse):
    con, _ = warehouse
    # 2026-W42 (10-12 to 10-14): 72 hours, 36 of each team's
    assert picks(con, "select week, resource_id, instance_type, team, hours from gpu_rightsizing order by 2") == [
        ("2026-W42", "i-0quietab", "p4d.24xlarge", "beta", Decimal(72)),
        ("2026-W42", "i-0quietba", "p4d.24xlarge", "beta", Decimal(72))]


def test_a_full_rebuild_picks_what_the_incremental_builds_picked(warehouse):
    con, incremental = warehouse
    finops.build(con, full_refresh=True)
    for name in PICKING:
        rebuilt = sorted(con.execute(f"select {_normalised(con, name)} from {name}").fetchall(), key=repr)
        assert rebuilt == incremental[name], name
    assert all(incremental[name] for name in PICKING)  # each model has rows to compare
