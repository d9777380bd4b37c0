-- One price per provider, priced item, region and kind (on demand, spot, 1- and 3-year commitment):
-- AWS instance prices and GCP Catalog SKU prices in one long table.
with aws as (

    select * from instance_prices

),

gcp as (

    select * from gcp_sku_prices

),

aws_long as (

    unpivot aws
    on on_demand_hourly, spot_hourly, commit_1y_hourly, commit_3y_hourly
    into name price_column value unit_price

)

select
    cast(as_of as date)                                 as as_of,
    provider,
    service,
    instance_type                                       as item,
    region,
    replace(price_column, '_hourly', '')                as price_kind,
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
