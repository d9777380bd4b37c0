"""Unattended runs when the machine lets them down: a full disk, a read-only directory, an email cut
off mid-send. Each condition is produced for real, never patched in:

- a full disk: a small tmpfs filled to the brim where mounting is allowed (root, as CI runs), and
  everywhere a file size limit (RLIMIT_FSIZE) on the finops process, which fails writes past it
  with EFBIG the way a full disk fails them with ENOSPC;
- a read-only directory: chmod, with the root user's override of file permissions dropped from the
  finops process (setpriv) when the tests run as root;
- email: a real SMTP server on loopback that drops the connection after taking the message,
  refuses it, or never answers while the test kills the sending process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import finops
from finops.demo import generate
from tests.conftest import ROOT, cur_rows, free_port, snapshot, write_cur_csv
from tests.test_refresh import aws_source, totals, write_config

FULL = 256 * 1024  # room left on a "full" disk: enough to start a load, not to finish it


@pytest.fixture(scope="module")
def bills(tmp_path_factory) -> Path:
    """September (small, loaded first) and October (30,000 hourly rows, the load that does not fit)."""
    root = tmp_path_factory.mktemp("bills")
    generate.write_legacy_cur(root / "september", "2026-09", rows=1000, seed=1)
    generate.write_legacy_cur(root / "october", "2026-10", rows=30_000, seed=3, granularity="hourly")
    return root


def finops_cli(*args: str, config: Path, fsize: int | None = None, unprivileged: bool = False) -> subprocess.CompletedProcess:
    """A real `finops` process: optionally with a file size limit, or without root's file overrides."""
    prefix: list[str] = []
    if unprivileged and os.geteuid() == 0:  # root writes into read-only directories unless told not to
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail("running as root needs setpriv (util-linux) to test a read-only directory")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]

    def limit() -> None:  # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    env = {**os.environ, "FINOPS_CONFIG": str(config)}
    env.pop("FINOPS_DEBUG", None)
    return subprocess.run([*prefix, sys.executable, "-m", "finops", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=limit if fsize is not None else None)


@dataclass
class Disk:
    """Where the warehouse lives, and how it is made full: fill(room) leaves ``room`` bytes to write."""

    dir: Path
    kind: str
    fsize: int | None = None

    @property
    def problem(self) -> str:
        return "no space left on device" if self.kind == "tmpfs" else "file too large"

    def fill(self, room: int) -> None:
        if self.kind == "tmpfs":
            stats = os.statvfs(self.dir)
            with open(self.dir / "filler", "wb") as fh:
                os.posix_fallocate(fh.fileno(), 0, max(stats.f_bavail * stats.f_frsize - room, 1))
        else:
            self.fsize = max((p.stat().st_size for p in self.dir.iterdir()), default=0) + room

    def free(self) -> None:
        (self.dir / "filler").unlink(missing_ok=True)
        self.fsize = None

    def run(self, *args: str, config: Path) -> subprocess.CompletedProcess:
        return finops_cli(*args, config=config, fsize=self.fsize)


@pytest.fixture(params=["tmpfs", "file size limit"])
def disk(request, tmp_path):
    place = tmp_path / "disk"
    place.mkdir()
    if request.param == "file size limit":
        yield Disk(place, "fsize")
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(place)], capture_output=True,
                             text=True) if shutil.which("mount") else None
    if mounted is None or mounted.returncode:
        why = mounted.stderr.strip() if mounted else "no mount command"
        pytest.skip(f"cannot mount a tmpfs here ({why}); the file size limit variant covers it")
    try:
        yield Disk(place, "tmpfs")
    finally:
        subprocess.run(["umount", "-l", str(place)], check=True)


