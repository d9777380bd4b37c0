"""FOCUS connector: land FOCUS files (any provider, FOCUS 1.0 to 1.2) in ``raw_focus``.

Real exports have quirks this survives: the literal string ``NULL`` for nulls, timestamps with no
zone (taken as UTC), tags as JSON text, columns the spec does not define (kept in
``x_ExtraColumns`` so nothing is lost), and allowed values in the wrong case (fixed in staging).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from finops.connectors.loose import loose_deliveries
from finops.connectors.readers import FileSet, describe, diagnose, file_set, find_bad_value
from finops.connectors.registry import Delivery, IngestOptions, Landed, SourceKind, register
from finops.connectors.sources import open_source
from finops.connectors.validation import check_landed, check_types
from finops.errors import FinopsError
from finops.warehouse.columns.focus import FOCUS_COLUMNS, REQUIRED_FOCUS_COLUMNS
from finops.warehouse.connection import next_load_id, sql_identifier, sql_literal
from finops.warehouse.loads import FOCUS

SHAPE = "focus"
MAP_TYPE = "MAP(VARCHAR, VARCHAR)"
ID_COLUMNS = ("BillingAccountId", "SubAccountId")  # text or whole numbers only: 1.0 would be a new account


@contextmanager
def discover_at(location: str, options: IngestOptions) -> Iterator[list[Delivery]]:
    """Every folder of FOCUS files at ``location`` is one delivery (FOCUS exports have no manifest)."""
    with open_source(location, endpoint_url=options.endpoint_url) as source:
        deliveries = loose_deliveries(source)
        if not deliveries:
            raise FinopsError(f"{source.root}: no .csv, .csv.gz or .parquet files found")
        yield deliveries


def land(con: duckdb.DuckDBPyConnection, delivery: Delivery, paths: list[Path], options: IngestOptions) -> Landed:
    """Insert one folder of FOCUS files under a new load id."""
    return insert(con, file_set(paths, [f.uri for f in delivery.files]), None, delivery)


def insert(
    con: duckdb.DuckDBPyConnection,
    files: FileSet,
    columns: dict[str, str] | None,
    delivery: Delivery,
    *,
    shape: str = SHAPE,
) -> Landed:
    """Insert a FOCUS file set in ``raw_focus`` (also AWS's FOCUS export); ``columns`` if described already."""
    columns = columns or describe(con, files)
    by_lower = {name.lower(): name for name in columns}
    missing = [c for c in REQUIRED_FOCUS_COLUMNS if c.lower() not in by_lower]
    if missing:
        raise FinopsError(f"{files.label()}: missing required FOCUS column(s) {', '.join(missing)}; not a FOCUS file")

    check_types(con, files, {
        by_lower[c.lower()]: (t, by_lower[c.lower()], c in ID_COLUMNS) for c, t in FOCUS_COLUMNS.items() if c.lower() in by_lower
    })
    parts = []
    for column, target in FOCUS_COLUMNS.items():
        original = by_lower.get(column.lower())
        parts.append(f"{_typed(original, columns.get(original, ''), target)} as {sql_identifier(column)}")
    known = {c.lower() for c in FOCUS_COLUMNS}
    extras = [name for name in columns if name.lower() not in known and name != "filename"]
    if extras:
        entries = ", ".join(
            f"{{'key': {sql_literal(n)}, 'value': nullif(trim(cast({sql_identifier(n)} as varchar)), '')}}" for n in extras
        )
        parts.append(f"map_from_entries(list_filter([{entries}], lambda e: e.value is not null)) as x_ExtraColumns")
    else:
        parts.append(f"cast(map() as {MAP_TYPE}) as x_ExtraColumns")

    load_id = next_load_id(con)
    try:
        con.execute(
            f"insert into raw_focus by name select {', '.join(parts)}, {load_id} as x_load_id, "
            f"filename as x_source_file from {files.reader()}"
        )
    except duckdb.ConversionException as exc:
        casts = {
            by_lower[c.lower()]: (_cast_type(t), by_lower[c.lower()])
            for c, t in FOCUS_COLUMNS.items()
            if c.lower() in by_lower and t != "VARCHAR" and (columns[by_lower[c.lower()]] == "VARCHAR" or t != MAP_TYPE)
        }
        raise (find_bad_value(files, casts) or FinopsError(f"{files.label()}: {exc}")) from None
    except duckdb.Error as exc:
        raise diagnose(files, exc) from None

    return Landed(shape, FOCUS, [(load_id, delivery.delivery_id)], files)


def check(con: duckdb.DuckDBPyConnection, delivery: Delivery, landed: Landed) -> None:
    """The bill checks: rows, accounts, periods, totals and currencies present and sound."""
    check_landed(con, FOCUS, landed.loads[0][0], landed.files)


def _cast_type(target: str) -> str:
    """What a text value must parse as (tags and price details arrive as JSON text)."""
    return "JSON" if target == MAP_TYPE else ("TIMESTAMPTZ" if target == "TIMESTAMP" else target)


def _typed(original: str | None, source_type: str, target: str) -> str:
    if original is None:
        return f"cast(null as {target})"
    col = sql_identifier(original)
    if source_type == "VARCHAR":
        value = f"nullif(trim({col}), '')"
        if target == MAP_TYPE:
            return f"cast(cast({value} as json) as {MAP_TYPE})"
        if target == "TIMESTAMP":
            return f"cast(cast({value} as timestamptz) as timestamp)"
        return value if target == "VARCHAR" else f"cast({value} as {target})"
    if target == "VARCHAR":
        return f"nullif(trim(cast({col} as varchar)), '')"
    if target == MAP_TYPE and source_type.startswith("STRUCT"):
        return f"cast(cast(to_json({col}) as json) as {MAP_TYPE})"
    return f"cast({col} as {target})"


register(SourceKind(
    "focus",
    "FOCUS 1.0 to 1.2 files (CSV or Parquet) from any provider",
    ("a directory or file", "s3://BUCKET/PREFIX"),
    discover_at, land, check,
    example="finops ingest focus ./focus-export.parquet",
    options=("endpoint_url",),
))
