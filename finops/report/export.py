"""``finops export focus``: write the warehouse as a FOCUS 1.2, 1.3 or 1.4 file other tools can read."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from finops.errors import FinopsError, UsageError
from finops.report.focus_datasets import (
    DATASET_SQL,
    DATASETS,
    DEFAULT_VERSION,
    INVOICE_DATASETS,
    VERSIONS,
    cost_and_usage_columns,
    cost_and_usage_fill,
)
from finops.warehouse.connection import first_line, sql_identifier, sql_literal
from finops.warehouse.storage import storage_error

FORMATS = ("parquet", "csv")


def export_focus(
    con: duckdb.DuckDBPyConnection,
    out: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    version: str = DEFAULT_VERSION,
    dataset: str = "cost-and-usage",
) -> int:
    """Write one FOCUS dataset of ``version`` to the file ``out`` (Parquet or CSV, from the suffix);
    return its row count.

    Cost and Usage is every ``costs`` row: the FOCUS columns in the spec's order, then our own
    ``x_`` columns, as the spec allows. Timestamps are written as UTC instants and JSON columns as
    JSON text, the forms FOCUS validators and BI tools read. Before 1.4 FOCUS had no other dataset.
    """
    _check(version, dataset)
    out = Path(out)
    fmt = _format(out, fmt)
    if not out.parent.exists():
        raise FinopsError(f"{out}: directory {out.parent} does not exist")
    return _write(con, _dataset_query(con, version, dataset, fmt), out, fmt)


def export_focus_datasets(
    con: duckdb.DuckDBPyConnection, out_dir: str | os.PathLike[str], *, fmt: str = "parquet"
) -> dict[str, int]:
    """Write the FOCUS 1.4 datasets into ``out_dir``, one ``<dataset>.<fmt>`` file each; return the
    row count of each file written.

    Billing Period and Invoice Detail are written only where the bill has invoice ids (AWS's
    ``bill/InvoiceId``, a FOCUS file's InvoiceId): without them there is no invoice to describe.
    Each file is renamed into place whole, so a reader never sees half of one.
    """
    out_dir = Path(out_dir)
    if fmt not in FORMATS:
        raise FinopsError(f"{out_dir}: unknown export format {fmt!r} (use parquet or csv)")
    if not out_dir.parent.exists():
        raise FinopsError(f"{out_dir}: directory {out_dir.parent} does not exist")
    if out_dir.exists() and not out_dir.is_dir():
        raise FinopsError(f"{out_dir}: is a file; FOCUS 1.4 is written as a directory of datasets (or pass --dataset)")
    present = _datasets_with_rows(con)
    out_dir.mkdir(exist_ok=True)
    written = {}
    for dataset in present:
        written[dataset] = export_focus(con, out_dir / f"{dataset}.{fmt}", fmt=fmt, version="1.4", dataset=dataset)
    return written


def _check(version: str, dataset: str) -> None:
    if version not in VERSIONS:
        raise UsageError(f"--focus-version {version}: unknown FOCUS version (use {', '.join(VERSIONS)})")
    if dataset not in DATASETS:
        raise UsageError(f"--dataset {dataset}: unknown FOCUS dataset (use {', '.join(DATASETS)})")
    if dataset != "cost-and-usage" and version != "1.4":
        raise UsageError(f"--dataset {dataset}: FOCUS {version} has only the cost-and-usage dataset (use --focus-version 1.4)")


def _no_costs() -> FinopsError:
    return FinopsError("costs: no costs table yet (run `finops ingest` or `finops build` first)")


def _format(out: Path, fmt: str | None) -> str:
    fmt = fmt or ("csv" if out.suffix.lower() == ".csv" else "parquet")
    if fmt not in FORMATS:
        raise FinopsError(f"{out}: unknown export format {fmt!r} (use parquet or csv)")
    return fmt


def _datasets_with_rows(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The 1.4 datasets the warehouse has rows for, in file order (a dataset without rows is not written)."""
    try:
        invoiced, committed = con.execute(
            "select exists (select 1 from costs where InvoiceId is not null), "
            "exists (select 1 from contract_commitments)"
        ).fetchone()
    except duckdb.CatalogException:
        raise _no_costs() from None
    return [
        d for d in DATASETS
        if not (d in INVOICE_DATASETS and not invoiced) and not (d == "contract-commitment" and not committed)
    ]


def _dataset_query(con: duckdb.DuckDBPyConnection, version: str, dataset: str, fmt: str) -> str:
    """The select that writes ``dataset``; 1.4's timestamps are written in its literal UTC form in CSV."""
    if dataset == "cost-and-usage":
        fill = cost_and_usage_fill(version)
        columns = [_export_expr(name, typ, fill.get(name)) for name, typ in cost_and_usage_columns(version).items()]
        columns += [_export_expr(name, typ) for name, typ in _extra_columns(con)]
        query = f"select {', '.join(columns)} from costs"
    else:
        query = DATASET_SQL[dataset]
    literals = _utc_literals(con, query) if version == "1.4" and fmt == "csv" else ""
    return f"select * replace ({literals}) from ({query})" if literals else query


def _extra_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    try:
        return con.execute(
            "select column_name, data_type from duckdb_columns() where table_name = 'costs' "
            "and column_name like 'x\\_%' escape '\\' order by column_index"
        ).fetchall()
    except duckdb.Error:
        return []


def _utc_literals(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """``replace`` items writing each timestamp column of ``query`` as FOCUS 1.4's
    ``YYYY-MM-DDTHH:MM:SSZ``; empty when the query has none (or cannot be described yet)."""
    try:
        described = con.execute(f"describe {query}").fetchall()
    except duckdb.Error:
        return ""
    return ", ".join(
        f"strftime({sql_identifier(name)} at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ') as {sql_identifier(name)}"
        for name, typ, *_ in described
        if typ.startswith("TIMESTAMP")
    )


def _write(con: duckdb.DuckDBPyConnection, query: str, out: Path, fmt: str) -> int:
    """Copy ``query`` to ``out`` through a temporary file beside it, renamed into place whole."""
    tmp = out.with_name(f".{out.name}.partial")
    options = "format parquet, compression zstd, use_tmp_file false" if fmt == "parquet" else "format csv, header true, use_tmp_file false"
    try:
        tmp.touch()  # a read-only directory fails here as an OSError, which storage_error knows
        (rows,) = con.execute(f"copy ({query}) to {sql_literal(str(tmp))} ({options})").fetchone()  # rows written
        os.replace(tmp, out)
    except duckdb.CatalogException as exc:
        tmp.unlink(missing_ok=True)
        raise _no_costs() if "costs" in str(exc) else FinopsError(f"{out}: cannot write: {first_line(exc)}") from None
    except (duckdb.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        storage = storage_error(exc, "nothing was written")
        if storage is not None:  # a full disk or a read-only directory: exit 74, naming the file asked for
            raise type(storage)(str(storage).replace(str(tmp), str(out))) from None
        raise FinopsError(f"{out}: cannot write: {first_line(exc) if isinstance(exc, duckdb.Error) else exc}") from None
    return int(rows)


def _export_expr(name: str, typ: str, fill: str | None = None) -> str:
    """One exported column: ``fill`` (a version's rule for the column) or the column itself, with
    MAPs as JSON text and timestamps as UTC instants."""
    col = sql_identifier(name)
    value = f"({fill})" if fill else col
    if typ.startswith("MAP"):
        return f"case when cardinality({value}) > 0 then cast(to_json({value}) as varchar) end as {col}"
    if typ == "TIMESTAMP":
        return f"cast({value} as timestamptz) as {col}"
    return f"{value} as {col}" if fill else col
