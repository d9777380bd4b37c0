"""Deliveries replace whole billing periods: never lost, never double counted."""

from __future__ import annotations

import shutil
from decimal import Decimal

import finops
from tests.conftest import cur_rows, write_cur_csv, write_legacy_delivery


def month(cost: str, n: int = 3) -> list[dict[str, str]]:
    return cur_rows(*({"lineItem/UnblendedCost": cost, "pricing/publicOnDemandCost": cost} for _ in range(n)))


def totals(con) -> tuple:
    return con.execute("select count(*), sum(BilledCost) from costs").fetchone()


def test_second_delivery_replaces_the_first(con, tmp_path):
    root = tmp_path / "cur"
    write_legacy_delivery(root, month("1.00"), assembly="a1111111-1111-1111-1111-111111111111")
    first = finops.ingest_aws(con, root)
    assert totals(con) == (3, Decimal("3"))

    shutil.rmtree(root)  # AWS replaces the period manifest; the new assembly has different numbers
    write_legacy_delivery(root, month("2.50", n=4), assembly="b2222222-2222-2222-2222-222222222222")
    second = finops.ingest_aws(con, root)
    assert totals(con) == (4, Decimal("10"))
    assert [r.skipped for r in first + second] == [False, False]
    loads = con.execute("select load_id, delivery_id, replaced_by from loads order by load_id").fetchall()
    assert loads == [
        (1, "assembly:a1111111-1111-1111-1111-111111111111", 2),
        (2, "assembly:b2222222-2222-2222-2222-222222222222", None),
    ]

    third = finops.ingest_aws(con, root)  # the same delivery again
    assert third[0].skipped
    assert totals(con) == (4, Decimal("10"))
    assert con.execute("select count(*) from loads").fetchone() == (2,)


def test_stale_assemblies_beside_the_current_one_are_ignored(con, tmp_path):
    root = tmp_path / "cur"
    write_legacy_delivery(root, month("1.00"), assembly="a1111111-1111-1111-1111-111111111111")
    # AWS leaves the old assembly folder in place and points the period manifest at the new one
    write_legacy_delivery(root, month("2.50", n=4), assembly="b2222222-2222-2222-2222-222222222222")
    results = finops.ingest_aws(con, root)
    assert len(results) == 1
    assert totals(con) == (4, Decimal("10"))


def test_other_months_and_accounts_are_untouched(con, tmp_path):
    october = write_cur_csv(tmp_path / "oct" / "cur.csv", month("1.00"))
    september = [
        {**r, "bill/BillingPeriodStartDate": "2026-09-01T00:00:00Z", "bill/BillingPeriodEndDate": "2026-10-01T00:00:00Z",
         "lineItem/UsageStartDate": "2026-09-03T00:00:00Z", "lineItem/UsageEndDate": "2026-09-03T01:00:00Z"}
        for r in month("7.00", n=2)
    ]
    other_payer = [{**r, "bill/PayerAccountId": "999988887777"} for r in month("100.00", n=1)]
    finops.ingest_aws(con, write_cur_csv(tmp_path / "sep" / "cur.csv", september))
    finops.ingest_aws(con, write_cur_csv(tmp_path / "other" / "cur.csv", other_payer))
    finops.ingest_aws(con, october)
    assert totals(con) == (6, Decimal("117"))
    write_cur_csv(october, month("3.00"))  # a restated October, as a loose file
    finops.ingest_aws(con, october)
    by_period = con.execute(
        "select BillingAccountId, strftime(BillingPeriodStart, '%Y-%m'), sum(BilledCost) from costs group by all order by all"
    ).fetchall()
    assert by_period == [
        ("111122223333", "2026-09", Decimal("14")),
        ("111122223333", "2026-10", Decimal("9")),
        ("999988887777", "2026-10", Decimal("100")),
    ]


def test_tag_columns_may_change_between_deliveries(con, tmp_path):
    first = cur_rows({"resourceTags/user:team": "ml-research"})
    later = cur_rows({"resourceTags/user:team": "ml-platform", "resourceTags/user:project": "llm", "resourceTags/aws:createdBy": "AssumedRole:AROA:alice"})
    write_cur_csv(tmp_path / "a" / "cur.csv", first)
    finops.ingest_aws(con, tmp_path / "a")
    write_cur_csv(tmp_path / "a" / "cur.csv", later)
    finops.ingest_aws(con, tmp_path / "a")
    (tags,) = con.execute("select Tags from costs").fetchone()
    assert tags == {"team": "ml-platform", "project": "llm", "aws:createdBy": "AssumedRole:AROA:alice"}


def test_a_period_replaced_again_and_again_leaves_at_most_a_partly_empty_row_group_at_each_edge(tmp_path):
    # finops's connections commit without DuckDB's vacuum (it rewrote the row groups around every
    # replaced period); the row groups a period filled alone must still go, or the file would grow
    con = finops.connect(tmp_path / "w.duckdb")
    assert con.execute("select current_setting('max_vacuum_tasks')").fetchone()[0] == 0
    con.execute("create table landed as select i, i // 200000 as period, repeat('x', 40) || i as text from range(800000) t(i)")

    def row_groups() -> int:
        return con.execute("select count(distinct row_group_id) from pragma_storage_info('landed')").fetchone()[0]

    before = row_groups()
    for _ in range(5):
        with finops.transaction(con):
            con.execute("create temp table again as select * from landed where period = 1")
            con.execute("delete from landed where period = 1")
            con.execute("insert into landed select * from again")
            con.execute("drop table again")
        con.execute("checkpoint")  # as a big load's commit does: what is stored, not what the WAL holds
    assert con.execute("select count(*), count(distinct i), sum(i) from landed").fetchone() == (800000, 800000, 319999600000)
    assert before == 7 and row_groups() <= before + 2
    con.close()
