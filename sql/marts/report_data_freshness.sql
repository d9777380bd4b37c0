-- What is loaded, per provider, billing account and shape: how many billing periods (or GCP usage
-- days), when it was last loaded, up to when its charges run, and whether that is stale (the last
-- charge ended more than 48 hours before now: AWS refreshes a CUR up to three times a day and GCP
-- exports daily, so two days without new data means a delivery is missing).
with current_loads as (

    select * from loads where replaced_by is null

),

loaded as (

    select
        provider,
        billing_account_id,
        shape,
        count(*)                        as periods,
        min(billing_period_start)       as first_period_start,
        max(loaded_at)                  as last_loaded_at,
        cast(sum(row_count) as bigint)  as row_count
    from current_loads
    group by all

),

charges as (

    select
        ProviderName                             as provider,
        BillingAccountId                         as billing_account_id,
        cast(max(ChargePeriodEnd) as timestamp)  as data_through
    from costs
    group by all

)

select
    loaded.provider,
    loaded.billing_account_id,
    loaded.shape,
    loaded.periods,
    loaded.first_period_start,
    loaded.last_loaded_at,
    loaded.row_count,
    charges.data_through,
    datediff('hour', charges.data_through, cast(current_timestamp as timestamp))                          as hours_behind,
    coalesce(charges.data_through < cast(current_timestamp as timestamp) - interval 48 hour, true)         as is_stale
from loaded
left join charges using (provider, billing_account_id)
