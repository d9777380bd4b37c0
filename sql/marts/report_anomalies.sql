-- Each day's spend per service and per team beside its trailing baseline: the mean of the seven
-- days before (days without spend count as 0). The report flags the days that deviate beyond the
-- thresholds of finops.toml [report].
with charges as (

    select
        day,
        service as ServiceName,
        team    as x_Team,
        EffectiveCost
    from workload_costs

),

daily as (

    select day, 'service' as dimension, ServiceName as name, sum(EffectiveCost) as EffectiveCost
    from charges group by all
    union all
    select day, 'team', x_Team, sum(EffectiveCost)
    from charges group by all

),

names as (

    select dimension, name, min(day) as first_day, max(day) as last_day
    from daily
    group by all

),

grid as (

    select names.dimension, names.name, cast(days.day as date) as day
    from names
    cross join unnest(generate_series(cast(names.first_day as date), cast(names.last_day as date), interval 1 day)) as days(day)

),

filled as (

    select grid.dimension, grid.name, grid.day, coalesce(daily.EffectiveCost, 0) as EffectiveCost
    from grid
    left join daily using (dimension, name, day)

),

baselined as (

    select
        filled.*,
        avg(EffectiveCost) over prior_days   as baseline,
        count(*) over prior_days             as baseline_days
    from filled
    window prior_days as (partition by dimension, name order by day rows between 7 preceding and 1 preceding)

)

select
    day,
    strftime(day, '%G-W%V')                                        as week,
    dimension,
    name,
    EffectiveCost,
    cast(baseline as decimal(38, 10))                              as baseline,
    cast(EffectiveCost - baseline as decimal(38, 10))              as deviation,
    round((EffectiveCost - baseline) / nullif(baseline, 0), 4)     as deviation_share
from baselined
where baseline_days = 7
