-- Object storage per bucket, ISO week and storage class: GB-months billed, cost, and growth on the
-- week before. Amazon S3 from its TimedStorage usage types (ResourceId is the bucket), Cloud
-- Storage from its storage SKUs.
with storage as (

    select
        strftime(ChargePeriodStart, '%G-W%V')                       as week,
        ProviderName                                                as provider,
        RegionId                                                    as region,
        ResourceId                                                  as bucket,
        x_Team                                                      as team,
        case
            when ProviderName = 'Google Cloud' and SkuMeter like 'Standard%' then 'STANDARD'
            when ProviderName = 'Google Cloud' and SkuMeter like 'Nearline%' then 'NEARLINE'
            when ProviderName = 'Google Cloud' and SkuMeter like 'Coldline%' then 'COLDLINE'
            when ProviderName = 'Google Cloud' then 'ARCHIVE'
            when x_UsageType like '%TimedStorage-ByteHrs' then 'STANDARD'
            when x_UsageType like '%TimedStorage-SIA-%' then 'STANDARD_IA'
            when x_UsageType like '%TimedStorage-ZIA-%' then 'ONEZONE_IA'
            when x_UsageType like '%TimedStorage-GIR-%' then 'GLACIER_IR'
            when x_UsageType like '%TimedStorage-GlacierByteHrs' then 'GLACIER'
            when x_UsageType like '%TimedStorage-GDA-%' then 'DEEP_ARCHIVE'
            when x_UsageType like '%TimedStorage-INT-%' then 'INTELLIGENT_TIERING'
            else 'OTHER'
        end                                                         as storage_class,
        PricingQuantity                                             as gb_months,
        EffectiveCost
    from allocated_costs
    where ChargeCategory = 'Usage'
      and ResourceId is not null
      and ((ProviderName = 'AWS' and x_UsageType like '%TimedStorage%')
           or (ProviderName = 'Google Cloud' and ServiceName = 'Cloud Storage'
               and (SkuMeter like 'Standard Storage%' or SkuMeter like 'Nearline Storage%'
                    or SkuMeter like 'Coldline Storage%' or SkuMeter like 'Archive Storage%')))

),

weighted as (

    -- what each team cost the bucket's class that week: the costliest wins below
    select *, sum(EffectiveCost) over (partition by week, provider, region, bucket, storage_class, team) as team_cost
    from storage

),

weekly as (

    select
        week,
        provider,
        region,
        bucket,
        storage_class,
        -- the team with the most cost; of two as costly, the one sorting last, so every build agrees
        arg_max(team, (team_cost, team))                            as team,
        sum(gb_months)                                              as gb_months,
        sum(EffectiveCost)                                          as EffectiveCost
    from weighted
    group by week, provider, region, bucket, storage_class

),

growth as (

    select
        *,
        lag(gb_months) over (partition by provider, bucket, storage_class order by week) as previous_gb_months,
        lag(week) over (partition by provider, bucket, storage_class order by week)      as previous_week
    from weekly

)

select
    week,
    provider,
    region,
    bucket,
    storage_class,
    team,
    gb_months,
    EffectiveCost,
    previous_gb_months,
    gb_months - previous_gb_months                                  as growth_gb_months,
    (gb_months - previous_gb_months) / nullif(previous_gb_months, 0) as growth_share
from growth
