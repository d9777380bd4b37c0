"""Savings that mean what they say: the week's dollars, never more than the spend they act on; a monthly
run-rate only for work that recurs (3 of the last 4 ISO weeks); a section total that counts each dollar once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import finops
from finops.connectors.metrics import ingest_metrics
from tests.conftest import cur_rows, write_cur_csv
from tests.test_savings_wave2 import assert_rows_within_spend
from tests.test_spot_opportunities import P4D_ON_DEMAND, P4D_SPOT, p4d_run

WEEK = "2026-W44"  # 2026-10-26 to 11-01, the bill's last week
SPOT_OFF = P4D_ON_DEMAND - P4D_SPOT  # 21.3022 an hour


def job_hours(start: dt.datetime, hours: int, job: str, resource: str, **extra: str) -> list[dict[str, str]]:
    """``hours`` consecutive on-demand p4d hours of the training job ``job`` on instance ``resource``."""
    rows = []
    for t in range(hours):
        begin, end = start + dt.timedelta(hours=t), start + dt.timedelta(hours=t + 1)
        rows.append(p4d_run("1", **{
            "identity/TimeInterval": f"{begin:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
            "lineItem/UsageStartDate": f"{begin:%Y-%m-%dT%H:%M:%SZ}", "lineItem/UsageEndDate": f"{end:%Y-%m-%dT%H:%M:%SZ}",
            "lineItem/ResourceId": resource, "resourceTags/user:job": job, "resourceTags/user:team": "ml-platform", **extra}))
    return rows


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Four weeks of a nightly job (10 hours every Monday, one measured idle hour in the last), a one-off
    sweep of 20 hours in the last week, and a 2-hour job billed at 5.00 an hour under its 32.7726 list rate."""
    tmp = tmp_path_factory.mktemp("honest")
    mondays = [dt.datetime(2026, 10, day, tzinfo=dt.UTC) for day in (5, 12, 19, 26)]  # W41 to W44
    rows = [row for monday in mondays for row in job_hours(monday, 10, "nightly-train", "i-0night")]
    rows += job_hours(dt.datetime(2026, 10, 27, tzinfo=dt.UTC), 20, "oneoff-sweep", "i-0sweep")
    rows += job_hours(dt.datetime(2026, 10, 28, tzinfo=dt.UTC), 2, "discounted", "i-0disc",
                      **{"lineItem/UnblendedRate": "5.00", "lineItem/UnblendedCost": "5.00"})
    con = finops.connect(tmp / "w.duckdb")
    finops.ingest_aws(con, write_cur_csv(tmp / "cur.csv", cur_rows(*rows)))
    log = tmp / "gpu.csv"  # the nightly job's GPUs sat idle 04:00 to 05:00 on 10-26
    log.write_text("timestamp, instance_id, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB]\n" + "".join(
        f"2026/10/26 04:{m:02d}:00.000, i-0night, 0, 0 %, 10 MiB, 40960 MiB\n" for m in (0, 15, 30, 45)), encoding="utf-8")
    ingest_metrics(con, [log])
    yield con
    con.close()


def opportunities(con) -> dict[tuple[str, str], tuple]:
    rows = con.execute("select kind, name, weekly_savings, monthly_savings, recurring_weeks, spend, explanation "
                       "from savings_opportunities where week = ?", [WEEK]).fetchall()
    return {(kind, name): tuple(rest) for kind, name, *rest in rows}


def test_a_one_off_job_saves_at_most_its_cost_and_has_no_monthly_figure(warehouse):
    weekly, monthly, weeks, spend, explanation = opportunities(warehouse)[("spot", "oneoff-sweep")]
    assert weekly == 20 * SPOT_OFF == Decimal("426.044")  # not x 730 / 168
    assert spend == 20 * P4D_ON_DEMAND == Decimal("655.452") and weekly <= spend
    assert (monthly, weeks) == (None, 1)
    assert explanation == ("oneoff-sweep (training) ran 20 hours on demand on p4d.24xlarge, costing $655.45; spot was 65 % "
                           "cheaper that week: $426.04 less (it must checkpoint to survive interruptions). "
                           "Seen in 1 of the last 4 weeks, so no monthly figure")


def test_a_job_that_recurs_four_weeks_gets_a_monthly_run_rate(warehouse):
    weekly, monthly, weeks, spend, explanation = opportunities(warehouse)[("spot", "nightly-train")]
    assert weekly == 9 * SPOT_OFF  # 191.7198: its idle hour is the idle row's
    assert (weeks, spend) == (4, 9 * P4D_ON_DEMAND)
    # the 4 weeks averaged: (3 x 213.022 + 191.7198) / 4 = 207.69645 a week, x 730 / 168 = 902.4926 a month
    assert monthly == pytest.approx((3 * 10 * SPOT_OFF + 9 * SPOT_OFF) / 4 * 730 / 168, abs=Decimal("1e-6"))
    assert round(monthly, 2) == Decimal("902.49")
    assert explanation.endswith(". Recurring: seen in 4 of the last 4 weeks, about $902.49 a month at that pace")


def test_no_row_saves_more_than_the_spend_it_acts_on(warehouse):
    # the list rate says 21.3022 an hour off, but the 2 hours cost 10.00: the saving is 10.00
    weekly, _, _, spend, _ = opportunities(warehouse)[("spot", "discounted")]
    assert weekly == spend == Decimal("10")
    assert warehouse.execute("select count(*) from savings_opportunities where weekly_savings > spend").fetchone() == (0,)
    assert_rows_within_spend(warehouse, WEEK)


def test_the_weeks_total_is_the_sum_of_levers_that_do_not_overlap(warehouse):
    from finops.config.report import ReportSettings
    from finops.report.weekly import render

    # each of the week's 32 on-demand hours is in one lever only: the idle hour is not also a spot hour
    assert dict(warehouse.execute(
        "select x_SavingsLever, sum(ConsumedQuantity) from int_savings_levers "
        "where strftime(ChargePeriodStart, '%G-W%V') = ? group by 1", [WEEK]).fetchall()) == {"spot": 31, "idle_gpu": 1}
    got = opportunities(warehouse)
    assert sorted(got) == [("idle_gpu", "i-0night"), ("spot", "discounted"), ("spot", "nightly-train"),
                           ("spot", "oneoff-sweep")]
    assert got[("idle_gpu", "i-0night")][:3] == (P4D_ON_DEMAND, None, 1)  # one idle hour of the 10 billed
    total = sum(row[0] for row in got.values())
    # 426.044 + 191.7198 + 10.00 + 32.7726 = 660.5364 that week
    assert total == 20 * SPOT_OFF + 9 * SPOT_OFF + 10 + P4D_ON_DEMAND == Decimal("660.5364")
    report = render(warehouse, WEEK, ReportSettings())
    assert "$660.54" in report.html
    assert "saving this week $660.54 in all (4)" in report.text
    line = next(line for line in report.text.splitlines() if "nightly-train" in line and "saving" in line)
    assert line.endswith("saving this week $191.72, monthly run-rate (recurring) $902.49")
    line = next(line for line in report.text.splitlines() if "oneoff-sweep" in line and "saving" in line)
    assert line.endswith("saving this week $426.04")  # no monthly figure for a one-off
