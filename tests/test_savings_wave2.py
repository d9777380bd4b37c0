"""The second wave of savings levers, on hand-built bills: smaller GPU types, endpoints without
traffic, cold buckets, data sent away from its team's compute; and the week's rows still add up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import finops
from finops.connectors.metrics import ingest_metrics
from finops.report.wording import savings_kind
from tests.conftest import cur_rows, write_cur_csv
from tests.test_attribution import sagemaker
from tests.test_commitment_recommendations import START
from tests.test_spot_opportunities import P4D_ON_DEMAND, p4d_run

G5_48XL = Decimal("16.288")  # sql/seeds/instance_prices.csv, the ladder's step down from p4d.24xlarge


def hour_fields(t: int, start: dt.datetime = START) -> dict[str, str]:
    begin, end = start + dt.timedelta(hours=t), start + dt.timedelta(hours=t + 1)
    return {"identity/TimeInterval": f"{begin:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
            "lineItem/UsageStartDate": f"{begin:%Y-%m-%dT%H:%M:%SZ}", "lineItem/UsageEndDate": f"{end:%Y-%m-%dT%H:%M:%SZ}"}


def p4d_hours(instance: str, hours: int) -> list[dict[str, str]]:
    return [p4d_run("1", **{"lineItem/ResourceId": instance, **hour_fields(t)}) for t in range(hours)]


def nvidia_smi_log(path, instance: str, days: int, utilization: int, memory_mib: int):
    """One nvidia-smi sample an hour for ``days`` days from START on GPU 0 of a 40 GiB A100."""
    lines = [f"{START + dt.timedelta(hours=t):%Y/%m/%d %H:%M:%S}.000, {instance}, 0, {utilization} %, {memory_mib} MiB, 40960 MiB\n"
             for t in range(days * 24)]
    path.write_text("timestamp, instance_id, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB]\n"
                    + "".join(lines), encoding="utf-8")
    return path


def test_an_a100_at_8_percent_memory_for_14_days_is_rightsized_from_the_ladder(con, tmp_path):
    # 14 days (2026-10-01 to 10-14) of three p4d instances: quiet for 14 days, quiet for 13, busy
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(
        *p4d_hours("i-0quiet", 14 * 24), *p4d_hours("i-0short", 14 * 24), *p4d_hours("i-0busy", 14 * 24))))
    ingest_metrics(con, [nvidia_smi_log(tmp_path / "quiet.csv", "i-0quiet", 14, 30, 3277),  # 8 % of 40,960 MiB
                         nvidia_smi_log(tmp_path / "short.csv", "i-0short", 13, 30, 3277),
                         nvidia_smi_log(tmp_path / "busy.csv", "i-0busy", 14, 90, 30000)])
    rows = con.execute(
        "select week, resource_id, instance_type, smaller_instance_type, hours, paid_rate, smaller_rate, "
        "rightsizing_savings, mig_profile from gpu_rightsizing").fetchall()
    # only W42 (10-12 to 10-14, 72 hours) has 14 days of metrics behind it; 13 days and a busy GPU: nothing
    assert rows == [("2026-W42", "i-0quiet", "p4d.24xlarge", "g5.48xlarge", Decimal(72), P4D_ON_DEMAND, G5_48XL,
                     72 * (P4D_ON_DEMAND - G5_48XL), "1g.5gb")]  # peak 3.2 GB of 40  # 72 x 16.4846 = 1,186.8912
    (weekly, monthly, explanation), = con.execute(
        "select weekly_savings, monthly_savings, explanation from savings_opportunities where kind = 'rightsizing'").fetchall()
    assert weekly == Decimal("1186.8912") and monthly is None  # one week: not a recurring run-rate
    assert explanation.startswith("i-0quiet (p4d.24xlarge) never used more than 8 % of its GPU memory and 30 % of its GPUs "
                                  "in 14 days; g5.48xlarge (8 A100 to 8 A10G")
    assert explanation.endswith("would have cost $1,186.89 less for its 72 hours this week; or share each GPU as 1g.5gb MIG slices. "
                                "Seen in 1 of the last 4 weeks, so no monthly figure")
    # the rightsized hours are no commitment hours: the week's rows never count them twice
    levers = dict(con.execute("select x_SavingsLever, sum(ConsumedQuantity) from int_savings_levers "
                              "where ResourceId = 'i-0quiet' group by 1").fetchall())
    assert levers == {"commitment": 264, "rightsizing": 72}
    section = savings_section(con, "2026-W42")
    assert savings_kind("rightsizing") in section and "i-0quiet (p4d.24xlarge) never used more than 8 %" in section and "$1,186.89" in section


def storage_day(bucket: str, day: dt.date, usage_type: str, amount: str, cost: str, unit: str = "GB-Mo") -> dict[str, str]:
    """One day of an S3 charge of ``bucket``, in the billing period (month) of ``day``."""
    period = day.replace(day=1)
    following = (period + dt.timedelta(days=32)).replace(day=1)
    return {"lineItem/ProductCode": "AmazonS3", "product/ProductName": "Amazon Simple Storage Service",
            "lineItem/UsageType": usage_type, "lineItem/Operation": "StandardStorage", "lineItem/ResourceId": bucket,
            "lineItem/AvailabilityZone": "", "product/instanceType": "", "lineItem/UsageAmount": amount,
            "lineItem/UnblendedRate": "", "lineItem/UnblendedCost": cost, "pricing/publicOnDemandCost": cost,
            "pricing/publicOnDemandRate": "", "pricing/unit": unit, "product/regionCode": "us-east-1",
            "bill/BillingPeriodStartDate": f"{period:%Y-%m-%d}T00:00:00Z", "bill/BillingPeriodEndDate": f"{following:%Y-%m-%d}T00:00:00Z",
            "identity/TimeInterval": f"{day:%Y-%m-%d}T00:00:00Z/{day + dt.timedelta(days=1):%Y-%m-%d}T00:00:00Z",
            "lineItem/UsageStartDate": f"{day:%Y-%m-%d}T00:00:00Z", "lineItem/UsageEndDate": f"{day + dt.timedelta(days=1):%Y-%m-%d}T00:00:00Z"}


def test_a_bucket_unread_for_60_days_is_tiered_and_a_read_heavy_one_is_not(con, tmp_path):
    # 2026-09-01 to 10-31, two buckets of 30,000 GB (1,000 GB-months a day at 0.023): one never read
    # after 200,000 objects were written on the first day, one read every day
    days = [dt.date(2026, 9, 1) + dt.timedelta(days=d) for d in range(61)]
    rows = []
    for bucket in ("cold-archive", "hot-features"):
        rows += [storage_day(bucket, day, "TimedStorage-ByteHrs", "1000", "23") for day in days]
        rows.append(storage_day(bucket, days[0], "Requests-Tier1", "200000", "1", unit="Requests"))
    rows += [storage_day("hot-features", day, "Requests-Tier2", "500000", "0.2", unit="Requests") for day in days]
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(*rows)))
    growth = con.execute("select week, gb_months, growth_gb_months from storage_growth "
                         "where bucket = 'cold-archive' and week in ('2026-W43', '2026-W44') order by week").fetchall()
    assert growth == [("2026-W43", Decimal(7000), Decimal(0)), ("2026-W44", Decimal(6000), Decimal(-1000))]
    got = con.execute("select week, bucket, days_unread, target_class, gb_months, EffectiveCost, target_cost, "
                      "transition_cost, tiering_savings from storage_tiering").fetchall()
    # W44 (10-26 to 10-31): 60 days unread by 10-31; Standard-IA (30-day minimum), not Glacier IR (90)
    # 6,000 GB-months: 138.00 at Standard, 6,000 x 0.0125 = 75.00 at IA, 200,000 / 1,000 x 0.01 = 2.00 to move
    assert got == [("2026-W44", "cold-archive", 60, "STANDARD_IA", Decimal(6000), Decimal(138), Decimal(75),
                    Decimal(2), Decimal(61))]
    (name, weekly, explanation), = con.execute(
        "select name, weekly_savings, explanation from savings_opportunities where kind = 'storage_tiering'").fetchall()
    assert (name, weekly) == ("cold-archive", Decimal(61))
    assert explanation == ("cold-archive was not read for 60 days; its 6,000 GB-months of Standard storage cost $138.00 this "
                           "week and would cost $75.00 as STANDARD_IA, plus $2.00 once to move its objects: $61.00 less. "
                           "Seen in 1 of the last 4 weeks, so no monthly figure")
    assert_rows_within_spend(con, "2026-W44")
    section = savings_section(con, "2026-W44")
    assert savings_kind("storage_tiering") in section and "cold-archive was not read for 60 days" in section and "$61.00" in section


def cloudwatch_invocations(path, endpoint: str, days: int, busy_hours: range):
    """Hourly CloudWatch-style invocation counts: 100 in ``busy_hours`` of each day, 0 otherwise."""
    path.write_text("timestamp,resource_id,invocations\n" + "".join(
        f"{START + dt.timedelta(hours=t):%Y-%m-%dT%H:%M:%SZ},{endpoint},{100 if t % 24 in busy_hours else 0}\n"
        for t in range(days * 24)), encoding="utf-8")
    return path


def load_invocations(con, endpoint: str, start: dt.datetime, days: int, busy_hours: range) -> None:
    """Hourly invocations as the CloudWatch loader lands them: 100 in ``busy_hours`` of each day, 0 otherwise."""
    con.executemany(
        "insert into gpu_metrics (resource_id, sampled_at, source, source_file, invocations) "
        "values (?, ?, 'cloudwatch', 'cloudwatch://us-east-1', ?)",
        [(endpoint, start + dt.timedelta(hours=t), 100 if t % 24 in busy_hours else 0) for t in range(days * 24)])
    finops.build(con, full_refresh=True)


W41 = dt.datetime(2026, 10, 5)  # a Monday: seven whole days of 2026-W41


def endpoint_hours(name: str, hours: int, **extra: str) -> list[dict[str, str]]:
    return [sagemaker("endpoint", name, "USE1-Host:ml.g5.xlarge", "1.408", "1",
                      **{"pricing/publicOnDemandRate": "1.408", "lineItem/UnblendedRate": "1.408", **hour_fields(t, W41), **extra})
            for t in range(hours)]


def savings_section(con, week: str) -> str:
    """The text of the weekly report's savings section, tags removed."""
    import re

    from finops.config.report import ReportSettings
    from finops.report.weekly import render

    page = render(con, week, ReportSettings()).html
    section = re.sub(r"<[^>]+>", " ", page[page.index("Opportunities this week</h3>"):page.index("Training and inference")])
    # finance reads it: no table or column names in the explanations
    explanations = [e for (e,) in con.execute("select explanation from savings_opportunities where week = ?", [week]).fetchall()]
    assert explanations and not [e for e in explanations if re.search(r"\b(int_\w+|\w+_(cost|savings|hours|pairs|gaps))\b", e)]
    return section


