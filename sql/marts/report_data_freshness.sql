-- What is loaded, per provider, billing account and shape: how many billing periods (or GCP usage
-- days), when it was last loaded and up to when its charges run. How far that is behind "now", and
-- whether it is stale, depends on the provider's usual delay and on the report's as-of time, so the
-- report works it out from data_through (finops/report/weeks.py).
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
    charges.data_through
from loaded
left join charges using (provider, billing_account_id)
