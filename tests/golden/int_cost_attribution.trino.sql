/* What each charge paid for and who owns it: workload type and name, tuning job, team, project, */
/* accelerator hours. Rules in order: tax, support, commitment fees and credits by charge kind; ML */
/* services by resource kind, then usage type (AWS) or SKU (Google Cloud); NAT gateways and load */
/* balancers; data transfer; storage; workload tags (attribution.workloads); then what the untagged */
/* rest is (GPU compute, CPU compute, monitoring); else 'other'. A resource's Name tag (Google */
/* Cloud: its `name` label) names it when it has one. */
WITH charges AS (
  SELECT
    int_charges.availabilityzone AS availabilityzone,
    int_charges.billedcost AS billedcost,
    int_charges.billingaccountid AS billingaccountid,
    int_charges.billingaccountname AS billingaccountname,
    int_charges.billingaccounttype AS billingaccounttype,
    int_charges.billingcurrency AS billingcurrency,
    int_charges.billingperiodend AS billingperiodend,
    int_charges.billingperiodstart AS billingperiodstart,
    int_charges.capacityreservationid AS capacityreservationid,
    int_charges.capacityreservationstatus AS capacityreservationstatus,
    int_charges.chargecategory AS chargecategory,
    int_charges.chargeclass AS chargeclass,
    int_charges.chargedescription AS chargedescription,
    int_charges.chargefrequency AS chargefrequency,
    int_charges.chargeperiodend AS chargeperiodend,
    int_charges.chargeperiodstart AS chargeperiodstart,
    int_charges.commitmentdiscountcategory AS commitmentdiscountcategory,
    int_charges.commitmentdiscountid AS commitmentdiscountid,
    int_charges.commitmentdiscountname AS commitmentdiscountname,
    int_charges.commitmentdiscountquantity AS commitmentdiscountquantity,
    int_charges.commitmentdiscountstatus AS commitmentdiscountstatus,
    int_charges.commitmentdiscounttype AS commitmentdiscounttype,
    int_charges.commitmentdiscountunit AS commitmentdiscountunit,
    int_charges.consumedquantity AS consumedquantity,
    int_charges.consumedunit AS consumedunit,
    int_charges.contractedcost AS contractedcost,
    int_charges.contractedunitprice AS contractedunitprice,
    int_charges.effectivecost AS effectivecost,
    int_charges.invoiceid AS invoiceid,
    int_charges.invoiceissuername AS invoiceissuername,
    int_charges.listcost AS listcost,
    int_charges.listunitprice AS listunitprice,
    int_charges.pricingcategory AS pricingcategory,
    int_charges.pricingcurrency AS pricingcurrency,
    int_charges.pricingcurrencycontractedunitprice AS pricingcurrencycontractedunitprice,
    int_charges.pricingcurrencyeffectivecost AS pricingcurrencyeffectivecost,
    int_charges.pricingcurrencylistunitprice AS pricingcurrencylistunitprice,
    int_charges.pricingquantity AS pricingquantity,
    int_charges.pricingunit AS pricingunit,
    int_charges.providername AS providername,
    int_charges.publishername AS publishername,
    int_charges.regionid AS regionid,
    int_charges.regionname AS regionname,
    int_charges.resourceid AS resourceid,
    int_charges.resourcename AS resourcename,
    int_charges.resourcetype AS resourcetype,
    int_charges.servicecategory AS servicecategory,
    int_charges.servicename AS servicename,
    int_charges.servicesubcategory AS servicesubcategory,
    int_charges.skuid AS skuid,
    int_charges.skumeter AS skumeter,
    int_charges.skupricedetails AS skupricedetails,
    int_charges.skupriceid AS skupriceid,
    int_charges.subaccountid AS subaccountid,
    int_charges.subaccountname AS subaccountname,
    int_charges.subaccounttype AS subaccounttype,
    int_charges.tags AS tags,
    int_charges.serviceprovidername AS serviceprovidername,
    int_charges.hostprovidername AS hostprovidername,
    int_charges.x_rowkind AS x_rowkind,
    int_charges.x_lineitemid AS x_lineitemid,
    int_charges.x_lineitemtype AS x_lineitemtype,
    int_charges.x_productcode AS x_productcode,
    int_charges.x_usagetype AS x_usagetype,
    int_charges.x_operation AS x_operation,
    int_charges.x_instancetype AS x_instancetype,
    int_charges.x_purchaseoption AS x_purchaseoption,
    int_charges.x_ondemandequivalentcost AS x_ondemandequivalentcost,
    int_charges.x_costcategories AS x_costcategories,
    int_charges.x_invoicingentity AS x_invoicingentity,
    int_charges.x_pricingunit AS x_pricingunit,
    int_charges.x_extracolumns AS x_extracolumns,
    int_charges.x_projectlabels AS x_projectlabels,
    int_charges.x_systemlabels AS x_systemlabels,
    int_charges.x_currencyconversionrate AS x_currencyconversionrate,
    int_charges.x_loadid AS x_loadid
  FROM int_charges AS int_charges
), tag_keys AS (
  SELECT
    ARRAY_AGG(tag_key ORDER BY priority) FILTER(WHERE
      dimension = 'team') AS team_keys,
    ARRAY_AGG(tag_key ORDER BY priority) FILTER(WHERE
      dimension = 'project') AS project_keys
  FROM attribution_tag_keys AS attribution_tag_keys
), workload_keys AS (
  SELECT
    ARRAY_AGG(tag_key ORDER BY priority) FILTER(WHERE
      workload_type = 'training') AS training_keys,
    ARRAY_AGG(tag_key ORDER BY priority) FILTER(WHERE
      workload_type = 'inference') AS inference_keys,
    ARRAY_AGG(tag_key ORDER BY priority) FILTER(WHERE
      workload_type = 'notebook') AS notebook_keys,
    ARRAY_AGG(tag_key ORDER BY priority) FILTER(WHERE
      workload_type = 'batch') AS batch_keys
  FROM attribution_workload_keys AS attribution_workload_keys
), accelerators AS (
  SELECT
    gpu_instance_types.instance_type AS instance_type,
    gpu_instance_types.gpu_model AS gpu_model,
    gpu_instance_types.gpus AS gpus
  FROM gpu_instance_types AS gpu_instance_types
  UNION ALL
  /* SageMaker ml.<type> runs on the EC2 <type> */
  SELECT
    CONCAT(CAST('ml.' AS VARCHAR), CAST(gpu_instance_types.instance_type AS VARCHAR)) AS _col_0,
    gpu_instance_types.gpu_model AS gpu_model,
    gpu_instance_types.gpus AS gpus
  FROM gpu_instance_types AS gpu_instance_types
  WHERE
    gpu_instance_types.provider = 'AWS'
), tag_sets AS (
  /* a bill has millions of rows but few distinct tag sets: resolve each set once */
  SELECT
    distinct_tags.tag_set AS tag_set,
    ELEMENT_AT(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(distinct_tags.tags),
            e -> CAST(ROW(ARRAY_POSITION(tag_keys.team_keys, LOWER(e[1])), TRIM(e[2])) AS ROW(p BIGINT, v VARCHAR))
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      1
    ).v AS team_tag,
    ELEMENT_AT(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(distinct_tags.tags),
            e -> CAST(ROW(ARRAY_POSITION(tag_keys.project_keys, LOWER(e[1])), TRIM(e[2])) AS ROW(p BIGINT, v VARCHAR))
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      1
    ).v AS project_tag,
    ELEMENT_AT(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(distinct_tags.tags),
            e -> CAST(ROW(ARRAY_POSITION(workload_keys.training_keys, LOWER(e[1])), TRIM(e[2])) AS ROW(p BIGINT, v VARCHAR))
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      1
    ).v AS training_tag,
    ELEMENT_AT(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(distinct_tags.tags),
            e -> CAST(ROW(ARRAY_POSITION(workload_keys.inference_keys, LOWER(e[1])), TRIM(e[2])) AS ROW(p BIGINT, v VARCHAR))
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      1
    ).v AS inference_tag,
    ELEMENT_AT(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(distinct_tags.tags),
            e -> CAST(ROW(ARRAY_POSITION(workload_keys.notebook_keys, LOWER(e[1])), TRIM(e[2])) AS ROW(p BIGINT, v VARCHAR))
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      1
    ).v AS notebook_tag,
    ELEMENT_AT(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(distinct_tags.tags),
            e -> CAST(ROW(ARRAY_POSITION(workload_keys.batch_keys, LOWER(e[1])), TRIM(e[2])) AS ROW(p BIGINT, v VARCHAR))
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      1
    ).v AS batch_tag,
    ELEMENT_AT(
      ARRAY_SORT(
        FILTER(
          TRANSFORM(
            MAP_ENTRIES(distinct_tags.tags),
            e -> CAST(ROW(ARRAY_POSITION(ARRAY['name'], LOWER(e[1])), TRIM(e[2])) AS ROW(p BIGINT, v VARCHAR))
          ),
          x -> x.p > 0 AND x.v <> ''
        )
      ),
      1
    ).v AS name_tag /* AWS's user:Name tag (the console's name column) and Google Cloud's `name` label */
  /* read from int_charges, not the charges CTE: a second reference would make the engine */
  /* materialise every column of every charge just to find the tag sets */
  /* tag_set (sql/macros.sql): a key every engine can group and join on (Spark cannot a MAP itself); */
  /* the maps of one tag set hold the same tags, so any_value picks among equals: no label choice */
  FROM (
    SELECT
      ARRAY_SORT(MAP_ENTRIES(int_charges.tags)) AS tag_set,
      ARBITRARY(int_charges.tags) AS tags
    FROM int_charges AS int_charges
    WHERE
      NOT int_charges.tags IS NULL
    GROUP BY
      ARRAY_SORT(MAP_ENTRIES(int_charges.tags))
  ) AS distinct_tags
  CROSS JOIN tag_keys AS tag_keys
  CROSS JOIN workload_keys AS workload_keys
), tagged AS (
  SELECT
    charges.availabilityzone AS availabilityzone,
    charges.billedcost AS billedcost,
    charges.billingaccountid AS billingaccountid,
    charges.billingaccountname AS billingaccountname,
    charges.billingaccounttype AS billingaccounttype,
    charges.billingcurrency AS billingcurrency,
    charges.billingperiodend AS billingperiodend,
    charges.billingperiodstart AS billingperiodstart,
    charges.capacityreservationid AS capacityreservationid,
    charges.capacityreservationstatus AS capacityreservationstatus,
    charges.chargecategory AS chargecategory,
    charges.chargeclass AS chargeclass,
    charges.chargedescription AS chargedescription,
    charges.chargefrequency AS chargefrequency,
    charges.chargeperiodend AS chargeperiodend,
    charges.chargeperiodstart AS chargeperiodstart,
    charges.commitmentdiscountcategory AS commitmentdiscountcategory,
    charges.commitmentdiscountid AS commitmentdiscountid,
    charges.commitmentdiscountname AS commitmentdiscountname,
    charges.commitmentdiscountquantity AS commitmentdiscountquantity,
    charges.commitmentdiscountstatus AS commitmentdiscountstatus,
    charges.commitmentdiscounttype AS commitmentdiscounttype,
    charges.commitmentdiscountunit AS commitmentdiscountunit,
    charges.consumedquantity AS consumedquantity,
    charges.consumedunit AS consumedunit,
    charges.contractedcost AS contractedcost,
    charges.contractedunitprice AS contractedunitprice,
    charges.effectivecost AS effectivecost,
    charges.invoiceid AS invoiceid,
    charges.invoiceissuername AS invoiceissuername,
    charges.listcost AS listcost,
    charges.listunitprice AS listunitprice,
    charges.pricingcategory AS pricingcategory,
    charges.pricingcurrency AS pricingcurrency,
    charges.pricingcurrencycontractedunitprice AS pricingcurrencycontractedunitprice,
    charges.pricingcurrencyeffectivecost AS pricingcurrencyeffectivecost,
    charges.pricingcurrencylistunitprice AS pricingcurrencylistunitprice,
    charges.pricingquantity AS pricingquantity,
    charges.pricingunit AS pricingunit,
    charges.providername AS providername,
    charges.publishername AS publishername,
    charges.regionid AS regionid,
    charges.regionname AS regionname,
    charges.resourceid AS resourceid,
    charges.resourcename AS resourcename,
    charges.resourcetype AS resourcetype,
    charges.servicecategory AS servicecategory,
    charges.servicename AS servicename,
    charges.servicesubcategory AS servicesubcategory,
    charges.skuid AS skuid,
    charges.skumeter AS skumeter,
    charges.skupricedetails AS skupricedetails,
    charges.skupriceid AS skupriceid,
    charges.subaccountid AS subaccountid,
    charges.subaccountname AS subaccountname,
    charges.subaccounttype AS subaccounttype,
    charges.tags AS tags,
    charges.serviceprovidername AS serviceprovidername,
    charges.hostprovidername AS hostprovidername,
    charges.x_rowkind AS x_rowkind,
    charges.x_lineitemid AS x_lineitemid,
    charges.x_lineitemtype AS x_lineitemtype,
    charges.x_productcode AS x_productcode,
    charges.x_usagetype AS x_usagetype,
    charges.x_operation AS x_operation,
    charges.x_instancetype AS x_instancetype,
    charges.x_purchaseoption AS x_purchaseoption,
    charges.x_ondemandequivalentcost AS x_ondemandequivalentcost,
    charges.x_costcategories AS x_costcategories,
    charges.x_invoicingentity AS x_invoicingentity,
    charges.x_pricingunit AS x_pricingunit,
    charges.x_extracolumns AS x_extracolumns,
    charges.x_projectlabels AS x_projectlabels,
    charges.x_systemlabels AS x_systemlabels,
    charges.x_currencyconversionrate AS x_currencyconversionrate,
    charges.x_loadid AS x_loadid,
    tag_sets.team_tag AS team_tag,
    tag_sets.project_tag AS project_tag,
    tag_sets.training_tag AS training_tag,
    tag_sets.inference_tag AS inference_tag,
    tag_sets.notebook_tag AS notebook_tag,
    tag_sets.batch_tag AS batch_tag,
    tag_sets.name_tag AS name_tag,
    accelerators.gpu_model AS accelerator_model,
    accelerators.gpus AS accelerator_gpus,
    COALESCE(charges.resourcetype, '') AS resource_kind,
    COALESCE(charges.x_usagetype, '') AS usage_type,
    COALESCE(charges.skumeter, '') AS sku /* Google Cloud names what a charge is in its SKU description (AWS: the usage type again) */
  FROM charges AS charges
  LEFT JOIN tag_sets AS tag_sets
    ON ARRAY_SORT(MAP_ENTRIES(charges.tags)) = tag_sets.tag_set
  LEFT JOIN accelerators AS accelerators
    ON charges.x_instancetype = accelerators.instance_type
), classified AS (
  SELECT
    tagged.availabilityzone AS availabilityzone,
    tagged.billedcost AS billedcost,
    tagged.billingaccountid AS billingaccountid,
    tagged.billingaccountname AS billingaccountname,
    tagged.billingaccounttype AS billingaccounttype,
    tagged.billingcurrency AS billingcurrency,
    tagged.billingperiodend AS billingperiodend,
    tagged.billingperiodstart AS billingperiodstart,
    tagged.capacityreservationid AS capacityreservationid,
    tagged.capacityreservationstatus AS capacityreservationstatus,
    tagged.chargecategory AS chargecategory,
    tagged.chargeclass AS chargeclass,
    tagged.chargedescription AS chargedescription,
    tagged.chargefrequency AS chargefrequency,
    tagged.chargeperiodend AS chargeperiodend,
    tagged.chargeperiodstart AS chargeperiodstart,
    tagged.commitmentdiscountcategory AS commitmentdiscountcategory,
    tagged.commitmentdiscountid AS commitmentdiscountid,
    tagged.commitmentdiscountname AS commitmentdiscountname,
    tagged.commitmentdiscountquantity AS commitmentdiscountquantity,
    tagged.commitmentdiscountstatus AS commitmentdiscountstatus,
    tagged.commitmentdiscounttype AS commitmentdiscounttype,
    tagged.commitmentdiscountunit AS commitmentdiscountunit,
    tagged.consumedquantity AS consumedquantity,
    tagged.consumedunit AS consumedunit,
    tagged.contractedcost AS contractedcost,
    tagged.contractedunitprice AS contractedunitprice,
    tagged.effectivecost AS effectivecost,
    tagged.invoiceid AS invoiceid,
    tagged.invoiceissuername AS invoiceissuername,
    tagged.listcost AS listcost,
    tagged.listunitprice AS listunitprice,
    tagged.pricingcategory AS pricingcategory,
    tagged.pricingcurrency AS pricingcurrency,
    tagged.pricingcurrencycontractedunitprice AS pricingcurrencycontractedunitprice,
    tagged.pricingcurrencyeffectivecost AS pricingcurrencyeffectivecost,
    tagged.pricingcurrencylistunitprice AS pricingcurrencylistunitprice,
    tagged.pricingquantity AS pricingquantity,
    tagged.pricingunit AS pricingunit,
    tagged.providername AS providername,
    tagged.publishername AS publishername,
    tagged.regionid AS regionid,
    tagged.regionname AS regionname,
    tagged.resourceid AS resourceid,
    tagged.resourcename AS resourcename,
    tagged.resourcetype AS resourcetype,
    tagged.servicecategory AS servicecategory,
    tagged.servicename AS servicename,
    tagged.servicesubcategory AS servicesubcategory,
    tagged.skuid AS skuid,
    tagged.skumeter AS skumeter,
    tagged.skupricedetails AS skupricedetails,
    tagged.skupriceid AS skupriceid,
    tagged.subaccountid AS subaccountid,
    tagged.subaccountname AS subaccountname,
    tagged.subaccounttype AS subaccounttype,
    tagged.tags AS tags,
    tagged.serviceprovidername AS serviceprovidername,
    tagged.hostprovidername AS hostprovidername,
    tagged.x_rowkind AS x_rowkind,
    tagged.x_lineitemid AS x_lineitemid,
    tagged.x_lineitemtype AS x_lineitemtype,
    tagged.x_productcode AS x_productcode,
    tagged.x_usagetype AS x_usagetype,
    tagged.x_operation AS x_operation,
    tagged.x_instancetype AS x_instancetype,
    tagged.x_purchaseoption AS x_purchaseoption,
    tagged.x_ondemandequivalentcost AS x_ondemandequivalentcost,
    tagged.x_costcategories AS x_costcategories,
    tagged.x_invoicingentity AS x_invoicingentity,
    tagged.x_pricingunit AS x_pricingunit,
    tagged.x_extracolumns AS x_extracolumns,
    tagged.x_projectlabels AS x_projectlabels,
    tagged.x_systemlabels AS x_systemlabels,
    tagged.x_currencyconversionrate AS x_currencyconversionrate,
    tagged.x_loadid AS x_loadid,
    tagged.team_tag AS team_tag,
    tagged.project_tag AS project_tag,
    tagged.training_tag AS training_tag,
    tagged.inference_tag AS inference_tag,
    tagged.notebook_tag AS notebook_tag,
    tagged.batch_tag AS batch_tag,
    tagged.name_tag AS name_tag,
    tagged.accelerator_model AS accelerator_model,
    tagged.accelerator_gpus AS accelerator_gpus,
    tagged.resource_kind AS resource_kind,
    tagged.usage_type AS usage_type,
    tagged.sku AS sku,
    CASE
      WHEN tagged.chargecategory = 'Tax'
      THEN 'tax'
      WHEN tagged.x_productcode LIKE 'AWSSupport%'
      OR tagged.x_productcode LIKE 'AWSDeveloperSupport%'
      OR tagged.servicename LIKE '%Support%'
      THEN 'support'
      WHEN tagged.chargecategory = 'Purchase' OR tagged.x_rowkind = 'unused_commitment'
      THEN 'commitment_fees'
      WHEN tagged.chargecategory <> 'Usage' OR tagged.x_rowkind <> 'line_item'
      THEN 'other'
      WHEN tagged.servicecategory = 'AI and Machine Learning'
      THEN CASE
        WHEN tagged.resource_kind IN ('training-job', 'hyper-parameter-tuning-job', 'cluster')
        OR tagged.usage_type LIKE '%Train%'
        OR tagged.usage_type LIKE '%TrSpt%'
        OR tagged.usage_type LIKE '%Cluster%'
        OR tagged.sku LIKE '%Training%'
        THEN 'training'
        WHEN tagged.resource_kind IN ('endpoint', 'inference-component')
        OR tagged.usage_type LIKE '%Host%'
        OR tagged.usage_type LIKE '%AsyncInf%'
        OR tagged.usage_type LIKE '%Data-Bytes%'
        OR tagged.sku LIKE '%Prediction%'
        THEN 'inference'
        WHEN tagged.resource_kind IN ('notebook-instance', 'app', 'space')
        OR tagged.usage_type LIKE '%Notebk%'
        OR tagged.usage_type LIKE '%Studio%'
        OR tagged.usage_type LIKE '%Canvas%'
        OR tagged.sku LIKE '%Workbench%'
        OR tagged.sku LIKE '%Notebook%'
        OR tagged.sku LIKE '%Colab%'
        THEN 'notebook'
        WHEN tagged.resource_kind IN ('processing-job', 'transform-job', 'pipeline-execution')
        OR tagged.usage_type LIKE '%Processing%'
        OR tagged.usage_type LIKE '%Tsform%'
        OR tagged.sku LIKE '%Pipelines%'
        THEN 'batch'
        WHEN tagged.resource_kind = 'labeling-job'
        OR tagged.usage_type LIKE '%Labeling%'
        OR tagged.usage_type LIKE '%GroundTruth%'
        OR tagged.sku LIKE '%Labeling%'
        THEN 'labeling'
        WHEN tagged.usage_type LIKE '%VolumeUsage%'
        THEN 'storage'
        WHEN NOT tagged.training_tag IS NULL
        THEN 'training'
        WHEN NOT tagged.inference_tag IS NULL
        THEN 'inference'
        ELSE 'other'
      END
      WHEN tagged.usage_type LIKE '%NatGateway%'
      OR tagged.sku LIKE '%Cloud NAT%'
      OR tagged.sku LIKE '%NAT Gateway%'
      THEN 'nat_gateway'
      WHEN tagged.usage_type LIKE '%LoadBalancerUsage%'
      OR tagged.usage_type LIKE '%LCUUsage%'
      OR tagged.servicename = 'Elastic Load Balancing'
      OR tagged.sku LIKE '%Load Balanc%'
      OR tagged.sku LIKE '%Forwarding Rule%'
      THEN 'load_balancer'
      WHEN tagged.usage_type LIKE '%DataTransfer%'
      OR tagged.usage_type LIKE '%-Out-Bytes%'
      OR tagged.usage_type LIKE '%-In-Bytes%'
      OR tagged.servicename = 'AWS Data Transfer'
      OR tagged.sku LIKE '%Egress%'
      OR tagged.sku LIKE '%Internet Data Transfer%'
      OR tagged.sku LIKE '%Inter-region%'
      OR tagged.sku LIKE '%Inter Region%'
      THEN 'data_transfer'
      WHEN tagged.servicecategory = 'Storage'
      OR tagged.usage_type LIKE '%EBS:%'
      OR tagged.usage_type LIKE '%VolumeUsage%'
      OR tagged.usage_type LIKE '%SnapshotUsage%'
      OR tagged.sku LIKE '%PD Capacity%'
      OR tagged.sku LIKE '%Persistent Disk%'
      OR tagged.sku LIKE '%Snapshot Storage%'
      THEN 'storage'
      WHEN NOT tagged.training_tag IS NULL
      THEN 'training'
      WHEN NOT tagged.inference_tag IS NULL
      THEN 'inference'
      WHEN NOT tagged.notebook_tag IS NULL
      THEN 'notebook'
      WHEN NOT tagged.batch_tag IS NULL
      THEN 'batch'
      WHEN NOT tagged.accelerator_gpus IS NULL
      OR (
        tagged.providername = 'Google Cloud' AND tagged.sku LIKE '%GPU%'
      )
      THEN 'gpu_compute'
      WHEN tagged.servicecategory = 'Compute'
      THEN 'cpu_compute'
      WHEN tagged.servicecategory = 'Management and Governance'
      THEN 'monitoring'
      ELSE 'other'
    END AS workload_type
  FROM tagged AS tagged
), named AS (
  SELECT
    classified.availabilityzone AS availabilityzone,
    classified.billedcost AS billedcost,
    classified.billingaccountid AS billingaccountid,
    classified.billingaccountname AS billingaccountname,
    classified.billingaccounttype AS billingaccounttype,
    classified.billingcurrency AS billingcurrency,
    classified.billingperiodend AS billingperiodend,
    classified.billingperiodstart AS billingperiodstart,
    classified.capacityreservationid AS capacityreservationid,
    classified.capacityreservationstatus AS capacityreservationstatus,
    classified.chargecategory AS chargecategory,
    classified.chargeclass AS chargeclass,
    classified.chargedescription AS chargedescription,
    classified.chargefrequency AS chargefrequency,
    classified.chargeperiodend AS chargeperiodend,
    classified.chargeperiodstart AS chargeperiodstart,
    classified.commitmentdiscountcategory AS commitmentdiscountcategory,
    classified.commitmentdiscountid AS commitmentdiscountid,
    classified.commitmentdiscountname AS commitmentdiscountname,
    classified.commitmentdiscountquantity AS commitmentdiscountquantity,
    classified.commitmentdiscountstatus AS commitmentdiscountstatus,
    classified.commitmentdiscounttype AS commitmentdiscounttype,
    classified.commitmentdiscountunit AS commitmentdiscountunit,
    classified.consumedquantity AS consumedquantity,
    classified.consumedunit AS consumedunit,
    classified.contractedcost AS contractedcost,
    classified.contractedunitprice AS contractedunitprice,
    classified.effectivecost AS effectivecost,
    classified.invoiceid AS invoiceid,
    classified.invoiceissuername AS invoiceissuername,
    classified.listcost AS listcost,
    classified.listunitprice AS listunitprice,
    classified.pricingcategory AS pricingcategory,
    classified.pricingcurrency AS pricingcurrency,
    classified.pricingcurrencycontractedunitprice AS pricingcurrencycontractedunitprice,
    classified.pricingcurrencyeffectivecost AS pricingcurrencyeffectivecost,
    classified.pricingcurrencylistunitprice AS pricingcurrencylistunitprice,
    classified.pricingquantity AS pricingquantity,
    classified.pricingunit AS pricingunit,
    classified.providername AS providername,
    classified.publishername AS publishername,
    classified.regionid AS regionid,
    classified.regionname AS regionname,
    classified.resourceid AS resourceid,
    classified.resourcename AS resourcename,
    classified.resourcetype AS resourcetype,
    classified.servicecategory AS servicecategory,
    classified.servicename AS servicename,
    classified.servicesubcategory AS servicesubcategory,
    classified.skuid AS skuid,
    classified.skumeter AS skumeter,
    classified.skupricedetails AS skupricedetails,
    classified.skupriceid AS skupriceid,
    classified.subaccountid AS subaccountid,
    classified.subaccountname AS subaccountname,
    classified.subaccounttype AS subaccounttype,
    classified.tags AS tags,
    classified.serviceprovidername AS serviceprovidername,
    classified.hostprovidername AS hostprovidername,
    classified.x_rowkind AS x_rowkind,
    classified.x_lineitemid AS x_lineitemid,
    classified.x_lineitemtype AS x_lineitemtype,
    classified.x_productcode AS x_productcode,
    classified.x_usagetype AS x_usagetype,
    classified.x_operation AS x_operation,
    classified.x_instancetype AS x_instancetype,
    classified.x_purchaseoption AS x_purchaseoption,
    classified.x_ondemandequivalentcost AS x_ondemandequivalentcost,
    classified.x_costcategories AS x_costcategories,
    classified.x_invoicingentity AS x_invoicingentity,
    classified.x_pricingunit AS x_pricingunit,
    classified.x_extracolumns AS x_extracolumns,
    classified.x_projectlabels AS x_projectlabels,
    classified.x_systemlabels AS x_systemlabels,
    classified.x_currencyconversionrate AS x_currencyconversionrate,
    classified.x_loadid AS x_loadid,
    classified.team_tag AS team_tag,
    classified.project_tag AS project_tag,
    classified.training_tag AS training_tag,
    classified.inference_tag AS inference_tag,
    classified.notebook_tag AS notebook_tag,
    classified.batch_tag AS batch_tag,
    classified.name_tag AS name_tag,
    classified.accelerator_model AS accelerator_model,
    classified.accelerator_gpus AS accelerator_gpus,
    classified.resource_kind AS resource_kind,
    classified.usage_type AS usage_type,
    classified.sku AS sku,
    classified.workload_type AS workload_type,
    CASE
      WHEN classified.workload_type = 'support'
      THEN classified.servicename
      WHEN classified.chargecategory <> 'Usage'
      THEN COALESCE(classified.commitmentdiscountname, classified.chargecategory)
      WHEN classified.x_rowkind = 'unused_commitment'
      THEN COALESCE(classified.commitmentdiscountname, 'unused commitment')
      WHEN classified.servicecategory = 'AI and Machine Learning'
      AND classified.resourceid LIKE 'arn:%'
      THEN classified.resourcename
      WHEN classified.workload_type = 'training'
      THEN COALESCE(
        classified.training_tag,
        classified.name_tag,
        classified.resourcename,
        classified.resourceid,
        classified.servicename
      )
      WHEN classified.workload_type = 'inference'
      THEN COALESCE(
        classified.inference_tag,
        classified.name_tag,
        classified.resourcename,
        classified.resourceid,
        classified.servicename
      )
      WHEN classified.workload_type = 'notebook'
      THEN COALESCE(
        classified.notebook_tag,
        classified.name_tag,
        classified.resourcename,
        classified.resourceid,
        classified.servicename
      )
      WHEN classified.workload_type = 'batch'
      THEN COALESCE(
        classified.batch_tag,
        classified.name_tag,
        classified.resourcename,
        classified.resourceid,
        classified.servicename
      )
      ELSE COALESCE(
        classified.name_tag,
        classified.resourcename,
        classified.resourceid,
        classified.servicename
      )
    END AS workload_name,
    CASE
      WHEN classified.providername = 'Google Cloud' AND classified.sku LIKE '%GPU%'
      THEN NULLIF(
        REGEXP_EXTRACT(classified.sku, '(H200|H100|A100|L40S|L4|A10G|T4|V100|P100|P4|K80)', 1),
        ''
      )
    END AS sku_gpu_model
  FROM classified AS classified
)
SELECT
  named.availabilityzone AS availabilityzone,
  named.billedcost AS billedcost,
  named.billingaccountid AS billingaccountid,
  named.billingaccountname AS billingaccountname,
  named.billingaccounttype AS billingaccounttype,
  named.billingcurrency AS billingcurrency,
  named.billingperiodend AS billingperiodend,
  named.billingperiodstart AS billingperiodstart,
  named.capacityreservationid AS capacityreservationid,
  named.capacityreservationstatus AS capacityreservationstatus,
  named.chargecategory AS chargecategory,
  named.chargeclass AS chargeclass,
  named.chargedescription AS chargedescription,
  named.chargefrequency AS chargefrequency,
  named.chargeperiodend AS chargeperiodend,
  named.chargeperiodstart AS chargeperiodstart,
  named.commitmentdiscountcategory AS commitmentdiscountcategory,
  named.commitmentdiscountid AS commitmentdiscountid,
  named.commitmentdiscountname AS commitmentdiscountname,
  named.commitmentdiscountquantity AS commitmentdiscountquantity,
  named.commitmentdiscountstatus AS commitmentdiscountstatus,
  named.commitmentdiscounttype AS commitmentdiscounttype,
  named.commitmentdiscountunit AS commitmentdiscountunit,
  named.consumedquantity AS consumedquantity,
  named.consumedunit AS consumedunit,
  named.contractedcost AS contractedcost,
  named.contractedunitprice AS contractedunitprice,
  named.effectivecost AS effectivecost,
  named.invoiceid AS invoiceid,
  named.invoiceissuername AS invoiceissuername,
  named.listcost AS listcost,
  named.listunitprice AS listunitprice,
  named.pricingcategory AS pricingcategory,
  named.pricingcurrency AS pricingcurrency,
  named.pricingcurrencycontractedunitprice AS pricingcurrencycontractedunitprice,
  named.pricingcurrencyeffectivecost AS pricingcurrencyeffectivecost,
  named.pricingcurrencylistunitprice AS pricingcurrencylistunitprice,
  named.pricingquantity AS pricingquantity,
  named.pricingunit AS pricingunit,
  named.providername AS providername,
  named.publishername AS publishername,
  named.regionid AS regionid,
  named.regionname AS regionname,
  named.resourceid AS resourceid,
  named.resourcename AS resourcename,
  named.resourcetype AS resourcetype,
  named.servicecategory AS servicecategory,
  named.servicename AS servicename,
  named.servicesubcategory AS servicesubcategory,
  named.skuid AS skuid,
  named.skumeter AS skumeter,
  named.skupricedetails AS skupricedetails,
  named.skupriceid AS skupriceid,
  named.subaccountid AS subaccountid,
  named.subaccountname AS subaccountname,
  named.subaccounttype AS subaccounttype,
  named.tags AS tags,
  named.serviceprovidername AS serviceprovidername,
  named.hostprovidername AS hostprovidername,
  named.x_rowkind AS x_rowkind,
  named.x_lineitemid AS x_lineitemid,
  named.x_lineitemtype AS x_lineitemtype,
  named.x_productcode AS x_productcode,
  named.x_usagetype AS x_usagetype,
  named.x_operation AS x_operation,
  named.x_instancetype AS x_instancetype,
  named.x_purchaseoption AS x_purchaseoption,
  named.x_ondemandequivalentcost AS x_ondemandequivalentcost,
  named.x_costcategories AS x_costcategories,
  named.x_invoicingentity AS x_invoicingentity,
  named.x_pricingunit AS x_pricingunit,
  named.x_extracolumns AS x_extracolumns,
  named.x_projectlabels AS x_projectlabels,
  named.x_systemlabels AS x_systemlabels,
  named.x_currencyconversionrate AS x_currencyconversionrate,
  named.x_loadid AS x_loadid,
  named.workload_type AS x_workloadtype,
  named.workload_name AS x_workloadname,
  CASE
    WHEN named.workload_type = 'training'
    THEN NULLIF(REGEXP_EXTRACT(named.workload_name, '^(.+)-[0-9]{3}-[0-9a-f]{8}$', 1), '')
  END AS x_tuningjob,
  COALESCE(LOWER(named.team_tag), 'unallocated') AS x_team,
  COALESCE(LOWER(named.project_tag), 'unallocated') AS x_project,
  COALESCE(named.accelerator_model, named.sku_gpu_model) AS x_gpumodel,
  CASE
    WHEN NOT named.sku_gpu_model IS NULL
    AND named.chargecategory = 'Usage'
    AND named.x_rowkind = 'line_item'
    AND named.pricingunit = 'Hours'
    THEN named.pricingquantity
    WHEN named.providername <> 'Google Cloud'
    AND NOT named.accelerator_gpus IS NULL
    AND named.consumedunit = 'Hours'
    AND named.x_lineitemtype IS DISTINCT FROM 'SavingsPlanNegation'
    THEN named.consumedquantity * named.accelerator_gpus
  END AS x_gpuhours,
  CASE
    WHEN named.workload_type IN ('tax', 'support')
    THEN named.workload_type
    WHEN named.workload_type = 'data_transfer' AND named.team_tag IS NULL
    THEN 'untagged_networking'
  END AS x_sharedcostkind
FROM named AS named
