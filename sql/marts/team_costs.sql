-- Spend per billing month and team. Shared costs whose kind is set to split (attribution.shared_costs)
-- are spread over the tagged teams in proportion to their direct spend that month; the rounding
-- remainder goes to the largest team, so the month still sums to the cent. Untagged spend stays
-- visible as 'unallocated'.
with allocated as (

    select
        strftime(BillingPeriodStart, '%Y-%m') as month,
        x_Team as team,
        EffectiveCost,
        coalesce(shared.split, false) as is_split
    from allocated_costs
    left join attribution_shared_costs as shared on allocated_costs.x_SharedCostKind = shared.charge_kind

),

direct as (

    select month, team, sum(EffectiveCost) as direct_cost
    from allocated
    where not is_split
    group by month, team

),

shared_pool as (

    select month, sum(EffectiveCost) as shared_cost
    from allocated
    where is_split
    group by month

),

weights as (

    select
        direct.month,
        direct.team,
        direct.direct_cost,
        sum(direct.direct_cost) over (partition by direct.month) as tagged_total,
        row_number() over (partition by direct.month order by direct.direct_cost desc, direct.team) as size_rank
    from direct
    where direct.team <> 'unallocated'

),

shares as (

    select
        weights.month,
        weights.team,
        weights.size_rank,
        cast(round(shared_pool.shared_cost * weights.direct_cost / nullif(weights.tagged_total, 0), 10) as decimal(38, 10))
            as shared_share
    from weights
    inner join shared_pool on weights.month = shared_pool.month

),

balanced as (

    -- the rounding remainder of the pool goes to the month's largest team
    select
        shares.month,
        shares.team,
        shares.shared_share + case
            when shares.size_rank = 1
                then shared_pool.shared_cost - sum(shares.shared_share) over (partition by shares.month)
            else 0
        end as shared_cost
    from shares
    inner join shared_pool on shares.month = shared_pool.month

),

unshared as (

    -- a month with split shared costs but no tagged spend keeps them unallocated
    select shared_pool.month, 'unallocated' as team, shared_pool.shared_cost
    from shared_pool
    where not exists (select 1 from balanced where balanced.month = shared_pool.month)

),

teams as (

    select month, team from direct
    union
    select month, team from balanced
    union
    select month, team from unshared

)

select
    teams.month,
    teams.team,
    coalesce(direct.direct_cost, 0)                                                       as direct_cost,
    coalesce(balanced.shared_cost, 0) + coalesce(unshared.shared_cost, 0)                 as shared_cost,
    coalesce(direct.direct_cost, 0) + coalesce(balanced.shared_cost, 0) + coalesce(unshared.shared_cost, 0)
                                                                                          as EffectiveCost
from teams
left join direct on teams.month = direct.month and teams.team = direct.team
left join balanced on teams.month = balanced.month and teams.team = balanced.team
left join unshared on teams.month = unshared.month and teams.team = unshared.team
