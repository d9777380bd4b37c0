-- Spot savings already made, per ISO week, team and workload: what the spot hours (EC2 spot,
-- SageMaker managed spot training, GCP spot VMs) would have cost on demand, less what they cost.
with spot as (

    select * from allocated_costs
    where PricingCategory = 'Dynamic'
      and ChargeCategory = 'Usage'

)

select
    strftime(ChargePeriodStart, '%G-W%V')                                   as week,
    ProviderName                                                            as provider,
    x_Team                                                                  as team,
    x_WorkloadType                                                          as workload_type,
    x_WorkloadName                                                          as workload_name,
    sum(EffectiveCost)                                                      as spot_cost,
    sum(coalesce(x_OnDemandEquivalentCost, nullif(ListCost, 0), EffectiveCost)) as on_demand_equivalent_cost,
    sum(coalesce(x_OnDemandEquivalentCost, nullif(ListCost, 0), EffectiveCost)) - sum(EffectiveCost)
                                                                            as realised_savings
from spot
group by all
