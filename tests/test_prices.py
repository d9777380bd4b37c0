"""`finops prices refresh`: real boto3 against the Price List API's wire protocol and moto's EC2 on
loopback, the Catalog client injected at its boundary, and the prices mart's order of preference."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import finops
from finops.savings.prices import Price, refresh_prices, store
from tests.conftest import cur_rows, free_port, write_cur_csv
from tests.test_gcp import FakeCatalog, catalog_sku
from tests.test_spot_opportunities import P4D_ON_DEMAND, P4D_SPOT, p4d_run

NOW = dt.datetime(2026, 11, 20, 12, 0)

# PriceList documents in the shape the Price List API returns (product, serviceCode, terms, version,
# publicationDate); the figures are illustrative, not quotes.
P4D = {
    "product": {
        "productFamily": "Compute Instance",
        "sku": "PDQ7YYNTGCK7B7HV",
        "attributes": {
            "servicecode": "AmazonEC2", "location": "US East (N. Virginia)", "locationType": "AWS Region",
            "instanceType": "p4d.24xlarge", "instanceFamily": "GPU instance", "vcpu": "96", "gpu": "8",
            "memory": "1152 GiB", "tenancy": "Shared", "operatingSystem": "Linux", "licenseModel": "No License required",
            "usagetype": "BoxUsage:p4d.24xlarge", "operation": "RunInstances", "capacitystatus": "Used",
            "preInstalledSw": "NA", "regionCode": "us-east-1", "servicename": "Amazon Elastic Compute Cloud",
        },
    },
    "serviceCode": "AmazonEC2",
    "terms": {
        "OnDemand": {"PDQ7YYNTGCK7B7HV.JRTCKXETXF": {
            "priceDimensions": {"PDQ7YYNTGCK7B7HV.JRTCKXETXF.6YS6EN2CT7": {
                "unit": "Hrs", "endRange": "Inf", "beginRange": "0", "appliesTo": [],
                "description": "$21.9576 per On Demand Linux p4d.24xlarge Instance Hour",
                "rateCode": "PDQ7YYNTGCK7B7HV.JRTCKXETXF.6YS6EN2CT7", "pricePerUnit": {"USD": "21.9576000000"}}},
            "sku": "PDQ7YYNTGCK7B7HV", "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF",
            "termAttributes": {}}},
        "Reserved": {
            "PDQ7YYNTGCK7B7HV.4NA7Y494T4": {
                "priceDimensions": {"PDQ7YYNTGCK7B7HV.4NA7Y494T4.6YS6EN2CT7": {
                    "unit": "Hrs", "description": "Linux/UNIX (Amazon VPC), p4d.24xlarge reserved instance applied",
                    "pricePerUnit": {"USD": "13.8333000000"}, "appliesTo": [], "beginRange": "0", "endRange": "Inf",
                    "rateCode": "PDQ7YYNTGCK7B7HV.4NA7Y494T4.6YS6EN2CT7"}},
                "sku": "PDQ7YYNTGCK7B7HV", "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "4NA7Y494T4",
                "termAttributes": {"LeaseContractLength": "1yr", "OfferingClass": "standard", "PurchaseOption": "No Upfront"}},
            "PDQ7YYNTGCK7B7HV.BPH4J8HBKS": {
                "priceDimensions": {"PDQ7YYNTGCK7B7HV.BPH4J8HBKS.6YS6EN2CT7": {
                    "unit": "Hrs", "description": "Linux/UNIX (Amazon VPC), p4d.24xlarge reserved instance applied",
                    "pricePerUnit": {"USD": "9.6613000000"}, "appliesTo": [], "beginRange": "0", "endRange": "Inf",
                    "rateCode": "PDQ7YYNTGCK7B7HV.BPH4J8HBKS.6YS6EN2CT7"}},
                "sku": "PDQ7YYNTGCK7B7HV", "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "BPH4J8HBKS",
                "termAttributes": {"LeaseContractLength": "3yr", "OfferingClass": "standard", "PurchaseOption": "No Upfront"}},
            "PDQ7YYNTGCK7B7HV.HU7G6KETJZ": {  # partial upfront: an hourly fee plus a Quantity fee, not what we take
                "priceDimensions": {
                    "PDQ7YYNTGCK7B7HV.HU7G6KETJZ.2TG2D8R56U": {
                        "unit": "Quantity", "description": "Upfront Fee", "pricePerUnit": {"USD": "59000"}, "appliesTo": [],
                        "rateCode": "PDQ7YYNTGCK7B7HV.HU7G6KETJZ.2TG2D8R56U"},
                    "PDQ7YYNTGCK7B7HV.HU7G6KETJZ.6YS6EN2CT7": {
                        "unit": "Hrs", "description": "Linux/UNIX (Amazon VPC), p4d.24xlarge reserved instance applied",
                        "pricePerUnit": {"USD": "6.7353000000"}, "appliesTo": [], "beginRange": "0", "endRange": "Inf",
                        "rateCode": "PDQ7YYNTGCK7B7HV.HU7G6KETJZ.6YS6EN2CT7"}},
                "sku": "PDQ7YYNTGCK7B7HV", "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "HU7G6KETJZ",
                "termAttributes": {"LeaseContractLength": "1yr", "OfferingClass": "standard", "PurchaseOption": "Partial Upfront"}},
        },
    },
    "version": "20261101000000",
    "publicationDate": "2026-11-01T00:00:00Z",
}

SAGEMAKER_TRAINING = {
    "product": {
        "productFamily": "ML Instance",
        "sku": "2W6FWTWPCR5ZGH7Q",
        "attributes": {
            "servicecode": "AmazonSageMaker", "location": "US East (N. Virginia)", "locationType": "AWS Region",
            "instanceName": "ml.p4d.24xlarge", "instanceType": "ml.p4d.24xlarge", "component": "Training",
            "usagetype": "USE1-Train:ml.p4d.24xlarge", "operation": "RunInstance", "regionCode": "us-east-1",
            "vCpu": "96", "gpu": "8", "computeType": "Accelerated Computing", "servicename": "Amazon SageMaker",
        },
    },
    "serviceCode": "AmazonSageMaker",
    "terms": {"OnDemand": {"2W6FWTWPCR5ZGH7Q.JRTCKXETXF": {
        "priceDimensions": {"2W6FWTWPCR5ZGH7Q.JRTCKXETXF.6YS6EN2CT7": {
            "unit": "Hrs", "endRange": "Inf", "beginRange": "0", "appliesTo": [],
            "description": "$25.2513 per Hour for Training:ml.p4d.24xlarge in US East (N. Virginia)",
            "rateCode": "2W6FWTWPCR5ZGH7Q.JRTCKXETXF.6YS6EN2CT7", "pricePerUnit": {"USD": "25.2513000000"}}},
        "sku": "2W6FWTWPCR5ZGH7Q", "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF",
        "termAttributes": {}}}},
    "version": "20261101000000",
    "publicationDate": "2026-11-01T00:00:00Z",
}

# a Training product priced per Quantity (a plan's upfront fee): matches the filters, has no hourly price
SAGEMAKER_UPFRONT_FEE = {
    "product": {
        "productFamily": "ML Instance",
        "sku": "ZZ4T7QFMVXJ2EXAM",
        "attributes": {"servicecode": "AmazonSageMaker", "instanceName": "ml.p4d.24xlarge", "component": "Training",
                       "usagetype": "USE1-TrainingPlanUpfrontFee:ml.p4d.24xlarge", "regionCode": "us-east-1"},
    },
    "serviceCode": "AmazonSageMaker",
    "terms": {"OnDemand": {"ZZ4T7QFMVXJ2EXAM.JRTCKXETXF": {
        "priceDimensions": {"ZZ4T7QFMVXJ2EXAM.JRTCKXETXF.6YS6EN2CT7": {
            "unit": "Quantity", "pricePerUnit": {"USD": "13.5700000000"}, "appliesTo": [],
            "description": "Upfront fee", "rateCode": "ZZ4T7QFMVXJ2EXAM.JRTCKXETXF.6YS6EN2CT7"}},
        "sku": "ZZ4T7QFMVXJ2EXAM", "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF",
        "termAttributes": {}}}},
    "version": "20261101000000",
    "publicationDate": "2026-11-01T00:00:00Z",
}


@pytest.fixture
def pricing_api():
    """The Price List API's JSON 1.1 protocol on loopback: GetProducts with TERM_MATCH filters, one
    product a page so every client has to follow NextToken. Yields (endpoint, requests seen)."""
    products = [SAGEMAKER_UPFRONT_FEE, P4D, SAGEMAKER_TRAINING]
    requests: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append({"target": self.headers["X-Amz-Target"], "signed": "Authorization" in self.headers, **body})
            if self.headers["X-Amz-Target"] != "AWSPriceListService.GetProducts":
                return self._answer(400, {"__type": "InvalidParameterException", "Message": "unsupported"})
            matching = [
                p for p in products
                if p["serviceCode"] == body["ServiceCode"]
                and all(p["product"]["attributes"].get(f["Field"]) == f["Value"] for f in body.get("Filters", []))
            ]
            start = int(body.get("NextToken") or 0)
            answer = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in matching[start:start + 1]]}
            if start + 1 < len(matching):
                answer["NextToken"] = str(start + 1)
            self._answer(200, answer)

        def _answer(self, status, document):
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # keep pytest's output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def aws_apis(aws_env, pricing_api, monkeypatch):
    """boto3's own per-service endpoint settings point Pricing and EC2 at the loopback servers."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", pricing_api[0])
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", aws_env)
    return pricing_api[1]


