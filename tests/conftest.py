"""Shared test helpers: warehouses in tmp_path, hand-written CUR files, the CLI in-process."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import shutil
import socket
from decimal import Decimal
from pathlib import Path

import pytest

import finops
from finops.cli.app import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
REAL_CUR = FIXTURES / "aws-cur-legacy" / "sample-anonymous-aws-export-dataset.csv"
FOCUS_SAMPLE = FIXTURES / "focus" / "focus-1.0-sample-1000.csv"

# A legacy CUR row with the columns every real report has; tests override what they are about.
BASE_ROW = {
    "identity/LineItemId": "abc",
    "identity/TimeInterval": "2026-10-01T00:00:00Z/2026-10-01T01:00:00Z",
    "bill/InvoiceId": "",
    "bill/InvoicingEntity": "Amazon Web Services, Inc.",
    "bill/BillingEntity": "AWS",
    "bill/BillType": "Anniversary",
    "bill/PayerAccountId": "111122223333",
    "bill/BillingPeriodStartDate": "2026-10-01T00:00:00Z",
    "bill/BillingPeriodEndDate": "2026-11-01T00:00:00Z",
    "lineItem/UsageAccountId": "444455556666",
    "lineItem/LineItemType": "Usage",
    "lineItem/UsageStartDate": "2026-10-01T00:00:00Z",
    "lineItem/UsageEndDate": "2026-10-01T01:00:00Z",
    "lineItem/ProductCode": "AmazonEC2",
    "lineItem/UsageType": "USW2-BoxUsage:g5.xlarge",
    "lineItem/Operation": "RunInstances",
    "lineItem/AvailabilityZone": "us-west-2a",
    "lineItem/ResourceId": "i-0abc123def4567890",
    "lineItem/UsageAmount": "1",
    "lineItem/CurrencyCode": "USD",
    "lineItem/UnblendedRate": "1.006",
    "lineItem/UnblendedCost": "1.006",
    "lineItem/LineItemDescription": "$1.006 per On Demand Linux g5.xlarge Instance Hour",
    "product/ProductName": "Amazon Elastic Compute Cloud",
    "product/regionCode": "us-west-2",
    "product/location": "US West (Oregon)",
    "product/instanceType": "g5.xlarge",
    "product/sku": "8J2P5TZ9X6YHBPRU",
    "pricing/unit": "Hrs",
    "pricing/term": "OnDemand",
    "pricing/publicOnDemandCost": "1.006",
    "pricing/publicOnDemandRate": "1.006",
    "reservation/ReservationARN": "",
    "reservation/EffectiveCost": "",
    "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": "",
    "reservation/UnusedRecurringFee": "",
    "savingsPlan/SavingsPlanARN": "",
    "savingsPlan/SavingsPlanEffectiveCost": "",
    "savingsPlan/TotalCommitmentToDate": "",
    "savingsPlan/UsedCommitment": "",
    "resourceTags/user:team": "",
}


def cur_rows(*overrides: dict[str, str]) -> list[dict[str, str]]:
    return [{**BASE_ROW, "identity/LineItemId": f"line{i}", **o} for i, o in enumerate(overrides)]


def write_aws_focus_charge(path: Path, account: str, period: str, cost: str) -> Path:
    """One S3 charge of AWS's FOCUS export as Parquet, for ``period`` ('YYYY-MM-01') of ``account``."""
    import duckdb

    duckdb.sql(
        f"""copy (select '{account}' as BillingAccountId, timestamp '{period}' as BillingPeriodStart,
                         timestamp '{period}' + interval 1 month as BillingPeriodEnd,
                         timestamp '{period}' + interval 4 day as ChargePeriodStart,
                         timestamp '{period}' + interval 5 day as ChargePeriodEnd, 'Usage' as ChargeCategory,
                         {cost} as BilledCost, {cost} as EffectiveCost, 'USD' as BillingCurrency, 'AWS' as ProviderName,
                         'Amazon S3' as ServiceName)
            to '{path}' (format parquet)"""
    )
    return path


