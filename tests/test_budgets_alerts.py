"""The weekly report finance can trust: the right week, budgets with a forecast, alerts to webhooks.

A bill of ten days (2026-11-01 to 11-10, $95 a day, all team ml-platform): the month to date on
the 10th is $950, 95 % of a $1,000 team budget, and the forecast (950 + 95 a day x 20 days left =
$2,850) is above it, so the team is at risk.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import tomllib
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import finops
from finops.config import load_config
from finops.ops.init import TEMPLATE
from tests.conftest import cur_rows, write_cur_csv
from tests.test_refresh import aws_source, write_config

DAYS = 10
DAILY = "95"


def november_rows() -> list[dict[str, str]]:
    rows = []
    for day in range(1, DAYS + 1):
        start, end = f"2026-11-{day:02d}T00:00:00Z", f"2026-11-{day + 1:02d}T00:00:00Z"
        rows.append({"identity/TimeInterval": f"{start}/{end}", "lineItem/UsageStartDate": start, "lineItem/UsageEndDate": end,
                     "bill/BillingPeriodStartDate": "2026-11-01T00:00:00Z", "bill/BillingPeriodEndDate": "2026-12-01T00:00:00Z",
                     "lineItem/UsageAmount": "24", "lineItem/UnblendedCost": DAILY, "pricing/publicOnDemandCost": DAILY,
                     "resourceTags/user:team": "ml-platform"})
    return cur_rows(*rows)


BUDGETS = '[budgets]\nteam.ml-platform = 1000\ntotal = 900\nworkload_type.training = 5000\n'


@pytest.fixture
def bills(tmp_path: Path) -> Path:
    write_cur_csv(tmp_path / "bills" / "cur.csv", november_rows())
    return tmp_path / "bills"


def test_a_team_at_95_percent_mid_month_with_the_forecast_above_is_at_risk(run, db, tmp_path, monkeypatch, bills):
    write_config(tmp_path, monkeypatch, aws_source("aws", bills) + BUDGETS)
    assert run("refresh", "--no-email", "--quiet", "--as-of", "2026-11-11")[0] == 0
    con = finops.connect(db, read_only=True)
    rows = con.execute("select dimension, name, as_of_day::varchar, days_with_data, month_to_date, forecast, budget, "
                       "used_share, status from budgets order by dimension, name").fetchall()
    con.close()
    assert rows == [
        ("team", "ml-platform", "2026-11-10", 10, Decimal(950), Decimal(2850), Decimal(1000), Decimal("0.95"), "at risk"),
        ("total", "total", "2026-11-10", 10, Decimal(950), Decimal(2850), Decimal(900), Decimal("1.0556"), "over"),
        # this workload type has no spend: nothing used, on track
        ("workload_type", "training", "2026-11-10", 10, Decimal(0), Decimal(0), Decimal(5000), Decimal(0), "on track"),
    ]
    report = (tmp_path / "reports" / "report-2026-W45.html").read_text()
    assert "Budgets" in report and "at risk" in report and "$2,850.00" in report and "95 %" in report


def test_no_forecast_before_three_days_of_data(run, db, tmp_path, monkeypatch):
    write_cur_csv(tmp_path / "bills" / "cur.csv", november_rows()[:2])
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills") + BUDGETS)
    assert run("refresh", "--no-email", "--quiet", "--as-of", "2026-11-03")[0] == 0
    con = finops.connect(db, read_only=True)
    assert con.execute("select month_to_date, forecast, status from budgets where dimension = 'team'").fetchall() == [
        (Decimal(190), None, "on track")]
    con.close()


def test_refresh_never_sends_a_week_the_data_does_not_cover(run, db, tmp_path, monkeypatch, bills, smtp_server):
    port, received, _ = smtp_server
    write_config(tmp_path, monkeypatch, aws_source("aws", bills) + BUDGETS
                 + f'[email]\nsender = "finops@example.com"\nto = ["finance@example.com"]\nsmtp_host = "127.0.0.1"\n'
                 f'smtp_port = {port}\nsmtp_user = "reporter"\n')
    monkeypatch.setenv("FINOPS_SMTP_PASSWORD", "s3cret")
    # on 2026-11-18 the last complete week is W46 (Nov 9-15, ending Nov 16 00:00); the data ends Nov 11 00:00
    code, out, err = run("refresh", "--as-of", "2026-11-18")
    assert code == 3 and received == []
    assert err == ("finops: refresh: email 2026-W46: 2026-W46 not sent: data not complete for the week: aws 111122223333: "
                   "data ends 2026-11-11 00:00, 5 days before the end of 2026-W46 (--allow-partial sends it marked preliminary)\n")
    code, out, err = run("refresh", "--as-of", "2026-11-18", "--allow-partial")
    assert (code, err) == (0, "") and len(received) == 1
    message = email.message_from_bytes(received[0], policy=email.policy.default)
    assert message["Subject"] == "ML cloud cost W46: $190 (-71 % WoW) (preliminary) - over budget: total - budget at risk: ml-platform"
    html = message.get_body(("html",)).get_content()
    assert "Preliminary: the loaded data does not reach the end of this week yet" in html
    text = message.get_body(("plain",)).get_content()  # the text part carries the budget figures too
    assert "Budgets (2026-11, data through 2026-11-10)" in text
    assert "$950.00 of $1,000.00, forecast $2,850.00: at risk" in text
    code, _, _ = run("refresh", "--as-of", "2026-11-18")  # sent: no second copy, and nothing held back any more
    assert code == 0 and len(received) == 1


def test_email_exits_3_and_report_marks_the_week_preliminary(run, db, tmp_path, monkeypatch, bills):
    write_config(tmp_path, monkeypatch, aws_source("aws", bills) + '[email]\nsender = "f@example.com"\nto = ["x@example.com"]\n')
    assert run("refresh", "--no-email", "--quiet", "--as-of", "2026-11-18")[0] == 0
    code, _, err = run("email", "--as-of", "2026-11-18")
    assert code == 3 and "aws 111122223333: data ends 2026-11-11 00:00, 5 days before the end of 2026-W46" in err
    # the report's default week is the latest the data covers: W45 (Nov 2-8), read as of the given day
    code, out, _ = run("report", "--as-of", "2026-11-11", "--out", str(tmp_path / "r.html"))
    assert code == 0 and out.endswith(": ML cloud cost W45: $665 (+600 % WoW)\n")
    html = (tmp_path / "r.html").read_text()
    assert "h behind" not in html and "As of 2026-11-11 00:00 UTC" in html
    code, out, _ = run("report", "--week", "2026-W46", "--as-of", "2026-11-18", "--out", str(tmp_path / "r46.html"))
    assert code == 0 and "(preliminary)" in out and "stale: 168 h behind" in (tmp_path / "r46.html").read_text()


class Hooks(BaseHTTPRequestHandler):
    """Records each POST per path; /flaky answers 500 twice, then 200."""

    received: dict[str, list] = {}
    answered: dict[str, int] = {}

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        tries = self.answered[self.path] = self.answered.get(self.path, 0) + 1
        status = 500 if self.path == "/flaky" and tries <= 2 else 200
        if status == 200:
            self.received.setdefault(self.path, []).append(body)
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def hooks(monkeypatch):
    Hooks.received, Hooks.answered = {}, {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for variable, path in (("FINOPS_SLACK_WEBHOOK", "/slack"), ("FINOPS_JSON_WEBHOOK", "/json"), ("FINOPS_TEAMS_WEBHOOK", "/flaky")):
        monkeypatch.setenv(variable, base + path)
    yield base
    server.shutdown()
    server.server_close()


ALERTS = ''.join(f'[[alerts.webhook]]\nkind = "{kind}"\nurl_env = "{env}"\n\n' for kind, env in (
    ("slack", "FINOPS_SLACK_WEBHOOK"), ("json", "FINOPS_JSON_WEBHOOK"), ("teams", "FINOPS_TEAMS_WEBHOOK")))


def test_alerts_reach_each_webhook_once_and_survive_a_flaky_server(run, db, tmp_path, monkeypatch, bills, hooks):
    write_config(tmp_path, monkeypatch, aws_source("aws", bills) + '[budgets]\nteam.ml-platform = 1000\n\n' + ALERTS)
    code, out, err = run("refresh", "--no-email", "--as-of", "2026-11-11")  # data 0 h behind: only the budget
    assert (code, err) == (0, "")
    assert hooks not in out  # the URL is a secret: never printed
    assert "alert to slack $FINOPS_SLACK_WEBHOOK: Budget at risk: team ml-platform, 2026-11" in out
    (slack,) = Hooks.received["/slack"]
    assert slack == {"text": "*Budget at risk: team ml-platform, 2026-11*\n$950.00 spent of $1,000.00 through 2026-11-10; "
                             "forecast for the month $2,850.00."}
    (generic,) = Hooks.received["/json"]
    assert generic["event"] == "budget:2026-11:team:ml-platform:at risk" and generic["source"] == "finops"
    (teams,) = Hooks.received["/flaky"]  # the third try got through
    assert Hooks.answered["/flaky"] == 3
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    code, out, _ = run("refresh", "--no-email", "--as-of", "2026-11-11")
    assert code == 0 and "alerts: 0 posted" in out
    assert [len(Hooks.received[p]) for p in ("/slack", "/json", "/flaky")] == [1, 1, 1]
    # a week later with nothing new, the data is stale: one new event each
    code, out, _ = run("refresh", "--no-email", "--as-of", "2026-11-18")
    assert code == 0 and "alerts: 3 posted" in out
    assert Hooks.received["/json"][1]["event"] == "stale:AWS:111122223333:2026-11-11 00:00"
    assert "168 hours before 2026-11-18 00:00 UTC" in Hooks.received["/slack"][1]["text"]


def test_a_missing_webhook_variable_is_named_not_the_url(run, db, tmp_path, monkeypatch, bills):
    monkeypatch.delenv("FINOPS_SLACK_WEBHOOK", raising=False)
    write_config(tmp_path, monkeypatch, aws_source("aws", bills) + BUDGETS + ALERTS.split("\n\n")[0] + "\n")
    code, _, err = run("refresh", "--no-email", "--as-of", "2026-11-11")
    assert code == 1 and err == ("finops: refresh: alerts: alerts: slack $FINOPS_SLACK_WEBHOOK: $FINOPS_SLACK_WEBHOOK is not set, "
                                 "2 alert(s) not posted\n")


def test_init_template_budgets_and_alerts_load_when_uncommented(tmp_path):
    lines = TEMPLATE.splitlines()
    start = lines.index("# [budgets]")
    end = next(i for i, line in enumerate(lines) if line.startswith("# url_env"))
    body = "\n".join(line[2:] if line.startswith("# ") and (i == start or "=" in line or line.startswith("# [")) else line
                     for i, line in enumerate(lines[start:end + 1], start))
    tomllib.loads(body)
    path = tmp_path / "finops.toml"
    path.write_text(body, encoding="utf-8")
    config = load_config(path)
    assert [(b.dimension, b.name, b.amount) for b in config.budgets.lines][:3] == [
        ("total", "total", Decimal(50000)), ("team", "ml-platform", Decimal(20000)), ("workload_type", "training", Decimal(30000))]
    assert config.budgets.currency == "USD"
    assert [(w.kind, w.url_env) for w in config.alerts.webhooks] == [("slack", "FINOPS_SLACK_WEBHOOK")]


def test_an_anomaly_alert_on_a_euro_bill_is_in_euros(run, db, tmp_path, monkeypatch, hooks):
    # 95 EUR a day from 2026-11-01 to 11-15, 950 EUR on Thursday 11-12: 855 EUR above the usual 95
    rows = []
    for day in range(1, 16):
        start, end = f"2026-11-{day:02d}T00:00:00Z", f"2026-11-{day + 1:02d}T00:00:00Z"
        cost = "950" if day == 12 else DAILY
        rows.append({"identity/TimeInterval": f"{start}/{end}", "lineItem/UsageStartDate": start, "lineItem/UsageEndDate": end,
                     "bill/BillingPeriodStartDate": "2026-11-01T00:00:00Z", "bill/BillingPeriodEndDate": "2026-12-01T00:00:00Z",
                     "lineItem/UsageAmount": "24", "lineItem/UnblendedCost": cost, "pricing/publicOnDemandCost": cost,
                     "lineItem/CurrencyCode": "EUR", "resourceTags/user:team": "ml-platform"})
    write_cur_csv(tmp_path / "bills" / "cur.csv", cur_rows(*rows))
    write_config(tmp_path, monkeypatch, aws_source("aws", tmp_path / "bills") + ALERTS.split("\n\n")[1] + "\n")
    code, out, err = run("refresh", "--no-email", "--as-of", "2026-11-16")
    assert (code, err) == (0, ""), out
    texts = {event["text"] for event in Hooks.received["/json"] if event["event"].startswith("anomaly:")}
    assert "team ml-platform spent 950.00 EUR on 2026-11-12 against a usual 95.00 EUR a day (+855.00 EUR), week of 2026-11-09." in texts
    assert not any("$" in text for text in texts)