def price_rows(con, item: str, provider: str = "AWS") -> dict[str, tuple]:
    return {kind: (price, source) for kind, price, source in con.execute(
        "select price_kind, unit_price, source from prices where provider = ? and item = ? and region in ('us-east-1', 'us-central1')",
        [provider, item]).fetchall()}


def test_refresh_reads_the_price_list_and_spot_history_and_the_mart_prefers_them(run, db, aws_apis):
    code, out, err = run("prices", "refresh", "--provider", "aws", "--region", "us-east-1")
    assert (code, err) == (0, "")
    # p4d on demand, 1 and 3 years, ml.p4d on demand; moto prices spot for every EC2 GPU type it offers
    assert out.splitlines()[0] == "AWS: AWS Price List API: 4 prices refreshed"
    assert re.fullmatch(r"AWS: EC2 spot price history: \d+ prices refreshed", out.splitlines()[1])
    # every request was a signed GetProducts; the SageMaker type took two pages (the upfront fee first)
    assert {r["target"] for r in aws_apis} == {"AWSPriceListService.GetProducts"} and all(r["signed"] for r in aws_apis)
    sagemaker = [r for r in aws_apis if r["ServiceCode"] == "AmazonSageMaker"
                 and {"Field": "instanceName", "Type": "TERM_MATCH", "Value": "ml.p4d.24xlarge"} in r["Filters"]]
    assert [r.get("NextToken") for r in sagemaker] == [None, "1"]

    con = finops.connect(db)
    finops.build(con)
    p4d = price_rows(con, "p4d.24xlarge")
    assert p4d["on_demand"] == (Decimal("21.9576"), "AWS Price List API")
    assert p4d["commit_1y"] == (Decimal("13.8333"), "AWS Price List API")  # No Upfront, not Partial Upfront
    assert p4d["commit_3y"] == (Decimal("9.6613"), "AWS Price List API")
    assert p4d["spot"] == (Decimal("0.00001"), "EC2 spot price history, mean over 30 days")  # moto's spot price
    # SageMaker: the Training price; no commitment rate in the Price List, so the bundled one stays
    ml = price_rows(con, "ml.p4d.24xlarge")
    assert ml["on_demand"] == (Decimal("25.2513"), "AWS Price List API")
    assert ml["commit_1y"][1] == "approximate public price snapshot"
    # what the Price List did not answer for keeps the bundled price, dated as before
    assert con.execute("select as_of, unit_price, source from prices where item = 'g5.xlarge' and price_kind = 'on_demand'"
                       ).fetchone() == (dt.date(2025, 6, 1), Decimal("1.006"), "approximate public price snapshot")
    assert con.execute("select distinct as_of from prices where source = 'AWS Price List API'").fetchall() == [
        (dt.datetime.now(dt.UTC).date(),)]
    # a second refresh replaces the rows it read again instead of adding to them
    before = con.execute("select count(*) from refreshed_prices").fetchone()
    con.close()
    assert run("prices", "refresh", "--provider", "aws", "--region", "us-east-1")[0] == 0
    con = finops.connect(db)
    assert con.execute("select count(*) from refreshed_prices").fetchone() == before
    assert con.execute("select count(*) from refreshed_prices group by provider, service, item, region, price_kind "
                       "having count(*) > 1").fetchall() == []
    con.close()


