"""GCP Cloud Billing export: files and BigQuery, FOCUS mapping, credits, late data, bad input."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import finops
from finops.connectors import gcp
from finops.demo.generate_gcp import BILLING_ACCOUNT, write_gcp_export
from tests.conftest import snapshot

CENT = Decimal("0.01")


def json_truth(files: list[Path]) -> dict[str, tuple[Decimal, Decimal]]:
    """Per invoice month: sum(cost) and sum(cost) + sum(credits.amount), exactly, from the JSON text."""
    names = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    rows = duckdb.connect().execute(
        f"""
        select invoice.month,
               sum(cast(cost as decimal(38, 10))),
               sum(cast(cost as decimal(38, 10)))
                 + coalesce(sum((select sum(cast(c.amount as decimal(38, 10))) from (select unnest(credits) as c))), 0)
        from read_json({names}, format = 'newline_delimited',
                       columns = {{'cost': 'VARCHAR', 'invoice': 'STRUCT(month VARCHAR)',
                                  'credits': 'STRUCT(amount VARCHAR, type VARCHAR)[]'}})
        group by 1
        """
    ).fetchall()
    return {month: (cost, net) for month, cost, net in rows}


def arrow_net(rows) -> Decimal:
    """cost + sum(credits.amount) of an Arrow table of export rows, exactly, from the numbers' text."""
    return duckdb.connect().execute(
        """
        select sum(cast(cast(cost as varchar) as decimal(38, 10)))
                 + coalesce(sum((select sum(cast(cast(c.amount as varchar) as decimal(38, 10)))
                                 from (select unnest(credits) as c))), 0)
        from rows
        """
    ).fetchone()[0]


def focus_totals(con) -> dict[str, tuple[Decimal, Decimal]]:
    rows = con.execute(
        """
        select strftime(timezone('America/Los_Angeles', cast(BillingPeriodStart as timestamptz)), '%Y%m'),
               sum(BilledCost), sum(EffectiveCost)
        from costs where ProviderName = 'Google Cloud' group by 1
        """
    ).fetchall()
    return {month: (billed, effective) for month, billed, effective in rows}


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "parquet"])
def test_effective_cost_per_invoice_month_is_cost_plus_credits(con, exports, fmt):
    [result] = finops.ingest_gcp(con, exports[fmt])
    assert not result.skipped and result.rows > 4000
    truth = json_truth(sorted(exports["jsonl"].glob("*.json")))
    got = focus_totals(con)
    assert sorted(got) == ["202609", "202610"]
    for month, (_cost, net) in truth.items():
        billed, effective = got[month]
        assert billed == net  # the invoice: cost plus every credit, exactly (decimals from the numbers' text)
        assert effective.quantize(CENT) == net.quantize(CENT)
        assert effective == net  # exactly, even with commitment fees spread over the usage they covered
    assert truth["202610"][0] - truth["202610"][1] > 100  # the credits are real money
    assert finops.run_tests(con) == []
    assert all(p.reconciled for p in finops.status(con))


