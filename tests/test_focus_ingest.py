"""`finops ingest focus`: real FOCUS sample data with its quirks, into the same costs table."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

import duckdb

import finops
from tests.conftest import FOCUS_SAMPLE, REAL_CUR, write_aws_focus_charge


def sample_totals() -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with FOCUS_SAMPLE.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            totals[(row["ProviderName"], row["BillingPeriodStart"][:7])] += Decimal(row["BilledCost"])
    return dict(totals)


def test_sample_reconciles_per_provider_and_period(con):
    finops.ingest_focus(con, FOCUS_SAMPLE)
    got = dict(
        ((p, m), total)
        for p, m, total in con.execute(
            "select ProviderName, strftime(BillingPeriodStart, '%Y-%m'), sum(BilledCost) from costs group by all"
        ).fetchall()
    )
    expected = sample_totals()
    assert got.keys() == expected.keys()
    for key, total in expected.items():
        assert round(got[key], 2) == round(total, 2)  # to the cent
        # money is DECIMAL(38, 10): digits past the tenth decimal (this sample has eleven) round away
        assert abs(got[key] - total) < Decimal("1e-9")
    assert con.execute("select count(*) from costs").fetchone() == (1000,)


def test_quirks_are_repaired(con):
    finops.ingest_focus(con, FOCUS_SAMPLE)
    # 'Usage-based' in the file, 'Usage-Based' in FOCUS 1.2
    frequencies = {f for (f,) in con.execute("select distinct ChargeFrequency from costs").fetchall()}
    assert frequencies <= {"One-Time", "Recurring", "Usage-Based"}
    # the literal string NULL is a null, not a resource called NULL
    assert con.execute("select count(*) from costs where ResourceName = 'NULL' or AvailabilityZone = 'NULL'").fetchone() == (0,)
    # JSON tags become a map; the non-spec Id column is kept aside, not dropped
    tagged, with_id = con.execute(
        "select count(*) filter (where Tags['environment'] is not null), count(*) filter (where x_ExtraColumns['Id'] is not null) from costs"
    ).fetchone()
    assert tagged > 500 and with_id == 1000
    # zone-less timestamps are taken as UTC
    (start,) = con.execute(
        "select min(ChargePeriodStart) from costs where ProviderName = 'AWS'"
    ).fetchone()
    assert str(start).startswith("2024-09-")


def test_focus_and_cur_share_costs_without_double_counting(con, tmp_path):
    finops.ingest_aws(con, REAL_CUR)
    finops.ingest_focus(con, FOCUS_SAMPLE)
    providers = dict(con.execute("select ProviderName, count(*) from costs group by 1").fetchall())
    assert providers == {"AWS": 1281 + 942, "Microsoft": 51, "Oracle": 7}

    # the same AWS period exported as FOCUS as well as CUR: the CUR wins, the FOCUS copy is shadowed
    shadow = write_aws_focus_charge(tmp_path / "aws-focus.parquet", "123412340534", "2023-11-01", "99.0")
    finops.ingest_focus(con, shadow)
    (cur_total,) = con.execute("select sum(BilledCost) from costs where BillingAccountId = '123412340534'").fetchone()
    assert cur_total == Decimal("1.6823086974")


def test_not_a_focus_file(run, tmp_path):
    path = tmp_path / "x.parquet"
    duckdb.sql(f"copy (select 1 as a) to '{path}' (format parquet)")
    code, _, err = run("ingest", "focus", str(path))
    assert code == 1 and "x.parquet" in err and "missing required FOCUS column(s)" in err
