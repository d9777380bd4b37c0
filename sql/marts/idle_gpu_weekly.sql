-- Per GPU-bearing resource and ISO week: idle hours, idle share, wasted dollars, longest idle stretch.
with hours as (

    select * from idle_gpu

),

idle_runs as (

    -- consecutive idle hours share hour minus their rank: one group per unbroken stretch
    select resource_id, week, count(*) as run_hours
    from (
        select
            resource_id,
            week,
            hour - to_hours(row_number() over (partition by resource_id, week order by hour)) as run_start
        from hours
        where is_idle
    ) as idle_hours
    group by resource_id, week, run_start

),

longest as (

    select resource_id, week, max(run_hours) as longest_idle_stretch_hours
    from idle_runs
    group by all

),

weekly as (

    select
        resource_id,
        week,
        resource_name,
        provider,
        team,
        workload_type,
        workload_name,
        billed_hours,
        gpu_hours,
        measured_hours,
        idle_hours,
        mean_gpu_utilization,
        BilledCost,
        wasted_cost
    from int_gpu_resource_weeks

)

select
    weekly.*,
    idle_hours / nullif(measured_hours, 0)                          as idle_share,
    coalesce(longest.longest_idle_stretch_hours, 0)                 as longest_idle_stretch_hours
from weekly
left join longest using (resource_id, week)
