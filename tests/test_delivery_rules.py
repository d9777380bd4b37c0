"""Which delivery wins: by the deliveries' own evidence, never by load order; overlapping sources
counted once; a delivery's files are a set by content; a CUR period is a UTC calendar month."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from decimal import Decimal

import duckdb
import pytest

import finops
from finops.connectors.pipeline import describe_results
from finops.errors import FinopsError
from finops.warehouse.status import status
from tests.conftest import cur_rows, write_aws_focus_charge, write_cur_csv, write_legacy_delivery

SEPTEMBER = {"bill/BillingPeriodStartDate": "2026-09-01T00:00:00Z", "bill/BillingPeriodEndDate": "2026-10-01T00:00:00Z"}


def september(cost: str, days: int) -> list[dict[str, str]]:
    """One line item a day for the first ``days`` days of September 2026 (data through day ``days``)."""
    return cur_rows(*(
        {**SEPTEMBER, "lineItem/UsageStartDate": f"2026-09-{d:02d}T00:00:00Z", "lineItem/UsageEndDate": f"2026-09-{d:02d}T01:00:00Z",
         "lineItem/UnblendedCost": cost, "pricing/publicOnDemandCost": cost}
        for d in range(1, days + 1)
    ))


def snapshot(con) -> tuple:
    """Sum of BilledCost in costs, its rows, and the loads log (without load times)."""
    return (
        con.execute("select sum(BilledCost), count(*) from costs").fetchone(),
        con.execute("select load_id, source, delivery_id, replaced_by, forced from loads order by load_id").fetchall(),
    )


def age(path, seconds: float) -> None:
    """Make every file under ``path`` ``seconds`` older, as an archived copy written earlier is."""
    for f in [path] if path.is_file() else path.rglob("*"):
        st = f.stat()
        os.utime(f, (st.st_atime - seconds, st.st_mtime - seconds))


@pytest.fixture
def deliveries(tmp_path):
    """A (older: 3 days of September, 1.00 each) and B (newer: 10 days, 2.00 each) of one period."""
    a = write_cur_csv(tmp_path / "a" / "cur.csv", september("1.00", 3))
    b = write_cur_csv(tmp_path / "b" / "cur.csv", september("2.00", 10))
    age(a, 86400)
    return a, b


def test_an_older_delivery_loaded_after_a_newer_one_is_skipped(con, deliveries):
    a, b = deliveries
    finops.ingest_aws(con, b)
    before = snapshot(con)
    assert before[0] == (Decimal("20"), 10)

    results = finops.ingest_aws(con, a)
    assert snapshot(con) == before  # costs and loads exactly as they were
    (line,) = describe_results(results, "aws")
    assert line.startswith(f"skipped {a}: older than the loaded delivery of 2026-09 (AWS 111122223333; evidence data through "
                           "2026-09-03 01:00")
    assert "< data through 2026-09-10 01:00" in line and line.endswith("--force loads it anyway")


def test_two_sources_holding_the_current_and_an_archived_copy_settle(con, deliveries):
    a, b = deliveries
    runs = []
    for _ in range(3):  # refresh with both sources configured, three times
        finops.ingest(con, "aws", [str(a), str(b)])
        runs.append(snapshot(con))
    assert runs[0][0] == (Decimal("20"), 10)
    assert runs[0] == runs[1] == runs[2]  # loads does not grow, B stays
    assert [(r[1], r[3]) for r in runs[0][1]] == [(str(a), 2), (str(b), None)]


def test_force_loads_the_older_delivery_and_says_so_in_loads(db, run, deliveries):
    a, b = deliveries
    with finops.connect(db) as con:
        finops.ingest_aws(con, b)
    code, out, _ = run("ingest", "aws", str(a), "--force")
    assert code == 0 and "3 rows, 3.00 billed" in out
    with finops.connect(db, read_only=True) as con:
        (before_force, after_force) = con.execute("select delivery_id from loads order by load_id").fetchall()
        assert snapshot(con) == (
            (Decimal("3"), 3),
            [(1, str(b), before_force[0], 2, False), (2, str(a), after_force[0], None, True)],
        )


def test_equal_data_the_later_written_delivery_wins(con, tmp_path):
    """A restatement of a closed month reaches the same day: when it was written decides."""
    old = write_cur_csv(tmp_path / "old" / "cur.csv", september("1.00", 30))
    new = write_cur_csv(tmp_path / "new" / "cur.csv", september("1.50", 30))
    age(old, 3600)
    finops.ingest_aws(con, new)
    assert finops.ingest_aws(con, old)[0].older
    assert snapshot(con)[0] == (Decimal("45"), 30)


def test_a_cur_and_its_focus_copy_under_another_provider_name_count_once(con, tmp_path):
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur" / "cur.csv", september("2.00", 10)))
    before = snapshot(con)[0]
    for i, name in enumerate(("aws", "AWS", "Amazon Web Services")):
        copy = write_aws_focus_charge(tmp_path / f"focus{i}.parquet", "111122223333", "2026-09-01", "20.0")
        duckdb.sql(f"copy (select * replace ('{name}' as ProviderName) from '{copy}') to '{tmp_path / f'f{i}.parquet'}' (format parquet)")
        finops.ingest_focus(con, tmp_path / f"f{i}.parquet")
        assert snapshot(con)[0] == before == (Decimal("20"), 10)
    notes = {(p.shape, p.note, p.reconciled) for p in status(con)}
    assert notes == {("aws-cur-legacy", "", True), ("focus", "FOCUS copy ignored: the CUR of this period is loaded", False)}


def test_the_gcp_export_wins_over_its_focus_copy(con, tmp_path):
    from finops.demo.generate_gcp import BILLING_ACCOUNT, write_gcp_export

    finops.ingest_gcp(con, write_gcp_export(tmp_path / "gcp" / "export.json", "2026-10", rows=50, seed=2))
    (before,) = con.execute("select sum(BilledCost) from costs").fetchone()
    focus = tmp_path / "gcp-focus.csv"
    focus.write_text(
        "BillingAccountId,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,"
        "EffectiveCost,BillingCurrency,ProviderName,ServiceName\n"
        f"{BILLING_ACCOUNT},2026-10-01T07:00:00Z,2026-11-01T07:00:00Z,2026-10-05T00:00:00Z,2026-10-06T00:00:00Z,Usage,"
        "1000,1000,USD,Google,Compute Engine\n",
        encoding="utf-8",
    )
    finops.ingest_focus(con, focus)
    assert con.execute("select sum(BilledCost) from costs").fetchone() == (before,)
    (focus_status,) = [p for p in status(con) if p.shape == "focus"]
    assert focus_status.note == "FOCUS copy ignored: the GCP export of this period is loaded"


def test_the_same_bill_under_two_names_is_read_once(con, tmp_path):
    folder = tmp_path / "cur"
    write_cur_csv(folder / "bill.csv", september("2.00", 10))
    write_cur_csv(folder / "bill.csv.gz", september("2.00", 10))
    results = finops.ingest_aws(con, folder)
    assert snapshot(con)[0] == (Decimal("20"), 10)
    assert describe_results(results, "aws")[0] == f"read once: {(folder / 'bill.csv.gz').resolve()} has the same content as {(folder / 'bill.csv').resolve()}"


def test_a_gcp_export_beside_its_gzip_copy_is_read_once(con, tmp_path):
    from finops.demo.generate_gcp import write_gcp_export

    plain = write_gcp_export(tmp_path / "one" / "x.json", "2026-10", rows=50, seed=2)
    finops.ingest_gcp(con, plain)
    (alone,) = con.execute("select sum(BilledCost) from costs").fetchone()
    (tmp_path / "two").mkdir()
    shutil.copy(plain, tmp_path / "two" / "x.json")
    (tmp_path / "two" / "x.json.gz").write_bytes(gzip.compress(plain.read_bytes()))
    with finops.connect(tmp_path / "both.duckdb") as both:
        finops.ingest_gcp(both, tmp_path / "two")
        assert both.execute("select sum(BilledCost) from costs").fetchone() == (alone,)


def test_a_manifest_listing_a_key_twice_reads_it_once(con, tmp_path):
    manifest = write_legacy_delivery(tmp_path / "cur", september("2.00", 10), assembly="a1", period="20260901-20261001")
    data = json.loads(manifest.read_text())
    data["reportKeys"] *= 2
    manifest.write_text(json.dumps(data))
    finops.ingest_aws(con, tmp_path / "cur")
    assert snapshot(con)[0] == (Decimal("20"), 10)


def test_two_different_files_claiming_the_same_line_items_are_refused(con, tmp_path):
    folder = tmp_path / "cur"
    write_cur_csv(folder / "part-1.csv", september("2.00", 10))
    write_cur_csv(folder / "part-2.csv", september("3.00", 10))  # same line ids, other amounts
    with pytest.raises(FinopsError) as caught:
        finops.ingest_aws(con, folder)
    assert str(caught.value) == (f"{(folder / 'part-1.csv').resolve()} and {(folder / 'part-2.csv').resolve()}: both hold line "
                                 "item line0 of the same period; one of them is a stale or foreign copy (remove it)")
    assert con.execute("select count(*) from raw_aws_cur").fetchone() == (0,)
    assert con.execute("select count(*) from loads").fetchone() == (0,)


def test_an_offset_period_start_is_the_same_utc_month(con, tmp_path):
    utc = september("2.00", 5)
    offset = [{**r, "identity/LineItemId": f"later{i}", "bill/BillingPeriodStartDate": "2026-09-01T00:00:00+05:00",
               "bill/BillingPeriodEndDate": "2026-10-01T00:00:00+05:00"} for i, r in enumerate(september("2.00", 5))]
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur" / "cur.csv", utc + offset))
    periods = con.execute("select distinct BillingPeriodStart, BillingPeriodEnd from costs").fetchall()
    assert [(f"{s:%Y-%m-%d %H:%M}", f"{e:%Y-%m-%d %H:%M}") for s, e in periods] == [("2026-09-01 00:00", "2026-10-01 00:00")]
    assert snapshot(con)[0] == (Decimal("20"), 10)
    assert con.execute("select count(*) from loads").fetchone() == (1,)
