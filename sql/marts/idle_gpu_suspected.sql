-- Billing-only suspicion of idle GPUs, for resources with or without metrics: kept apart from the
-- measured idleness of idle_gpu. Off hours (20:00-08:00 UTC and weekends, 108 of a week's 168)
-- are counted in int_gpu_resource_weeks.
with weekly as (

    select
        resource_id,
        week,
        resource_name,
        provider,
        team,
        workload_type,
        workload_name,
        billed_hours,
        billed_off_hours,
        off_hours_cost,
        BilledCost,
        measured_hours > 0                                          as measured
    from int_gpu_resource_weeks

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