def assert_rows_within_spend(con, week: str) -> None:
    """No row saves more than the week's spend on what it names, and each dollar is in one row."""
    over = con.execute(
        """select s.kind, s.name, s.weekly_savings, sum(c.EffectiveCost)
           from savings_opportunities s
           join allocated_costs c
             on s.name in (c.ResourceId, c.ResourceName, c.x_WorkloadName)
            and strftime(c.ChargePeriodStart, '%G-W%V') = s.week
           where s.week = $week and s.kind <> 'commitment'
           group by all having s.weekly_savings > sum(c.EffectiveCost)""", {"week": week}).fetchall()
    assert over == []


def test_an_endpoint_idle_16_hours_a_day_saves_those_hours(con, tmp_path):
    # rank-v2 on ml.g5.xlarge all week at 1.408 an hour, with requests from 08:00 to 16:00 only
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(*endpoint_hours("rank-v2", 7 * 24, **{
        "resourceTags/user:team": "search"}))))
    load_invocations(con, "rank-v2", W41, 7, range(8, 16))
    assert con.execute("select endpoint, zero_traffic_hours, billed_hours, longest_zero_traffic_hours, zero_traffic_cost "
                       "from endpoint_traffic_gaps").fetchall() == [
        ("rank-v2", 112, 168, 16, Decimal("157.696"))]  # 7 x 16 hours x 1.408
    # the zero-traffic hours leave the commitment: no dollar in two rows
    assert dict(con.execute("select x_SavingsLever, count(*) from int_savings_levers group by 1").fetchall()) == {
        "endpoint_scaling": 112, "commitment": 56}
    (weekly, explanation), = con.execute(
        "select weekly_savings, explanation from savings_opportunities where kind = 'endpoint_scaling'").fetchall()
    assert weekly == Decimal("157.696")
    assert explanation.startswith("rank-v2 had no requests for 112 of its 168 billed hours this week (stretches up to 16 hours), "
                                  "costing $157.70: scale it to zero")
    assert_rows_within_spend(con, "2026-W41")
    section = savings_section(con, "2026-W41")
    assert savings_kind("endpoint_scaling") in section and "rank-v2 had no requests for 112" in section and "$157.70" in section


