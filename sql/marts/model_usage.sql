-- Generative-AI usage per day: which model, which kind of token, who used it, how many tokens,
-- what they cost and what the cache saved. Every Bedrock, Vertex AI or FOCUS line item whose usage
-- type, SKU or meter names a token kind (model_usage_patterns, plus [models] of finops.toml) is
-- here once, so its cost sums to those rows' EffectiveCost in costs.
with usage_kinds as (

    -- a bill has millions of rows but few distinct usage types, SKUs and services: classify each
    -- once, and only then join the line items back to what was found (building the text per line
    -- item was most of this model's time)
    select distinct
        ProviderName, ServiceCategory, x_UsageType, SkuMeter, ServiceName, ChargeDescription,
        -- what a pattern is matched against: usage type (AWS), SKU (Vertex AI, FOCUS), service, description
        lower(coalesce(x_UsageType, '') || ' | ' || coalesce(SkuMeter, '') || ' | ' || coalesce(ServiceName, '')
            || ' | ' || coalesce(ChargeDescription, ''))                  as usage_text
    from allocated_costs
    where ChargeCategory = 'Usage' and x_RowKind = 'line_item'

),

patterns as (

    -- finops.toml's patterns rank before the seed's, then the longest (most specific) pattern wins
    select dimension, provider, lower(pattern) as pattern, model, model_family, token_kind, modality, unit,
        tokens_per_unit, pricing_mode, 0 as source_rank
    from model_patterns_settings
    union all
    select dimension, provider, lower(pattern), model, model_family, token_kind, modality, unit,
        tokens_per_unit, pricing_mode, 1
    from model_usage_patterns

),

usage_texts as (

    select distinct ProviderName, usage_text from usage_kinds

),

matches as (

    select
        usage_texts.ProviderName,
        usage_texts.usage_text,
        patterns.*,
        row_number() over (
            partition by usage_texts.ProviderName, usage_texts.usage_text, patterns.dimension
            order by patterns.source_rank, length(patterns.pattern) desc, patterns.pattern
        )                                                                 as pattern_rank
    from usage_texts
    inner join patterns
        on usage_texts.usage_text like patterns.pattern
        and (patterns.provider is null or patterns.provider = usage_texts.ProviderName)

),

classified_texts as (

    select
        ProviderName,
        usage_text,
        max(model) filter (where dimension = 'model')                     as model,
        max(model_family) filter (where dimension = 'model')              as model_family,
        max(token_kind) filter (where dimension = 'kind')                 as token_kind,
        max(modality) filter (where dimension = 'kind')                   as modality,
        max(unit) filter (where dimension = 'kind')                       as unit,
        max(tokens_per_unit) filter (where dimension = 'kind')            as tokens_per_unit,
        coalesce(max(pricing_mode) filter (where dimension = 'mode'),
            max(pricing_mode) filter (where dimension = 'kind'), 'on_demand') as pricing_mode
    from matches
    where pattern_rank = 1
    group by ProviderName, usage_text

),

token_kinds as (

    -- the usage kinds that bill tokens (or other generative-AI units) of a model
    select usage_kinds.*, classified_texts.model, classified_texts.model_family, classified_texts.token_kind,
        classified_texts.modality, classified_texts.unit, classified_texts.tokens_per_unit, classified_texts.pricing_mode
    from usage_kinds
    inner join classified_texts
        on usage_kinds.ProviderName = classified_texts.ProviderName and usage_kinds.usage_text = classified_texts.usage_text
    where classified_texts.token_kind is not null
        and (usage_kinds.ServiceCategory = 'AI and Machine Learning'
            or usage_kinds.usage_text like '%bedrock%' or usage_kinds.usage_text like '%token%')

),

usage_rows as (

    select
        charges.*,
        token_kinds.model,
        token_kinds.model_family,
        token_kinds.token_kind,
        token_kinds.modality,
        token_kinds.unit,
        token_kinds.pricing_mode,
        -- the price's own unit wins over the pattern's: 1K tokens or 1M tokens per unit of quantity
        case
            when token_kinds.unit <> 'tokens' then 1
            when lower(coalesce(charges.x_PricingUnit, '') || ' ' || coalesce(charges.ConsumedUnit, '')) like '%1k%' then 1000
            when lower(coalesce(charges.x_PricingUnit, '') || ' ' || coalesce(charges.ConsumedUnit, '')) like '%1m%' then 1000000
            else coalesce(token_kinds.tokens_per_unit, 1)
        end                                                               as units_per_quantity,
        regexp_extract(coalesce(charges.ResourceId, ''), 'inference-profile/([^/]+)$', 1) as inference_profile
    from allocated_costs as charges
    inner join token_kinds
        on charges.ProviderName = token_kinds.ProviderName
        and charges.ServiceCategory is not distinct from token_kinds.ServiceCategory
        and charges.x_UsageType is not distinct from token_kinds.x_UsageType
        and charges.SkuMeter is not distinct from token_kinds.SkuMeter
        and charges.ServiceName is not distinct from token_kinds.ServiceName
        and charges.ChargeDescription is not distinct from token_kinds.ChargeDescription
    where charges.ChargeCategory = 'Usage' and charges.x_RowKind = 'line_item'

),

daily as (

    select
        cast(ChargePeriodStart as date)                                   as day,
        ProviderName                                                      as provider,
        coalesce(model, 'unrecognised')                                   as model,
        coalesce(model_family, 'unrecognised')                            as model_family,
        token_kind,
        coalesce(modality, 'other')                                       as modality,
        pricing_mode,
        unit,
        coalesce(RegionId, 'global')                                      as region,
        x_Team                                                            as team,
        coalesce(nullif(x_Project, 'unallocated'), nullif(inference_profile, ''), 'unallocated') as application,
        nullif(inference_profile, '')                                     as inference_profile,
        BillingCurrency                                                   as currency,
        sum(coalesce(ConsumedQuantity, 0) * units_per_quantity)           as quantity,
        sum(BilledCost)                                                   as BilledCost,
        sum(EffectiveCost)                                                as EffectiveCost
    from usage_rows
    group by all

),

input_rates as (

    -- what an uncached input token of the model cost on demand over the whole bill, per region and currency
    select provider, model, region, currency, sum(EffectiveCost) as input_cost, sum(quantity) as input_tokens
    from daily
    where token_kind = 'input' and unit = 'tokens' and pricing_mode = 'on_demand'
    group by provider, model, region, currency

)

select
    daily.*,
    case when daily.unit = 'tokens' then daily.quantity end              as tokens,
    cast(case when daily.unit = 'tokens' then daily.EffectiveCost * 1000000 / nullif(daily.quantity, 0) end
        as decimal(38, 10))                                               as cost_per_1m_tokens,
    cast(case when daily.token_kind = 'cache_read' and daily.unit = 'tokens'
        then daily.quantity * input_rates.input_cost / nullif(input_rates.input_tokens, 0) - daily.EffectiveCost end
        as decimal(38, 10))                                               as cache_savings
from daily
left join input_rates
    on daily.provider = input_rates.provider and daily.model = input_rates.model
    and daily.region = input_rates.region and daily.currency = input_rates.currency
