"""The landing table of ``finops ingest metrics``: one tidy row per resource, GPU and sample time.

Its column types; what the table and each column mean is declared in finops/warehouse/schema.py."""

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

# LLM servers' cumulative counters (vLLM, TGI, Triton scrapes), as scraped
LLM_SERVING_COLUMNS = {
    "resource_id": "VARCHAR NOT NULL",
    "model": "VARCHAR NOT NULL",
    "sampled_at": "TIMESTAMP NOT NULL",
    "counter": "VARCHAR NOT NULL",
    "value": "DOUBLE NOT NULL",
    "source": "VARCHAR NOT NULL",
    "source_file": "VARCHAR NOT NULL",
}
