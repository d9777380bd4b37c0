-- The untagged resources of each week, largest first: what to tag so their spend finds its team.
-- A resource counts when no team tag claims it (x_Team 'unallocated'); charges without a resource
-- (tax, support, fees) and unused commitments cannot be tagged and are left out.
with untagged as (

    select
        strftime(ChargePeriodStart, '%G-W%V')   as week,
        ProviderName                            as provider,
        ServiceName                             as service,
        ResourceId                              as resource_id,
        x_WorkloadName                          as resource_name,
        x_WorkloadType                          as workload_type,
        EffectiveCost
    from allocated_costs
    where x_Team = 'unallocated' and ResourceId is not null and ChargeCategory = 'Usage' and x_RowKind = 'line_item'

)

select
    week,
    provider,
    resource_id,
    any_value(resource_name)                    as resource_name,
    mode(service)                               as service,
    mode(workload_type)                         as workload_type,
    sum(EffectiveCost)                          as EffectiveCost
from untagged
group by week, provider, resource_id
