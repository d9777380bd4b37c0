"""FOCUS connector: land FOCUS files (any provider, FOCUS 1.0 to 1.2) in ``raw_focus``.

Real exports have quirks this survives: the literal string ``NULL`` for nulls, timestamps with no
zone (taken as UTC), tags as JSON text, columns the spec does not define (kept in
``x_ExtraColumns`` so nothing is lost), and allowed values in the wrong case (fixed in staging).
"""

from __future__ import annotations

import duckdb

from finops.errors import FinopsError
from finops.warehouse.columns.focus import FOCUS_COLUMNS, REQUIRED_FOCUS_COLUMNS
from finops.warehouse.loads import FOCUS, LoadResult, replace_periods
from finops.connectors.readers import FileSet, describe, diagnose, find_bad_value
from finops.connectors.validation import check_landed
from finops.warehouse.connection import sql_identifier, sql_literal

SHAPE = "focus"
MAP_TYPE = "MAP(VARCHAR, VARCHAR)"


def land(
    con: duckdb.DuckDBPyConnection,
    files: FileSet,
    columns: dict[str, str] | None,
    load_id: int,
    *,
    shape: str = SHAPE,
    delivery_id: str,
    source: str,
) -> LoadResult:
    """Insert a FOCUS file set under ``load_id``; it replaces the periods it covers."""
    columns = columns or describe(con, files)
    by_lower = {name.lower(): name for name in columns}
    missing = [c for c in REQUIRED_FOCUS_COLUMNS if c.lower() not in by_lower]
    if missing:
        raise FinopsError(f"{files.label()}: missing required FOCUS column(s) {', '.join(missing)}; not a FOCUS file")

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

    try:
        con.execute(
            f"insert into raw_focus by name select {', '.join(parts)}, {load_id} as x_load_id, "
            f"filename as x_source_file from {files.reader()}"
        )
    except duckdb.ConversionException as exc:
        casts = {
            by_lower[c.lower()]: (_cast_type(t), by_lower[c.lower()])
            for c, t in FOCUS_COLUMNS.items()
            if c.lower() in by_lower and t != "VARCHAR" and columns[by_lower[c.lower()]] == "VARCHAR"
        }
        raise (find_bad_value(files, casts) or FinopsError(f"{files.label()}: {exc}")) from None
    except duckdb.Error as exc:
        raise diagnose(files, exc) from None

    check_landed(con, FOCUS, load_id, files)
    return replace_periods(
        con, FOCUS, load_id=load_id, source=source, shape=shape, delivery_id=delivery_id, files=list(files.uris)
    )


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
