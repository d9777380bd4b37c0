-- GCP Cloud Billing export rows as FOCUS 1.2 charges, in the columns of int_aws_charges.
-- BilledCost is what the invoice charges for the row: its cost plus the credits that discount its
-- own usage (CUD, SUD, free tier, ...). Each PROMOTION credit becomes its own Credit row (BilledCost
-- and EffectiveCost the credit), so BilledCost over all rows is the invoice: cost plus every credit.
-- A committed use discount's fee ("Commitment v1: ..." SKUs) is a Purchase with EffectiveCost 0, as
-- FOCUS requires: its cost moves onto the usage the commitment covered in the same hour and region
-- (in proportion to the CUD credits), and any hour with no covered usage gets an Unused row, as the
-- AWS side does for Savings Plans and RIs. So EffectiveCost over all rows gives the invoice too.
with billing as (

    select * from stg_gcp_billing

),

line_items as (

    select
        billing.*,
        'line_item'                                    as row_kind,
        case
            when cost_type = 'tax' then 'Tax'
            when cost_type in ('adjustment', 'rounding_error') then 'Adjustment'
            when sku_description like 'Commitment%' then 'Purchase'
            else 'Usage'
        end                                            as charge_category,
        cast(coalesce(list_sum(list_transform(
            list_filter(credits, lambda c: c.type like 'COMMITTED_USAGE_DISCOUNT%'), lambda c: coalesce(c.amount, 0)
        )), 0) as decimal(38, 10))                     as cud_credit,
        list_extract(list_filter(credits, lambda c: c.type like 'COMMITTED_USAGE_DISCOUNT%'), 1)
                                                       as cud
    from billing

),

-- per billing account, hour and region: the commitment fees (net of their own credits) ...
fees as (

    select billing_account_id, usage_start_time, region_id, sum(cost + usage_credits) as fee
    from line_items
    where charge_category = 'Purchase'
    group by all

),

-- ... and the usage the commitments covered (weighed by its CUD credit)
covered as (

    select billing_account_id, usage_start_time, region_id, sum(-cud_credit) as covered
    from line_items
    where charge_category = 'Usage' and cud_credit < 0
    group by all

),

allocated as (

    select
        line_items.*,
        case
            when charge_category = 'Usage' and cud_credit < 0 and fees.fee is not null
                then cast(fees.fee * (-cud_credit) / covered.covered as decimal(38, 10))
        end                                            as raw_share,
        fees.fee                                       as hour_fee,
        covered.covered                                as hour_covered
    from line_items
    left join fees
        on fees.billing_account_id = line_items.billing_account_id
       and fees.usage_start_time = line_items.usage_start_time
       and fees.region_id is not distinct from line_items.region_id
    left join covered
        on covered.billing_account_id = line_items.billing_account_id
       and covered.usage_start_time = line_items.usage_start_time
       and covered.region_id is not distinct from line_items.region_id

),

-- only rows a commitment covered share its fee: windows over just those (most rows are not)
shared_fees as (

    select
        allocated.*,
        -- the last covered row of the hour takes the rounding remainder, so the fee moves exactly
        case
            when row_number() over hour_order = count(*) over hour_rows
                then hour_fee - sum(raw_share) over hour_rows + raw_share
            else raw_share
        end                                            as fee_share
    from allocated
    where raw_share is not null
    window
        hour_rows as (partition by billing_account_id, usage_start_time, region_id),
        hour_order as (
            partition by billing_account_id, usage_start_time, region_id
            order by sku_id, resource_global_name, cost, export_time
        )

),

shared as (

    select * from shared_fees
    union all
    select allocated.*, cast(0 as decimal(38, 10))    as fee_share
    from allocated
    where raw_share is null

),

charged as (

    -- the columns unused and promotions replace come last, in their order there
    select
        * exclude (raw_share, row_kind, charge_category),
        sku_description                                as charge_description,
        cost_type                                      as line_item_type,
        row_kind,
        charge_category,
        cost + usage_credits                           as billed_cost,
        case
            when charge_category = 'Purchase' then 0
            else cost + usage_credits + fee_share
        end                                            as effective_cost,
        coalesce(cost_at_list, cost)                   as list_cost,
        cost                                           as contracted_cost
    from shared

),

unused as (

    select
        * exclude (row_kind, charge_category, billed_cost, effective_cost, list_cost, contracted_cost),
        'unused_commitment'                            as row_kind,
        'Usage'                                        as charge_category,
        cast(0 as decimal(38, 10))                     as billed_cost,
        cost + usage_credits                           as effective_cost,
        cast(0 as decimal(38, 10))                     as list_cost,
        cast(0 as decimal(38, 10))                     as contracted_cost
    from charged
    where charge_category = 'Purchase' and coalesce(hour_covered, 0) = 0 and cost + usage_credits <> 0

),

