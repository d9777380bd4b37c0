"""The harness: whatever order deliveries arrive in, the incremental build ends exactly where
``finops build --full-refresh`` would.

Each scenario lands its deliveries step by step, each ingest followed by the normal incremental
build, then :func:`assert_incremental_equals_full` copies every incremental table and every mart,
rebuilds everything from the landing tables and compares row by row (money as DECIMAL): a
difference fails naming the relation and a row only one side has.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import finops
from finops.demo import generate
from finops.demo.generate_gcp import write_gcp_export
from finops.models.project import load_models
from finops.warehouse.catalog import columns_of
from tests.conftest import cur_rows, write_aws_focus_charge, write_cur_csv, write_legacy_delivery

OCTOBER = "select sum(BilledCost) from costs where BillingPeriodStart = '2026-10-01'"


def compared_relations() -> list[str]:
    """Every incremental table and every mart: what an incremental build can get wrong."""
    return [m.name for m in load_models() if m.materialized == "incremental" or m.layer == "marts"]


def _normalised(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """The relation's columns, floating-point ones rounded: their last bits depend on summation
    order, which is no difference; DECIMAL money is compared exactly."""
    return ", ".join(
        f'round("{name}", 9) as "{name}"' if typ in ("DOUBLE", "FLOAT") else f'"{name}"'
        for name, typ, _ in columns_of(con, relation)
    )


def assert_incremental_equals_full(con: duckdb.DuckDBPyConnection) -> None:
    """Snapshot every compared relation, rebuild in full, and fail on any row only one side has."""
    relations = compared_relations()
    for name in relations:
        con.execute(f"create or replace temp table snapshot_{name} as select {_normalised(con, name)} from main.{name}")
    finops.build(con, full_refresh=True)
    differences = []
    for name in relations:
        current = f"select {_normalised(con, name)} from main.{name}"
        stale = con.execute(f"select * from snapshot_{name} except all {current} limit 1").fetchall()
        lacking = con.execute(f"{current} except all select * from snapshot_{name} limit 1").fetchall()
        if stale or lacking:
            side = "only the incremental build has" if stale else "only the full rebuild has"
            differences.append(f"{name}: {side} {(stale or lacking)[0]}")
        con.execute(f"drop table snapshot_{name}")
    assert not differences, "\n".join(differences)


@pytest.fixture(scope="module")
def bills(tmp_path_factory) -> Path:
    """Generated CUR 2.0 deliveries, written once for the module: three months, and October
    restated (larger and dearer) and final, each in its own folder to copy into place."""
    root = tmp_path_factory.mktemp("bills")
    for period in ("2026-08", "2026-09", "2026-10"):
        generate.write_cur2(root / "months", period, rows=600, seed=3)
    generate.write_cur2(root / "restated", "2026-10", rows=700, seed=3, cost_scale=1.25)
    generate.write_cur2(root / "final", "2026-10", rows=700, seed=3, cost_scale=1.25, final=True)
    return root


def deliver(bills: Path, delivery: str, into: Path) -> Path:
    """Put a generated delivery where the next ingest reads it, as Data Exports overwrites a period."""
    shutil.copytree(bills / delivery, into, dirs_exist_ok=True)
    return into


def test_a_restated_month_then_its_final_invoice(con, tmp_path, bills):
    root = deliver(bills, "months", tmp_path / "cur")
    finops.ingest_aws(con, root)
    finops.ingest_aws(con, deliver(bills, "restated", root))
    finops.ingest_aws(con, deliver(bills, "final", root))
    assert con.execute("select count(*) from loads where replaced_by is null").fetchone() == (3,)
    assert_incremental_equals_full(con)


def test_a_legacy_period_deleted_and_redelivered(con, tmp_path):
    root = tmp_path / "cur"
    generate.write_legacy_cur(root, "2026-10", rows=500, seed=4)
    generate.write_legacy_cur(root, "2026-09", rows=500, seed=4)
    finops.ingest_aws(con, root)
    shutil.rmtree(root / "ml-team-cur" / "20261001-20261101")  # AWS deletes the period's report...
    finops.ingest_aws(con, root)
    generate.write_legacy_cur(root, "2026-10", rows=550, seed=4, cost_scale=0.8)  # ...and delivers it again
    finops.ingest_aws(con, root)
    (live,) = con.execute(
        "select source_total from loads where replaced_by is null and billing_period_start = '2026-10-01'"
    ).fetchone()
    assert con.execute(f"{OCTOBER} and x_RowKind = 'line_item'").fetchone() == (live,)
    assert_incremental_equals_full(con)


def test_stale_assemblies_and_a_second_delivery(con, tmp_path):
    month = [{"lineItem/UnblendedCost": "1.00", "pricing/publicOnDemandCost": "1.00"}] * 3
    root = tmp_path / "cur"
    write_legacy_delivery(root, cur_rows(*month), assembly="a1111111-1111-1111-1111-111111111111")
    finops.ingest_aws(con, root)
    dearer = [{"lineItem/UnblendedCost": "2.50", "pricing/publicOnDemandCost": "2.50"}] * 4
    write_legacy_delivery(root, cur_rows(*dearer), assembly="b2222222-2222-2222-2222-222222222222")
    finops.ingest_aws(con, root)
    assert con.execute(OCTOBER).fetchone() == (Decimal("10"),)
    assert_incremental_equals_full(con)


def test_a_delivery_spanning_two_months_then_other_accounts_and_tags(con, tmp_path):
    september = {"bill/BillingPeriodStartDate": "2026-09-01T00:00:00Z", "bill/BillingPeriodEndDate": "2026-10-01T00:00:00Z",
                 "lineItem/UsageStartDate": "2026-09-03T00:00:00Z", "lineItem/UsageEndDate": "2026-09-03T01:00:00Z",
                 "lineItem/UnblendedCost": "7.00"}
    both = cur_rows({"lineItem/UnblendedCost": "1.00", "resourceTags/user:team": "ml-research"}, september, september)
    finops.ingest_aws(con, write_cur_csv(tmp_path / "both" / "cur.csv", both))
    other_payer = cur_rows({"bill/PayerAccountId": "999988887777", "lineItem/UnblendedCost": "100.00",
                            "lineItem/ResourceId": "i-0other"})
    finops.ingest_aws(con, write_cur_csv(tmp_path / "other" / "cur.csv", other_payer))
    october = cur_rows({"lineItem/UnblendedCost": "5.00", "resourceTags/user:team": "ml-platform",
                        "resourceTags/user:project": "llm"}, {"lineItem/UnblendedCost": "4.00"})
    finops.ingest_aws(con, write_cur_csv(tmp_path / "october" / "cur.csv", october))
    per_month = con.execute(
        "select BillingAccountId, strftime(BillingPeriodStart, '%Y-%m'), sum(BilledCost) from costs group by all order by all"
    ).fetchall()
    assert per_month == [("111122223333", "2026-09", Decimal("14")), ("111122223333", "2026-10", Decimal("9")),
                         ("999988887777", "2026-10", Decimal("100"))]
    assert_incremental_equals_full(con)


def test_a_cur_arriving_after_aws_focus_export_of_its_period(con, tmp_path, bills):
    finops.ingest_focus(con, write_aws_focus_charge(tmp_path / "aws-focus.parquet", "111122223333", "2026-10-01", "99.0"))
    finops.ingest_aws(con, deliver(bills, "months", tmp_path / "cur"))
    assert_incremental_equals_full(con)


def test_the_focus_export_loaded_back_then_a_restatement(con, tmp_path, bills):
    # a user loads finops's own FOCUS export of the bill back in; later AWS restates October
    root = deliver(bills, "months", tmp_path / "cur")
    finops.ingest_aws(con, root)
    finops.export_focus(con, tmp_path / "focus.parquet")
    finops.ingest_focus(con, tmp_path / "focus.parquet")
    finops.ingest_aws(con, deliver(bills, "restated", root))
    (restated,) = con.execute(
        "select source_total from loads where shape <> 'focus' and replaced_by is null "
        "and billing_period_start = '2026-10-01'"
    ).fetchone()
    # October is the restated CUR alone: the full rebuild's money, not the first delivery's left over
    assert con.execute(f"{OCTOBER} and x_RowKind = 'line_item'").fetchone() == (restated,)
    assert round(restated, 2) == Decimal("40193.95")
    (first_october,) = con.execute("select load_id from loads where shape <> 'focus' and replaced_by is not null "
                                   "and billing_period_start = '2026-10-01'").fetchone()
    assert con.execute("select count(*) from allocated_costs where x_LoadId = ?", [first_october]).fetchone() == (0,)
    # the FOCUS copy replaced nothing: a delivery competes only with loads of its own landing table
    assert con.execute("select count(*) from loads where replaced_by in (select load_id from loads where shape = 'focus')"
                       ).fetchone() == (0,)
    assert_incremental_equals_full(con)


def test_a_gcp_export_with_late_rows_for_past_days(con, tmp_path):
    folder = tmp_path / "export"
    write_gcp_export(folder / "000000000000.json", "2026-10", rows=1500, seed=5)
    finops.ingest_gcp(con, folder)
    write_gcp_export(folder / "000000000001.json", "2026-10", rows=1500, seed=6,
                     days=["2026-10-10", "2026-10-11"], export_time="2026-10-20 03:00:00")
    finops.ingest_gcp(con, folder)
    write_gcp_export(folder / "000000000002.json", "2026-10", rows=1500, seed=7,
                     days=["2026-10-11"], export_time="2026-10-25 03:00:00")
    finops.ingest_gcp(con, folder)
    assert con.execute("select count(*) from loads where replaced_by is not null").fetchone() == (3,)
    assert_incremental_equals_full(con)


def test_gpu_metrics_arriving_after_the_bill_and_again(con, tmp_path):
    from tests.test_metrics import week_bill, week_metrics

    finops.ingest_aws(con, write_cur_csv(tmp_path / "bill" / "cur.csv", week_bill()))
    metrics = week_metrics(tmp_path / "gpu.csv")
    finops.ingest_metrics(con, [metrics])
    metrics.write_text(metrics.read_text().replace(", 2 %,", ", 60 %,"), encoding="utf-8")
    finops.ingest_metrics(con, [metrics])  # the same log re-measured: the nights are busy now
    assert con.execute("select count(*) from idle_gpu where is_idle").fetchone() == (0,)
    assert_incremental_equals_full(con)


# finops check: drift

def test_check_reports_drift_between_the_recorded_build_and_a_fresh_one(run, db, tmp_path, monkeypatch):
    from finops.models.drift import record_checksums
    from tests.test_refresh import check_json, loaded

    loaded(run, tmp_path, monkeypatch, cur_rows({}, {"lineItem/UnblendedCost": "2.5"}))
    code, checks = check_json(run)
    assert code == 0 and checks["drift"]["detail"] == "1 period(s) recomputed from the loaded bills: the same totals"
    con = finops.connect(db)
    # an incremental build gone wrong: a row of October's bill counted 10.00 too high, and recorded so
    con.execute("update allocated_costs set BilledCost = BilledCost + 10 where x_LineItemId = 'line0'")
    record_checksums(con)
    con.close()
    code, checks = check_json(run)
    assert code == 1 and not checks["drift"]["ok"]
    assert checks["drift"]["detail"] == "drift: 2026-10 of 111122223333 (AWS, USD): incremental 13.51 vs full 3.51"


def test_drift_samples_the_periods_changed_last_and_some_others(con, tmp_path, bills):
    from finops.models.drift import find_drift, sample_periods

    finops.ingest_aws(con, deliver(bills, "months", tmp_path / "cur"))
    finops.ingest_aws(con, deliver(bills, "restated", tmp_path / "cur"))  # October changed last
    periods = sample_periods(con, recent=1, random=1)
    assert periods[0][1:] == ("111122223333", datetime(2026, 10, 1)) and len(periods) == 2
    assert find_drift(con, sample_periods(con)) == []
