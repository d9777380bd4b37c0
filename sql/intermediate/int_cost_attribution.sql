-- What each charge paid for and who owns it: workload type and name, tuning job, team, project,
-- accelerator hours. Rules in order: tax, support, commitment fees and credits by charge kind; ML
-- services by resource kind, then usage type (AWS) or SKU (Google Cloud); NAT gateways and load
-- balancers; data transfer; storage; workload tags (attribution.workloads); then what the untagged
-- rest is (GPU compute, CPU compute, monitoring); else 'other'. A resource's Name tag (Google
-- Cloud: its `name` label) names it when it has one.
with charges as (

    select * from int_charges

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

tag_sets as (

    -- a bill has millions of rows but few distinct tag sets: resolve each set once
    select
        tag_set,
        first_tag(Tags, team_keys)       as team_tag,
        first_tag(Tags, project_keys)    as project_tag,
        first_tag(Tags, training_keys)   as training_tag,
        first_tag(Tags, inference_keys)  as inference_tag,
        first_tag(Tags, notebook_keys)   as notebook_tag,
        first_tag(Tags, batch_keys)      as batch_tag,
        -- AWS's user:Name tag (the console's name column) and Google Cloud's `name` label
        first_tag(Tags, ['name'])        as name_tag
    -- read from int_charges, not the charges CTE: a second reference would make the engine
    -- materialise every column of every charge just to find the tag sets
    -- tag_set (sql/macros.sql): a key every engine can group and join on (Spark cannot a MAP itself);
    -- the maps of one tag set hold the same tags, so any_value picks among equals: no label choice
    from (
        select tag_set(Tags) as tag_set, any_value(Tags) as Tags from int_charges where Tags is not null group by 1
    ) as distinct_tags
    cross join tag_keys
    cross join workload_keys

),

tagged as (

    select
        charges.*,
        tag_sets.team_tag,
        tag_sets.project_tag,
        tag_sets.training_tag,
        tag_sets.inference_tag,
        tag_sets.notebook_tag,
        tag_sets.batch_tag,
        tag_sets.name_tag,
        accelerators.gpu_model           as accelerator_model,
        accelerators.gpus                as accelerator_gpus,
        coalesce(ResourceType, '')       as resource_kind,
        coalesce(x_UsageType, '')        as usage_type,
        -- Google Cloud names what a charge is in its SKU description (AWS: the usage type again)
        coalesce(SkuMeter, '')           as sku
    from charges
    left join tag_sets on tag_set(charges.Tags) = tag_sets.tag_set
    left join accelerators on charges.x_InstanceType = accelerators.instance_type

),

classified as (

    select
        tagged.*,
        case
            when ChargeCategory = 'Tax' then 'tax'
            when x_ProductCode like 'AWSSupport%' or x_ProductCode like 'AWSDeveloperSupport%'
                or ServiceName like '%Support%' then 'support'
            when ChargeCategory = 'Purchase' or x_RowKind = 'unused_commitment' then 'commitment_fees'
            when ChargeCategory <> 'Usage' or x_RowKind <> 'line_item' then 'other'
            when ServiceCategory = 'AI and Machine Learning' then
                case
                    when resource_kind in ('training-job', 'hyper-parameter-tuning-job', 'cluster')
                        or usage_type like '%Train%' or usage_type like '%TrSpt%' or usage_type like '%Cluster%'
                        or sku like '%Training%'
                        then 'training'
                    when resource_kind in ('endpoint', 'inference-component')
                        or usage_type like '%Host%' or usage_type like '%AsyncInf%' or usage_type like '%Data-Bytes%'
                        or sku like '%Prediction%'
                        then 'inference'
                    when resource_kind in ('notebook-instance', 'app', 'space')
                        or usage_type like '%Notebk%' or usage_type like '%Studio%' or usage_type like '%Canvas%'
                        or sku like '%Workbench%' or sku like '%Notebook%' or sku like '%Colab%'
                        then 'notebook'
                    when resource_kind in ('processing-job', 'transform-job', 'pipeline-execution')
                        or usage_type like '%Processing%' or usage_type like '%Tsform%' or sku like '%Pipelines%'
                        then 'batch'
                    when resource_kind = 'labeling-job' or usage_type like '%Labeling%' or usage_type like '%GroundTruth%'
                        or sku like '%Labeling%'
                        then 'labeling'
                    when usage_type like '%VolumeUsage%' then 'storage'
                    when training_tag is not null then 'training'
                    when inference_tag is not null then 'inference'
                    else 'other'
                end
            when usage_type like '%NatGateway%' or sku like '%Cloud NAT%' or sku like '%NAT Gateway%'
                then 'nat_gateway'
            when usage_type like '%LoadBalancerUsage%' or usage_type like '%LCUUsage%'
                or ServiceName = 'Elastic Load Balancing' or sku like '%Load Balanc%' or sku like '%Forwarding Rule%'
                then 'load_balancer'
            when usage_type like '%DataTransfer%' or usage_type like '%-Out-Bytes%' or usage_type like '%-In-Bytes%'
                or ServiceName = 'AWS Data Transfer'
                or sku like '%Egress%' or sku like '%Internet Data Transfer%' or sku like '%Inter-region%'
                or sku like '%Inter Region%'
                then 'data_transfer'
            when ServiceCategory = 'Storage' or usage_type like '%EBS:%' or usage_type like '%VolumeUsage%'
                or usage_type like '%SnapshotUsage%'
                or sku like '%PD Capacity%' or sku like '%Persistent Disk%' or sku like '%Snapshot Storage%'
                then 'storage'
            when training_tag is not null then 'training'
            when inference_tag is not null then 'inference'
            when notebook_tag is not null then 'notebook'
            when batch_tag is not null then 'batch'
            -- untagged: say what it is, so "other" is what nobody can name
            when accelerator_gpus is not null or (ProviderName = 'Google Cloud' and sku like '%GPU%') then 'gpu_compute'
            when ServiceCategory = 'Compute' then 'cpu_compute'
            when ServiceCategory = 'Management and Governance' then 'monitoring'
            else 'other'
        end as workload_type
    from tagged

),

