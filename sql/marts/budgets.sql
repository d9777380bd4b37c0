-- Monthly budgets (finops.toml [budgets], in budget_settings) against spend: per month with data and
-- budget line, the month to date, a forecast to the month's end (the trailing 28 days' daily run
-- rate times the days left, plus the month to date; none before 3 days of data), the share used and
-- a status: over (month to date above budget), at risk (forecast above budget) or on track. A month
-- is as of its last day with data; a budget in no currency is in the bill's, and never compared
-- with spend in another currency.
with daily as (

    select
        cast(ChargePeriodStart as date)   as day,
        BillingCurrency                   as currency,
        ProviderName                      as provider,
        BillingAccountId                  as billing_account_id,
        SubAccountId                      as sub_account_id,
        x_Team                            as team,
        x_WorkloadType                    as workload_type,
        sum(EffectiveCost)                as cost
    from allocated_costs
    group by all

),

lines as (

    select 'total' as dimension, 'total' as name, day, currency, cost from daily
    union all
    select 'team', team, day, currency, cost from daily
    union all
    select 'workload_type', workload_type, day, currency, cost from daily
    union all
    select 'provider', provider, day, currency, cost from daily
    union all
    select 'account', billing_account_id, day, currency, cost from daily
    union all
    -- a usage account (AWS linked account, GCP project) has its own budget too
    select 'account', sub_account_id, day, currency, cost from daily
    where sub_account_id is not null and sub_account_id <> billing_account_id

),

months as (

    select
        cast(date_trunc('month', day) as date)  as month_start,
        currency,
        max(day)                                as as_of_day,
        count(distinct day)                     as days_with_data
    from daily
    group by all

),

recent as (

    -- days with data in the 28 days up to the month's last day with data: the run rate's divisor
    select months.month_start, months.currency, count(distinct daily.day) as trailing_days
    from months
    join daily
      on daily.currency = months.currency
     and daily.day between cast(months.as_of_day - interval 27 day as date) and months.as_of_day
    group by all

),

budgeted as (

    select months.*, recent.trailing_days, budget_settings.dimension, budget_settings.name, budget_settings.amount
    from months
    join recent using (month_start, currency)
    join budget_settings on coalesce(budget_settings.currency, months.currency) = months.currency

),

spend as (

    select
        budgeted.month_start,
        budgeted.currency,
        budgeted.dimension,
        budgeted.name,
        any_value(budgeted.amount)                                               as budget,
        any_value(budgeted.as_of_day)                                            as as_of_day,
        any_value(budgeted.days_with_data)                                       as days_with_data,
        any_value(budgeted.trailing_days)                                        as trailing_days,
        coalesce(sum(lines.cost) filter (where lines.day >= budgeted.month_start), 0)  as month_to_date,
        coalesce(sum(lines.cost) filter (
            where lines.day > cast(budgeted.as_of_day - interval 28 day as date)), 0)  as trailing_cost
    from budgeted
    left join lines
      on lines.dimension = budgeted.dimension
     and lines.name = budgeted.name
     and lines.currency = budgeted.currency
     and lines.day <= budgeted.as_of_day
     and lines.day >= least(budgeted.month_start, cast(budgeted.as_of_day - interval 27 day as date))
    group by all

),

forecast as (

    select
        spend.*,
        case when days_with_data >= 3 then
            cast(month_to_date + trailing_cost / trailing_days
                 * (day(last_day(as_of_day)) - day(as_of_day)) as decimal(38, 10))
        end                                                                      as forecast
    from spend

)

select
    strftime(month_start, '%Y-%m')                                 as month,
    dimension,
    name,
    currency,
    as_of_day,
    days_with_data,
    month_to_date,
    forecast,
    budget,
    cast(round(month_to_date / nullif(budget, 0), 4) as decimal(18, 4)) as used_share,
    case
        when month_to_date > budget then 'over'
        when forecast > budget then 'at risk'
        else 'on track'
    end                                                            as status
from forecast