def test_the_mapping_to_focus(con, exports):
    finops.ingest_gcp(con, exports["jsonl"])
    october = datetime(2026, 10, 1, 7)  # 2026-10-01 00:00 in America/Los_Angeles (PDT)
    assert con.execute(
        "select distinct BillingPeriodStart, BillingPeriodEnd from costs where strftime(BillingPeriodStart, '%m') = '10'"
    ).fetchall() == [(october, datetime(2026, 11, 1, 7))]
    rows = dict(
        ((sku, cat), (pc, n, eff))
        for sku, cat, pc, n, eff in con.execute(
            """
            select coalesce(SkuMeter, ChargeDescription), ChargeCategory, PricingCategory, count(*), sum(EffectiveCost)
            from costs group by all
            """
        ).fetchall()
    )
    # spot GPUs are Dynamic; CUD-covered A100 usage is Committed
    assert rows[("Spot Preemptible Nvidia H100 80GB GPU running in Americas", "Usage")][0] == "Dynamic"
    assert rows[("Nvidia L4 GPU running in Americas", "Usage")][0] == "Standard"
    fee_sku = "Commitment v1: Nvidia Tesla A100 GPU in Americas for 1 Year"
    covered, fee, unused = rows[("Nvidia Tesla A100 GPU running in Americas", "Usage")], rows[(fee_sku, "Purchase")], rows[(fee_sku, "Usage")]
    assert covered[0] == "Committed" and fee[0] == "Standard" and fee[2] == 0  # FOCUS: a commitment purchase has EffectiveCost 0
    # the fee moves onto the usage it covered in the same hour; hours with none get an Unused row
    fee_cost, covered_hours, fee_hours = con.execute(
        f"""
        select sum(BilledCost) filter (where ChargeCategory = 'Purchase'), count(distinct ChargePeriodStart) filter (where SkuMeter <> '{fee_sku}'),
               count(distinct ChargePeriodStart) filter (where SkuMeter = '{fee_sku}')
        from costs where SkuMeter in ('{fee_sku}', 'Nvidia Tesla A100 GPU running in Americas') and ChargeCategory <> 'Credit'
        """
    ).fetchone()
    assert covered[2] + unused[2] == fee_cost and covered[2] > 0 and unused[2] > 0
    assert unused[1] == fee_hours - covered_hours > 0
    assert con.execute(
        f"select distinct CommitmentDiscountId, CommitmentDiscountStatus, CommitmentDiscountCategory from costs "
        f"where SkuMeter = '{fee_sku}' and ChargeCategory = 'Usage'"
    ).fetchall() == [("4815162342108151623", "Unused", "Usage")]
    assert con.execute(
        "select distinct CommitmentDiscountId, CommitmentDiscountStatus, CommitmentDiscountType from costs "
        "where SkuMeter = 'Nvidia Tesla A100 GPU running in Americas'"
    ).fetchall() == [("4815162342108151623", "Used", "Committed Use Discount")]
    assert rows[("Tax", "Tax")][0] is None
    # every promotion credit is its own Credit row, billed and effective alike (what FOCUS 1.4 requires of a Credit)
    promotions, promoted = con.execute(
        "select count(*), sum(c.amount) from raw_gcp_billing, unnest(credits) as t(c) where c.type = 'PROMOTION'"
    ).fetchone()
    assert con.execute(
        "select count(*), sum(BilledCost), sum(EffectiveCost), max(ChargeDescription) from costs where ChargeCategory = 'Credit'"
    ).fetchone() == (promotions, promoted, promoted, "Vertex AI credits for startups")
    assert promotions > 100 and promoted < -100
    # SUD reduces the N1 cores by 20 %, on the invoice (BilledCost) as in EffectiveCost
    cost, billed, effective = con.execute(
        "select sum(ContractedCost), sum(BilledCost), sum(EffectiveCost) from costs "
        "where SkuMeter = 'N1 Predefined Instance Core running in Americas'"
    ).fetchone()
    assert (effective / cost).quantize(Decimal("0.001")) == Decimal("0.800") and billed == effective
    gpu = con.execute(
        """
        select ServiceName, ServiceCategory, ServiceSubcategory, SubAccountId, SubAccountName, RegionId, AvailabilityZone,
               ResourceType, x_InstanceType, Tags['Team'], x_ProjectLabels['cost-center'], PricingUnit, ConsumedUnit, x_ProductCode
        from costs where SkuMeter = 'Nvidia Tesla A100 GPU running in Americas' limit 1
        """
    ).fetchone()
    assert gpu == ("Compute Engine", "Compute", "Virtual Machines", "ml-research-prod", "ML Research Prod",
                   "us-central1", "us-central1-a", "instance", "a2-highgpu-1g", "ML-Research", "4100", "Hours",
                   "Seconds", "6F81-5844-456A")
    # label keys keep their case: 'team' and 'TEAM' are different labels
    assert con.execute(
        "select Tags from costs where SkuMeter = 'Nvidia L4 GPU running in Americas' limit 1"
    ).fetchone()[0] == {"team": "ml-platform", "TEAM": "ML-Platform"}
    assert con.execute(
        "select ServiceCategory, ServiceSubcategory from costs where ServiceName = 'Vertex AI' limit 1"
    ).fetchone() == ("AI and Machine Learning", "Machine Learning")


