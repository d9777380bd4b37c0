"""The table of commands: each one's place, summary, example, options and handler.

Adding a command is one entry here and one handler; ``--help``, the examples test and docs/cli.md
all read this table. ``finops ingest`` has one sub-command per source kind the connectors register.
"""

from __future__ import annotations

import argparse

from finops.cli import estimate_commands as estimate
from finops.cli import read_commands as read
from finops.cli import write_commands as write
from finops.cli.parser import Arguments, Command, Group
from finops.connectors.registry import SOURCE_KINDS, SourceKind

ENGINES = ("duckdb", "spark", "bigquery")

GROUPS = (
    Group("ingest", "Load billing data or metrics into the warehouse (one sub-command per source kind).",
          "finops ingest aws ./cur-exports/\n  finops ingest gcp ./export/", "KIND"),
    Group("export", "Write the warehouse's data to files for other tools.",
          "finops export focus --out focus.parquet", "TARGET"),
    Group("prices", "Public prices the savings estimates use.", "finops prices refresh --provider aws", "ACTION"),
    Group("estimate", "What a training run, an inference service or a labeling job will cost, priced from the warehouse.",
          "finops estimate training --instance ml.p4d.24xlarge --hours 10 --trials 20", "KIND"),
)


def _ingest_arguments(kind: SourceKind) -> Arguments:
    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("source", nargs="+" if kind.many_locations else 1, metavar="SOURCE",
                            help=" or ".join(kind.locations) + (" (several may be given)" if kind.many_locations else ""))
        if "endpoint_url" in kind.options:
            parser.add_argument("--endpoint-url", help="S3- or CloudWatch-compatible endpoint (default: $AWS_ENDPOINT_URL)")
        if "resource" in kind.options:
            parser.add_argument("--resource", metavar="ID", help="the instance or resource the samples belong to "
                                "(the bill's ResourceId, or a SageMaker resource name); default: from the file")
        parser.add_argument("--no-build", action="store_true", help="load only; run `finops build` later")
        parser.add_argument("--force", action="store_true", help="load deliveries older than the loaded ones of "
                            "their periods, and deliveries already loaded, anyway (recorded in loads.forced)")
    return add


def _build_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full-refresh", action="store_true",
                   help="rebuild allocated_costs whole, not only the loads that changed (never needed after finops's own loads)")
    p.add_argument("--engine", choices=ENGINES, default="duckdb",
                   help="where to build (default: duckdb, the warehouse file); see docs/scale-out.md")
    p.add_argument("--source", metavar="PATH|TABLE",
                   help="spark: a bill to land first, any shape finops ingest reads (path or s3a://); bigquery: the billing export table, read in place")
    p.add_argument("--spark-master", metavar="URL", default="local[2]", help="spark: the master (default: local[2])")
    p.add_argument("--spark-conf", action="append", metavar="KEY=VALUE",
                   help="spark: any Spark setting, e.g. spark.jars.packages=org.apache.hadoop:hadoop-aws:3.4.1; repeat for more")
    p.add_argument("--spark-warehouse", metavar="DIR", help="spark: where tables live (default: Spark's spark.sql.warehouse.dir)")
    p.add_argument("--target-schema", metavar="NAME", default="finops", help="spark: the schema the tables go to (default: finops)")
    p.add_argument("--table-format", choices=("parquet", "iceberg"), default="parquet",
                   help="spark: write the landing tables and marts as plain Parquet (default) or commit them to Iceberg tables")
    p.add_argument("--iceberg-catalog", metavar="NAME",
                   help="spark: the pyiceberg catalog (from .pyiceberg.yaml or PYICEBERG_CATALOG__NAME__* variables; "
                   "default: pyiceberg's default catalog)")
    p.add_argument("--project", help="bigquery: the Google Cloud project that runs the jobs")
    p.add_argument("--dataset", default="finops", help="bigquery: the dataset the tables go to (default: finops)")
    p.add_argument("--model", action="append", metavar="NAME",
                   help="spark, bigquery: build only this model and what it reads; repeat for more (default: every model)")


def _sql_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model name or path under sql/, e.g. marts/training_jobs")
    p.add_argument("--engine", choices=("duckdb", "spark", "bigquery", "trino"), required=True,
                   help="target engine (trino also serves Athena)")


