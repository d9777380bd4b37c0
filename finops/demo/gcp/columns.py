"""The export's columns: the BigQuery billing export schema, as the rows of ``lines`` fill it.

JSON exports write TIMESTAMP as ``2026-10-01 07:00:00 UTC`` and NUMERIC as strings; Parquet
keeps them typed. The standard export has no ``resource`` or ``price``; the detailed one has both.
"""

from __future__ import annotations

from finops.demo.gcp.catalogue import COMMITMENT_ID

_REGION = "case when l.svc in ('compute', 'vertex') then 'us-central1' when l.svc = 'storage' then 'us' end"


def export_query(fmt: str, *, detailed: bool, billing_account: str, currency: str, conversion_rate: float,
                 invoice_month: str) -> str:
    """The SELECT over ``lines`` and ``projects`` that gives the export's rows, in its order."""
    ts = "strftime({e}, '%Y-%m-%d %H:%M:%S UTC')" if fmt != "parquet" else "cast({e} as timestamptz)"
    ts_us = "strftime({e}, '%Y-%m-%d %H:%M:%S.%f UTC')" if fmt != "parquet" else "cast({e} as timestamptz)"
    numeric = "cast({e} as varchar)" if fmt != "parquet" else "cast({e} as decimal(38, 9))"
    columns = [
        f"'{billing_account}' as billing_account_id",
        "{'id': l.service_id, 'description': l.service_description} as service",
        "{'id': l.sku_id, 'description': l.sku_description} as sku",
        f"{ts.format(e='l.t0')} as usage_start_time",
        f"{ts.format(e='l.t1')} as usage_end_time",
        ("{'id': p.id, 'number': p.number, 'name': p.name, 'labels': p.labels, "
        "'ancestry_numbers': '/123456789012/' || p.number || '/'} as project"),
        "l.labels as labels",
        "l.system_labels as system_labels",
        f"{{'location': {_REGION}, 'country': case when l.svc <> 'tax' then 'US' end, "
        "'region': case when l.svc in ('compute', 'vertex') then 'us-central1' end, 'zone': l.zone} as location",
    ]
    if detailed:
        columns.append("{'name': l.resource_name, 'global_name': l.resource_global_name} as resource")
    columns += [
        "cast([] as struct(key varchar, value varchar, inherited boolean, namespace varchar)[]) as tags",
        f"round(l.cost * {conversion_rate}, 6) as cost",
        f"'{currency}' as currency",
        f"cast({conversion_rate} as double) as currency_conversion_rate",
        ("{'amount': l.u_amount, 'unit': nullif(l.unit, ''), 'amount_in_pricing_units': l.p_amount, "
        "'pricing_unit': nullif(l.pricing_unit, '')} as usage"),
        "[{'id': c.id, 'full_name': c.full_name, 'type': c.type, 'name': c.name, "
        f"'amount': round(c.amount * {conversion_rate}, 6)}} for c in l.credits] as credits",
        f"{{'month': '{invoice_month}', 'publisher_type': 'GOOGLE'}} as invoice",
        "l.cost_type as cost_type",
        f"{{'instance_id': case when l.sku_description like 'Commitment%' then '{COMMITMENT_ID}' end}} as subscription",
        "cast(null as struct(id varchar, description varchar, type varchar, mode varchar)) as adjustment_info",
    ]
    if detailed:
        columns.append(
            f"case when l.cost_type = 'regular' then {{'effective_price': {numeric.format(e='l.rate')}, "
            f"'tier_start_amount': {numeric.format(e='0')}, 'unit': l.pricing_unit, "
            f"'pricing_unit_quantity': {numeric.format(e='1')}}} end as price"
        )
    columns.append(f"{ts_us.format(e='l.export_ts')} as export_time")
    return (
        f"select {', '.join(columns)} from lines l join projects p on p.project = l.project "
        f"order by l.t0, l.rid, l.project, l.sku_id"
    )
