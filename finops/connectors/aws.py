"""AWS connector: find CUR deliveries in a directory or S3 prefix and land them in ``raw_aws_cur``.

Recognised without being told: legacy CUR with manifests (CSV.gz or Parquet), CUR 2.0 Data
Exports (Parquet with MAP columns, metadata manifests), the AWS FOCUS export, and loose CUR files
with no manifest. Each delivery replaces the billing periods it covers (see ``loads``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import duckdb

from finops.connectors import focus as focus_connector
from finops.connectors.contents import check_claims
from finops.connectors.loose import DATA_SUFFIXES, fingerprint, loose_deliveries
from finops.connectors.readers import FileSet, describe, diagnose, file_set, find_bad_value, original_headers
from finops.connectors.registry import Delivery, IngestOptions, Landed, SourceKind, register
from finops.connectors.sources import Source, SourceFile, open_source
from finops.connectors.validation import check_landed, check_types
from finops.errors import FinopsError
from finops.warehouse.columns.cur import CUR_COLUMNS, LEGACY_MAP_PREFIXES, REQUIRED_COLUMNS, snake_case
from finops.warehouse.connection import next_load_id, sql_identifier, sql_literal
from finops.warehouse.loads import AWS_CUR

LEGACY_PERIOD_DIR = re.compile(r"^(\d{8})-(\d{8})$")
CUR2_PERIOD_DIR = re.compile(r"^BILLING_PERIOD=(\d{4})-(\d{2})$")

SHAPE_LEGACY = "aws-cur-legacy"
SHAPE_CUR2 = "aws-cur2"
SHAPE_FOCUS = "aws-focus"

# Display names for messages about the columns a CUR cannot do without.
LEGACY_HEADERS = {
    "bill_payer_account_id": "bill/PayerAccountId",
    "bill_billing_period_start_date": "bill/BillingPeriodStartDate",
    "bill_billing_period_end_date": "bill/BillingPeriodEndDate",
    "line_item_line_item_type": "lineItem/LineItemType",
    "line_item_usage_start_date": "lineItem/UsageStartDate",
    "line_item_usage_end_date": "lineItem/UsageEndDate",
    "line_item_product_code": "lineItem/ProductCode",
    "line_item_unblended_cost": "lineItem/UnblendedCost",
    "line_item_currency_code": "lineItem/CurrencyCode",
}
ACCOUNT_COLUMNS = ("bill_payer_account_id", "line_item_usage_account_id")
# An AWS billing period is a UTC calendar month; a value written with an offset (2026-09-01T00:00:00+05:00
# is 2026-08-31 19:00 UTC) is the same period, so it is rounded to the nearest month start.
PERIOD_COLUMNS = ("bill_billing_period_start_date", "bill_billing_period_end_date")


def discover(source: Source) -> list[Delivery]:
    """Find every delivery below a source root, following manifests where there are any.

    Data files inside a billing period folder that has a manifest belong to that manifest: AWS
    keeps older assemblies beside the current one, and only the manifest says which is current.
    """
    by_rel = source.by_rel()
    deliveries: list[Delivery] = []
    claimed: list[str] = []  # folder prefixes whose data files a manifest accounts for

    manifests = sorted((f for f in source.files if f.name.endswith("Manifest.json")), key=lambda f: f.rel)
    period_level = {str(PurePosixPath(m.rel).parent) for m in manifests if LEGACY_PERIOD_DIR.match(PurePosixPath(m.rel).parent.name)}
    for manifest in manifests:
        rel = PurePosixPath(manifest.rel)
        if LEGACY_PERIOD_DIR.match(rel.parent.name):
            period_dir = rel.parent
        elif LEGACY_PERIOD_DIR.match(rel.parent.parent.name) and str(rel.parent.parent) not in period_level:
            period_dir = rel.parent.parent
        elif CUR2_PERIOD_DIR.match(rel.parent.name) and rel.parent.parent.name == "metadata":
            deliveries.append(_cur2_delivery(source, manifest, by_rel, claimed))
            continue
        else:
            continue  # an assembly copy of a period manifest, or not a CUR manifest
        deliveries.append(_legacy_delivery(source, manifest, period_dir, by_rel))
        claimed.append(_prefix(period_dir))

    deliveries.extend(loose_deliveries(source, claimed))
    if not deliveries:
        raise FinopsError(
            f"{source.root}: no CUR files found (looked for *-Manifest.json, .csv, .csv.gz and .parquet files)"
        )
    return deliveries


def _prefix(path: PurePosixPath) -> str:
    return "" if str(path) == "." else f"{path}/"


def _load_manifest(source: Source, manifest: SourceFile) -> dict:
    try:
        data = json.loads(source.read_text(manifest))
    except json.JSONDecodeError as exc:
        raise FinopsError(f"{manifest.uri}: manifest is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:  # a manifest is a few levels deep; thousands are not a manifest
        raise FinopsError(f"{manifest.uri}: manifest is nested too deeply to be a CUR manifest") from None
    if not isinstance(data, dict):
        raise FinopsError(f"{manifest.uri}: manifest is not a JSON object")
    return data


def _legacy_delivery(
    source: Source, manifest: SourceFile, period_dir: PurePosixPath, by_rel: dict[str, SourceFile]
) -> Delivery:
    data = _load_manifest(source, manifest)
    keys = data.get("reportKeys")
    assembly = data.get("assemblyId")
    if not isinstance(keys, list) or not keys or not assembly:
        raise FinopsError(f"{manifest.uri}: manifest has no reportKeys or assemblyId")
    files = [_resolve_key(str(key), period_dir, manifest, by_rel) for key in keys]
    start = LEGACY_PERIOD_DIR.match(period_dir.name).group(1)
    return Delivery(manifest.uri, files, f"assembly:{assembly}", f"{start[:4]}-{start[4:6]}-{start[6:]}", source,
                    manifest=manifest)


def _cur2_delivery(
    source: Source, manifest: SourceFile, by_rel: dict[str, SourceFile], claimed: list[str]
) -> Delivery:
    rel = PurePosixPath(manifest.rel)
    export_dir = rel.parent.parent.parent
    data_dir = export_dir / "data" / rel.parent.name
    claimed.append(_prefix(data_dir))
    data = _load_manifest(source, manifest)
    listed = data.get("dataFiles") or data.get("reportKeys") or []
    if listed:
        files = [_resolve_key(_entry_key(entry, manifest), data_dir, manifest, by_rel) for entry in listed]
    else:
        files = [f for f in source.files if f.rel.startswith(_prefix(data_dir)) and f.name.endswith(DATA_SUFFIXES)]
        if not files:
            raise FinopsError(f"{manifest.uri}: no data files under {data_dir}/")
    year, month = CUR2_PERIOD_DIR.match(rel.parent.name).groups()
    execution = data.get("executionId")
    delivery_id = f"execution:{execution}" if execution else "files:" + fingerprint(files)
    return Delivery(manifest.uri, files, delivery_id, f"{year}-{month}-01", source, manifest=manifest)


def _entry_key(entry: object, manifest: SourceFile) -> str:
    """Data Exports manifests list files as strings or as objects; accept both."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        for value in entry.values():
            if isinstance(value, str) and value.endswith(DATA_SUFFIXES):
                return value
    raise FinopsError(f"{manifest.uri}: cannot tell the file name from manifest entry {entry!r}")


