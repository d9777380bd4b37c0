"""`finops refresh` for cron: sources from finops.toml, one writer at a time, crash safety, checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import finops
from finops.config import load_config
from finops.demo import generate
from finops.ops.init import TEMPLATE
from finops.warehouse.lock import lock_path, writer_lock
from tests.conftest import ROOT, cur_rows, write_cur_csv


def write_config(tmp_path: Path, monkeypatch, body: str) -> Path:
    config = tmp_path / "finops.toml"
    config.write_text(body, encoding="utf-8")
    monkeypatch.setenv("FINOPS_CONFIG", str(config))
    return config


def aws_source(name: str, location: Path) -> str:
    return f'[sources.{name}]\nkind = "aws"\nlocation = "{location}"\n\n'


def totals(db: Path) -> tuple:
    """What a correct warehouse is judged by: current loads, landed rows and costs totals."""
    con = finops.connect(db, read_only=True)
    try:
        return (
            con.execute("select count(*), sum(row_count), sum(source_total) from loads where replaced_by is null").fetchone(),
            con.execute("select count(*), sum(line_item_unblended_cost) from raw_aws_cur").fetchone(),
            con.execute("select count(*), sum(BilledCost), sum(EffectiveCost) from costs").fetchone(),
        )
    finally:
        con.close()


def start_refresh(tmp_path: Path, db: Path, *extra: str) -> subprocess.Popen:
    """A real `finops refresh` process, unbuffered so the test can follow its step lines."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "FINOPS_CONFIG": str(tmp_path / "finops.toml")}
    return subprocess.Popen([sys.executable, "-m", "finops", "refresh", "--no-email", "--db", str(db), *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_broken_source_next_to_a_good_one(run, db, tmp_path, monkeypatch):
    generate.write_legacy_cur(tmp_path / "bills", "2026-10", rows=500, seed=1)
    write_config(tmp_path, monkeypatch, aws_source("good", tmp_path / "bills")
                 + '[sources.broken]\nkind = "focus"\nlocation = "no-such-dir"\n')
    code, out, err = run("refresh", "--no-email")
    assert code == 1
    assert err.strip().splitlines() == [f"finops: refresh: source broken: {tmp_path / 'no-such-dir'}: no such file or directory"]
    assert "source good: " in out and " rows, " in out and "build: " in out
    assert (tmp_path / "reports").is_dir() and list((tmp_path / "reports").glob("report-*.html"))
    loads, _, costs = totals(db)
    assert loads[0] == 1 and costs[1] == loads[2]


def test_quiet_prints_nothing_and_a_second_run_loads_nothing(run, db, tmp_path, monkeypatch):
    generate.write_legacy_cur(tmp_path / "bills", "2026-10", rows=500, seed=1)
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills"))
    assert run("refresh", "--no-email", "--quiet") == (0, "", "")
    before = totals(db)
    code, out, _ = run("refresh", "--no-email")
    assert code == 0 and "source aws: 0 rows" in out and "build:" not in out
    # nothing changed since the report was written: it is kept, not rendered again
    assert "is current, kept" in out and "write " not in out
    assert totals(db) == before
    generate.write_legacy_cur(tmp_path / "bills", "2026-10", rows=500, seed=1, cost_scale=1.1)  # a restatement
    code, out, _ = run("refresh", "--no-email")
    assert code == 0 and "\nbuild: " in out and "\nwrite " in out and "is current" not in out


def test_five_restated_deliveries_end_with_the_fifth(run, db, tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills"))
    for n in range(1, 6):
        generate.write_legacy_cur(tmp_path / "bills", "2026-10", rows=400 + 50 * n, seed=n,
                                  assembly_id=f"assembly-{n}", cost_scale=1 + n / 10)
        assert run("refresh", "--no-email", "--quiet")[0] == 0
    generate.write_legacy_cur(tmp_path / "only5", "2026-10", rows=650, seed=5, assembly_id="assembly-5", cost_scale=1.5)
    clean = tmp_path / "clean.duckdb"
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "only5"))
    assert finops.cli.main(["refresh", "--no-email", "--quiet", "--db", str(clean)]) == 0
    assert totals(db) == totals(clean)
    con = finops.connect(db, read_only=True)
    assert con.execute("select count(*) from loads").fetchone()[0] == 5
    assert con.execute("select delivery_id from loads where replaced_by is null").fetchall() == [("assembly:assembly-5",)]
    con.close()


@pytest.mark.parametrize("wait", [0, 120])
def test_two_refreshes_started_together(tmp_path, monkeypatch, wait):
    generate.write_legacy_cur(tmp_path / "bills", "2026-10", rows=20000, seed=2, granularity="hourly")
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills") + f"[refresh]\nlock_wait_seconds = {wait}\n")
    db = tmp_path / "w.duckdb"
    first, second = start_refresh(tmp_path, db), start_refresh(tmp_path, db)
    outcomes = sorted((p.wait(timeout=300), *p.communicate()) for p in (first, second))
    if wait:  # the second waits its turn, then finds the delivery already loaded
        assert [code for code, _, _ in outcomes] == [0, 0], outcomes
        assert sorted("source aws: 0 rows" in out for _, out, _ in outcomes) == [False, True]
    else:
        (ok, _, _), (busy, out, err) = outcomes
        assert (ok, busy, out) == (0, 75, "")
        assert len(err.strip().splitlines()) == 1 and "another finops writer (pid " in err and lock_path(db).name in err
    loads, raw, costs = totals(db)
    assert loads[0] == 1 and raw[0] == loads[1] and costs[1] == loads[2]


def test_sigkill_mid_load_then_refresh_equals_a_clean_load(tmp_path, monkeypatch):
    """Big enough (100k hourly rows, several seconds to load) that the kill lands mid-load."""
    generate.write_legacy_cur(tmp_path / "bills", "2026-10", rows=100_000, seed=5, granularity="hourly")
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills"))
    db, clean = tmp_path / "killed.duckdb", tmp_path / "clean.duckdb"
    victim = start_refresh(tmp_path, db, "--verbose")
    line = victim.stdout.readline()
    assert line.startswith("loading "), line  # the load is under way
    time.sleep(0.5)  # well inside the ~2.5 s the load takes here
    assert victim.poll() is None, "finished before the kill: make the delivery bigger"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert lock_path(db).read_text().strip() == str(victim.pid)  # the stale lock it left behind
    assert totals_of_landing(db) == (0, 0)  # previous complete data: nothing
    for target in (db, clean):
        done = start_refresh(tmp_path, target)
        _, err = done.communicate(timeout=300)
        assert done.returncode == 0, err
    assert totals(db) == totals(clean)
    assert totals(db)[0][1] > 100_000


def totals_of_landing(db: Path) -> tuple[int, int]:
    con = finops.connect(db, read_only=True)
    try:
        return (con.execute("select count(*) from loads").fetchone()[0],
                con.execute("select count(*) from raw_aws_cur").fetchone()[0])
    finally:
        con.close()


def test_a_writer_waits_for_the_lock_then_exits_75_with_one_line(run, db, tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, "[refresh]\nlock_wait_seconds = 0.3\n")
    with writer_lock(db):
        started = time.monotonic()
        code, out, err = run("build")
        assert time.monotonic() - started >= 0.3
    assert (code, out) == (75, "") and len(err.strip().splitlines()) == 1 and str(lock_path(db)) in err
    assert run("build")[0] == 0  # released


def test_a_stale_lock_is_taken_over(db, tmp_path):
    lock_path(db).write_text("999999\n")  # a process that died holding it: flock went with it
    said: list[str] = []
    with writer_lock(db, wait_seconds=0, log=said.append):
        assert lock_path(db).read_text() == f"{os.getpid()}\n"
    assert said == [f"lock {lock_path(db)}: left by process 999999, which has exited (stale, taken over)"]
    assert lock_path(db).read_text() == ""


def test_the_report_is_emailed_once_per_week(run, db, tmp_path, monkeypatch, smtp_server):
    port, received, _ = smtp_server
    write_cur_csv(tmp_path / "bills" / "cur.csv", cur_rows({}))
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills")
                 + f'[email]\nsender = "finops@example.com"\nto = ["finance@example.com"]\nsmtp_host = "127.0.0.1"\n'
                 f'smtp_port = {port}\nsmtp_user = "reporter"\n')
    monkeypatch.setenv("FINOPS_SMTP_PASSWORD", "s3cret")  # the bill's one charge ends 2026-10-01 01:00, so W39 is covered
    code, out, err = run("refresh", "--as-of", "2026-10-01")
    assert (code, err) == (0, "") and "sent to finance@example.com" in out
    code, out, _ = run("refresh", "--as-of", "2026-10-01")
    assert code == 0 and "is current, kept" in out  # sent, and nothing new: nothing to do
    for report in (tmp_path / "reports").glob("*.html"):
        report.unlink()
    code, out, _ = run("refresh", "--as-of", "2026-10-01")  # rendered again, but the week's email went already
    assert code == 0 and "already sent" in out
    assert len(received) == 1
    con = finops.connect(db, read_only=True)
    assert con.execute("select recipients from sent_reports").fetchall() == [(["finance@example.com"],)]
    con.close()


