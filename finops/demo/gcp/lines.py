"""The export's rows in SQL: the team's resources copied and expanded into hours, priced, with
their credits, plus a tax row per project and day (table ``lines``).

Pseudo-randomness is ``hash()`` of (seed, resource, hour), so the rows are a pure function of
the arguments.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from finops.demo.gcp.catalogue import COMMITMENT_ID, projects_table, resources_table

_CREDITS = """
        case credit
            when 'sud' then [{'id': '', 'full_name': '', 'type': 'SUSTAINED_USAGE_DISCOUNT',
                              'name': 'Sustained Usage Discount', 'amount': round(-cost * 0.2, 6)}]
            when 'cud' then [{'id': '""" + COMMITMENT_ID + """', 'full_name': 'Committed use discount: Nvidia Tesla A100 GPU',
                              'type': 'COMMITTED_USAGE_DISCOUNT', 'name': 'Committed Use Discount: GPU', 'amount': -cost}]
            when 'promotion' then [{'id': 'PROMO-4F2A-77B1', 'full_name': 'Vertex AI credits for startups',
                              'type': 'PROMOTION', 'name': 'Vertex AI credits for startups', 'amount': round(-cost * 0.15, 6)}]
            when 'free_tier' then case when hour(t0) = 0 then [{'id': '', 'full_name': '', 'type': 'FREE_TIER',
                              'name': 'Free Tier: Standard Storage', 'amount': -least(cost, 0.13)}] end
        end
    """


def build_lines(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, *, seed: int, detailed: bool,
                copies: int, scale: float, day_filter: str, fixed_export: str | None) -> None:
    """Create ``res``, ``projects`` and ``lines`` in ``con`` for the month [start, end) (UTC).

    ``copies`` of the team's resources run at ``scale`` of their duty cycle; ``day_filter`` is
    SQL over ``t0`` keeping some days; ``fixed_export`` is a SQL timestamp every row gets as
    its export time (else each row is exported 1-20 hours after its usage ends).
    """
    con.register("res_arrow", resources_table(seed, detailed))
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
    con.register("projects", projects_table())
    _priced_usage(con, start, end, seed, scale, day_filter)
    export_expr = fixed_export or f"t1 + interval 1 hour + (hash({seed}, rid, h, 'e') % 68400000000) * interval 1 microsecond"
    con.execute(f"""
        create table lines as
        select p.*, coalesce({_CREDITS}, []) as credits, {export_expr} as export_ts, 'regular' as cost_type
        from priced p
    """)
    _tax(con, start, end, fixed_export)


def _priced_usage(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, seed: int, scale: float,
                  day_filter: str) -> None:
    """``priced``: the hours each resource runs (by its duty cycle), with usage and cost."""
    hours = int((end - start).total_seconds() // 3600)
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
               round(pricing_amount * (0.85 + 0.3 * u), 6) as p_amount,
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


def _tax(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, fixed_export: str | None) -> None:
    """Tax: one row per project and UTC day, 7.25 % of the day's net cost, rounded to the cent."""
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
