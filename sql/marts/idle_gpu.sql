-- Per GPU-bearing resource and UTC hour: billed GPU hours beside measured utilisation, and the waste.
-- Measured idleness only: an hour without samples has is_idle null (see idle_gpu_suspected).
with gpu_charges as (

    select * from allocated_costs where x_GpuHours > 0 and ResourceId is not null

),

billed_hours as (

    select
        ResourceId                                                  as resource_id,
        -- the hour's largest charge names it; on a tie the value sorting last, so every build agrees
        arg_max(ResourceName, (EffectiveCost, ResourceName))        as resource_name,
        date_trunc('hour', ChargePeriodStart)                       as hour,
        ProviderName                                                as provider,
        arg_max(x_Team, (EffectiveCost, x_Team))                    as team,
        arg_max(x_WorkloadType, (EffectiveCost, x_WorkloadType))    as workload_type,
        arg_max(x_WorkloadName, (EffectiveCost, x_WorkloadName))    as workload_name,
        arg_max(x_InstanceType, (EffectiveCost, x_InstanceType))    as instance_type,
        sum(x_GpuHours)                                             as gpu_hours,
        sum(BilledCost)                                             as BilledCost,
        sum(EffectiveCost)                                          as EffectiveCost,
        x_LoadId                                                    as load_id
    from gpu_charges
    group by ResourceId, date_trunc('hour', ChargePeriodStart), ProviderName, x_LoadId

),

per_gpu as (

    select
        resource_id,
        date_trunc('hour', sampled_at)                              as hour,
        gpu_index,
        avg(gpu_utilization)                                        as utilization,
        count(gpu_utilization)                                      as samples
    from gpu_metrics
    where gpu_utilization is not null
    group by all

),

measured_hours as (

    select
        resource_id,
        hour,
        avg(utilization)                                            as mean_gpu_utilization,
        cast(sum(samples) as bigint)                                as samples
    from per_gpu
    group by all

),

invocation_hours as (

    -- endpoints only (CloudWatch): hours without a request are loaded as 0
    select
        resource_id,
        date_trunc('hour', sampled_at)                              as hour,
        sum(invocations)                                            as invocations
    from gpu_metrics
    where invocations is not null
    group by all

),

invocation_days as (

    select
        *,
        sum(invocations) over (partition by resource_id, cast(hour as date)) as day_invocations
    from invocation_hours

),

joined as (

    select
        billed_hours.*,
        measured_hours.mean_gpu_utilization,
        coalesce(measured_hours.samples, 0)                         as samples,
        invocation_days.invocations,
        invocation_days.day_invocations,
        measured_hours.mean_gpu_utilization < idle_settings.gpu_utilization_below as idle_by_utilization,
        invocation_days.day_invocations <= idle_settings.endpoint_invocations_per_day_at_most as idle_by_invocations,
        idle_settings.*
    from billed_hours
    cross join idle_settings
    -- samples name the instance id, or a SageMaker resource by its name rather than its ARN
    left join measured_hours
        on measured_hours.hour = billed_hours.hour
        and measured_hours.resource_id in (billed_hours.resource_id, billed_hours.resource_name)
    left join invocation_days
        on invocation_days.hour = billed_hours.hour
        and invocation_days.resource_id in (billed_hours.resource_id, billed_hours.resource_name)

),

flagged as (

    select
        joined.*,
        -- either rule idles the hour; a rule that cannot be evaluated (no data) does not count
        case
            when idle_by_utilization or idle_by_invocations then true
            when idle_by_utilization is not null or idle_by_invocations is not null then false
        end                                                         as is_idle,
        nullif(concat_ws('; ',
            case when idle_by_utilization then 'mean GPU utilisation < ' || gpu_utilization_below || ' %' end,
            case when idle_by_invocations then 'endpoint: <= ' || endpoint_invocations_per_day_at_most || ' invocations that day' end
        ), '')                                                      as idle_rule
    from joined

)

select
    resource_id,
    resource_name,
    hour,
    strftime(hour, '%G-W%V')                                        as week,
    provider,
    team,
    workload_type,
    workload_name,
    instance_type,
    gpu_hours,
    mean_gpu_utilization,
    samples,
    invocations,
    day_invocations,
    is_idle,
    idle_rule,
    case when is_idle then BilledCost else 0 end                    as wasted_cost,
    BilledCost,
    EffectiveCost,
    load_id
from flagged
