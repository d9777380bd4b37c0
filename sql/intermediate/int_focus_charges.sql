-- FOCUS-file charges in the same columns as int_aws_charges. A billing period that is loaded
-- from an AWS CUR as well as from AWS's FOCUS export is taken from the CUR only (richer, and
-- counting both would double the bill).
with focus_charges as (

    select * from stg_focus

),

cur_periods as (

    select distinct BillingAccountId, BillingPeriodStart from int_aws_charges

)

select
    AvailabilityZone,
    BilledCost,
    BillingAccountId,
    BillingAccountName,
    BillingAccountType,
    BillingCurrency,
    BillingPeriodEnd,
    BillingPeriodStart,
    CapacityReservationId,
    CapacityReservationStatus,
    ChargeCategory,
    ChargeClass,
    ChargeDescription,
    ChargeFrequency,
    ChargePeriodEnd,
    ChargePeriodStart,
    CommitmentDiscountCategory,
    CommitmentDiscountId,
    CommitmentDiscountName,
    CommitmentDiscountQuantity,
    CommitmentDiscountStatus,
    CommitmentDiscountType,
    CommitmentDiscountUnit,
    ConsumedQuantity,
    ConsumedUnit,
    -- FOCUS requires it; files that leave it out were billed at their contracted price
    coalesce(ContractedCost, BilledCost) as ContractedCost,
    ContractedUnitPrice,
    EffectiveCost,
    InvoiceId,
    InvoiceIssuerName,
    ListCost,
    ListUnitPrice,
    PricingCategory,
    PricingCurrency,
    PricingCurrencyContractedUnitPrice,
    -- FOCUS 1.0/1.1 files predate it; in the billing currency it is the EffectiveCost
    coalesce(
        PricingCurrencyEffectiveCost,
        case when coalesce(PricingCurrency, BillingCurrency) = BillingCurrency then EffectiveCost end
    ) as PricingCurrencyEffectiveCost,
    PricingCurrencyListUnitPrice,
    PricingQuantity,
    PricingUnit,
    ProviderName,
    PublisherName,
    RegionId,
    RegionName,
    ResourceId,
    ResourceName,
    ResourceType,
    ServiceCategory,
    ServiceName,
    ServiceSubcategory,
    SkuId,
    SkuMeter,
    SkuPriceDetails,
    SkuPriceId,
    SubAccountId,
    SubAccountName,
    SubAccountType,
    Tags,
    ServiceProviderName,
    HostProviderName,
    'line_item'                          as x_RowKind,
    cast(null as varchar)                as x_LineItemId,
    cast(null as varchar)                as x_LineItemType,
    cast(null as varchar)                as x_ProductCode,
    cast(null as varchar)                as x_UsageType,
    cast(null as varchar)                as x_Operation,
    cast(null as varchar)                as x_InstanceType,
    cast(null as varchar)                as x_PurchaseOption,
    cast(null as decimal(38, 10))        as x_OnDemandEquivalentCost,
    cast(null as map(varchar, varchar))  as x_CostCategories,
    cast(null as varchar)                as x_InvoicingEntity,
    cast(null as varchar)                as x_PricingUnit,
    x_ExtraColumns,
    cast(null as map(varchar, varchar))  as x_ProjectLabels,
    cast(null as map(varchar, varchar))  as x_SystemLabels,
    cast(null as decimal(38, 10))        as x_CurrencyConversionRate,
    x_LoadId
from focus_charges
where not exists (
    select 1
    from cur_periods
    where focus_charges.ProviderName = 'AWS'
      and cur_periods.BillingAccountId = focus_charges.BillingAccountId
      and cur_periods.BillingPeriodStart = focus_charges.BillingPeriodStart
)
