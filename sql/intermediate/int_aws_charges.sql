-- AWS line items as FOCUS 1.2 charges: one row per CUR line item, plus one 'Unused' row per
-- commitment fee with an unused part (as in the FOCUS spec's own examples), so that summing
-- EffectiveCost gives the amortised bill and the waste of unused commitments shows as itself.
-- EffectiveCost is the amortised cost AWS's Cloud Intelligence Dashboards use, net of negotiated
-- discounts where the report has net_ columns.
with line_items as (

    select
        stg_aws_cur.*,
        case
            when line_item_type = 'SavingsPlanRecurringFee'
                then coalesce(savings_plan_commitment, 0) - coalesce(savings_plan_used_commitment, 0)
            when line_item_type = 'RIFee'
                then coalesce(reservation_net_unused_upfront_fee, reservation_unused_upfront_fee, 0)
                   + coalesce(reservation_net_unused_recurring_fee, reservation_unused_recurring_fee, 0)
        end as unused_commitment_cost
    from stg_aws_cur

),

row_kinds as (

    select 'line_item' as row_kind
    union all
    select 'unused_commitment' as row_kind

),

services as (

    select
        categories.product_code,
        categories.ServiceCategory,
        coalesce(subcategories.ServiceSubcategory, 'Other (' || categories.ServiceCategory || ')') as ServiceSubcategory
    from aws_service_categories as categories
    left join aws_service_subcategories as subcategories
        on categories.product_code = subcategories.product_code

),

expanded as (

    select line_items.*, row_kinds.row_kind
    from line_items
    inner join row_kinds
        on row_kinds.row_kind = 'line_item'
        or coalesce(line_items.unused_commitment_cost, 0) <> 0

),

classified as (

    select
        expanded.*,
        case
            when row_kind = 'unused_commitment' then 'Usage'
            when line_item_type in ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation')
                then 'Usage'
            when line_item_type in ('Fee', 'RIFee', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee')
                then 'Purchase'
            when line_item_type = 'Tax' then 'Tax'
            when line_item_type in (
                'Credit', 'Refund', 'BundledDiscount', 'EdpDiscount', 'PrivateRateDiscount',
                'RiVolumeDiscount', 'SppDiscount', 'DistributorDiscount'
            ) then 'Credit'
            else 'Adjustment'
        end as charge_category,
        case
            when savings_plan_arn is not null then 'SavingsPlan'
            when reservation_arn is not null then 'Reserved'
            when usage_type like '%Spot%' or usage_type like '%TrSpt%' then 'Spot'
            else 'OnDemand'
        end as purchase_option,
        case when row_kind = 'unused_commitment' then 0 else unblended_cost end as billed_cost,
        case
            when row_kind = 'unused_commitment' then unused_commitment_cost
            when line_item_type = 'SavingsPlanCoveredUsage'
                then coalesce(savings_plan_net_effective_cost, savings_plan_effective_cost)
            when line_item_type in ('SavingsPlanNegation', 'SavingsPlanUpfrontFee') then 0
            when line_item_type = 'DiscountedUsage'
                then coalesce(reservation_net_effective_cost, reservation_effective_cost)
            -- the used part of a commitment fee sits on the covered usage, the rest on its Unused row
            when line_item_type in ('SavingsPlanRecurringFee', 'RIFee') then 0
            when line_item_type = 'Fee' and reservation_arn is not null then 0
            when line_item_type = 'Refund' and (savings_plan_arn is not null or product_code like '%SavingsPlans')
                then 0
            else coalesce(net_unblended_cost, unblended_cost)
        end as effective_cost
    from expanded

),

priced as (

    select
        classified.*,
        case
            when row_kind = 'line_item' and charge_category in ('Usage', 'Purchase')
                and line_item_type <> 'SavingsPlanNegation'
                then public_on_demand_rate
        end as list_unit_price,
        -- FOCUS: a tax has no SKU, and a meter or price only belongs to a SKU
        case when charge_category <> 'Tax' then sku end as sku_id
    from classified

)

select
    availability_zone                                        as AvailabilityZone,
    billed_cost                                              as BilledCost,
    payer_account_id                                         as BillingAccountId,
    coalesce(payer_account_name, payer_account_id)           as BillingAccountName,
    'Management Account'                                     as BillingAccountType,
    currency                                                 as BillingCurrency,
    billing_period_end                                       as BillingPeriodEnd,
    billing_period_start                                     as BillingPeriodStart,
    cast(null as varchar)                                    as CapacityReservationId,
    cast(null as varchar)                                    as CapacityReservationStatus,
    charge_category                                          as ChargeCategory,
    case
        when line_item_type = 'Refund' or usage_start < billing_period_start then 'Correction'
    end                                                      as ChargeClass,
    description                                              as ChargeDescription,
    case
        when row_kind = 'unused_commitment' then 'Usage-Based'
        when line_item_type in ('RIFee', 'SavingsPlanRecurringFee') then 'Recurring'
        when charge_category in ('Purchase', 'Tax') or line_item_type in ('Credit', 'Refund') then 'One-Time'
        else 'Usage-Based'
    end                                                      as ChargeFrequency,
    usage_end                                                as ChargePeriodEnd,
    usage_start                                              as ChargePeriodStart,
    case
        when savings_plan_arn is not null then 'Spend'
        when reservation_arn is not null then 'Usage'
    end                                                      as CommitmentDiscountCategory,
    coalesce(savings_plan_arn, reservation_arn)              as CommitmentDiscountId,
    regexp_extract(coalesce(savings_plan_arn, reservation_arn), '[/:]([^/:]+)$', 1)
                                                             as CommitmentDiscountName,
    cast(null as decimal(38, 10))                            as CommitmentDiscountQuantity,
    case
        when row_kind = 'unused_commitment' then 'Unused'
        when charge_category = 'Usage' and coalesce(savings_plan_arn, reservation_arn) is not null then 'Used'
    end                                                      as CommitmentDiscountStatus,
    case
        when savings_plan_arn is not null then 'Savings Plan'
        when reservation_arn is not null then 'Reserved Instance'
    end                                                      as CommitmentDiscountType,
    cast(null as varchar)                                    as CommitmentDiscountUnit,
    case when charge_category = 'Usage' and row_kind = 'line_item' then usage_amount end
                                                             as ConsumedQuantity,
    case when charge_category = 'Usage' and row_kind = 'line_item' then focus_unit end
                                                             as ConsumedUnit,
    case
        when row_kind = 'unused_commitment' or line_item_type = 'SavingsPlanNegation' then 0
        when line_item_type in ('SavingsPlanCoveredUsage', 'DiscountedUsage')
            then coalesce(public_on_demand_cost, 0)
        else coalesce(net_unblended_cost, unblended_cost)
    end                                                      as ContractedCost,
    cast(null as decimal(38, 10))                            as ContractedUnitPrice,
    effective_cost                                           as EffectiveCost,
    invoice_id                                               as InvoiceId,
    -- AWS issues every invoice in a CUR (marketplace ones too); its legal entity is x_InvoicingEntity
    'AWS'                                                    as InvoiceIssuerName,
    case
        when row_kind = 'unused_commitment' or line_item_type = 'SavingsPlanNegation' then 0
        else coalesce(public_on_demand_cost, 0)
    end                                                      as ListCost,
    list_unit_price                                          as ListUnitPrice,
    case
        when charge_category not in ('Usage', 'Purchase') then null
        when purchase_option = 'Spot' then 'Dynamic'
        when row_kind = 'unused_commitment' or line_item_type in ('DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation')
            then 'Committed'
        else 'Standard'
    end                                                      as PricingCategory,
    currency                                                 as PricingCurrency,
    cast(null as decimal(38, 10))                            as PricingCurrencyContractedUnitPrice,
    effective_cost                                           as PricingCurrencyEffectiveCost,
    list_unit_price                                          as PricingCurrencyListUnitPrice,
    case when charge_category in ('Usage', 'Purchase') then usage_amount end
                                                             as PricingQuantity,
    case when charge_category in ('Usage', 'Purchase') then focus_unit end
                                                             as PricingUnit,
    'AWS'                                                    as ProviderName,
    case
        when billing_entity = 'AWS Marketplace' then coalesce(legal_entity, 'AWS Marketplace')
        else 'Amazon Web Services'
    end                                                      as PublisherName,
    region_code                                              as RegionId,
    case when region_code is not null then region_name end   as RegionName,
    resource_id                                              as ResourceId,
    coalesce(nullif(regexp_extract(resource_id, '^arn:.*[/:]([^/:]+)$', 1), ''), resource_id)
                                                             as ResourceName,
    coalesce(
        nullif(regexp_extract(resource_id, '^arn:[^:]*:[^:]*:[^:]*:[^:]*:([^/:]+)[/:]', 1), ''),
        case
            when resource_id like 'i-%' then 'instance'
            when resource_id like 'vol-%' then 'volume'
            when resource_id like 'snap-%' then 'snapshot'
            when resource_id is not null and priced.product_code = 'AmazonS3' then 'bucket'
            when resource_id is not null then coalesce(lower(product_family), 'resource')
        end
    )                                                        as ResourceType,
    coalesce(services.ServiceCategory, 'Other')              as ServiceCategory,
    coalesce(product_name, priced.product_code)          as ServiceName,
    coalesce(services.ServiceSubcategory, 'Other (Other)')   as ServiceSubcategory,
    sku_id                                                   as SkuId,
    case when sku_id is not null then coalesce(usage_type, product_family, line_item_type) end
                                                             as SkuMeter,
    cast(null as map(varchar, varchar))                      as SkuPriceDetails,
    case when sku_id is not null then rate_code end          as SkuPriceId,
    usage_account_id                                         as SubAccountId,
    coalesce(usage_account_name, usage_account_id)           as SubAccountName,
    case
        when usage_account_id = payer_account_id then 'Management Account'
        when usage_account_id is not null then 'Linked Account'
    end                                                      as SubAccountType,
    tags                                                     as Tags,
    -- FOCUS 1.3: the seller of a marketplace product provides the service, AWS hosts it
    case
        when billing_entity = 'AWS Marketplace' then coalesce(legal_entity, 'AWS Marketplace')
        else 'AWS'
    end                                                      as ServiceProviderName,
    'AWS'                                                    as HostProviderName,
    row_kind                                                 as x_RowKind,
    line_item_id                                             as x_LineItemId,
    line_item_type                                           as x_LineItemType,
    priced.product_code                                  as x_ProductCode,
    usage_type                                               as x_UsageType,
    operation                                                as x_Operation,
    coalesce(
        instance_type,
        nullif(regexp_extract(usage_type, ':((ml\.)?[a-z][a-z0-9-]*\.[0-9]*x?(large|medium|small|micro|nano|metal))$', 1), '')
    )                                                        as x_InstanceType,
    purchase_option                                          as x_PurchaseOption,
    case
        when line_item_type in ('SavingsPlanCoveredUsage', 'DiscountedUsage') or purchase_option = 'Spot'
            then public_on_demand_cost
    end                                                      as x_OnDemandEquivalentCost,
    cost_categories                                          as x_CostCategories,
    invoicing_entity                                         as x_InvoicingEntity,
    pricing_unit                                             as x_PricingUnit,
    cast(null as map(varchar, varchar))                      as x_ExtraColumns,
    cast(null as map(varchar, varchar))                      as x_ProjectLabels,
    cast(null as map(varchar, varchar))                      as x_SystemLabels,
    cast(null as decimal(38, 10))                            as x_CurrencyConversionRate,
    load_id                                                  as x_LoadId
from priced
left join services on priced.product_code = services.product_code