def _query_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sql", nargs="?", help="the SQL to run")
    p.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table",
                   help="output format (default: table; parquet needs --out)")
    p.add_argument("--out", metavar="FILE", help="write the result to FILE instead of printing it")
    p.add_argument("--list", action="store_true", help="list every table and view with its description")
    p.add_argument("--raw", action="store_true",
                   help="csv: write cells as they are (by default a cell starting with = + - @ gets a leading ' "
                   "so a spreadsheet shows it instead of running it)")


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="PATH",
                   help="file to write; for --focus-version 1.4 without --dataset, a directory that gets one file per dataset")
    p.add_argument("--format", choices=("parquet", "csv"), help="default: from the file suffix (parquet for a directory)")
    p.add_argument("--focus-version", choices=("1.2", "1.3", "1.4"), default="1.2",
                   help="FOCUS version to write (default 1.2: the FinOps Foundation's validator checks 1.2 offline, "
                   "1.4 only a third-party lint does)")
    p.add_argument("--dataset", choices=("cost-and-usage", "contract-commitment", "billing-period", "invoice-detail"),
                   help="1.4: write only this dataset, to the file --out")


def _out_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")


WEEK_HELP = "ISO week, e.g. 2026-W44 (default: the last complete week before today, UTC)"
REPORT_WEEK_HELP = "ISO week, e.g. 2026-W44 (default: the latest complete week the data of every source covers)"


def _as_of_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="take this date (00:00 UTC) as now: which week is the last complete one, how fresh the data is")


def _allow_partial_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-partial", action="store_true",
                   help="send a week the data does not cover yet, marked (preliminary); without it such a week exits 3")


def _report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--week", metavar="YYYY-Www", help=REPORT_WEEK_HELP)
    p.add_argument("--out", metavar="FILE", help="HTML file to write (default: report-<week>.html here)")
    _as_of_argument(p)


def _email_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--week", metavar="YYYY-Www", help=WEEK_HELP)
    p.add_argument("--to", action="append", metavar="ADDRESS", help="recipient; repeat for more (default: [email] to)")
    _allow_partial_argument(p)
    _as_of_argument(p)


def _refresh_arguments(p: argparse.ArgumentParser) -> None:
    _allow_partial_argument(p)
    _as_of_argument(p)
    p.add_argument("--no-email", action="store_true", help="write the report but do not send it")
    p.add_argument("-v", "--verbose", action="store_true", help="also print each delivery as it loads")
    p.add_argument("--resend-unconfirmed", action="store_true",
                   help="send again a week's email whose earlier send was never confirmed (it may have arrived)")


def _init_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="FILE", default="finops.toml", help="file to write (default: finops.toml)")


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    _as_of_argument(p)


def _prices_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--provider", action="append", choices=("aws", "gcp"), help="only this provider; repeat for both (default: both)")
    p.add_argument("--lookback-days", type=int, default=30, metavar="DAYS", help="days of spot price history to average (default: 30)")
    p.add_argument("--region", action="append", metavar="REGION",
                   help="region to price; repeat for more (default: us-east-1 / us-central1 and every region the bill shows GPU usage in)")


INGEST = tuple(
    Command(("ingest", kind.name), f"{kind.summary}.", kind.example, write.ingest,
            _ingest_arguments(kind), writes=True)
    for kind in sorted(SOURCE_KINDS.values(), key=lambda k: k.name)
)