def test_an_endpoint_the_idle_rule_already_counts_is_not_counted_again(con, tmp_path):
    # no request all week: idle_gpu counts every day (at most 0 invocations a day), scaling adds nothing
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(*endpoint_hours("dormant", 7 * 24))))
    load_invocations(con, "dormant", W41, 7, range(0))
    assert con.execute("select count(*) from endpoint_traffic_gaps").fetchone() == (0,)
    assert con.execute("select kind, weekly_savings from savings_opportunities where week = '2026-W41' and kind <> 'commitment'"
                       ).fetchall() == [("idle_gpu", Decimal("236.544"))]  # 168 x 1.408, once


def transfer_hour(usage_type: str, gb: str, cost: str, **extra: str) -> dict[str, str]:
    return {"lineItem/ProductCode": "AmazonS3", "product/ProductName": "Amazon Simple Storage Service",
            "lineItem/UsageType": usage_type, "lineItem/Operation": "GetObject", "lineItem/UsageAmount": gb,
            "lineItem/UnblendedCost": cost, "pricing/publicOnDemandCost": cost, "pricing/unit": "GB",
            "product/instanceType": "", "lineItem/AvailabilityZone": "", "product/regionCode": "us-east-1", **extra}


def test_a_cross_region_pair_shows_with_its_dollars_and_co_location_where_the_team_computes(con, tmp_path):
    vision = {"resourceTags/user:team": "vision", "resourceTags/user:project": "atlas"}
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(
        # vision's bucket sends 500 GB to us-west-2 (0.02 a GB) and 100 GB to the internet (0.09)
        transfer_hour("USE1-USW2-AWS-Out-Bytes", "500", "10", **{"lineItem/ResourceId": "vision-data", **vision}),
        transfer_hour("USE1-DataTransfer-Out-Bytes", "100", "9", **{"lineItem/ResourceId": "vision-data", **vision}),
        # another team's bucket sends to eu-central-1, where no compute of theirs runs
        transfer_hour("USE1-EUC1-AWS-Out-Bytes", "50", "1", **{"lineItem/ResourceId": "web-assets",
                                                                "resourceTags/user:team": "web"}),
        # vision trains on a g5 in us-west-2
        {"lineItem/ResourceId": "i-0west", "lineItem/AvailabilityZone": "us-west-2a", **vision},
    )))
    assert con.execute("select pair_rank, transfer_kind, source_region, destination_region, resource_id, team, gb, "
                       "EffectiveCost, colocate_region from data_transfer_pairs order by pair_rank").fetchall() == [
        (1, "inter_region", "us-east-1", "us-west-2", "vision-data", "vision", Decimal(500), Decimal(10), "us-west-2"),
        (2, "internet_egress", "us-east-1", "internet", "vision-data", "vision", Decimal(100), Decimal(9), None),
        (3, "inter_region", "us-east-1", "eu-central-1", "web-assets", "web", Decimal(50), Decimal(1), None)]
    (name, weekly, explanation), = con.execute(
        "select name, weekly_savings, explanation from savings_opportunities where kind = 'data_transfer'").fetchall()
    assert (name, weekly) == ("vision-data", Decimal(10))
    assert explanation == ("vision-data sent 500 GB from us-east-1 to us-west-2 this week, costing $10.00; vision also runs "
                           "compute in us-west-2: keeping the data and the compute in one region would save it. "
                           "Seen in 1 of the last 4 weeks, so no monthly figure")
    assert_rows_within_spend(con, "2026-W40")
    section = savings_section(con, "2026-W40")
    assert savings_kind("data_transfer") in section and "vision-data sent 500 GB" in section


