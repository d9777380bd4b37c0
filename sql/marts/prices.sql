-- One price per provider, priced item, region and kind (on demand, spot, 1- and 3-year commitment),
-- from the best source that has it: the bill itself, else the last `finops prices refresh`
-- (refreshed_prices), else the bundled seeds (instance_prices for AWS, gcp_sku_prices for GCP).
with aws as (

    select * from instance_prices

),

gcp as (

    select * from gcp_sku_prices

),

refreshed as (

    select * from refreshed_prices

),

aws_long as (

    -- one row per price kind the seed states (a missing price is no row)
    select as_of, provider, service, instance_type, region, 'on_demand' as price_kind, on_demand_hourly as unit_price, source
    from aws where on_demand_hourly is not null
    union all
    select as_of, provider, service, instance_type, region, 'spot', spot_hourly, source
    from aws where spot_hourly is not null
    union all
    select as_of, provider, service, instance_type, region, 'commit_1y', commit_1y_hourly, source
    from aws where commit_1y_hourly is not null
    union all
    select as_of, provider, service, instance_type, region, 'commit_3y', commit_3y_hourly, source
    from aws where commit_3y_hourly is not null

),

bundled as (

    select
        cast(as_of as date)                                 as as_of,
        provider,
        service,
        instance_type                                       as item,
        region,
        price_kind,
        'h'                                                 as unit,
        cast(unit_price as decimal(38, 10))                 as unit_price,
        source
    from aws_long

    union all

    select
        cast(as_of as date)                                 as as_of,
        'Google Cloud'                                      as provider,
        service,
        sku_description                                     as item,
        region,
        case usage_type
            when 'OnDemand' then 'on_demand'
            when 'Preemptible' then 'spot'
            when 'Commit1Yr' then 'commit_1y'
            when 'Commit3Yr' then 'commit_3y'
        end                                                 as price_kind,
        unit,
        cast(unit_price_usd as decimal(38, 10))             as unit_price,
        'approximate Cloud Billing Catalog snapshot'        as source
    from gcp

),

bill_usage as (

    -- hourly usage of what the price table covers (AWS instance types, GCP GPU SKUs): on demand at
    -- its public on-demand cost, spot at what it cost
    select
        ProviderName                                        as provider,
        x_ProductCode                                       as service,
        x_InstanceType                                      as item,
        RegionId                                            as region,
        case PricingCategory when 'Standard' then 'on_demand' else 'spot' end as price_kind,
        cast(ChargePeriodStart as date)                     as charge_date,
        ConsumedQuantity                                    as hours,
        case PricingCategory
            when 'Standard' then coalesce(nullif(ListCost, 0), BilledCost)
            else EffectiveCost
        end                                                 as cost
    from costs
    where ProviderName = 'AWS'
      and ChargeCategory = 'Usage'
      and PricingCategory in ('Standard', 'Dynamic')
      and ConsumedUnit = 'Hours'
      and ConsumedQuantity > 0
      and RegionId is not null
      and x_InstanceType in (select item from bundled where provider = 'AWS')

    union all

    -- Google Cloud bills a GPU by its own SKU per hour; a spot GPU is a SKU of its own
    select
        ProviderName                                        as provider,
        ServiceName                                         as service,
        SkuMeter                                            as item,
        RegionId                                            as region,
        case when SkuMeter like '%Spot Preemptible%' then 'spot' else 'on_demand' end as price_kind,
        cast(ChargePeriodStart as date)                     as charge_date,
        PricingQuantity                                     as hours,
        case
            when SkuMeter like '%Spot Preemptible%' then EffectiveCost
            else coalesce(nullif(ListCost, 0), BilledCost)
        end                                                 as cost
    from costs
    where ProviderName = 'Google Cloud'
      and ChargeCategory = 'Usage'
      and x_RowKind = 'line_item'
      and PricingUnit = 'Hours'
      and PricingQuantity > 0
      and RegionId is not null
      and SkuMeter in (select item from bundled where provider = 'Google Cloud')

),

bill_days as (

    -- each key's usage per day first, so the window below orders days, not line items
    select provider, min(service) as service, item, region, price_kind, charge_date, sum(hours) as hours, sum(cost) as cost
    from bill_usage
    group by provider, item, region, price_kind, charge_date

),

bill_recent as (

    select
        *,
        max(charge_date) over (partition by provider, item, region, price_kind) as last_date
    from bill_days

),

bill as (

    -- the rate over each key's last 30 days on the bill
    select
        last_date                                           as as_of,
        provider,
        min(service)                                        as service,
        item,
        region,
        price_kind,
        'h'                                                 as unit,
        cast(sum(cost) / sum(hours) as decimal(38, 10))     as unit_price,
        case price_kind
            when 'on_demand' then 'bill: public on-demand rate of on-demand usage, last 30 days'
            else 'bill: rate paid for spot usage, last 30 days'
        end                                                 as source
    from bill_recent
    where charge_date > last_date - interval '30' day
    group by last_date, provider, item, region, price_kind

),

candidates as (

    select *, 1 as preference from bill
    union all
    select as_of, provider, service, item, region, price_kind, unit, unit_price, source, 2 as preference from refreshed
    union all
    select *, 3 as preference from bundled

),

ranked as (

    select
        *,
        row_number() over (
            partition by provider, item, region, price_kind
            order by preference, as_of desc
        )                                                   as position
    from candidates

)

select
    as_of,
    provider,
    service,
    item,
    region,
    price_kind,
    -- GCP names each kind's SKU differently; this is the on-demand SKU the bill shows for the usage
    case
        when provider <> 'Google Cloud' or price_kind = 'on_demand' then item
        when price_kind = 'spot'
            then replace(regexp_replace(item, '^Spot Preemptible ', ''), ' attached to Spot Preemptible VMs', '')
        else replace(regexp_replace(regexp_replace(item, '^Commitment v1: ', ''), ' for [0-9]+ Years?$', ''),
                     ' in ', ' running in ')
    end                                                     as on_demand_item,
    unit,
    unit_price,
    source
from ranked
where position = 1
