"""The weekly report: figures equal to costs, every mart row shown, escaping, size, odd weeks, the CLI,
optional sections, a real headless Chromium render, and email through a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import finops
from finops.config import load_config
from finops.config.report import ReportSettings
from finops.demo import generate
from finops.errors import FinopsError
from finops.report import wording
from finops.report.weekly import latest_week_with_data, money, render, report_data
from finops.report.weeks import last_complete_week
from tests.conftest import cur_rows, write_cur_csv

SCRIPT = "<script>alert(1)</script>"
WEEK = "2026-W43"  # Monday 2026-10-19 to Sunday 2026-10-25


def hostile_rows() -> list[dict[str, str]]:
    """A second payer account whose team tag is an attack, in the report's week."""
    return cur_rows(*[
        {"bill/PayerAccountId": "999988887777", "resourceTags/user:team": SCRIPT,
         "lineItem/UsageStartDate": f"2026-10-{day}T10:00:00Z", "lineItem/UsageEndDate": f"2026-10-{day}T11:00:00Z",
         "identity/TimeInterval": f"2026-10-{day}T10:00:00Z/2026-10-{day}T11:00:00Z",
         "lineItem/UnblendedCost": cost, "pricing/publicOnDemandCost": cost}
        for day, cost in (("12", "10.50"), ("20", "300.25"), ("21", "0.75"))
    ])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """A generated month of an ML team's bill plus the hostile rows."""
    root = tmp_path_factory.mktemp("report")
    generate.write_legacy_cur(root / "cur", "2026-10", rows=6000, seed=11, granularity="hourly")
    write_cur_csv(root / "hostile" / "hostile.csv", hostile_rows())
    db = root / "report.duckdb"
    con = finops.connect(db)
    finops.ingest_aws(con, root / "cur")
    finops.ingest_aws(con, root / "hostile" / "hostile.csv")
    con.close()
    return db


@pytest.fixture
def con(warehouse):
    connection = finops.connect(warehouse, read_only=True)
    yield connection
    connection.close()


def headline_of(page: str) -> str:
    return re.search(r'id="headline"[^>]*>\s*([^<]+?)\s*<', page)[1]


def week_cost(con, week: str) -> Decimal:
    monday = dt.date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    (total,) = con.execute(
        "select coalesce(sum(EffectiveCost), 0) from costs where ChargePeriodStart >= ? and ChargePeriodStart < ?",
        [monday, monday + dt.timedelta(days=7)]).fetchall()[0]
    return total


def test_headline_is_the_weeks_effective_cost_from_costs(con):
    report = render(con, WEEK, ReportSettings())
    expected = week_cost(con, WEEK)
    assert expected > 1000
    assert headline_of(report.html) == money(expected)
    assert f"This week:          {money(expected)}" in report.text
    assert report.subject.startswith(f"ML cloud cost W43: {money(expected, whole=True)} (")
    assert re.fullmatch(r"ML cloud cost W43: \$[\d,]+ \([+-][\d.,]+ % WoW\)", report.subject)
    headline = report_data(con, WEEK, ReportSettings())["headline"]
    assert headline["EffectiveCost"] == expected
    assert headline["previous_week_cost"] == week_cost(con, "2026-W42")
    assert headline["change"] == expected - week_cost(con, "2026-W42")
    assert headline["daily_average"] == (expected / 7).quantize(Decimal("1e-10"))


def test_each_section_shows_the_rows_its_mart_holds(con):
    settings = ReportSettings()
    data = report_data(con, WEEK, settings)
    report = render(con, WEEK, settings)
    page = report.html
    shown = {
        "breakdown": [wording.workload(r["name"]) if r["dimension"] == "workload_type" else r["name"]
                      for rows in data["breakdown"].values() for r in rows],
        "movers": [r["workload_name"] for r in data["movers"]],
        "training": [r["training_job"] for r in data["training"]],
        "endpoints": [r["endpoint"] for r in data["endpoints"]],
        "anomalies": [r["name"] for r in data["anomalies"]],
        "freshness": [r["billing_account_id"] for r in data["freshness"]],
    }
    for section, names in shown.items():
        assert names, f"{section}: the generated week should have rows"
        for name in names:
            assert html.escape(name) in page, f"{section}: {name} missing"
    # the untagged resources to tag: as many as the mart holds for the week, up to top, largest first
    (untagged,) = con.execute("select count(*) from report_unallocated where week = ?", [WEEK]).fetchall()[0]
    assert len(data["unallocated"]) == min(untagged, settings.top)
    assert all(html.escape(r["resource_name"]) in page for r in data["unallocated"])
    # each breakdown dimension sums to the headline; movers are tiered by the configured thresholds
    for rows in data["breakdown"].values():
        assert sum(r["EffectiveCost"] for r in rows) == data["headline"]["EffectiveCost"]
    for row in data["movers"]:
        change = abs(row["change"])
        assert row["severity"] == ("major" if change > 200 else "minor" if change > 50 else "watch")
    (movers,) = con.execute("select count(*) from report_top_movers where week = ?", [WEEK]).fetchall()[0]
    assert len(data["movers"]) == min(movers, settings.top) > 0
    strict = report_data(con, WEEK, ReportSettings(major_mover=Decimal(10_000), minor_mover=Decimal(5_000)))
    assert {r["severity"] for r in strict["movers"]} <= {"minor", "watch"}


