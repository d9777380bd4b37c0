"""CLI conventions: global options anywhere, help with examples everywhere, safe text out."""

from __future__ import annotations

import csv
import io
import os
import resource
import shutil
import subprocess
import sys

import pytest

import finops
from finops.cli.app import EXAMPLES, main, parser
from finops.cli.output import cell, csv_text
from tests.conftest import REAL_CUR, ROOT


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "w.duckdb"
    with finops.connect(db) as con:
        finops.ingest_aws(con, REAL_CUR)
    return db


@pytest.mark.parametrize("words", [
    ["--db", "X", "status"], ["status", "--db", "X"], ["-q", "--db", "X", "refresh"], ["refresh", "-q", "--db", "X"],
    ["--db", "X", "ingest", "aws", "./cur"], ["ingest", "aws", "./cur", "--db", "X"], ["ingest", "--db", "X", "aws", "./cur"],
])
def test_global_options_work_before_or_after_the_command(words):
    args = parser().parse_args(words)
    assert args.db == "X"
    assert args.quiet == ("-q" in words)


def test_an_option_after_the_command_wins_and_one_before_is_kept():
    assert parser().parse_args(["--db", "A", "status", "--db", "B"]).db == "B"
    assert parser().parse_args(["--config", "c.toml", "query", "select 1"]).config == "c.toml"


def test_top_level_help_lists_the_global_options(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--db", "--config", "--quiet", "example:"):
        assert option in text


@pytest.mark.parametrize("group", ["ingest", "export", "prices"])
def test_groups_have_an_example_too(group, capsys):
    assert main([group, "--help"]) == 0
    assert "example:" in capsys.readouterr().out
    assert group in EXAMPLES


def test_every_source_kind_is_an_ingest_command():
    from finops.connectors.registry import SOURCE_KINDS

    assert {name for name in EXAMPLES if name.startswith("ingest ")} == {f"ingest {kind}" for kind in SOURCE_KINDS}


def test_csv_cells_that_a_spreadsheet_would_run_are_defused():
    rows = [("=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "\tx", "plain", 5, -3)]
    parsed = list(csv.reader(io.StringIO(csv_text(["a", "b", "c", "d", "e", "f", "n", "m"], rows))))
    assert parsed[1] == ["'=HYPERLINK(\"http://x\")", "'+cmd|' /C calc'!A0", "'@SUM(A1)", "'-2+3", "'\tx", "plain", "5", "-3"]
    raw = list(csv.reader(io.StringIO(csv_text(["a"], [("=1+1",)], raw=True))))
    assert raw[1] == ["=1+1"]


def test_table_cells_lose_terminal_control_characters():
    assert cell("team\x1b[2J\x1b]0;owned\x07-a") == "team[2J]0;owned-a"
    assert cell("line\rfeed") == "linefeed"


def test_query_csv_defuses_formulas_unless_raw(warehouse, capsys):
    sql = "select '=1+1' as f, 'ok' as g"
    assert main(["query", "--db", str(warehouse), sql, "--format", "csv"]) == 0
    assert capsys.readouterr().out == "f,g\n'=1+1,ok\n"
    assert main(["--db", str(warehouse), "query", sql, "--format", "csv", "--raw"]) == 0
    assert capsys.readouterr().out == "f,g\n=1+1,ok\n"


def test_query_out_leaves_nothing_on_failure(warehouse, tmp_path, capsys):
    target = tmp_path / "out.parquet"
    assert main(["query", "--db", str(warehouse), "select 1/0 as x from range(3) where error('boom')",
                 "--format", "parquet", "--out", str(target)]) == 1
    assert "boom" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _finops(*args: str, fsize: int | None = None, unprivileged: bool = False) -> subprocess.CompletedProcess:
    """A real finops process, with a file size limit (writes past it fail as on a full disk) or without
    root's right to write into read-only directories."""
    prefix = []
    if unprivileged and os.geteuid() == 0:
        prefix = [shutil.which("setpriv") or pytest.fail("needs setpriv (util-linux)"),
                  "--bounding-set=-dac_override,-dac_read_search,-fowner"]

    def limit() -> None:  # Python ignores SIGXFSZ, so the write fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([*prefix, sys.executable, "-m", "finops", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, preexec_fn=limit if fsize else None)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_query_out_on_a_full_disk_exits_74_and_leaves_nothing(warehouse, tmp_path, fmt):
    target = tmp_path / f"big.{fmt}"
    done = _finops("query", "--db", str(warehouse), "select i, md5(i::varchar) as h from range(200000) t(i)",
                   "--format", fmt, "--out", str(target), fsize=64 * 1024)
    assert done.returncode == 74, done.stderr
    assert str(target) in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_schema_out_into_a_read_only_directory_exits_74_and_leaves_nothing(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    done = _finops("schema", "--out", str(locked / "schema.md"), unprivileged=True)
    assert done.returncode == 74, done.stderr
    assert list(locked.iterdir()) == []