# finops check

def loaded(run, tmp_path: Path, monkeypatch, rows: list[dict[str, str]]) -> None:
    write_cur_csv(tmp_path / "bills" / "cur.csv", rows)
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills"))
    assert run("refresh", "--no-email", "--quiet")[0] == 0


def check_json(run, as_of: str = "2026-10-02") -> tuple[int, dict[str, dict]]:
    """`finops check` as of a day after the bill's one charge (it ends 2026-10-01 01:00): fresh."""
    code, out, _ = run("check", "--format", "json", "--as-of", as_of)
    return code, {c["check"]: c for c in json.loads(out)}


def test_check_passes_on_a_clean_load(run, tmp_path, monkeypatch):
    loaded(run, tmp_path, monkeypatch, cur_rows({}, {"lineItem/UnblendedCost": "2.5"}))
    code, checks = check_json(run)
    assert code == 0 and all(c["ok"] for c in checks.values())
    assert list(checks) == ["duplicates", "totals", "freshness aws", "negative usage", "currencies", "drift"]
    code, out, _ = run("check", "--as-of", "2026-10-02")
    assert code == 0 and out.splitlines()[0].split() == ["check", "result", "detail"]


def test_check_catches_a_planted_duplicate(run, db, tmp_path, monkeypatch):
    loaded(run, tmp_path, monkeypatch, cur_rows({}, {}))
    con = finops.connect(db)
    con.execute("insert into raw_aws_cur select * from raw_aws_cur where identity_line_item_id = 'line0'")
    con.close()
    code, checks = check_json(run)
    assert code == 1 and not checks["duplicates"]["ok"]
    assert checks["duplicates"]["detail"] == "1 AWS line item(s) appear more than once in a delivery"


