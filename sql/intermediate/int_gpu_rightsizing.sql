-- GPU resources that used a fraction of their GPUs, per ISO week: over the last [savings]
-- rightsizing_days days up to the week's last billed hour, metrics on every one of those days and
-- the peak memory and the busiest hour both under the thresholds. Each gets the next smaller type
-- from the ladder. int_savings_levers gives their hours (not idle ones) to the rightsizing lever,
-- gpu_rightsizing prices them.
with resource_weeks as (

    select
        resource_id,
        week,
        provider,
        -- name and type as of the week's last hour (what it runs as now); on a tie the value
        -- sorting last, so every build agrees
        arg_max(resource_name, (hour, resource_name))               as resource_name,
        arg_max(instance_type, (hour, instance_type))               as instance_type,
        max(hour)                                                   as last_hour
    from idle_gpu
    where instance_type is not null
    group by resource_id, week, provider

),

per_gpu_hours as (

    -- as idle_gpu measures it: the hourly mean per GPU; memory at its peak
    select
        resource_id,
        date_trunc('hour', sampled_at)                              as hour,
        gpu_index,
        avg(gpu_utilization)                                        as utilization,
        max(memory_utilization)                                     as peak_memory
    from gpu_metrics
    where gpu_utilization is not null
    group by resource_id, date_trunc('hour', sampled_at), gpu_index

),

metric_hours as (

    select resource_id, hour, avg(utilization) as utilization, max(peak_memory) as peak_memory
    from per_gpu_hours
    group by resource_id, hour

),

windows as (

    select
        resource_weeks.resource_id,
        resource_weeks.week,
        count(distinct cast(metric_hours.hour as date))            as measured_days,
        max(metric_hours.utilization)                               as peak_gpu_utilization,
        max(metric_hours.peak_memory)                               as peak_memory_utilization
    from resource_weeks
    cross join savings_settings
    join metric_hours
        on metric_hours.resource_id in (resource_weeks.resource_id, resource_weeks.resource_name)
       and metric_hours.hour <= resource_weeks.last_hour
       and date_diff('hour', metric_hours.hour, resource_weeks.last_hour) < 24 * savings_settings.rightsizing_days
    group by resource_weeks.resource_id, resource_weeks.week

),

aws_priced as (

    select distinct item from prices where provider = 'AWS' and price_kind = 'on_demand'

)

select
    resource_weeks.resource_id,
    resource_weeks.resource_name,
    resource_weeks.week,
    resource_weeks.provider,
    resource_weeks.instance_type,
    ladder.smaller_instance_type,
    ladder.step,
    current_type.gpu_model,
    current_type.gpus,
    smaller_type.gpus                                               as smaller_gpus,
    windows.measured_days,
    windows.peak_gpu_utilization,
    windows.peak_memory_utilization,
    -- A100 and H100 can be split into MIG slices: the smallest that holds the peak memory
    case
        when current_type.gpu_model not in ('A100', 'H100') then null
        when current_type.gpu_memory_gib = 40 and windows.peak_memory_utilization * 40 / 100 <= 5 then '1g.5gb'
        when current_type.gpu_memory_gib = 40 then '2g.10gb'
        when windows.peak_memory_utilization * current_type.gpu_memory_gib / 100 <= 10 then '1g.10gb'
        else '2g.20gb'
    end                                                             as mig_profile
from resource_weeks
cross join savings_settings
join windows
    on windows.resource_id = resource_weeks.resource_id
   and windows.week = resource_weeks.week
join gpu_rightsizing_ladder as ladder
    on ladder.provider = resource_weeks.provider
   and ladder.instance_type = resource_weeks.instance_type
join gpu_instance_types as current_type
    on current_type.instance_type = regexp_replace(resource_weeks.instance_type, '^ml\.', '')
join gpu_instance_types as smaller_type
    on smaller_type.instance_type = regexp_replace(ladder.smaller_instance_type, '^ml\.', '')
left join aws_priced
    on aws_priced.item = ladder.smaller_instance_type
where windows.measured_days >= savings_settings.rightsizing_days
  and windows.peak_memory_utilization < savings_settings.rightsizing_peak_memory_below
  and windows.peak_gpu_utilization < savings_settings.rightsizing_peak_utilization_below
  -- AWS needs a price for the smaller type; GCP prices GPU hours, which the bill already does
  and (resource_weeks.provider = 'Google Cloud' or aws_priced.item is not null)
