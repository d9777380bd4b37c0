"""Writes stay inside and email tells the truth, each against the real thing on loopback:

- S3: moto's server holds objects with hostile keys (``..`` segments, two keys for one local
  name, a key under another key); none may write outside the download directory or replace
  another object's copy, and an empty source or a bad endpoint is one line that leaks no credential;
- the writer lock: a symlink planted where the lock file goes is refused, its target untouched;
- email: an aiosmtpd server that refuses one recipient at RCPT; the week is then neither reported
  nor recorded as sent, and the refused address is named and kept in ``sent_reports``.
"""

from __future__ import annotations

import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

import boto3
import pytest

import finops
from finops.connectors.sources import open_source
from finops.errors import FinopsError
from finops.warehouse.lock import lock_path, writer_lock
from tests.conftest import cur_rows, free_port, write_cur_csv, write_legacy_delivery
from tests.test_refresh import aws_source, write_config
from tests.test_s3 import upload

ASSEMBLY = "a1111111-1111-1111-1111-111111111111"
PERIOD = "cur/ml-cur/20261001-20261101"


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    return err.strip()


# --- S3 keys map to safe local names -------------------------------------------------------------


@pytest.fixture
def downloads(tmp_path, monkeypatch) -> Path:
    """Download directories are made four levels below tmp_path, so ``../../../../x`` lands in tmp_path."""
    deep = tmp_path / "t1" / "t2" / "t3"
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    return deep


def delivery_with(aws_env: str, tmp_path: Path, bucket: str, hostile: dict[str, bytes]) -> None:
    """A good legacy CUR delivery under cur/, plus objects with ``hostile`` keys."""
    write_legacy_delivery(tmp_path / "good", cur_rows({"lineItem/UnblendedCost": "2"}), assembly=ASSEMBLY)
    upload(aws_env, bucket, tmp_path / "good", "cur")
    s3 = boto3.client("s3", endpoint_url=aws_env)
    for key, body in hostile.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


def test_a_key_climbing_out_of_the_download_directory_is_refused(run, db, tmp_path, aws_env, downloads):
    victim = tmp_path / "victim.csv"
    victim.write_text("precious\n")
    delivery_with(aws_env, tmp_path, "climb", {"cur/../../../../victim.csv": b"lineItem/UnblendedCost\n666\n"})
    code, _, err = run("ingest", "aws", "s3://climb/cur", "--endpoint-url", aws_env)
    assert code == 1
    assert one_line(err) == ("finops: s3://climb/cur/../../../../victim.csv: refused: a '..' in the key would "
                             "write outside the download directory")
    assert victim.read_text() == "precious\n"
    assert not db.exists() or finops.connect(db, read_only=True).execute("select count(*) from loads").fetchone() == (0,)
    assert list(downloads.iterdir()) == []  # the download directory went with the refusal


@pytest.mark.parametrize(("hostile", "message"), [
    # a second period manifest whose local name is the real one's: its download would replace it
    ({f"{PERIOD}//ml-cur-Manifest.json": b'{"assemblyId": "x", "reportKeys": ["cur/evil.csv"]}'},
     f"s3://plant/{PERIOD}//ml-cur-Manifest.json: refused: its local name is also that of "
     f"s3://plant/{PERIOD}/ml-cur-Manifest.json"),
    ({f"{PERIOD}/./ml-cur-Manifest.json": b"{}"},
     f"s3://plant/{PERIOD}/./ml-cur-Manifest.json: refused: its local name is also that of "
     f"s3://plant/{PERIOD}/ml-cur-Manifest.json"),
    # an object named like a folder of another: one of the two downloads would fail or replace the other
    ({f"{PERIOD}": b"x"},
     f"s3://plant/{PERIOD}/{ASSEMBLY}/ml-cur-1.csv.gz: refused: its local name is below that of s3://plant/{PERIOD}, a file"),
    ({f"{PERIOD}/{ASSEMBLY}/ml-cur-1.csv.gz/x-Manifest.json": b"{}"},
     f"s3://plant/{PERIOD}/{ASSEMBLY}/ml-cur-1.csv.gz/x-Manifest.json: refused: its local name is below that of "
     f"s3://plant/{PERIOD}/{ASSEMBLY}/ml-cur-1.csv.gz, a file"),
    ({"cur/x-Manifest\x1b[2J.json": b"{}"},
     r"s3://plant/cur/x-Manifest\x1b[2J.json: refused: the key has control characters"),
])
def test_keys_that_would_replace_another_objects_copy_are_refused(run, tmp_path, aws_env, downloads, hostile, message):
    bucket = f"plant-{uuid.uuid4().hex[:12]}"  # the server outlives the test: a bucket of its own
    delivery_with(aws_env, tmp_path, bucket, hostile)
    code, _, err = run("ingest", "aws", f"s3://{bucket}/cur", "--endpoint-url", aws_env)
    assert code == 1
    assert one_line(err) == f"finops: {message}".replace("s3://plant/", f"s3://{bucket}/")
    assert list(downloads.iterdir()) == []


