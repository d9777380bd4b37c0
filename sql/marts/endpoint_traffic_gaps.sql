-- Real-time endpoints with long stretches without traffic, per ISO week: the hours without a single
-- invocation (in runs of at least [savings] endpoint_zero_traffic_hours, not idle in idle_gpu) and
-- what they cost, which scaling to zero when unused would have saved.
with zero_hours as (

    -- with what each team's hours cost the endpoint that week: the costliest wins below
    select *, sum(EffectiveCost) over (partition by resource_id, week, endpoint, provider, team) as team_cost
    from int_endpoint_zero_traffic

),

billed as (

    select
        ResourceId                                                  as resource_id,
        strftime(ChargePeriodStart, '%G-W%V')                       as week,
        count(distinct date_trunc('hour', ChargePeriodStart))       as billed_hours
    from allocated_costs
    where x_WorkloadType = 'inference' and ChargeCategory = 'Usage' and ConsumedUnit = 'Hours'
      and x_InstanceType is not null
      and ResourceId in (select resource_id from zero_hours)
    group by ResourceId, strftime(ChargePeriodStart, '%G-W%V')

),

weekly as (

    select
        resource_id,
        week,
        endpoint,
        provider,
        -- the team with the most cost; of two as costly, the one sorting last, so every build agrees
        arg_max(team, (team_cost, team))                            as team,
        string_agg(distinct instance_type, ', ' order by instance_type) as instance_types,
        count(*)                                                    as zero_traffic_hours,
        max(run_hours)                                              as longest_zero_traffic_hours,
        sum(EffectiveCost)                                          as zero_traffic_cost
    from zero_hours
    group by resource_id, week, endpoint, provider

)

select
    weekly.*,
    billed.billed_hours
from weekly
join billed using (resource_id, week)
