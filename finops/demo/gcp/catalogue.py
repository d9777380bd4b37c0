"""What the made-up ML team runs on GCP: services, projects and the SKUs it is billed for.

One row of :data:`RESOURCES` is one SKU stream of the export (a GPU on Vertex AI, a VM's cores, a
bucket...); the export SQL copies the list for a bigger team and expands it into hourly rows.
"""

from __future__ import annotations

import pyarrow as pa

SERVICES = {
    "compute": ("6F81-5844-456A", "Compute Engine"),
    "vertex": ("C7E2-9256-1C43", "Vertex AI"),
    "storage": ("95FF-2EF5-5EA1", "Cloud Storage"),
    "network": ("E505-1604-58F8", "Networking"),
    "tax": ("", "Invoice"),
}

PROJECTS = {
    "research": ("ml-research-prod", "104729311205", "ML Research Prod", [("env", "prod"), ("cost-center", "4100")]),
    "serving": ("ml-serving-prod", "287140955531", "ML Serving Prod", [("env", "prod"), ("cost-center", "4200")]),
    "data": ("data-platform-dev", "612034477019", "Data Platform Dev", [("env", "dev")]),
}

# name, service, sku id, sku description, project, machine spec, usage unit, usage per hour,
# pricing unit, pricing units per hour, $ per pricing unit, list factor, credit, duty, labels
RESOURCES: list[tuple] = [
    ("train-a100-gpu", "vertex", "A1B2-7D1E-0C11", "Vertex AI: Training/Pipelines on Nvidia Tesla A100 GPU running in Americas",
     "research", "a2-highgpu-1g", "seconds", 3600, "hour", 1, 3.3741, 1.0, "promotion", 0.55,
     [("Team", "ML-Research"), ("ml_job", "llm-finetune-0012")]),
    ("train-a2-core", "vertex", "A1B2-7D1E-0C12", "Vertex AI: Training/Pipelines on A2 Instance Core running in Americas",
     "research", "a2-highgpu-1g", "seconds", 43200, "hour", 12, 0.0361, 1.0, "promotion", 0.55,
     [("Team", "ML-Research"), ("ml_job", "llm-finetune-0012")]),
    ("predict-l4-gpu", "vertex", "B3C4-11AA-2F01", "Vertex AI: Online Prediction Nvidia L4 GPU running in Americas",
     "serving", "g2-standard-8", "seconds", 3600, "hour", 1, 0.6720, 1.0, None, 1.0,
     [("team", "ml-platform"), ("endpoint", "recsys-ranker")]),
    ("predict-g2-core", "vertex", "B3C4-11AA-2F02", "Vertex AI: Online Prediction G2 Instance Core running in Americas",
     "serving", "g2-standard-8", "seconds", 28800, "hour", 8, 0.0275, 1.0, None, 1.0,
     [("team", "ml-platform"), ("endpoint", "recsys-ranker")]),
    ("gce-a100-cud", "compute", "039F-D0DA-4055", "Nvidia Tesla A100 GPU running in Americas",
     "research", "a2-highgpu-1g", "seconds", 3600, "hour", 1, 2.933908, 1.0, "cud", 0.9,
     [("Team", "ML-Research"), ("goog-k8s-cluster-name", "train-pool")]),
    ("gce-a100-commit", "compute", "2F3E-9C55-B8A1", "Commitment v1: Nvidia Tesla A100 GPU in Americas for 1 Year",
     "research", None, "seconds", 3600, "hour", 1, 1.848362, 1.587, None, 1.0, []),
    ("gce-h100-spot", "compute", "7C1D-AA20-91E3", "Spot Preemptible Nvidia H100 80GB GPU running in Americas",
     "research", "a3-highgpu-1g", "seconds", 3600, "hour", 1, 2.25, 1.0, None, 0.6,
     [("Team", "ML-Research"), ("ml_job", "vision-pretrain-7")]),
    ("gce-l4", "compute", "4D0E-2B6B-C3F7", "Nvidia L4 GPU running in Americas",
     "serving", "g2-standard-4", "seconds", 3600, "hour", 1, 0.560000, 1.0, None, 0.8,
     [("team", "ml-platform"), ("TEAM", "ML-Platform")]),
    ("gce-n1-core", "compute", "CF4B-3A93-0A28", "N1 Predefined Instance Core running in Americas",
     "data", "n1-standard-8", "seconds", 28800, "hour", 8, 0.031611, 1.0, "sud", 1.0,
     [("team", "data-eng")]),
    ("gcs-standard", "storage", "E5F0-6A5D-7BAD", "Standard Storage US Multi-region",
     "data", None, "byte-seconds", 1.9e15, "gibibyte month", 0.9838, 0.026, 1.0, "free_tier", 1.0,
     [("team", "data-eng"), ("bucket", "training-data")]),
    ("egress", "network", "9DE9-9092-B3BC", "Network Internet Data Transfer Out from Americas to Americas",
     "serving", None, "bytes", 7.5e9, "gibibyte", 6.985, 0.12, 1.0, None, 0.7,
     [("team", "ml-platform")]),
]