def test_the_generator_is_deterministic_and_writes_the_real_shapes(tmp_path):
    a = write_gcp_export(tmp_path / "a.json", "2026-10", rows=500, seed=5)
    b = write_gcp_export(tmp_path / "b.json", "2026-10", rows=500, seed=5)
    assert a.read_bytes() == b.read_bytes()
    row = json.loads(a.read_text().splitlines()[1])
    assert row["project"]["number"].isdigit()  # INT64 as a string, as BigQuery writes JSON
    assert row["usage_start_time"].endswith(" UTC") and isinstance(row["cost"], float | int)
    assert isinstance(row["credits"], list) and isinstance(row["labels"], list)
    big = write_gcp_export(tmp_path / "big.parquet", "2026-10", rows=30000, seed=5)
    (n, resources) = duckdb.connect().execute(
        f"select count(*), count(distinct resource.global_name) from '{big}'").fetchone()
    assert 29000 < n < 33000 and resources > 10


def test_standard_export_without_resource_and_price(con, tmp_path):
    path = write_gcp_export(tmp_path / "std" / "export.json", "2026-10", rows=600, seed=9, detailed=False)
    finops.ingest_gcp(con, path)
    assert con.execute("select count(*) from costs where ResourceId is not null").fetchone() == (0,)
    _, net = json_truth([path])["202610"]
    assert con.execute("select sum(BilledCost), sum(EffectiveCost) from costs").fetchone() == (net, net)


def test_a_late_row_replaces_its_day_only(con, tmp_path):
    folder = tmp_path / "export"
    write_gcp_export(folder / "000000000000.json", "2026-10", rows=2000, seed=5)
    finops.ingest_gcp(con, folder)
    before = dict(
        ((day, load), (n, total))
        for day, load, n, total in con.execute(
            "select usage_day, x_load_id, count(*), sum(cost) from raw_gcp_billing group by all"
        ).fetchall()
    )
    loads_before = con.execute("select count(*) from loads").fetchone()[0]
    # Google exports more rows for 10 October later (usage found late, and a correction)
    late = write_gcp_export(folder / "000000000001.json", "2026-10", rows=2000, seed=6,
                            days=["2026-10-10"], export_time="2026-10-20 03:00:00")
    [result] = finops.ingest_gcp(con, folder)
    assert [p.start for p in result.periods] == [datetime(2026, 10, 10)]
    added_cost, added_net = json_truth([late])["202610"]
    after = dict(
        (day, (n, total))
        for day, n, total in con.execute("select usage_day, count(*), sum(cost) from raw_gcp_billing group by all").fetchall()
    )
    old_day = next(v for (d, _), v in before.items() if d == datetime(2026, 10, 10))
    (late_rows,) = duckdb.connect().execute(f"select count(*) from read_json('{late}')").fetchone()
    assert after[datetime(2026, 10, 10)] == (old_day[0] + late_rows, old_day[1] + added_cost)  # counted once
    for (day, _load), value in before.items():
        if day != datetime(2026, 10, 10):
            assert after[day] == value
    # other days keep their load; the day's old load is marked replaced
    assert con.execute(
        "select count(*) from loads where replaced_by is not null"
    ).fetchone()[0] == 1
    assert con.execute("select count(*) from loads").fetchone()[0] == loads_before + 1
    (delivery,) = con.execute(
        "select delivery_id from loads where billing_period_start = '2026-10-10' and replaced_by is null"
    ).fetchone()
    assert delivery == "export_time:2026-10-20 03:00:00"
    _, net = json_truth(sorted(folder.glob("*.json")))["202610"]
    assert con.execute("select sum(BilledCost), sum(EffectiveCost) from costs").fetchone() == (net, net)
    assert all(p.reconciled for p in finops.status(con))


