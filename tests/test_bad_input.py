"""Bad input: one clear line naming the file and the problem, exit 1, warehouse exactly as before."""

from __future__ import annotations

import gzip
import json

import duckdb

from tests.conftest import cur_rows, snapshot, write_cur_csv, write_legacy_delivery


def assert_refused(run, db, before, source, *expected_words):
    code, out, err = run("ingest", "aws", str(source))
    assert code == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("finops: ")
    for word in expected_words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in err
    assert snapshot(db) == before
    return lines[0]


def test_truncated_gzip(run, db, loaded, tmp_path):
    path = write_cur_csv(tmp_path / "in" / "cur-1.csv.gz", cur_rows(*({} for _ in range(2000))))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert_refused(run, db, loaded, tmp_path / "in", "cur-1.csv.gz", "corrupt or truncated")


def test_gzip_that_is_not_named_gz(run, db, loaded, tmp_path):
    path = tmp_path / "in" / "cur.csv"
    path.parent.mkdir()
    path.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    assert_refused(run, db, loaded, path, "cur.csv", "gzip")


def test_manifest_lists_a_missing_file(run, db, loaded, tmp_path):
    manifest = write_legacy_delivery(tmp_path / "cur", cur_rows({}), assembly="a1111111-1111-1111-1111-111111111111")
    data = json.loads(manifest.read_text())
    data["reportKeys"].append("cur/ml-cur/20261001-20261101/a1111111-1111-1111-1111-111111111111/ml-cur-2.csv.gz")
    manifest.write_text(json.dumps(data))
    assert_refused(run, db, loaded, tmp_path / "cur", "ml-cur-Manifest.json", "ml-cur-2.csv.gz", "missing")


def test_manifest_that_is_not_json(run, db, loaded, tmp_path):
    manifest = write_legacy_delivery(tmp_path / "cur", cur_rows({}), assembly="a1111111-1111-1111-1111-111111111111")
    manifest.write_text("{ not json")
    assert_refused(run, db, loaded, tmp_path / "cur", "ml-cur-Manifest.json", "not valid JSON")


def test_csv_missing_required_columns(run, db, loaded, tmp_path):
    rows = [{k: v for k, v in r.items() if k not in ("lineItem/UnblendedCost", "lineItem/CurrencyCode")} for r in cur_rows({})]
    path = write_cur_csv(tmp_path / "cur.csv", rows)
    assert_refused(run, db, loaded, path, "cur.csv", "lineItem/UnblendedCost", "lineItem/CurrencyCode")


def test_empty_file(run, db, loaded, tmp_path):
    path = tmp_path / "cur.csv.gz"
    path.write_bytes(b"")
    assert_refused(run, db, loaded, path, "cur.csv.gz", "empty file")


def test_header_only_file(run, db, loaded, tmp_path):
    path = tmp_path / "cur.csv"
    path.write_text(",".join(cur_rows({})[0]) + "\n")
    assert_refused(run, db, loaded, path, "cur.csv", "no line items")


def test_parquet_that_is_not_a_cur(run, db, loaded, tmp_path):
    path = tmp_path / "sales.parquet"
    duckdb.sql(f"copy (select 1 as order_id, 9.99 as amount) to '{path}' (format parquet)")
    assert_refused(run, db, loaded, path, "sales.parquet", "not an AWS Cost and Usage Report")


def test_unknown_currency(run, db, loaded, tmp_path):
    path = write_cur_csv(tmp_path / "cur.csv", cur_rows({}, {"lineItem/CurrencyCode": "XYZ"}))
    assert_refused(run, db, loaded, path, "cur.csv", "unknown currency", "XYZ")


def test_wrong_type_names_column_and_value(run, db, loaded, tmp_path):
    path = write_cur_csv(tmp_path / "cur.csv", cur_rows({}, {"lineItem/UnblendedCost": "twelve dollars"}))
    assert_refused(run, db, loaded, path, "cur.csv", "lineItem/UnblendedCost", "twelve dollars")


def test_bad_date(run, db, loaded, tmp_path):
    path = write_cur_csv(tmp_path / "cur.csv", cur_rows({"lineItem/UsageStartDate": "yesterday"}))
    assert_refused(run, db, loaded, path, "cur.csv", "lineItem/UsageStartDate", "yesterday")


def test_one_bad_file_loads_nothing_from_the_command(run, db, loaded, tmp_path):
    write_cur_csv(tmp_path / "in" / "good" / "cur.csv", cur_rows({}))
    write_cur_csv(tmp_path / "in" / "zbad" / "cur.csv", cur_rows({"lineItem/CurrencyCode": "ABC"}))
    assert_refused(run, db, loaded, tmp_path / "in", "zbad", "ABC")


def test_missing_path_and_empty_directory(run, db, loaded, tmp_path):
    assert_refused(run, db, loaded, tmp_path / "nope", "nope", "no such file")
    (tmp_path / "empty").mkdir()
    assert_refused(run, db, loaded, tmp_path / "empty", "no CUR files found")


def test_hostile_tag_values_are_data_not_code(run, db, tmp_path):
    hostile = ["<script>alert(1)</script>", "O'Brien \"quoted\"", "'; drop table costs; --"]
    rows = cur_rows(*({"resourceTags/user:team": value} for value in hostile))
    code, _, err = run("ingest", "aws", str(write_cur_csv(tmp_path / "cur.csv", rows)))
    assert code == 0, err
    code, out, _ = run("query", "select Tags['team'] as team from costs order by 1", "--format", "json")
    assert code == 0
    assert sorted(r["team"] for r in json.loads(out)) == sorted(hostile)
    code, out, _ = run("query", "select count(*) as n from costs", "--format", "csv")
    assert out.splitlines() == ["n", "3"]


def test_truncated_parquet(run, db, loaded, tmp_path):
    path = tmp_path / "cur.parquet"
    duckdb.connect().execute(f"copy (select 1.5 as line_item_unblended_cost from range(100000)) to '{path}' (format parquet)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert_refused(run, db, loaded, path, "cur.parquet", "corrupt or truncated")


def test_unknown_currency_in_a_focus_file(run, db, loaded, tmp_path):
    path = tmp_path / "focus.csv"
    path.write_text(
        "BillingAccountId,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,"
        "BilledCost,EffectiveCost,BillingCurrency,ProviderName\n"
        "1,2026-10-01,2026-11-01,2026-10-02,2026-10-03,Usage,1.00,1.00,DOGE,Acme Cloud\n"
    )
    code, _, err = run("ingest", "focus", str(path))
    assert code == 1 and "focus.csv" in err and "unknown currency 'DOGE'" in err
    assert snapshot(db) == loaded