named as (

    select
        classified.*,
        case
            when workload_type = 'support' then ServiceName
            when ChargeCategory <> 'Usage' then coalesce(CommitmentDiscountName, ChargeCategory)
            when x_RowKind = 'unused_commitment' then coalesce(CommitmentDiscountName, 'unused commitment')
            -- an ML service's own resource (a SageMaker job's ARN) names itself; tags name the rest
            when ServiceCategory = 'AI and Machine Learning' and ResourceId like 'arn:%' then ResourceName
            when workload_type = 'training' then coalesce(training_tag, name_tag, ResourceName, ResourceId, ServiceName)
            when workload_type = 'inference' then coalesce(inference_tag, name_tag, ResourceName, ResourceId, ServiceName)
            when workload_type = 'notebook' then coalesce(notebook_tag, name_tag, ResourceName, ResourceId, ServiceName)
            when workload_type = 'batch' then coalesce(batch_tag, name_tag, ResourceName, ResourceId, ServiceName)
            else coalesce(name_tag, ResourceName, ResourceId, ServiceName)
        end as workload_name,
        case
            when ProviderName = 'Google Cloud' and sku like '%GPU%'
                then nullif(regexp_extract(sku, '(H200|H100|A100|L40S|L4|A10G|T4|V100|P100|P4|K80)', 1), '')
        end as sku_gpu_model
    from classified

)

select
    named.* exclude (
        team_tag, project_tag, training_tag, inference_tag, notebook_tag, batch_tag, name_tag, accelerator_model, accelerator_gpus,
        resource_kind, usage_type, sku, workload_type, workload_name, sku_gpu_model
    ),
    workload_type                                                          as x_WorkloadType,
    workload_name                                                          as x_WorkloadName,
    case
        when workload_type = 'training'
            then nullif(regexp_extract(workload_name, '^(.+)-[0-9]{3}-[0-9a-f]{8}$', 1), '')
    end                                                                    as x_TuningJob,
    coalesce(lower(team_tag), 'unallocated')                               as x_Team,
    coalesce(lower(project_tag), 'unallocated')                            as x_Project,
    coalesce(accelerator_model, sku_gpu_model)                        as x_GpuModel,
    case
        -- Google Cloud bills GPUs as their own SKUs, priced per GPU hour
        when sku_gpu_model is not null and ChargeCategory = 'Usage' and x_RowKind = 'line_item'
            and PricingUnit = 'Hours'
            then PricingQuantity
        -- AWS bills the instance: its hours times the accelerators it carries
        when ProviderName <> 'Google Cloud' and accelerator_gpus is not null and ConsumedUnit = 'Hours'
            and x_LineItemType is distinct from 'SavingsPlanNegation'
            then ConsumedQuantity * accelerator_gpus
    end                                                                    as x_GpuHours,
    case
        when workload_type in ('tax', 'support') then workload_type
        when workload_type = 'data_transfer' and team_tag is null then 'untagged_networking'
    end                                                                    as x_SharedCostKind
from named