def one_line(done: subprocess.CompletedProcess) -> str:
    """The failure as cron would mail it: exit 74, nothing on stdout, one line on stderr."""
    assert (done.returncode, done.stdout) == (74, ""), (done.returncode, done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_a_full_disk_fails_in_one_line_loses_nothing_and_the_next_run_completes(disk, bills, tmp_path, monkeypatch):
    db = disk.dir / "w.duckdb"
    september = write_config(tmp_path, monkeypatch, aws_source("aws", bills / "september"))
    assert disk.run("refresh", "--no-email", "--quiet", "--db", str(db), config=september).returncode == 0
    before = snapshot(db), totals(db)
    both = tmp_path / "both.toml"
    both.write_text(aws_source("aws", bills / "september") + aws_source("october", bills / "october"))

    disk.fill(FULL)
    failed = one_line(disk.run("refresh", "--no-email", "--quiet", "--db", str(db), config=both))
    assert re.fullmatch(rf"finops: refresh: source october: {re.escape(str(db))}(\.wal)?: cannot write: {disk.problem}; "
                        r"the warehouse keeps its previous data; [^;]+ and run again\n", failed), failed
    assert (snapshot(db), totals(db)) == before
    failed = one_line(disk.run("ingest", "aws", str(bills / "october"), "--db", str(db), config=both))
    assert failed.startswith(f"finops: {db}") and f": cannot write: {disk.problem}; the warehouse keeps" in failed
    assert (snapshot(db), totals(db)) == before

    disk.free()
    assert disk.run("refresh", "--no-email", "--quiet", "--db", str(db), config=both).returncode == 0
    clean = tmp_path / "clean.duckdb"
    assert finops_cli("refresh", "--no-email", "--quiet", "--db", str(clean), config=both).returncode == 0
    assert totals(db) == totals(clean) and totals(db)[0][0] == 2


def test_a_report_on_a_full_disk_keeps_the_previous_one(disk, tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    write_cur_csv(tmp_path / "bills" / "cur.csv", cur_rows({}))
    config = write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills"))
    assert finops_cli("refresh", "--no-email", "--quiet", "--db", str(db), config=config).returncode == 0
    report = disk.dir / "report.html"
    report.write_text("last week's report")
    disk.fill(0)
    failed = one_line(disk.run("report", "--week", "2026-W40", "--db", str(db), "--out", str(report), config=config))
    assert failed.startswith(f"finops: {report}: cannot write: {disk.problem}; nothing was written; ")
    assert report.read_text() == "last week's report" and sorted(disk.dir.iterdir()) == sorted(
        [report, *([disk.dir / "filler"] if disk.kind == "tmpfs" else [])])  # no half-written temporary file left


def test_a_read_only_directory_fails_in_one_line_and_loses_nothing(bills, tmp_path, monkeypatch):
    home = tmp_path / "srv"
    home.mkdir()
    db = home / "w.duckdb"
    september = write_config(tmp_path, monkeypatch, aws_source("aws", bills / "september"))
    assert finops_cli("refresh", "--no-email", "--quiet", "--db", str(db), config=september).returncode == 0
    before = snapshot(db), totals(db)
    (old_report,) = (home / "reports").iterdir()
    report_text = old_report.read_text()
    both = tmp_path / "both.toml"
    both.write_text(aws_source("aws", bills / "september") + aws_source("october", bills / "october"))

    def as_user(*args: str) -> subprocess.CompletedProcess:
        return finops_cli(*args, "--db", str(db), config=both, unprivileged=True)

    not_writable = "cannot write: permission denied; the warehouse keeps its previous data; make it writable"
    home.chmod(0o555)
    try:
        assert one_line(as_user("refresh", "--no-email", "--quiet")).startswith(f"finops: {db}.wal: {not_writable}")
        assert one_line(as_user("ingest", "aws", str(bills / "october"))).startswith(f"finops: {db}.wal: {not_writable}")
        assert (snapshot(db), totals(db)) == before
        new = home / "new.duckdb"  # a first run there: not even the lock file can be made
        failed = one_line(finops_cli("ingest", "aws", str(bills / "october"), "--db", str(new), config=both, unprivileged=True))
        assert failed.startswith(f"finops: {new}.lock: cannot write: permission denied; nothing was changed; ")
    finally:
        home.chmod(0o755)

    (home / "reports").chmod(0o555)  # the warehouse is writable, the report directory is not
    try:
        failed = one_line(as_user("refresh", "--no-email", "--quiet"))
        assert failed.startswith(f"finops: refresh: write {old_report}: {old_report}: cannot write: permission denied; "
                                 "the previous report is unchanged; ")
        assert old_report.read_text() == report_text
        target = home / "reports" / "w40.html"
        failed = one_line(as_user("report", "--week", "2026-W40", "--out", str(target)))
        assert failed.startswith(f"finops: {target}: cannot write: permission denied; nothing was written; ")
    finally:
        (home / "reports").chmod(0o755)
    assert totals(db)[0][0] == 2  # October loaded: only the report failed
    assert finops_cli("refresh", "--no-email", "--quiet", "--db", str(db), config=both).returncode == 0
    assert old_report.read_text() != report_text


def test_a_build_owed_by_an_earlier_run_is_done_by_the_next(run, db, bills, tmp_path, monkeypatch):
    """Sources committed but no build followed (here: ingest --no-build; in life: a build that hit a full disk)."""
    write_config(tmp_path, monkeypatch, aws_source("aws", bills / "september"))
    assert run("refresh", "--no-email", "--quiet")[0] == 0
    assert run("ingest", "aws", str(bills / "october"), "--no-build")[0] == 0
    code, out, _ = run("refresh", "--no-email")
    assert code == 0 and "source aws: 0 rows" in out and "\nbuild: " in out
    loads, _, costs = totals(db)
    assert loads[0] == 2 and costs[1] == loads[2]
    assert "\nbuild: " not in run("refresh", "--no-email")[1]


# --- the email: at most once, and never silently dropped ----------------------------------------

AS_OF = ("--as-of", "2026-10-01")  # the bill's one charge ends 2026-10-01 01:00: its data covers W39, the week sent


class Smtp:
    """A plain SMTP server on loopback whose answer to the message the test chooses."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.mode = "accept"  # accept, cut (drop the connection once it has the message), refuse, hang
        self.received: list[bytes] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "refuse":
            return "451 4.3.0 mailbox busy, try again later"
        self.received.append(envelope.original_content)
        if self.mode == "cut":
            server.transport.abort()
        elif self.mode == "hang":
            await asyncio.sleep(120)
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [email.message_from_bytes(m, policy=email.policy.default)["Message-ID"] for m in self.received]


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    server = Smtp()
    server.controller.start()
    write_cur_csv(tmp_path / "bills" / "cur.csv", cur_rows({}))
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills")
                 + f'[email]\nsender = "finops@example.com"\nto = ["finance@example.com"]\nsmtp_host = "127.0.0.1"\n'
                 f"smtp_port = {server.port}\nstarttls = false\n")
    yield server
    server.controller.stop()


def sent_reports(db: Path) -> list[tuple]:
    con = finops.connect(db, read_only=True)
    try:
        return con.execute("select status, message_id, sent_at is not null from sent_reports").fetchall()
    finally:
        con.close()


def test_an_email_cut_off_after_the_message_went_out_is_reported_not_sent_twice(run, db, smtp):
    smtp.mode = "cut"
    code, _, err = run("refresh", *AS_OF)
    assert code == 1 and len(smtp.received) == 1
    assert err.count("\n") == 1 and re.fullmatch(
        rf"finops: refresh: email \S+: email: 127\.0\.0\.1:{smtp.port}: the connection broke while sending \(.+\), so the "
        r"message may or may not have arrived; not sent again without `finops refresh --resend-unconfirmed`\n", err), err
    (message_id,) = smtp.message_ids()
    assert sent_reports(db) == [("sending", message_id, False)]

    smtp.mode = "accept"
    code, _, err = run("refresh", *AS_OF)  # every later run says so, and sends nothing
    assert code == 1 and len(smtp.received) == 1
    assert f"(Message-ID {message_id}) was never confirmed by the server, so it may have arrived" in err
    assert "run `finops refresh --resend-unconfirmed` to send it again" in err and err.count("\n") == 1

    code, out, err = run("refresh", "--resend-unconfirmed", *AS_OF)
    assert (code, err) == (0, "") and "sent to finance@example.com" in out
    assert smtp.message_ids() == [message_id, message_id]  # the same Message-ID: clients can tell it is one email
    assert sent_reports(db) == [("sent", message_id, True)]
    code, out, _ = run("refresh", "--resend-unconfirmed", *AS_OF)
    assert code == 0 and "is current, kept" in out and len(smtp.received) == 2  # sent: nothing to do


def test_an_email_the_server_refused_is_sent_by_the_next_run(run, db, smtp):
    smtp.mode = "refuse"
    code, _, err = run("refresh", *AS_OF)
    assert code == 1 and "email: 127.0.0.1:" in err and "refused: SMTPDataError: (451" in err
    assert smtp.received == [] and sent_reports(db) == []
    smtp.mode = "accept"
    code, out, _ = run("refresh", *AS_OF)
    assert code == 0 and "sent to finance@example.com" in out and len(smtp.received) == 1
    assert sent_reports(db) == [("sent", smtp.message_ids()[0], True)]


def test_a_refresh_killed_while_sending_is_reported_not_sent_twice(run, db, smtp, tmp_path):
    smtp.mode = "hang"
    env = {**os.environ, "FINOPS_CONFIG": str(tmp_path / "finops.toml")}
    victim = subprocess.Popen([sys.executable, "-m", "finops", "refresh", "--quiet", *AS_OF, "--db", str(db)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not smtp.received and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert smtp.received and victim.poll() is None, "the message never reached the server"
    victim.send_signal(signal.SIGKILL)  # the server has the message; the sender never hears back
    victim.wait(timeout=30)
    smtp.mode = "accept"
    code, _, err = run("refresh", *AS_OF)
    assert code == 1 and "was never confirmed by the server, so it may have arrived" in err
    assert len(smtp.received) == 1
    assert sent_reports(db) == [("sending", smtp.message_ids()[0], False)]


def test_an_unreadable_bill_is_the_sources_problem_not_the_disks(bills, tmp_path, monkeypatch):
    """Permission denied on a file DuckDB reads is a failed source (exit 1), not a storage error."""
    shutil.copytree(bills / "september", tmp_path / "bills")
    (data,) = (tmp_path / "bills").rglob("*.csv.gz")
    data.chmod(0)
    config = write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills"))
    done = finops_cli("refresh", "--no-email", "--quiet", "--db", str(tmp_path / "w.duckdb"), config=config, unprivileged=True)
    assert done.returncode == 1 and done.stderr.startswith("finops: refresh: source aws: ") and "cannot write" not in done.stderr


def test_a_sent_reports_table_from_before_the_sending_record_still_counts(run, db, smtp):
    from finops.report.weeks import last_complete_week

    week = last_complete_week(dt.date.fromisoformat(AS_OF[1]))
    con = finops.connect(db)
    con.execute("create table sent_reports (week varchar primary key, sent_at timestamp not null, "
                "recipients varchar[] not null, subject varchar not null)")
    con.execute("insert into sent_reports values (?, now()::timestamp, ['finance@example.com'], 'W')", [week])
    con.close()
    code, out, err = run("refresh", *AS_OF)
    assert (code, err) == (0, "") and "already sent" in out and smtp.received == []
    assert sent_reports(db) == [("sent", None, True)]
