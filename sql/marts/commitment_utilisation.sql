-- Each commitment per ISO week and per month: what it cost, how much of it paid for usage and how
-- much for nothing, the share of the eligible spend it covered, and how long it has left. From
-- costs' Used and Unused rows (so every provider alike) and contract_commitments' terms.
with commitment_rows as (

    select
        CommitmentDiscountId,
        ProviderName,
        ServiceName,
        ChargePeriodStart,
        CommitmentDiscountStatus                                             as status,
        EffectiveCost,
        coalesce(ListCost, EffectiveCost)                                    as on_demand_cost
    from costs
    where ChargeCategory = 'Usage'
      and CommitmentDiscountStatus in ('Used', 'Unused')
      and CommitmentDiscountId is not null

),

grains as (

    select 'week' as grain
    union all
    select 'month' as grain

),

on_demand as (

    -- usage a commitment of the same provider and service could have covered but did not, summed
    -- per period first: a few rows per service to join, not every usage line
    select
        grains.grain,
        case grains.grain
            when 'week' then strftime(ChargePeriodStart, '%G-W%V')
            else strftime(ChargePeriodStart, '%Y-%m')
        end                                                                  as period,
        ProviderName,
        ServiceName,
        sum(coalesce(ListCost, EffectiveCost))                               as on_demand_cost
    from costs
    cross join grains
    where ChargeCategory = 'Usage'
      and PricingCategory = 'Standard'
      and CommitmentDiscountId is null
    group by all

),

periods as (

    select
        commitment_rows.*,
        grains.grain,
        case grains.grain
            when 'week' then strftime(ChargePeriodStart, '%G-W%V')
            else strftime(ChargePeriodStart, '%Y-%m')
        end                                                                  as period,
        case grains.grain
            when 'week' then cast(date_trunc('week', ChargePeriodStart) + interval 6 day as date)
            else cast(date_trunc('month', ChargePeriodStart) + interval 1 month - interval 1 day as date)
        end                                                                  as period_last_day
    from commitment_rows
    cross join grains

),

per_commitment as (

    select
        grain,
        period,
        max(period_last_day)                                                 as period_last_day,
        CommitmentDiscountId,
        max(ProviderName)                                                    as provider,
        coalesce(sum(EffectiveCost) filter (where status = 'Used'), 0)       as used_cost,
        coalesce(sum(EffectiveCost) filter (where status = 'Unused'), 0)     as unused_cost,
        coalesce(sum(on_demand_cost) filter (where status = 'Used'), 0)      as covered_cost
    from periods
    group by grain, period, CommitmentDiscountId

),

covered_services as (

    select distinct grain, period, CommitmentDiscountId, ProviderName, ServiceName
    from periods
    where status = 'Used'

),

uncovered as (

    select
        covered_services.grain,
        covered_services.period,
        covered_services.CommitmentDiscountId,
        sum(on_demand.on_demand_cost)                                        as uncovered_cost
    from covered_services
    join on_demand
        on on_demand.grain = covered_services.grain
       and on_demand.period = covered_services.period
       and on_demand.ProviderName = covered_services.ProviderName
       and on_demand.ServiceName = covered_services.ServiceName
    group by covered_services.grain, covered_services.period, covered_services.CommitmentDiscountId

),

terms as (

    select
        ContractCommitmentId,
        max(ContractCommitmentDescription)                                   as description,
        max(ContractCommitmentType)                                          as commitment_type,
        max(ContractPeriodEnd)                                               as term_end
    from contract_commitments
    group by ContractCommitmentId

)

select
    per_commitment.grain,
    per_commitment.period,
    per_commitment.CommitmentDiscountId                                      as commitment_id,
    coalesce(terms.description, per_commitment.CommitmentDiscountId)        as commitment,
    terms.commitment_type,
    per_commitment.provider,
    cast(per_commitment.used_cost + per_commitment.unused_cost as decimal(38, 10))
                                                                             as commitment_cost,
    cast(per_commitment.used_cost as decimal(38, 10))                        as used_cost,
    cast(per_commitment.unused_cost as decimal(38, 10))                      as unused_cost,
    per_commitment.used_cost / nullif(per_commitment.used_cost + per_commitment.unused_cost, 0)
                                                                             as utilisation,
    cast(per_commitment.covered_cost as decimal(38, 10))                     as covered_cost,
    cast(per_commitment.covered_cost + coalesce(uncovered.uncovered_cost, 0) as decimal(38, 10))
                                                                             as eligible_cost,
    per_commitment.covered_cost / nullif(per_commitment.covered_cost + coalesce(uncovered.uncovered_cost, 0), 0)
                                                                             as coverage,
    cast(terms.term_end as date)                                             as term_end,
    date_diff('day', per_commitment.period_last_day, cast(terms.term_end as date))
                                                                             as days_to_expiry,
    coalesce(date_diff('day', per_commitment.period_last_day, cast(terms.term_end as date)) <= 60, false)
                                                                             as expiring_soon
from per_commitment
left join uncovered
    on uncovered.grain = per_commitment.grain
   and uncovered.period = per_commitment.period
   and uncovered.CommitmentDiscountId = per_commitment.CommitmentDiscountId
left join terms on terms.ContractCommitmentId = per_commitment.CommitmentDiscountId
