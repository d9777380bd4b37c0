-- Interruptible GPU work (training jobs, batch) that ran on demand, per ISO week, workload and
-- instance type, priced at spot: savings = hours x (on-demand rate - spot rate). The on-demand
-- rate is the bill's own public rate where it has one, else the price table's.
with usage as (

    select *, row_number() over () as row_id
    from allocated_costs
    where x_WorkloadType in ('training', 'batch')
      and ChargeCategory = 'Usage'
      and PricingCategory = 'Standard'
      and ConsumedUnit = 'Hours'
      and x_GpuHours > 0

),

rates as (

    select
        provider,
        item                                                                as instance_type,
        region,
        as_of,
        source,
        any_value(unit_price) filter (where price_kind = 'on_demand')        as on_demand_rate,
        any_value(unit_price) filter (where price_kind = 'spot')             as spot_rate
    from prices
    where provider = 'AWS'
    group by all

),

priced as (

    -- the price of the bill's region where the table has it, else of any region it has
    select
        usage.*,
        rates.on_demand_rate                                                as table_on_demand_rate,
        rates.spot_rate,
        rates.as_of                                                         as price_as_of,
        rates.source                                                        as price_source
    from usage
    join rates
        on usage.ProviderName = rates.provider
       and usage.x_InstanceType = rates.instance_type
    qualify row_number() over (
        partition by usage.row_id
        order by (rates.region = usage.RegionId) desc, rates.region
    ) = 1

),

weekly as (

    select
        strftime(ChargePeriodStart, '%G-W%V')                               as week,
        ProviderName                                                        as provider,
        x_WorkloadType                                                      as workload_type,
        x_WorkloadName                                                      as workload_name,
        mode(x_Team)                                                        as team,
        x_InstanceType                                                      as instance_type,
        sum(ConsumedQuantity)                                               as on_demand_hours,
        sum(EffectiveCost)                                                  as on_demand_cost,
        coalesce(
            cast(max(ListUnitPrice) filter (where ListUnitPrice > 0) as decimal(38, 10)),
            any_value(table_on_demand_rate)
        )                                                                   as on_demand_rate,
        any_value(spot_rate)                                                as spot_rate,
        any_value(price_as_of)                                              as price_as_of,
        any_value(price_source)                                             as price_source
    from priced
    group by week, provider, workload_type, workload_name, instance_type

)

select
    *,
    cast(on_demand_hours * (on_demand_rate - spot_rate) as decimal(38, 10)) as spot_savings
from weekly
