"""SQL that turns ``items`` into the rows of one on-disk shape: legacy CSV, legacy Parquet or CUR 2.0.

CSV is text exactly as AWS writes it; Parquet and CUR 2.0 are typed (money as DOUBLE, as AWS's
Parquet has it), and CUR 2.0 folds tags, cost categories and some product columns into MAPs.
"""

from __future__ import annotations

import re

import duckdb

from finops.demo.aws.catalogue import PAYER_NAME
from finops.demo.aws.columns import CUR2_PRODUCT_KEYS, LEGACY, cur2_columns, map_key
from finops.demo.aws.resources import Plan
from finops.warehouse.columns.cur import CUR_COLUMNS, snake_case

_TS_FMT = "%Y-%m-%dT%H:%M:%SZ"
_INTERVAL = f"strftime(i.t0, '{_TS_FMT}') || '/' || strftime(i.t1, '{_TS_FMT}')"
_ITEM_REF = re.compile(r"\bi\.")
_ROW_REF = re.compile(r"\b[ra]\.")  # resource/account references inside row-level expressions


def _fill(expr: str, plan: Plan) -> str:
    """A column expression with the bill's constants (payer, period bounds) filled in."""
    p = plan.period
    return expr.format(
        payer=f"'{plan.accounts['payer'].account_id}'",
        period_start=f"TIMESTAMP '{p.start:%Y-%m-%d %H:%M:%S}'",
        period_end=f"TIMESTAMP '{p.end:%Y-%m-%d %H:%M:%S}'",
    )


def _fmt_csv(kind: str, e: str) -> str:
    """CSV text as AWS writes it: ISO timestamps with Z, plain decimals, empty for null."""
    if kind == "interval":
        return _INTERVAL
    if kind == "ts":
        return f"strftime({e}, '{_TS_FMT}')"
    if kind == "num":  # up to 10 decimals, trailing zeros dropped ("32.7726", "0", "-1.5")
        return f"rtrim(rtrim(CAST(CAST({e} AS DECIMAL(38,10)) AS VARCHAR), '0'), '.')"
    if kind == "raw":
        return e
    return f"NULLIF({e}, '')"


def _fmt_typed(kind: str, e: str) -> str:
    """Parquet values: TIMESTAMP, DOUBLE money (as AWS's Parquet has), NULL for empty strings."""
    if kind == "interval":
        return _INTERVAL
    if kind == "ts":
        return f"CAST({e} AS TIMESTAMP)"
    if kind == "num":
        return f"CAST({e} AS DOUBLE)"
    if kind == "raw":
        return e
    return f"NULLIF({e}, '')"


def _map_expr(pairs: list[tuple[str, str]]) -> str:
    """A CUR 2.0 MAP column of (key, expression) pairs, without the keys whose value is empty."""
    entries = ", ".join(f"{{'key': '{k}', 'value': NULLIF({e}, '')}}" for k, e in pairs)
    return (f"CAST(map_from_entries(list_filter([{entries}], lambda x: x.value IS NOT NULL))"
            f" AS MAP(VARCHAR, VARCHAR))")


def _cur2_columns(plan: Plan) -> list[tuple[str, str, str]]:
    """(column, kind, SQL expression) of CUR 2.0, in its column order."""
    by_name: dict[str, tuple[str, str]] = {}
    maps: dict[str, list[tuple[str, str]]] = {"resource_tags": [], "cost_category": [], "product": []}
    for header, kind, expr in LEGACY:
        e = _fill(expr, plan)
        if header.startswith("resourceTags/"):
            maps["resource_tags"].append((map_key(header), e))
        elif header.startswith("costCategory/"):
            maps["cost_category"].append((map_key(header), e))
        elif header in CUR2_PRODUCT_KEYS:
            maps["product"].append((CUR2_PRODUCT_KEYS[header], e))
        else:
            by_name[snake_case(header)] = (kind, e)
    by_name["bill_payer_account_name"] = ("str", f"'{PAYER_NAME}'")
    by_name["line_item_usage_account_name"] = ("str", "a.account_name")
    for name, pairs in maps.items():
        by_name[name] = ("raw", _map_expr(pairs))
    by_name["discount"] = ("raw", "CAST(MAP() AS MAP(VARCHAR, VARCHAR))")
    out = []
    for name in cur2_columns():
        if name not in by_name:  # never filled for this account: the net_ (negotiated) variants
            t = CUR_COLUMNS.get(name, "VARCHAR")
            by_name[name] = ("raw", "CAST(NULL AS DOUBLE)" if t.startswith("DECIMAL") else f"CAST(NULL AS {t})")
        kind, e = by_name[name]
        out.append((name, kind, e))
    return out


def _shape_columns(plan: Plan, shape: str) -> list[tuple[str, str, str]]:
    """(output column, kind, SQL expression) for ``shape`` in csv / parquet / cur2."""
    if shape == "csv":
        return [(h, kind, _fill(e, plan)) for h, kind, e in LEGACY]
    if shape == "parquet":
        return [(snake_case(h), kind, _fill(e, plan)) for h, kind, e in LEGACY]
    return _cur2_columns(plan)


def projection(con: duckdb.DuckDBPyConnection, plan: Plan, shape: str) -> str:
    """Build ``rx`` (everything that is per resource, computed once) and return the row SELECT.

    Tags, product facts, descriptions and the CUR 2.0 maps depend only on the resource, so they
    are formatted for a few thousand resources instead of millions of line items; the row
    SELECT only formats the per-row numbers and dates and joins ``rx`` by ``rid``.
    """
    fmt = _fmt_csv if shape == "csv" else _fmt_typed
    rx_cols, out = [], []
    for k, (name, kind, expr) in enumerate(_shape_columns(plan, shape)):
        quoted = '"' + name.replace('"', '""') + '"'
        if kind == "interval" or _ITEM_REF.search(expr):
            out.append(f"{fmt(kind, _ROW_REF.sub('x.', expr))} AS {quoted}")
        else:
            rx_cols.append(f"{fmt(kind, expr)} AS c{k}")
            out.append(f"x.c{k} AS {quoted}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rx AS SELECT r.rid, r.norm_factor, "
        + ", ".join(rx_cols)
        + " FROM res r JOIN accounts a ON a.account_id = r.account_id"
    )
    return ",\n".join(out)


def rows_from(plan: Plan, lo: int = 0, hi: int = 1 << 15) -> str:
    """FROM clause over the line items whose slot starts in hours [lo, hi], joined to ``rx``.

    Dates and the line item id are derived here rather than stored: the id is a hash of
    (seed, period, resource, slot), so it is stable across restatements of the same month.
    """
    start, seed, label = f"{plan.period.start:%Y-%m-%d %H:%M:%S}", plan.seed, plan.period.label
    return f"""FROM (
        SELECT *, TIMESTAMP '{start}' + to_hours(h0) AS t0, TIMESTAMP '{start}' + to_hours(h0 + len) AS t1,
               md5(concat_ws('|', {seed}, '{label}', rid, h0))
                 || substr(md5(concat_ws('|', 'li', {seed}, '{label}', rid, h0)), 1, 20) AS line_item_id
        FROM items WHERE h0 BETWEEN {lo} AND {hi}) i
        JOIN rx x ON x.rid = i.rid"""
