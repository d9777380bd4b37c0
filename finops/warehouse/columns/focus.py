"""The FOCUS columns finops reads and keeps, with DuckDB types, and how to tell the versions apart.

``FOCUS_COLUMNS`` (FOCUS 1.2, in the order the spec lists them) serves three purposes: the type of
each column a FOCUS file is read into, the column order of the ``costs`` mart, and the columns
written by ``finops export focus``. ``FOCUS_1_3_COLUMNS`` are the columns FOCUS 1.3 and 1.4 added,
kept in ``raw_focus`` too; ``costs`` carries the two of them every provider has a source for
(``COSTS_1_3_COLUMNS``). ``CONTRACT_COMMITMENT_COLUMNS`` are the Contract Commitment dataset's.
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

JSON_TEXT = "VARCHAR"  # JSON objects and arrays (ContractApplied, AllocatedMethodDetails, ...), kept as their text

FOCUS_1_3_COLUMNS: dict[str, str] = {
    "AllocatedMethodDetails": JSON_TEXT,
    "AllocatedMethodId": "VARCHAR",
    "AllocatedResourceId": "VARCHAR",
    "AllocatedResourceName": "VARCHAR",
    "AllocatedTags": "MAP(VARCHAR, VARCHAR)",
    "CommitmentProgramEligibilityDetails": JSON_TEXT,
    "ContractApplied": JSON_TEXT,
    "HostProviderName": "VARCHAR",
    "ServiceProviderName": "VARCHAR",
}
"""Columns FOCUS 1.3 and 1.4 added to the Cost and Usage dataset."""

COSTS_1_3_COLUMNS = ("ServiceProviderName", "HostProviderName")
"""The FOCUS 1.3/1.4 columns ``costs`` carries after the 1.2 ones: every provider has a source for them."""

DEPRECATED_ALIASES = {"ProviderName": "ServiceProviderName", "PublisherName": "ServiceProviderName"}
"""FOCUS 1.4 removed these; a file without them fills them from their replacement, so SQL written
against FOCUS 1.2 keeps working on every version."""

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
)
"""A file without these (and without ProviderName or ServiceProviderName) is not FOCUS data we can
count: no money, period or owner."""

CONTRACT_COMMITMENT_COLUMNS: dict[str, str] = {
    "BillingCurrency": "VARCHAR",
    "ContractCommitmentCategory": "VARCHAR",
    "ContractCommitmentCost": MONEY,
    "ContractCommitmentDescription": "VARCHAR",
    "ContractCommitmentId": "VARCHAR",
    "ContractCommitmentPeriodEnd": "TIMESTAMP",
    "ContractCommitmentPeriodStart": "TIMESTAMP",
    "ContractCommitmentQuantity": MONEY,
    "ContractCommitmentType": "VARCHAR",
    "ContractCommitmentUnit": "VARCHAR",
    "ContractId": "VARCHAR",
    "ContractPeriodEnd": "TIMESTAMP",
    "ContractPeriodStart": "TIMESTAMP",
    "InvoiceIssuerName": "VARCHAR",
    "ServiceProviderName": "VARCHAR",
}
"""The FOCUS 1.3/1.4 Contract Commitment dataset: one row per commitment and commitment period."""

CONTRACT_COMMITMENT_KEYS = ("ContractCommitmentId", "ContractId", "ContractCommitmentPeriodStart")
"""The columns that tell a Contract Commitment file from a cost file (which has none of them)."""


def focus_version(columns: list[str]) -> str:
    """The FOCUS version a cost file's columns say it is: each version added columns, 1.4 removed
    ProviderName and PublisherName (the spec has no version column, so the columns are the evidence)."""
    have = {c.lower() for c in columns}
    if "serviceprovidername" in have:
        return "1.3" if "providername" in have else "1.4"
    if "pricingcurrency" in have or "invoiceid" in have or "billingaccounttype" in have:
        return "1.2"
    if "capacityreservationid" in have or "skumeter" in have or "skupricedetails" in have:
        return "1.1"
    return "1.0"
