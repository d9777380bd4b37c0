"""``finops export focus``: write ``costs`` as a FOCUS 1.2 file other tools can read."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from finops.errors import FinopsError
from finops.warehouse.columns.focus import FOCUS_COLUMNS
from finops.warehouse.connection import first_line, sql_identifier, sql_literal
from finops.warehouse.storage import storage_error

FORMATS = ("parquet", "csv")


def export_focus(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str], *, fmt: str | None = None) -> int:
    """Write every ``costs`` row to ``out`` (Parquet or CSV, from the suffix); return the row count.

    Timestamps are written as UTC instants and Tags as JSON text, the forms FOCUS validators and
    BI tools read; our own ``x_`` columns follow the FOCUS ones, as the spec allows. The file is
    written beside ``out`` and renamed into place, so a reader never sees half a file.
    """
    out = Path(out)
    fmt = fmt or ("csv" if out.suffix.lower() == ".csv" else "parquet")
    if fmt not in FORMATS:
        raise FinopsError(f"{out}: unknown export format {fmt!r} (use parquet or csv)")
    if not out.parent.exists():
        raise FinopsError(f"{out}: directory {out.parent} does not exist")
    columns = [_export_expr(name, typ) for name, typ in FOCUS_COLUMNS.items()]
    extra = [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where table_name = 'costs' and column_name like 'x\\_%' escape '\\' "
            "order by column_index"
        ).fetchall()
    ]
    columns += [_export_expr(name, _column_type(con, name)) for name in extra]
    tmp = out.with_name(f".{out.name}.partial")
    options = "format parquet, compression zstd, use_tmp_file false" if fmt == "parquet" else "format csv, header true, use_tmp_file false"
    try:
        (rows,) = con.execute("select count(*) from costs").fetchone()
        tmp.touch()  # a read-only directory fails here as an OSError, which storage_error knows
        con.execute(f"copy (select {', '.join(columns)} from costs) to {sql_literal(str(tmp))} ({options})")
        os.replace(tmp, out)
    except duckdb.CatalogException:
        tmp.unlink(missing_ok=True)
        raise FinopsError("costs: no costs table yet (run `finops ingest` or `finops build` first)") from None
    except (duckdb.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        storage = storage_error(exc, "nothing was written")
        if storage is not None:  # a full disk or a read-only directory: exit 74, naming the file asked for
            raise type(storage)(str(storage).replace(str(tmp), str(out))) from None
        raise FinopsError(f"{out}: cannot write: {first_line(exc) if isinstance(exc, duckdb.Error) else exc}") from None
    return int(rows)


def _column_type(con: duckdb.DuckDBPyConnection, name: str) -> str:
    (typ,) = con.execute(
        "select data_type from duckdb_columns() where table_name = 'costs' and column_name = ?", [name]
    ).fetchone()
    return typ


def _export_expr(name: str, typ: str) -> str:
    col = sql_identifier(name)
    if typ.startswith("MAP"):
        return f"case when cardinality({col}) > 0 then cast(to_json({col}) as varchar) end as {col}"
    if typ == "TIMESTAMP":
        return f"cast({col} as timestamptz) as {col}"
    return col
