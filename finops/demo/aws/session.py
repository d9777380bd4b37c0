"""A bill being written: its plan and line items, in a scratch DuckDB database."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from finops.demo.aws.items import build_items, resource_table
from finops.demo.aws.period import parse_period
from finops.demo.aws.plan import charges, fill, is_daily
from finops.demo.aws.resources import Plan, new_plan


@dataclass
class Session:
    """A scratch DuckDB database (file-backed, so big months spill to disk) and its plan."""

    con: duckdb.DuckDBPyConnection
    plan: Plan
    n: int  # line items
    tmp: tempfile.TemporaryDirectory  # type: ignore[type-arg]

    def close(self) -> None:
        self.con.close()
        self.tmp.cleanup()


def prepare(period: str, rows: int, seed: int, payer: str, cost_scale: float, final: bool,
            granularity: str, hostile_tags: bool = False) -> Session:
    """Plan resources for ``rows`` line items and materialise them in a scratch DuckDB."""
    if rows < 1:
        raise ValueError("rows must be positive")
    if cost_scale <= 0:
        raise ValueError("cost_scale must be positive")
    if not re.fullmatch(r"\d{12}", payer):
        raise ValueError("payer_account_id must be 12 digits")
    p = parse_period(period)
    scale = Decimal(str(cost_scale))
    plan = new_plan(p, seed, payer, scale, daily=is_daily(p, seed, payer, scale, granularity, rows),
                    hostile_tags=hostile_tags)
    resources = fill(plan, rows)
    resources += charges(plan, resources)
    tmp = tempfile.TemporaryDirectory(prefix="finops-generate-")
    try:
        # The line items live in a compressed on-disk table: 10 million rows need a few hundred
        # MB of buffer instead of several GB, and anything larger than memory spills to tmp.
        con = duckdb.connect(os.path.join(tmp.name, "bill.duckdb"),
                             config={"temp_directory": os.path.join(tmp.name, "spill")})
        con.execute("SET enable_progress_bar = false")
        con.register("res_arrow", resource_table(plan, resources))
        n = build_items(con, plan, final)
        con.unregister("res_arrow")
    except BaseException:
        tmp.cleanup()
        raise
    return Session(con, plan, n, tmp)