def test_check_catches_a_planted_total_mismatch(run, db, tmp_path, monkeypatch):
    loaded(run, tmp_path, monkeypatch, cur_rows({}, {}))
    con = finops.connect(db)
    con.execute("update loads set source_total = source_total + 1")
    con.close()
    code, checks = check_json(run)
    assert code == 1 and [name for name, c in checks.items() if not c["ok"]] == ["totals"]
    assert checks["totals"]["detail"] == ("1 period(s) differ, e.g. AWS 111122223333 2026-10-01: "
                                          "source 3.0120000000, costs 2.0120000000")


def test_check_flags_a_stale_source(run, db, tmp_path, monkeypatch):
    """Freshness is the data's own end, not when it was loaded: AWS may be a day late, plus a day's grace."""
    loaded(run, tmp_path, monkeypatch, cur_rows({}))
    code, checks = check_json(run, "2026-10-03")
    assert code == 0 and checks["freshness aws"]["detail"] == (
        "aws 111122223333: data ends 2026-10-01 01:00 UTC, 47 h before now (limit 48 h)")
    code, checks = check_json(run, "2026-10-11")
    assert code == 1 and not checks["freshness aws"]["ok"]
    assert checks["freshness aws"]["detail"] == "aws 111122223333: data ends 2026-10-01 01:00 UTC, 239 h before now (limit 48 h)"


