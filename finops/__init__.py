"""finops: where ML teams' cloud money goes.

The library API, which the ``finops`` command is a thin layer over::

    import finops
    con = finops.connect("finops.duckdb")
    finops.ingest_aws(con, "./cur-exports/")          # or "s3://bucket/prefix"
    finops.ingest_focus(con, "./focus-export.parquet")
    finops.ingest(con, "metrics", ["./nvidia-smi-logs/"], resource="i-0abc123def4567890")
    finops.ingest_gcp(con, "bq://my-project.billing.gcp_billing_export_resource_v1_0123AB_456CD_789EF")
    con.sql("select ServiceName, sum(EffectiveCost) from costs group by 1").show()
    finops.export_focus(con, "focus.parquet")

Settings are passed, never read behind the caller's back: ``config = finops.load_config()`` reads
finops.toml once, and ``finops.ingest_aws(con, path, config=config)`` or
``finops.build(con, config=config)`` use its attribution, idle and savings rules (defaults
without it); ``finops.connect(path, settings=config.duckdb)`` its memory and thread caps.
"""

__version__ = "0.1.0"

from finops.config import Config, load_config
from finops.connectors.gcp import ingest_gcp
from finops.connectors.ingest import ingest_aws, ingest_focus
from finops.connectors.metrics import ingest_metrics
from finops.connectors.pipeline import ingest
from finops.connectors.registry import SOURCE_KINDS
from finops.errors import FinopsError, UsageError
from finops.models.builder import build
from finops.models.data_tests import run_tests
from finops.report.export import export_focus, export_focus_datasets
from finops.savings.estimate import estimate_inference, estimate_labeling, estimate_training
from finops.warehouse.connection import connect, transaction
from finops.warehouse.status import status

__all__ = [
    "Config",
    "FinopsError",
    "SOURCE_KINDS",
    "UsageError",
    "__version__",
    "build",
    "connect",
    "estimate_inference",
    "estimate_labeling",
    "estimate_training",
    "export_focus",
    "export_focus_datasets",
    "ingest",
    "ingest_aws",
    "ingest_focus",
    "ingest_gcp",
    "ingest_metrics",
    "load_config",
    "run_tests",
    "status",
    "transaction",
]
