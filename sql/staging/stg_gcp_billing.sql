-- One row per GCP Cloud Billing export row (standard or detailed export alike), with the invoice
-- month placed in time the way Google bills it (America/Los_Angeles) and the credits split into
-- those that discount the row's own usage and promotions. FOCUS meaning is decided downstream.
select
    billing_account_id,
    service_id,
    service_description,
    sku_id,
    sku_description,
    usage_start_time,
    usage_end_time,
    usage_day,
    project_id,
    project_number,
    project_name,
    location_region,
    location_zone,
    coalesce(location_region, location_location)                       as region_id,
    resource_name,
    resource_global_name,
    cost,
    cost_at_list,
    upper(currency)                                                    as currency,
    currency_conversion_rate,
    usage_amount,
    usage_unit,
    usage_amount_in_pricing_units,
    usage_pricing_unit,
    credits,
    invoice_month,
    invoice_publisher_type,
    cost_type,
    adjustment_info_id,
    adjustment_info_description,
    adjustment_info_type,
    adjustment_info_mode,
    price_effective_price,
    price_tier_start_amount,
    price_unit,
    consumption_model_id,
    transaction_type,
    subscription_instance_id,
    seller_name,
    export_time,
    -- invoice.month is a Pacific-time month: October starts 2026-10-01 07:00 UTC
    timezone('UTC', timezone('America/Los_Angeles', strptime(invoice_month, '%Y%m')))
                                                                       as billing_period_start,
    timezone('UTC', timezone('America/Los_Angeles', strptime(invoice_month, '%Y%m') + interval 1 month))
                                                                       as billing_period_end,
    -- every credit except promotions reduces the cost of the row's own usage
    cast(coalesce(list_sum(list_transform(
        list_filter(credits, lambda c: coalesce(c.type, '') <> 'PROMOTION'), lambda c: coalesce(c.amount, 0)
    )), 0) as decimal(38, 10))                                         as usage_credits,
    array_length(list_filter(credits, lambda c: c.type like 'COMMITTED_USAGE_DISCOUNT%')) > 0
                                                                       as committed_use,
    sku_description like 'Spot Preemptible%'                           as spot,
    cast(map_from_entries(list_transform(coalesce(labels, []), lambda l: {'key': l.key, 'value': l.value}))
        as map(varchar, varchar))                                      as labels,
    cast(map_from_entries(list_transform(coalesce(project_labels, []), lambda l: {'key': l.key, 'value': l.value}))
        as map(varchar, varchar))                                      as project_labels,
    cast(map_from_entries(list_transform(coalesce(system_labels, []), lambda l: {'key': l.key, 'value': l.value}))
        as map(varchar, varchar))                                      as system_labels,
    list_extract(list_transform(
        list_filter(system_labels, lambda l: l.key = 'compute.googleapis.com/machine_spec'), lambda l: l.value
    ), 1)                                                              as machine_spec,
    x_load_id                                                          as load_id
from raw_gcp_billing
