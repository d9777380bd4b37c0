"""Incremental builds: a build rewrites only the rows of loads that changed, and ends exactly where a
full rebuild would."""

from __future__ import annotations

import duckdb

import finops
from finops.demo import generate
from tests.conftest import cur_rows, write_aws_focus_charge, write_cur_csv

COMPARED = (
    "select x_LoadId, BillingPeriodStart, x_LineItemId, x_RowKind, ChargeCategory, BilledCost, EffectiveCost, "
    "x_WorkloadType, x_WorkloadName, x_Team, x_Project, x_GpuHours from allocated_costs order by all"
)
DAILY = "select * from workload_costs order by all"


def state(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple]]:
    return con.execute(COMPARED).fetchall(), con.execute(DAILY).fetchall()


def rows_after_full_rebuild(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple]]:
    finops.build(con, full_refresh=True)
    return state(con)


def test_a_restated_month_rewrites_only_that_month(con, tmp_path):
    root = tmp_path / "cur"
    for period in ("2026-08", "2026-09", "2026-10"):
        generate.write_cur2(root, period, rows=600, seed=3)
    finops.ingest_aws(con, root)
    untouched = "select rowid, x_LineItemId from allocated_costs where BillingPeriodStart < '2026-10-01' order by all"
    before = con.execute(untouched).fetchall()
    october_before = con.execute("select sum(BilledCost) from costs where BillingPeriodStart = '2026-10-01'").fetchone()

    generate.write_cur2(root, "2026-10", rows=700, seed=3, cost_scale=1.25)  # AWS restates October in place
    (result,) = [r for r in finops.ingest_aws(con, root) if not r.skipped]

    assert [str(p.start.date()) for p in result.periods] == ["2026-10-01"]
    # August and September rows were not rewritten: same storage rows, same ids
    assert con.execute(untouched).fetchall() == before
    october = con.execute(
        "select count(*), sum(BilledCost) from costs where BillingPeriodStart = '2026-10-01'"
    ).fetchone()
    assert october[0] >= 700 and october[1] != october_before[0]
    # and the month totals equal the source's, with no row of the replaced delivery left
    assert con.execute(
        "select sum(source_total) from loads where replaced_by is null and billing_period_start = '2026-10-01'"
    ).fetchone()[0] == con.execute(
        "select sum(BilledCost) from costs where BillingPeriodStart = '2026-10-01' and x_RowKind = 'line_item'"
    ).fetchone()[0]
    incremental = state(con)
    assert incremental == rows_after_full_rebuild(con)


def test_a_delivery_spanning_two_months_keeps_the_month_not_restated(con, tmp_path):
    # loose files may hold two periods in one load; a later delivery replaces only one of them
    september = {"bill/BillingPeriodStartDate": "2026-09-01T00:00:00Z", "bill/BillingPeriodEndDate": "2026-10-01T00:00:00Z",
                 "lineItem/UsageStartDate": "2026-09-03T00:00:00Z", "lineItem/UsageEndDate": "2026-09-03T01:00:00Z",
                 "lineItem/UnblendedCost": "7.00"}
    both = cur_rows({"lineItem/UnblendedCost": "1.00"}, september, september)
    finops.ingest_aws(con, write_cur_csv(tmp_path / "both" / "cur.csv", both))
    october_again = cur_rows({"lineItem/UnblendedCost": "5.00"}, {"lineItem/UnblendedCost": "5.00"})
    finops.ingest_aws(con, write_cur_csv(tmp_path / "october" / "cur.csv", october_again))

    per_month = con.execute(
        "select strftime(BillingPeriodStart, '%Y-%m'), count(*), sum(BilledCost) from costs group by 1 order by 1"
    ).fetchall()
    assert [(m, n, str(total)) for m, n, total in per_month] == [
        ("2026-09", 2, "14.0000000000"), ("2026-10", 2, "10.0000000000"),
    ]
    assert state(con) == rows_after_full_rebuild(con)


def test_changed_attribution_rules_rebuild_every_row(con, tmp_path, monkeypatch):
    root = tmp_path / "cur"
    generate.write_cur2(root, "2026-10", rows=400, seed=5)
    finops.ingest_aws(con, root)
    teams = "select x_Team, count(*) from allocated_costs group by 1 order by 1"
    assert dict(con.execute(teams).fetchall()).get("unallocated", 0) < con.execute(
        "select count(*) from allocated_costs"
    ).fetchone()[0]

    config = tmp_path / "finops.toml"
    config.write_text('[attribution.tags]\nteam = ["no-such-tag"]\n')
    monkeypatch.setenv("FINOPS_CONFIG", str(config))
    finops.build(con, config=finops.load_config())  # nothing new was loaded, but every row's team depends on the rules
    assert con.execute(teams).fetchall() == [("unallocated", con.execute("select count(*) from allocated_costs").fetchone()[0])]