def test_tag_values_are_escaped_nothing_external_and_small(con):
    report = render(con, WEEK, ReportSettings())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report.html
    assert "<script" not in report.html.lower()
    assert "<style" not in report.html.lower()  # inlined: Gmail drops style blocks
    assert not re.search(r"://|<link|@import|url\(|<iframe|<object", report.html, flags=re.I)
    # one picture, inside the file: a data URI in the saved page, a cid: part in the email
    assert re.findall(r'<img src="([a-z]+:)', report.html) == ["data:"]
    assert re.findall(r'<img src="([a-z]+:)', report.email_html) == ["cid:"]
    assert 'style="' in report.html and 'width="600"' in report.html
    assert len(report.html.encode()) < 100_000
    assert SCRIPT in report.text  # the plain-text part is not HTML: shown as typed


def test_an_empty_week_renders_as_zero(con):
    assert week_cost(con, "2026-W47") == 0
    report = render(con, "2026-W47", ReportSettings())
    assert headline_of(report.html) == "$0.00"
    assert report.subject == "ML cloud cost W47: $0 (no charges)"
    before_any_data = render(con, "2020-W01", ReportSettings())
    assert "No charges were recorded in this week" in before_any_data.html


def test_an_empty_warehouse_and_a_single_provider_render(tmp_path):
    empty = finops.connect(tmp_path / "empty.duckdb")
    finops.build(empty)
    report = render(empty, "2026-W44", ReportSettings())
    assert "$0.00" in report.html and "Nothing is loaded yet" in report.html
    one = finops.connect(tmp_path / "one.duckdb")
    finops.ingest_aws(one, write_cur_csv(tmp_path / "one.csv", hostile_rows()))
    report = render(one, WEEK, ReportSettings())
    assert headline_of(report.html) == "$301.00"
    assert "(no earlier" not in report.text and "n/a" not in report.subject


def test_optional_sections_appear_once_their_mart_exists(tmp_path):
    db = tmp_path / "opt.duckdb"
    con = finops.connect(db)
    finops.ingest_aws(con, write_cur_csv(tmp_path / "one.csv", hostile_rows()))
    for name, kind in con.execute(
        "select table_name, 'table' from duckdb_tables() where table_name like 'idle_gpu%' or table_name like 'savings%' "
        "union all select view_name, 'view' from duckdb_views() where view_name like 'idle_gpu%' or view_name like 'savings%'"
    ).fetchall():  # whatever a build made: this test is about presence
        con.execute(f"drop {kind} {name}")
    assert "Idle GPUs" not in render(con, WEEK, ReportSettings()).html
    con.execute(
        "create table idle_gpu_test as select * from (values ('2026-W43', 'i-idle1', 40.5, 0.8, 123.45::decimal(38, 10)), "
        "('2026-W42', 'i-elsewhen', 1.0, 0.1, 9.99::decimal(38, 10))) t(week, resource_id, idle_hours, idle_share, wasted_cost)")
    con.execute("comment on table idle_gpu_test is 'Idle means under 5 % utilisation for an hour.'")
    page = render(con, WEEK, ReportSettings()).html
    assert "Idle GPUs" in page and "Ways to save" not in page
    assert "i-idle1" in page and "$123.45" in page and "80 %" in page and "under 5 % utilisation" in page
    assert "i-elsewhen" not in page
    assert page.index("Top movers") < page.index("Idle GPUs") < page.index("Training and inference")


def test_default_week_is_the_last_complete_iso_week(con):
    assert last_complete_week(dt.date(2026, 11, 22)) == "2026-W46"  # a Sunday: its week is not over
    assert last_complete_week(dt.date(2026, 11, 23)) == "2026-W47"
    assert last_complete_week(dt.date(2027, 1, 4)) == "2026-W53"
    assert latest_week_with_data(con) == "2026-W43"  # data ends 2026-11-01 00:00, W44 ends 2026-11-02