def test_a_symlink_in_the_download_directory_is_never_followed(tmp_path, aws_env, downloads):
    delivery_with(aws_env, tmp_path, "links", {})
    outside = tmp_path / "outside"
    outside.mkdir()
    with open_source("s3://links/cur", endpoint_url=aws_env) as source:
        (download_dir,) = downloads.iterdir()
        (download_dir / "ml-cur").symlink_to(outside, target_is_directory=True)
        data = next(f for f in source.files if f.name == "ml-cur-1.csv.gz")
        with pytest.raises(FinopsError) as refused:
            source.local_path(data)
    assert str(refused.value) == (f"{data.uri}: refused: {download_dir / 'ml-cur'} is a symbolic link, "
                                  "which would take the download outside its directory")
    assert list(outside.iterdir()) == []


def test_ordinary_keys_still_load_from_s3(con, tmp_path, aws_env, downloads):
    """The safe mapping keeps a real delivery's names: its manifest still finds its data files."""
    delivery_with(aws_env, tmp_path, "plain", {})
    results = finops.ingest_aws(con, "s3://plain/cur", endpoint_url=aws_env)
    assert [(r.shape, r.rows) for r in results] == [("aws-cur-legacy", 1)]
    assert list(downloads.iterdir()) == []


def test_a_whole_bucket_keeps_its_folders(con, tmp_path, aws_env, downloads):
    """Without a prefix, local names are the keys themselves: two deliveries' same-named files stay apart."""
    delivery_with(aws_env, tmp_path, "whole", {})
    write_cur_csv(tmp_path / "other" / "ml-cur" / "20261001-20261101" / ASSEMBLY / "ml-cur-1.csv.gz",
                  cur_rows({"lineItem/UnblendedCost": "3"}, {"lineItem/UnblendedCost": "4"}))
    upload(aws_env, "whole", tmp_path / "other", "loose")  # same file name, no manifest: a loose delivery
    results = finops.ingest_aws(con, "s3://whole", endpoint_url=aws_env)
    assert sorted((r.shape, r.rows) for r in results) == [("aws-cur-legacy", 1), ("aws-cur-legacy", 2)]
    # the loose delivery, loaded second, restates the period with its own file's rows, not the first's
    assert con.execute("select count(*), sum(BilledCost) from costs").fetchone() == (2, Decimal("7"))


@pytest.mark.parametrize("provider", ["aws", "focus"])
@pytest.mark.parametrize("location", ["", "   "])
def test_an_empty_source_is_a_usage_error(run, tmp_path, monkeypatch, provider, location):
    write_cur_csv(tmp_path / "cur.csv", cur_rows({}))  # what ingesting the current directory would load
    monkeypatch.chdir(tmp_path)
    code, _, err = run("ingest", provider, location)
    assert (code, one_line(err)) == (2, "finops: no source given: name a directory, a file or an s3:// prefix")


