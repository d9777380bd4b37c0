"""The columns of the three on-disk shapes: legacy CSV, legacy Parquet (Athena names) and CUR 2.0.

One table, :data:`LEGACY`, says what every column holds as a SQL expression; the Parquet names,
the CUR 2.0 layout (with its MAP columns) and the legacy manifest's column list derive from it.
"""

from __future__ import annotations

from finops.warehouse.columns.cur import CUR_COLUMNS, MAP_COLUMNS, snake_case

# (legacy CSV header, kind, SQL expression over items i, resources r, accounts a)
# kinds: str, ts (timestamp), num (money or quantity), interval
LEGACY: list[tuple[str, str, str]] = [
    ("identity/LineItemId", "str", "i.line_item_id"),
    ("identity/TimeInterval", "interval", ""),
    ("bill/InvoiceId", "str", "a.invoice_id"),
    ("bill/InvoicingEntity", "str", "a.entity"),
    ("bill/BillingEntity", "str", "'AWS'"),
    ("bill/BillType", "str", "r.bill_type"),
    ("bill/PayerAccountId", "str", "{payer}"),
    ("bill/BillingPeriodStartDate", "ts", "{period_start}"),
    ("bill/BillingPeriodEndDate", "ts", "{period_end}"),
    ("lineItem/UsageAccountId", "str", "r.account_id"),
    ("lineItem/LineItemType", "str", "r.line_type"),
    ("lineItem/UsageStartDate", "ts", "i.t0"),
    ("lineItem/UsageEndDate", "ts", "i.t1"),
    ("lineItem/ProductCode", "str", "r.product_code"),
    ("lineItem/UsageType", "str", "r.usage_type"),
    ("lineItem/Operation", "str", "r.operation"),
    ("lineItem/AvailabilityZone", "str", "r.az"),
    ("lineItem/ResourceId", "str", "r.resource_id"),
    ("lineItem/UsageAmount", "num", "i.amount"),
    ("lineItem/NormalizationFactor", "num", "r.norm_factor"),
    ("lineItem/NormalizedUsageAmount", "num", "i.amount * r.norm_factor"),
    ("lineItem/CurrencyCode", "str", "'USD'"),
    ("lineItem/UnblendedRate", "num", "i.rate"),
    ("lineItem/UnblendedCost", "num", "i.cost"),
    ("lineItem/BlendedRate", "num", "i.rate"),
    ("lineItem/BlendedCost", "num", "i.cost"),
    ("lineItem/LineItemDescription", "str", "r.description"),
    ("lineItem/TaxType", "str", "CASE WHEN r.line_type = 'Tax' THEN a.tax_type END"),
    ("lineItem/LegalEntity", "str", "a.entity"),
    ("product/ProductName", "str", "r.product_name"),
    ("product/servicecode", "str", "r.servicecode"),
    ("product/servicename", "str", "r.servicename"),
    ("product/productFamily", "str", "r.product_family"),
    ("product/regionCode", "str", "r.region_code"),
    ("product/region", "str", "r.region_code"),
    ("product/location", "str", "r.location"),
    ("product/instanceType", "str", "r.instance_type"),
    ("product/instanceFamily", "str", "r.instance_family"),
    ("product/vcpu", "str", "r.vcpu"),
    ("product/memory", "str", "r.memory"),
    ("product/gpu", "str", "r.gpu"),
    ("product/gpuMemory", "str", "r.gpu_memory"),
    ("product/storageClass", "str", "r.storage_class"),
    ("product/volumeApiName", "str", "r.volume_api_name"),
    ("product/sku", "str", "r.sku"),
    ("product/usagetype", "str", "r.usage_type"),
    ("product/operation", "str", "r.operation"),
    ("pricing/RateCode", "str", "r.rate_code"),
    ("pricing/RateId", "str", "r.rate_id"),
    ("pricing/publicOnDemandCost", "num", "i.public_cost"),
    ("pricing/publicOnDemandRate", "num", "i.public_rate"),
    ("pricing/term", "str", "r.pricing_term"),
    ("pricing/unit", "str", "r.unit"),
    ("pricing/purchaseOption", "str", "r.purchase_option"),
    ("reservation/AmortizedUpfrontFeeForBillingPeriod", "num", "i.ri_amort_period"),
    ("reservation/EffectiveCost", "num", "i.ri_eff"),
    ("reservation/RecurringFeeForUsage", "num", "i.ri_rec_usage"),
    ("reservation/ReservationARN", "str", "r.ri_arn"),
    ("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod", "num", "i.ri_unused_amort"),
    ("reservation/UnusedRecurringFee", "num", "i.ri_unused_rec"),
    ("savingsPlan/AmortizedUpfrontCommitmentForBillingPeriod", "num", "i.sp_amort_upfront"),
    ("savingsPlan/RecurringCommitmentForBillingPeriod", "num", "i.sp_recurring"),
    ("savingsPlan/SavingsPlanARN", "str", "r.sp_arn"),
    ("savingsPlan/SavingsPlanEffectiveCost", "num", "i.sp_eff"),
    ("savingsPlan/SavingsPlanRate", "num", "i.sp_rate"),
    ("savingsPlan/TotalCommitmentToDate", "num", "i.sp_total"),
    ("savingsPlan/UsedCommitment", "num", "i.sp_used"),
    ("savingsPlan/OfferingType", "str", "CASE WHEN r.sp_arn <> '' THEN 'ComputeSavingsPlans' END"),
    ("resourceTags/aws:createdBy", "str", "r.tag_created_by"),
    ("resourceTags/user:job", "str", "r.tag_job"),
    ("resourceTags/user:project", "str", "r.tag_project"),
    ("resourceTags/user:team", "str", "r.tag_team"),
    ("costCategory/CostCenter", "str", "a.cost_center"),
]

