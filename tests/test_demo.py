"""`finops demo` and the generated bills behind it, loaded end to end."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from decimal import Decimal

import duckdb
import pytest

import finops
from finops.demo import generate
from tests.conftest import ROOT, snapshot


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """`finops demo` run as a new user would, in a git checkout (with the project's .gitignore)."""
    from finops.cli.app import main

    checkout = tmp_path_factory.mktemp("demo")
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    shutil.copy(ROOT / ".gitignore", checkout / ".gitignore")
    here = os.getcwd()
    os.chdir(checkout)
    try:
        assert main(["demo", "-q"]) == 0
    finally:
        os.chdir(here)
    return checkout / "finops-demo.duckdb"


def test_demo_leaves_nothing_untracked_and_prints_what_status_counts(demo_db, capsys):
    from finops.cli.app import main

    untracked = subprocess.run(["git", "status", "--porcelain"], cwd=demo_db.parent, capture_output=True,
                               text=True, check=True).stdout
    assert untracked == "?? .gitignore\n"  # only the file this test copied in
    assert main(["demo", "--db", str(demo_db)]) == 0
    demo = capsys.readouterr().out
    assert main(["status", "--db", str(demo_db)]) == 0
    status = capsys.readouterr().out
    for period, rows in (("2026-09", "15,694"), ("2026-10", "15,698"), ("2023-11", "1,281")):
        assert re.search(rf"{period} .* {rows} ", demo) and re.search(rf"{period} .* {rows} ", status)


def test_demo_bills_have_no_hostile_tag_values(demo_db):
    con = finops.connect(demo_db, read_only=True)
    values = {v for (v,) in con.execute("select distinct unnest(map_values(Tags)) from costs").fetchall()}
    assert values and not values & set(generate.HOSTILE_TAG_VALUES)


def test_demo_loads_three_periods_that_reconcile(demo_db):
    con = finops.connect(demo_db, read_only=True)
    periods = finops.status(con)
    assert [(p.billing_account_id, f"{p.billing_period_start:%Y-%m}", p.shape) for p in periods] == [
        ("111122223333", "2026-09", "aws-cur-legacy"),
        ("111122223333", "2026-10", "aws-cur2"),
        ("123412340534", "2023-11", "aws-cur-legacy"),
    ]
    assert all(p.reconciled for p in periods)
    assert finops.run_tests(con) == []


def test_demo_holds_what_an_ml_team_bill_holds(demo_db):
    con = finops.connect(demo_db, read_only=True)
    kinds = {r[0] for r in con.execute("select distinct x_LineItemType from costs").fetchall()}
    assert {"Usage", "SavingsPlanCoveredUsage", "SavingsPlanNegation", "SavingsPlanRecurringFee",
            "DiscountedUsage", "RIFee", "Fee", "Tax", "Credit"} <= kinds
    usage = {r[0] for r in con.execute(
        "select distinct regexp_replace(x_UsageType, '^[A-Z0-9]+-', '') from costs where x_UsageType is not null").fetchall()}
    assert any(u.startswith("Train:ml.") for u in usage) and any(u.startswith("Host:ml.") for u in usage)
    assert any(u.startswith("SpotUsage:") for u in usage) and any(u.startswith("BoxUsage:p") for u in usage)
    (spot,) = con.execute("select count(*) from costs where PricingCategory = 'Dynamic'").fetchone()
    assert spot > 0
    (unused,) = con.execute("select sum(EffectiveCost) from costs where CommitmentDiscountStatus = 'Unused'").fetchone()
    assert unused > 0
    # attribution keeps every cent: the workloads of the month add up to costs exactly
    (total,) = con.execute("select sum(EffectiveCost) from costs").fetchone()
    assert con.execute("select sum(EffectiveCost) from workload_costs").fetchone() == (total,)
    assert con.execute("select sum(total_cost) from cost_breakdown").fetchone() == (total,)
    types = {r[0] for r in con.execute("select distinct workload_type from workload_costs").fetchall()}
    assert {"training", "inference", "notebook", "storage", "data_transfer", "other"} <= types
    (tuned,) = con.execute("select count(*) from training_jobs where tuning_job is not null").fetchone()
    assert tuned > 0
    services = {r[0] for r in con.execute("select distinct ServiceCategory from costs").fetchall()}
    assert {"AI and Machine Learning", "Compute", "Storage"} <= services


def test_demo_again_changes_nothing(demo_db, capsys):
    from finops.cli.app import main

    before = snapshot(demo_db)
    assert main(["demo", "--db", str(demo_db)]) == 0
    out = capsys.readouterr().out
    assert out.count("already loaded") == 3  # the bills; the telemetry files replace their own samples
    assert snapshot(demo_db) == before


@pytest.mark.parametrize("writer", [generate.write_legacy_cur, generate.write_cur2])
def test_generated_restatement_replaces_the_period(con, tmp_path, writer):
    writer(tmp_path / "d1", "2026-10", rows=800, seed=3)
    finops.ingest_aws(con, tmp_path / "d1")
    (billed_1,) = con.execute("select sum(BilledCost) from costs").fetchone()
    writer(tmp_path / "d2", "2026-10", rows=800, seed=3, cost_scale=2.0)
    finops.ingest_aws(con, tmp_path / "d2")
    (billed_2,) = con.execute("select sum(BilledCost) from costs").fetchone()
    assert Decimal("1.99") * billed_1 < billed_2 < Decimal("2.01") * billed_1
    source = duckdb.connect()
    files = [str(p) for p in (tmp_path / "d2").rglob("*") if p.name.endswith((".csv.gz", ".parquet"))]
    if files[0].endswith(".parquet"):
        (expected,) = source.execute(f"select sum(cast(line_item_unblended_cost as decimal(38, 10))) from read_parquet({files})").fetchone()
    else:
        (expected,) = source.execute(
            f"select sum(cast(\"lineItem/UnblendedCost\" as decimal(38, 10))) from read_csv({files}, all_varchar = true)").fetchone()
    assert billed_2 == expected  # only the second delivery's numbers remain, to the last decimal
    assert finops.ingest_aws(con, tmp_path / "d2")[0].skipped


def test_demo_writes_the_report_of_its_last_complete_week(demo_db):
    from finops.report.weekly import money

    page = demo_db.with_name("finops-demo-report-2026-W43.html").read_text(encoding="utf-8")
    con = finops.connect(demo_db, read_only=True)
    (total,) = con.execute("select sum(EffectiveCost) from costs where ChargePeriodStart >= '2026-10-19' "
                           "and ChargePeriodStart < '2026-10-26'").fetchall()[0]
    con.close()
    assert re.search(r'id="headline"[^>]*>\s*([^<]+?)\s*<', page)[1] == money(total)
    assert len(page.encode()) < 100_000


def test_demo_measures_its_gpus_some_idle_some_busy(demo_db):
    con = finops.connect(demo_db, read_only=True)
    weekly = {r[0]: r[1:] for r in con.execute(
        "select resource_id, billed_hours, measured_hours, idle_hours from idle_gpu_weekly where week = '2026-W43'").fetchall()}
    # the forgotten box: idle every hour it was billed; an office-hours box: idle the week's 108 nights and weekend hours
    assert weekly["i-00ad3e307acfb5f2e"] == (155, 155, 155)
    assert weekly["i-0a886a67cd1df4c05"] == (168, 168, 108)
    busy = [r for r, (billed, measured, idle) in weekly.items() if r.startswith("i-") and measured == billed and idle == 0]
    assert len(busy) >= 5
    # the staging endpoint has no request at the weekend: Saturday and Sunday are idle days
    staging = [v for r, v in weekly.items() if r.endswith("endpoint/recsys-ranker-staging")]
    assert staging == [(168, 0, 48)]


def test_demo_report_shows_measured_idle_gpus_and_cost_per_1000_predictions(demo_db):
    from finops.report.weekly import money

    con = finops.connect(demo_db, read_only=True)
    endpoints = dict(con.execute("select endpoint, EffectiveCost * 1000 / invocations from report_endpoints "
                                 "where week = '2026-W43'").fetchall())
    assert Decimal("1") < endpoints["llm-chat-prod"] < Decimal("5")  # a believable LLM endpoint's price
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", demo_db.with_name("finops-demo-report-2026-W43.html").read_text()))
    assert re.search(rf"llm-chat-prod ml-platform . ml.g5.12xlarge 168.0 \$7.09 {re.escape(money(endpoints['llm-chat-prod']))} ", page)
    idle = page[page.index("Idle GPUs"):page.index("GPUs that look idle from the bill")]
    assert "i-00ad3e307acfb5f2e ml-platform 155 1 % $879.16 $879.16" in idle  # utilisation in percent, not x 100
