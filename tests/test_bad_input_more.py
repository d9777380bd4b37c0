"""More bad input: wrong physical types, absurd dates and amounts, hostile manifests, interrupts,
damaged or busy warehouses. Each ends with one line on stderr naming the file (or key) and the
problem, a non-zero exit, and the warehouse exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from finops.demo.generate_gcp import write_gcp_export
from tests.conftest import REAL_CUR, ROOT, cur_rows, snapshot, write_cur_csv
from tests.test_shapes import CUR2_SELECT

FOCUS_SELECT = """
    select '111122223333' as BillingAccountId, timestamp '2026-10-01' as BillingPeriodStart,
           timestamp '2026-11-01' as BillingPeriodEnd, timestamp '2026-10-02' as ChargePeriodStart,
           timestamp '2026-10-03' as ChargePeriodEnd, 'Usage' as ChargeCategory,
           12.5::decimal(18, 2) as BilledCost, 12.5::decimal(18, 2) as EffectiveCost,
           'USD' as BillingCurrency, 'Acme Cloud' as ProviderName
    from range(3)
"""


def parquet(path: Path, select: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect().execute(f"copy ({select}) to '{path}' (format parquet)")
    return path


def refused(run, db, before, *args: str, code: int = 1) -> str:
    """Run a command that must fail: its exit code, one line on stderr, the warehouse as before."""
    got, out, err = run(*args)
    assert got == code, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("finops: "), err
    assert "Traceback" not in err and "internal error" not in err
    assert snapshot(db) == before
    return lines[0]


# 1. declared column types


def test_boolean_cost_in_a_cur2_parquet(run, db, loaded, tmp_path):
    path = parquet(tmp_path / "cur2.parquet", CUR2_SELECT.replace(
        "7.09::double as line_item_unblended_cost", "true as line_item_unblended_cost"))
    line = refused(run, db, loaded, "ingest", "aws", str(path))
    assert line == f"finops: {path}: column line_item_unblended_cost is BOOLEAN, not a number"


def test_float_payer_account_id(run, db, loaded, tmp_path):
    path = parquet(tmp_path / "cur2.parquet", CUR2_SELECT.replace(
        "'012345678901' as bill_payer_account_id", "111122223333.0::double as bill_payer_account_id"))
    line = refused(run, db, loaded, "ingest", "aws", str(path))
    assert line == f"finops: {path}: column bill_payer_account_id is DOUBLE, not text or a whole number as an id must be"


def test_integer_account_ids_still_land_padded(con, tmp_path):
    import finops

    path = parquet(tmp_path / "cur2.parquet", CUR2_SELECT.replace(
        "'012345678901' as bill_payer_account_id", "12345678901::bigint as bill_payer_account_id"))
    finops.ingest_aws(con, path)
    assert con.execute("select distinct bill_payer_account_id from raw_aws_cur").fetchall() == [("012345678901",)]


def test_the_file_of_a_set_with_the_wrong_type_is_named(run, db, loaded, tmp_path):
    good = CUR2_SELECT
    bad = CUR2_SELECT.replace("7.09::double as line_item_unblended_cost", "current_date as line_item_unblended_cost")
    parquet(tmp_path / "in" / "part-1.parquet", good)
    path = parquet(tmp_path / "in" / "part-2.parquet", bad)
    line = refused(run, db, loaded, "ingest", "aws", str(tmp_path / "in"))
    assert line == f"finops: {path}: column line_item_unblended_cost is DATE, not a number"


def test_focus_boolean_cost_and_float_account(run, db, loaded, tmp_path):
    path = parquet(tmp_path / "a" / "focus.parquet", FOCUS_SELECT.replace("12.5::decimal(18, 2) as BilledCost", "false as BilledCost"))
    line = refused(run, db, loaded, "ingest", "focus", str(path))
    assert line == f"finops: {path}: column BilledCost is BOOLEAN, not a number"
    path = parquet(tmp_path / "b" / "focus.parquet", FOCUS_SELECT.replace("'111122223333' as", "111122223333.0::double as"))
    line = refused(run, db, loaded, "ingest", "focus", str(path))
    assert line == f"finops: {path}: column BillingAccountId is DOUBLE, not text or a whole number as an id must be"


@pytest.fixture(scope="module")
def gcp_export(tmp_path_factory) -> Path:
    return write_gcp_export(tmp_path_factory.mktemp("gcp") / "000000000000.parquet", rows=50, seed=5)


def gcp_variant(export: Path, folder: Path, replace: str) -> Path:
    """The export with some fields replaced (``replace`` is the list of a ``select * replace (...)``)."""
    return parquet(folder / export.name, f"select * replace ({replace}) from '{export}'")


def test_gcp_boolean_cost_and_float_billing_account(run, db, loaded, tmp_path, gcp_export):
    bad = gcp_variant(gcp_export, tmp_path / "a", "cost > 0 as cost")
    line = refused(run, db, loaded, "ingest", "gcp", str(bad))
    assert line == f"finops: {bad}: field cost is BOOLEAN, not a number"
    bad = gcp_variant(gcp_export, tmp_path / "b", "1234.0::double as billing_account_id")
    line = refused(run, db, loaded, "ingest", "gcp", str(bad))
    assert line == f"finops: {bad}: field billing_account_id is DOUBLE, not text or a whole number as an id must be"


# 2. dates within 2000-01-01 to 2100-01-01


def test_a_row_dated_9999_is_refused_before_the_build(run, db, loaded, tmp_path):
    path = write_cur_csv(tmp_path / "cur.csv", cur_rows({}, {"lineItem/UsageEndDate": "9999-12-31T00:00:00Z"}))
    line = refused(run, db, loaded, "ingest", "aws", str(path))
    assert line == (f"finops: {path}: column lineItem/UsageEndDate has a date outside 2000-01-01 to 2100-01-01: "
                    "'9999-12-31 00:00:00'")


def test_focus_charge_in_1970(run, db, loaded, tmp_path):
    path = parquet(tmp_path / "focus.parquet", FOCUS_SELECT.replace(
        "timestamp '2026-10-02' as ChargePeriodStart", "timestamp '1970-01-01' as ChargePeriodStart"))
    line = refused(run, db, loaded, "ingest", "focus", str(path))
    assert line == f"finops: {path}: column ChargePeriodStart has a date outside 2000-01-01 to 2100-01-01: '1970-01-01 00:00:00'"


def test_gcp_usage_in_2150(run, db, loaded, tmp_path, gcp_export):
    bad = gcp_variant(gcp_export, tmp_path / "in", "usage_end_time + interval 124 year as usage_end_time")
    line = refused(run, db, loaded, "ingest", "gcp", str(bad))
    assert f"finops: {bad}: column usage_end_time has a date outside 2000-01-01 to 2100-01-01: '215" in line


# 3. amounts too large to add up


@pytest.mark.parametrize("value", ["9" * 28, "9" * 29, "9" * 25 + ".5"])
def test_costs_with_too_many_digits(run, db, loaded, tmp_path, value):
    path = write_cur_csv(tmp_path / "cur.csv", cur_rows({"lineItem/UnblendedCost": value}, {}))
    line = refused(run, db, loaded, "ingest", "aws", str(path))
    assert line.startswith(f"finops: {path}: column lineItem/UnblendedCost has a value too large for a bill: '99999")


def test_a_double_cost_beyond_decimal_38_10(run, db, loaded, tmp_path):
    path = parquet(tmp_path / "cur2.parquet", CUR2_SELECT.replace(
        "7.09::double as line_item_unblended_cost", "1e30::double as line_item_unblended_cost"))
    line = refused(run, db, loaded, "ingest", "aws", str(path))
    assert line == f"finops: {path}: column line_item_unblended_cost has a value too large for a bill: '1e+30'"


def test_24_digits_still_land(run, db, tmp_path):
    path = write_cur_csv(tmp_path / "cur.csv", cur_rows({"lineItem/UnblendedCost": "9" * 24}, {}))
    code, out, err = run("ingest", "aws", str(path))
    assert code == 0, err


# 4. a manifest nested 100,000 deep


def test_deeply_nested_manifest(run, db, loaded, tmp_path):
    period = tmp_path / "cur" / "ml-cur" / "20261001-20261101"
    period.mkdir(parents=True)
    manifest = period / "ml-cur-Manifest.json"
    manifest.write_text("[" * 100_000 + "]" * 100_000)
    line = refused(run, db, loaded, "ingest", "aws", str(tmp_path / "cur"))
    assert line == f"finops: {manifest}: manifest is nested too deeply to be a CUR manifest"


# 9. control characters in values stay on one line


def test_control_characters_in_an_error_are_escaped(run, db, loaded, tmp_path):
    path = write_cur_csv(tmp_path / "cur.csv", cur_rows({"lineItem/CurrencyCode": "US\r\nD\x1b[31m"}))
    line = refused(run, db, loaded, "ingest", "aws", str(path))
    assert line == f"finops: {path}: unknown currency 'US\\r\\nD\\x1b[31m' (not an ISO 4217 code)"


def test_a_newline_in_a_file_name_stays_on_one_line(run, db, loaded, tmp_path):
    path = tmp_path / "bad\nname.csv"
    path.write_text("")
    line = refused(run, db, loaded, "ingest", "aws", str(path))
    assert line == f"finops: {tmp_path}/bad\\nname.csv: empty file"


# 5. Ctrl-C (SIGINT) while a big bill loads


@pytest.fixture(scope="module")
def big_bill(tmp_path_factory) -> Path:
    """A legacy CUR month big enough that landing and building it take seconds."""
    from finops.demo.generate import write_legacy_cur

    root = tmp_path_factory.mktemp("big")
    write_legacy_cur(root, rows=200_000, fmt="parquet")
    return root


def finops_process(*args: str, prelude: str = "", stderr: int = subprocess.PIPE) -> subprocess.Popen:
    """``finops ARGS`` in a child Python (after ``prelude``), stdout discarded."""
    code = f"import sys\n{prelude}\nfrom finops.cli.app import main\nsys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400"}
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL,
                            stderr=stderr, text=True, env=env)


def read_until(fd: int, text: str | None) -> str:
    """What a terminal shows until ``text`` appears (None: until the child closes it)."""
    seen = b""
    while text is None or text.encode() not in seen:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child has exited and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen.decode(errors="replace")


@pytest.mark.parametrize("when", ["loading", "building models"])
def test_sigint_during_ingest_leaves_the_warehouse_unchanged(run, db, loaded, big_bill, when):
    """On a terminal (a pty), where Ctrl-C comes from, so progress says when the load is under way."""
    import pty

    terminal, child_side = pty.openpty()
    child = finops_process("ingest", "aws", str(big_bill), "--db", str(db), stderr=child_side)
    os.close(child_side)
    try:
        shown = read_until(terminal, when)
        time.sleep(1.0)  # inside the statement that follows the progress line
        child.send_signal(signal.SIGINT)
        shown += read_until(terminal, None)
    finally:
        os.close(terminal)
    assert child.wait(timeout=120) == 130, shown
    assert shown.strip().splitlines()[-1].strip() == "finops: interrupted; the warehouse is unchanged", shown
    assert snapshot(db) == loaded


# 6. a damaged warehouse file


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "overwritten"])
@pytest.mark.parametrize("command", [("status",), ("query", "select count(*) from costs"), ("build",),
                                     ("ingest", "aws", str(REAL_CUR))])
def test_a_damaged_warehouse_is_named_with_the_way_out(run, db, tmp_path, damage, command):
    code, _, err = run("ingest", "aws", str(REAL_CUR))
    assert code == 0, err
    data = db.read_bytes()
    overwritten = data[:262144] + b"Z" * 100_000 + data[362144:]  # the first blocks after the headers
    db.write_bytes({"garbage": bytes(range(256)) * 64, "truncated": data[: len(data) // 3], "empty": b"",
                    "overwritten": overwritten}[damage])
    before = db.read_bytes()
    code, _, err = run(*command)
    assert code == 1
    (line,) = err.strip().splitlines()
    assert line.startswith(f"finops: {db}: not a DuckDB warehouse or damaged (")
    assert line.endswith("); see docs/cron.md 'Recovering a damaged warehouse'")
    assert db.read_bytes() == before


# 7. a writer blocked by a reader


def test_a_writer_blocked_by_a_reader_exits_75(run, db, loaded, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time\nc = duckdb.connect({str(db)!r}, read_only=True)\n"
         "print('open', flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "open\n"
        path = write_cur_csv(tmp_path / "cur.csv", cur_rows({}))
        line = refused(run, db, loaded, "ingest", "aws", str(path), code=75)
        assert line == (f"finops: {db}: held open by another process ({Path(sys.executable).resolve().name}, "
                        f"pid {holder.pid}); try again when it has finished")
    finally:
        holder.kill()
        holder.wait()


def test_a_reader_blocked_by_a_writer_exits_75(run, db, loaded):
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time\nc = duckdb.connect({str(db)!r})\nprint('open', flush=True)\n"
         "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "open\n"
        code, _, err = run("query", "select 1")
        assert code == 75 and err == f"finops: {db}: held open by another process ({Path(sys.executable).resolve().name}, " \
                                     f"pid {holder.pid}); try again when it has finished\n"
    finally:
        holder.kill()
        holder.wait()


# 8. a missing engine library, a dangerous endpoint URL

PYSPARK_BLOCKER = """
class _NoPyspark:
    def find_spec(self, name, path=None, target=None):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, _NoPyspark())
"""


def test_engine_spark_without_pyspark(db, tmp_path):
    child = finops_process("build", "--engine", "spark", "--db", str(db), prelude=PYSPARK_BLOCKER)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 1
    assert err == "finops: --engine spark needs pyspark (pip install 'finops[spark]') and Java 17+\n"


@pytest.mark.parametrize("url", ["http://AKIAEXAMPLE:s3cretKey@127.0.0.1:9", "ftp://127.0.0.1/", "http://127.0.0.1:port"])
def test_cloudwatch_endpoint_url_is_checked_and_never_echoed(run, db, loaded, url):
    line = refused(run, db, loaded, "ingest", "metrics", "cloudwatch://us-east-1", "--endpoint-url", url, code=2)
    assert "s3cretKey" not in line and "endpoint URL" in line
