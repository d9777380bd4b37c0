-- Inference endpoints per day: instance hours, GPU hours, what they cost and, with CloudWatch
-- metrics loaded, invocations and the cost per 1,000 predictions.
with inference as (

    select * from allocated_costs where x_WorkloadType = 'inference'

),

invocations as (

    -- CloudWatch names an endpoint as its workload name does (SageMaker: the name in its ARN)
    select resource_id as endpoint, cast(sampled_at as date) as day, sum(invocations) as invocations
    from gpu_metrics
    where invocations is not null
    group by all

),

daily as (

    select
        cast(ChargePeriodStart as date)                                           as day,
        ProviderName                                                              as provider,
        x_WorkloadName                                                            as endpoint,
        mode(x_Team)                                                              as team,
        string_agg(distinct x_InstanceType, ', ' order by x_InstanceType)         as instance_types,
        coalesce(sum(ConsumedQuantity) filter (where ConsumedUnit = 'Hours' and x_InstanceType is not null
            and x_LineItemType is distinct from 'SavingsPlanNegation'), 0)        as instance_hours,
        coalesce(sum(x_GpuHours), 0)                                              as gpu_hours,
        sum(BilledCost)                                                           as BilledCost,
        sum(EffectiveCost)                                                        as EffectiveCost
    from inference
    group by all

)

select
    daily.*,
    invocations.invocations,
    cast(daily.EffectiveCost * 1000 / nullif(invocations.invocations, 0) as decimal(38, 10)) as cost_per_1000_predictions
from daily
left join invocations using (endpoint, day)
