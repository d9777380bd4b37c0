-- Per GPU-bearing resource and ISO week, from the hours of idle_gpu: what it billed, how much of it
-- was measured or idle, and how much fell in off hours (20:00-08:00 UTC and weekends, 108 of a
-- week's 168). idle_gpu_weekly (measured idleness) and idle_gpu_suspected (billing-only suspicion)
-- both read it, so the two agree on who a resource belongs to and what it billed.
with hours as (

    select
        *,
        isodow(hour) in (6, 7) or extract(hour from hour) < 8 or extract(hour from hour) >= 20 as off_hours,
        -- how many of the week's hours carry each owner: the most frequent wins below
        count(team) over (partition by resource_id, week, team)                     as team_hours,
        count(workload_type) over (partition by resource_id, week, workload_type)   as workload_type_hours,
        count(workload_name) over (partition by resource_id, week, workload_name)   as workload_name_hours
    from idle_gpu

),

weekly as (

    select
        resource_id,
        week,
        -- names as of the week's last hour; owners the most frequent, on a tie the value sorting
        -- last: every build of the same hours agrees
        arg_max(resource_name, (hour, resource_name))               as resource_name,
        arg_max(provider, (hour, provider))                         as provider,
        arg_max(team, (team_hours, team))                           as team,
        arg_max(workload_type, (workload_type_hours, workload_type)) as workload_type,
        arg_max(workload_name, (workload_name_hours, workload_name)) as workload_name,
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
