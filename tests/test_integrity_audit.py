"""Issue 16's integrity promises that no other test file proves: picks that tie give the same answer
in every build; see the report of this audit for the test proving each of the issue's items."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

import finops
from tests.conftest import REAL_CUR, cur_rows, write_cur_csv
from tests.test_cli_conventions import _finops
from tests.test_incremental_equals_full import assert_incremental_equals_full
from tests.test_savings_wave2 import W41, endpoint_hours, hour_fields, load_invocations

# Deterministic ties: who owns an hour or a week when two values tie

TIED_PICKS = {
    "idle_gpu": "select resource_id, hour, team, workload_name from idle_gpu order by all",
    "int_gpu_resource_weeks": "select resource_id, week, team, workload_name from int_gpu_resource_weeks order by all",
    "unattached_volumes": "select volume_id, week, team, usage_type from unattached_volumes order by all",
    "int_endpoint_zero_traffic": "select endpoint, hour, team from int_endpoint_zero_traffic order by all",
}


def tied_bill() -> list[dict[str, str]]:
    """Charges built to tie: an instance's first hour billed twice at the same price to two teams, then
    one hour each to alpha and beta twice over (two hours each in the week); a volume alone in its
    zone two hours for alpha, two for beta; an endpoint billed to both teams at the same price each hour."""
    gpu = {"lineItem/ResourceId": "i-0tie"}
    volume = {"lineItem/UsageType": "USE1-EBS:VolumeUsage.gp3", "lineItem/ResourceId": "vol-0tie",
              "lineItem/AvailabilityZone": "us-east-1b", "product/regionCode": "us-east-1", "product/instanceType": "",
              "lineItem/UsageAmount": "0.1369863", "lineItem/UnblendedCost": "0.0109589", "pricing/unit": "GB-Mo",
              "pricing/publicOnDemandCost": "0.0109589"}
    rows = []
    for t, teams in enumerate((("alpha", "beta"), ("alpha",), ("alpha",), ("beta",))):
        rows += [{**gpu, **hour_fields(t, W41), "resourceTags/user:team": team, "resourceTags/user:job": f"{team}-job"}
                 for team in teams]
        rows.append({**volume, **hour_fields(t, W41), "resourceTags/user:team": "alpha" if t < 2 else "beta"})
    for team in ("alpha", "beta"):
        rows += endpoint_hours("tie-ep", 4, **{"resourceTags/user:team": team})
    return rows


def tied_warehouse(db: Path, rows: list[dict[str, str]]) -> dict[str, list[tuple]]:
    """Load ``rows`` (in their order) and the endpoint's invocations; the tied picks as built."""
    with finops.connect(db) as con:
        finops.ingest_aws(con, write_cur_csv(db.with_suffix(".csv"), cur_rows(*rows)))
        load_invocations(con, "tie-ep", W41, 1, range(8, 16))  # requests 08:00-16:00: the small hours are zero
        picks = {name: con.execute(sql).fetchall() for name, sql in TIED_PICKS.items()}
        finops.build(con)  # a second, incremental build
        assert {name: con.execute(sql).fetchall() for name, sql in TIED_PICKS.items()} == picks
        assert_incremental_equals_full(con)  # and a full rebuild
        assert {name: con.execute(sql).fetchall() for name, sql in TIED_PICKS.items()} == picks
    return picks


@pytest.fixture(scope="module")
def tied(tmp_path_factory) -> tuple[dict, dict]:
    """The same charges loaded in their order and in reverse, each in its own warehouse."""
    root = tmp_path_factory.mktemp("ties")
    return tied_warehouse(root / "forward.duckdb", tied_bill()), tied_warehouse(root / "reverse.duckdb", tied_bill()[::-1])


def test_tied_picks_do_not_depend_on_the_order_rows_arrive_in(tied):
    forward, reverse = tied
    assert forward == reverse


def test_a_tie_goes_to_the_value_sorting_last(tied):
    picks, _ = tied
    first_hour = [row for row in picks["idle_gpu"] if row[0] == "i-0tie"][0]
    assert first_hour[2:] == ("beta", "beta-job")  # two charges of 1.006 in the hour: alpha's and beta's
    # the week: two hours each (the tied first hour went to beta)
    assert [row for row in picks["int_gpu_resource_weeks"] if row[0] == "i-0tie"] == [
        ("i-0tie", "2026-W41", "beta", "beta-job")]
    assert picks["unattached_volumes"] == [("vol-0tie", "2026-W41", "beta", "USE1-EBS:VolumeUsage.gp3")]
    assert [team for _, _, team in picks["int_endpoint_zero_traffic"]] == ["beta"] * 4


# Writes stay whole: the report and the FOCUS export on a full disk or into a read-only directory

@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("audit") / "w.duckdb"
    with finops.connect(db) as con:
        finops.ingest_aws(con, REAL_CUR)
    return db


@pytest.mark.parametrize("command", [("report", "--week", "2023-W46"), ("export", "focus")])
@pytest.mark.parametrize("name", ["out.html", "focus.csv"])
def test_report_and_export_on_a_full_disk_exit_74_and_leave_nothing(warehouse, tmp_path, command, name):
    if (command[0] == "report") != name.endswith(".html"):
        pytest.skip("each command with its own kind of file")
    target = tmp_path / "out" / name
    target.parent.mkdir()
    done = _finops(*command, "--db", str(warehouse), "--out", str(target), fsize=16 * 1024)
    assert done.returncode == 74, done.stderr
    assert str(target) in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize("command", [("report", "--week", "2023-W46"), ("export", "focus")])
def test_report_and_export_into_a_read_only_directory_exit_74_and_leave_nothing(warehouse, tmp_path, command):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    done = _finops(*command, "--db", str(warehouse), "--out", str(locked / "out.parquet"), unprivileged=True)
    assert done.returncode == 74, done.stderr
    assert list(locked.iterdir()) == []


# docs/cron.md 'Recovering a damaged warehouse', step by step as written

def test_the_documented_recovery_from_a_damaged_warehouse_works(run, db, tmp_path):
    code, _, err = run("ingest", "aws", str(REAL_CUR))
    assert code == 0, err
    backup = tmp_path / "backup.duckdb"
    shutil.copy(db, backup)
    _, status_before, _ = run("status")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])  # a copy cut short
    code, _, err = run("status")
    assert code == 1 and "see docs/cron.md 'Recovering a damaged warehouse'" in err
    # 2. move the damaged file aside, with its write-ahead log if there is one
    db.rename(db.with_name(db.name + ".damaged"))
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        wal.rename(wal.with_name(wal.name + ".damaged"))
    # 4 (first half): the old copy's loads say what to load again
    out, _ = _query_backup(backup)
    assert str(REAL_CUR) in out
    # 3. the same ingest command again
    code, _, err = run("ingest", "aws", str(REAL_CUR))
    assert code == 0, err
    # 4. status as before, apart from when it was loaded
    _, status_after, _ = run("status")
    assert _without_load_times(status_after) == _without_load_times(status_before)


def _query_backup(backup: Path) -> tuple[str, str]:
    """``finops query`` against the backup copy, as step 4 runs it."""
    from finops.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["query", "--db", str(backup), "select source, files from loads where replaced_by is null",
                     "--format", "csv"]) == 0
    return out.getvalue(), err.getvalue()


def _without_load_times(status: str) -> list[str]:
    return [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d  ", "", line) for line in status.splitlines()]
