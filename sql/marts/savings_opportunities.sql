-- Every savings opportunity, one row per ISO week, kind and scope: what it would have saved in that
-- week (weekly_savings, never more than the week's spend it applies to), a monthly run-rate only for
-- recurring work (the same opportunity in at least 3 of the last 4 ISO weeks: the 4 weeks' savings
-- averaged per week, over a 730-hour month; a one-off week is never scaled up), and a line a finance
-- reader understands. Kinds: spot for interruptible GPU work, idle GPUs, Savings Plans, smaller GPU
-- types, endpoints without traffic, cold buckets, likely unattached volumes, data sent away from its
-- team's compute, commitments about to end (what they save lapses) and under-used commitments.
-- No on-demand hour or dollar is counted twice (int_savings_levers gives each GPU hour to one lever:
-- idle, else endpoint scaling, else rightsizing, else spot, else commitment; the others act on their
-- own charges), so a week's weekly_savings add up to that week's total.
with spot as (

    select * from spot_opportunities

),

idle as (

    select * from idle_gpu_weekly

),

recommendations as (

    select * from commitment_recommendations

),

rightsizing as (

    select * from gpu_rightsizing

),

scaling as (

    select * from endpoint_traffic_gaps

),

tiering as (

    select * from storage_tiering

),

volumes as (

    select * from unattached_volumes

),

transfers as (

    select * from data_transfer_pairs where colocate_region is not null

),

commitments as (

    -- the commitments' own Used and Unused rows: no other lever acts on them
    select * from commitment_utilisation where grain = 'week'

),

bill as (

    select strftime(max(ChargePeriodStart), '%G-W%V') as last_week from costs

),

bill_weeks as (

    -- each ISO week of the bill with its Monday, so "the last 4 weeks" are calendar weeks, gaps and all
    select strftime(ChargePeriodStart, '%G-W%V') as week, cast(min(date_trunc('week', ChargePeriodStart)) as date) as week_start
    from costs
    group by 1

),

spot_rows as (

    select
        week,
        'spot'                                                              as kind,
        'job'                                                               as scope,
        workload_name                                                       as name,
        team,
        cast(sum(spot_savings) as decimal(38, 10))                          as weekly_savings,
        cast(sum(on_demand_cost) as decimal(38, 10))                        as spend,
        'medium'                                                            as confidence,
        format('{} ({}) ran {:,.0f} hours on demand on {}, costing ${:,.2f}; spot was {:.0f} % cheaper that week: ${:,.2f} less (it must checkpoint to survive interruptions)',
               workload_name, workload_type, sum(on_demand_hours), string_agg(distinct instance_type, ', ' order by instance_type),
               sum(on_demand_cost), 100 * sum(spot_savings) / nullif(sum(on_demand_cost), 0), sum(spot_savings))
                                                                            as explanation
    from spot
    group by week, workload_type, workload_name, team

),

idle_rows as (

    select
        week,
        'idle_gpu'                                                          as kind,
        coalesce(workload_type, 'resource')                                 as scope,
        coalesce(resource_name, resource_id)                                as name,
        team,
        cast(wasted_cost as decimal(38, 10))                                as weekly_savings,
        cast(BilledCost as decimal(38, 10))                                 as spend,
        'high'                                                              as confidence,
        format('{} was idle {} of its {} billed hours this week; those hours cost ${:,.2f} of its ${:,.2f}: stop it when unused or downsize',
               coalesce(resource_name, resource_id), idle_hours, billed_hours, wasted_cost, BilledCost)
                                                                            as explanation
    from idle
    where wasted_cost > 0

),

rightsizing_rows as (

    select
        week,
        'rightsizing'                                                       as kind,
        coalesce(workload_type, 'resource')                                 as scope,
        coalesce(resource_name, resource_id)                                as name,
        team,
        rightsizing_savings                                                 as weekly_savings,
        EffectiveCost                                                       as spend,
        'medium'                                                            as confidence,
        format('{} ({}) never used more than {:.0f} % of its GPU memory and {:.0f} % of its GPUs in {} days; {} ({}) would have cost ${:,.2f} less for its {:.0f} hours this week{}',
               coalesce(resource_name, resource_id), instance_type, peak_memory_utilization, peak_gpu_utilization,
               measured_days, smaller_instance_type, step, rightsizing_savings, hours,
               coalesce('; or share each GPU as ' || mig_profile || ' MIG slices', ''))
                                                                            as explanation
    from rightsizing
    where rightsizing_savings > 0

),

scaling_rows as (

    select
        week,
        'endpoint_scaling'                                                  as kind,
        'inference'                                                         as scope,
        endpoint                                                            as name,
        team,
        cast(zero_traffic_cost as decimal(38, 10))                          as weekly_savings,
        cast(zero_traffic_cost as decimal(38, 10))                          as spend,
        'medium'                                                            as confidence,
        format('{} had no requests for {} of its {} billed hours this week (stretches up to {} hours), costing ${:,.2f}: scale it to zero when unused (serverless or asynchronous inference, or autoscaling to a minimum)',
               endpoint, zero_traffic_hours, billed_hours, longest_zero_traffic_hours, zero_traffic_cost)
                                                                            as explanation
    from scaling
    where zero_traffic_cost > 0

),

tiering_rows as (

    select
        week,
        'storage_tiering'                                                   as kind,
        'bucket'                                                            as scope,
        bucket                                                              as name,
        team,
        tiering_savings                                                     as weekly_savings,
        EffectiveCost                                                       as spend,
        case when objects > 0 then 'medium' else 'low' end                  as confidence,
        format('{} was not read for {} days; its {:,.0f} GB-months of Standard storage cost ${:,.2f} this week and would cost ${:,.2f} as {}, plus ${:,.2f} once to move its objects: ${:,.2f} less',
               bucket, days_unread, gb_months, EffectiveCost, target_cost, target_class, transition_cost, tiering_savings)
                                                                            as explanation
    from tiering
    where tiering_savings > 0

),

volume_rows as (

    select
        week,
        'unattached_volume'                                                 as kind,
        'volume'                                                            as scope,
        volume_id                                                           as name,
        team,
        cast(unattached_cost as decimal(38, 10))                            as weekly_savings,
        cast(unattached_cost as decimal(38, 10))                            as spend,
        'low'                                                               as confidence,
        format('{} was billed {} hours this week with no instance running in its account and zone ({}), so it is likely unattached: snapshot and delete it to save ${:,.2f}',
               volume_id, unattached_hours, availability_zone, unattached_cost)
                                                                            as explanation
    from volumes
    where unattached_cost > 0

),

transfer_rows as (

    select
        week,
        'data_transfer'                                                     as kind,
        'resource'                                                          as scope,
        resource_id                                                         as name,
        team,
        cast(EffectiveCost as decimal(38, 10))                              as weekly_savings,
        cast(EffectiveCost as decimal(38, 10))                              as spend,
        'low'                                                               as confidence,
        format('{} sent {:,.0f} GB from {} to {} this week, costing ${:,.2f}; {} also runs compute in {}: keeping the data and the compute in one region would save it',
               resource_id, gb, source_region, destination_region, EffectiveCost, team, colocate_region)
                                                                            as explanation
    from transfers
    where EffectiveCost > 0

),

expiry_rows as (

    select
        period                                                              as week,
        'commitment_expiry'                                                 as kind,
        'commitment'                                                        as scope,
        commitment                                                          as name,
        cast(null as varchar)                                               as team,
        cast(covered_cost - commitment_cost as decimal(38, 10))             as weekly_savings,
        cast(covered_cost as decimal(38, 10))                               as spend,
        'high'                                                              as confidence,
        format('{} ends on {} (within {} days); it covers about ${:,.2f} of spend a month at on-demand prices, which it brings down by ${:,.2f} a week: renew or replace it before then',
               commitment, strftime(term_end, '%Y-%m-%d'),
               case when days_to_expiry <= 30 then 30 when days_to_expiry <= 60 then 60 else 90 end,
               covered_cost * 730 / 168, covered_cost - commitment_cost)
                                                                            as explanation
    from commitments
    where days_to_expiry between 0 and 90
      and covered_cost > commitment_cost

),

underused_rows as (

    select
        period                                                              as week,
        'commitment_underused'                                              as kind,
        'commitment'                                                        as scope,
        commitment                                                          as name,
        cast(null as varchar)                                               as team,
        unused_cost                                                         as weekly_savings,
        commitment_cost                                                     as spend,
        'high'                                                              as confidence,
        format('{} was {:.1f} % used this week: ${:,.2f} of it paid for nothing; move matching usage onto it, or exchange or sell it if it allows',
               commitment, utilisation * 100, unused_cost)
                                                                            as explanation
    from commitments
    where utilisation < 0.9
      and unused_cost > 0

),

commitment_rows as (

    -- per plan, the 1-year recommendation on the longest look-back that gives one, up to the
    -- [savings] commitment_lookback_days: what it would have saved in the bill's last week, hour by
    -- hour; a monthly figure only when the usage it covers recurred
    select
        bill.last_week                                                      as week,
        'commitment'                                                        as kind,
        'family'                                                            as scope,
        plan                                                                as name,
        cast(null as varchar)                                               as team,
        last_week_savings                                                   as weekly_savings,
        cast(last_week_on_demand_spend as decimal(38, 10))                  as spend,
        case lookback_days when 60 then 'high' when 30 then 'medium' else 'low' end as confidence,
        explanation,
        recurring_weeks,
        case when recurring_weeks >= 3 then monthly_savings end            as monthly_savings
    from recommendations
    cross join bill
    cross join savings_settings
    where term_months = 12
      and hourly_commitment > 0
      and lookback_days <= savings_settings.commitment_lookback_days
    qualify row_number() over (partition by plan order by lookback_days desc) = 1

),

weekly_rows as (

    select kinds.*, bill_weeks.week_start
    from (
        select * from spot_rows
        union all
        select * from idle_rows
        union all
        select * from rightsizing_rows
        union all
        select * from scaling_rows
        union all
        select * from tiering_rows
        union all
        select * from volume_rows
        union all
        select * from transfer_rows
        union all
        select * from expiry_rows
        union all
        select * from underused_rows
    ) as kinds
    join bill_weeks on bill_weeks.week = kinds.week

),

recurrence as (

    -- the same opportunity in the 4 ISO weeks up to the row's: how many, and their savings together
    select
        this_week.kind,
        this_week.scope,
        this_week.name,
        this_week.week,
        count(distinct earlier.week)                                        as recurring_weeks,
        sum(earlier.weekly_savings)                                         as four_week_savings
    from weekly_rows as this_week
    join weekly_rows as earlier
        on earlier.kind = this_week.kind
       and earlier.scope = this_week.scope
       and earlier.name = this_week.name
       and earlier.week_start between this_week.week_start - interval 21 day and this_week.week_start
    group by this_week.kind, this_week.scope, this_week.name, this_week.week

),

opportunities as (

    select
        weekly_rows.week,
        weekly_rows.kind,
        weekly_rows.scope,
        weekly_rows.name,
        weekly_rows.team,
        weekly_rows.weekly_savings,
        weekly_rows.spend,
        weekly_rows.confidence,
        weekly_rows.explanation,
        recurrence.recurring_weeks,
        -- the 4 weeks' savings averaged per week (a week without it counts as none), over a month
        case
            when recurrence.recurring_weeks >= 3 then cast(recurrence.four_week_savings / 4 * 730 / 168 as decimal(38, 10))
        end                                                                 as monthly_savings
    from weekly_rows
    join recurrence
        on recurrence.kind = weekly_rows.kind
       and recurrence.scope = weekly_rows.scope
       and recurrence.name = weekly_rows.name
       and recurrence.week = weekly_rows.week
    union all
    select week, kind, scope, name, team, weekly_savings, spend, confidence, explanation, recurring_weeks, monthly_savings
    from commitment_rows

)

select
    week,
    kind,
    scope,
    name,
    team,
    -- never more than the spend the row acts on
    cast(least(weekly_savings, spend) as decimal(38, 10))                   as weekly_savings,
    monthly_savings,
    recurring_weeks,
    spend,
    confidence,
    explanation || case
        when monthly_savings is not null
            then format('. Recurring: seen in {} of the last 4 weeks, about ${:,.2f} a month at that pace', recurring_weeks, monthly_savings)
        else format('. Seen in {} of the last 4 weeks, so no monthly figure', recurring_weeks)
    end                                                                     as explanation
from opportunities
