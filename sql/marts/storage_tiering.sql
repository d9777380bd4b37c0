-- Cold buckets, per ISO week: Standard storage billed, and no read request charged (S3 GET-class
-- Tier2 requests, Cloud Storage Class B operations) for at least [savings] cold_storage_days days up
-- to the week's last storage charge. Moved to the coldest class whose minimum storage duration the
-- bucket has already stayed unread (S3: Standard-IA 30 days, Glacier Instant Retrieval 90; Cloud
-- Storage: Nearline, Coldline), the week would have cost its GB-months at that class's price plus
-- the transition requests, one per object. Objects are counted as the bucket's write requests on the
-- bill (Tier1, Class A): every object was written at least once, so this errs on the high side.
with standard as (

    select * from storage_growth where storage_class = 'STANDARD'

),

requests as (

    select
        ProviderName                                                as provider,
        ResourceId                                                  as bucket,
        ChargePeriodStart,
        case
            when x_UsageType like '%Requests-Tier2%' or SkuMeter like '%Class B Operations%' then 'read'
            else 'write'
        end                                                         as request_kind,
        ConsumedQuantity                                            as requests
    from allocated_costs
    where ChargeCategory = 'Usage'
      and ResourceId is not null
      and ConsumedQuantity > 0
      and (x_UsageType like '%Requests-Tier1%' or x_UsageType like '%Requests-Tier2%'
           or SkuMeter like '%Class A Operations%' or SkuMeter like '%Class B Operations%')

),

bucket_weeks as (

    -- each bucket-week's last charge, and the bucket's first one
    select
        standard.week,
        standard.provider,
        standard.bucket,
        max(costs.ChargePeriodStart)                                as as_of,
        min(first_seen.first_storage)                               as first_storage
    from standard
    join allocated_costs as costs
        on costs.ResourceId = standard.bucket
       and costs.ProviderName = standard.provider
       and strftime(costs.ChargePeriodStart, '%G-W%V') = standard.week
    join (
        select ResourceId, min(ChargePeriodStart) as first_storage
        from allocated_costs
        where ResourceId in (select bucket from standard)
        group by ResourceId
    ) as first_seen
        on first_seen.ResourceId = standard.bucket
    group by standard.week, standard.provider, standard.bucket

),

request_days as (

    -- per bucket and UTC day first, so that each bucket-week meets days, not every request charge
    select
        provider,
        bucket,
        date_trunc('day', ChargePeriodStart)                        as day,
        max(case when request_kind = 'read' then ChargePeriodStart end) as last_read,
        sum(case when request_kind = 'write' then requests end)     as writes
    from requests
    group by provider, bucket, date_trunc('day', ChargePeriodStart)

),

requests_to_date as (

    -- every request up to each bucket-week's last charge: the whole days before that charge's day,
    -- then that day's own charges up to it
    select bucket_weeks.week, bucket_weeks.provider, bucket_weeks.bucket, request_days.last_read, request_days.writes
    from bucket_weeks
    join request_days
        on request_days.bucket = bucket_weeks.bucket
       and request_days.provider = bucket_weeks.provider
       and request_days.day < date_trunc('day', bucket_weeks.as_of)
    union all
    select
        bucket_weeks.week,
        bucket_weeks.provider,
        bucket_weeks.bucket,
        case when requests.request_kind = 'read' then requests.ChargePeriodStart end,
        case when requests.request_kind = 'write' then requests.requests end
    from bucket_weeks
    join requests
        on requests.bucket = bucket_weeks.bucket
       and requests.provider = bucket_weeks.provider
       and date_trunc('day', requests.ChargePeriodStart) = date_trunc('day', bucket_weeks.as_of)
       and requests.ChargePeriodStart <= bucket_weeks.as_of

),

activity as (

    select
        bucket_weeks.week,
        bucket_weeks.bucket,
        max(requests_to_date.last_read)                             as last_read,
        coalesce(sum(requests_to_date.writes), 0)                   as objects
    from bucket_weeks
    left join requests_to_date
        on requests_to_date.week = bucket_weeks.week
       and requests_to_date.provider = bucket_weeks.provider
       and requests_to_date.bucket = bucket_weeks.bucket
    group by bucket_weeks.week, bucket_weeks.bucket

),

cold as (

    select
        standard.*,
        date_diff('day', coalesce(activity.last_read, bucket_weeks.first_storage), bucket_weeks.as_of) as days_unread,
        activity.last_read,
        activity.objects
    from standard
    join bucket_weeks using (week, provider, bucket)
    join activity using (week, bucket)
    cross join savings_settings
    where date_diff('day', coalesce(activity.last_read, bucket_weeks.first_storage), bucket_weeks.as_of)
          >= savings_settings.cold_storage_days

),

price_regions as (

    select
        cold.provider,
        cold.region,
        coalesce(max(case when prices.region = cold.region then prices.region end), min(prices.region)) as price_region
    from cold
    join storage_class_prices as prices on prices.provider = cold.provider
    group by cold.provider, cold.region

),

targets as (

    -- the coldest class the bucket has stayed unread long enough for
    select
        cold.*,
        prices.storage_class                                        as target_class,
        cast(prices.gb_month_price as decimal(38, 10))              as target_gb_month_price,
        cast(prices.transition_per_1000_requests as decimal(38, 10)) as transition_per_1000_requests,
        prices.as_of                                                as price_as_of,
        row_number() over (
            partition by cold.week, cold.provider, cold.bucket order by prices.minimum_storage_days desc
        )                                                           as coldness
    from cold
    join price_regions
        on price_regions.provider = cold.provider
       and price_regions.region is not distinct from cold.region
    join storage_class_prices as prices
        on prices.provider = cold.provider
       and prices.region = price_regions.price_region
    where prices.storage_class <> 'STANDARD'
      and prices.minimum_storage_days <= cold.days_unread

),

priced as (

    select
        week,
        provider,
        region,
        bucket,
        team,
        gb_months,
        EffectiveCost,
        days_unread,
        last_read,
        objects,
        target_class,
        target_gb_month_price,
        cast(gb_months * target_gb_month_price as decimal(38, 10))  as target_cost,
        cast(objects * transition_per_1000_requests / 1000 as decimal(38, 10)) as transition_cost,
        price_as_of
    from targets
    where coldness = 1

)

select
    *,
    cast(EffectiveCost - target_cost - transition_cost as decimal(38, 10)) as tiering_savings
from priced