def test_a_warehouse_an_older_finops_loaded_reconciles_after_the_upgrade(db, tmp_path):
    """Before BilledCost included the credits, a GCP load's source_total was sum(cost); opening the
    warehouse recomputes the current loads' totals from their rows and says what each adds up."""
    folder = tmp_path / "export"
    write_gcp_export(folder / "000000000000.json", "2026-10", rows=1500, seed=5)
    write_gcp_export(folder / "000000000001.json", "2026-10", rows=500, seed=6,
                     days=["2026-10-10"], export_time="2026-10-20 03:00:00")
    con = finops.connect(db)
    finops.ingest_gcp(con, folder / "000000000000.json")
    finops.ingest_gcp(con, folder)  # the late rows replace 10 October's first load
    current = con.execute(
        "select load_id, source_total from loads where replaced_by is null order by load_id"
    ).fetchall()
    replaced = con.execute("select load_id, source_total from loads where replaced_by is not null").fetchall()
    # what an older finops left: totals of cost alone, and no source_total_of
    con.execute(
        "update loads set source_total = r.cost from (select x_load_id, usage_day, sum(cost) as cost from raw_gcp_billing "
        "group by all) r where r.x_load_id = loads.load_id and r.usage_day = loads.billing_period_start"
    )
    con.execute("alter table loads drop column source_total_of")
    assert not all(p.reconciled for p in finops.status(con))
    con.close()

    con = finops.connect(db)
    assert con.execute(
        "select load_id, source_total from loads where replaced_by is null order by load_id"
    ).fetchall() == current
    assert con.execute("select load_id, source_total from loads where replaced_by is not null").fetchall() == replaced
    assert con.execute("select replaced_by is null, source_total_of, count(*) from loads group by all order by 1").fetchall() \
        == [(False, "cost", 1), (True, "cost + credits", len(current))]
    assert all(p.reconciled for p in finops.status(con))
    con.close()


def test_nothing_new_is_a_no_op(run, db, tmp_path):
    write_gcp_export(tmp_path / "export" / "a.json", "2026-10", rows=800, seed=2)
    code, out, _ = run("ingest", "gcp", str(tmp_path / "export"))
    assert code == 0 and f"Google Cloud {BILLING_ACCOUNT} 32 day(s) 2026-10-01 to 2026-11-01" in out
    before = snapshot(db)
    code, out, _ = run("ingest", "gcp", str(tmp_path / "export"))
    assert (code, out) == (0, f"skipped {tmp_path / 'export' / 'a.json'}: already loaded\n")
    assert snapshot(db) == before
    code, out, _ = run("status")
    assert code == 0 and "2026-10-10  gcp-export" in out and " NO " not in out


def test_avro_export(con, tmp_path):
    import polars as pl

    parquet = write_gcp_export(tmp_path / "p" / "export.parquet", "2026-10", rows=500, seed=8)
    frame = pl.read_parquet(parquet).with_columns(
        pl.col("usage_start_time", "usage_end_time", "export_time").dt.replace_time_zone(None)
    )
    (tmp_path / "a").mkdir()
    frame.write_avro(tmp_path / "a" / "export.avro")
    finops.ingest_gcp(con, tmp_path / "a")
    expected = duckdb.connect().execute(
        f"select sum(cast(cast(cost as varchar) as decimal(38, 10))), count(*) from '{parquet}'"
    ).fetchone()
    assert con.execute("select sum(cost), count(*) from raw_gcp_billing").fetchone() == expected


# --------------------------------------------------------------------------------------------
# BigQuery, with the client injected at its one boundary
# --------------------------------------------------------------------------------------------


class FakeJob:
    def __init__(self, table):
        self.table = table

    def result(self):
        return self

    def to_arrow_iterable(self):
        return iter(self.table.to_batches(max_chunksize=700))


class FakeBigQuery:
    """Answers the connector's two queries from an Arrow table, as BigQuery would."""

    def __init__(self, table):
        self.table = table
        self.queries: list[tuple[str, object]] = []

    def query(self, sql, job_config=None):
        self.queries.append((sql, job_config))
        con = duckdb.connect()
        con.execute("set TimeZone = 'UTC'")
        con.register("t", self.table)
        if job_config is None:
            assert "GROUP BY" in sql
            result = con.sql(
                "select billing_account_id, cast(usage_start_time as date) as usage_day, max(export_time) as max_export_time "
                "from t group by all"
            ).to_arrow_table()
        else:
            params = {p.name: p for p in job_config.query_parameters}
            result = con.sql(
                "select * from t where cast(usage_start_time as date) in (select unnest(?)) and export_time <= ?",
                params=[params["days"].values, params["as_of"].value],
            ).to_arrow_table()
        return FakeJob(result)


TABLE = "bq://my-project.billing.gcp_billing_export_resource_v1_0123AB_456CD_789EF"


