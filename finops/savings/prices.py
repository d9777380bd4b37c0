"""``finops prices refresh``: today's public GPU prices from the providers' APIs into ``refreshed_prices``.

- AWS Price List API (``pricing.get_products``, served from us-east-1): the on-demand hourly price of
  every EC2 and SageMaker instance type the bundled table covers (``sql/seeds/instance_prices.csv``),
  and for EC2 the 1- and 3-year standard No Upfront Reserved Instance rates (the closest published
  rate to a no-upfront Savings Plan). SageMaker publishes no commitment rate there.
- EC2 spot price history (``ec2.describe_spot_price_history``): the mean Linux/UNIX spot price over
  the look-back, across availability zones.
- GCP Cloud Billing Catalog (``CloudCatalogClient.list_skus``, through finops.gcp_prices): GPU, CPU
  and RAM SKUs, on demand, Preemptible, Commit1Yr and Commit3Yr.

Each source that answers replaces its earlier rows for the same keys, all in one transaction; one that
cannot be reached (no network, no credentials, no library) is reported in one line and its earlier
or bundled prices stay in use. The ``prices`` mart prefers prices seen on the bill, then these, then
the bundled seeds.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from finops.resources import resource_dir
from finops.savings.gcp_catalog import fetch_prices
from finops.warehouse.connection import transaction
from finops.warehouse.schema import REFRESHED_PRICES_COLUMNS

PRICING_REGION = "us-east-1"  # where the Price List API is served
SPOT_PRODUCT = "Linux/UNIX"
COMMIT_KINDS = {"1yr": "commit_1y", "3yr": "commit_3y"}
GCP_KINDS = {"OnDemand": "on_demand", "Preemptible": "spot", "Commit1Yr": "commit_1y", "Commit3Yr": "commit_3y"}

AwsClient = Callable[[str, str], Any]  # (service, region) -> a boto3 client


@dataclass(frozen=True)
class Price:
    provider: str
    service: str
    item: str
    region: str
    price_kind: str
    unit: str
    unit_price: Decimal
    source: str


@dataclass(frozen=True)
class SourceResult:
    """What one API gave: the prices read, or why none were."""

    provider: str
    source: str
    prices: list[Price]
    problem: str | None = None

    def line(self) -> str:
        if self.problem:
            return (f"{self.provider}: {self.source}: not refreshed ({self.problem}); "
                    "keeping the bundled or previously refreshed prices")
        return f"{self.provider}: {self.source}: {len(self.prices):,} prices refreshed"


def refresh_prices(
    con: duckdb.DuckDBPyConnection,
    *,
    providers: Iterable[str] = ("aws", "gcp"),
    aws_client: AwsClient | None = None,
    catalog_client: object | None = None,
    lookback_days: int = 30,
    regions: Iterable[str] | None = None,
    now: dt.datetime | None = None,
) -> list[SourceResult]:
    """Read each provider's prices and store what was read; one result per API, in a fixed order."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    providers = set(providers)
    aws_client = aws_client or _boto3_client
    covered = bundled_instance_types()
    results: list[SourceResult] = []
    if "aws" in providers:
        aws_regions = sorted(set(regions or ()) or _regions(con, "AWS", {r for _, _, r in covered}))
        results.append(aws_list_prices(aws_client, covered, aws_regions))
        results.append(aws_spot_prices(aws_client, covered, aws_regions, now - dt.timedelta(days=lookback_days), now))
    if "gcp" in providers:
        results.append(gcp_catalog_prices(catalog_client, set(regions or ()) or _regions(con, "Google Cloud", {"us-central1"})))
    store(con, [p for r in results for p in r.prices], now)
    return results


def bundled_instance_types() -> set[tuple[str, str, str]]:
    """(service, instance type, region) of the bundled AWS table: what a refresh looks up."""
    path = resource_dir("sql") / "seeds" / "instance_prices.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {(row["service"], row["instance_type"], row["region"]) for row in csv.DictReader(fh)}


def _regions(con: duckdb.DuckDBPyConnection, provider: str, default: set[str]) -> set[str]:
    """The bundled table's regions and every region the bill shows GPU usage in."""
    try:
        rows = con.execute(
            "select distinct RegionId from allocated_costs where ProviderName = ? and x_GpuHours > 0 and RegionId is not null",
            [provider],
        ).fetchall()
    except duckdb.CatalogException:  # nothing built yet
        rows = []
    return default | {region for (region,) in rows}