COMMANDS = (
    *INGEST,
    Command(("build",), "Rebuild every model (views and tables under sql/) from the loaded data.",
            "finops build\n  finops build --engine spark --spark-master local[2] --source s3a://billing/cur2/ --target-schema finops\n"
            "  finops build --engine bigquery --project my-proj --dataset finops --source my-proj.billing.gcp_billing_export_v1_0123AB_456CD_789EF",
            write.build, _build_arguments),
    Command(("sql",), "Print a model compiled for another engine's SQL dialect (sqlglot, plus the per-engine macros of sql/engines.toml).",
            "finops sql --engine trino marts/training_jobs", read.sql, _sql_arguments),
    Command(("query",), "Run a SQL query against the warehouse (read-only) and print the result.",
            'finops query "select ServiceName, sum(EffectiveCost) from costs group by 1 order by 2 desc"\n'
            '  finops query "select * from workload_costs where week = \'2026-W44\'" --format parquet --out w44.parquet\n'
            "  finops query --list", read.query, _query_arguments),
    Command(("export", "focus"), "Write costs as a FOCUS 1.2, 1.3 or 1.4 file (Parquet, or CSV when --out ends in .csv); 1.4 as its datasets.",
            "finops export focus --out focus.parquet", read.export_focus, _export_arguments),
    Command(("status",), "Show what is loaded: one line per billing period, with its source total and reconciliation.",
            "finops status\n  finops --db /srv/finops/finops.duckdb status", read.status),
    Command(("schema",), "Print the reference of every table and view (Markdown, from the comments in DuckDB).",
            "finops schema --out docs/schema.md", read.schema, _out_argument),
    Command(("demo",), "Build a warehouse from bundled sample bills (default --db finops-demo.duckdb) and print a summary.",
            "finops demo\n  finops demo --as-of 2026-11-02", write.demo, _as_of_argument, writes=True),
    Command(("report",), "Write the weekly HTML cost report of an ISO week (default: the latest complete week the loaded data covers).",
            "finops report --week 2026-W44 --out reports/2026-W44.html\n  finops report\n  finops report --as-of 2026-11-02",
            read.report, _report_arguments),
    Command(("email",), "Send the weekly report by email (SMTP with STARTTLS and login, or Amazon SES), as set in finops.toml [email] and the environment. "
            "Exit 3 (nothing sent) when the data does not reach the end of the week, unless --allow-partial.",
            "finops email --week 2026-W44 --to finance@example.com\n  finops email --allow-partial", read.email, _email_arguments),
    Command(("refresh",), "For cron: ingest every source in finops.toml, rebuild, write the last complete week's report and email it once. "
            "Then posts [alerts] webhooks. Exit 0 ok, 1 a source or step failed, 2 config error, 3 the week's data not complete (nothing emailed), "
            "74 disk full or directory not writable, 75 another writer holds the lock.",
            "finops refresh\n  finops refresh --no-email --quiet\n  finops refresh --resend-unconfirmed\n  finops refresh --allow-partial --as-of 2026-11-02",
            write.refresh,
            _refresh_arguments, writes=True),
    Command(("init",), "Write a commented finops.toml template to edit (refuses to overwrite one).", "finops init",
            write.init, _init_arguments),
    Command(("check",), "Data-quality checks: duplicate line items, costs vs source totals, source freshness, negative usage, "
            "mixed currencies; exit 1 when one fails.", "finops check\n  finops check --format json", read.check, _check_arguments),
    Command(("prices", "refresh"), "Read today's GPU prices (AWS Price List API, EC2 spot price history, GCP Cloud Billing Catalog) "
            "into the warehouse. A source that cannot be reached keeps its earlier or bundled prices. Exit 0 when any price "
            "was refreshed, 1 when none could be.", "finops prices refresh\n  finops prices refresh --provider aws --lookback-days 7",
            write.prices_refresh, _prices_arguments, writes=True),
    Command(("estimate", "training"), "Estimate a training run: instance hours on demand, on spot and under Savings Plans "
            "(prices table), with --like the median of past matching runs.",
            "finops estimate training --instance ml.p4d.24xlarge --hours 10 --trials 20 --spot --region us-east-1\n"
            "  finops estimate training --instance ml.p4d.24xlarge --hours 10 --like vit-pretrain --format json",
            estimate.training, estimate.training_arguments),
    Command(("estimate", "inference"), "Estimate serving: instances needed, monthly cost and cost per 1,000 predictions, "
            "self-hosted or through a managed API at the bill's token rates.",
            "finops estimate inference --instance ml.g5.xlarge --rps 50 --batch 8 --latency-ms 120\n"
            "  finops estimate inference --model claude-sonnet --input-tokens 800 --output-tokens 300 --rps 5",
            estimate.inference, estimate.inference_arguments),
    Command(("estimate", "labeling"), "Estimate a labeling job: labeler hours and their cost.",
            "finops estimate labeling --items 100000 --minutes-per-item 3 --hourly-rate 20 --currency CNY",
            estimate.labeling, estimate.labeling_arguments),
)

# `finops --help` and the docs test: every command and group, with its example
EXAMPLES = {" ".join(c.path): c.example for c in COMMANDS} | {g.name: g.example for g in GROUPS}
