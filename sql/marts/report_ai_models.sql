-- Generative-AI models per ISO week: what each cost, per 1M input and output tokens, against the
-- week before, what cached tokens saved and how much ran as batch.
with usage as (

    select *, cast(date_trunc('week', day) as date) as week_start from model_usage

),

weekly as (

    select
        strftime(week_start, '%G-W%V')                                                    as week,
        week_start,
        provider,
        model,
        model_family,
        currency,
        sum(EffectiveCost)                                                                as EffectiveCost,
        sum(EffectiveCost) filter (where token_kind = 'input' and unit = 'tokens')        as input_cost,
        sum(tokens) filter (where token_kind = 'input')                                   as input_tokens,
        sum(EffectiveCost) filter (where token_kind = 'output' and unit = 'tokens')       as output_cost,
        sum(tokens) filter (where token_kind = 'output')                                  as output_tokens,
        coalesce(sum(cache_savings), 0)                                                   as cache_savings,
        coalesce(sum(EffectiveCost) filter (where pricing_mode = 'batch'), 0)             as batch_cost
    from usage
    group by all

)

select
    weekly.week,
    weekly.provider,
    weekly.model,
    weekly.model_family,
    weekly.currency,
    weekly.EffectiveCost,
    weekly.input_tokens,
    weekly.output_tokens,
    cast(weekly.input_cost * 1000000 / nullif(weekly.input_tokens, 0) as decimal(38, 10))   as input_cost_per_1m_tokens,
    cast(weekly.output_cost * 1000000 / nullif(weekly.output_tokens, 0) as decimal(38, 10)) as output_cost_per_1m_tokens,
    coalesce(previous.EffectiveCost, 0)                                                   as previous_week_cost,
    weekly.EffectiveCost - coalesce(previous.EffectiveCost, 0)                            as change,
    weekly.cache_savings,
    cast(weekly.batch_cost / nullif(weekly.EffectiveCost, 0) as decimal(38, 10))          as batch_share
from weekly
left join weekly as previous
    on previous.provider = weekly.provider and previous.model = weekly.model and previous.currency = weekly.currency
    and previous.week_start = weekly.week_start - interval 7 day