def write_cur_csv(path: Path, rows: list[dict[str, str]], *, gz: bool | None = None) -> Path:
    """Write rows as a legacy CUR CSV (gzip when the name ends in .gz), headers as AWS writes them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    gz = path.name.endswith(".gz") if gz is None else gz
    opener = gzip.open if gz else open
    with opener(path, "wt", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_legacy_delivery(root: Path, rows: list[dict[str, str]], *, assembly: str, report: str = "ml-cur",
                          period: str = "20261001-20261101") -> Path:
    """A legacy CUR delivery laid out as AWS writes it: period folder, manifest, assembly folder."""
    period_dir = root / report / period
    key = f"cur/{report}/{period}/{assembly}/{report}-1.csv.gz"
    write_cur_csv(period_dir / assembly / f"{report}-1.csv.gz", rows)
    manifest = {
        "assemblyId": assembly,
        "account": "111122223333",
        "columns": [{"category": h.split("/")[0], "name": h.split("/")[1], "type": "String"} for h in rows[0]],
        "compression": "GZIP",
        "contentType": "text/csv",
        "reportName": report,
        "billingPeriod": {"start": f"{period[:8]}T000000.000Z", "end": f"{period[9:]}T000000.000Z"},
        "bucket": "billing-bucket",
        "reportKeys": [key],
    }
    path = period_dir / f"{report}-Manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    shutil.copy(path, period_dir / assembly / path.name)  # AWS writes a copy beside the data too
    return path


@pytest.fixture(scope="session")
def moto_endpoint():
    """A real AWS API server (moto's server mode) on loopback, shared by the S3 and CloudWatch tests."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch, moto_endpoint):
    """Fake credentials for the loopback server only; the standard provider chain reads them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    return moto_endpoint


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def con(db: Path):
    connection = finops.connect(db)
    yield connection
    connection.close()


@pytest.fixture
def run(db: Path, capsys):
    """Run the CLI in-process against the test warehouse; return (exit code, stdout, stderr)."""

    def invoke(*args: str, use_db: bool = True) -> tuple[int, str, str]:
        argv = [*args, "--db", str(db)] if use_db else list(args)
        code = main(argv)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture(scope="session")
def real_cur_warehouse(tmp_path_factory) -> Path:
    """A warehouse holding the real CUR, ingested and built by `finops ingest` once per test process."""
    db = tmp_path_factory.mktemp("real-cur") / "real.duckdb"
    code = main(["ingest", "aws", str(REAL_CUR), "--db", str(db), "--quiet"])
    assert code == 0
    return db


@pytest.fixture
def loaded(real_cur_warehouse: Path, db: Path) -> tuple:
    """The test warehouse already holding the real CUR, so 'unchanged' means something: a copy of
    ``real_cur_warehouse`` (a copy, not a fresh ingest: the same file in a fraction of the time).
    Returns its snapshot."""
    shutil.copyfile(real_cur_warehouse, db)
    return snapshot(db)


def snapshot(db: Path) -> tuple:
    """Everything a failed command must leave as it was: loads and every landed row."""
    if not db.exists():
        return ()
    con = finops.connect(db, read_only=True)
    try:
        return (
            con.execute("select * from loads order by all").fetchall(),
            con.execute("select count(*), sum(line_item_unblended_cost) from raw_aws_cur").fetchall(),
            con.execute("select count(*), sum(BilledCost) from raw_focus").fetchall(),
            con.execute("select count(*), sum(cost), max(x_load_id) from raw_gcp_billing").fetchall(),
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    """Two invoice months of the same ML team, as JSONL, JSONL.gz and Parquet."""
    from finops.demo.generate_gcp import write_gcp_export

    root = tmp_path_factory.mktemp("gcp")
    out = {}
    for fmt, suffix in (("jsonl", "json"), ("jsonl.gz", "json.gz"), ("parquet", "parquet")):
        folder = root / fmt
        write_gcp_export(folder / f"000000000000.{suffix}", "2026-09", rows=1500, seed=3)
        write_gcp_export(folder / f"000000000001.{suffix}", "2026-10", rows=2500, seed=4)
        out[fmt] = folder
    return out


# the report's clock when two warehouses' reports are compared: each read at its own moment would
# differ in as_of and hours behind, which say when the report was read, not what the marts hold
REPORT_AS_OF = dt.datetime(2027, 1, 1)


def report_figures(con, week: str, *, ignore: tuple[str, ...] = ()) -> dict:
    """The weekly report's every section for ``week``, money to the cent, less the ``ignore``d
    columns: what another engine's marts must reproduce, read as of the same moment."""
    from finops.config.report import ReportSettings
    from finops.report.weekly import report_data

    data = report_data(con, week, ReportSettings(), now=REPORT_AS_OF)

    def rounded(value):
        if isinstance(value, float):  # shares: two engines' doubles may differ in the last bits
            return round(value, 4)
        if isinstance(value, Decimal):
            return value.quantize(Decimal("0.01"))
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items() if k != "description" and k not in ignore}
        if isinstance(value, (list, tuple)):
            return [rounded(v) for v in value]
        return value

    return rounded(data)


