-- GPU resources that used a fraction of their GPUs for [savings] rightsizing_days days, per ISO week,
-- priced at the next smaller type: savings = hours x (rate paid - smaller type's on-demand rate).
-- AWS prices the smaller type from prices (the bill's region where it has one, else the first);
-- GCP bills GPUs per GPU hour, so the smaller machine costs the rate paid x its share of the GPUs.
-- Only the rightsizing lever's hours (int_savings_levers): idle and zero-traffic hours are not here.
with usage as (

    select *, strftime(ChargePeriodStart, '%G-W%V') as week
    from int_savings_levers
    where x_SavingsLever = 'rightsizing'

),

weighted as (

    -- what each team and workload type cost the resource that week: the costliest wins below
    select
        *,
        sum(EffectiveCost) over (partition by week, ResourceId, ProviderName, RegionId, x_Team)         as team_cost,
        sum(EffectiveCost) over (partition by week, ResourceId, ProviderName, RegionId, x_WorkloadType) as workload_type_cost
    from usage

),

weekly as (

    select
        usage.week,
        usage.ResourceId                                                    as resource_id,
        targets.resource_name,
        usage.ProviderName                                                  as provider,
        usage.RegionId                                                      as region,
        -- the label with the most cost; of two as costly, the one sorting last, so every build agrees
        arg_max(usage.x_Team, (usage.team_cost, usage.x_Team))              as team,
        arg_max(usage.x_WorkloadType, (usage.workload_type_cost, usage.x_WorkloadType)) as workload_type,
        targets.instance_type,
        targets.smaller_instance_type,
        targets.step,
        targets.gpu_model,
        targets.gpus,
        targets.smaller_gpus,
        targets.measured_days,
        targets.peak_gpu_utilization,
        targets.peak_memory_utilization,
        targets.mig_profile,
        sum(usage.x_PricedHours)                                            as hours,
        sum(usage.EffectiveCost)                                            as EffectiveCost
    from weighted as usage
    join int_gpu_rightsizing as targets
        on targets.resource_id = usage.ResourceId
       and targets.week = usage.week
    group by usage.week, usage.ResourceId, targets.resource_name, usage.ProviderName, usage.RegionId,
             targets.instance_type, targets.smaller_instance_type, targets.step, targets.gpu_model, targets.gpus,
             targets.smaller_gpus, targets.measured_days, targets.peak_gpu_utilization,
             targets.peak_memory_utilization, targets.mig_profile

),

on_demand as (

    select item, region, unit_price, as_of, source from prices where provider = 'AWS' and price_kind = 'on_demand'

),

price_regions as (

    -- the bill's region where the price table has it, else the first region it has
    select
        weekly.smaller_instance_type,
        weekly.region,
        coalesce(max(case when on_demand.region = weekly.region then on_demand.region end), min(on_demand.region)) as price_region
    from weekly
    join on_demand on on_demand.item = weekly.smaller_instance_type
    group by weekly.smaller_instance_type, weekly.region

),

priced as (

    select
        weekly.*,
        cast(weekly.EffectiveCost / nullif(weekly.hours, 0) as decimal(38, 10))       as paid_rate,
        case
            when weekly.provider = 'Google Cloud'
                then cast(weekly.EffectiveCost / nullif(weekly.hours, 0) * weekly.smaller_gpus / weekly.gpus as decimal(38, 10))
            else on_demand.unit_price
        end                                                                             as smaller_rate,
        case when weekly.provider = 'Google Cloud' then 'the bill, per GPU hour' else on_demand.source end as price_source
    from weekly
    left join price_regions
        on price_regions.smaller_instance_type = weekly.smaller_instance_type
       and price_regions.region is not distinct from weekly.region
    left join on_demand
        on on_demand.item = price_regions.smaller_instance_type
       and on_demand.region = price_regions.price_region

)

select
    *,
    cast(hours * (paid_rate - smaller_rate) as decimal(38, 10))             as rightsizing_savings
from priced
where smaller_rate < paid_rate
