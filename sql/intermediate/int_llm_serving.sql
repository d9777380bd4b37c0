-- Tokens and requests LLM servers served per resource, model and UTC day: the increase of each
-- cumulative counter between consecutive scrapes; a value below the previous one means the server
-- restarted, and the new value is what it served since.
with counters as (

    select resource_id, model, counter, sampled_at, value from llm_serving_metrics

),

increases as (

    select
        resource_id,
        model,
        counter,
        sampled_at,
        value,
        lag(value) over (partition by resource_id, model, counter order by sampled_at) as previous
    from counters

)

select
    resource_id,
    model,
    cast(sampled_at as date)                                                            as day,
    sum(case when previous is null then 0 when value >= previous then value - previous else value end)
        filter (where counter = 'prompt_tokens')                                        as prompt_tokens,
    sum(case when previous is null then 0 when value >= previous then value - previous else value end)
        filter (where counter = 'generation_tokens')                                    as generation_tokens,
    sum(case when previous is null then 0 when value >= previous then value - previous else value end)
        filter (where counter = 'requests')                                             as requests
from increases
group by resource_id, model, cast(sampled_at as date)
