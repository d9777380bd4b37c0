-- GPU efficiency per ISO week, team and workload: active GPU time over billed GPU time.
with hours as (

    select * from idle_gpu

)

select
    week,
    team,
    workload_type,
    workload_name,
    sum(gpu_hours)                                                  as gpu_hours,
    coalesce(sum(gpu_hours) filter (where mean_gpu_utilization is not null), 0) as measured_gpu_hours,
    sum(gpu_hours * mean_gpu_utilization / 100)                     as active_gpu_hours,
    sum(gpu_hours * mean_gpu_utilization / 100)
        / nullif(sum(gpu_hours) filter (where mean_gpu_utilization is not null), 0) as gpu_efficiency,
    sum(BilledCost)                                                 as BilledCost,
    sum(wasted_cost)                                                as wasted_cost
from hours
group by all