# Spark settings for tests only: a 2-core machine and bills of a few thousand rows, where Spark's
# default of 200 shuffle partitions is 200 tiny tasks per join; adaptive execution coalesces the rest.
# Interpreted rather than generated code: compiling each new query's Java takes longer than running
# it on a few thousand rows (a warm build of every model, 54 s to 40 s on the 2-core machine).
SPARK_INTERPRETED = {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}
SPARK_TEST_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.sql.adaptive.localShuffleReader.enabled": "true",
    **SPARK_INTERPRETED,
}


@pytest.fixture(scope="session")
def spark_warehouse(tmp_path_factory) -> Path:
    """spark.sql.warehouse.dir of the shared session: a static setting, so one for the whole run."""
    return tmp_path_factory.mktemp("spark-warehouse")


@pytest.fixture(scope="session")
def spark_session(spark_warehouse):
    """The one local Spark session of the test run (tests/test_spark*.py share it: the JVM starts and
    warms up once), stopped at the end. Test modules take ``spark``, which tidies up after each."""
    from finops.engines import spark as engine

    session = engine.session("local[2]", str(spark_warehouse), SPARK_TEST_CONF)
    yield session
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()  # a module may have stopped it and started another
    (active or session).stop()


@pytest.fixture(scope="module")
def spark(spark_session, spark_warehouse):
    """The shared Spark session for one test module, left as the module found it: its temporary
    views dropped, its settings reset, and the tables under spark.sql.warehouse.dir removed, so two
    modules building the same schema name do not see each other's tables. A module that stops the
    session (to start one of its own) gets a fresh local one here."""
    from finops.engines import spark as engine

    session = engine.session("local[2]", str(spark_warehouse), SPARK_TEST_CONF)  # the running one, else a new one
    yield session
    if session.sparkContext._jsc is None:  # stopped by the module
        return
    for table in session.sql("show tables").collect():  # not catalog.listTables(): it needs generated code
        if table.isTemporary:
            session.catalog.dropTempView(table.tableName)
    session.catalog.clearCache()
    session.sql("reset")  # settings a test changed (--spark-conf) go back to the session's own
    for child in spark_warehouse.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


@pytest.fixture(scope="module")
def gcp_warehouse(exports, tmp_path_factory) -> Path:
    """A warehouse built from the two GCP export months of ``exports``."""
    db = tmp_path_factory.mktemp("gcp-warehouse") / "gcp.duckdb"
    with finops.connect(db) as con:
        finops.ingest_gcp(con, exports["parquet"])
    return db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, so the client verifies STARTTLS as it would a real server's."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def smtp_server(tmp_path, monkeypatch):
    """aiosmtpd on 127.0.0.1 that requires STARTTLS and a login; yields (port, received messages, logins)."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts it like any system CA
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received: list[bytes] = []
    logins: list[tuple[str, str]] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.original_content)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
        logins.append((auth_data.login.decode(), "ok" if ok else "refused"))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, authenticator=authenticator, auth_require_tls=True)
    controller.start()
    yield port, received, logins
    controller.stop()
