"""The FOCUS 1.2 columns of ``costs``, in the order the spec lists them, with DuckDB types.

One list serves three purposes: the type of each column a FOCUS file is read into, the column
order of the ``costs`` mart, and the columns written by ``finops export focus``.
"""

from __future__ import annotations

from finops.warehouse.columns.cur import MONEY

FOCUS_COLUMNS: dict[str, str] = {
    "AvailabilityZone": "VARCHAR",
    "BilledCost": MONEY,
    "BillingAccountId": "VARCHAR",
    "BillingAccountName": "VARCHAR",
    "BillingAccountType": "VARCHAR",
    "BillingCurrency": "VARCHAR",
    "BillingPeriodEnd": "TIMESTAMP",
    "BillingPeriodStart": "TIMESTAMP",
    "CapacityReservationId": "VARCHAR",
    "CapacityReservationStatus": "VARCHAR",
    "ChargeCategory": "VARCHAR",
    "ChargeClass": "VARCHAR",
    "ChargeDescription": "VARCHAR",
    "ChargeFrequency": "VARCHAR",
    "ChargePeriodEnd": "TIMESTAMP",
    "ChargePeriodStart": "TIMESTAMP",
    "CommitmentDiscountCategory": "VARCHAR",
    "CommitmentDiscountId": "VARCHAR",
    "CommitmentDiscountName": "VARCHAR",
    "CommitmentDiscountQuantity": MONEY,
    "CommitmentDiscountStatus": "VARCHAR",
    "CommitmentDiscountType": "VARCHAR",
    "CommitmentDiscountUnit": "VARCHAR",
    "ConsumedQuantity": MONEY,
    "ConsumedUnit": "VARCHAR",
    "ContractedCost": MONEY,
    "ContractedUnitPrice": MONEY,
    "EffectiveCost": MONEY,
    "InvoiceId": "VARCHAR",
    "InvoiceIssuerName": "VARCHAR",
    "ListCost": MONEY,
    "ListUnitPrice": MONEY,
    "PricingCategory": "VARCHAR",
    "PricingCurrency": "VARCHAR",
    "PricingCurrencyContractedUnitPrice": MONEY,
    "PricingCurrencyEffectiveCost": MONEY,
    "PricingCurrencyListUnitPrice": MONEY,
    "PricingQuantity": MONEY,
    "PricingUnit": "VARCHAR",
    "ProviderName": "VARCHAR",
    "PublisherName": "VARCHAR",
    "RegionId": "VARCHAR",
    "RegionName": "VARCHAR",
    "ResourceId": "VARCHAR",
    "ResourceName": "VARCHAR",
    "ResourceType": "VARCHAR",
    "ServiceCategory": "VARCHAR",
    "ServiceName": "VARCHAR",
    "ServiceSubcategory": "VARCHAR",
    "SkuId": "VARCHAR",
    "SkuMeter": "VARCHAR",
    "SkuPriceDetails": "MAP(VARCHAR, VARCHAR)",
    "SkuPriceId": "VARCHAR",
    "SubAccountId": "VARCHAR",
    "SubAccountName": "VARCHAR",
    "SubAccountType": "VARCHAR",
    "Tags": "MAP(VARCHAR, VARCHAR)",
}

REQUIRED_FOCUS_COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "EffectiveCost",
    "ProviderName",
)
"""A file without these is not FOCUS data we can count: no money, period or owner."""
