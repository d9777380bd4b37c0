"""``finops init``: a commented finops.toml to start from.

Every setting is shown with its default, so the file documents itself; a test loads the template
with the real readers, so it can never drift into something finops rejects.
"""

from __future__ import annotations

from pathlib import Path

from finops.errors import FinopsError

TEMPLATE = '''\
# finops.toml: settings for finops (see docs/cli.md and docs/cron.md).
# Unknown keys and wrong types are errors naming the key. Secrets never go here: cloud
# credentials come from the providers' own chains (AWS_PROFILE, GOOGLE_APPLICATION_CREDENTIALS...)
# and the SMTP password from $FINOPS_SMTP_PASSWORD.

# Where `finops refresh` reads bills and metrics: one table per source, any name.
# kind is aws (CUR / CUR 2.0 / FOCUS export), gcp (bq://project.dataset.table or exported files),
# focus (FOCUS files of any provider) or metrics (nvidia-smi / DCGM files, cloudwatch://REGION).
# fresh_days: `finops check` fails when the newest data of the source is older than this
# (default: the provider's usual delay plus a day, i.e. 2 days for AWS and GCP; 3 for metrics).
#
# [sources.aws-prod]
# kind = "aws"
# location = "s3://my-billing-bucket/cur/"
# fresh_days = 2
#
# [sources.gcp]
# kind = "gcp"
# location = "bq://my-project.billing.gcp_billing_export_resource_v1_0123AB_456CD_789EF"
#
# [sources.gpu-metrics]
# kind = "metrics"
# location = "cloudwatch://us-east-1"

[refresh]
# How long a refresh (or ingest, build) waits for another one to finish before exiting 75.
lock_wait_seconds = 600
# Where refresh writes report-<week>.html, relative to the warehouse's directory.
report_dir = "reports"

[duckdb]
# Cap DuckDB's memory (it spills to disk beyond it) and its threads on a shared host.
# memory_limit = "4GB"   # default: $FINOPS_MEMORY_LIMIT, else 2GB (80 % of RAM if less)
# threads = 4

[attribution]
# Tag keys that name a team or project, in priority order (see docs/tables.md).
# tags.team = ["team", "owner", "cost-center"]
# tags.project = ["project", "application", "app"]
# Split shared costs across teams in proportion to their tagged spend.
# shared_costs.support = false
# shared_costs.tax = false
# shared_costs.untagged_networking = false

[idle]
# A GPU hour is idle below this mean utilisation (percent), see docs/metrics.md.
gpu_utilization_below = 5
endpoint_invocations_per_day_at_most = 0

[savings]
# Real-time endpoints are not spot candidates unless they tolerate interruption (docs/savings.md).
interruptible_endpoints = false
# The savings summary shows the commitment sized on the longest look-back the bill covers, up to
# this many days: 7, 30 or 60.
commitment_lookback_days = 60

[report]
# Top movers above major_mover dollars a week are major, above minor_mover minor (docs/report.md).
major_mover = 200
minor_mover = 50
anomaly_threshold = 0.5
anomaly_min_cost = 50
top = 10

# Monthly budgets (docs/report.md, 'Budgets'): the report's Budgets section, and a subject that
# flags a budget at risk (forecast above it) or over. In the bill's currency unless currency says.
# [budgets]
# total = 50000
# team.ml-platform = 20000
# workload_type.training = 30000
# provider.AWS = 40000
# account.111122223333 = 45000
# currency = "USD"

# Alerts `finops refresh` posts when a budget goes at risk or over, a major anomaly appears or a
# source's data is stale (docs/cron.md, 'Alerts'). The URL is a secret: only the name of the
# environment variable holding it goes here.
# [[alerts.webhook]]
# kind = "slack"   # or "teams", "json"
# url_env = "FINOPS_SLACK_WEBHOOK"

[email]
# The weekly report goes to these addresses once per week (`finops refresh`).
# Leave `to` empty to only write the report file.
transport = "smtp"   # or "ses"
# sender = "finops@example.com"
# to = ["finance@example.com"]
# smtp_host = "smtp.example.com"
# smtp_port = 587
# smtp_user = "finops"
'''


def write_template(path: Path) -> None:
    """Write the template, never over an existing file (it may hold someone's settings)."""
    if path.exists():
        raise FinopsError(f"{path}: already exists; remove it or give --out OTHER.toml")
    try:
        path.write_text(TEMPLATE, encoding="utf-8")
    except OSError as exc:
        raise FinopsError(f"{path}: cannot write: {exc.strerror}") from None
