"""Running the same SQL models on engines other than DuckDB (Spark, BigQuery, Trino/Athena)."""
