-- Training jobs per ISO week: what each cost that week, its GPU hours and GPU efficiency (cost per
-- GPU hour), and how much of it ran on spot.
with training as (

    select *, strftime(ChargePeriodStart, '%G-W%V') as week
    from allocated_costs
    where x_WorkloadType = 'training'

),

weighted as (

    -- what each team and GPU model cost the job that week: the costliest wins below
    select
        *,
        sum(EffectiveCost) over (partition by week, ProviderName, x_WorkloadName, x_Team)     as team_cost,
        sum(EffectiveCost) over (partition by week, ProviderName, x_WorkloadName, x_GpuModel) as gpu_model_cost
    from training

),

weekly as (

    select
        week,
        ProviderName                                                            as provider,
        x_WorkloadName                                                          as training_job,
        -- the label with the most cost; of two as costly, the one sorting last, so every build agrees
        arg_max(x_Team, (team_cost, x_Team))                                    as team,
        arg_max(x_GpuModel, (gpu_model_cost, x_GpuModel))                       as gpu_model,
        string_agg(distinct x_InstanceType, ', ' order by x_InstanceType)       as instance_types,
        coalesce(sum(x_GpuHours), 0)                                            as gpu_hours,
        coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Dynamic'), 0) as spot_cost,
        sum(EffectiveCost)                                                      as EffectiveCost
    from weighted
    group by week, ProviderName, x_WorkloadName

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
