-- The report's headline per ISO week: spend, change against the week before, daily average (over
-- the days with data), month-to-date and a straight-line month-end forecast as of the week's last
-- day (none when the month has no data yet). Every week from
-- the first day with data to the current week has a row, so an empty week reads as zero.
with daily as (

    select day, sum(EffectiveCost) as EffectiveCost
    from workload_costs
    group by day

),

bounds as (

    select min(day) as first_day, greatest(max(day), current_date) as last_day
    from daily

),

charges as (

    select
        cast(max(ChargePeriodEnd) as timestamp)                  as data_through,
        (select string_agg(distinct currency, ', ' order by currency) from workload_costs) as currency
    from costs

),

calendar as (

    -- every day from the first week's Monday to the end of the current week
    select cast(days.day as date) as day
    from bounds
    cross join unnest(generate_series(
        cast(date_trunc('week', bounds.first_day) as date), cast(bounds.last_day + interval 6 day as date), interval 1 day
    )) as days(day)

),

days as (

    select
        calendar.day,
        coalesce(daily.EffectiveCost, 0)                          as EffectiveCost,
        daily.day is not null                                     as has_data,
        sum(coalesce(daily.EffectiveCost, 0)) over (
            partition by date_trunc('month', calendar.day) order by calendar.day
        )                                                         as month_to_date,
        count(daily.day) over (
            partition by date_trunc('month', calendar.day) order by calendar.day
        )                                                         as month_days_with_data
    from calendar
    left join daily on calendar.day = daily.day

),

weekly as (

    select
        strftime(date_trunc('week', day), '%G-W%V')               as week,
        cast(date_trunc('week', day) as date)                     as week_start,
        sum(EffectiveCost)                                        as EffectiveCost,
        count(*) filter (where has_data)                          as days_with_data,
        max(day)                                                  as week_last_day,
        arg_max(month_to_date, day)                               as month_to_date,
        arg_max(month_days_with_data, day)                        as month_days_with_data
    from days
    group by all

),

compared as (

    select
        weekly.*,
        lag(EffectiveCost) over (order by week_start)             as previous_week_cost
    from weekly

)

select
    compared.week,
    compared.week_start,
    cast(compared.week_start + interval 7 day as date)            as week_end,
    compared.week_start + interval 7 day <= charges.data_through  as is_complete,
    compared.days_with_data,
    charges.currency,
    compared.EffectiveCost,
    compared.previous_week_cost,
    compared.EffectiveCost - compared.previous_week_cost          as change,
    round((compared.EffectiveCost - compared.previous_week_cost) / nullif(compared.previous_week_cost, 0), 4)
                                                                  as change_share,
    cast(compared.EffectiveCost / nullif(compared.days_with_data, 0) as decimal(38, 10))
                                                                  as daily_average,
    strftime(compared.week_last_day, '%Y-%m')                     as month,
    compared.month_to_date,
    cast(compared.month_to_date / nullif(compared.month_days_with_data, 0) * day(last_day(compared.week_last_day))
        as decimal(38, 10))                                       as month_forecast
from compared
cross join charges
