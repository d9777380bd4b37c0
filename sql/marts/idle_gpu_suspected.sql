-- Billing-only suspicion of idle GPUs, for resources with or without metrics: kept apart from the
-- measured idleness of idle_gpu. Off hours are 20:00-08:00 UTC and weekends (108 of a week's 168).
with hours as (

    select
        *,
        isodow(hour) in (6, 7) or extract(hour from hour) < 8 or extract(hour from hour) >= 20 as off_hours
    from idle_gpu

),

weekly as (

    select
        resource_id,
        week,
        any_value(resource_name)                                    as resource_name,
        any_value(provider)                                         as provider,
        mode(team)                                                  as team,
        mode(workload_type)                                         as workload_type,
        mode(workload_name)                                         as workload_name,
        count(*)                                                    as billed_hours,
        count(*) filter (where off_hours)                           as billed_off_hours,
        coalesce(sum(BilledCost) filter (where off_hours), 0)       as off_hours_cost,
        sum(BilledCost)                                             as BilledCost,
        count(mean_gpu_utilization) > 0                             as measured
    from hours
    group by resource_id, week

),

flagged as (

    select
        weekly.*,
        case
            when workload_type in ('inference', 'notebook') and billed_hours = 168
                then 'billed every hour of the week'
            when workload_type not in ('training', 'inference', 'notebook') and billed_off_hours = 108
                then 'billed through nights and weekends, no training attributed'
        end                                                         as suspected_rule
    from weekly

)

select * from flagged where suspected_rule is not null