# Legacy product columns that CUR 2.0 folds into its `product` map, with the map key.
CUR2_PRODUCT_KEYS = {
    "product/ProductName": "product_name",
    "product/servicename": "servicename",
    "product/region": "region",
    "product/vcpu": "vcpu",
    "product/memory": "memory",
    "product/gpu": "gpu",
    "product/gpuMemory": "gpu_memory",
    "product/storageClass": "storage_class",
    "product/volumeApiName": "volume_api_name",
}

# Columns only CUR 2.0 has: it names the accounts as well as numbering them.
CUR2_ONLY = ("bill_payer_account_name", "line_item_usage_account_name")


def map_key(header: str) -> str:
    """Key of a tag/cost-category/product column inside the CUR 2.0 maps (``user_team``)."""
    category = header.split("/", 1)[0]
    return snake_case(header)[len(snake_case(category + "/x")) - 1 :]


def legacy_columns() -> list[str]:
    """Legacy CSV headers in file order (the Parquet form uses the Athena snake-case name of each)."""
    return [h for h, _, _ in LEGACY]


def cur2_columns() -> list[str]:
    """CUR 2.0 column names in file order (alphabetical, as Data Exports writes them)."""
    folded = {snake_case(h) for h in CUR2_PRODUCT_KEYS}
    names = {c for c in CUR_COLUMNS if c not in folded}
    names |= {snake_case(h) for h, _, _ in LEGACY if not h.startswith(("resourceTags/", "costCategory/"))}
    names -= folded
    names |= set(MAP_COLUMNS) | set(CUR2_ONLY)
    return sorted(names)


_MANIFEST_TYPES = {"str": "String", "ts": "DateTime", "num": "BigDecimal", "interval": "Interval"}


def legacy_manifest_columns() -> list[dict[str, str]]:
    """The ``columns`` list of a legacy manifest; optional categories get Optional* types, as AWS's do."""
    cols = []
    for header, kind, _ in LEGACY:
        category, name = header.split("/", 1)
        t = _MANIFEST_TYPES[kind]
        if category in ("reservation", "savingsPlan", "resourceTags", "costCategory"):
            t = "OptionalBigDecimal" if kind == "num" else "OptionalString"
        cols.append({"category": category, "name": name, "type": t})
    return cols


def athena_type(duck: str) -> str:
    """The type a CUR 2.0 manifest names for a DuckDB column type."""
    if duck.startswith("MAP"):
        return "map<string,string>"
    return {"VARCHAR": "string", "DOUBLE": "double", "TIMESTAMP": "timestamp"}.get(duck, duck.lower())
