-- Inference endpoints per ISO week: instance and GPU hours, cost, cost per instance hour and, where
-- CloudWatch invocations are loaded, cost per 1,000 predictions.
with daily as (

    select * from endpoints

),

weekly as (

    select
        strftime(day, '%G-W%V')  as week,
        provider,
        endpoint,
        mode(team)               as team,
        string_agg(distinct instance_types, ', ' order by instance_types) as instance_types,
        sum(instance_hours)      as instance_hours,
        sum(gpu_hours)           as gpu_hours,
        sum(EffectiveCost)       as EffectiveCost,
        sum(invocations)         as invocations
    from daily
    group by all

)

select
    weekly.*,
    cast(EffectiveCost / nullif(instance_hours, 0) as decimal(38, 10))  as cost_per_instance_hour,
    cast(EffectiveCost * 1000 / nullif(invocations, 0) as decimal(38, 10)) as cost_per_1000_predictions
from weekly