def _resolve_key(key: str, folder: PurePosixPath, manifest: SourceFile, by_rel: dict[str, SourceFile]) -> SourceFile:
    """Find a file a manifest lists (by S3 key or URI) relative to where the manifest is now.

    Keys name the bucket's original prefix; the files may since have been copied elsewhere, so the
    key is matched from the period folder's name onwards.
    """
    marker = f"/{folder.name}/"
    tail = key.split(marker, 1)[1] if marker in key else PurePosixPath(key).name
    candidate = by_rel.get(str(folder / tail)) or by_rel.get(str(PurePosixPath(tail)))
    if candidate is None:
        raise FinopsError(f"{manifest.uri}: lists {key}, which is missing")
    return candidate


def detect_shape(columns: dict[str, str], label: str) -> str:
    names = set(columns)
    if {"BilledCost", "ChargePeriodStart"} <= names:
        return SHAPE_FOCUS
    snake = {snake_case(n) for n in names}
    if "bill_payer_account_name" in snake:
        return SHAPE_CUR2
    if "line_item_unblended_cost" in snake or "line_item_line_item_type" in snake:
        return SHAPE_LEGACY
    raise FinopsError(f"{label}: not an AWS Cost and Usage Report (no lineItem/UnblendedCost or line_item_* columns)")


@contextmanager
def discover_at(location: str, options: IngestOptions) -> Iterator[list[Delivery]]:
    """The deliveries at a directory, file or S3 prefix, downloadable until the context ends."""
    with open_source(location, endpoint_url=options.endpoint_url) as source:
        yield discover(source)