def test_report_command(run, warehouse, tmp_path, monkeypatch):
    shutil.copy(warehouse, tmp_path / "test.duckdb")
    out = tmp_path / "w43.html"
    code, stdout, err = run("report", "--week", WEEK, "--out", str(out))
    assert (code, err) == (0, "") and "ML cloud cost W43" in stdout
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = run("report", "-q")
    assert (code, stdout) == (0, "")
    assert list(tmp_path.glob("report-20??-W??.html"))
    code, _, err = run("report", "--week", "2026-44")
    assert code == 2 and "expected an ISO week such as 2026-W44" in err
    code, _, err = run("report", "--week", "2025-W53")
    assert code == 2 and "has no week 53" in err
    code, _, err = run("report", "--out", str(tmp_path / "nowhere" / "r.html"))
    assert code == 1 and "does not exist" in err


def test_report_and_email_settings(tmp_path, monkeypatch):
    config = tmp_path / "finops.toml"
    config.write_text('[report]\nmajor_mover = 500\ntop = 3\n\n[email]\nsender = "finops@example.com"\n'
                      'to = ["a@example.com"]\nsmtp_host = "mail.example.com"\nsmtp_password = "from-file"\n')
    monkeypatch.setenv("FINOPS_CONFIG", str(config))
    monkeypatch.setenv("FINOPS_SMTP_PASSWORD", "s3cret-from-env")
    settings = load_config().report
    assert (settings.major_mover, settings.minor_mover, settings.top) == (Decimal(500), Decimal(50), 3)
    email_settings = load_config().email
    assert email_settings.smtp_password == "s3cret-from-env" and email_settings.to == ("a@example.com",)
    assert "s3cret" not in repr(email_settings) and "from-file" not in repr(email_settings)
    for text, message in (("[report]\nmajor = 1\n", "unknown key report.major"),
                          ("[report]\ntop = 0\n", "report.top must be"),
                          ("[email]\nsmtp_pasword = 'x'\n", "unknown key email.smtp_pasword"),
                          ("[email]\nsmtp_port = '25'\n", "email.smtp_port must be"),
                          ("[email]\ntransport = 'pigeon'\n", "email.transport must be one of smtp, ses")):
        config.write_text(text)
        with pytest.raises(FinopsError, match=re.escape(message)):
            load_config()


# --- email through a real SMTP server on loopback -------------------------------------------------


def test_email_arrives_with_text_html_and_every_inline_image(run, warehouse, tmp_path, monkeypatch, smtp_server):
    from PIL import Image

    port, received, logins = smtp_server
    shutil.copy(warehouse, tmp_path / "test.duckdb")
    config = tmp_path / "finops.toml"
    config.write_text(f'[email]\nsender = "finops@example.com"\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
                      'smtp_user = "reporter"\n')
    monkeypatch.setenv("FINOPS_CONFIG", str(config))
    monkeypatch.setenv("FINOPS_SMTP_PASSWORD", "s3cret")
    code, out, err = run("email", "--week", WEEK, "--to", "finance@example.com", "--to", "cto@example.com")
    assert (code, err) == (0, ""), err
    assert "s3cret" not in out and "finance@example.com, cto@example.com" in out
    assert logins == [("reporter", "ok")]
    message = email.message_from_bytes(received[0], policy=email.policy.default)
    assert message["Subject"].startswith("ML cloud cost W43: $")
    assert message["To"] == "finance@example.com, cto@example.com"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "multipart/related"]
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    assert "This week:" in text and 'id="headline"' in page
    assert f"This week:          {headline_of(page)}" in text
    parts = {part.get("Content-ID", "").strip("<>"): part for part in message.walk()}
    cids = re.findall(r'cid:([^"\')\s]+)', page)
    assert cids == ["spend-by-workload"]
    for cid in cids:
        assert cid in parts and parts[cid].get_content_type() == "image/png"
        chart = Image.open(io.BytesIO(parts[cid].get_content()))
        chart.load()  # decodes
        assert chart.size == (552, 250)
    assert re.search(r'<img src="cid:spend-by-workload"[^>]* alt="Spend per week from 2026-W32 to 2026-W43, stacked by workload', page)
    # the text part has each section's headline figures: savings, idle GPUs, the untagged total
    data = report_data(finops.connect(tmp_path / "test.duckdb", read_only=True), WEEK, ReportSettings())
    for section in data["savings"] + data["idle_gpus"]:
        if section["total"] is not None:
            assert f"{section['title']}: " in text and money(section["total"]) in text
        for row in section["rows"]:
            assert row[section["label"]] in text
    assert data["savings"] and data["savings"][0]["rows"], "the generated week should have savings"
    assert f"Unallocated spend: {money(data['unallocated_total']['EffectiveCost'])}" in text
    assert len(received[0]) < 100_000

    monkeypatch.setenv("FINOPS_SMTP_PASSWORD", "wrong")
    code, _, err = run("email", "--week", WEEK, "--to", "finance@example.com")
    assert code == 1 and "login as reporter refused" in err and "wrong" not in err
    assert len(received) == 1


