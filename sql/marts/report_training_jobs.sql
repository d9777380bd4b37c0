-- Training jobs per ISO week: what each cost that week, its GPU hours and GPU efficiency (cost per
-- GPU hour), and how much of it ran on spot.
with training as (

    select * from allocated_costs where x_WorkloadType = 'training'

),

weekly as (

    select
        strftime(ChargePeriodStart, '%G-W%V')                                   as week,
        ProviderName                                                            as provider,
        x_WorkloadName                                                          as training_job,
        mode(x_Team)                                                            as team,
        any_value(x_GpuModel)                                                   as gpu_model,
        string_agg(distinct x_InstanceType, ', ' order by x_InstanceType)       as instance_types,
        coalesce(sum(x_GpuHours), 0)                                            as gpu_hours,
        coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Dynamic'), 0) as spot_cost,
        sum(EffectiveCost)                                                      as EffectiveCost
    from training
    group by all

)

select
    week,
    provider,
    training_job,
    team,
    gpu_model,
    instance_types,
    gpu_hours,
    EffectiveCost,
    cast(EffectiveCost / nullif(gpu_hours, 0) as decimal(38, 10))  as cost_per_gpu_hour,
    round(spot_cost / nullif(EffectiveCost, 0), 4)                 as spot_share
from weekly
