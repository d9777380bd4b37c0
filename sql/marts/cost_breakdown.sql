-- The weekly decomposition C_total = C_train + C_infer + C_store + C_egress + C_other, with shares.
with weekly as (

    select
        week,
        sum(EffectiveCost)                                                        as total_cost,
        coalesce(sum(EffectiveCost) filter (where workload_type = 'training'), 0)      as training_cost,
        coalesce(sum(EffectiveCost) filter (where workload_type = 'inference'), 0)     as inference_cost,
        coalesce(sum(EffectiveCost) filter (where workload_type = 'storage'), 0)       as storage_cost,
        coalesce(sum(EffectiveCost) filter (where workload_type = 'data_transfer'), 0) as egress_cost,
        coalesce(sum(EffectiveCost) filter (
            where workload_type not in ('training', 'inference', 'storage', 'data_transfer')
        ), 0)                                                                     as other_cost
    from workload_costs
    group by week

)

select
    weekly.*,
    round(training_cost / nullif(total_cost, 0), 4)  as training_share,
    round(inference_cost / nullif(total_cost, 0), 4) as inference_share,
    round(storage_cost / nullif(total_cost, 0), 4)   as storage_share,
    round(egress_cost / nullif(total_cost, 0), 4)    as egress_share,
    round(other_cost / nullif(total_cost, 0), 4)     as other_share
from weekly