COMMITMENT_ID = "4815162342108151623"  # the A100 commitment: CUD credits and its fee rows name it

ZONES = {"vertex": None, "compute": "us-central1-a", "storage": None, "network": None}


_DUTY = 13  # index of the duty cycle in a RESOURCES row


def rows_per_hour() -> float:
    """Expected usage rows per hour of one copy of the team's resources."""
    return sum(r[_DUTY] for r in RESOURCES)


def resources_table(seed: int, detailed: bool) -> pa.Table:
    """RESOURCES as an Arrow table; ``detailed`` exports name the VM or bucket of each row."""
    rows = []
    for i, (name, svc, sku_id, sku, proj, machine, unit, amount, punit, pamount, rate, list_factor,
            credit, duty, labels) in enumerate(RESOURCES):
        res_name, global_name = _resource_names(i, name, svc, sku, proj, seed)
        system = [("compute.googleapis.com/machine_spec", machine),
                  ("compute.googleapis.com/cores", machine.split("-")[-1].rstrip("g") if machine else None)
                  ] if machine and svc == "compute" else []
        rows.append({
            "rid": i, "svc": svc, "service_id": SERVICES[svc][0], "service_description": SERVICES[svc][1],
            "sku_id": sku_id, "sku_description": sku, "project": proj, "unit": unit, "amount": float(amount),
            "pricing_unit": punit, "pricing_amount": float(pamount), "rate": float(rate), "list_factor": float(list_factor),
            "credit": credit or "", "duty": float(duty),
            # a commitment is billed every hour it exists; the usage it covers runs in some of them
            "grp": "a100-commitment" if name in ("gce-a100-cud", "gce-a100-commit") else name,
            "labels": [{"key": k, "value": v} for k, v in labels],
            "system_labels": [{"key": k, "value": v} for k, v in system if v],
            "resource_name": res_name if detailed else None, "resource_global_name": global_name if detailed else None,
            "zone": ZONES.get(svc),
        })
    return pa.Table.from_pylist(rows)


def _resource_names(i: int, name: str, svc: str, sku: str, proj: str, seed: int) -> tuple[str | None, str | None]:
    """(name, global name) of the VM or bucket behind resource ``i``; Vertex AI and network SKUs
    have no resource-level rows."""
    if svc == "compute" and not sku.startswith("Commitment"):
        pid = PROJECTS[proj][0]
        instance = 7300000000000000000 + i * 7919 + seed
        return f"{name}-{seed}", f"//compute.googleapis.com/projects/{pid}/zones/us-central1-a/instances/{instance}"
    if svc == "storage":
        return "training-data", "//storage.googleapis.com/projects/_/buckets/training-data"
    return None, None


def projects_table() -> pa.Table:
    """The projects with their ids, numbers and labels, as the export's ``project`` record has them."""
    return pa.Table.from_pylist([
        {"project": k, "id": v[0], "number": v[1], "name": v[2], "labels": [{"key": a, "value": b} for a, b in v[3]]}
        for k, v in PROJECTS.items()
    ])
