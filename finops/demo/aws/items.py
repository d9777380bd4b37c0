"""Line items in SQL: the planned resources go into DuckDB and ``range()`` expands them.

``res`` holds everything that is constant for a resource (line item type, product, tags, ...);
each resource carries one line item type (Savings Plan negations and on-demand spill-over have
their own twin resources), so ``items`` holds only the per-row numbers, keyed by (rid, h0).
Pseudo-randomness is ``hash()`` of (seed, resource, hour), so the output is a pure function of
the plan.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from finops.demo.aws.catalogue import EU_ENTITY, PRODUCTS, REGIONS
from finops.demo.aws.ids import digest
from finops.demo.aws.resources import DECIMAL_FIELDS, Plan

NUM = "DECIMAL(18,10)"
_ARROW_TYPES = {"rid": pa.int32(), "neg_rid": pa.int32(), "od_rid": pa.int32(), "start_h": pa.int32(),
                "gap_start": pa.int32(), "gap_dur": pa.int32(), "dur_h": pa.int32(), "off_prob": pa.float64(),
                "qty": pa.float64(), "sparse_p": pa.float64(), "amt_lo": pa.float64(),
                "amt_hi": pa.float64(), "partial_last": pa.bool_()}


def dec(expr: object) -> str:
    """``expr`` as the line items' DECIMAL type."""
    return f"CAST({expr} AS {NUM})"


NULL = dec("NULL")


def resource_table(plan: Plan, resources: list[dict[str, Any]]) -> pa.Table:
    """Resources as an Arrow table, with account-independent product facts filled in."""
    rows = []
    for r in resources:
        name, scode, sname = PRODUCTS.get(r["product_code"], ("", "", ""))
        region = r["region_code"]
        loc = REGIONS[region][0] if region in REGIONS else ""
        rows.append({**r, "account_id": plan.accounts[r["acct"]].account_id, "product_name": name,
                     "servicecode": scode, "servicename": sname, "location": loc})
    cols = list(rows[0].keys())
    data = {c: [row[c] for row in rows] for c in cols}
    fields = []
    for c in cols:
        t = _ARROW_TYPES.get(c, pa.string())
        if t == pa.string():
            data[c] = [None if v is None else str(v) for v in data[c]]
        fields.append(pa.field(c, t))
    return pa.Table.from_pydict(data, schema=pa.schema(fields))


