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

),

weighted as (

    -- what each name, service and workload type cost the resource that week: the costliest wins below
    select
        *,
        sum(EffectiveCost) over (partition by week, provider, resource_id, resource_name)   as resource_name_cost,
        sum(EffectiveCost) over (partition by week, provider, resource_id, service)         as service_cost,
        sum(EffectiveCost) over (partition by week, provider, resource_id, workload_type)   as workload_type_cost
    from untagged

)

select
    week,
    provider,
    resource_id,
    -- the label with the most cost; of two as costly, the one sorting last, so every build agrees
    arg_max(resource_name, (resource_name_cost, resource_name))     as resource_name,
    arg_max(service, (service_cost, service))                       as service,
    arg_max(workload_type, (workload_type_cost, workload_type))     as workload_type,
    sum(EffectiveCost)                                              as EffectiveCost
from weighted
group by week, provider, resource_id
