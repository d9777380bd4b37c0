-- Spend per day, provider, service, team and workload: the grain the weekly report and most questions
-- need, a small fraction of the line items. Kept per load so a build replaces only what changed.
-- Amounts are in the presentation currency of [currency] where fx_rates has the month's rate for
-- the bill's currency, else in the bill's own (currency says which): never two currencies summed.
-- Amounts not converted are not multiplied, so a bill's largest amounts cannot overflow the product.
with allocated as (

    select * from allocated_costs

),

converted as (

    select
        allocated.*,
        case when allocated.BillingCurrency = presentation.currency then 1 else rates.rate end as fx_rate,
        presentation.currency                                   as presentation_currency
    from allocated
    left join (select max(presentation_currency) as currency from fx_rates) as presentation
        on true
    left join fx_rates as rates
        on rates.currency = allocated.BillingCurrency
        and rates.month = cast(date_trunc('month', allocated.ChargePeriodStart) as date)

)

select
    cast(ChargePeriodStart as date)                         as day,
    strftime(ChargePeriodStart, '%G-W%V')                   as week,
    ProviderName                                            as provider,
    ServiceName                                             as service,
    x_Team                                                  as team,
    x_Project                                               as project,
    x_WorkloadType                                          as workload_type,
    x_WorkloadName                                          as workload_name,
    case when fx_rate is null then BillingCurrency else presentation_currency end
                                                            as currency,
    sum(case when fx_rate is null or fx_rate = 1 then BilledCost
             else cast(BilledCost * fx_rate as decimal(38, 10)) end)            as BilledCost,
    sum(case when fx_rate is null or fx_rate = 1 then EffectiveCost
             else cast(EffectiveCost * fx_rate as decimal(38, 10)) end)         as EffectiveCost,
    sum(case when fx_rate is null or fx_rate = 1 then ListCost
             else cast(ListCost * fx_rate as decimal(38, 10)) end)              as ListCost,
    coalesce(sum(x_GpuHours), 0)                            as gpu_hours,
    x_LoadId                                                as load_id
from converted
group by all