def _boto3_client(service: str, region: str) -> Any:
    """A client that gives up quickly when offline (two attempts, short connect timeout), from a new
    session so it reads the credentials and endpoints in force now."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.session.Session().client(service, region_name=region, config=config)


def aws_list_prices(client: AwsClient, covered: set[tuple[str, str, str]], regions: list[str]) -> SourceResult:
    """On-demand (and for EC2 Reserved) hourly prices from the Price List API, one query per type and region."""
    import botocore.exceptions

    source = "AWS Price List API"
    prices: list[Price] = []
    try:
        paginator = client("pricing", PRICING_REGION).get_paginator("get_products")
        for service, instance_type in sorted({(s, t) for s, t, _ in covered}):
            for region in regions:
                filters = _filters(service, instance_type, region)
                for page in paginator.paginate(ServiceCode=service, Filters=filters, FormatVersion="aws_v1"):
                    found = [p for item in page["PriceList"]  # each product is a JSON document in a string
                             for p in parse_price_item(json.loads(item), service, instance_type, region)]
                    if found:  # the first product with an hourly price; later pages are other variants
                        prices += found
                        break
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        return SourceResult("AWS", source, [], _reason(exc))
    return SourceResult("AWS", source, prices)


def _filters(service: str, instance_type: str, region: str) -> list[dict[str, str]]:
    if service == "AmazonSageMaker":
        terms = {"instanceName": instance_type, "regionCode": region, "component": "Training"}
    else:  # the plain Linux, shared-tenancy, no-software price: what the spot price compares with
        terms = {"instanceType": instance_type, "regionCode": region, "operatingSystem": "Linux",
                 "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used"}
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in terms.items()]


def parse_price_item(item: dict, service: str, instance_type: str, region: str) -> list[Price]:
    """A PriceList document's hourly on-demand price and 1-/3-year No Upfront Reserved rates."""
    terms = item.get("terms", {})
    on_demand = _hourly(term for term in terms.get("OnDemand", {}).values())
    if on_demand is None:
        return []  # e.g. an upfront-fee product, priced per Quantity
    source = "AWS Price List API"
    prices = [Price("AWS", service, instance_type, region, "on_demand", "h", on_demand, source)]
    for length, kind in COMMIT_KINDS.items():
        reserved = [t for t in terms.get("Reserved", {}).values()
                    if t.get("termAttributes", {}).get("LeaseContractLength") == length
                    and t["termAttributes"].get("PurchaseOption") == "No Upfront"
                    and t["termAttributes"].get("OfferingClass", "standard") == "standard"]
        rate = _hourly(reserved)
        if rate is not None:
            prices.append(Price("AWS", service, instance_type, region, kind, "h", rate, source))
    return prices


def _hourly(terms: Iterable[dict]) -> Decimal | None:
    """The first positive USD price per hour among the terms' price dimensions."""
    for term in terms:
        for dimension in term.get("priceDimensions", {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if dimension.get("unit") in ("Hrs", "Hours") and usd and Decimal(usd) > 0:
                return Decimal(usd)
    return None


def aws_spot_prices(client: AwsClient, covered: set[tuple[str, str, str]], regions: list[str],
                    start: dt.datetime, end: dt.datetime) -> SourceResult:
    """Mean EC2 spot price per instance type and region over [start, end], across availability zones."""
    import botocore.exceptions

    source = "EC2 spot price history"
    types = sorted({t for s, t, _ in covered if s == "AmazonEC2"})
    prices: list[Price] = []
    try:
        for region in regions:
            seen: dict[str, list[Decimal]] = defaultdict(list)
            paginator = client("ec2", region).get_paginator("describe_spot_price_history")
            for page in paginator.paginate(InstanceTypes=types, ProductDescriptions=[SPOT_PRODUCT],
                                           StartTime=start, EndTime=end):
                for record in page["SpotPriceHistory"]:
                    seen[record["InstanceType"]].append(Decimal(record["SpotPrice"]))
            for instance_type, values in sorted(seen.items()):
                mean = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("1e-10"))
                prices.append(Price("AWS", "AmazonEC2", instance_type, region, "spot", "h", mean,
                                    f"{source}, mean over {(end - start).days} days"))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        return SourceResult("AWS", source, [], _reason(exc))
    return SourceResult("AWS", source, prices)


def gcp_catalog_prices(client: object | None, regions: set[str]) -> SourceResult:
    """Compute Engine GPU, CPU and RAM SKU prices from the Cloud Billing Catalog."""
    source = "Cloud Billing Catalog"
    table = fetch_prices(client, regions=tuple(sorted(regions)))
    if table.source != "catalog":
        return SourceResult("GCP", source, [], table.reason or "unavailable")
    return SourceResult("GCP", source, [
        Price("Google Cloud", "Compute Engine", p.sku_description, p.region, GCP_KINDS[p.usage_type], p.unit,
              p.unit_price_usd, source)
        for p in table.prices
    ])


def store(con: duckdb.DuckDBPyConnection, prices: list[Price], now: dt.datetime) -> None:
    """Replace the stored rows of every key read, in one transaction (nothing read: nothing changes)."""
    if not prices:
        return
    latest = {(p.provider, p.service, p.item, p.region, p.price_kind): p for p in prices}
    new = pa.table({
        "as_of": pa.array([now.date()] * len(latest), pa.date32()),
        **{name: pa.array([getattr(p, name) for p in latest.values()], pa.string())
           for name in ("provider", "service", "item", "region", "price_kind", "unit")},
        "unit_price": pa.array([p.unit_price for p in latest.values()], pa.decimal128(38, 10)),
        "source": pa.array([p.source for p in latest.values()], pa.string()),
        "refreshed_at": pa.array([now] * len(latest), pa.timestamp("us")),
    })
    columns = ", ".join(REFRESHED_PRICES_COLUMNS)
    with transaction(con):
        con.register("new_prices", new)
        try:
            con.execute(
                """delete from refreshed_prices as old where exists (
                       select 1 from new_prices as n
                       where n.provider = old.provider and n.service = old.service and n.item = old.item
                         and n.region = old.region and n.price_kind = old.price_kind)"""
            )
            con.execute(f"insert into refreshed_prices ({columns}) select {columns} from new_prices")
        finally:
            con.unregister("new_prices")


def _reason(exc: BaseException) -> str:
    """The exception's first line: botocore's messages name the problem, never the credentials."""
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0]}" if text else exc.__class__.__name__
