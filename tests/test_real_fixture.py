"""The real anonymised CUR from the FinOps Foundation: every cent and every row accounted for."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal

import finops
from tests.conftest import REAL_CUR


def source_totals() -> tuple[dict[str, Decimal], Counter]:
    """An independent oracle: the file's own sum of lineItem/UnblendedCost, read with csv."""
    totals: dict[str, Decimal] = {}
    rows: Counter = Counter()
    with REAL_CUR.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            period = row["bill/BillingPeriodStartDate"][:7]
            totals[period] = totals.get(period, Decimal(0)) + Decimal(row["lineItem/UnblendedCost"] or "0")
            rows[period] += 1
    return totals, rows


def test_billed_cost_reconciles_to_the_cent_and_rows_match(con):
    finops.ingest_aws(con, REAL_CUR)
    expected, expected_rows = source_totals()
    got = dict(
        con.execute(
            "select strftime(BillingPeriodStart, '%Y-%m'), sum(BilledCost) from costs group by 1"
        ).fetchall()
    )
    assert expected.keys() == got.keys() == {"2023-11"}
    for period, total in expected.items():
        assert round(got[period], 2) == round(total, 2)
        assert got[period] == total  # exact, not only to the cent: DECIMAL all the way
    rows = dict(
        con.execute(
            "select strftime(BillingPeriodStart, '%Y-%m'), count(*) from costs where x_RowKind = 'line_item' group by 1"
        ).fetchall()
    )
    assert rows == dict(expected_rows) == {"2023-11": 1281}


def test_loads_table_records_the_source_total(con):
    finops.ingest_aws(con, REAL_CUR)
    expected, _ = source_totals()
    (row,) = con.execute(
        "select shape, billing_account_id, row_count, source_total, currency, replaced_by from loads"
    ).fetchall()
    assert row == ("aws-cur-legacy", "123412340534", 1281, expected["2023-11"], "USD", None)
    (period,) = finops.status(con)
    assert period.reconciled


def test_focus_mapping_of_real_rows(con):
    finops.ingest_aws(con, REAL_CUR)
    categories = dict(con.execute("select ChargeCategory, count(*) from costs group by 1").fetchall())
    assert categories == {"Usage": 1269, "Tax": 12}
    s3 = con.execute(
        "select ServiceCategory, ProviderName, BillingCurrency, RegionId, count(*) from costs "
        "where x_ProductCode = 'AmazonS3' group by all order by RegionId nulls last"
    ).fetchall()
    assert s3 == [
        ("Storage", "AWS", "USD", "ca-central-1", 137),
        ("Storage", "AWS", "USD", "us-east-1", 69),
        ("Storage", "AWS", "USD", "us-west-2", 170),
        ("Storage", "AWS", "USD", None, 423),  # global requests and tax carry no region
    ]
    # usage with no discounts: amortised equals billed, line by line
    (diff,) = con.execute("select count(*) from costs where EffectiveCost <> BilledCost").fetchone()
    assert diff == 0
    # timestamps are UTC instants at the hour or day boundaries the file gives
    (first,) = con.execute("select min(ChargePeriodStart) from costs").fetchone()
    assert str(first) == "2023-11-01 00:00:00"


def test_loading_the_same_file_twice_changes_nothing(con):
    first = finops.ingest_aws(con, REAL_CUR)
    before = con.execute("select count(*), sum(BilledCost) from costs").fetchone()
    second = finops.ingest_aws(con, REAL_CUR)
    assert not first[0].skipped and second[0].skipped
    assert con.execute("select count(*), sum(BilledCost) from costs").fetchone() == before
    assert con.execute("select count(*) from loads").fetchone() == (1,)
