/* What each charge paid for and who owns it: workload type and name, tuning job, team, project, */
/* accelerator hours. Rules in order: tax, support, commitment fees and credits by charge kind; ML */
/* services by resource kind, then usage type (AWS) or SKU (Google Cloud); NAT gateways and load */
/* balancers; data transfer; storage; workload tags (attribution.workloads); then what the untagged */
/* rest is (GPU compute, CPU compute, monitoring); else 'other'. A resource's Name tag (Google */
/* Cloud: its `name` label) names it when it has one. */
WITH charges AS (
  SELECT
    *
  FROM int_charges
), tag_keys AS (
  SELECT
    TRANSFORM(
      ARRAY_SORT(
        COLLECT_LIST(STRUCT(priority AS k, tag_key AS v)) FILTER(WHERE
          dimension = 'team')
      ),
      s -> s.v
    ) AS team_keys,
    TRANSFORM(
      ARRAY_SORT(
        COLLECT_LIST(STRUCT(priority AS k, tag_key AS v)) FILTER(WHERE
          dimension = 'project')
      ),
      s -> s.v
    ) AS project_keys
  FROM attribution_tag_keys
), workload_keys AS (
  SELECT
    TRANSFORM(
      ARRAY_SORT(
        COLLECT_LIST(STRUCT(priority AS k, tag_key AS v)) FILTER(WHERE
          workload_type = 'training')
      ),
      s -> s.v
    ) AS training_keys,
    TRANSFORM(
      ARRAY_SORT(
        COLLECT_LIST(STRUCT(priority AS k, tag_key AS v)) FILTER(WHERE
          workload_type = 'inference')
      ),
      s -> s.v
    ) AS inference_keys,
    TRANSFORM(
      ARRAY_SORT(
        COLLECT_LIST(STRUCT(priority AS k, tag_key AS v)) FILTER(WHERE
          workload_type = 'notebook')
      ),
      s -> s.v
    ) AS notebook_keys,
    TRANSFORM(
      ARRAY_SORT(
        COLLECT_LIST(STRUCT(priority AS k, tag_key AS v)) FILTER(WHERE
          workload_type = 'batch')
      ),
      s -> s.v
    ) AS batch_keys
  FROM attribution_workload_keys
), accelerators AS (
  SELECT
    instance_type,
    gpu_model,
    gpus
  FROM gpu_instance_types
  UNION ALL
  /* SageMaker ml.<type> runs on the EC2 <type> */
  SELECT
    'ml.' || instance_type,
    gpu_model,
    gpus
  FROM gpu_instance_types
  WHERE
    provider = 'AWS'
), tag_sets AS (
  /* a bill has millions of rows but few distinct tag sets: resolve each set once */
  SELECT
    tag_set,
    GET(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(Tags),
            e -> STRUCT(ARRAY_POSITION(team_keys, LOWER(e.key)) AS p, TRIM(e.value) AS v)
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      0
    ).v AS team_tag,
    GET(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(Tags),
            e -> STRUCT(ARRAY_POSITION(project_keys, LOWER(e.key)) AS p, TRIM(e.value) AS v)
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      0
    ).v AS project_tag,
    GET(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(Tags),
            e -> STRUCT(ARRAY_POSITION(training_keys, LOWER(e.key)) AS p, TRIM(e.value) AS v)
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      0
    ).v AS training_tag,
    GET(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(Tags),
            e -> STRUCT(ARRAY_POSITION(inference_keys, LOWER(e.key)) AS p, TRIM(e.value) AS v)
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      0
    ).v AS inference_tag,
    GET(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(Tags),
            e -> STRUCT(ARRAY_POSITION(notebook_keys, LOWER(e.key)) AS p, TRIM(e.value) AS v)
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      0
    ).v AS notebook_tag,
    GET(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(Tags),
            e -> STRUCT(ARRAY_POSITION(batch_keys, LOWER(e.key)) AS p, TRIM(e.value) AS v)
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      0
    ).v AS batch_tag,
    GET(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(Tags),
            e -> STRUCT(ARRAY_POSITION(ARRAY('name'), LOWER(e.key)) AS p, TRIM(e.value) AS v)
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      0
    ).v AS name_tag /* AWS's user:Name tag (the console's name column) and Google Cloud's `name` label */
  /* read from int_charges, not the charges CTE: a second reference would make the engine */
  /* materialise every column of every charge just to find the tag sets */
  /* tag_set (sql/macros.sql): a key every engine can group and join on (Spark cannot a MAP itself); */
  /* the maps of one tag set hold the same tags, so any_value picks among equals: no label choice */
  FROM (
    SELECT
      ARRAY_SORT(MAP_ENTRIES(Tags)) AS tag_set,
      ANY_VALUE(Tags) IGNORE NULLS AS Tags
    FROM int_charges
    WHERE
      NOT Tags IS NULL
    GROUP BY
      1
  ) AS distinct_tags
  CROSS JOIN tag_keys
  CROSS JOIN workload_keys
), tagged AS (
  SELECT
    charges.*,
    tag_sets.team_tag,
    tag_sets.project_tag,
    tag_sets.training_tag,
    tag_sets.inference_tag,
    tag_sets.notebook_tag,
    tag_sets.batch_tag,
    tag_sets.name_tag,
    accelerators.gpu_model AS accelerator_model,
    accelerators.gpus AS accelerator_gpus,
    COALESCE(ResourceType, '') AS resource_kind,
    COALESCE(x_UsageType, '') AS usage_type,
    COALESCE(SkuMeter, '') AS sku /* Google Cloud names what a charge is in its SKU description (AWS: the usage type again) */
  FROM charges
  LEFT JOIN tag_sets
    ON ARRAY_SORT(MAP_ENTRIES(charges.Tags)) = tag_sets.tag_set
  LEFT JOIN accelerators
    ON charges.x_InstanceType = accelerators.instance_type
), classified AS (
  SELECT
    tagged.*,
    CASE
      WHEN ChargeCategory = 'Tax'
      THEN 'tax'
      WHEN x_ProductCode LIKE 'AWSSupport%'
      OR x_ProductCode LIKE 'AWSDeveloperSupport%'
      OR ServiceName LIKE '%Support%'
      THEN 'support'
      WHEN ChargeCategory = 'Purchase' OR x_RowKind = 'unused_commitment'
      THEN 'commitment_fees'
      WHEN ChargeCategory <> 'Usage' OR x_RowKind <> 'line_item'
      THEN 'other'
      WHEN ServiceCategory = 'AI and Machine Learning'
      THEN CASE
        WHEN resource_kind IN ('training-job', 'hyper-parameter-tuning-job', 'cluster')
        OR usage_type LIKE '%Train%'
        OR usage_type LIKE '%TrSpt%'
        OR usage_type LIKE '%Cluster%'
        OR sku LIKE '%Training%'
        THEN 'training'
        WHEN resource_kind IN ('endpoint', 'inference-component')
        OR usage_type LIKE '%Host%'
        OR usage_type LIKE '%AsyncInf%'
        OR usage_type LIKE '%Data-Bytes%'
        OR sku LIKE '%Prediction%'
        THEN 'inference'
        WHEN resource_kind IN ('notebook-instance', 'app', 'space')
        OR usage_type LIKE '%Notebk%'
        OR usage_type LIKE '%Studio%'
        OR usage_type LIKE '%Canvas%'
        OR sku LIKE '%Workbench%'
        OR sku LIKE '%Notebook%'
        OR sku LIKE '%Colab%'
        THEN 'notebook'
        WHEN resource_kind IN ('processing-job', 'transform-job', 'pipeline-execution')
        OR usage_type LIKE '%Processing%'
        OR usage_type LIKE '%Tsform%'
        OR sku LIKE '%Pipelines%'
        THEN 'batch'
        WHEN resource_kind = 'labeling-job'
        OR usage_type LIKE '%Labeling%'
        OR usage_type LIKE '%GroundTruth%'
        OR sku LIKE '%Labeling%'
        THEN 'labeling'
        WHEN usage_type LIKE '%VolumeUsage%'
        THEN 'storage'
        WHEN NOT training_tag IS NULL
        THEN 'training'
        WHEN NOT inference_tag IS NULL
        THEN 'inference'
        ELSE 'other'
      END
      WHEN usage_type LIKE '%NatGateway%'
      OR sku LIKE '%Cloud NAT%'
      OR sku LIKE '%NAT Gateway%'
      THEN 'nat_gateway'
      WHEN usage_type LIKE '%LoadBalancerUsage%'
      OR usage_type LIKE '%LCUUsage%'
      OR ServiceName = 'Elastic Load Balancing'
      OR sku LIKE '%Load Balanc%'
      OR sku LIKE '%Forwarding Rule%'
      THEN 'load_balancer'
      WHEN usage_type LIKE '%DataTransfer%'
      OR usage_type LIKE '%-Out-Bytes%'
      OR usage_type LIKE '%-In-Bytes%'
      OR ServiceName = 'AWS Data Transfer'
      OR sku LIKE '%Egress%'
      OR sku LIKE '%Internet Data Transfer%'
      OR sku LIKE '%Inter-region%'
      OR sku LIKE '%Inter Region%'
      THEN 'data_transfer'
      WHEN ServiceCategory = 'Storage'
      OR usage_type LIKE '%EBS:%'
      OR usage_type LIKE '%VolumeUsage%'
      OR usage_type LIKE '%SnapshotUsage%'
      OR sku LIKE '%PD Capacity%'
      OR sku LIKE '%Persistent Disk%'
      OR sku LIKE '%Snapshot Storage%'
      THEN 'storage'
      WHEN NOT training_tag IS NULL
      THEN 'training'
      WHEN NOT inference_tag IS NULL
      THEN 'inference'
      WHEN NOT notebook_tag IS NULL
      THEN 'notebook'
      WHEN NOT batch_tag IS NULL
      THEN 'batch'
      WHEN NOT accelerator_gpus IS NULL
      OR (
        ProviderName = 'Google Cloud' AND sku LIKE '%GPU%'
      )
      THEN 'gpu_compute'
      WHEN ServiceCategory = 'Compute'
      THEN 'cpu_compute'
      WHEN ServiceCategory = 'Management and Governance'
      THEN 'monitoring'
      ELSE 'other'
    END AS workload_type
  FROM tagged
), named AS (
  SELECT
    classified.*,
    CASE
      WHEN workload_type = 'support'
      THEN ServiceName
      WHEN ChargeCategory <> 'Usage'
      THEN COALESCE(CommitmentDiscountName, ChargeCategory)
      WHEN x_RowKind = 'unused_commitment'
      THEN COALESCE(CommitmentDiscountName, 'unused commitment')
      WHEN ServiceCategory = 'AI and Machine Learning' AND ResourceId LIKE 'arn:%'
      THEN ResourceName
      WHEN workload_type = 'training'
      THEN COALESCE(training_tag, name_tag, ResourceName, ResourceId, ServiceName)
      WHEN workload_type = 'inference'
      THEN COALESCE(inference_tag, name_tag, ResourceName, ResourceId, ServiceName)
      WHEN workload_type = 'notebook'
      THEN COALESCE(notebook_tag, name_tag, ResourceName, ResourceId, ServiceName)
      WHEN workload_type = 'batch'
      THEN COALESCE(batch_tag, name_tag, ResourceName, ResourceId, ServiceName)
      ELSE COALESCE(name_tag, ResourceName, ResourceId, ServiceName)
    END AS workload_name,
    CASE
      WHEN ProviderName = 'Google Cloud' AND sku LIKE '%GPU%'
      THEN NULLIF(REGEXP_EXTRACT(sku, '(H200|H100|A100|L40S|L4|A10G|T4|V100|P100|P4|K80)'), '')
    END AS sku_gpu_model
  FROM classified
)
SELECT
  named.*
  EXCEPT (team_tag, project_tag, training_tag, inference_tag, notebook_tag, batch_tag, name_tag, accelerator_model, accelerator_gpus, resource_kind, usage_type, sku, workload_type, workload_name, sku_gpu_model),
  workload_type AS x_WorkloadType,
  workload_name AS x_WorkloadName,
  CASE
    WHEN workload_type = 'training'
    THEN NULLIF(REGEXP_EXTRACT(workload_name, '^(.+)-[0-9]{3}-[0-9a-f]{8}$'), '')
  END AS x_TuningJob,
  COALESCE(LOWER(team_tag), 'unallocated') AS x_Team,
  COALESCE(LOWER(project_tag), 'unallocated') AS x_Project,
  COALESCE(accelerator_model, sku_gpu_model) AS x_GpuModel,
  CASE
    WHEN NOT sku_gpu_model IS NULL
    AND ChargeCategory = 'Usage'
    AND x_RowKind = 'line_item'
    AND PricingUnit = 'Hours'
    THEN PricingQuantity
    WHEN ProviderName <> 'Google Cloud'
    AND NOT accelerator_gpus IS NULL
    AND ConsumedUnit = 'Hours'
    AND x_LineItemType IS DISTINCT FROM 'SavingsPlanNegation'
    THEN ConsumedQuantity * accelerator_gpus
  END AS x_GpuHours,
  CASE
    WHEN workload_type IN ('tax', 'support')
    THEN workload_type
    WHEN workload_type = 'data_transfer' AND team_tag IS NULL
    THEN 'untagged_networking'
  END AS x_SharedCostKind
FROM named
