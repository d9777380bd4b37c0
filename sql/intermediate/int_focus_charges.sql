-- FOCUS-file charges in the same columns as int_aws_charges. A billing period (provider, account,
-- month) that is loaded from the provider's native export too (an AWS CUR, the GCP Cloud Billing
-- export) is taken from the native export only: richer, and counting both would double the bill.
-- Providers are compared by their normalised name (provider_names: 'Amazon Web Services' is AWS).
with focus_charges as (

    select
        stg_focus.*,
        coalesce(provider_names.provider, stg_focus.ProviderName) as normalised_provider
    from stg_focus
    left join provider_names
      on provider_names.provider_name = lower(trim(stg_focus.ProviderName))

),

native_periods as (

    select distinct 'AWS' as provider, payer_account_id as account_id, date_trunc('month', billing_period_start) as period_month
    from stg_aws_cur
    union all
    -- a GCP invoice month starts at Pacific midnight (07:00 or 08:00 UTC): still the same month
    select distinct 'Google Cloud', billing_account_id, date_trunc('month', billing_period_start)
    from stg_gcp_billing

)

select
    AvailabilityZone,
    BilledCost,
    BillingAccountId,
    BillingAccountName,
    coalesce(BillingAccountType, 'Billing Account') as BillingAccountType,  -- before FOCUS 1.2 files had no type
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
    coalesce(ServiceSubcategory, 'Other (' || ServiceCategory || ')') as ServiceSubcategory,  -- FOCUS 1.0 had none
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
    from native_periods
    where native_periods.provider = focus_charges.normalised_provider
      and native_periods.account_id = focus_charges.BillingAccountId
      and native_periods.period_month = date_trunc('month', focus_charges.BillingPeriodStart)
)