def test_the_bigquery_queries_are_valid_bigquery_sql():
    sqlglot = pytest.importorskip("sqlglot")
    from sqlglot import exp

    days_sql, rows_sql = gcp.bigquery_queries(TABLE)
    for sql in (days_sql, rows_sql):
        tree = sqlglot.parse_one(sql, read="bigquery")
        [table] = list(tree.find_all(exp.Table))
        assert (table.catalog, table.db, table.name) == ("my-project", "billing", "gcp_billing_export_resource_v1_0123AB_456CD_789EF")
    rows = sqlglot.parse_one(rows_sql, read="bigquery")
    where = rows.args["where"]
    [in_days] = list(where.find_all(exp.In))
    assert isinstance(in_days.this, exp.Date) or in_days.this.sql("bigquery").upper().startswith("DATE(")
    assert in_days.args.get("unnest") is not None and "@days" in in_days.sql("bigquery")
    assert "@as_of" in where.sql("bigquery")
    assert sqlglot.transpile(days_sql, read="bigquery", write="duckdb")  # and it means something elsewhere too


def test_bigquery_reads_only_the_changed_days_and_lands_the_arrow_result(con, tmp_path):
    pytest.importorskip("google.cloud.bigquery")
    import pyarrow as pa

    exported = pq.read_table(write_gcp_export(tmp_path / "bq.parquet", "2026-10", rows=1500, seed=7))
    client = FakeBigQuery(exported)
    [result] = finops.ingest_gcp(con, TABLE, bigquery_client=client)
    assert result.rows == exported.num_rows and len(client.queries) == 2
    assert len(client.queries[1][1].query_parameters[0].values) == 32  # every day, first time
    assert con.execute("select sum(BilledCost) from costs").fetchone()[0] == arrow_net(exported)
    assert con.execute("select distinct x_source_file from raw_gcp_billing").fetchall() == [(TABLE,)]

    # nothing new: one small query, no rows read
    client.queries.clear()
    assert finops.ingest_gcp(con, TABLE, bigquery_client=client)[0].skipped
    assert len(client.queries) == 1

    # late rows for 12 October: only that day is asked for and replaced
    late = pq.read_table(write_gcp_export(tmp_path / "late.parquet", "2026-10", rows=1500, seed=8,
                                          days=["2026-10-12"], export_time="2026-10-25 00:00:00"))
    client.table = pa.concat_tables([exported, late.cast(exported.schema)])
    client.queries.clear()
    [result] = finops.ingest_gcp(con, TABLE, bigquery_client=client)
    assert client.queries[1][1].query_parameters[0].values == [date(2026, 10, 12)]
    assert [p.start for p in result.periods] == [datetime(2026, 10, 12)]
    assert con.execute("select sum(BilledCost) from costs").fetchone()[0] == arrow_net(client.table)


# --------------------------------------------------------------------------------------------
# Bad input: one line, exit 1, warehouse unchanged
# --------------------------------------------------------------------------------------------


@pytest.fixture
def loaded(run, db, tmp_path):
    write_gcp_export(tmp_path / "good" / "export.json", "2026-09", rows=300, seed=1)
    code, _, err = run("ingest", "gcp", str(tmp_path / "good"), "--no-build")
    assert code == 0, err
    return snapshot(db)


def refused(run, db, before, source, *words) -> str:
    code, out, err = run("ingest", "gcp", str(source))
    assert code == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("finops: ") and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], lines[0]
    assert snapshot(db) == before
    return lines[0]


def _export_lines(tmp_path: Path, rows: int = 300) -> list[str]:
    path = write_gcp_export(tmp_path / "src" / "export.json", "2026-10", rows=rows, seed=2)
    return path.read_text().splitlines()


def test_json_with_a_broken_line(run, db, loaded, tmp_path):
    lines = _export_lines(tmp_path)
    lines[5] = lines[5][:80]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "export.json").write_text("\n".join(lines) + "\n")
    refused(run, db, loaded, tmp_path / "bad", "export.json", "not valid newline-delimited JSON")


def test_parquet_of_another_table(run, db, loaded, tmp_path):
    path = tmp_path / "other" / "export.parquet"
    path.parent.mkdir()
    duckdb.connect().execute(f"copy (select 1 as id, 'x' as name) to '{path}' (format parquet)")
    refused(run, db, loaded, path.parent, "export.parquet", "not a Cloud Billing export")


