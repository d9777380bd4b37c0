"""Every Cloud Billing export source, normalised to ``raw_gcp_billing``'s columns by one SELECT.

The SELECT is built from the source's own types, so a field an older export lacks is simply null,
and money is cast to DECIMAL from the number's text.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from finops.connectors.readers import FileSet
from finops.connectors.validation import type_problem
from finops.errors import FinopsError
from finops.warehouse.columns.gcp import FIELDS, KIND_TYPES
from finops.warehouse.connection import sql_identifier, sql_literal


@dataclass
class ExportInput:
    """One readable relation of export rows: SQL to select from, its types, and what to name in errors."""

    sql: str
    types: dict[str, duckdb.DuckDBPyType]
    files: FileSet
    filename: str  # SQL expression for x_source_file


def locate(types: dict[str, duckdb.DuckDBPyType], path: tuple[str, ...]) -> tuple[str, duckdb.DuckDBPyType] | None:
    """The SQL expression and type of a (nested) field, or None when the source lacks it."""
    typ = types.get(path[0])
    expr = sql_identifier(path[0])
    for part in path[1:]:
        if typ is None or typ.id != "struct":
            return None
        children = dict(typ.children)
        if part not in children:
            return None
        expr, typ = f"struct_extract({expr}, {sql_literal(part)})", children[part]
    return None if typ is None else (expr, typ)


def _scalar(expr: str, typ: duckdb.DuckDBPyType, kind: str) -> str:
    tid = typ.id
    if kind == "str":
        return f"nullif(cast({expr} as varchar), '')"
    if kind == "money":
        if tid == "varchar":
            return f"cast(nullif(trim({expr}), '') as {KIND_TYPES['money']})"
        if tid in ("double", "float"):  # through the shortest text that round-trips: 0.1 stays 0.1
            return f"cast(cast({expr} as varchar) as {KIND_TYPES['money']})"
        return f"cast({expr} as {KIND_TYPES['money']})"
    if kind == "ts":
        if tid == "varchar":  # '2026-10-01 07:00:00 UTC', '2026-10-01T07:00:00Z', ...
            return f"cast(cast(nullif(trim({expr}), '') as timestamptz) as timestamp)"
        if tid == "bigint":  # Avro timestamp-micros without its logical type
            return f"make_timestamp({expr})"
        return f"cast({expr} as timestamp)"
    if kind == "bool":
        return f"cast({expr} as boolean)"
    raise AssertionError(kind)


_LIST_FIELDS = {
    "kv": (("key", "str"), ("value", "str")),
    "credits": (("id", "str"), ("full_name", "str"), ("type", "str"), ("name", "str"), ("amount", "money")),
    "tags": (("key", "str"), ("value", "str"), ("inherited", "bool"), ("namespace", "str")),
}


ID_FIELDS = ("billing_account_id", "project.id", "project.number")  # 1.0 would be another project


def _convert(found: tuple[str, duckdb.DuckDBPyType] | None, kind: str, name: str, label: str) -> str:
    if found is None:
        return f"cast(null as {KIND_TYPES[kind]})"
    expr, typ = found
    if kind not in _LIST_FIELDS:
        checked = kind == "money" or (kind == "ts" and typ.id != "bigint") or name in ID_FIELDS
        problem = checked and type_problem(str(typ), KIND_TYPES[kind], identifier=name in ID_FIELDS)
        if problem:
            raise FinopsError(f"{label}: field {name} {problem}")
        return _scalar(expr, typ, kind)
    if typ.id != "list" or typ.children[0][1].id != "struct":
        raise FinopsError(f"{label}: field {name} is {typ}, not a list of records as the export writes it")
    children = dict(typ.children[0][1].children)
    parts = []
    for field, fkind in _LIST_FIELDS[kind]:
        if field in children:
            value = _scalar(f"e.{sql_identifier(field)}", children[field], fkind)
            if fkind == "str":
                value = f"cast(e.{sql_identifier(field)} as varchar)"  # keep '' label values as they are
        else:
            value = f"cast(null as {'BOOLEAN' if fkind == 'bool' else KIND_TYPES.get(fkind, 'VARCHAR')})"
        parts.append(f"{sql_literal(field)}: {value}")
    return f"cast(list_transform({expr}, lambda e: {{{', '.join(parts)}}}) as {KIND_TYPES[kind]})"


def normalised_select(relation: str, types: dict[str, duckdb.DuckDBPyType], label: str, filename: str) -> str:
    """DuckDB SQL selecting raw_gcp_billing's columns (but x_load_id) from ``relation`` of ``types``.

    Public because the Spark engine compiles this very query to land exports: one typing rule for
    every engine. ``label`` names the source in errors, ``filename`` is the x_source_file expression."""
    parts = [
        f"{_convert(locate(types, path), kind, '.'.join(path), label)} as {name}"
        for name, (path, kind) in FIELDS.items()
    ]
    parts.append(f"{filename} as x_source_file")
    return (
        f"select *, date_trunc('day', usage_start_time) as usage_day, "
        f"date_trunc('day', usage_start_time) + interval 1 day as usage_day_end "
        f"from (select {', '.join(parts)} from {relation})"
    )


def normalised(source: ExportInput) -> str:
    """The normalising SELECT of one input."""
    return normalised_select(source.sql, source.types, source.files.label(), source.filename)
