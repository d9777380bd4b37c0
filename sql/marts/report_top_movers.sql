-- Week-over-week change per workload: each workload's spend in a week beside its spend the week
-- before (a workload that stopped shows this week as 0). Severity tiers are applied by the report
-- with the thresholds of finops.toml [report].
with weekly as (

    select
        cast(date_trunc('week', day) as date) as week_start,
        team,
        workload_type,
        workload_name,
        sum(EffectiveCost)                    as EffectiveCost
    from workload_costs
    group by all

),

paired as (

    select week_start, team, workload_type, workload_name, EffectiveCost, 0 as previous_week_cost
    from weekly
    union all
    select cast(week_start + interval 7 day as date), team, workload_type, workload_name, 0, EffectiveCost
    from weekly

),

compared as (

    select
        week_start,
        team,
        workload_type,
        workload_name,
        sum(EffectiveCost)      as EffectiveCost,
        sum(previous_week_cost) as previous_week_cost
    from paired
    group by all

)

select
    strftime(week_start, '%G-W%V')           as week,
    team,
    workload_type,
    workload_name,
    EffectiveCost,
    previous_week_cost,
    EffectiveCost - previous_week_cost       as change
from compared
where EffectiveCost <> previous_week_cost