def test_the_new_savings_settings_are_read_and_their_errors_name_the_key(tmp_path):
    import pytest

    from finops.config import load_config
    from finops.errors import FinopsError

    config = tmp_path / "finops.toml"
    config.write_text("[savings]\ncold_storage_days = 30\nrightsizing_peak_memory_below = 25\n", encoding="utf-8")
    settings = load_config(config).savings
    assert (settings.cold_storage_days, settings.rightsizing_peak_memory_below, settings.rightsizing_days) == (30, 25.0, 14)
    for body, message in (("cold_storage_days = 0", "savings.cold_storage_days must be a whole number of days, at least 1"),
                          ("rightsizing_peak_utilization_below = 140", "savings.rightsizing_peak_utilization_below must be a percentage"),
                          ("endpoint_zero_traffic_hours = 2.5", "savings.endpoint_zero_traffic_hours must be a whole number of hours")):
        config.write_text(f"[savings]\n{body}\n", encoding="utf-8")
        with pytest.raises(FinopsError, match=message):
            load_config(config)


def test_a_volume_without_an_instance_in_its_zone_is_likely_unattached(con, tmp_path):
    volume = {"lineItem/UsageType": "USE1-EBS:VolumeUsage.gp3", "lineItem/ResourceId": "vol-0orphan",
              "lineItem/AvailabilityZone": "us-east-1b", "product/regionCode": "us-east-1", "product/instanceType": "",
              "lineItem/UsageAmount": "0.1369863", "lineItem/UnblendedCost": "0.0109589", "pricing/unit": "GB-Mo",
              "pricing/publicOnDemandCost": "0.0109589"}
    attached = {**volume, "lineItem/ResourceId": "vol-0attached", "lineItem/AvailabilityZone": "us-west-2a"}
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(
        *[{**volume, **hour_fields(t)} for t in range(3)], *[{**attached, **hour_fields(t)} for t in range(3)],
        *[{**hour_fields(t)} for t in range(3)])))  # the base row: a g5.xlarge in us-west-2a
    assert con.execute("select volume_id, availability_zone, unattached_hours, unattached_cost from unattached_volumes"
                       ).fetchall() == [("vol-0orphan", "us-east-1b", 3, Decimal("0.0328767"))]
    (explanation,), = con.execute("select explanation from savings_opportunities where kind = 'unattached_volume'").fetchall()
    assert explanation == ("vol-0orphan was billed 3 hours this week with no instance running in its account and zone "
                           "(us-east-1b), so it is likely unattached: snapshot and delete it to save $0.03. "
                           "Seen in 1 of the last 4 weeks, so no monthly figure")