promotions as (

    select
        * exclude (credit, row_kind, charge_category, billed_cost, effective_cost, list_cost, contracted_cost,
                   charge_description, line_item_type),
        coalesce(credit.full_name, credit.name, 'Promotion')
                                                       as charge_description,
        credit.type                                    as line_item_type,
        'credit'                                       as row_kind,
        'Credit'                                       as charge_category,
        coalesce(credit.amount, 0)                     as billed_cost,
        coalesce(credit.amount, 0)                     as effective_cost,
        cast(0 as decimal(38, 10))                     as list_cost,
        cast(0 as decimal(38, 10))                     as contracted_cost
    from (select charged.*, unnest(credits) as credit from charged where row_kind = 'line_item')
    where credit.type = 'PROMOTION' and coalesce(credit.amount, 0) <> 0

),

charges as (

    -- the same columns in the same order (by position: Spark SQL has no UNION BY NAME)
    select * from charged
    union all
    select * from unused
    union all
    select * from promotions

),

classified as (

    select
        charges.*,
        case
            when charge_category <> 'Usage' then null
            when spot then 'Spot'
            when committed_use or row_kind = 'unused_commitment' then 'CommittedUse'
            else 'OnDemand'
        end                                            as purchase_option,
        case
            when lower(usage_pricing_unit) = 'hour' then 'Hours'
            when lower(usage_pricing_unit) = 'month' then 'Months'
            when lower(usage_pricing_unit) in ('second', 'seconds') then 'Seconds'
            when lower(usage_pricing_unit) = 'mebibyte' then 'MiB'
            when lower(usage_pricing_unit) = 'gibibyte' then 'GiB'
            when lower(usage_pricing_unit) = 'tebibyte' then 'TiB'
            when lower(usage_pricing_unit) = 'gibibyte hour' then 'GiB-Hours'
            when lower(usage_pricing_unit) = 'gibibyte month' then 'GiB-Months'
            when lower(usage_pricing_unit) = 'count' then 'Count'
            else usage_pricing_unit
        end                                            as pricing_unit,
        case
            when lower(usage_unit) = 'seconds' then 'Seconds'
            when lower(usage_unit) = 'bytes' then 'Bytes'
            when lower(usage_unit) = 'byte-seconds' then 'Byte-Seconds'
            when lower(usage_unit) = 'requests' then 'Requests'
            when lower(usage_unit) = 'count' then 'Count'
            else usage_unit
        end                                            as consumed_unit,
        coalesce(resource_global_name, resource_name)  as resource_id,
        case when charge_category <> 'Tax' and row_kind <> 'credit' then sku_id end
                                                       as focus_sku_id,
        case
            when row_kind = 'credit' then null
            when charge_category = 'Purchase' or row_kind = 'unused_commitment'
                then coalesce(subscription_instance_id, resource_name, sku_id)
            when charge_category = 'Usage' and cud_credit < 0 then nullif(coalesce(cud.id, cud.full_name, cud.name), '')
        end                                            as commitment_id
    from charges

)

