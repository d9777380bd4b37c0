-- Where each week's money went, by workload category, team and provider, with each part's share
-- and its bar length for the report's CSS bars (relative to the largest part of the week).
with categorised as (

    select
        week,
        provider,
        team,
        case when workload_type = 'labeling' then 'other' else workload_type end as workload_type,
        EffectiveCost
    from workload_costs

),

parts as (

    select week, 'workload_type' as dimension, workload_type as name, sum(EffectiveCost) as EffectiveCost
    from categorised group by all
    union all
    select week, 'team', team, sum(EffectiveCost)
    from categorised group by all
    union all
    select week, 'provider', provider, sum(EffectiveCost)
    from categorised group by all

)

select
    week,
    dimension,
    name,
    EffectiveCost,
    round(EffectiveCost / nullif(sum(EffectiveCost) over (partition by week, dimension), 0), 4) as share,
    cast(round(100 * greatest(EffectiveCost, 0)
        / nullif(max(EffectiveCost) over (partition by week, dimension), 0)) as integer)      as bar_percent
from parts
