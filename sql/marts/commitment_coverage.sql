-- Existing commitments (Savings Plans, RIs, CUDs) per ISO week and provider: how much of the
-- eligible usage they covered, how much of what was committed got used, and what that saved.
with charges as (

    select * from costs

),

usage as (

    -- eligible: compute and ML usage priced on demand or through a commitment (spot is neither)
    select
        strftime(ChargePeriodStart, '%G-W%V')                                   as week,
        ProviderName                                                            as provider,
        CommitmentDiscountStatus                                                as status,
        PricingCategory,
        ServiceCategory,
        EffectiveCost,
        coalesce(ListCost, EffectiveCost)                                       as on_demand_cost
    from charges
    where ChargeCategory = 'Usage'
      and PricingCategory in ('Standard', 'Committed')

),

weekly as (

    select
        week,
        provider,
        sum(on_demand_cost) filter (
            where status = 'Used' or (status is null and ServiceCategory in ('Compute', 'AI and Machine Learning'))
        )                                                                       as eligible_cost,
        coalesce(sum(on_demand_cost) filter (where status = 'Used'), 0)         as covered_cost,
        coalesce(sum(EffectiveCost) filter (where status = 'Used'), 0)          as used_commitment_cost,
        coalesce(sum(EffectiveCost) filter (where status = 'Unused'), 0)        as unused_commitment_cost
    from usage
    group by week, provider
    having count(status) > 0

)

select
    week,
    provider,
    coalesce(eligible_cost, 0)                                                  as eligible_cost,
    covered_cost,
    covered_cost / nullif(eligible_cost, 0)                                     as coverage,
    used_commitment_cost,
    unused_commitment_cost,
    used_commitment_cost / nullif(used_commitment_cost + unused_commitment_cost, 0)
                                                                                as utilisation,
    covered_cost - used_commitment_cost - unused_commitment_cost                as realised_savings,
    (covered_cost - used_commitment_cost - unused_commitment_cost) / nullif(eligible_cost, 0)
                                                                                as effective_savings_rate
from weekly