@pytest.mark.parametrize(("endpoint", "message"), [
    ("http://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY@127.0.0.1:9000",
     "endpoint URL http://***@127.0.0.1:9000: refused: it carries credentials; give them the usual way "
     "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile or a role), never in the URL"),
    ("not a url", "endpoint URL not a url: expected http://HOST[:PORT] or https://HOST[:PORT]"),
    ("ftp://127.0.0.1:21", "endpoint URL ftp://127.0.0.1:21: expected http://HOST[:PORT] or https://HOST[:PORT]"),
    ("http://127.0.0.1:notaport", "endpoint URL http://127.0.0.1:notaport: expected http://HOST[:PORT] or https://HOST[:PORT]"),
])
def test_a_bad_endpoint_is_one_line_without_credentials(run, aws_env, endpoint, message):
    code, _, err = run("ingest", "aws", "s3://billing/cur", "--endpoint-url", endpoint)
    assert (code, one_line(err)) == (2, f"finops: {message}")
    assert "AKIA" not in err and "wJalr" not in err


def test_an_endpoint_with_credentials_from_the_environment_is_refused_too(run, aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://user:hunter2@s3.example.com")
    code, _, err = run("ingest", "aws", "s3://billing/cur")
    assert code == 2 and "endpoint URL https://***@s3.example.com: refused: it carries credentials" in one_line(err)
    assert "hunter2" not in err and "user" not in err


# --- the writer lock never follows a symlink -----------------------------------------------------


def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(run, db, tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("do not truncate me\n")
    lock_path(db).symlink_to(precious)
    expected = (f"{lock_path(db)}: the lock file is a symbolic link; refusing to follow it "
                "(remove it and finops creates a plain file)")
    with pytest.raises(FinopsError) as refused, writer_lock(db, wait_seconds=0):
        pass
    assert str(refused.value) == expected
    write_cur_csv(tmp_path / "bills" / "cur.csv", cur_rows({}))
    code, _, err = run("ingest", "aws", str(tmp_path / "bills"))
    assert (code, one_line(err)) == (1, f"finops: {expected}")
    assert precious.read_text() == "do not truncate me\n"
    assert lock_path(db).is_symlink()


def test_a_lock_path_that_is_not_a_file_is_refused(db):
    lock_path(db).mkdir(parents=True)
    with pytest.raises(FinopsError) as refused, writer_lock(db, wait_seconds=0):
        pass
    assert str(refused.value).startswith(f"{lock_path(db)}: cannot open the lock file: ")


# --- email: sent only when every recipient was accepted ------------------------------------------


class RefusingSmtp:
    """Plain SMTP on loopback that refuses, at RCPT, every address starting with "nobody"."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[tuple[list[str], bytes]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    server = RefusingSmtp()
    server.controller.start()
    yield server
    server.controller.stop()


def configure(tmp_path: Path, monkeypatch, smtp: RefusingSmtp, to: list[str]) -> None:
    # The bill is one hour, so no week is covered: sending it takes --allow-partial.
    write_cur_csv(tmp_path / "bills" / "cur.csv", cur_rows({}))
    quoted = ", ".join(f'"{address}"' for address in to)
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills")
                 + f'[email]\nsender = "finops@example.com"\nto = [{quoted}]\nsmtp_host = "127.0.0.1"\n'
                 f"smtp_port = {smtp.port}\nstarttls = false\n")


def sent_reports(db: Path) -> list[tuple]:
    con = finops.connect(db, read_only=True)
    try:
        return con.execute("select status, recipients, refused, sent_at is not null from sent_reports").fetchall()
    finally:
        con.close()


def test_email_with_one_recipient_refused_is_not_reported_as_sent(run, tmp_path, monkeypatch, smtp):
    configure(tmp_path, monkeypatch, smtp, ["finance@example.com"])
    assert run("refresh", "--no-email", "--quiet")[0] == 0
    code, out, err = run("email", "--allow-partial", "--to", "finance@example.com", "--to", "nobody@example.com")
    assert code == 1 and "sent" not in out
    assert one_line(err) == (f"finops: email: 127.0.0.1:{smtp.port}: sent to finance@example.com only; refused "
                             "nobody@example.com (550 5.1.1 no such user)")
    assert [to for to, _ in smtp.received] == [["finance@example.com"]]


def test_refresh_records_and_reports_a_refused_recipient(run, db, tmp_path, monkeypatch, smtp):
    configure(tmp_path, monkeypatch, smtp, ["finance@example.com", "nobody@example.com"])
    code, out, err = run("refresh", "--allow-partial")
    assert code == 1 and "\nemail 2" in out and "FAILED" in out.splitlines()[-1]
    assert one_line(err).startswith("finops: refresh: email ")
    assert err.endswith(f": email: 127.0.0.1:{smtp.port}: sent to finance@example.com only; refused "
                        "nobody@example.com (550 5.1.1 no such user)\n")
    assert sent_reports(db) == [("partly sent", ["finance@example.com", "nobody@example.com"], ["nobody@example.com"], True)]
    # the accepted recipient has it: later runs never send it again, and say who still lacks it
    for report in (tmp_path / "reports").glob("*.html"):
        report.unlink()
    code, out, err = run("refresh", "--allow-partial")
    assert (code, err) == (0, "") and len(smtp.received) == 1
    assert "already sent, except to nobody@example.com (refused by the server)" in out


def test_refresh_records_every_recipient_accepted(run, db, tmp_path, monkeypatch, smtp):
    configure(tmp_path, monkeypatch, smtp, ["finance@example.com", "ml-leads@example.com"])
    code, out, err = run("refresh", "--allow-partial")
    assert (code, err) == (0, "") and "sent to finance@example.com, ml-leads@example.com" in out
    assert sent_reports(db) == [("sent", ["finance@example.com", "ml-leads@example.com"], [], True)]
    assert [to for to, _ in smtp.received] == [["finance@example.com", "ml-leads@example.com"]]


def test_every_recipient_refused_is_retried_by_the_next_run(run, db, tmp_path, monkeypatch, smtp):
    configure(tmp_path, monkeypatch, smtp, ["nobody@example.com"])
    code, _, err = run("refresh", "--allow-partial")
    assert code == 1 and err.endswith(f": email: 127.0.0.1:{smtp.port}: refused every recipient: "
                                      "nobody@example.com (550 5.1.1 no such user)\n")
    assert smtp.received == [] and sent_reports(db) == []


@pytest.mark.parametrize(("to", "message"), [
    ("", "email: recipient '' is not an email address"),
    ("  ", "email: recipient '  ' is not an email address"),
    ("finance@example.com\r\nBcc: spy@example.com", r"email: recipient 'finance@example.com\r\nBcc: spy@example.com' "
     "is not an email address"),
    ("finance@example.com\n", r"email: recipient 'finance@example.com\n' is not an email address"),
])
def test_an_empty_or_multi_line_recipient_is_a_usage_error(run, tmp_path, monkeypatch, smtp, to, message):
    configure(tmp_path, monkeypatch, smtp, ["finance@example.com"])
    assert run("refresh", "--no-email", "--quiet")[0] == 0
    code, out, err = run("email", "--allow-partial", "--to", to)
    assert (code, out, one_line(err)) == (2, "", f"finops: {message}")
    assert smtp.received == []


def test_a_multi_line_recipient_in_the_config_is_never_sent(run, db, tmp_path, monkeypatch, smtp):
    configure(tmp_path, monkeypatch, smtp, [r"finance@example.com\r\nBcc: spy@example.com"])
    code, _, err = run("refresh", "--allow-partial")
    assert code == 1 and one_line(err).endswith(r"is not an email address")
    assert smtp.received == [] and sent_reports(db) == []


def test_an_older_sent_reports_is_upgraded_with_the_refused_column(run, db, tmp_path, monkeypatch, smtp):
    configure(tmp_path, monkeypatch, smtp, ["finance@example.com"])
    assert run("refresh", "--no-email", "--quiet")[0] == 0
    con = finops.connect(db)
    con.execute("create table sent_reports (week varchar primary key, sent_at timestamp, recipients varchar[] not null, "
                "subject varchar not null, status varchar default 'sent', message_id varchar, attempted_at timestamp)")
    con.execute("insert into sent_reports (week, sent_at, recipients, subject) values "
                "('2020-W01', '2020-01-06 06:00', ['old@example.com'], 'old')")
    con.close()
    code, out, _ = run("refresh", "--allow-partial")
    assert code == 0 and "sent to finance@example.com" in out
    con = finops.connect(db, read_only=True)
    rows = con.execute("select week, status, refused from sent_reports order by week").fetchall()
    con.close()
    assert rows[0] == ("2020-W01", "sent", None) and rows[1][1:] == ("sent", [])