# finops init and config errors

def test_init_writes_a_template_that_loads(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FINOPS_CONFIG", raising=False)
    code, out, _ = run("init", use_db=False)
    assert code == 0 and (tmp_path / "finops.toml").read_text() == TEMPLATE
    config = load_config()
    assert config.path == Path("finops.toml") and config.sources == [] and config.refresh.lock_wait_seconds == 600
    code, _, err = run("init", use_db=False)
    assert code == 1 and "already exists" in err


@pytest.mark.parametrize(("body", "message"), [
    ('[sources.aws]\nkind = "aws"\nlocaton = "x"\n', "unknown key sources.aws.locaton"),
    ('[sources.aws]\nlocation = "x"\n', "sources.aws.kind is missing"),
    ('[sources.aws]\nkind = "azure"\nlocation = "x"\n', "sources.aws.kind must be one of aws, focus, gcp, metrics"),
    ('[duckdb]\nthreads = "4"\n', "duckdb.threads must be a whole number"),
    ('[refresh]\nlock_wait_seconds = "soon"\n', "refresh.lock_wait_seconds must be a number"),
    ('[refesh]\n', "unknown key refesh"),
    ('[report]\ntop = 0\n', "report.top must be a whole number"),
    ("[budgets]\nteam = 5\n", "budgets.team must be a table of name = monthly amount"),
    ("[budgets]\nteam.x = -1\n", "budgets.team.x must be a monthly amount above 0"),
    ("[budgets]\nproject.x = 1\n", "unknown key budgets.project"),
    ('[[alerts.webhook]]\nkind = "slack"\nurl = "https://hooks.slack.com/x"\n', "unknown key alerts.webhook[0].url"),
    ('[[alerts.webhook]]\nkind = "pager"\nurl_env = "X"\n', "alerts.webhook[0].kind must be one of slack, teams, json"),
])
def test_config_errors_name_the_key_and_exit_2(run, tmp_path, monkeypatch, body, message):
    config = write_config(tmp_path, monkeypatch, body)
    code, out, err = run("refresh")
    assert (code, out) == (2, "") and err.startswith(f"finops: {config}: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_config_file_is_named(run, tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_CONFIG", str(tmp_path / "nope.toml"))
    assert run("refresh") == (2, "", f"finops: {tmp_path / 'nope.toml'}: no such config file\n")


def test_duckdb_settings_are_applied(tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, '[duckdb]\nmemory_limit = "512MB"\nthreads = 2\n')
    con = finops.connect(tmp_path / "w.duckdb", settings=finops.load_config().duckdb)
    assert con.execute("select current_setting('threads')").fetchone()[0] == 2
    assert con.execute("select current_setting('memory_limit')").fetchone()[0] in ("488.2 MiB", "512.0 MB")
    con.close()


def test_no_email_on_doubtful_data(run, db, tmp_path, monkeypatch, smtp_server):
    port, received, _ = smtp_server
    write_cur_csv(tmp_path / "bills" / "cur.csv", cur_rows({}))
    email = (f'[email]\nsender = "finops@example.com"\nto = ["finance@example.com"]\nsmtp_host = "127.0.0.1"\n'
             f'smtp_port = {port}\nsmtp_user = "reporter"\n')
    monkeypatch.setenv("FINOPS_SMTP_PASSWORD", "s3cret")
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills") + aws_source("gone", tmp_path / "gone") + email)
    code, _, err = run("refresh")
    assert code == 1 and "finops: refresh: source gone: " in err and ": not sent: an earlier step failed" in err
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills") + email)
    con = finops.connect(db)
    con.execute("update loads set source_total = source_total + 1")
    con.close()
    code, _, err = run("refresh")
    assert code == 1 and "not sent: check totals failed: 1 period(s) differ" in err
    assert received == []
