"""The Cloud Billing export's fields, as ``raw_gcp_billing`` lands them.

The export nests fields (``service.id``, ``project.labels[]``); the landing table flattens the
single-valued structs to ``service_id``, ``project_labels`` (the names BigQuery's own flattening
uses) and keeps repeated fields (labels, credits, tags) as DuckDB ``LIST(STRUCT)``, so a field
Google adds later is one more column, which an older warehouse gains with ``ALTER TABLE``.
"""

from __future__ import annotations

from finops.warehouse.columns.cur import MONEY

KV = "STRUCT(key VARCHAR, value VARCHAR)[]"
CREDITS = f"STRUCT(id VARCHAR, full_name VARCHAR, type VARCHAR, name VARCHAR, amount {MONEY})[]"
TAGS = "STRUCT(key VARCHAR, value VARCHAR, inherited BOOLEAN, namespace VARCHAR)[]"

# landing column: (path in the export, kind). kinds: str, money, ts, kv, credits, tags
FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "billing_account_id": (("billing_account_id",), "str"),
    "service_id": (("service", "id"), "str"),
    "service_description": (("service", "description"), "str"),
    "sku_id": (("sku", "id"), "str"),
    "sku_description": (("sku", "description"), "str"),
    "usage_start_time": (("usage_start_time",), "ts"),
    "usage_end_time": (("usage_end_time",), "ts"),
    "project_id": (("project", "id"), "str"),
    "project_number": (("project", "number"), "str"),
    "project_name": (("project", "name"), "str"),
    "project_labels": (("project", "labels"), "kv"),
    "project_ancestry_numbers": (("project", "ancestry_numbers"), "str"),
    "labels": (("labels",), "kv"),
    "system_labels": (("system_labels",), "kv"),
    "location_location": (("location", "location"), "str"),
    "location_country": (("location", "country"), "str"),
    "location_region": (("location", "region"), "str"),
    "location_zone": (("location", "zone"), "str"),
    "resource_name": (("resource", "name"), "str"),
    "resource_global_name": (("resource", "global_name"), "str"),
    "tags": (("tags",), "tags"),
    "cost": (("cost",), "money"),
    "cost_at_list": (("cost_at_list",), "money"),
    "currency": (("currency",), "str"),
    "currency_conversion_rate": (("currency_conversion_rate",), "money"),
    "usage_amount": (("usage", "amount"), "money"),
    "usage_unit": (("usage", "unit"), "str"),
    "usage_amount_in_pricing_units": (("usage", "amount_in_pricing_units"), "money"),
    "usage_pricing_unit": (("usage", "pricing_unit"), "str"),
    "credits": (("credits",), "credits"),
    "invoice_month": (("invoice", "month"), "str"),
    "invoice_publisher_type": (("invoice", "publisher_type"), "str"),
    "cost_type": (("cost_type",), "str"),
    "adjustment_info_id": (("adjustment_info", "id"), "str"),
    "adjustment_info_description": (("adjustment_info", "description"), "str"),
    "adjustment_info_type": (("adjustment_info", "type"), "str"),
    "adjustment_info_mode": (("adjustment_info", "mode"), "str"),
    "price_effective_price": (("price", "effective_price"), "money"),
    "price_tier_start_amount": (("price", "tier_start_amount"), "money"),
    "price_unit": (("price", "unit"), "str"),
    "price_pricing_unit_quantity": (("price", "pricing_unit_quantity"), "money"),
    "consumption_model_id": (("consumption_model", "id"), "str"),
    "consumption_model_description": (("consumption_model", "description"), "str"),
    "transaction_type": (("transaction_type",), "str"),
    "seller_name": (("seller_name",), "str"),
    "subscription_instance_id": (("subscription", "instance_id"), "str"),
    "export_time": (("export_time",), "ts"),
}

# Without these a row cannot be placed or priced; every other field may be absent (older exports).
REQUIRED = ("billing_account_id", "service", "sku", "usage_start_time", "usage_end_time", "cost",
            "currency", "credits", "invoice", "export_time")

KIND_TYPES = {"str": "VARCHAR", "money": MONEY, "ts": "TIMESTAMP", "kv": KV, "credits": CREDITS, "tags": TAGS}

RAW_GCP_COLUMNS: dict[str, str] = {
    **{name: KIND_TYPES[kind] for name, (_, kind) in FIELDS.items()},
    "usage_day": "TIMESTAMP",  # UTC day of usage_start_time: the unit of incremental loading
    "usage_day_end": "TIMESTAMP",
    "x_load_id": "BIGINT",
    "x_source_file": "VARCHAR",
}


def json_columns() -> dict[str, str]:
    """read_json's ``columns``: the export's nesting, every leaf read as text (cast later, exactly)."""
    leaf = {"str": "VARCHAR", "money": "VARCHAR", "ts": "VARCHAR", "kv": KV,
            "credits": "STRUCT(id VARCHAR, full_name VARCHAR, type VARCHAR, name VARCHAR, amount VARCHAR)[]",
            "tags": "STRUCT(key VARCHAR, value VARCHAR, inherited VARCHAR, namespace VARCHAR)[]"}
    top: dict[str, dict[str, str] | str] = {}
    for path, kind in FIELDS.values():
        if len(path) == 1:
            top[path[0]] = leaf[kind]
        else:
            top.setdefault(path[0], {})[path[1]] = leaf[kind]  # type: ignore[index]
    return {
        name: typ if isinstance(typ, str) else "STRUCT(" + ", ".join(f'"{k}" {t}' for k, t in typ.items()) + ")"
        for name, typ in top.items()
    }


def column_doc(column: str) -> str | None:
    """COMMENT text for a raw_gcp_billing column: the export field it holds."""
    if column in FIELDS:
        path, kind = FIELDS[column]
        what = {"kv": " (list of key/value records)", "credits": " (list of credit records; amounts negative)",
                "tags": " (list of tag records)", "money": " (DECIMAL from the number's text)"}.get(kind, "")
        return f"Cloud Billing export field {'.'.join(path)}{what}."
    return {
        "usage_day": "UTC day of usage_start_time: the unit of incremental loading (see loads).",
        "usage_day_end": "usage_day plus one day (exclusive end).",
    }.get(column)
