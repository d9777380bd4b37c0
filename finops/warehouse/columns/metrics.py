"""The landing table of ``finops ingest metrics``: one tidy row per resource, GPU and sample time."""

GPU_METRICS_COLUMNS = {
    "resource_id": "VARCHAR NOT NULL",
    "gpu_index": "INTEGER",
    "sampled_at": "TIMESTAMP NOT NULL",
    "gpu_utilization": "DOUBLE",
    "memory_utilization": "DOUBLE",
    "sm_active": "DOUBLE",
    "pod": "VARCHAR",
    "namespace": "VARCHAR",
    "source": "VARCHAR NOT NULL",
    "source_file": "VARCHAR NOT NULL",
    "invocations": "DOUBLE",
}
GPU_METRICS_COMMENT = (
    "GPU utilisation samples loaded with `finops ingest metrics` (nvidia-smi CSV logs, DCGM "
    "exporter scrapes, CloudWatch hourly averages): one row per resource, GPU and timestamp; a file loaded again replaces its rows."
)
GPU_METRICS_DOCS = {
    "resource_id": "The instance, host or resource the samples belong to (--resource, a host column, the DCGM Hostname label, or the file name); matched to the bill's ResourceId or ResourceName.",
    "gpu_index": "GPU index on the machine (nvidia-smi index, DCGM gpu label).",
    "sampled_at": "Sample time, UTC.",
    "gpu_utilization": "GPU utilisation, percent (nvidia-smi utilization.gpu, DCGM_FI_DEV_GPU_UTIL, else 100 x DCGM_FI_PROF_SM_ACTIVE).",
    "memory_utilization": "GPU memory in use, percent of the total (memory.used / memory.total, FB_USED / (FB_USED + FB_FREE)).",
    "sm_active": "Share of time streaming multiprocessors were active, percent (DCGM_FI_PROF_SM_ACTIVE x 100); null from nvidia-smi.",
    "pod": "Kubernetes pod using the GPU (DCGM pod label).",
    "namespace": "Kubernetes namespace of the pod (DCGM namespace label).",
    "source": "nvidia-smi, dcgm or cloudwatch.",
    "source_file": "The file the samples were loaded from (loading it again replaces them), or the cloudwatch:// source.",
    "invocations": "SageMaker endpoint invocations in the hour (CloudWatch AWS/SageMaker Invocations, all variants); null from other sources.",
}

# What idle_gpu must recompute: each load of metrics notes the time span it replaced or added, and
# the next build recomputes the billed hours of the loads whose period overlaps it, then clears it.
GPU_METRICS_CHANGES_COLUMNS = {"first_sample": "TIMESTAMP NOT NULL", "last_sample": "TIMESTAMP NOT NULL"}
GPU_METRICS_CHANGES_COMMENT = (
    "Time spans of gpu_metrics loaded or replaced since the last build; the build recomputes idle_gpu "
    "for the billing periods they fall in, then empties this table."
)
GPU_METRICS_CHANGES_DOCS = {
    "first_sample": "Earliest sample time of the span (UTC).",
    "last_sample": "Latest sample time of the span (UTC).",
}


def note_metrics_change(con, where: str, params: list) -> None:  # noqa: ANN001
    """Record the span of the gpu_metrics rows ``where`` selects (before a delete, after an insert)."""
    con.execute(
        "insert into gpu_metrics_changes select min(sampled_at), max(sampled_at) from gpu_metrics "
        f"where {where} having count(*) > 0",
        params,
    )
