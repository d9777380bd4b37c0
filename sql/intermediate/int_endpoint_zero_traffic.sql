-- Hours a real-time endpoint's instances were billed on demand without a single invocation, in runs
-- of at least [savings] endpoint_zero_traffic_hours, less the hours idle_gpu already counts as idle:
-- what scaling to zero (serverless, asynchronous inference, or autoscaling to a minimum) would stop.
-- int_savings_levers keeps these hours out of spot and commitment; endpoint_traffic_gaps sums them.
with endpoint_hours as (

    select
        ResourceId                                                  as resource_id,
        -- the hour's largest charge names it; on a tie the value sorting last, so every build agrees
        arg_max(ResourceName, (EffectiveCost, ResourceName))        as resource_name,
        x_WorkloadName                                              as endpoint,
        date_trunc('hour', ChargePeriodStart)                       as hour,
        ProviderName                                                as provider,
        arg_max(x_Team, (EffectiveCost, x_Team))                    as team,
        arg_max(x_InstanceType, (EffectiveCost, x_InstanceType))    as instance_type,
        sum(EffectiveCost)                                          as EffectiveCost
    from allocated_costs
    where x_WorkloadType = 'inference'
      and ChargeCategory = 'Usage'
      and PricingCategory = 'Standard'
      and ConsumedUnit = 'Hours'
      and x_InstanceType is not null
      and ResourceId is not null
    group by ResourceId, x_WorkloadName, date_trunc('hour', ChargePeriodStart), ProviderName

),

invocation_hours as (

    -- CloudWatch loads an hour without a request as 0
    select resource_id, date_trunc('hour', sampled_at) as hour, sum(invocations) as invocations
    from gpu_metrics
    where invocations is not null
    group by resource_id, date_trunc('hour', sampled_at)

),

zero_hours as (

    select endpoint_hours.*
    from endpoint_hours
    join invocation_hours
        on invocation_hours.hour = endpoint_hours.hour
       and invocation_hours.resource_id in (endpoint_hours.resource_id, endpoint_hours.resource_name, endpoint_hours.endpoint)
    where invocation_hours.invocations = 0

),

runs as (

    -- consecutive zero hours share hour minus their rank: one group per unbroken stretch
    select
        *,
        hour - to_hours(row_number() over (partition by resource_id order by hour)) as run_start
    from zero_hours

),

sized as (

    select *, count(*) over (partition by resource_id, run_start) as run_hours
    from runs

)

select
    sized.resource_id,
    sized.resource_name,
    sized.endpoint,
    sized.hour,
    strftime(sized.hour, '%G-W%V')                                  as week,
    sized.provider,
    sized.team,
    sized.instance_type,
    sized.run_hours,
    sized.EffectiveCost
from sized
cross join savings_settings
left join idle_gpu
    on idle_gpu.resource_id = sized.resource_id
   and idle_gpu.hour = sized.hour
   and idle_gpu.is_idle
where sized.run_hours >= savings_settings.endpoint_zero_traffic_hours
  and idle_gpu.resource_id is null
