-- One row per charge of a loaded FOCUS file (any provider, FOCUS 1.0 to 1.4), typed, with allowed
-- values in the spec's spelling: real exports write 'Usage-based' or 'usage' where FOCUS says
-- 'Usage-Based'. Files before 1.3 have no ServiceProviderName or HostProviderName: their provider
-- is both (the deprecated ProviderName named it); 1.4 files' ProviderName and PublisherName were
-- filled from ServiceProviderName when landed.
select
    AvailabilityZone,
    BilledCost,
    BillingAccountId,
    BillingAccountName,
    BillingAccountType,
    upper(BillingCurrency) as BillingCurrency,
    BillingPeriodEnd,
    BillingPeriodStart,
    CapacityReservationId,
    CapacityReservationStatus,
    case lower(ChargeCategory)
        when 'usage' then 'Usage'
        when 'purchase' then 'Purchase'
        when 'tax' then 'Tax'
        when 'credit' then 'Credit'
        when 'adjustment' then 'Adjustment'
        else ChargeCategory
    end as ChargeCategory,
    case lower(ChargeClass) when 'correction' then 'Correction' else ChargeClass end as ChargeClass,
    ChargeDescription,
    case lower(ChargeFrequency)
        when 'one-time' then 'One-Time'
        when 'recurring' then 'Recurring'
        when 'usage-based' then 'Usage-Based'
        else ChargeFrequency
    end as ChargeFrequency,
    ChargePeriodEnd,
    ChargePeriodStart,
    case lower(CommitmentDiscountCategory)
        when 'spend' then 'Spend'
        when 'usage' then 'Usage'
        else CommitmentDiscountCategory
    end as CommitmentDiscountCategory,
    CommitmentDiscountId,
    CommitmentDiscountName,
    CommitmentDiscountQuantity,
    case lower(CommitmentDiscountStatus)
        when 'used' then 'Used'
        when 'unused' then 'Unused'
        else CommitmentDiscountStatus
    end as CommitmentDiscountStatus,
    CommitmentDiscountType,
    CommitmentDiscountUnit,
    ConsumedQuantity,
    ConsumedUnit,
    ContractedCost,
    ContractedUnitPrice,
    EffectiveCost,
    InvoiceId,
    InvoiceIssuerName,
    ListCost,
    ListUnitPrice,
    case lower(PricingCategory)
        when 'standard' then 'Standard'
        when 'dynamic' then 'Dynamic'
        when 'committed' then 'Committed'
        when 'other' then 'Other'
        else PricingCategory
    end as PricingCategory,
    PricingCurrency,
    PricingCurrencyContractedUnitPrice,
    PricingCurrencyEffectiveCost,
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
    coalesce(ServiceProviderName, ProviderName) as ServiceProviderName,
    coalesce(HostProviderName, ProviderName) as HostProviderName,
    AllocatedMethodDetails,
    AllocatedMethodId,
    AllocatedResourceId,
    AllocatedResourceName,
    AllocatedTags,
    CommitmentProgramEligibilityDetails,
    ContractApplied,
    x_FocusVersion,
    x_ExtraColumns,
    x_load_id as x_LoadId
from raw_focus
