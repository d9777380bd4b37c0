-- Data transfer per ISO week, resource and team: inter-region, inter-AZ and internet egress, with the
-- regions at each end. AWS reads the direction from the usage type (USE1-USW2-AWS-Out-Bytes,
-- USE1-DataTransfer-Out-Bytes, USE1-DataTransfer-Regional-Bytes), GCP from its network SKUs. An
-- inter-region row gets co-location advice only where compute of the same team and project ran in the
-- region it sends to that week: then keeping the two together would save the transfer.
with transfers as (

    select
        strftime(ChargePeriodStart, '%G-W%V')                       as week,
        ProviderName                                                as provider,
        ResourceId                                                  as resource_id,
        x_Team                                                      as team,
        x_Project                                                   as project,
        RegionId,
        x_UsageType,
        SkuMeter,
        case
            when ProviderName = 'AWS' and x_UsageType like '%-AWS-Out-Bytes' then 'inter_region'
            when ProviderName = 'AWS' and (x_UsageType like '%DataTransfer-Regional-Bytes'
                                           or x_UsageType like '%DataTransfer-xAZ-%') then 'inter_az'
            when ProviderName = 'AWS' and x_UsageType like '%DataTransfer-Out-Bytes' then 'internet_egress'
            when ProviderName = 'Google Cloud' and SkuMeter like '%Inter Zone%' then 'inter_az'
            when ProviderName = 'Google Cloud' and (SkuMeter like '%Inter Region%' or SkuMeter like '%Inter-region%')
                then 'inter_region'
            when ProviderName = 'Google Cloud' and (SkuMeter like '%Internet%' or SkuMeter like '%Egress%')
                then 'internet_egress'
        end                                                         as transfer_kind,
        PricingQuantity                                             as gb,
        EffectiveCost
    from allocated_costs
    where ChargeCategory = 'Usage'
      and x_WorkloadType = 'data_transfer'

),

ends as (

    -- AWS: the usage type's first region code is where the data leaves, an inter-region one's second where it lands
    select
        transfers.*,
        coalesce(source_region.region, case when transfers.provider = 'AWS' and transfers.x_UsageType like 'DataTransfer%'
                                            then 'us-east-1' end, transfers.RegionId) as source_region,
        case
            when transfers.transfer_kind = 'internet_egress' then 'internet'
            when transfers.transfer_kind = 'inter_az' then coalesce(source_region.region, transfers.RegionId)
            else destination_region.region
        end                                                         as destination_region
    from transfers
    left join aws_usage_type_regions as source_region
        on transfers.provider = 'AWS' and transfers.x_UsageType like source_region.prefix || '-%'
    left join aws_usage_type_regions as destination_region
        on transfers.provider = 'AWS' and transfers.x_UsageType like '%-' || destination_region.prefix || '-AWS-Out-Bytes'
    where transfers.transfer_kind is not null

),

weekly as (

    select
        week,
        provider,
        transfer_kind,
        source_region,
        destination_region,
        resource_id,
        team,
        project,
        sum(gb)                                                     as gb,
        sum(EffectiveCost)                                          as EffectiveCost
    from ends
    group by week, provider, transfer_kind, source_region, destination_region, resource_id, team, project

),

compute_regions as (

    -- where each team and project ran compute that week
    select distinct
        strftime(ChargePeriodStart, '%G-W%V')                       as week,
        ProviderName                                                as provider,
        RegionId                                                    as region,
        x_Team                                                      as team,
        x_Project                                                   as project
    from allocated_costs
    where ChargeCategory = 'Usage'
      and x_InstanceType is not null
      and x_Team <> 'unallocated'

),

pairs as (

    select week, provider, transfer_kind, source_region, destination_region, sum(EffectiveCost) as pair_cost
    from weekly
    group by week, provider, transfer_kind, source_region, destination_region

)

select
    weekly.*,
    pairs.pair_cost,
    cast(rank() over (partition by weekly.week order by pairs.pair_cost desc) as integer) as pair_rank,
    case when compute_regions.region is not null then weekly.destination_region end as colocate_region
from weekly
join pairs
    on pairs.week = weekly.week
   and pairs.provider = weekly.provider
   and pairs.transfer_kind = weekly.transfer_kind
   and pairs.source_region is not distinct from weekly.source_region
   and pairs.destination_region is not distinct from weekly.destination_region
left join compute_regions
    on weekly.transfer_kind = 'inter_region'
   and compute_regions.week = weekly.week
   and compute_regions.provider = weekly.provider
   and compute_regions.region = weekly.destination_region
   and compute_regions.team = weekly.team
   and compute_regions.project = weekly.project
