"""Synthetic GCP Cloud Billing exports: an ML team's month, as BigQuery exports it to files.

The GCP connector needs test data with the real schema and the quirks that make naive sums wrong:
credits nested in every row (committed use and sustained use discounts, free tier, a promotion),
commitment fees, "Spot Preemptible" GPU SKUs, tax rows, labels as lists of key/value records (with
mixed-case keys, as humans type them), and the invoice month in Pacific time. The files are what
``EXPORT DATA`` / an extract job writes: newline-delimited JSON (optionally gzip; FLOAT as JSON
numbers, NUMERIC and INT64 as strings, TIMESTAMP as ``2026-10-01 07:00:00 UTC``) or Parquet (typed,
nested). The standard export has no ``resource`` or ``price``; the detailed one has both.

As in :mod:`finops.generate`, a small list of resources is built in Python and DuckDB expands it
into rows with ``range()`` and ``hash()``; the output is a pure function of the arguments.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

__all__ = ["write_gcp_export", "BILLING_ACCOUNT", "FORMATS"]

BILLING_ACCOUNT = "01A2B3-C4D5E6-F7A8B9"
FORMATS = ("jsonl", "jsonl.gz", "parquet")
PACIFIC = ZoneInfo("America/Los_Angeles")

_SERVICES = {
    "compute": ("6F81-5844-456A", "Compute Engine"),
    "vertex": ("C7E2-9256-1C43", "Vertex AI"),
    "storage": ("95FF-2EF5-5EA1", "Cloud Storage"),
    "network": ("E505-1604-58F8", "Networking"),
    "tax": ("", "Invoice"),
}

_PROJECTS = {
    "research": ("ml-research-prod", "104729311205", "ML Research Prod", [("env", "prod"), ("cost-center", "4100")]),
    "serving": ("ml-serving-prod", "287140955531", "ML Serving Prod", [("env", "prod"), ("cost-center", "4200")]),
    "data": ("data-platform-dev", "612034477019", "Data Platform Dev", [("env", "dev")]),
}

# name, service, sku id, sku description, project, machine spec, usage unit, usage per hour,
# pricing unit, pricing units per hour, $ per pricing unit, list factor, credit, duty, labels
_RESOURCES: list[tuple] = [
    ("train-a100-gpu", "vertex", "A1B2-7D1E-0C11", "Vertex AI: Training/Pipelines on Nvidia Tesla A100 GPU running in Americas",
     "research", "a2-highgpu-1g", "seconds", 3600, "hour", 1, 3.3741, 1.0, "promotion", 0.55,
     [("Team", "ML-Research"), ("ml_job", "llm-finetune-0012")]),
    ("train-a2-core", "vertex", "A1B2-7D1E-0C12", "Vertex AI: Training/Pipelines on A2 Instance Core running in Americas",
     "research", "a2-highgpu-1g", "seconds", 43200, "hour", 12, 0.0361, 1.0, "promotion", 0.55,
     [("Team", "ML-Research"), ("ml_job", "llm-finetune-0012")]),
    ("predict-l4-gpu", "vertex", "B3C4-11AA-2F01", "Vertex AI: Online Prediction Nvidia L4 GPU running in Americas",
     "serving", "g2-standard-8", "seconds", 3600, "hour", 1, 0.6720, 1.0, None, 1.0,
     [("team", "ml-platform"), ("endpoint", "recsys-ranker")]),
    ("predict-g2-core", "vertex", "B3C4-11AA-2F02", "Vertex AI: Online Prediction G2 Instance Core running in Americas",
     "serving", "g2-standard-8", "seconds", 28800, "hour", 8, 0.0275, 1.0, None, 1.0,
     [("team", "ml-platform"), ("endpoint", "recsys-ranker")]),
    ("gce-a100-cud", "compute", "039F-D0DA-4055", "Nvidia Tesla A100 GPU running in Americas",
     "research", "a2-highgpu-1g", "seconds", 3600, "hour", 1, 2.933908, 1.0, "cud", 0.9,
     [("Team", "ML-Research"), ("goog-k8s-cluster-name", "train-pool")]),
    ("gce-a100-commit", "compute", "2F3E-9C55-B8A1", "Commitment v1: Nvidia Tesla A100 GPU in Americas for 1 Year",
     "research", None, "seconds", 3600, "hour", 1, 1.848362, 1.587, None, 1.0, []),
    ("gce-h100-spot", "compute", "7C1D-AA20-91E3", "Spot Preemptible Nvidia H100 80GB GPU running in Americas",
     "research", "a3-highgpu-1g", "seconds", 3600, "hour", 1, 2.25, 1.0, None, 0.6,
     [("Team", "ML-Research"), ("ml_job", "vision-pretrain-7")]),
    ("gce-l4", "compute", "4D0E-2B6B-C3F7", "Nvidia L4 GPU running in Americas",
     "serving", "g2-standard-4", "seconds", 3600, "hour", 1, 0.560000, 1.0, None, 0.8,
     [("team", "ml-platform"), ("TEAM", "ML-Platform")]),
    ("gce-n1-core", "compute", "CF4B-3A93-0A28", "N1 Predefined Instance Core running in Americas",
     "data", "n1-standard-8", "seconds", 28800, "hour", 8, 0.031611, 1.0, "sud", 1.0,
     [("team", "data-eng")]),
    ("gcs-standard", "storage", "E5F0-6A5D-7BAD", "Standard Storage US Multi-region",
     "data", None, "byte-seconds", 1.9e15, "gibibyte month", 0.9838, 0.026, 1.0, "free_tier", 1.0,
     [("team", "data-eng"), ("bucket", "training-data")]),
    ("egress", "network", "9DE9-9092-B3BC", "Network Internet Data Transfer Out from Americas to Americas",
     "serving", None, "bytes", 7.5e9, "gibibyte", 6.985, 0.12, 1.0, None, 0.7,
     [("team", "ml-platform")]),
]

_COMMITMENT_ID = "4815162342108151623"  # the A100 commitment: CUD credits and its fee rows name it

_ZONES = {"vertex": None, "compute": "us-central1-a", "storage": None, "network": None}


def _resources(seed: int, detailed: bool) -> pa.Table:
    rows = []
    for i, (name, svc, sku_id, sku, proj, machine, unit, amount, punit, pamount, rate, list_factor, credit, duty, labels) in enumerate(_RESOURCES):
        pid = _PROJECTS[proj][0]
        if svc == "compute" and not sku.startswith("Commitment"):
            res_name, global_name = f"{name}-{seed}", f"//compute.googleapis.com/projects/{pid}/zones/us-central1-a/instances/{7300000000000000000 + i * 7919 + seed}"
        elif svc == "storage":
            res_name, global_name = "training-data", "//storage.googleapis.com/projects/_/buckets/training-data"
        else:
            res_name = global_name = None  # Vertex AI and network SKUs have no resource-level rows
        system = [("compute.googleapis.com/machine_spec", machine), ("compute.googleapis.com/cores", machine.split("-")[-1].rstrip("g") if machine else None)] if machine and svc == "compute" else []
        rows.append({
            "rid": i, "svc": svc, "service_id": _SERVICES[svc][0], "service_description": _SERVICES[svc][1],
            "sku_id": sku_id, "sku_description": sku, "project": proj, "unit": unit, "amount": float(amount),
            "pricing_unit": punit, "pricing_amount": float(pamount), "rate": float(rate), "list_factor": float(list_factor),
            "credit": credit or "", "duty": float(duty),
            # a commitment is billed every hour it exists; the usage it covers runs in some of them
            "grp": "a100-commitment" if name in ("gce-a100-cud", "gce-a100-commit") else name,
            "labels": [{"key": k, "value": v} for k, v in labels],
            "system_labels": [{"key": k, "value": v} for k, v in system if v],
            "resource_name": res_name if detailed else None, "resource_global_name": global_name if detailed else None,
            "zone": _ZONES.get(svc),
        })
    return pa.Table.from_pylist(rows)


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=PACIFIC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=PACIFIC)
    return start.astimezone(timezone.utc).replace(tzinfo=None), end.astimezone(timezone.utc).replace(tzinfo=None)


def write_gcp_export(
    path: Path,
    month: str = "2026-10",
    *,
    rows: int = 3000,
    seed: int = 1,
    fmt: str | None = None,
    detailed: bool = True,
    days: list[date | str] | None = None,
    export_time: datetime | str | None = None,
    billing_account: str = BILLING_ACCOUNT,
    currency: str = "USD",
    conversion_rate: float = 1.0,
) -> Path:
    """Write one export file of ``month`` (a Pacific-time invoice month) to ``path``; return it.

    ``rows`` is a target (usage rows are hourly; tax and promotion rows come on top). ``days``
    keeps only those UTC usage days; ``export_time`` gives every row that export time (else each
    row is exported 1-20 hours after its usage ends). ``fmt`` defaults from the file name.
    """
    path = Path(path)
    fmt = fmt or ("parquet" if path.name.endswith(".parquet") else "jsonl.gz" if path.name.endswith(".gz") else "jsonl")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    start, end = _month_bounds(month)
    hours = int((end - start).total_seconds() // 3600)
    invoice_month = month.replace("-", "")
    res = _resources(seed, detailed)
    expected = sum(r[13] for r in _RESOURCES) * hours
    copies = max(1, -(-rows // int(expected)))  # a bigger team: more VMs, jobs and endpoints alike
    scale = min(1.0, rows / (expected * copies))
    day_filter = ""
    if days:
        listed = ", ".join(f"date '{d}'" for d in days)
        day_filter = f"and cast(t0 as date) in ({listed})"
    fixed_export = f"timestamp '{export_time}'" if export_time else None

    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.register("res_arrow", res)
    con.execute(f"""
        create table res as
        select * replace (
            rid + 100 * copy as rid,
            grp || case when copy > 0 then '-' || copy else '' end as grp,
            resource_name || case when copy > 0 then '-' || copy else '' end as resource_name,
            regexp_replace(resource_global_name, '/instances/(\\d+)$', '/instances/\\1' || copy) as resource_global_name
        )
        from res_arrow cross join range({copies}) as c(copy)
    """)
    projects = pa.Table.from_pylist([
        {"project": k, "id": v[0], "number": v[1], "name": v[2], "labels": [{"key": a, "value": b} for a, b in v[3]]}
        for k, v in _PROJECTS.items()
    ])
    con.register("projects", projects)
    con.execute(f"""
        create table usage as
        with hours as (
            select h, timestamp '{start}' + h * interval 1 hour as t0 from range({hours}) as r(h)
        ),
        active as (
            select res.*, hours.h, hours.t0, hours.t0 + interval 1 hour as t1,
                   (hash({seed}, rid, h, 'v') % 1000) / 1000.0 as u
            from res cross join hours
            where (hash({seed}, grp, h) % 100000) / 100000.0 < duty * {scale} {day_filter}
        )
        select *,
               round(pricing_amount * (0.85 + 0.3 * u) * (case when svc in ('storage', 'network') then 1 else 1 end), 6) as p_amount,
        from active
    """)
    con.execute("""
        create table priced as
        select *,
               round(p_amount * rate, 6) as cost,
               round(p_amount * rate * list_factor, 6) as cost_at_list,
               round(amount * p_amount / pricing_amount, 3) as u_amount
        from usage
    """)
    credit_list = """
        case credit
            when 'sud' then [{'id': '', 'full_name': '', 'type': 'SUSTAINED_USAGE_DISCOUNT',
                              'name': 'Sustained Usage Discount', 'amount': round(-cost * 0.2, 6)}]
            when 'cud' then [{'id': '""" + _COMMITMENT_ID + """', 'full_name': 'Committed use discount: Nvidia Tesla A100 GPU',
                              'type': 'COMMITTED_USAGE_DISCOUNT', 'name': 'Committed Use Discount: GPU', 'amount': -cost}]
            when 'promotion' then [{'id': 'PROMO-4F2A-77B1', 'full_name': 'Vertex AI credits for startups',
                              'type': 'PROMOTION', 'name': 'Vertex AI credits for startups', 'amount': round(-cost * 0.15, 6)}]
            when 'free_tier' then case when hour(t0) = 0 then [{'id': '', 'full_name': '', 'type': 'FREE_TIER',
                              'name': 'Free Tier: Standard Storage', 'amount': -least(cost, 0.13)}] end
        end
    """
    export_expr = fixed_export or "t1 + interval 1 hour + (hash({seed}, rid, h, 'e') % 68400000000) * interval 1 microsecond".format(seed=seed)
    con.execute(f"""
        create table lines as
        select p.*, coalesce({credit_list}, []) as credits, {export_expr} as export_ts, 'regular' as cost_type
        from priced p
    """)
    # tax: one row per project and UTC day, 7.25 % of the day's net cost, rounded to the cent
    con.execute(f"""
        insert into lines by name
        select -1 as rid, 'tax' as svc, '' as service_id, 'Invoice' as service_description, '' as sku_id,
               'Tax' as sku_description, project, '' as unit, 0.0 as amount, '' as pricing_unit, 0.0 as pricing_amount,
               0.0 as rate, 1.0 as list_factor, '' as credit, 1.0 as duty, [] as labels, [] as system_labels,
               null as resource_name, null as resource_global_name, null as zone, 'tax' as grp,
               0 as h, greatest(d, timestamp '{start}') as t0, least(d + interval 1 day, timestamp '{end}') as t1,
               0.0 as u, 0.0 as p_amount,
               -- summed as decimals: a float sum's order, and so its last digit, varies between runs
               cast(round(sum(cast(cost as decimal(38, 9))
                   + coalesce(list_sum([cast(c.amount as decimal(38, 9)) for c in credits]), 0)) * 0.0725, 2) as double) as cost,
               null as cost_at_list, 0.0 as u_amount, [] as credits,
               {fixed_export or "max(export_ts) + interval 2 hour"} as export_ts, 'tax' as cost_type
        from (select *, date_trunc('day', t0) as d from lines) group by project, d
    """)

    ts = "strftime({e}, '%Y-%m-%d %H:%M:%S UTC')" if fmt != "parquet" else "cast({e} as timestamptz)"
    ts_us = "strftime({e}, '%Y-%m-%d %H:%M:%S.%f UTC')" if fmt != "parquet" else "cast({e} as timestamptz)"
    numeric = "cast({e} as varchar)" if fmt != "parquet" else "cast({e} as decimal(38, 9))"
    region = "case when l.svc in ('compute', 'vertex') then 'us-central1' when l.svc = 'storage' then 'us' end"
    columns = [
        f"'{billing_account}' as billing_account_id",
        "{'id': l.service_id, 'description': l.service_description} as service",
        "{'id': l.sku_id, 'description': l.sku_description} as sku",
        f"{ts.format(e='l.t0')} as usage_start_time",
        f"{ts.format(e='l.t1')} as usage_end_time",
        "{'id': p.id, 'number': p.number, 'name': p.name, 'labels': p.labels, "
        "'ancestry_numbers': '/123456789012/' || p.number || '/'} as project",
        "l.labels as labels",
        "l.system_labels as system_labels",
        f"{{'location': {region}, 'country': case when l.svc <> 'tax' then 'US' end, 'region': case when l.svc in ('compute', 'vertex') then 'us-central1' end, 'zone': l.zone}} as location",
    ]
    if detailed:
        columns.append("{'name': l.resource_name, 'global_name': l.resource_global_name} as resource")
    columns += [
        "cast([] as struct(key varchar, value varchar, inherited boolean, namespace varchar)[]) as tags",
        f"round(l.cost * {conversion_rate}, 6) as cost",
        f"'{currency}' as currency",
        f"cast({conversion_rate} as double) as currency_conversion_rate",
        "{'amount': l.u_amount, 'unit': nullif(l.unit, ''), 'amount_in_pricing_units': l.p_amount, "
        "'pricing_unit': nullif(l.pricing_unit, '')} as usage",
        f"[{{'id': c.id, 'full_name': c.full_name, 'type': c.type, 'name': c.name, 'amount': round(c.amount * {conversion_rate}, 6)}} for c in l.credits] as credits",
        f"{{'month': '{invoice_month}', 'publisher_type': 'GOOGLE'}} as invoice",
        "l.cost_type as cost_type",
        f"{{'instance_id': case when l.sku_description like 'Commitment%' then '{_COMMITMENT_ID}' end}} as subscription",
        "cast(null as struct(id varchar, description varchar, type varchar, mode varchar)) as adjustment_info",
    ]
    if detailed:
        columns.append(
            f"case when l.cost_type = 'regular' then {{'effective_price': {numeric.format(e='l.rate')}, "
            f"'tier_start_amount': {numeric.format(e='0')}, 'unit': l.pricing_unit, "
            f"'pricing_unit_quantity': {numeric.format(e='1')}}} end as price"
        )
    columns.append(f"{ts_us.format(e='l.export_ts')} as export_time")
    query = (
        f"select {', '.join(columns)} from lines l join projects p on p.project = l.project "
        f"order by l.t0, l.rid, l.project, l.sku_id"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        options = "format parquet, compression zstd"
    else:
        options = "format json" + (", compression gzip" if fmt == "jsonl.gz" else "")
    con.execute(f"copy ({query}) to '{path}' ({options})")
    con.close()
    return path


def first_day(month: str) -> date:
    """The first full UTC day of a Pacific invoice month (its 2nd calendar day)."""
    start, _ = _month_bounds(month)
    return (start + timedelta(days=1)).date()