def test_offline_keeps_the_bundled_prices_says_so_per_source_and_exits_1(run, db, aws_env, monkeypatch, tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", closed)
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", closed)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-such-key.json"))
    monkeypatch.setenv("NO_GCE_CHECK", "true")  # never ask a metadata server
    code, out, err = run("prices", "refresh")
    lines = err.strip().splitlines()
    assert (code, out, len(lines)) == (1, "", 3)
    assert lines[0].startswith("finops: prices refresh: AWS: AWS Price List API: not refreshed (EndpointConnectionError: ")
    assert lines[1].startswith("finops: prices refresh: AWS: EC2 spot price history: not refreshed (EndpointConnectionError: ")
    assert lines[2].startswith("finops: prices refresh: GCP: Cloud Billing Catalog: not refreshed (")
    assert all(line.endswith("keeping the bundled or previously refreshed prices") for line in lines)
    assert "testing" not in err  # the (fake) credentials are never printed
    con = finops.connect(db)
    finops.build(con)
    assert price_rows(con, "p4d.24xlarge")["on_demand"] == (P4D_ON_DEMAND, "approximate public price snapshot")
    assert price_rows(con, "p4d.24xlarge")["spot"] == (P4D_SPOT, "approximate public price snapshot")
    con.close()


def test_no_credentials_is_one_line_too(run, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance metadata service
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", f"http://127.0.0.1:{free_port()}")
    code, _, err = run("prices", "refresh", "--provider", "aws")
    assert code == 1
    assert err.splitlines()[0] == ("finops: prices refresh: AWS: AWS Price List API: not refreshed "
                                   "(NoCredentialsError: Unable to locate credentials); keeping the bundled or "
                                   "previously refreshed prices")


def test_catalog_prices_replace_the_gcp_snapshot(con):
    client = FakeCatalog([
        catalog_sku("Nvidia Tesla A100 GPU running in Americas", "GPU", "OnDemand", 2, 750000000),
        catalog_sku("Nvidia Tesla A100 GPU attached to Spot Preemptible VMs running in Americas", "GPU", "Preemptible", 1, 0),
        catalog_sku("A2 Instance Ram running in Americas", "RAM", "OnDemand", 0, 4100000, unit="GiBy.h"),
    ])
    results = refresh_prices(con, providers=("gcp",), catalog_client=client, now=NOW)
    assert [r.line() for r in results] == ["GCP: Cloud Billing Catalog: 3 prices refreshed"]
    finops.build(con)
    assert price_rows(con, "Nvidia Tesla A100 GPU running in Americas", "Google Cloud")["on_demand"] == (
        Decimal("2.75"), "Cloud Billing Catalog")
    assert con.execute("select unit, unit_price, as_of from prices where item = 'A2 Instance Ram running in Americas'"
                       ).fetchone() == ("GiBy.h", Decimal("0.0041"), NOW.date())
    # a SKU the Catalog did not return keeps the snapshot's price
    assert price_rows(con, "Nvidia L4 GPU running in Americas", "Google Cloud")["on_demand"] == (
        Decimal("0.56004"), "approximate Cloud Billing Catalog snapshot")


def test_a_price_seen_on_the_bill_beats_the_refreshed_and_the_bundled_one(con, tmp_path):
    store(con, [Price("AWS", "AmazonEC2", "p4d.24xlarge", "us-east-1", kind, "h", Decimal(price), "AWS Price List API")
                for kind, price in (("on_demand", "21.9576"), ("spot", "8.10"), ("commit_1y", "13.8333"))], NOW)
    bill_rate = Decimal("30.00")  # what this bill's public on-demand rate says
    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(
        {**p4d_run("4"), "pricing/publicOnDemandRate": str(bill_rate), "pricing/publicOnDemandCost": "120.00",
         "lineItem/UnblendedRate": str(bill_rate), "lineItem/UnblendedCost": "120.00"},
        # two spot hour-lines of another instance: 2 h at 9.00 and 1 h at 9.60, a rate of 28.80 / 3 = 9.60
        {**p4d_run("2"), "lineItem/UsageType": "USE1-SpotUsage:p4d.24xlarge", "lineItem/UnblendedRate": "9.00",
         "lineItem/UnblendedCost": "18.00", "pricing/publicOnDemandCost": "60.00", "lineItem/ResourceId": "i-0spot"},
        {**p4d_run("1"), "lineItem/UsageType": "USE1-SpotUsage:p4d.24xlarge", "lineItem/UnblendedRate": "10.80",
         "lineItem/UnblendedCost": "10.80", "pricing/publicOnDemandCost": "30.00", "lineItem/ResourceId": "i-0spot",
         "identity/TimeInterval": "2026-10-01T01:00:00Z/2026-10-01T02:00:00Z",
         "lineItem/UsageStartDate": "2026-10-01T01:00:00Z", "lineItem/UsageEndDate": "2026-10-01T02:00:00Z"},
    )))
    p4d = con.execute(
        "select price_kind, unit_price, source, as_of from prices where item = 'p4d.24xlarge' and region = 'us-east-1'"
    ).fetchall()
    assert sorted(p4d) == [
        ("commit_1y", Decimal("13.8333"), "AWS Price List API", NOW.date()),  # not on the bill: refreshed
        ("commit_3y", Decimal("14.0922"), "approximate public price snapshot", dt.date(2025, 6, 1)),  # only bundled
        ("on_demand", bill_rate, "bill: public on-demand rate of on-demand usage, last 30 days", dt.date(2026, 10, 1)),
        ("spot", Decimal("9.6"), "bill: rate paid for spot usage, last 30 days", dt.date(2026, 10, 1)),
    ]


