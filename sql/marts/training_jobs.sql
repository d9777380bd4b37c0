-- One row per training job (or training run named by a workload tag): when it ran, on what, for how
-- many GPU hours, bought how, and what it cost.
with training as (

    select * from allocated_costs where x_WorkloadType = 'training'

),

weighted as (

    -- what each tuning job, team, project and GPU model cost the job: the costliest wins below
    select
        *,
        sum(EffectiveCost) over (partition by ProviderName, x_WorkloadName, x_TuningJob)  as tuning_job_cost,
        sum(EffectiveCost) over (partition by ProviderName, x_WorkloadName, x_Team)       as team_cost,
        sum(EffectiveCost) over (partition by ProviderName, x_WorkloadName, x_Project)    as project_cost,
        sum(EffectiveCost) over (partition by ProviderName, x_WorkloadName, x_GpuModel)   as gpu_model_cost
    from training

)

select
    ProviderName                                                              as provider,
    x_WorkloadName                                                            as training_job,
    -- the label with the most cost; of two as costly, the one sorting last, so every build agrees
    arg_max(x_TuningJob, (tuning_job_cost, x_TuningJob))                      as tuning_job,
    arg_max(x_Team, (team_cost, x_Team))                                      as team,
    arg_max(x_Project, (project_cost, x_Project))                             as project,
    min(ChargePeriodStart)                                                    as first_hour,
    max(ChargePeriodEnd)                                                      as last_hour,
    string_agg(distinct x_InstanceType, ', ' order by x_InstanceType)         as instance_types,
    arg_max(x_GpuModel, (gpu_model_cost, x_GpuModel))                         as gpu_model,
    coalesce(sum(x_GpuHours), 0)                                              as gpu_hours,
    coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Dynamic'), 0)   as spot_cost,
    coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Committed'), 0) as committed_cost,
    coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Standard'), 0)  as on_demand_cost,
    coalesce(sum(x_OnDemandEquivalentCost) filter (where PricingCategory = 'Dynamic'), 0)
        - coalesce(sum(EffectiveCost) filter (where PricingCategory = 'Dynamic'), 0) as spot_savings,
    sum(BilledCost)                                                           as BilledCost,
    sum(EffectiveCost)                                                        as EffectiveCost,
    sum(ListCost)                                                             as ListCost
from weighted
group by provider, training_job
