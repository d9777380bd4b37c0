-- FOCUS-file charges in the same columns as int_aws_charges. A billing period (provider, account,
-- month) that is loaded from the provider's native export too (an AWS CUR, the GCP Cloud Billing
-- export) is taken from the native export only: richer, and counting both would double the bill.
-- Providers are compared by their normalised name (provider_names: 'Amazon Web Services' is AWS).
-- Files before FOCUS 1.2 lack columns 1.2 requires and break rules 1.2 added; the columns below
-- fill them from what the file does state, and say how, so a 1.0 file exports as valid 1.2.
with focus_charges as (

    select
        stg_focus.*,
        coalesce(provider_names.provider, stg_focus.ProviderName) as normalised_provider,
        coalesce(issuer_names.provider, stg_focus.InvoiceIssuerName) as normalised_issuer
    from stg_focus
    left join provider_names
      on provider_names.provider_name = lower(trim(stg_focus.ProviderName))
    left join provider_names as issuer_names
      on issuer_names.provider_name = lower(trim(stg_focus.InvoiceIssuerName))

),

described as (

    select
        focus_charges.*,
        -- FOCUS: a consumed quantity only on usage, and not on the unused part of a commitment
        ChargeCategory = 'Usage' and coalesce(CommitmentDiscountStatus, '') <> 'Unused' as consumed,
        coalesce(pricing_units.focus_unit, PricingUnit) as focus_pricing_unit,
        coalesce(consumed_units.focus_unit, ConsumedUnit) as focus_consumed_unit,
        -- an OCI region such as us-phoenix-1 is its own id; a display name is not
        coalesce(
            RegionId, case when regexp_matches(RegionName, '^[a-z]+(-[a-z]+)+-[0-9]+$') then RegionName end
        ) as region_id,
        aws_regions.region_name as aws_region_name,
        focus_service_categories.ServiceCategory as one_service_category,
        focus_service_categories.ServiceSubcategory as one_service_subcategory
    from focus_charges
    left join unit_spellings as pricing_units on pricing_units.unit = focus_charges.PricingUnit
    left join unit_spellings as consumed_units on consumed_units.unit = focus_charges.ConsumedUnit
    left join aws_regions
      on focus_charges.normalised_provider = 'AWS' and aws_regions.region_code = focus_charges.RegionId
    left join focus_service_categories
      on focus_service_categories.provider = focus_charges.normalised_provider
     and focus_service_categories.ServiceName = focus_charges.ServiceName

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
    coalesce(BillingAccountName, BillingAccountId) as BillingAccountName,  -- as a CUR without a payer name
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
    case when consumed then ConsumedQuantity end as ConsumedQuantity,
    case when consumed then focus_consumed_unit end as ConsumedUnit,
    -- FOCUS requires it; files that leave it out were billed at their contracted price
    coalesce(ContractedCost, BilledCost) as ContractedCost,
    -- a negative unit price (a 1.0 credit's) is no price; FOCUS lets a credit have none
    case
        when ContractedUnitPrice < 0 and ChargeCategory not in ('Usage', 'Purchase') then null
        else ContractedUnitPrice
    end as ContractedUnitPrice,
    EffectiveCost,
    InvoiceId,
    -- an invoice from the provider's own legal entity is the provider's; the entity is x_InvoicingEntity
    case when normalised_issuer = normalised_provider then ProviderName else InvoiceIssuerName end as InvoiceIssuerName,
    ListCost,
    ListUnitPrice,
    PricingCategory,
    coalesce(PricingCurrency, BillingCurrency) as PricingCurrency,  -- before 1.2 prices were in the billing currency
    PricingCurrencyContractedUnitPrice,
    -- FOCUS 1.0/1.1 files predate it; in the billing currency it is the EffectiveCost
    coalesce(
        PricingCurrencyEffectiveCost,
        case when coalesce(PricingCurrency, BillingCurrency) = BillingCurrency then EffectiveCost end
    ) as PricingCurrencyEffectiveCost,
    PricingCurrencyListUnitPrice,
    PricingQuantity,
    focus_pricing_unit as PricingUnit,
    ProviderName,
    PublisherName,
    region_id as RegionId,
    case when region_id is not null then coalesce(RegionName, aws_region_name, region_id) end as RegionName,
    ResourceId,
    ResourceName,
    case
        when ResourceId is not null then coalesce(
            ResourceType,
            nullif(regexp_extract(ResourceId, '^arn:[^:]*:[^:]*:[^:]*:[^:]*:([^/:]+)[/:]', 1), ''),
            'resource'
        )
    end as ResourceType,
    coalesce(one_service_category, ServiceCategory) as ServiceCategory,
    ServiceName,
    coalesce(one_service_subcategory, ServiceSubcategory, 'Other (' || ServiceCategory || ')') as ServiceSubcategory,  -- FOCUS 1.0 had none
    SkuId,
    -- before 1.2 there was no meter; the charge description says what the SKU measured
    coalesce(SkuMeter, case when SkuId is not null and x_FocusVersion in ('1.0', '1.1') then ChargeDescription end) as SkuMeter,
    SkuPriceDetails,
    SkuPriceId,
    SubAccountId,
    SubAccountName,
    coalesce(SubAccountType, case  -- before 1.2 files had no type: each provider's own word for it
        when SubAccountId is null then null
        when normalised_provider = 'AWS' and SubAccountId = BillingAccountId then 'Management Account'
        when normalised_provider = 'AWS' then 'Linked Account'
        when normalised_provider = 'Microsoft' then 'Subscription'
        when normalised_provider = 'Google Cloud' then 'Project'
        when normalised_provider = 'Oracle' then 'Tenancy'
        else 'Sub Account'
    end) as SubAccountType,
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
    InvoiceIssuerName                    as x_InvoicingEntity,
    cast(null as varchar)                as x_PricingUnit,
    x_ExtraColumns,
    cast(null as map(varchar, varchar))  as x_ProjectLabels,
    cast(null as map(varchar, varchar))  as x_SystemLabels,
    cast(null as decimal(38, 10))        as x_CurrencyConversionRate,
    x_LoadId
from described
where not exists (
    select 1
    from native_periods
    where native_periods.provider = described.normalised_provider
      and native_periods.account_id = described.BillingAccountId
      and native_periods.period_month = date_trunc('month', described.BillingPeriodStart)
)