def build_items(con: duckdb.DuckDBPyConnection, plan: Plan, final: bool) -> int:
    """Create ``accounts``, ``res`` (from the registered ``res_arrow``) and ``items``; return the
    line item count."""
    con.execute("CREATE OR REPLACE TEMP MACRO u01(a, b, c) AS (hash(a, b, c) % 1000003)::DOUBLE / 1000003.0")
    _accounts_table(con, plan, final)
    casts = ", ".join(f"CAST({c} AS {NUM}) AS {c}" for c in DECIMAL_FIELDS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE res AS SELECT * REPLACE ({casts}) FROM res_arrow")
    slot_h = 24 if plan.daily else 1
    _slot_usage(con, plan, slot_h)
    # Column order of items (all but rid/h0/len are money or quantities).
    con.execute(f"""
        CREATE OR REPLACE TABLE items (
            rid INTEGER, h0 SMALLINT, len SMALLINT, amount {NUM}, rate {NUM}, cost {NUM},
            public_rate {NUM}, public_cost {NUM}, ri_eff {NUM}, ri_rec_usage {NUM},
            ri_amort_period {NUM}, ri_unused_amort {NUM}, ri_unused_rec {NUM}, sp_eff {NUM},
            sp_rate {NUM}, sp_total {NUM}, sp_used {NUM}, sp_recurring {NUM}, sp_amort_upfront {NUM})
    """)
    _usage_items(con)
    _savings_plan_items(con, slot_h, plan.period.hours // slot_h)
    _reserved_instance_items(con, plan.period.hours)
    _tax_and_credit_items(con, plan.period.hours)
    return con.execute("SELECT count(*) FROM items").fetchall()[0][0]


def _accounts_table(con: duckdb.DuckDBPyConnection, plan: Plan, final: bool) -> None:
    """Accounts, with invoice ids once the month is final."""
    p, acc_rows = plan.period, []
    for a in plan.accounts.values():
        inv = None
        if final:
            n = int(digest("inv", plan.seed, p.label, a.entity, n=12), 16)
            inv = f"EUINDE{p.start:%y}-{n % 10**6:06d}" if a.entity == EU_ENTITY else f"{n % 10**10:010d}"
        acc_rows.append((a.account_id, a.name, a.entity, a.tax_type, a.cost_center or None, inv))
    con.execute("CREATE OR REPLACE TEMP TABLE accounts (account_id VARCHAR, account_name VARCHAR, "
                "entity VARCHAR, tax_type VARCHAR, cost_center VARCHAR, invoice_id VARCHAR)")
    con.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)", acc_rows)


def _slot_usage(con: duckdb.DuckDBPyConnection, plan: Plan, slot_h: int) -> None:
    """``su``: hourly activity of every expandable resource, rolled up to the report's time slots."""
    seed = plan.seed
    amount = f"CAST(round(amount, 10) AS {NUM})"
    rollup = (f"SELECT rid, h AS h0, 1 AS len, {amount} AS amount FROM act" if slot_h == 1 else
              f"SELECT rid, (h // 24) * 24 AS h0, 24 AS len, CAST(round(sum(amount), 10) AS {NUM}) AS amount"
              f" FROM act GROUP BY ALL")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE su AS
        WITH ex AS (
            SELECT rid, pattern, off_prob, qty, sparse_p, amt_lo, amt_hi, partial_last, start_h, dur_h,
                   gap_start, gap_dur, unnest(range(start_h, start_h + dur_h)) AS h
            FROM res WHERE pattern IN ('always', 'business', 'window', 'sparse')
        ), act AS (
            SELECT rid, h,
                   CASE WHEN pattern = 'sparse'
                            THEN round(amt_lo + (amt_hi - amt_lo) * u01({seed} + 1, rid, h),
                                       CASE WHEN amt_hi > 1000 THEN 0 ELSE 4 END)
                        WHEN partial_last AND h = start_h + dur_h - 1
                            THEN qty * ((1 + hash({seed}, rid) % 3599) / 3600.0)
                        ELSE qty END AS amount
            FROM ex
            WHERE CASE pattern
                    WHEN 'sparse' THEN u01({seed}, rid, h) < sparse_p
                    WHEN 'business' THEN ((h // 24) + {plan.period.first_weekday}) % 7 < 5 AND h % 24 BETWEEN 13 AND 23
                    ELSE off_prob = 0 OR u01({seed}, rid, h) >= off_prob
                  END
                  AND NOT (h >= gap_start AND h < gap_start + gap_dur)
        )
        {rollup}
        UNION ALL
        SELECT rid, d * 24 AS h0, 24 AS len, CAST(round(qty, 10) AS {NUM}) AS amount
        FROM res, range({plan.period.days}) t(d) WHERE pattern = 'daily'
    """)


def _usage_items(con: duckdb.DuckDBPyConnection) -> None:
    """Usage and DiscountedUsage rows."""
    con.execute(f"""
        INSERT INTO items
        SELECT su.rid, su.h0, su.len, su.amount,
               CASE WHEN r.line_type = 'DiscountedUsage' THEN {dec(0)} ELSE r.rate END,
               CASE WHEN r.line_type = 'DiscountedUsage' THEN {dec(0)} ELSE {dec('su.amount * r.rate')} END,
               r.public_rate, {dec('su.amount * r.public_rate')},
               CASE WHEN r.line_type = 'DiscountedUsage'
                    THEN {dec('su.amount * (r.ri_amort_rate + r.ri_rec_rate)')} END,
               CASE WHEN r.line_type = 'DiscountedUsage' THEN {dec('su.amount * r.ri_rec_rate')} END,
               {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}
        FROM su JOIN res r USING (rid)
        WHERE r.line_type <> 'SavingsPlanCoveredUsage'
    """)


def _savings_plan_items(con: duckdb.DuckDBPyConnection, slot_h: int, slots: int) -> None:
    """Savings Plan rows: each slot, eligible usage (in rid order) is covered until the commitment
    is spent. Covered part -> SavingsPlanCoveredUsage + SavingsPlanNegation; the rest stays
    on-demand Usage. Used commitment = sum of covered effective cost <= the commitment; the
    recurring fee is a row per slot."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE alloc AS
        WITH c AS (SELECT rate * {slot_h} AS commit FROM res WHERE line_type = 'SavingsPlanRecurringFee'),
        el AS (
            SELECT su.rid, su.h0, su.len, su.amount, r.rate, r.public_rate, r.sp_rate, r.neg_rid, r.od_rid,
                   {dec('su.amount * r.sp_rate')} AS eff
            FROM su JOIN res r USING (rid) WHERE r.line_type = 'SavingsPlanCoveredUsage'
        ), cum AS (
            SELECT *, sum(eff) OVER (PARTITION BY h0 ORDER BY rid ROWS UNBOUNDED PRECEDING) - eff AS before
            FROM el
        )
        SELECT cum.*, {dec('greatest(0, least(eff, c.commit - before))')} AS cov_eff,
               CASE WHEN {dec('greatest(0, least(eff, c.commit - before))')} = eff THEN amount
                    ELSE {dec('greatest(0, least(eff, c.commit - before)) / sp_rate')} END AS cov_amt
        FROM cum, c
    """)
    con.execute("DROP TABLE su")
    con.execute(f"""
        INSERT INTO items
        SELECT rid, h0, len, cov_amt, rate, {dec('cov_amt * rate')}, public_rate,
               {dec('cov_amt * public_rate')}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL},
               cov_eff, sp_rate, {NULL}, {NULL}, {NULL}, {NULL}
        FROM alloc WHERE cov_eff > 0
        UNION ALL
        SELECT neg_rid, h0, len, cov_amt, rate, {dec('-(cov_amt * rate)')}, public_rate,
               {dec('cov_amt * public_rate')}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL},
               {NULL}, sp_rate, {NULL}, {NULL}, {NULL}, {NULL}
        FROM alloc WHERE cov_eff > 0
        UNION ALL
        SELECT od_rid, h0, len, amount - cov_amt, rate, {dec('(amount - cov_amt) * rate')}, public_rate,
               {dec('(amount - cov_amt) * public_rate')}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL},
               {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}
        FROM alloc WHERE amount > cov_amt
    """)
    con.execute(f"""
        INSERT INTO items
        WITH slots AS (SELECT s * {slot_h} AS h0 FROM range({slots}) t(s)),
        used AS (SELECT h0, sum(cov_eff) AS used FROM alloc GROUP BY h0)
        SELECT f.rid, slots.h0, {slot_h}, {dec(slot_h)}, f.rate, {dec(f'f.rate * {slot_h}')}, {dec(0)},
               {dec(0)}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL},
               {dec(f'f.rate * {slot_h}')}, {dec('coalesce(used.used, 0)')}, {dec(f'f.rate * {slot_h}')},
               {dec(0)}
        FROM slots JOIN res f ON f.line_type = 'SavingsPlanRecurringFee'
        LEFT JOIN used USING (h0)
    """)
    con.execute("DROP TABLE alloc")


def _reserved_instance_items(con: duckdb.DuckDBPyConnection, hours: int) -> None:
    """RI: the month's recurring fee (with the unused part) and this month's upfront payment."""
    con.execute(f"""
        INSERT INTO items
        WITH q AS (SELECT CAST(sum(qty) AS DECIMAL(38,10)) AS n FROM res WHERE line_type = 'DiscountedUsage'),
        u AS (SELECT coalesce(sum(i.amount), 0) AS used FROM items i JOIN res r USING (rid)
              WHERE r.line_type = 'DiscountedUsage')
        SELECT f.rid, 0, {hours}, {dec(f'q.n * {hours}')}, f.ri_rec_rate, {dec(f'q.n * {hours} * f.ri_rec_rate')},
               {dec(0)}, {dec(0)}, {NULL}, {NULL}, {dec(f'q.n * {hours} * f.ri_amort_rate')},
               {dec(f'(q.n * {hours} - u.used) * f.ri_amort_rate')},
               {dec(f'(q.n * {hours} - u.used) * f.ri_rec_rate')},
               {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}
        FROM res f, q, u WHERE f.line_type = 'RIFee' AND q.n > 0
        UNION ALL
        SELECT f.rid, 0, {hours}, q.n, {dec('round(f.ri_amort_rate * 8760, 2)')},
               {dec('round(f.ri_amort_rate * 8760, 2) * q.n')}, {dec(0)}, {dec(0)},
               {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}
        FROM res f, q WHERE f.line_type = 'Fee' AND q.n > 0
    """)


def _tax_and_credit_items(con: duckdb.DuckDBPyConnection, hours: int) -> None:
    """Taxes per (account, product code) and one promotional credit."""
    con.execute(f"""
        INSERT INTO items
        WITH spend AS (
            SELECT r.account_id, r.product_code, r.line_type, sum(i.cost) AS s
            FROM items i JOIN res r USING (rid) GROUP BY ALL
        ), base AS (SELECT account_id, product_code, sum(s) AS s FROM spend GROUP BY ALL)
        SELECT t.rid, 0, {hours}, {dec(1)}, {NULL}, {dec('round(base.s * t.tax_rate, 2)')},
               {dec(0)}, {dec(0)}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL},
               {NULL}, {NULL}, {NULL}
        FROM res t JOIN base ON t.account_id = base.account_id AND t.product_code = base.product_code
        WHERE t.line_type = 'Tax' AND round(base.s * t.tax_rate, 2) > 0
        UNION ALL
        SELECT c.rid, 0, {hours}, {dec(1)}, {NULL}, {dec('-round(spend.s * 0.05, 2)')},
               {dec(0)}, {dec(0)}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL}, {NULL},
               {NULL}, {NULL}, {NULL}
        FROM res c JOIN spend ON spend.account_id = c.account_id AND spend.product_code = 'AmazonSageMaker'
             AND spend.line_type = 'Usage'
        WHERE c.line_type = 'Credit' AND spend.s > 0
    """)
