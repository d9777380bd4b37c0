-- One row per training job (or training run named by a workload tag): when it ran, on what, for how
-- many GPU hours, bought how, and what it cost.
with training as (

    select * from allocated_costs where x_WorkloadType = 'training'

)

select
    ProviderName                                                              as provider,
    x_WorkloadName                                                            as training_job,
    any_value(x_TuningJob)                                                    as tuning_job,
    mode(x_Team)                                                              as team,
    mode(x_Project)                                                           as project,
    min(ChargePeriodStart)                                                    as first_hour,
    max(ChargePeriodEnd)                                                      as last_hour,
    string_agg(distinct x_InstanceType, ', ' order by x_InstanceType)         as instance_types,
    any_value(x_GpuModel)                                                     as gpu_model,
    coalesce(sum(x_GpuHours), 0)                                              as gpu_hours,
    coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Dynamic'), 0)   as spot_cost,
    coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Committed'), 0) as committed_cost,
    coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Standard'), 0)  as on_demand_cost,
    coalesce(sum(x_OnDemandEquivalentCost) filter (where PricingCategory = 'Dynamic'), 0)
        - coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Dynamic'), 0) as spot_savings,
    sum(BilledCost)                                                           as BilledCost,
    sum(EffectiveCost)                                                        as EffectiveCost,
    sum(ListCost)                                                             as ListCost
from training
group by provider, training_job
