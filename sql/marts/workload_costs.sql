-- Spend per day, provider, service, team and workload: the grain the weekly report and most questions
-- need, a small fraction of the line items. Kept per load so a build replaces only what changed.
with allocated as (

    select * from allocated_costs

)

select
    cast(ChargePeriodStart as date)                         as day,
    strftime(ChargePeriodStart, '%G-W%V')                   as week,
    ProviderName                                            as provider,
    ServiceName                                             as service,
    x_Team                                                  as team,
    x_Project                                               as project,
    x_WorkloadType                                          as workload_type,
    x_WorkloadName                                          as workload_name,
    sum(BilledCost)                                         as BilledCost,
    sum(EffectiveCost)                                      as EffectiveCost,
    sum(ListCost)                                           as ListCost,
    coalesce(sum(x_GpuHours), 0)                            as gpu_hours,
    x_LoadId                                                as load_id
from allocated
group by all
