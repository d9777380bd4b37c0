"""Tests for the synthetic AWS bill generator (finops.generate).

They check what a loader relies on and what is easy to get subtly wrong: manifests that point at
real files, the exact header/column names of each shape, the Savings Plan and RI bookkeeping,
determinism, and money that scales exactly with ``cost_scale``.
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from finops.demo import generate
from finops.demo.generate import HOSTILE_TAG_VALUES, write_cur2, write_legacy_cur
from finops.warehouse.columns.cur import snake_case

ROWS = 2000
PERIOD_START = "2026-10-01 00:00:00"
PERIOD_END = "2026-11-01 00:00:00"


def report_files(manifest: Path) -> list[Path]:
    """Resolve a legacy manifest's reportKeys: strip the key up to the report's date folder."""
    m = json.loads(manifest.read_text())
    folder = f"{m['reportName']}/{manifest.parent.name}/"
    out = []
    for key in m["reportKeys"]:
        assert folder in key, key
        out.append(manifest.parent / key.split(folder, 1)[1])
    return out


def cur2_files(manifest: Path) -> list[Path]:
    """Resolve a CUR 2.0 manifest's dataFiles (s3://bucket/prefix/<export>/data/...) locally."""
    m = json.loads(manifest.read_text())
    export_root = manifest.parents[2]  # <root>/<export>
    marker = f"/{m['exportName']}/"
    return [export_root / uri.split(marker, 1)[1] for uri in m["dataFiles"]]


