-- Inference endpoints per day: instance hours, GPU hours and what they cost.
with inference as (

    select * from allocated_costs where x_WorkloadType = 'inference'

)

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
