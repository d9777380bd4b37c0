"""GCP list prices for GPU and machine SKUs, for the savings estimates (spot, commitments).

Online, prices come from the Cloud Billing Catalog (google-cloud-billing,
``CloudCatalogClient.list_skus``): on demand, spot (``Preemptible``) and 1- and 3-year commitment
(``Commit1Yr``, ``Commit3Yr``) rates of the GPU, CPU and RAM SKUs. Offline, or when the Catalog
cannot be reached (no credentials, no network, library missing), the bundled dated snapshot
``sql/seeds/gcp_sku_prices.csv`` is used, and the result says so.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal

from finops.resources import resource_dir

COMPUTE_ENGINE = "services/6F81-5844-456A"
USAGE_TYPES = ("OnDemand", "Preemptible", "Commit1Yr", "Commit3Yr")
RESOURCE_GROUPS = ("GPU", "CPU", "RAM")


@dataclass(frozen=True)
class SkuPrice:
    sku_description: str
    resource_group: str
    usage_type: str
    region: str
    unit: str
    unit_price_usd: Decimal
    as_of: str  # 'catalog' for live prices, else the snapshot's date


@dataclass
class PriceTable:
    prices: list[SkuPrice]
    source: str  # 'catalog' or 'snapshot <date>'
    reason: str = ""  # why the snapshot was used

    def price(self, sku_description: str, usage_type: str, region: str = "us-central1") -> Decimal | None:
        for p in self.prices:
            if p.sku_description == sku_description and p.usage_type == usage_type and p.region in (region, "global"):
                return p.unit_price_usd
        return None


def bundled_prices() -> PriceTable:
    """The offline snapshot shipped with finops."""
    path = resource_dir("sql") / "seeds" / "gcp_sku_prices.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    prices = [
        SkuPrice(r["sku_description"], r["resource_group"], r["usage_type"], r["region"], r["unit"],
                 Decimal(r["unit_price_usd"]), r["as_of"])
        for r in rows
    ]
    return PriceTable(prices, f"snapshot {max(p.as_of for p in prices)}")


def fetch_prices(client: object | None = None, *, service: str = COMPUTE_ENGINE,
                 regions: tuple[str, ...] | None = None) -> PriceTable:
    """Live prices from the Cloud Billing Catalog; the bundled snapshot when it cannot be read."""
    try:
        if client is None:
            from google.cloud import billing_v1  # deferred: heavy, and only this path needs it

            client = billing_v1.CloudCatalogClient()
        prices = []
        for sku in client.list_skus(parent=service):
            category = sku.category
            if category.resource_group not in RESOURCE_GROUPS or category.usage_type not in USAGE_TYPES:
                continue
            if not sku.pricing_info:
                continue
            expression = sku.pricing_info[0].pricing_expression
            if not expression.tiered_rates:
                continue
            rate = expression.tiered_rates[-1].unit_price  # the rate past the free tier, if any
            price = Decimal(int(rate.units or 0)) + Decimal(int(rate.nanos or 0)) / Decimal(10**9)
            for region in sku.service_regions or ["global"]:
                if regions and region not in regions:
                    continue
                prices.append(SkuPrice(sku.description, category.resource_group, category.usage_type, region,
                                       expression.usage_unit, price, "catalog"))
    except Exception as exc:  # ImportError, DefaultCredentialsError, network errors from google-api-core
        table = bundled_prices()
        table.reason = f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
        return table
    return PriceTable(prices, "catalog")
