-- Spend per day, provider, team and workload: the grain the weekly report and most questions need.
with allocated as (

    select * from allocated_costs

)

select
    cast(ChargePeriodStart as date)                         as day,
    strftime(ChargePeriodStart, '%G-W%V')                   as week,
    ProviderName                                            as provider,
    x_Team                                                  as team,
    x_Project                                               as project,
    x_WorkloadType                                          as workload_type,
    x_WorkloadName                                          as workload_name,
    sum(BilledCost)                                         as BilledCost,
    sum(EffectiveCost)                                      as EffectiveCost,
    sum(ListCost)                                           as ListCost,
    coalesce(sum(x_GpuHours), 0)                            as gpu_hours
from allocated
group by all
