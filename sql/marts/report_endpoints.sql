-- Inference endpoints per ISO week: instance and GPU hours, cost, cost per instance hour and, where
-- CloudWatch invocations (or an LLM server's requests) are loaded, cost per 1,000 predictions; with
-- an LLM server's scrapes, cost per 1M tokens.
with daily as (

    select *, strftime(day, '%G-W%V') as week from endpoints

),

weighted as (

    -- what each team's days cost the endpoint that week: the costliest wins below
    select *, sum(EffectiveCost) over (partition by week, provider, endpoint, team) as team_cost
    from daily

),

weekly as (

    select
        week,
        provider,
        endpoint,
        -- the team with the most cost; of two as costly, the one sorting last, so every build agrees
        arg_max(team, (team_cost, team)) as team,
        string_agg(distinct instance_types, ', ' order by instance_types) as instance_types,
        sum(instance_hours)      as instance_hours,
        sum(gpu_hours)           as gpu_hours,
        sum(EffectiveCost)       as EffectiveCost,
        sum(invocations)         as invocations,
        sum(llm_requests)        as llm_requests,
        sum(prompt_tokens)       as prompt_tokens,
        sum(generation_tokens)   as generation_tokens
    from weighted
    group by week, provider, endpoint

)

select
    weekly.*,
    cast(EffectiveCost / nullif(instance_hours, 0) as decimal(38, 10))  as cost_per_instance_hour,
    cast(EffectiveCost * 1000 / nullif(coalesce(invocations, llm_requests), 0) as decimal(38, 10)) as cost_per_1000_predictions,
    cast(EffectiveCost * 1000000 / nullif(coalesce(prompt_tokens, 0) + coalesce(generation_tokens, 0), 0)
        as decimal(38, 10))                                                 as cost_per_1m_tokens
from weekly