def land(con: duckdb.DuckDBPyConnection, delivery: Delivery, paths: list[Path], options: IngestOptions) -> Landed:
    """Insert one delivery under a new load id, in ``raw_aws_cur`` (or ``raw_focus`` for AWS's FOCUS export)."""
    files = file_set(paths, [f.uri for f in delivery.files])
    columns = describe(con, files)
    shape = detect_shape(columns, files.label())
    if shape == SHAPE_FOCUS:
        return focus_connector.insert(con, files, columns, delivery, shape=shape)

    sources = {snake_case(name): name for name in columns}
    missing = [c for c in REQUIRED_COLUMNS if c not in sources]
    if missing:
        shown = ", ".join(LEGACY_HEADERS[c] if files.fmt == "csv" and shape == SHAPE_LEGACY else c for c in missing)
        raise FinopsError(f"{files.label()}: missing required column(s) {shown}; not a complete CUR")

    headers = original_headers(files)
    check_types(con, files, {
        sources[c]: (typ, headers.get(sources[c], sources[c]), c in ACCOUNT_COLUMNS) for c, typ in CUR_COLUMNS.items() if c in sources
    })
    load_id = next_load_id(con)
    try:
        for part in _parts(files):
            part_columns = columns if part is files else describe(con, part)
            part_sources = {snake_case(name): name for name in part_columns}
            select = cur_select_list(part_columns, part_sources, headers if part is files else original_headers(part))
            con.execute(
                f"insert into raw_aws_cur by name select {select}, {load_id} as x_load_id, "
                f"filename as x_source_file from {part.reader()}"
            )
    except duckdb.ConversionException as exc:
        casts = {sources[c]: (typ, sources[c]) for c, typ in CUR_COLUMNS.items() if c in sources and typ != "VARCHAR"}
        raise (find_bad_value(files, casts) or FinopsError(f"{files.label()}: {exc}")) from None
    except duckdb.Error as exc:
        raise diagnose(files, exc) from None
    return Landed(shape, AWS_CUR, [(load_id, delivery.delivery_id)], files)


def _parts(files: FileSet) -> list[FileSet]:
    """The file sets to insert one after another: a CSV delivery file by file, so memory stays flat
    (DuckDB's CSV reader holds a wide legacy CUR's files together beyond what it can spill: a 10M-line
    one ran out of memory under a 3 GB cap); Parquet, which DuckDB streams, in one statement."""
    if files.fmt != "csv" or len(files.paths) == 1:
        return [files]
    return [FileSet((path,), (uri,), files.fmt) for path, uri in zip(files.paths, files.uris)]


def check(con: duckdb.DuckDBPyConnection, delivery: Delivery, landed: Landed) -> None:
    """The bill checks, with CUR's own header names; a manifest's period must be the rows' period."""
    if landed.landing is not AWS_CUR:
        focus_connector.check(con, delivery, landed)
        return
    (load_id, _), files = landed.loads[0], landed.files
    display = LEGACY_HEADERS if landed.shape == SHAPE_LEGACY and files.fmt == "csv" else {}
    check_landed(con, AWS_CUR, load_id, files, expected_period=delivery.period_start, display=display)
    check_claims(con, AWS_CUR.table, load_id, files, ("identity_line_item_id", "identity_time_interval"), AWS_CUR.period_start)


def cur_select_list(columns: dict[str, str], sources: dict[str, str], headers: dict[str, str] | None = None) -> str:
    """The SELECT list that maps any AWS CUR shape onto ``raw_aws_cur``'s columns."""
    has_product_map = "product" in sources and columns[sources["product"]].startswith("MAP")
    parts = []
    for column, target in CUR_COLUMNS.items():
        if column in sources:
            expr = typed(sources[column], columns[sources[column]], target)
            if column in ACCOUNT_COLUMNS and columns[sources[column]] in ("BIGINT", "INTEGER", "HUGEINT", "UBIGINT"):
                expr = f"lpad(cast({sql_identifier(sources[column])} as varchar), 12, '0')"
        elif has_product_map and column.startswith("product_"):
            key = column.removeprefix("product_")
            value = f"nullif(trim(element_at({sql_identifier(sources['product'])}, {sql_literal(key)})[1]), '')"
            expr = f"cast({value} as {target})"
        else:
            expr = f"cast(null as {target})"
        if column in PERIOD_COLUMNS:
            expr = f"date_trunc('month', {expr} + interval 14 day)"
        parts.append(f"{expr} as {column}")
    parts.extend(_map_columns(columns, sources, headers or {}))
    return ",\n    ".join(parts)


def typed(column: str, source_type: str, target: str) -> str:
    """Cast a source column to its landing type; text is trimmed and '' means null."""
    col = sql_identifier(column)
    if source_type == "VARCHAR":
        value = f"nullif(trim({col}), '')"
        if target == "TIMESTAMP":
            return f"cast(cast({value} as timestamptz) as timestamp)"
        return value if target == "VARCHAR" else f"cast({value} as {target})"
    if target == "VARCHAR":
        return f"nullif(trim(cast({col} as varchar)), '')"
    return f"cast({col} as {target})"


