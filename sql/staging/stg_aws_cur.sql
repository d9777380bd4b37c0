-- One row per AWS Cost and Usage Report line item, every shape (legacy CUR, CUR 2.0) alike.
-- Renaming and typing, plus two normalisations every reader needs: the unit in FOCUS's unit
-- format (derived from the usage type where pricing/unit is empty, as it is for S3 Requests-Tier2,
-- SpotUsage, EBS VolumeUsage and RIFee rows) and the region's name where the bill has no
-- product/location. What the columns mean in FOCUS terms is decided downstream.
with usage_type_units as (

    -- the unit of each usage type the bill leaves without one: its first matching pattern
    select usage_types.usage_type, arg_min(patterns.unit, patterns.priority) as unit
    from (
        select distinct line_item_usage_type as usage_type
        from raw_aws_cur
        where nullif(trim(pricing_unit), '') is null
    ) as usage_types
    inner join aws_usage_type_units as patterns
        on usage_types.usage_type like patterns.pattern
    group by usage_types.usage_type

),

line_item_units as (

    select
        raw_aws_cur.*,
        coalesce(nullif(trim(raw_aws_cur.pricing_unit), ''), usage_type_units.unit, 'Units') as source_unit
    from raw_aws_cur
    left join usage_type_units
        on raw_aws_cur.line_item_usage_type = usage_type_units.usage_type

)

select
    identity_line_item_id                                           as line_item_id,
    bill_payer_account_id                                           as payer_account_id,
    bill_payer_account_name                                         as payer_account_name,
    bill_invoice_id                                                 as invoice_id,
    bill_invoicing_entity                                           as invoicing_entity,
    bill_billing_entity                                             as billing_entity,
    bill_billing_period_start_date                                  as billing_period_start,
    bill_billing_period_end_date                                    as billing_period_end,
    line_item_usage_account_id                                      as usage_account_id,
    line_item_usage_account_name                                    as usage_account_name,
    line_item_line_item_type                                        as line_item_type,
    line_item_usage_start_date                                      as usage_start,
    line_item_usage_end_date                                        as usage_end,
    line_item_product_code                                          as product_code,
    line_item_usage_type                                            as usage_type,
    line_item_operation                                             as operation,
    line_item_availability_zone                                     as availability_zone,
    line_item_resource_id                                           as resource_id,
    line_item_usage_amount                                          as usage_amount,
    upper(line_item_currency_code)                                  as currency,
    line_item_unblended_rate                                        as unblended_rate,
    line_item_unblended_cost                                        as unblended_cost,
    line_item_net_unblended_cost                                    as net_unblended_cost,
    line_item_line_item_description                                 as description,
    line_item_legal_entity                                          as legal_entity,
    coalesce(product_product_name, product_servicename)             as product_name,
    product_region_code                                             as region_code,
    coalesce(product_location, regions.region_name)                 as region_name,
    product_instance_type                                           as instance_type,
    product_product_family                                          as product_family,
    product_sku                                                     as sku,
    pricing_unit                                                    as pricing_unit,
    -- FOCUS unit format: Hrs and DPU-Hour become Hours and DPU-Hours, GB-Mo GB-Months,
    -- Obj-Month Objects-Months, a count in blocks (64K-Chunks) '64 KB Chunks', Lambda-GB-Second GB-Seconds
    case
        when regexp_matches(source_unit, '^[0-9]+K-[A-Za-z]+$') then replace(source_unit, 'K-', ' KB ')
        when regexp_matches(source_unit, '^Lambda-GB-Seconds?$') then 'GB-Seconds'
        else regexp_replace(
            regexp_replace(
                regexp_replace(replace(source_unit, 'Obj-Month', 'Objects-Months'), '^(Hrs?|Hours?)$', 'Hours'),
                '-(Mo|Month)$', '-Months'
            ),
            '-(Hrs|Hr|Hour)$', '-Hours'
        )
    end                                                             as focus_unit,
    pricing_term                                                    as pricing_term,
    pricing_rate_code                                               as rate_code,
    pricing_public_on_demand_cost                                   as public_on_demand_cost,
    pricing_public_on_demand_rate                                   as public_on_demand_rate,
    reservation_reservation_a_r_n                                   as reservation_arn,
    reservation_effective_cost                                      as reservation_effective_cost,
    reservation_net_effective_cost                                  as reservation_net_effective_cost,
    reservation_unused_amortized_upfront_fee_for_billing_period     as reservation_unused_upfront_fee,
    reservation_net_unused_amortized_upfront_fee_for_billing_period as reservation_net_unused_upfront_fee,
    reservation_unused_recurring_fee                                as reservation_unused_recurring_fee,
    reservation_net_unused_recurring_fee                            as reservation_net_unused_recurring_fee,
    savings_plan_savings_plan_a_r_n                                 as savings_plan_arn,
    savings_plan_offering_type                                      as savings_plan_type,
    savings_plan_savings_plan_effective_cost                        as savings_plan_effective_cost,
    savings_plan_net_savings_plan_effective_cost                    as savings_plan_net_effective_cost,
    savings_plan_total_commitment_to_date                           as savings_plan_commitment,
    savings_plan_used_commitment                                    as savings_plan_used_commitment,
    savings_plan_recurring_commitment_for_billing_period            as savings_plan_recurring_commitment,
    savings_plan_amortized_upfront_commitment_for_billing_period    as savings_plan_upfront_commitment,
    try_cast(nullif(savings_plan_start_time, '') as timestamp)      as savings_plan_start,
    try_cast(nullif(savings_plan_end_time, '') as timestamp)        as savings_plan_end,
    try_cast(nullif(reservation_start_time, '') as timestamp)       as reservation_start,
    try_cast(nullif(reservation_end_time, '') as timestamp)         as reservation_end,
    resource_tags                                                   as tags,
    cost_category                                                   as cost_categories,
    x_load_id                                                       as load_id
from line_item_units
left join aws_regions as regions
    on line_item_units.product_region_code = regions.region_code