def test_email_needs_a_recipient(run, warehouse, tmp_path, monkeypatch):
    shutil.copy(warehouse, tmp_path / "test.duckdb")
    monkeypatch.setenv("FINOPS_CONFIG", str(tmp_path / "finops.toml"))
    (tmp_path / "finops.toml").write_text('[email]\nsender = "finops@example.com"\n')
    code, _, err = run("email", "--week", WEEK)
    assert code == 2 and "no recipients" in err


# --- a real browser ---------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_headless_chromium_renders_the_saved_report(con, tmp_path):
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(render(con, WEEK, ReportSettings()).html, encoding="utf-8")
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]

    def chromium(*args: str, profile: str) -> subprocess.CompletedProcess:
        return subprocess.run([*flags, f"--user-data-dir={tmp_path / profile}", *args, page.as_uri()],
                              capture_output=True, text=True, timeout=120)

    shot = tmp_path / "report.png"
    result = chromium("--window-size=600,1400", f"--screenshot={shot}", profile="shot")
    assert shot.exists(), result.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (600, 1400)
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20, "the page rendered blank"
    shutil.copy(shot, Path("/tmp") / "finops-report-600px.png")  # to look at by hand
    # every money and team cell on one line at 600 px, and nothing wider than the page
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", LAYOUT_CHECK + "</body>"), encoding="utf-8")
    dom = chromium("--window-size=600,1400", "--dump-dom", profile="dom").stdout
    headline = money(week_cost(con, WEEK))
    assert headline_of(dom) == headline
    check = re.search(r'id="layout-check">cells=(\d+) wrapped=(\d+) width=(\d+)<', dom)
    assert check, dom[-2000:]
    cells, wrapped, width = map(int, check.groups())
    assert cells > 50 and wrapped == 0, re.findall(r'<td[^>]*data-wrapped[^>]*>[^<]*', dom)
    assert width <= 600
    data = report_data(con, WEEK, ReportSettings())
    for figure in (data["headline"]["month_forecast"], data["unallocated_total"]["EffectiveCost"],
                   *(s["total"] for s in data["savings"] if s["total"] is not None)):
        assert money(figure) in dom


# marks each money or no-wrap cell whose text the browser laid out on more than one line
LAYOUT_CHECK = """<script>
document.addEventListener("DOMContentLoaded", function () {
  var cells = document.querySelectorAll("td.num, td.nowrap"), wrapped = 0;
  cells.forEach(function (td) {
    var range = document.createRange(); range.selectNodeContents(td);
    var lines = new Set(Array.from(range.getClientRects()).filter(function (r) { return r.width > 0; })
                        .map(function (r) { return Math.round(r.bottom); }));
    if (lines.size > 1) { td.setAttribute("data-wrapped", "yes"); wrapped++; }
  });
  var out = document.createElement("div"); out.id = "layout-check";
  out.textContent = "cells=" + cells.length + " wrapped=" + wrapped + " width=" + document.documentElement.scrollWidth;
  document.body.appendChild(out);
});
</script>"""


def test_email_through_amazon_ses(run, warehouse, tmp_path, monkeypatch):
    """SES (sesv2 SendEmail with the raw message) against moto's server on loopback."""
    import json
    import urllib.request

    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_ENDPOINT_URL": endpoint}.items():
            monkeypatch.setenv(key, value)
        boto3.client("sesv2", region_name="eu-west-1").create_email_identity(EmailIdentity="finops@example.com")
        shutil.copy(warehouse, tmp_path / "test.duckdb")
        (tmp_path / "finops.toml").write_text('[email]\ntransport = "ses"\nses_region = "eu-west-1"\n'
                                              'sender = "finops@example.com"\nto = ["finance@example.com"]\n')
        monkeypatch.setenv("FINOPS_CONFIG", str(tmp_path / "finops.toml"))
        code, out, err = run("email", "--week", WEEK)
        assert (code, err) == (0, ""), err
        sent = json.loads(urllib.request.urlopen(f"{endpoint}/moto-api/data.json").read())["ses"]["RawMessage"]
    finally:
        server.stop()
    assert len(sent) == 1 and "finance@example.com" in sent[0]["destinations"]
    message = email.message_from_string(sent[0]["raw_data"], policy=email.policy.default)
    assert message["Subject"].startswith("ML cloud cost W43: $")
    assert {part.get_content_type() for part in message.walk()} == {"multipart/alternative", "text/plain", "multipart/related",
                                                                     "text/html", "image/png"}
