-- EBS volumes billed in hours when no EC2 instance ran in the same account and availability zone:
-- a volume can only be attached to an instance of its own zone, so it was likely unattached.
-- Per volume and ISO week, the hours and what they cost (snapshot and delete it to save that).
with instance_hours as (

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

volume_hours as (

    -- the volumes' hours with no instance in their account and zone (found before grouping, as most
    -- volume hours have one)
    select
        charges.ResourceId                                          as volume_id,
        charges.SubAccountId                                        as account_id,
        charges.AvailabilityZone                                    as availability_zone,
        date_trunc('hour', charges.ChargePeriodStart)               as hour,
        -- the hour's largest charge names them; on a tie the value sorting last, so every build agrees
        arg_max(charges.x_Team, (charges.EffectiveCost, charges.x_Team)) as team,
        arg_max(charges.x_UsageType, (charges.EffectiveCost, charges.x_UsageType)) as usage_type,
        sum(charges.EffectiveCost)                                  as EffectiveCost
    from allocated_costs as charges
    left join instance_hours
        on instance_hours.account_id = charges.SubAccountId
       and instance_hours.availability_zone = charges.AvailabilityZone
       and instance_hours.hour = date_trunc('hour', charges.ChargePeriodStart)
    where charges.ProviderName = 'AWS'
      and charges.ChargeCategory = 'Usage'
      and charges.x_UsageType like '%EBS:VolumeUsage%'
      and charges.ResourceId like 'vol-%'
      and charges.AvailabilityZone is not null
      and instance_hours.hour is null
    group by charges.ResourceId, charges.SubAccountId, charges.AvailabilityZone, date_trunc('hour', charges.ChargePeriodStart)

),

alone as (

    select
        *,
        -- how many of the week's hours carry each team: the most frequent wins below
        count(team) over (
            partition by strftime(hour, '%G-W%V'), volume_id, account_id, availability_zone, team
        )                                                           as team_hours
    from volume_hours

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
