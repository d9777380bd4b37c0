-- Per GPU-bearing resource and ISO week, from the hours of idle_gpu: what it billed, how much of it
-- was measured or idle, and how much fell in off hours (20:00-08:00 UTC and weekends, 108 of a
-- week's 168). idle_gpu_weekly (measured idleness) and idle_gpu_suspected (billing-only suspicion)
-- both read it, so the two agree on who a resource belongs to and what it billed.
with hours as (

    select
        *,
        isodow(hour) in (6, 7) or extract(hour from hour) < 8 or extract(hour from hour) >= 20 as off_hours
    from idle_gpu

),

-- how many of the week's hours carry each owner: the most frequent wins below (counted per group,
-- not by a window over every hour: three sorts of all GPU hours were most of this table's cost)
teams as (

    select resource_id, week, team, count(*) as hours
    from idle_gpu where team is not null group by all

),

workload_types as (

    select resource_id, week, workload_type, count(*) as hours
    from idle_gpu where workload_type is not null group by all

),

workload_names as (

    select resource_id, week, workload_name, count(*) as hours
    from idle_gpu where workload_name is not null group by all

),

owners as (

    -- the most frequent; on a tie the value sorting last: every build of the same hours agrees
    select resource_id, week, arg_max(team, (hours, team)) as team
    from teams group by resource_id, week

),

workload_type_picks as (

    select resource_id, week, arg_max(workload_type, (hours, workload_type)) as workload_type
    from workload_types group by resource_id, week

),

workload_name_picks as (

    select resource_id, week, arg_max(workload_name, (hours, workload_name)) as workload_name
    from workload_names group by resource_id, week

),

weekly as (

    select
        resource_id,
        week,
        -- names as of the week's last hour
        arg_max(resource_name, (hour, resource_name))               as resource_name,
        arg_max(provider, (hour, provider))                         as provider,
        count(*)                                                    as billed_hours,
        count(*) filter (where off_hours)                           as billed_off_hours,
        sum(gpu_hours)                                              as gpu_hours,
        count(mean_gpu_utilization)                                 as measured_hours,
        count(*) filter (where is_idle)                             as idle_hours,
        avg(mean_gpu_utilization)                                   as mean_gpu_utilization,
        sum(BilledCost)                                             as BilledCost,
        coalesce(sum(BilledCost) filter (where off_hours), 0)       as off_hours_cost,
        sum(wasted_cost)                                            as wasted_cost
    from hours
    group by resource_id, week

)

select
    weekly.resource_id,
    weekly.week,
    weekly.resource_name,
    weekly.provider,
    owners.team,
    workload_type_picks.workload_type,
    workload_name_picks.workload_name,
    weekly.billed_hours,
    weekly.billed_off_hours,
    weekly.gpu_hours,
    weekly.measured_hours,
    weekly.idle_hours,
    weekly.mean_gpu_utilization,
    weekly.BilledCost,
    weekly.off_hours_cost,
    weekly.wasted_cost
from weekly
left join owners
    on owners.resource_id = weekly.resource_id and owners.week = weekly.week
left join workload_type_picks
    on workload_type_picks.resource_id = weekly.resource_id and workload_type_picks.week = weekly.week
left join workload_name_picks
    on workload_name_picks.resource_id = weekly.resource_id and workload_name_picks.week = weekly.week