def test_gcp_gpu_prices_seen_on_the_bill_beat_the_snapshot(con, exports):
    finops.ingest_gcp(con, exports["parquet"])
    seen = con.execute(
        """select item, region, price_kind, unit_price, source from prices
           where provider = 'Google Cloud' and source like 'bill:%' order by all"""
    ).fetchall()
    assert seen, "the generated export bills GPU SKUs the snapshot prices"
    item, region, kind, unit_price, _ = seen[0]
    # the same rate computed by hand from costs: the key's last 30 days on the bill
    (expected,) = con.execute(
        """with usage as (
               select cast(ChargePeriodStart as date) as day, PricingQuantity as hours,
                      case when ? = 'spot' then EffectiveCost else coalesce(nullif(ListCost, 0), BilledCost) end as cost
               from costs
               where SkuMeter = ? and RegionId = ? and ChargeCategory = 'Usage' and x_RowKind = 'line_item'
                 and PricingUnit = 'Hours' and PricingQuantity > 0)
           select cast(sum(cost) / sum(hours) as decimal(38, 10)) from usage
           where day > (select max(day) from usage) - interval 30 day""",
        [kind, item, region],
    ).fetchone()
    assert unit_price == expected
    (snapshot,) = con.execute(
        "select unit_price_usd from gcp_sku_prices where sku_description = ? and region = ?", [item, region]
    ).fetchone()
    assert float(unit_price) != snapshot


def test_prices_refreshed_after_the_last_build_make_the_next_refresh_build(con, tmp_path):
    # savings_opportunities is a table: without a build it would go on pricing with the old prices
    from finops.models.builder import needs_build

    finops.ingest_aws(con, write_cur_csv(tmp_path / "cur.csv", cur_rows(p4d_run("4"))))
    assert not needs_build(con)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store(con, [Price("AWS", "AmazonEC2", "p4d.24xlarge", "us-east-1", "commit_1y", "h", Decimal("13.8333"),
                      "AWS Price List API")], now)
    assert needs_build(con)
    finops.build(con)
    assert not needs_build(con)
