-- How much more to commit per hour (AWS Savings Plans, GCP committed use discounts for GPUs), per
-- plan, term and look-back (7, 30, 60 days), from the hourly on-demand GPU spend a commitment would
-- cover (AWS: instance types; GCP: GPU SKUs, since GCP prices GPUs, cores and memory separately). The commitment c
-- minimising sum_t [c + max(0, h_t - c / (1 - d))] is c = (1 - d) x h_(ceil(n d)), the ceil(n d)-th
-- smallest of the n hourly values (finops/savings.py derives it; tests check the two agree).
-- Only the hours no other lever takes (int_savings_levers): spot candidates and idle hours are
-- savings_opportunities' spot and idle_gpu rows, so the kinds add up.
with usage as (

    select
        case
            when ProviderName = 'Google Cloud' then 'Compute Engine committed use discount (GPU)'
            when x_ProductCode = 'AmazonSageMaker' then 'SageMaker Savings Plan'
            else 'Compute Savings Plan'
        end                                                                 as plan,
        ProviderName                                                        as provider,
        x_PricedItem                                                        as instance_type,
        date_trunc('hour', cast(ChargePeriodStart as timestamp))            as hour,
        coalesce(nullif(ListCost, 0), EffectiveCost)                        as on_demand_cost
    from int_savings_levers
    where x_SavingsLever = 'commitment'

),

by_region as (

    select
        provider,
        on_demand_item,
        region,
        any_value(unit_price) filter (where price_kind = 'on_demand')       as on_demand_rate,
        any_value(unit_price) filter (where price_kind = 'commit_1y')       as commit_1y,
        any_value(unit_price) filter (where price_kind = 'commit_3y')       as commit_3y
    from prices
    group by provider, on_demand_item, region

),

terms as (

    select provider, on_demand_item, region, on_demand_rate, 12 as term_months, commit_1y as commit_rate from by_region
    union all
    select provider, on_demand_item, region, on_demand_rate, 36, commit_3y from by_region

),

rates as (

    -- each instance type's (GPU SKU's) commitment price as a share of its on-demand price, by term
    select
        provider,
        on_demand_item                                                      as instance_type,
        term_months,
        min_by(commit_rate / on_demand_rate, region)                        as price_ratio
    from terms
    where commit_rate is not null and on_demand_rate > 0
    group by provider, on_demand_item, term_months

),

discounts as (

    -- the plan's discount: spend-weighted over the instance types it would cover
    select
        plan,
        provider,
        term_months,
        cast(1 - sum(on_demand_cost * price_ratio) / sum(on_demand_cost) as decimal(18, 10)) as discount
    from usage
    join rates using (provider, instance_type)
    group by all

),

bill as (

    select
        date_trunc('hour', min(cast(ChargePeriodStart as timestamp)))       as first_hour,
        date_trunc('hour', max(cast(ChargePeriodStart as timestamp)))       as last_hour
    from costs

),

lookbacks as (

    select 7 as lookback_days
    union all
    select 30
    union all
    select 60

),

bill_hours as (

    select hours.hour
    from bill
    cross join unnest(generate_series(bill.first_hour, bill.last_hour, interval 1 hour)) as hours(hour)

),

windows as (

    -- every hour of each look-back, as far back as the bill goes
    select
        discounts.*,
        lookbacks.lookback_days,
        bill_hours.hour
    from discounts
    cross join lookbacks
    cross join bill_hours
    cross join bill
    where date_diff('hour', bill_hours.hour, bill.last_hour) < lookbacks.lookback_days * 24

),

hourly as (

    select
        windows.plan,
        windows.provider,
        windows.term_months,
        windows.discount,
        windows.lookback_days,
        windows.hour,
        coalesce(sum(usage.on_demand_cost), 0)                              as spend
    from windows
    left join usage
        on usage.plan = windows.plan
       and usage.hour = windows.hour
       and usage.instance_type in (select instance_type from rates)
    group by all

),

ranked as (

    select
        *,
        row_number() over (partition by plan, term_months, lookback_days order by spend) as position,
        count(*) over (partition by plan, term_months, lookback_days)      as history_hours
    from hourly

),

levels as (

    -- the level the commitment covers: the ceil(n d)-th smallest hourly spend
    select plan, term_months, lookback_days, spend as covered_level
    from ranked
    where position = greatest(ceil(history_hours * discount), 1)

),

sized as (

    select
        plan,
        provider,
        term_months,
        lookback_days,
        discount,
        history_hours,
        covered_level,
        covered_level * (1 - discount)                                      as commitment,
        sum(spend)                                                          as on_demand_spend,
        sum(least(spend, covered_level))                                    as covered_spend,
        sum(greatest(spend - covered_level, 0))                             as uncovered_spend,
        count(*) filter (where spend >= covered_level) / history_hours      as share_of_hours_covered,
        -- the bill's last ISO week, hour by hour: what the commitment would have saved in it (an hour
        -- below the covered level still pays the whole commitment), and on what spend
        sum(least(spend, covered_level) - covered_level * (1 - discount))
            filter (where hour >= last_week_start)                          as last_week_net_savings,
        sum(spend) filter (where hour >= last_week_start)                   as last_week_on_demand_spend,
        -- how many of the last 4 ISO weeks up to it had such spend at all: recurring usage or not
        count(distinct date_trunc('week', hour))
            filter (where spend > 0 and hour >= last_week_start - interval 21 day) as recurring_weeks
    from ranked
    join levels using (plan, term_months, lookback_days)
    cross join (select date_trunc('week', last_hour) as last_week_start from bill) as last_week
    group by plan, provider, term_months, lookback_days, discount, history_hours, covered_level

),

verdicts as (

    select
        *,
        case
            when history_hours < lookback_days * 24
                then format('no recommendation: the bill covers only {} of the {} hours of a {}-day look-back',
                            history_hours, lookback_days * 24, lookback_days)
            when commitment = 0
                then 'no recommendation: usage is too spiky for any commitment to pay off'
        end                                                                 as no_recommendation

    from sized

)

select
    plan,
    provider,
    term_months,
    lookback_days,
    history_hours,
    discount,
    on_demand_spend,
    if(no_recommendation is null, commitment, 0)                           as hourly_commitment,
    if(no_recommendation is null,
       cast((on_demand_spend - history_hours * commitment - uncovered_spend) / history_hours * 730 as decimal(38, 10)),
       0)                                                                   as monthly_savings,
    if(no_recommendation is null, cast(last_week_net_savings as decimal(38, 10)), 0)
                                                                            as last_week_savings,
    coalesce(last_week_on_demand_spend, 0)                                  as last_week_on_demand_spend,
    recurring_weeks,
    if(no_recommendation is null, covered_spend * (1 - discount) / (commitment * history_hours), null)
                                                                            as expected_utilisation,
    if(no_recommendation is null, term_months * commitment * history_hours / covered_spend, null)
                                                                            as break_even_months,
    coalesce(no_recommendation, format(
        'commit {:.2f} $/h for {} months at {:.0f} % off: on-demand GPU spend was at least {:.2f} $/h in {:.0f} % of the hours of the last {} days',
        commitment, term_months, 100 * discount, covered_level, 100 * share_of_hours_covered, lookback_days
    ))                                                                      as explanation
from verdicts
