-- EBS volumes billed in hours when no EC2 instance ran in the same account and availability zone:
-- a volume can only be attached to an instance of its own zone, so it was likely unattached.
-- Per volume and ISO week, the hours and what they cost (snapshot and delete it to save that).
with volume_hours as (

    select
        ResourceId                                                  as volume_id,
        SubAccountId                                                as account_id,
        AvailabilityZone                                            as availability_zone,
        date_trunc('hour', ChargePeriodStart)                       as hour,
        -- the hour's largest charge names them; on a tie the value sorting last, so every build agrees
        arg_max(x_Team, (EffectiveCost, x_Team))                    as team,
        arg_max(x_UsageType, (EffectiveCost, x_UsageType))          as usage_type,
        sum(EffectiveCost)                                          as EffectiveCost
    from allocated_costs
    where ProviderName = 'AWS'
      and ChargeCategory = 'Usage'
      and x_UsageType like '%EBS:VolumeUsage%'
      and ResourceId like 'vol-%'
      and AvailabilityZone is not null
    group by ResourceId, SubAccountId, AvailabilityZone, date_trunc('hour', ChargePeriodStart)

),

instance_hours as (

    select distinct
        SubAccountId                                                as account_id,
        AvailabilityZone                                            as availability_zone,
        date_trunc('hour', ChargePeriodStart)                       as hour
    from allocated_costs
    where ProviderName = 'AWS'
      and ChargeCategory = 'Usage'
      and (x_UsageType like '%BoxUsage%' or x_UsageType like '%SpotUsage%' or x_UsageType like '%DedicatedUsage%')
      and AvailabilityZone is not null

),

alone as (

    select
        volume_hours.*,
        -- how many of the week's hours carry each team: the most frequent wins below
        count(volume_hours.team) over (
            partition by strftime(volume_hours.hour, '%G-W%V'), volume_hours.volume_id, volume_hours.account_id,
                         volume_hours.availability_zone, volume_hours.team
        )                                                           as team_hours
    from volume_hours
    left join instance_hours
        on instance_hours.account_id = volume_hours.account_id
       and instance_hours.availability_zone = volume_hours.availability_zone
       and instance_hours.hour = volume_hours.hour
    where instance_hours.hour is null

)

select
    strftime(hour, '%G-W%V')                                        as week,
    volume_id,
    account_id,
    availability_zone,
    arg_max(team, (team_hours, team))                               as team,
    arg_max(usage_type, (hour, usage_type))                         as usage_type,
    count(*)                                                        as unattached_hours,
    sum(EffectiveCost)                                              as unattached_cost
from alone
group by strftime(hour, '%G-W%V'), volume_id, account_id, availability_zone