def test_a_build_with_nothing_new_changes_nothing(con, tmp_path):
    root = tmp_path / "cur"
    generate.write_cur2(root, "2026-10", rows=300, seed=7)
    finops.ingest_aws(con, root)
    before = con.execute("select rowid, x_LineItemId, EffectiveCost from allocated_costs order by all").fetchall()
    finops.build(con)
    assert con.execute("select rowid, x_LineItemId, EffectiveCost from allocated_costs order by all").fetchall() == before


def test_a_warehouse_from_before_incremental_builds_is_upgraded(db, tmp_path):
    root = tmp_path / "cur"
    generate.write_cur2(root, "2026-10", rows=300, seed=9)
    con = finops.connect(db)
    finops.ingest_aws(con, root)
    expected = con.execute("select count(*), sum(EffectiveCost) from costs").fetchone()
    # the previous release stored costs as a table and had no build state
    con.execute("create table costs_old as select * from costs")
    con.execute("drop view costs")
    con.execute("alter table costs_old rename to costs")
    con.execute("drop table build_state")
    finops.build(con)
    kinds = con.execute(
        "select table_name from duckdb_tables() where table_name in ('costs', 'allocated_costs') order by 1"
    ).fetchall()
    assert kinds == [("allocated_costs",)]
    assert con.execute("select count(*), sum(EffectiveCost) from costs").fetchone() == expected


def test_needs_build_tells_when_models_are_behind_the_loads(con, tmp_path, monkeypatch):
    from finops.models.builder import needs_build

    root = tmp_path / "cur"
    generate.write_cur2(root, "2026-09", rows=200, seed=11)
    assert needs_build(con)  # never built
    finops.ingest_aws(con, root)
    assert not needs_build(con)
    generate.write_cur2(root, "2026-10", rows=200, seed=11)
    finops.ingest_aws(con, root, build=False)  # say the build of an earlier refresh failed
    assert needs_build(con)
    finops.build(con)
    assert not needs_build(con)
    config = tmp_path / "finops.toml"
    config.write_text('[attribution.tags]\nteam = ["squad"]\n')
    monkeypatch.setenv("FINOPS_CONFIG", str(config))
    assert needs_build(con, finops.load_config())


def test_a_cur_arriving_after_the_focus_export_of_its_period_replaces_it(con, tmp_path):
    # AWS's FOCUS export of a period loaded first, then the CUR of the same account and period:
    # the period is taken from the CUR only, as a full build would
    focus_file = write_aws_focus_charge(tmp_path / "aws-focus.parquet", "111122223333", "2026-10-01", "99.0")
    finops.ingest_focus(con, focus_file)
    assert con.execute("select sum(BilledCost) from costs").fetchone()[0] == 99
    root = tmp_path / "cur"
    generate.write_cur2(root, "2026-10", rows=200, seed=13, payer_account_id="111122223333")
    finops.ingest_aws(con, root)
    (cur_total,) = con.execute(
        "select sum(source_total) from loads where shape <> 'focus' and replaced_by is null"
    ).fetchone()
    assert con.execute("select sum(BilledCost) from costs where x_RowKind = 'line_item'").fetchone()[0] == cur_total
    assert state(con) == rows_after_full_rebuild(con)


def test_idle_gpu_takes_in_metrics_loaded_after_the_bill(con, tmp_path):
    from finops.connectors.metrics import ingest_metrics
    from tests.test_metrics import week_bill, week_metrics

    idle = "select resource_id, hour, samples, is_idle, wasted_cost from idle_gpu order by all"
    finops.ingest_aws(con, write_cur_csv(tmp_path / "bill" / "cur.csv", week_bill()))
    assert con.execute("select count(*) from idle_gpu where is_idle is not null").fetchone() == (0,)

    metrics = week_metrics(tmp_path / "gpu.csv")
    ingest_metrics(con, [metrics])
    measured = con.execute(idle).fetchall()
    assert sum(1 for r in measured if r[3]) == 84  # i-nightly's 12 idle hours a night
    finops.build(con, full_refresh=True)
    assert con.execute(idle).fetchall() == measured

    # the same file again, now busy at night: its hours are recomputed, the others kept
    metrics.write_text(metrics.read_text().replace(", 2 %,", ", 60 %,"), encoding="utf-8")
    ingest_metrics(con, [metrics])
    assert con.execute("select count(*) from idle_gpu where is_idle").fetchone() == (0,)
    assert con.execute("select count(*) from gpu_metrics_changes").fetchone() == (0,)
    remeasured = con.execute(idle).fetchall()
    finops.build(con, full_refresh=True)
    assert con.execute(idle).fetchall() == remeasured
