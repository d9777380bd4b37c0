-- Every on-demand GPU usage row, assigned to the one savings lever that acts on it, so no hour is
-- counted by two opportunities: an idle hour (stop it: saves all of it), else an endpoint's hour
-- without traffic (scale it away), else a week of a resource that uses a fraction of its GPUs (a
-- smaller type), else a spot candidate (interruptible work with a spot price), else commitment
-- (what a Savings Plan would cover).
with usage as (

    -- what prices price: AWS bills instance hours of an instance type; GCP bills the GPU by its
    -- own SKU, per GPU hour (the machine's cores and memory are other SKUs without GPU hours)
    select
        *,
        case when ProviderName = 'Google Cloud' then SkuMeter else x_InstanceType end      as x_PricedItem,
        case
            when ProviderName = 'Google Cloud' and PricingUnit = 'Hours' then PricingQuantity
            when ProviderName <> 'Google Cloud' and ConsumedUnit = 'Hours' then ConsumedQuantity
        end                                                                                 as x_PricedHours
    from allocated_costs
    where ChargeCategory = 'Usage'
      and PricingCategory = 'Standard'
      and x_GpuHours > 0

),

settings as (

    select * from savings_settings

),

idle_hours as (

    select resource_id, hour from idle_gpu where is_idle

),

zero_traffic_hours as (

    select resource_id, hour from int_endpoint_zero_traffic

),

rightsizing as (

    select resource_id, week from int_gpu_rightsizing

),

spot_priced as (

    select distinct provider, on_demand_item from prices where price_kind = 'spot'

)

select
    usage.ChargePeriodStart,
    usage.ProviderName,
    usage.RegionId,
    usage.ResourceId,
    usage.x_ProductCode,
    usage.x_InstanceType,
    usage.x_WorkloadType,
    usage.x_WorkloadName,
    usage.x_Team,
    usage.ConsumedQuantity,
    usage.ConsumedUnit,
    usage.PricingQuantity,
    usage.ListUnitPrice,
    usage.ListCost,
    usage.EffectiveCost,
    usage.x_PricedItem,
    usage.x_PricedHours,
    case
        when idle_hours.resource_id is not null then 'idle_gpu'
        when zero_traffic_hours.resource_id is not null then 'endpoint_scaling'
        when rightsizing.resource_id is not null then 'rightsizing'
        when usage.x_PricedHours is not null
         and spot_priced.on_demand_item is not null
         and (usage.x_WorkloadType in ('training', 'batch')
              or (usage.x_WorkloadType = 'inference' and settings.interruptible_endpoints))
            then 'spot'
        else 'commitment'
    end                                                                     as x_SavingsLever
from usage
cross join settings
left join idle_hours
    on idle_hours.resource_id = usage.ResourceId
   and idle_hours.hour = date_trunc('hour', usage.ChargePeriodStart)
left join zero_traffic_hours
    on zero_traffic_hours.resource_id = usage.ResourceId
   and zero_traffic_hours.hour = date_trunc('hour', usage.ChargePeriodStart)
left join rightsizing
    on rightsizing.resource_id = usage.ResourceId
   and rightsizing.week = strftime(usage.ChargePeriodStart, '%G-W%V')
left join spot_priced
    on spot_priced.provider = usage.ProviderName
   and spot_priced.on_demand_item = usage.x_PricedItem
