-- Interruptible GPU work (training jobs, batch; endpoints when [savings] interruptible_endpoints)
-- that ran on demand, per ISO week, workload and instance type, priced at spot: savings = hours x
-- (on-demand rate - spot rate), at most what the hours cost. The on-demand rate is the bill's own public rate where it has one,
-- else the price table's. Idle hours are left to idle_gpu (int_savings_levers). GCP: the GPU SKU's
-- GPU hours at its Preemptible price (cores and memory are other SKUs, not counted).
with usage as (

    select
        *,
        -- the bill's own public on-demand rate: AWS states it, GCP's is its list cost per priced hour
        coalesce(ListUnitPrice, ListCost / nullif(x_PricedHours, 0))        as bill_on_demand_rate
    from int_savings_levers
    where x_SavingsLever = 'spot'

),

rates as (

    -- the spot price's date and source: the on-demand rate mostly comes from the bill itself
    select
        provider,
        on_demand_item,
        region,
        any_value(as_of) filter (where price_kind = 'spot')                  as as_of,
        any_value(source) filter (where price_kind = 'spot')                 as source,
        any_value(unit_price) filter (where price_kind = 'on_demand')        as on_demand_rate,
        any_value(unit_price) filter (where price_kind = 'spot')             as spot_rate
    from prices
    where price_kind in ('on_demand', 'spot')
    group by provider, on_demand_item, region
    having count(*) filter (where price_kind = 'spot') > 0

),

price_regions as (

    -- the bill's region where the price table has it, else the first region it has
    select
        usage.ProviderName,
        usage.x_PricedItem,
        usage.RegionId,
        coalesce(max(case when rates.region = usage.RegionId then rates.region end), min(rates.region)) as price_region
    from usage
    join rates
        on usage.ProviderName = rates.provider
       and usage.x_PricedItem = rates.on_demand_item
    group by usage.ProviderName, usage.x_PricedItem, usage.RegionId

),

priced as (

    select
        usage.*,
        rates.on_demand_rate                                                as table_on_demand_rate,
        rates.spot_rate,
        rates.as_of                                                         as price_as_of,
        rates.source                                                        as price_source
    from usage
    join price_regions
        on usage.ProviderName = price_regions.ProviderName
       and usage.x_PricedItem = price_regions.x_PricedItem
       and usage.RegionId is not distinct from price_regions.RegionId
    join rates
        on price_regions.ProviderName = rates.provider
       and price_regions.x_PricedItem = rates.on_demand_item
       and price_regions.price_region = rates.region

),

weighted as (

    -- what each team cost the workload that week: the costliest wins below
    select
        *,
        strftime(ChargePeriodStart, '%G-W%V')                               as week,
        coalesce(x_InstanceType, x_PricedItem)                              as instance_type,
        sum(EffectiveCost) over (partition by strftime(ChargePeriodStart, '%G-W%V'), ProviderName, x_WorkloadType,
            x_WorkloadName, coalesce(x_InstanceType, x_PricedItem), x_Team)  as team_cost
    from priced

),

weekly as (

    select
        week,
        ProviderName                                                        as provider,
        x_WorkloadType                                                      as workload_type,
        x_WorkloadName                                                      as workload_name,
        -- the team with the most cost; of two as costly, the one sorting last, so every build agrees
        arg_max(x_Team, (team_cost, x_Team))                                as team,
        instance_type,
        sum(x_PricedHours)                                                  as on_demand_hours,
        sum(EffectiveCost)                                                  as on_demand_cost,
        coalesce(
            cast(max(bill_on_demand_rate) filter (where bill_on_demand_rate > 0) as decimal(38, 10)),
            any_value(table_on_demand_rate)
        )                                                                   as on_demand_rate,
        any_value(spot_rate)                                                as spot_rate,
        any_value(price_as_of)                                              as price_as_of,
        any_value(price_source)                                             as price_source
    from weighted
    group by week, ProviderName, x_WorkloadType, x_WorkloadName, instance_type

)

select
    *,
    -- never more than the hours cost: a list rate above what the bill charged cannot save more
    cast(least(on_demand_hours * (on_demand_rate - spot_rate), on_demand_cost) as decimal(38, 10)) as spot_savings
from weekly
