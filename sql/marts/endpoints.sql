-- Inference endpoints per day: instance hours, GPU hours, what they cost and, with CloudWatch
-- metrics loaded, invocations and the cost per 1,000 predictions; with an LLM server's scrapes
-- loaded (vLLM, TGI, Triton), the tokens it served and the cost per 1M tokens.
with inference as (

    select
        ChargePeriodStart, ProviderName, x_WorkloadName, x_Team, ResourceId, x_InstanceType, x_LineItemType,
        ConsumedQuantity, ConsumedUnit, x_GpuHours, BilledCost, EffectiveCost
    from allocated_costs
    where x_WorkloadType = 'inference'

),

invocations as (

    -- CloudWatch names an endpoint as its workload name does (SageMaker: the name in its ARN)
    select resource_id as endpoint, cast(sampled_at as date) as day, sum(invocations) as invocations
    from gpu_metrics
    where invocations is not null
    group by all

),

serving_keys as (

    -- a server's scrapes name the endpoint, or the instance (ResourceId) behind it
    select distinct cast(ChargePeriodStart as date) as day, x_WorkloadName as endpoint, x_WorkloadName as served_by
    from inference
    union
    select distinct cast(ChargePeriodStart as date), x_WorkloadName, ResourceId
    from inference
    where ResourceId is not null

),

served as (

    select
        serving_keys.endpoint,
        serving_keys.day,
        sum(int_llm_serving.prompt_tokens)                                        as prompt_tokens,
        sum(int_llm_serving.generation_tokens)                                    as generation_tokens,
        sum(int_llm_serving.requests)                                             as llm_requests
    from serving_keys
    inner join int_llm_serving
        on int_llm_serving.resource_id = serving_keys.served_by and int_llm_serving.day = serving_keys.day
    group by serving_keys.endpoint, serving_keys.day

),

team_days as (

    -- what each team cost the endpoint that day (summed per team, not a window over every charge)
    select
        cast(ChargePeriodStart as date)                                           as day,
        ProviderName                                                              as provider,
        x_WorkloadName                                                            as endpoint,
        x_Team                                                                    as team,
        sum(EffectiveCost)                                                        as team_cost
    from inference
    group by cast(ChargePeriodStart as date), ProviderName, x_WorkloadName, x_Team

),

owners as (

    -- the team with the most cost; of two as costly, the one sorting last, so every build agrees
    select day, provider, endpoint, arg_max(team, (team_cost, team)) as team
    from team_days
    group by day, provider, endpoint

),

usage_days as (

    select
        cast(ChargePeriodStart as date)                                           as day,
        ProviderName                                                              as provider,
        x_WorkloadName                                                            as endpoint,
        string_agg(distinct x_InstanceType, ', ' order by x_InstanceType)         as instance_types,
        coalesce(sum(ConsumedQuantity) filter (where ConsumedUnit = 'Hours' and x_InstanceType is not null
            and x_LineItemType is distinct from 'SavingsPlanNegation'), 0)        as instance_hours,
        coalesce(sum(x_GpuHours), 0)                                              as gpu_hours,
        sum(BilledCost)                                                           as BilledCost,
        sum(EffectiveCost)                                                        as EffectiveCost
    from inference
    group by cast(ChargePeriodStart as date), ProviderName, x_WorkloadName

),

daily as (

    select
        usage_days.day,
        usage_days.provider,
        usage_days.endpoint,
        owners.team,
        usage_days.instance_types,
        usage_days.instance_hours,
        usage_days.gpu_hours,
        usage_days.BilledCost,
        usage_days.EffectiveCost
    from usage_days
    left join owners
        on owners.day = usage_days.day
       and owners.provider = usage_days.provider
       and owners.endpoint is not distinct from usage_days.endpoint

)

select
    daily.*,
    invocations.invocations,
    cast(daily.EffectiveCost * 1000 / nullif(coalesce(invocations.invocations, served.llm_requests), 0) as decimal(38, 10))
                                                                                  as cost_per_1000_predictions,
    served.prompt_tokens,
    served.generation_tokens,
    served.llm_requests,
    cast(daily.EffectiveCost * 1000000 / nullif(coalesce(served.prompt_tokens, 0) + coalesce(served.generation_tokens, 0), 0)
        as decimal(38, 10))                                                       as cost_per_1m_tokens
from daily
left join invocations using (endpoint, day)
left join served using (endpoint, day)