def csv_view(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    paths = ", ".join(f"'{p.as_posix()}'" for p in files)
    con.execute(f"CREATE OR REPLACE VIEW v AS SELECT * FROM read_csv([{paths}], all_varchar = true, header = true)")


def parquet_view(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    paths = ", ".join(f"'{p.as_posix()}'" for p in files)
    con.execute(f"CREATE OR REPLACE VIEW v AS SELECT * FROM read_parquet([{paths}], hive_partitioning = false)")


def q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def legacy_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_legacy_cur(tmp_path_factory.mktemp("csv"), rows=ROWS, hostile_tags=True)


@pytest.fixture(scope="module")
def legacy_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_legacy_cur(tmp_path_factory.mktemp("pq"), rows=ROWS, fmt="parquet")


@pytest.fixture(scope="module")
def cur2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cur2(tmp_path_factory.mktemp("cur2"), rows=ROWS)


@pytest.fixture(scope="module")
def hourly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report big enough to be hourly (the demo-sized ones are daily)."""
    return write_legacy_cur(tmp_path_factory.mktemp("hourly"), rows=30_000, fmt="parquet")


# ---- layout and manifests ---------------------------------------------------------------------


def test_legacy_layout_and_manifest(legacy_csv: Path) -> None:
    m = json.loads(legacy_csv.read_text())
    assert legacy_csv.name == "ml-team-cur-Manifest.json"
    assert legacy_csv.parent.name == "20261001-20261101"
    assert legacy_csv.parent.parent.name == "ml-team-cur"
    assert m["billingPeriod"] == {"start": "20261001T000000.000Z", "end": "20261101T000000.000Z"}
    assert (m["compression"], m["contentType"]) == ("GZIP", "text/csv")
    assert m["reportName"] == "ml-team-cur" and m["account"] == "111122223333"
    assert m["additionalArtifactKeys"] == []
    for key in m["reportKeys"]:
        assert key.startswith(f"cur/ml-team-cur/20261001-20261101/{m['assemblyId']}/ml-team-cur-")
        assert key.endswith(".csv.gz")
    files = report_files(legacy_csv)
    assert files and all(f.is_file() for f in files)
    assert {f.parent.name for f in files} == {m["assemblyId"]}
    # The manifest's columns are exactly the CSV header, in order.
    with gzip.open(files[0], "rt") as fh:
        header = fh.readline().rstrip("\n").split(",")
    assert [f"{c['category']}/{c['name']}" for c in m["columns"]] == header
    assert all(set(c) == {"category", "name", "type"} for c in m["columns"])


def test_csv_header_uses_slash_names_and_tag_columns(legacy_csv: Path) -> None:
    with gzip.open(report_files(legacy_csv)[0], "rt") as fh:
        header = fh.readline().rstrip("\n").split(",")
    for col in ("identity/LineItemId", "bill/PayerAccountId", "lineItem/UnblendedCost",
                "pricing/publicOnDemandCost", "savingsPlan/SavingsPlanARN",
                "reservation/ReservationARN", "product/ProductName", "product/regionCode",
                "product/instanceType", "resourceTags/user:team", "resourceTags/user:project",
                "resourceTags/user:job", "resourceTags/aws:createdBy", "costCategory/CostCenter"):
        assert col in header
    assert all("/" in h for h in header)
    # CUR 2.0-only columns never appear in the legacy shapes.
    assert not any("PayerAccountName" in h or "UsageAccountName" in h for h in header)


def test_csv_text_format(legacy_csv: Path) -> None:
    con = duckdb.connect()
    csv_view(con, report_files(legacy_csv))
    starts = {r[0] for r in q(con, 'SELECT DISTINCT "lineItem/UsageStartDate" FROM v')}
    assert all(len(s) == 20 and s.endswith("Z") and s[10] == "T" for s in starts)
    costs = [r[0] for r in q(con, 'SELECT "lineItem/UnblendedCost" FROM v')]
    assert all("e" not in c.lower() for c in costs)  # never scientific notation
    assert all(len(c.split(".")[1]) <= 10 for c in costs if "." in c)
    assert q(con, 'SELECT count(*) FROM v WHERE "lineItem/UnblendedCost" IS NULL') == [(0,)]


def test_legacy_parquet_uses_athena_names(legacy_parquet: Path, legacy_csv: Path) -> None:
    m = json.loads(legacy_parquet.read_text())
    assert (m["compression"], m["contentType"]) == ("Parquet", "Parquet")
    files = report_files(legacy_parquet)
    assert all(f.name.endswith(".snappy.parquet") and f.is_file() for f in files)
    con = duckdb.connect()
    parquet_view(con, files)
    names = [r[0] for r in q(con, "DESCRIBE v")]
    with gzip.open(report_files(legacy_csv)[0], "rt") as fh:
        header = fh.readline().rstrip("\n").split(",")
    # Derived from the CSV headers with cur_schema.snake_case (":" becomes "_", as in Athena).
    assert names == [snake_case(h).replace(":", "_") for h in header]
    for col in ("line_item_unblended_cost", "resource_tags_user_team", "resource_tags_aws_created_by",
                "savings_plan_savings_plan_a_r_n", "reservation_reservation_a_r_n",
                "cost_category_cost_center", "product_region_code"):
        assert col in names
    types = dict(q(con, "SELECT column_name, column_type FROM (DESCRIBE v)"))
    assert types["line_item_unblended_cost"] == "DOUBLE"
    assert types["line_item_usage_start_date"] == "TIMESTAMP"


def test_cur2_layout_schema_and_maps(cur2: Path) -> None:
    assert cur2.as_posix().endswith("ml-team-cur2/metadata/BILLING_PERIOD=2026-10/ml-team-cur2-Manifest.json")
    m = json.loads(cur2.read_text())
    for field in ("executionId", "exportArn", "exportName", "billingPeriod", "dataFiles", "columns"):
        assert field in m
    assert m["exportArn"].startswith("arn:aws:bcm-data-exports:us-east-1:111122223333:export/ml-team-cur2")
    files = cur2_files(cur2)
    assert [f.name for f in files] == ["ml-team-cur2-00001.snappy.parquet"]
    assert all(f.is_file() and f.parent.name == "BILLING_PERIOD=2026-10" for f in files)
    assert all(u.startswith("s3://") for u in m["dataFiles"])
    con = duckdb.connect()
    parquet_view(con, files)
    types = dict(q(con, "SELECT column_name, column_type FROM (DESCRIBE v)"))
    assert [c["name"] for c in m["columns"]] == list(types)
    assert "bill_payer_account_name" in types and "line_item_usage_account_name" in types
    for col in ("product", "resource_tags", "cost_category", "discount"):
        assert types[col] == "MAP(VARCHAR, VARCHAR)"
    assert types["line_item_unblended_cost"] == "DOUBLE"
    assert types["line_item_usage_start_date"] == "TIMESTAMP"
    assert types["bill_billing_period_start_date"] == "TIMESTAMP"
    # Sparse attributes live in the maps, not as columns.
    assert "product_product_name" not in types and "resource_tags_user_team" not in types
    keys = {r[0] for r in q(con, "SELECT DISTINCT unnest(map_keys(resource_tags)) FROM v")}
    assert keys == {"user_team", "user_project", "user_job", "aws_created_by"}
    pkeys = {r[0] for r in q(con, "SELECT DISTINCT unnest(map_keys(product)) FROM v")}
    assert {"product_name", "region", "servicename", "vcpu", "gpu", "memory"} <= pkeys
    assert q(con, "SELECT count(*) FROM v WHERE bill_payer_account_name IS NULL "
                  "OR line_item_usage_account_name IS NULL") == [(0,)]
    assert q(con, "SELECT count(DISTINCT line_item_usage_account_id) FROM v")[0][0] >= 3


# ---- content --------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["legacy_parquet", "hourly"])
def test_savings_plan_fee_never_exceeds_commitment(fixture: str, request: pytest.FixtureRequest) -> None:
    con = duckdb.connect()
    parquet_view(con, report_files(request.getfixturevalue(fixture)))
    rows = q(con, """
        SELECT line_item_usage_start_date, savings_plan_used_commitment, savings_plan_total_commitment_to_date,
               line_item_unblended_cost, savings_plan_offering_type, savings_plan_savings_plan_a_r_n
        FROM v WHERE line_item_line_item_type = 'SavingsPlanRecurringFee'""")
    slots = q(con, "SELECT count(DISTINCT line_item_usage_start_date) FROM v "
                   "WHERE line_item_line_item_type = 'SavingsPlanCoveredUsage'")[0][0]
    assert len(rows) == len({r[0] for r in rows}) >= slots  # one fee row per hour (or day)
    for _, used, total, cost, offering, arn in rows:
        assert 0 <= used <= total + 1e-9
        assert cost == pytest.approx(total)
        assert offering == "ComputeSavingsPlans" and arn.startswith("arn:aws:savingsplans::")
    assert any(used < total - 1e-6 for _, used, total, *_ in rows)  # under-used somewhere
    # Used commitment is the covered effective cost of that hour.
    diff = q(con, """
        SELECT max(abs(f.savings_plan_used_commitment - coalesce(c.eff, 0))) FROM v f
        LEFT JOIN (SELECT line_item_usage_start_date AS t, sum(savings_plan_savings_plan_effective_cost) AS eff
                   FROM v WHERE line_item_line_item_type = 'SavingsPlanCoveredUsage' GROUP BY 1) c
          ON c.t = f.line_item_usage_start_date
        WHERE f.line_item_line_item_type = 'SavingsPlanRecurringFee'""")[0][0]
    assert diff < 1e-6


def test_hourly_savings_plan_spills_over_to_on_demand(hourly: Path) -> None:
    con = duckdb.connect()
    parquet_view(con, report_files(hourly))
    hours = q(con, "SELECT count(DISTINCT line_item_usage_start_date) FROM v "
                   "WHERE line_item_line_item_type = 'SavingsPlanRecurringFee'")[0][0]
    assert hours == 744
    assert q(con, "SELECT max(line_item_usage_end_date - line_item_usage_start_date) FROM v "
                  "WHERE line_item_line_item_type = 'SavingsPlanRecurringFee'")[0][0].total_seconds() == 3600
    # In fully used hours, eligible usage beyond the commitment is billed as on-demand Usage.
    assert q(con, "SELECT count(*) FROM v WHERE line_item_line_item_type = 'Usage' "
                  "AND line_item_usage_type = 'BoxUsage:g5.12xlarge'")[0][0] > 0


def test_negation_nets_each_covered_row_to_zero(legacy_csv: Path) -> None:
    con = duckdb.connect()
    csv_view(con, report_files(legacy_csv))
    rows = q(con, """
        WITH c AS (SELECT "lineItem/ResourceId" AS rid, "lineItem/UsageStartDate" AS t,
                          "lineItem/UnblendedCost"::DECIMAL(38,10) AS cost,
                          "savingsPlan/SavingsPlanEffectiveCost"::DECIMAL(38,10) AS eff,
                          "pricing/publicOnDemandCost"::DECIMAL(38,10) AS pub
                   FROM v WHERE "lineItem/LineItemType" = 'SavingsPlanCoveredUsage'),
             n AS (SELECT "lineItem/ResourceId" AS rid, "lineItem/UsageStartDate" AS t,
                          "lineItem/UnblendedCost"::DECIMAL(38,10) AS cost
                   FROM v WHERE "lineItem/LineItemType" = 'SavingsPlanNegation')
        SELECT c.cost, n.cost, c.eff, c.pub FROM c FULL JOIN n USING (rid, t)""")
    assert rows
    for covered, negation, eff, public in rows:
        assert covered is not None and negation is not None
        assert covered + negation == 0
        assert covered == public  # unblended = on-demand cost
        assert 0 < eff < covered  # the plan's rate is below on demand


def test_reserved_instance_rows(legacy_parquet: Path) -> None:
    con = duckdb.connect()
    parquet_view(con, report_files(legacy_parquet))
    du = q(con, """SELECT count(*), max(abs(line_item_unblended_cost)), min(reservation_effective_cost),
                          count(DISTINCT reservation_reservation_a_r_n)
                   FROM v WHERE line_item_line_item_type = 'DiscountedUsage'""")[0]
    assert du[0] > 0 and du[1] == 0 and du[2] > 0 and du[3] == 1
    fee = q(con, """SELECT line_item_unblended_cost, reservation_unused_amortized_upfront_fee_for_billing_period,
                           reservation_unused_recurring_fee, reservation_amortized_upfront_fee_for_billing_period
                    FROM v WHERE line_item_line_item_type = 'RIFee'""")
    assert len(fee) == 1
    cost, unused_upfront, unused_recurring, amortized = fee[0]
    assert 0 < unused_upfront < 0.2 * amortized and 0 < unused_recurring < 0.2 * cost
    upfront = q(con, """SELECT bill_bill_type, line_item_unblended_cost, reservation_reservation_a_r_n
                        FROM v WHERE line_item_line_item_type = 'Fee'""")
    assert len(upfront) == 1 and upfront[0][0] == "Purchase" and upfront[0][1] > 0
    assert upfront[0][2].startswith("arn:aws:ec2:us-east-1:")


def test_taxes_credit_and_pricing_terms(legacy_parquet: Path) -> None:
    con = duckdb.connect()
    parquet_view(con, report_files(legacy_parquet))
    taxes = q(con, """SELECT DISTINCT line_item_tax_type, line_item_usage_start_date, line_item_usage_end_date
                      FROM v WHERE line_item_line_item_type = 'Tax'""")
    assert {t[0] for t in taxes} == {"VAT", "Sales Tax"}
    assert {(str(t[1]), str(t[2])) for t in taxes} == {(PERIOD_START, PERIOD_END)}
    assert q(con, "SELECT count(*), max(line_item_unblended_cost) FROM v "
                  "WHERE line_item_line_item_type = 'Credit'")[0][0] == 1
    assert q(con, "SELECT max(line_item_unblended_cost) FROM v "
                  "WHERE line_item_line_item_type = 'Credit'")[0][0] < 0
    terms = {r[0] for r in q(con, "SELECT DISTINCT pricing_term FROM v")}
    assert {"OnDemand", "Spot", "Reserved", "Savings Plan"} <= terms
    spot = q(con, """SELECT min(pricing_public_on_demand_cost - line_item_unblended_cost) FROM v
                     WHERE line_item_usage_type LIKE '%SpotUsage%' AND line_item_operation = 'RunInstances:SV001'""")
    assert spot[0][0] > 0


def test_ml_workloads_are_recognisable(legacy_parquet: Path) -> None:
    con = duckdb.connect()
    parquet_view(con, report_files(legacy_parquet))
    usage_types = {r[0] for r in q(con, "SELECT DISTINCT line_item_usage_type FROM v")}
    for ut in ("USE1-Train:ml.g5.12xlarge", "USE1-Host:ml.g5.xlarge", "USE1-Notebk:ml.g4dn.xlarge",
               "USE1-Train:VolumeUsage.gp2", "BoxUsage:p4d.24xlarge", "USW2-BoxUsage:g5.xlarge",
               "SpotUsage:g5.12xlarge", "TimedStorage-ByteHrs", "DataTransfer-Out-Bytes",
               "USE1-USW2-AWS-Out-Bytes", "EBS:VolumeUsage.gp3", "EBS:SnapshotUsage"):
        assert ut in usage_types
    assert any(u and u.startswith("USE1-TrSpt:") for u in usage_types)
    jobs = [r[0] for r in q(con, "SELECT DISTINCT line_item_resource_id FROM v "
                                 "WHERE line_item_resource_id LIKE '%:training-job/%'")]
    assert jobs and all(j == j.lower() for j in jobs)
    assert any("-hpo-" in j and j.rsplit("-", 2)[1].isdigit() for j in jobs)
    endpoint_hours = q(con, """SELECT min(h) FROM (SELECT sum(line_item_usage_amount) AS h FROM v
                              WHERE line_item_resource_id LIKE '%:endpoint/%' GROUP BY line_item_resource_id)""")
    assert endpoint_hours[0][0] >= 744  # billed every hour of the month


def test_tags_are_messy_partly_missing_and_sometimes_hostile(legacy_csv: Path) -> None:
    con = duckdb.connect()
    csv_view(con, report_files(legacy_csv))
    teams = {r[0] for r in q(con, 'SELECT DISTINCT "resourceTags/user:team" FROM v')}
    assert {"ml-research", "ML-Research", " ml-platform ", "data-eng", None} <= teams
    values = {r[0] for r in q(con, """SELECT DISTINCT unnest(["resourceTags/user:team", "resourceTags/user:project",
                                                              "resourceTags/user:job"]) FROM v""")}
    for hostile in HOSTILE_TAG_VALUES:  # survive the CSV round trip byte for byte
        assert hostile in values
    untagged = q(con, """SELECT sum(CASE WHEN "resourceTags/user:team" IS NULL THEN c END) / sum(c) FROM
                         (SELECT "resourceTags/user:team", "lineItem/UnblendedCost"::DECIMAL(38,10) AS c FROM v
                          WHERE "lineItem/LineItemType" = 'Usage')""")[0][0]
    assert 0.05 < untagged < 0.35


def test_usage_dates_inside_billing_period(legacy_parquet: Path, hourly: Path, cur2: Path) -> None:
    for files in (report_files(legacy_parquet), report_files(hourly), cur2_files(cur2)):
        con = duckdb.connect()
        parquet_view(con, files)
        lo, hi, end, bad = q(con, f"""
            SELECT min(line_item_usage_start_date), max(line_item_usage_start_date), max(line_item_usage_end_date),
                   count(*) FILTER (WHERE line_item_usage_end_date <= line_item_usage_start_date
                                    OR bill_billing_period_start_date <> TIMESTAMP '{PERIOD_START}'
                                    OR bill_billing_period_end_date <> TIMESTAMP '{PERIOD_END}')
            FROM v""")[0]
        assert str(lo) == PERIOD_START and str(hi) < PERIOD_END and str(end) <= PERIOD_END and bad == 0


@pytest.mark.parametrize("rows", [ROWS, 30_000])
def test_row_count_near_target(rows: int, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    manifest = (request.getfixturevalue("legacy_parquet") if rows == ROWS
                else request.getfixturevalue("hourly"))
    con = duckdb.connect()
    parquet_view(con, report_files(manifest))
    n = q(con, "SELECT count(*) FROM v")[0][0]
    assert abs(n - rows) <= 0.1 * rows
    ids = q(con, "SELECT count(DISTINCT identity_line_item_id) FROM v")[0][0]
    assert ids == n


def test_row_count_for_other_targets(tmp_path: Path) -> None:
    for rows in (800, 12_000):
        con = duckdb.connect()
        parquet_view(con, report_files(write_legacy_cur(tmp_path / str(rows), rows=rows, fmt="parquet")))
        assert abs(q(con, "SELECT count(*) FROM v")[0][0] - rows) <= 0.1 * rows


# ---- determinism, restatements ----------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    for kind in ("csv", "parquet", "cur2"):
        a, b = tmp_path / f"{kind}-a", tmp_path / f"{kind}-b"
        if kind == "cur2":
            ma, mb = write_cur2(a, rows=ROWS, seed=7), write_cur2(b, rows=ROWS, seed=7)
            fa, fb = cur2_files(ma), cur2_files(mb)
        else:
            ma = write_legacy_cur(a, rows=ROWS, seed=7, fmt=kind)
            mb = write_legacy_cur(b, rows=ROWS, seed=7, fmt=kind)
            fa, fb = report_files(ma), report_files(mb)
        assert ma.read_bytes() == mb.read_bytes()
        assert [f.read_bytes() for f in fa] == [f.read_bytes() for f in fb]
    other = report_files(write_legacy_cur(tmp_path / "other", rows=ROWS, seed=8, fmt="parquet"))
    assert other[0].read_bytes() != report_files(write_legacy_cur(tmp_path / "again", rows=ROWS, seed=7,
                                                                 fmt="parquet"))[0].read_bytes()


def test_cost_scale_doubles_money_new_assembly(tmp_path: Path) -> None:
    first = write_legacy_cur(tmp_path, rows=ROWS)
    second = write_legacy_cur(tmp_path, rows=ROWS, cost_scale=2.0)
    assert first == second  # same manifest path, now pointing at the new delivery
    assemblies = [p for p in first.parent.iterdir() if p.is_dir()]
    assert len(assemblies) == 2  # the first delivery's files stay behind, like on S3
    m2 = json.loads(second.read_text())
    old = next(p for p in assemblies if p.name != m2["assemblyId"])

    def totals(files: list[Path]) -> tuple[Decimal, int, set[str]]:
        con = duckdb.connect()
        csv_view(con, files)
        total, n = q(con, 'SELECT sum("lineItem/UnblendedCost"::DECIMAL(38,10)), count(*) FROM v')[0]
        ids = {r[0] for r in q(con, 'SELECT "identity/LineItemId" FROM v')}
        return total, n, ids

    t1, n1, ids1 = totals(sorted(old.glob("*.csv.gz")))
    t2, n2, ids2 = totals(report_files(second))
    assert n1 == n2 and ids1 == ids2  # same line items, restated
    taxes = 20  # tax and credit rows round to cents independently
    assert abs(t2 - 2 * t1) <= Decimal("0.01") * taxes
    assert t1 > 0


def test_cur2_redelivery_overwrites_period(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "MAX_ROWS_PER_FILE", 700)
    first = write_cur2(tmp_path, rows=ROWS)
    assert len(cur2_files(first)) >= 3
    monkeypatch.setattr(generate, "MAX_ROWS_PER_FILE", 100_000)
    exec1 = json.loads(first.read_text())["executionId"]
    second = write_cur2(tmp_path, rows=ROWS, cost_scale=1.5, final=True)
    assert second == first
    m = json.loads(second.read_text())
    assert m["executionId"] != exec1
    files = cur2_files(second)
    on_disk = sorted(p.name for p in files[0].parent.iterdir())
    assert on_disk == [f.name for f in files]  # stale chunks of the first delivery are gone
    con = duckdb.connect()
    parquet_view(con, files)
    assert q(con, "SELECT count(*) FROM v WHERE bill_invoice_id IS NULL") == [(0,)]


def test_final_fills_invoice_id(tmp_path: Path, legacy_csv: Path) -> None:
    con = duckdb.connect()
    csv_view(con, report_files(legacy_csv))
    assert q(con, 'SELECT count(*) FROM v WHERE "bill/InvoiceId" IS NOT NULL') == [(0,)]
    csv_view(con, report_files(write_legacy_cur(tmp_path, rows=ROWS, final=True)))
    invoices = q(con, 'SELECT count(*) FILTER (WHERE "bill/InvoiceId" IS NULL), '
                      'count(DISTINCT "bill/InvoiceId") FROM v')[0]
    assert invoices[0] == 0 and invoices[1] == 2  # US and EMEA invoicing entities


def test_large_deliveries_split_into_numbered_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "MAX_ROWS_PER_FILE", 600)
    manifest = write_legacy_cur(tmp_path, rows=ROWS, assembly_id="00000000-0000-4000-8000-000000000001")
    files = report_files(manifest)
    assert [f.name for f in files] == [f"ml-team-cur-{k}.csv.gz" for k in range(1, len(files) + 1)]
    assert len(files) >= 4 and files[0].parent.name == "00000000-0000-4000-8000-000000000001"
    con = duckdb.connect()
    csv_view(con, files)
    n, ids = q(con, 'SELECT count(*), count(DISTINCT "identity/LineItemId") FROM v')[0]
    assert n == ids and abs(n - ROWS) <= 0.1 * ROWS
    per_file = []
    for f in files:
        with gzip.open(f, "rt") as fh:
            per_file.append(sum(1 for _ in fh) - 1)
    assert max(per_file) <= 600


def test_bad_arguments_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_legacy_cur(tmp_path, fmt="json")
    with pytest.raises(ValueError):
        write_legacy_cur(tmp_path, period="2026-13")
    with pytest.raises(ValueError):
        write_cur2(tmp_path, rows=0)
