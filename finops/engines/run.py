"""`finops build --engine spark|bigquery`: the CLI's options turned into an engine's build."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from finops.config import Config
from finops.errors import FinopsError, UsageError
from finops.models.project import Model


def build_elsewhere(args: argparse.Namespace, config: Config, say: Callable[[str], None]) -> list[Model]:
    """Build on Spark or BigQuery as the command line says; the engine's library is imported only here.
    ``say`` prints the build's messages (nothing under --quiet)."""
    if args.engine == "spark":
        try:  # finops.engines.spark imports pyspark only where it starts a session: ask for it here
            import pyspark  # noqa: F401

            from finops.engines import spark
        except ImportError:
            raise FinopsError("--engine spark needs pyspark (pip install 'finops[spark]') and Java 17+") from None
        iceberg = None
        if args.table_format == "iceberg":  # the catalog is checked before Spark starts
            from finops.engines.iceberg import current_files, target

            iceberg = target(args.iceberg_catalog, args.target_schema)
        elif args.iceberg_catalog:
            raise UsageError("--iceberg-catalog needs --table-format iceberg")
        conf = dict(setting.partition("=")[::2] for setting in args.spark_conf or [])
        if any(not key or not value for key, value in conf.items()):
            raise UsageError("--spark-conf takes KEY=VALUE, e.g. spark.executor.memory=8g")
        session = spark.session(args.spark_master, args.spark_warehouse, conf)
        built = spark.build(session, args.target_schema, source=args.source, targets=args.model, config=config, iceberg=iceberg, say=say)
        if args.db:
            from finops.engines.readback import link_marts
            from finops.warehouse.connection import connect

            with connect(args.db, settings=config.duckdb) as con:
                link_marts(con, built, lambda name: current_files(iceberg, name) if iceberg
                           else spark.table_path(session, args.target_schema, name))
        return built
    if not args.source or not args.project:
        raise UsageError("--engine bigquery needs --project and --source (the billing export table, PROJECT.DATASET.TABLE)")
    try:
        from google.cloud import bigquery as client_library
    except ImportError:
        raise FinopsError("--engine bigquery needs google-cloud-bigquery (pip install 'finops[gcp]')") from None
    from finops.engines import bigquery

    try:
        client = client_library.Client(project=args.project)
    except Exception as exc:
        raise FinopsError(f"--project {args.project}: no BigQuery client: {str(exc).splitlines()[0]}") from None
    dataset = f"{args.project}.{args.dataset}"
    built = bigquery.build(client, dataset, source=args.source, targets=args.model, config=config)
    if args.db:
        from finops.warehouse.connection import connect

        with connect(args.db, settings=config.duckdb) as con:
            bigquery.read_back(con, client, dataset, built)
    return built