def test_missing_credits_field(run, db, loaded, tmp_path):
    rows = [json.loads(line) for line in _export_lines(tmp_path)]
    for row in rows:
        del row["credits"]
    path = tmp_path / "nocredits" / "export.json.gz"
    path.parent.mkdir()
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    refused(run, db, loaded, path.parent, "export.json.gz", "no credits field")
    pq_path = tmp_path / "nocredits-pq" / "export.parquet"
    pq_path.parent.mkdir()
    source = write_gcp_export(tmp_path / "pq" / "export.parquet", "2026-10", rows=200, seed=2)
    duckdb.connect().execute(f"copy (select * exclude (credits) from '{source}') to '{pq_path}' (format parquet)")
    refused(run, db, loaded, pq_path.parent, "export.parquet", "missing required field(s) credits")


def test_currency_mismatch_inside_one_file(run, db, loaded, tmp_path):
    lines = _export_lines(tmp_path)
    row = json.loads(lines[7])
    row["currency"] = "EUR"
    lines[7] = json.dumps(row)
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "export.json").write_text("\n".join(lines) + "\n")
    refused(run, db, loaded, tmp_path / "mixed", "export.json", "mixes currencies EUR, USD")


def test_a_cost_that_is_not_a_number(run, db, loaded, tmp_path):
    lines = _export_lines(tmp_path)
    lines[3] = lines[3].replace('"cost":', '"cost":"12,5",  "x":', 1)
    (tmp_path / "nan").mkdir()
    (tmp_path / "nan" / "export.json").write_text("\n".join(lines) + "\n")
    refused(run, db, loaded, tmp_path / "nan", "export.json", "field cost", "'12,5'")


