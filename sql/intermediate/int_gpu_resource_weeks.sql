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

weekly as (

    select
        resource_id,
        week,
        any_value(resource_name)                                    as resource_name,
        any_value(provider)                                         as provider,
        mode(team)                                                  as team,
        mode(workload_type)                                         as workload_type,
        mode(workload_name)                                         as workload_name,
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

select * from weekly
