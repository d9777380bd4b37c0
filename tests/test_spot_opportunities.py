"""Spot opportunities and the price table: a known on-demand p4d job priced at a known spot rate."""

from __future__ import annotations

from decimal import Decimal

import finops
from tests.conftest import cur_rows, write_cur_csv

P4D_ON_DEMAND, P4D_SPOT = Decimal("32.7726"), Decimal("11.4704")  # sql/seeds/instance_prices.csv, us-east-1


def p4d_run(hours: str, **extra: str) -> dict[str, str]:
    cost = str(Decimal(hours) * P4D_ON_DEMAND)
    return {"lineItem/UsageType": "USE1-BoxUsage:p4d.24xlarge", "product/instanceType": "p4d.24xlarge",
            "product/regionCode": "us-east-1", "lineItem/AvailabilityZone": "us-east-1a",
            "lineItem/UsageAmount": hours, "lineItem/UnblendedRate": str(P4D_ON_DEMAND), "lineItem/UnblendedCost": cost,
            "pricing/publicOnDemandRate": str(P4D_ON_DEMAND), "pricing/publicOnDemandCost": cost, **extra}


def test_on_demand_p4d_training_priced_at_spot(con, tmp_path):
    rows = cur_rows(
        # a p4d training job: 10 hours on demand in one hour-line, 5 more the next hour
        p4d_run("10", **{"lineItem/ResourceId": "i-0p4d", "resourceTags/user:job": "llm-pretrain",
                         "resourceTags/user:team": "ml-platform"}),
        p4d_run("5", **{"lineItem/ResourceId": "i-0p4d", "resourceTags/user:job": "llm-pretrain",
                        "resourceTags/user:team": "ml-platform",
                        "identity/TimeInterval": "2026-10-01T01:00:00Z/2026-10-01T02:00:00Z",
                        "lineItem/UsageStartDate": "2026-10-01T01:00:00Z", "lineItem/UsageEndDate": "2026-10-01T02:00:00Z"}),
        # an untagged GPU instance is not known to be interruptible: no opportunity
        p4d_run("3", **{"lineItem/ResourceId": "i-0other"}),
    )
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", rows))
    got = con.execute(
        """select week, workload_type, workload_name, team, instance_type, on_demand_hours, on_demand_rate, spot_rate,
                  spot_savings
           from spot_opportunities"""
    ).fetchall()
    assert got == [("2026-W40", "training", "llm-pretrain", "ml-platform", "p4d.24xlarge", Decimal(15),
                    P4D_ON_DEMAND, P4D_SPOT, Decimal("319.533"))]  # 15 h x (32.7726 - 11.4704)


def test_price_table_has_every_kind_dated_and_sourced(con):
    finops.build(con)
    p4d = dict(con.execute(
        "select price_kind, unit_price from prices where provider = 'AWS' and item = 'p4d.24xlarge' and region = 'us-east-1'"
    ).fetchall())
    assert p4d == {"on_demand": P4D_ON_DEMAND, "spot": P4D_SPOT, "commit_1y": Decimal("20.6467"), "commit_3y": Decimal("14.0922")}
    # GCP comes from the existing Catalog snapshot, not a copy of it
    kinds = {k for (k,) in con.execute("select distinct price_kind from prices where provider = 'Google Cloud'").fetchall()}
    assert kinds == {"on_demand", "spot", "commit_1y", "commit_3y"}
    assert con.execute("select count(*) from prices where as_of is null or source is null").fetchone() == (0,)


def test_savings_opportunities_state_the_week_and_the_report_shows_it(con, tmp_path):
    from finops.config.report import ReportSettings
    from finops.report.weekly import render

    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(
        p4d_run("15", **{"lineItem/ResourceId": "i-0p4d", "resourceTags/user:job": "llm-pretrain",
                         "resourceTags/user:team": "ml-platform"}))))
    got = con.execute(
        "select week, kind, scope, name, team, weekly_savings, monthly_savings, recurring_weeks, spend, confidence, explanation "
        "from savings_opportunities"
    ).fetchall()
    weekly = Decimal("319.533")  # 15 h x (32.7726 - 11.4704), as above, of 15 x 32.7726 = 491.589 spent
    assert got == [("2026-W40", "spot", "job", "llm-pretrain", "ml-platform", weekly, None, 1, Decimal("491.589"), "medium",
                    "llm-pretrain (training) ran 15 hours on demand on p4d.24xlarge, costing $491.59; spot was 65 % cheaper "
                    "that week: $319.53 less (it must checkpoint to survive interruptions). Seen in 1 of the last 4 weeks, "
                    "so no monthly figure")]
    page = render(con, "2026-W40", ReportSettings()).html
    section = page[page.index("Opportunities this week</h3>"):]
    assert "llm-pretrain" in section and "$319.53" in section and "$1,388" not in section  # one week, not x 730 / 168


def test_realised_spot_savings_per_team_and_job(con, tmp_path):
    from tests.test_attribution import month

    # the attribution month: SageMaker managed spot training whisper-spot, 1.82 for 4.545 of on-demand;
    # its on-demand jobs (llama-ft, bert-hpo, llm-pretrain) become spot opportunities, not realised savings
    finops.ingest_aws(con, write_cur_csv(tmp_path / "m" / "cur.csv", month()))
    assert con.execute(
        "select team, workload_name, spot_cost, on_demand_equivalent_cost, realised_savings from spot_savings_realised"
    ).fetchall() == [("ml-platform", "whisper-spot", Decimal("1.82"), Decimal("4.545"), Decimal("2.725"))]
    jobs = {name for (name,) in con.execute("select distinct workload_name from spot_opportunities").fetchall()}
    assert jobs == {"llama-ft", "bert-hpo-001-1a2b3c4d", "llm-pretrain"}