def test_a_directory_without_export_files(run, db, loaded, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.txt").write_text("nothing here")
    refused(run, db, loaded, tmp_path / "empty", "no .json, .json.gz, .parquet or .avro files")


class NotFoundClient:
    def query(self, sql, job_config=None):
        from google.api_core.exceptions import NotFound

        raise NotFound("Not found: Table my-project:billing.gcp_billing_export_resource_v1_0123AB_456CD_789EF was not found in location US")


def test_a_bigquery_table_that_does_not_exist(db, loaded):
    pytest.importorskip("google.cloud.bigquery")
    con = finops.connect(db)
    with pytest.raises(finops.FinopsError, match=r"^bq://my-project\.billing\.\S+: .*Not found: Table my-project:billing"):
        finops.ingest_gcp(con, TABLE, bigquery_client=NotFoundClient())
    con.close()
    assert snapshot(db) == loaded


def test_missing_google_credentials(run, db, loaded, tmp_path, monkeypatch):
    pytest.importorskip("google.cloud.bigquery")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-such-key.json"))
    refused(run, db, loaded, TABLE, "no Google Cloud credentials", "GOOGLE_APPLICATION_CREDENTIALS")


def test_a_malformed_bigquery_address(run, db, loaded):
    refused(run, db, loaded, "bq://just-a-table", "expected bq://PROJECT.DATASET.TABLE")


# --------------------------------------------------------------------------------------------
# Cloud Storage, with the client injected (no fake GCS server works offline from PyPI alone)
# --------------------------------------------------------------------------------------------


class FakeBlob:
    def __init__(self, root: Path, name: str):
        self.root, self.name = root, name
        path = root / name
        self.size = path.stat().st_size if path.exists() else 0
        self.generation = 1700000000000000 + self.size

    def download_to_filename(self, target):
        Path(target).write_bytes((self.root / self.name).read_bytes())


class FakeStorage:
    """list_blobs / bucket().blob().download_to_filename over a local folder named like the bucket."""

    def __init__(self, root: Path):
        self.root = root
        self.listed: list[tuple[str, str]] = []

    def list_blobs(self, bucket, prefix=""):
        self.listed.append((bucket, prefix))
        base = self.root / bucket
        return [FakeBlob(base, p.relative_to(base).as_posix()) for p in sorted(base.rglob("*"))
                if p.is_file() and p.relative_to(base).as_posix().startswith(prefix)]

    def bucket(self, name):
        root = self.root / name

        class Bucket:
            def blob(self, key):
                return FakeBlob(root, key)

        return Bucket()


def test_cloud_storage_prefix(con, tmp_path):
    folder = tmp_path / "gcs" / "my-bucket" / "billing-export"
    write_gcp_export(folder / "000000000000.json.gz", "2026-10", rows=600, seed=21)
    write_gcp_export(folder / "000000000001.parquet", "2026-09", rows=400, seed=22)
    (tmp_path / "gcs" / "my-bucket" / "other" / "x.json").parent.mkdir(parents=True)
    (tmp_path / "gcs" / "my-bucket" / "other" / "x.json").write_text("not read")
    client = FakeStorage(tmp_path / "gcs")
    [result] = finops.ingest_gcp(con, "gs://my-bucket/billing-export/", storage_client=client)
    assert client.listed == [("my-bucket", "billing-export/")]
    assert result.source == "gs://my-bucket/billing-export/ (2 files)"
    truth = json_truth([tmp_path / "gcs" / "my-bucket" / "billing-export" / "000000000000.json.gz"])
    assert focus_totals(con)["202610"][0] == truth["202610"][1]
    assert sorted(focus_totals(con)) == ["202609", "202610"]
    assert con.execute("select distinct files from loads").fetchall() == [([
        "gs://my-bucket/billing-export/000000000000.json.gz", "gs://my-bucket/billing-export/000000000001.parquet"],)]
    assert finops.ingest_gcp(con, "gs://my-bucket/billing-export/", storage_client=client)[0].skipped


# --------------------------------------------------------------------------------------------
# Catalog prices, with the client injected; the bundled snapshot offline
# --------------------------------------------------------------------------------------------


def catalog_sku(description, group, usage_type, units, nanos, regions=("us-central1",), unit="h"):
    from types import SimpleNamespace as NS

    rate = NS(unit_price=NS(currency_code="USD", units=units, nanos=nanos))
    return NS(
        description=description,
        category=NS(resource_family="Compute", resource_group=group, usage_type=usage_type),
        service_regions=list(regions),
        pricing_info=[NS(pricing_expression=NS(usage_unit=unit, tiered_rates=[rate]))],
    )


class FakeCatalog:
    def __init__(self, skus):
        self.skus, self.parents = skus, []

    def list_skus(self, parent):
        self.parents.append(parent)
        return iter(self.skus)


def test_catalog_prices_for_gpu_skus():
    from finops.savings.gcp_catalog import fetch_prices

    client = FakeCatalog([
        catalog_sku("Nvidia Tesla A100 GPU running in Americas", "GPU", "OnDemand", 2, 933908000),
        catalog_sku("Nvidia Tesla A100 GPU attached to Spot Preemptible VMs running in Americas", "GPU", "Preemptible", 1, 173600000),
        catalog_sku("Commitment v1: Nvidia Tesla A100 GPU in Americas for 1 Year", "GPU", "Commit1Yr", 1, 848362000),
        catalog_sku("Commitment v1: Nvidia Tesla A100 GPU in Americas for 3 Year", "GPU", "Commit3Yr", 1, 26868000),
        catalog_sku("Licensing Fee for Windows Server", "PDLicense", "OnDemand", 0, 46000000),
        catalog_sku("Nvidia L4 GPU running in EMEA", "GPU", "OnDemand", 0, 616000000, regions=("europe-west4",)),
    ])
    table = fetch_prices(client, regions=("us-central1",))
    assert client.parents == ["services/6F81-5844-456A"] and table.source == "catalog"
    a100 = "Nvidia Tesla A100 GPU running in Americas"
    assert table.price(a100, "OnDemand") == Decimal("2.933908")
    assert table.price("Commitment v1: Nvidia Tesla A100 GPU in Americas for 3 Year", "Commit3Yr") == Decimal("1.026868")
    assert len(table.prices) == 4  # not the licence, not another region


def test_offline_prices_fall_back_to_the_bundled_snapshot():
    from finops.savings.gcp_catalog import fetch_prices

    class Offline:
        def list_skus(self, parent):
            raise ConnectionError("Failed to establish a new connection: [Errno 101] Network is unreachable")

    table = fetch_prices(Offline())
    assert table.source.startswith("snapshot 20") and "Network is unreachable" in table.reason
    assert table.price("Nvidia Tesla A100 GPU running in Americas", "OnDemand") == Decimal("2.933908")
    for usage in ("OnDemand", "Preemptible", "Commit1Yr", "Commit3Yr"):
        assert {p.sku_description for p in table.prices if p.usage_type == usage and "L4" in p.sku_description}
