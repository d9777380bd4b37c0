-- What each charge paid for and who owns it: workload type and name, tuning job, team, project,
-- accelerator hours. Rules in order: non-usage charges are 'other'; ML services by resource kind,
-- then usage type; data transfer; storage; workload tags (attribution.workloads); else 'other'.
with charges as (

    select * from costs

),

tag_keys as (

    select
        list(tag_key order by priority) filter (where dimension = 'team')    as team_keys,
        list(tag_key order by priority) filter (where dimension = 'project') as project_keys
    from attribution_tag_keys

),

workload_keys as (

    select
        list(tag_key order by priority) filter (where workload_type = 'training')  as training_keys,
        list(tag_key order by priority) filter (where workload_type = 'inference') as inference_keys,
        list(tag_key order by priority) filter (where workload_type = 'notebook')  as notebook_keys,
        list(tag_key order by priority) filter (where workload_type = 'batch')     as batch_keys
    from attribution_workload_keys

),

accelerators as (

    select instance_type, gpu_model, gpus from gpu_instance_types
    union all
    -- SageMaker ml.<type> runs on the EC2 <type>
    select 'ml.' || instance_type, gpu_model, gpus from gpu_instance_types where provider = 'AWS'

),

tagged as (

    select
        charges.*,
        first_tag(Tags, team_keys)       as team_tag,
        first_tag(Tags, project_keys)    as project_tag,
        first_tag(Tags, training_keys)   as training_tag,
        first_tag(Tags, inference_keys)  as inference_tag,
        first_tag(Tags, notebook_keys)   as notebook_tag,
        first_tag(Tags, batch_keys)      as batch_tag,
        coalesce(ResourceType, '')       as resource_kind,
        coalesce(x_UsageType, '')        as usage_type
    from charges
    cross join tag_keys
    cross join workload_keys

),

classified as (

    select
        tagged.*,
        case
            when ChargeCategory <> 'Usage' or x_RowKind <> 'line_item' then 'other'
            when ServiceCategory = 'AI and Machine Learning' then
                case
                    when resource_kind in ('training-job', 'hyper-parameter-tuning-job', 'cluster')
                        or usage_type like '%Train%' or usage_type like '%TrSpt%' or usage_type like '%Cluster%'
                        then 'training'
                    when resource_kind in ('endpoint', 'inference-component')
                        or usage_type like '%Host%' or usage_type like '%AsyncInf%' or usage_type like '%Data-Bytes%'
                        then 'inference'
                    when resource_kind in ('notebook-instance', 'app', 'space')
                        or usage_type like '%Notebk%' or usage_type like '%Studio%' or usage_type like '%Canvas%'
                        then 'notebook'
                    when resource_kind in ('processing-job', 'transform-job', 'pipeline-execution')
                        or usage_type like '%Processing%' or usage_type like '%Tsform%'
                        then 'batch'
                    when resource_kind = 'labeling-job' or usage_type like '%Labeling%' or usage_type like '%GroundTruth%'
                        then 'labeling'
                    when usage_type like '%VolumeUsage%' then 'storage'
                    when training_tag is not null then 'training'
                    when inference_tag is not null then 'inference'
                    else 'other'
                end
            when usage_type like '%DataTransfer%' or usage_type like '%-Out-Bytes%' or usage_type like '%-In-Bytes%'
                or ServiceName = 'AWS Data Transfer'
                then 'data_transfer'
            when ServiceCategory = 'Storage' or usage_type like '%EBS:%' or usage_type like '%VolumeUsage%'
                or usage_type like '%SnapshotUsage%'
                then 'storage'
            when training_tag is not null then 'training'
            when inference_tag is not null then 'inference'
            when notebook_tag is not null then 'notebook'
            when batch_tag is not null then 'batch'
            else 'other'
        end as workload_type
    from tagged

),

named as (

    select
        classified.*,
        case
            when ChargeCategory <> 'Usage' then coalesce(CommitmentDiscountName, ChargeCategory)
            when x_RowKind = 'unused_commitment' then coalesce(CommitmentDiscountName, 'unused commitment')
            when workload_type = 'training' then coalesce(training_tag, ResourceName, ResourceId, ServiceName)
            when workload_type = 'inference' then coalesce(inference_tag, ResourceName, ResourceId, ServiceName)
            when workload_type = 'notebook' then coalesce(notebook_tag, ResourceName, ResourceId, ServiceName)
            when workload_type = 'batch' then coalesce(batch_tag, ResourceName, ResourceId, ServiceName)
            else coalesce(ResourceName, ResourceId, ServiceName)
        end as workload_name
    from classified

)

select
    named.* exclude (
        team_tag, project_tag, training_tag, inference_tag, notebook_tag, batch_tag,
        resource_kind, usage_type, workload_type, workload_name
    ),
    workload_type                                                          as x_WorkloadType,
    workload_name                                                          as x_WorkloadName,
    case
        when workload_type = 'training'
            then nullif(regexp_extract(workload_name, '^(.+)-[0-9]{3}-[0-9a-f]{8}$', 1), '')
    end                                                                    as x_TuningJob,
    coalesce(lower(team_tag), 'unallocated')                               as x_Team,
    coalesce(lower(project_tag), 'unallocated')                            as x_Project,
    accelerators.gpu_model                                                 as x_GpuModel,
    case
        when accelerators.gpus is not null and ConsumedUnit = 'Hours'
            and x_LineItemType is distinct from 'SavingsPlanNegation'
            then ConsumedQuantity * accelerators.gpus
    end                                                                    as x_GpuHours,
    case
        when ChargeCategory = 'Tax' then 'tax'
        when x_ProductCode like 'AWSSupport%' or x_ProductCode like 'AWSDeveloperSupport%'
            or ServiceName like '%Support%' then 'support'
        when workload_type = 'data_transfer' and team_tag is null then 'untagged_networking'
    end                                                                    as x_SharedCostKind
from named
left join accelerators on named.x_InstanceType = accelerators.instance_type
