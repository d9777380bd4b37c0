"""FOCUS connector: land FOCUS files (any provider, FOCUS 1.0 to 1.4) in ``raw_focus``, and FOCUS
Contract Commitment files in ``raw_focus_contract_commitments``.

The version is told from the columns (the spec has no version column): 1.3 added
ServiceProviderName and HostProviderName, 1.4 removed ProviderName and PublisherName, which are then
filled from ServiceProviderName so SQL written for 1.2 keeps working. A file with the Contract
Commitment dataset's key columns is that dataset, whatever else it has.

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
from finops.warehouse.columns.focus import (
    CONTRACT_COMMITMENT_COLUMNS,
    CONTRACT_COMMITMENT_KEYS,
    DEPRECATED_ALIASES,
    FOCUS_1_3_COLUMNS,
    FOCUS_COLUMNS,
    REQUIRED_FOCUS_COLUMNS,
    focus_version,
)
from finops.warehouse.connection import next_load_id, sql_identifier, sql_literal
from finops.warehouse.loads import FOCUS, FOCUS_CONTRACT_COMMITMENTS, LandingTable

SHAPE = "focus"
SHAPE_COMMITMENTS = "focus-contract-commitments"
FILE_COLUMNS = {**FOCUS_COLUMNS, **FOCUS_1_3_COLUMNS}
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
    """Insert a FOCUS file set in ``raw_focus`` (also AWS's FOCUS export), or a Contract Commitment
    file set in ``raw_focus_contract_commitments``; ``columns`` if described already."""
    columns = columns or describe(con, files)
    by_lower = {name.lower(): name for name in columns}
    if all(key.lower() in by_lower for key in CONTRACT_COMMITMENT_KEYS):
        parts = _select_list(columns, CONTRACT_COMMITMENT_COLUMNS, {})
        return _insert_rows(con, files, columns, CONTRACT_COMMITMENT_COLUMNS, FOCUS_CONTRACT_COMMITMENTS, parts,
                            delivery, SHAPE_COMMITMENTS)
    missing = [c for c in REQUIRED_FOCUS_COLUMNS if c.lower() not in by_lower]
    if "providername" not in by_lower and "serviceprovidername" not in by_lower:
        missing.append("ProviderName (or ServiceProviderName)")
    if missing:
        raise FinopsError(f"{files.label()}: missing required FOCUS column(s) {', '.join(missing)}; not a FOCUS file")
    parts = _select_list(columns, FILE_COLUMNS, DEPRECATED_ALIASES)
    parts.append(f"{sql_literal(focus_version(list(columns)))} as x_FocusVersion")
    return _insert_rows(con, files, columns, FILE_COLUMNS, FOCUS, parts, delivery, shape)


def _select_list(columns: dict[str, str], targets: dict[str, str], aliases: dict[str, str]) -> list[str]:
    """Each target column typed from the file's column of that name (any case), else from the column
    ``aliases`` says replaced it, else null; the file's other columns into ``x_ExtraColumns``."""
    by_lower = {name.lower(): name for name in columns}
    parts = []
    for column, target in targets.items():
        original = by_lower.get(column.lower()) or by_lower.get(aliases.get(column, "").lower())
        parts.append(f"{_typed(original, columns.get(original, ''), target)} as {sql_identifier(column)}")
    known = {c.lower() for c in targets}
    extras = [name for name in columns if name.lower() not in known and name != "filename"]
    if extras:
        entries = ", ".join(
            f"{{'key': {sql_literal(n)}, 'value': nullif(trim(cast({sql_identifier(n)} as varchar)), '')}}" for n in extras
        )
        parts.append(f"map_from_entries(list_filter([{entries}], lambda e: e.value is not null)) as x_ExtraColumns")
    else:
        parts.append(f"cast(map() as {MAP_TYPE}) as x_ExtraColumns")
    return parts


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    files: FileSet,
    columns: dict[str, str],
    targets: dict[str, str],
    landing: LandingTable,
    parts: list[str],
    delivery: Delivery,
    shape: str,
) -> Landed:
    """Insert the rows under a new load id; a value that does not parse is named with its file and column."""
    by_lower = {name.lower(): name for name in columns}
    check_types(con, files, {
        by_lower[c.lower()]: (t, by_lower[c.lower()], c in ID_COLUMNS) for c, t in targets.items() if c.lower() in by_lower
    })
    load_id = next_load_id(con)
    try:
        con.execute(
            f"insert into {landing.table} by name select {', '.join(parts)}, {load_id} as x_load_id, "
            f"filename as x_source_file from {files.reader()}"
        )
    except duckdb.ConversionException as exc:
        casts = {
            by_lower[c.lower()]: (_cast_type(t), by_lower[c.lower()])
            for c, t in targets.items()
            if c.lower() in by_lower and t != "VARCHAR" and (columns[by_lower[c.lower()]] == "VARCHAR" or t != MAP_TYPE)
        }
        raise (find_bad_value(files, casts) or FinopsError(f"{files.label()}: {exc}")) from None
    except duckdb.Error as exc:
        raise diagnose(files, exc) from None

    return Landed(shape, landing, [(load_id, delivery.delivery_id)], files)


def check(con: duckdb.DuckDBPyConnection, delivery: Delivery, landed: Landed) -> None:
    """The bill checks: rows, accounts, periods, totals and currencies present and sound (for a
    Contract Commitment file: commitments, contracts and periods)."""
    check_landed(con, landed.landing, landed.loads[0][0], landed.files)


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
    "FOCUS 1.0 to 1.4 files (CSV or Parquet) from any provider, and FOCUS Contract Commitment files",
    ("a directory or file", "s3://BUCKET/PREFIX"),
    discover_at, land, check,
    example="finops ingest focus ./focus-export.parquet",
    options=("endpoint_url",),
))
