-- Inference endpoints per ISO week: instance and GPU hours, cost, cost per instance hour and, where
-- CloudWatch invocations (or an LLM server's requests) are loaded, cost per 1,000 predictions; with
-- an LLM server's scrapes, cost per 1M tokens.
with daily as (

    select * from endpoints

),

weekly as (

    select
        strftime(day, '%G-W%V')  as week,
        provider,
        endpoint,
        mode(team)               as team,
        string_agg(distinct instance_types, ', ' order by instance_types) as instance_types,
        sum(instance_hours)      as instance_hours,
        sum(gpu_hours)           as gpu_hours,
        sum(EffectiveCost)       as EffectiveCost,
        sum(invocations)         as invocations,
        sum(llm_requests)        as llm_requests,
        sum(prompt_tokens)       as prompt_tokens,
        sum(generation_tokens)   as generation_tokens
    from daily
    group by all

)

select
    weekly.*,
    cast(EffectiveCost / nullif(instance_hours, 0) as decimal(38, 10))  as cost_per_instance_hour,
    cast(EffectiveCost * 1000 / nullif(coalesce(invocations, llm_requests), 0) as decimal(38, 10)) as cost_per_1000_predictions,
    cast(EffectiveCost * 1000000 / nullif(coalesce(prompt_tokens, 0) + coalesce(generation_tokens, 0), 0)
        as decimal(38, 10))                                                 as cost_per_1m_tokens
from weekly