select
    location_zone                                            as AvailabilityZone,
    cast(billed_cost as decimal(38, 10))                     as BilledCost,
    billing_account_id                                       as BillingAccountId,
    billing_account_id                                       as BillingAccountName,
    'Billing Account'                                        as BillingAccountType,
    currency                                                 as BillingCurrency,
    billing_period_end                                       as BillingPeriodEnd,
    billing_period_start                                     as BillingPeriodStart,
    cast(null as varchar)                                    as CapacityReservationId,
    cast(null as varchar)                                    as CapacityReservationStatus,
    charge_category                                          as ChargeCategory,
    case
        when adjustment_info_id is not null or usage_start_time < billing_period_start then 'Correction'
    end                                                      as ChargeClass,
    charge_description                                       as ChargeDescription,
    case
        when charge_category = 'Purchase' then 'Recurring'
        when charge_category in ('Tax', 'Credit', 'Adjustment') then 'One-Time'
        else 'Usage-Based'
    end                                                      as ChargeFrequency,
    usage_end_time                                           as ChargePeriodEnd,
    usage_start_time                                         as ChargePeriodStart,
    case
        when commitment_id is null then null
        when coalesce(cud.type, '') = 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE' or sku_description ilike '%dollar%' then 'Spend'
        else 'Usage'
    end                                                      as CommitmentDiscountCategory,
    commitment_id                                            as CommitmentDiscountId,
    case when commitment_id is not null then coalesce(cud.full_name, cud.name, sku_description) end
                                                             as CommitmentDiscountName,
    cast(null as decimal(38, 10))                            as CommitmentDiscountQuantity,
    case
        when row_kind = 'unused_commitment' then 'Unused'
        when charge_category = 'Usage' and commitment_id is not null then 'Used'
    end                                                      as CommitmentDiscountStatus,
    case when commitment_id is not null then 'Committed Use Discount' end
                                                             as CommitmentDiscountType,
    cast(null as varchar)                                    as CommitmentDiscountUnit,
    case when charge_category = 'Usage' and row_kind = 'line_item' then usage_amount end
                                                             as ConsumedQuantity,
    case when charge_category = 'Usage' and row_kind = 'line_item' then consumed_unit end
                                                             as ConsumedUnit,
    cast(contracted_cost as decimal(38, 10))                 as ContractedCost,
    cast(null as decimal(38, 10))                            as ContractedUnitPrice,
    cast(effective_cost as decimal(38, 10))                  as EffectiveCost,
    cast(null as varchar)                                    as InvoiceId,
    'Google Cloud'                                           as InvoiceIssuerName,
    cast(list_cost as decimal(38, 10))                       as ListCost,
    cast(null as decimal(38, 10))                            as ListUnitPrice,
    case
        when charge_category not in ('Usage', 'Purchase') then null
        when purchase_option = 'Spot' then 'Dynamic'
        when purchase_option = 'CommittedUse' then 'Committed'
        else 'Standard'
    end                                                      as PricingCategory,
    currency                                                 as PricingCurrency,
    cast(null as decimal(38, 10))                            as PricingCurrencyContractedUnitPrice,
    cast(effective_cost as decimal(38, 10))                  as PricingCurrencyEffectiveCost,
    cast(null as decimal(38, 10))                            as PricingCurrencyListUnitPrice,
    case when charge_category in ('Usage', 'Purchase') and row_kind <> 'credit' then usage_amount_in_pricing_units end
                                                             as PricingQuantity,
    case when charge_category in ('Usage', 'Purchase') and row_kind <> 'credit' then pricing_unit end
                                                             as PricingUnit,
    'Google Cloud'                                           as ProviderName,
    coalesce(seller_name, 'Google Cloud')                    as PublisherName,
    region_id                                                as RegionId,
    region_id                                                as RegionName,
    resource_id                                              as ResourceId,
    resource_name                                            as ResourceName,
    case
        when resource_global_name is not null
            then coalesce(nullif(regexp_replace(regexp_extract(resource_global_name, '/([A-Za-z]+)/[^/]+$', 1), 's$', ''), ''), 'resource')
        when resource_id is not null then 'resource'
    end                                                      as ResourceType,
    coalesce(services.ServiceCategory, 'Other')              as ServiceCategory,
    coalesce(classified.service_description, 'Unknown')      as ServiceName,
    coalesce(services.ServiceSubcategory, 'Other (Other)')   as ServiceSubcategory,
    focus_sku_id                                             as SkuId,
    case when focus_sku_id is not null then sku_description end
                                                             as SkuMeter,
    cast(null as map(varchar, varchar))                      as SkuPriceDetails,
    case when focus_sku_id is not null and charge_category in ('Usage', 'Purchase') then focus_sku_id end
                                                             as SkuPriceId,
    project_id                                               as SubAccountId,
    coalesce(project_name, project_id)                       as SubAccountName,
    case when project_id is not null then 'Project' end      as SubAccountType,
    labels                                                   as Tags,
    coalesce(seller_name, 'Google Cloud')                    as ServiceProviderName,
    'Google Cloud'                                           as HostProviderName,
    row_kind                                                 as x_RowKind,
    cast(null as varchar)                                    as x_LineItemId,
    line_item_type                                           as x_LineItemType,
    service_id                                               as x_ProductCode,
    cast(null as varchar)                                    as x_UsageType,
    cast(null as varchar)                                    as x_Operation,
    machine_spec                                             as x_InstanceType,
    purchase_option                                          as x_PurchaseOption,
    cast(null as decimal(38, 10))                            as x_OnDemandEquivalentCost,
    cast(null as map(varchar, varchar))                      as x_CostCategories,
    cast(null as varchar)                                    as x_InvoicingEntity,
    usage_pricing_unit                                       as x_PricingUnit,
    cast(map_from_entries(list_filter([
        {'key': 'cost_type', 'value': cost_type},
        {'key': 'credits', 'value': case when array_length(credits) > 0 then cast(to_json(credits) as varchar) end},
        {'key': 'invoice_month', 'value': invoice_month},
        {'key': 'invoice_publisher_type', 'value': invoice_publisher_type},
        {'key': 'adjustment_info_id', 'value': adjustment_info_id},
        {'key': 'adjustment_info_type', 'value': adjustment_info_type},
        {'key': 'adjustment_info_mode', 'value': adjustment_info_mode},
        {'key': 'adjustment_info_description', 'value': adjustment_info_description},
        {'key': 'transaction_type', 'value': transaction_type},
        {'key': 'consumption_model_id', 'value': consumption_model_id},
        {'key': 'price_effective_price', 'value': cast(price_effective_price as varchar)},
        {'key': 'price_unit', 'value': price_unit},
        {'key': 'project_number', 'value': project_number},
        {'key': 'export_time', 'value': strftime(export_time, '%Y-%m-%dT%H:%M:%S.%fZ')}
    ], lambda e: e.value is not null)) as map(varchar, varchar))
                                                             as x_ExtraColumns,
    project_labels                                           as x_ProjectLabels,
    system_labels                                            as x_SystemLabels,
    currency_conversion_rate                                 as x_CurrencyConversionRate,
    load_id                                                  as x_LoadId
from classified
left join gcp_service_categories as services
    on classified.service_description = services.service_description