def _map_columns(columns: dict[str, str], sources: dict[str, str], headers: dict[str, str]) -> list[str]:
    """Tags, cost categories, extra product attributes and discounts as MAP(VARCHAR, VARCHAR).

    CUR 2.0 delivers them as maps already; legacy CUR has one column per key. User tags lose
    their ``user:`` prefix (``user:team`` becomes ``team``); AWS-generated ones keep ``aws:``.
    """
    out = []
    for map_column in ("resource_tags", "cost_category", "product", "discount"):
        if map_column in sources and columns[sources[map_column]].startswith(("MAP", "VARCHAR", "JSON")):
            out.append(f"{_delivered_map(map_column, sources[map_column], columns[sources[map_column]])} as {map_column}")
            continue
        entries = []
        for snake, original in sources.items():
            key = _legacy_map_key(map_column, snake, headers.get(original, original))
            if key is None:
                continue
            value = f"nullif(trim(cast({sql_identifier(original)} as varchar)), '')"
            entries.append(f"{{'key': {sql_literal(key)}, 'value': {value}}}")
        if entries:
            out.append(
                f"map_from_entries(list_filter([{', '.join(entries)}], lambda e: e.value is not null)) as {map_column}"
            )
        else:
            out.append(f"cast(map() as map(varchar, varchar)) as {map_column}")
    return out


def _delivered_map(map_column: str, name: str, source_type: str) -> str:
    """A map column as CUR 2.0 (or a JSON text column) delivers it, typed MAP(VARCHAR, VARCHAR).

    Rebuilding a map entry by entry is the costliest part of landing, so it happens only where it
    changes something: tags and cost categories lose empty values, and tags their ``user`` prefix
    (per row only when a value is empty, else by renaming the keys alone); product attributes and
    discounts, which no model reads, are kept as delivered."""
    source = sql_identifier(name)
    if not source_type.startswith("MAP"):
        source = f"cast(cast(nullif(trim({source}), '') as json) as map(varchar, varchar))"
    elif source_type != "MAP(VARCHAR, VARCHAR)":
        source = f"cast({source} as map(varchar, varchar))"
    source = f"coalesce({source}, map())"
    if map_column in ("product", "discount"):
        return source
    has_empty = f"list_bool_or(list_transform(map_values({source}), lambda v: nullif(trim(v), '') is null))"
    if map_column == "cost_category":
        kept = f"map_from_entries(list_filter(map_entries({source}), lambda e: nullif(trim(e.value), '') is not null))"
        return f"case when {has_empty} then {kept} else {source} end"
    unprefixed = "case when starts_with({0}, 'user:') or starts_with({0}, 'user_') then substr({0}, 6) else {0} end"
    kept = (
        f"map_from_entries(list_transform(list_filter(map_entries({source}), lambda e: nullif(trim(e.value), '') is not null), "
        f"lambda e: {{'key': {unprefixed.format('e.key')}, 'value': e.value}}))"
    )
    renamed = f"map(list_transform(map_keys({source}), lambda k: {unprefixed.format('k')}), map_values({source}))"
    return f"case when {has_empty} then {kept} else {renamed} end"


def _legacy_map_key(map_column: str, snake: str, original: str) -> str | None:
    """The map key a legacy column contributes to ``map_column``, or None if it is not one."""
    if "/" in original:
        category, _, name = original.partition("/")
        if LEGACY_MAP_PREFIXES.get(category) == map_column:
            return re.sub(r"^user:", "", name) if map_column == "resource_tags" else name
        if category == map_column and snake not in CUR_COLUMNS:  # product/..., discount/...
            return snake.removeprefix(f"{map_column}_")
        return None
    prefix = f"{map_column}_"
    if snake.startswith(prefix) and snake not in CUR_COLUMNS:
        key = snake.removeprefix(prefix)
        return re.sub(r"^user_", "", key) if map_column == "resource_tags" else key
    return None


register(SourceKind(
    "aws",
    "AWS Cost and Usage Reports: legacy CUR, CUR 2.0 Data Exports and the AWS FOCUS export, found by their manifests",
    ("a directory or file", "s3://BUCKET/PREFIX"),
    discover_at, land, check,
    example="finops ingest aws ./cur-exports/\n  finops ingest aws s3://my-billing-bucket/cur/ --endpoint-url http://127.0.0.1:9000",
    options=("endpoint_url",),
))
