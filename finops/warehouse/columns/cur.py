"""The AWS Cost and Usage Report columns finops lands, in CUR 2.0 (snake case) names.

Legacy CUR CSV headers (``lineItem/UnblendedCost``) and the legacy Parquet/Athena names
(``line_item_unblended_cost``) both convert to these names with :func:`snake_case`, so all three
AWS shapes land in one table, ``raw_aws_cur``. Columns a delivery lacks land as NULL: legacy
reports only carry the columns an account used that month, and the ``net_`` variants appear only
for accounts with negotiated discounts.
"""

from __future__ import annotations

import re

MONEY = "DECIMAL(38, 10)"
"""Money and quantities: exact decimals, never floats. 28 integer digits hold any bill's sum."""

CUR_COLUMNS: dict[str, str] = {
    "identity_line_item_id": "VARCHAR",
    "identity_time_interval": "VARCHAR",
    "bill_invoice_id": "VARCHAR",
    "bill_invoicing_entity": "VARCHAR",
    "bill_billing_entity": "VARCHAR",
    "bill_bill_type": "VARCHAR",
    "bill_payer_account_id": "VARCHAR",
    "bill_payer_account_name": "VARCHAR",
    "bill_billing_period_start_date": "TIMESTAMP",
    "bill_billing_period_end_date": "TIMESTAMP",
    "line_item_usage_account_id": "VARCHAR",
    "line_item_usage_account_name": "VARCHAR",
    "line_item_line_item_type": "VARCHAR",
    "line_item_usage_start_date": "TIMESTAMP",
    "line_item_usage_end_date": "TIMESTAMP",
    "line_item_product_code": "VARCHAR",
    "line_item_usage_type": "VARCHAR",
    "line_item_operation": "VARCHAR",
    "line_item_availability_zone": "VARCHAR",
    "line_item_resource_id": "VARCHAR",
    "line_item_usage_amount": MONEY,
    "line_item_normalization_factor": MONEY,
    "line_item_normalized_usage_amount": MONEY,
    "line_item_currency_code": "VARCHAR",
    "line_item_unblended_rate": MONEY,
    "line_item_unblended_cost": MONEY,
    "line_item_net_unblended_cost": MONEY,
    "line_item_blended_cost": MONEY,
    "line_item_line_item_description": "VARCHAR",
    "line_item_legal_entity": "VARCHAR",
    "line_item_tax_type": "VARCHAR",
    "product_product_name": "VARCHAR",
    "product_servicecode": "VARCHAR",
    "product_servicename": "VARCHAR",
    "product_product_family": "VARCHAR",
    "product_region_code": "VARCHAR",
    "product_location": "VARCHAR",
    "product_instance_type": "VARCHAR",
    "product_instance_family": "VARCHAR",
    "product_sku": "VARCHAR",
    "product_usagetype": "VARCHAR",
    "product_operation": "VARCHAR",
    "pricing_unit": "VARCHAR",
    "pricing_term": "VARCHAR",
    "pricing_purchase_option": "VARCHAR",
    "pricing_rate_code": "VARCHAR",
    "pricing_rate_id": "VARCHAR",
    "pricing_public_on_demand_cost": MONEY,
    "pricing_public_on_demand_rate": MONEY,
    "reservation_reservation_a_r_n": "VARCHAR",
    "reservation_effective_cost": MONEY,
    "reservation_net_effective_cost": MONEY,
    "reservation_amortized_upfront_fee_for_billing_period": MONEY,
    "reservation_unused_amortized_upfront_fee_for_billing_period": MONEY,
    "reservation_net_unused_amortized_upfront_fee_for_billing_period": MONEY,
    "reservation_recurring_fee_for_usage": MONEY,
    "reservation_unused_recurring_fee": MONEY,
    "reservation_net_unused_recurring_fee": MONEY,
    "savings_plan_savings_plan_a_r_n": "VARCHAR",
    "savings_plan_offering_type": "VARCHAR",
    "savings_plan_savings_plan_rate": MONEY,
    "savings_plan_savings_plan_effective_cost": MONEY,
    "savings_plan_net_savings_plan_effective_cost": MONEY,
    "savings_plan_total_commitment_to_date": MONEY,
    "savings_plan_net_total_commitment_to_date": MONEY,
    "savings_plan_used_commitment": MONEY,
    "savings_plan_recurring_commitment_for_billing_period": MONEY,
    "savings_plan_amortized_upfront_commitment_for_billing_period": MONEY,
    # the terms, as text ('2024-10-01T00:00:00.000Z'): staging parses them
    "savings_plan_start_time": "VARCHAR",
    "savings_plan_end_time": "VARCHAR",
    "reservation_start_time": "VARCHAR",
    "reservation_end_time": "VARCHAR",
}

REQUIRED_COLUMNS = (
    "bill_payer_account_id",
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_line_item_type",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_product_code",
    "line_item_unblended_cost",
    "line_item_currency_code",
)
"""Without these a file is not a usable CUR: no period to replace, no money to count."""

MAP_COLUMNS = ("resource_tags", "cost_category", "product", "discount")
"""CUR 2.0 collapses sparse columns into these MAP(VARCHAR, VARCHAR) columns."""

LEGACY_MAP_PREFIXES = {"resourceTags": "resource_tags", "costCategory": "cost_category"}
"""Legacy CUR keeps one column per tag key; finops folds them into the CUR 2.0 maps."""

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")
_NOT_ATHENA = re.compile(r"[^a-z0-9_]")


def snake_case(header: str) -> str:
    """Convert a legacy CUR header to its Athena/CUR 2.0 name.

    AWS's own rule: split the category from the name at ``/``, put ``_`` before every capital,
    lower-case it all, and turn anything but letters, digits and ``_`` into ``_`` (so
    ``savingsPlan/SavingsPlanARN`` becomes ``savings_plan_savings_plan_a_r_n`` and
    ``resourceTags/user:team`` ``resource_tags_user_team``). Names already in snake case pass through.
    """
    if "/" not in header:
        return header.strip().lower()
    category, name = header.strip().split("/", 1)
    parts = [_CAMEL_BOUNDARY.sub("_", category), _CAMEL_BOUNDARY.sub("_", name)]
    return _NOT_ATHENA.sub("_", "_".join(parts).lower())
