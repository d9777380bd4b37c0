"""The same CUR ingest through boto3 against a real S3 API server on loopback (moto server mode)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import boto3

import finops
from tests.conftest import cur_rows, write_legacy_delivery


def upload(endpoint: str, bucket: str, root: Path, prefix: str) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(root).as_posix()}")


def test_ingest_from_s3_matches_local(con, tmp_path, aws_env):
    root = tmp_path / "local"
    rows = cur_rows(*({"lineItem/UnblendedCost": "1.25", "resourceTags/user:team": "ml-research"} for _ in range(4)))
    write_legacy_delivery(root, rows, assembly="a1111111-1111-1111-1111-111111111111")
    upload(aws_env, "billing-a", root, "cur")

    results = finops.ingest_aws(con, "s3://billing-a/cur", endpoint_url=aws_env)
    assert [(r.shape, r.rows, r.skipped) for r in results] == [("aws-cur-legacy", 4, False)]
    assert con.execute("select count(*), sum(BilledCost), any_value(Tags['team']) from costs").fetchone() == (
        4, Decimal("5"), "ml-research")
    (files,) = con.execute("select files from loads").fetchone()
    assert files == ["s3://billing-a/cur/ml-cur/20261001-20261101/a1111111-1111-1111-1111-111111111111/ml-cur-1.csv.gz"]

    again = finops.ingest_aws(con, "s3://billing-a/cur", endpoint_url=aws_env)
    assert again[0].skipped


def test_restatement_through_s3_and_endpoint_from_environment(con, tmp_path, aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env)
    first = tmp_path / "d1"
    write_legacy_delivery(first, cur_rows({"lineItem/UnblendedCost": "10"}), assembly="a1111111-1111-1111-1111-111111111111")
    upload(aws_env, "billing-b", first, "cur")
    finops.ingest_aws(con, "s3://billing-b/cur")
    # AWS delivers a restatement: new assembly folder, the period manifest now points to it
    second = tmp_path / "d2"
    write_legacy_delivery(second, cur_rows({"lineItem/UnblendedCost": "12"}, {"lineItem/UnblendedCost": "1"}),
                          assembly="b2222222-2222-2222-2222-222222222222")
    upload(aws_env, "billing-b", second, "cur")
    finops.ingest_aws(con, "s3://billing-b/cur")
    assert con.execute("select count(*), sum(BilledCost) from costs").fetchone() == (2, Decimal("13"))


def test_s3_errors_are_one_line(run, aws_env):
    code, _, err = run("ingest", "aws", "s3://no-such-bucket/cur", "--endpoint-url", aws_env)
    assert code == 1
    assert err.strip().splitlines() == [err.strip()]
    assert "s3://no-such-bucket/cur" in err and "NoSuchBucket" in err
    assert "testing" not in err  # credentials never appear in messages
