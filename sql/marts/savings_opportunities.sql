-- Every savings opportunity in dollars per month, one row per ISO week, kind and scope, with a line
-- a finance reader understands: spot for interruptible GPU work, idle GPUs, Savings Plans.
-- A week's figure becomes a monthly one at 730 / 168 (the week repeated for an average month).
-- No on-demand hour is counted twice (int_savings_levers gives each to one lever), so a week's
-- monthly_savings add up to that week's total.
with spot as (

    select * from spot_opportunities

),

idle as (

    select * from idle_gpu_weekly

),

recommendations as (

    select * from commitment_recommendations

),

bill as (

    select strftime(max(ChargePeriodStart), '%G-W%V') as last_week from costs

),

spot_rows as (

    select
        week,
        'spot'                                                              as kind,
        'job'                                                               as scope,
        workload_name                                                       as name,
        team,
        cast(sum(spot_savings) * 730 / 168 as decimal(38, 10))              as monthly_savings,
        'medium'                                                            as confidence,
        format('{} ({}) ran {:.0f} on-demand hours on {}; at spot it would have cost {:.2f} less that week (needs checkpointing to survive interruptions)',
               workload_name, workload_type, sum(on_demand_hours), string_agg(distinct instance_type, ', '), sum(spot_savings))
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
        cast(wasted_cost * 730 / 168 as decimal(38, 10))                    as monthly_savings,
        'high'                                                              as confidence,
        format('{} was idle {} of its {} billed hours this week, wasting {:.2f}: stop it when unused or downsize',
               coalesce(resource_name, resource_id), idle_hours, billed_hours, wasted_cost)
                                                                            as explanation
    from idle
    where wasted_cost > 0

),

commitment_rows as (

    -- per plan, the 1-year recommendation on the longest look-back that gives one, up to the
    -- [savings] commitment_lookback_days
    select
        bill.last_week                                                      as week,
        'commitment'                                                        as kind,
        'family'                                                            as scope,
        plan                                                                as name,
        cast(null as varchar)                                               as team,
        monthly_savings,
        case lookback_days when 60 then 'high' when 30 then 'medium' else 'low' end as confidence,
        explanation
    from recommendations
    cross join bill
    cross join savings_settings
    where term_months = 12
      and hourly_commitment > 0
      and lookback_days <= savings_settings.commitment_lookback_days
    qualify row_number() over (partition by plan order by lookback_days desc) = 1

)

select * from spot_rows
union all
select * from idle_rows
union all
select * from commitment_rows
