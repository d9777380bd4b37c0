"""AI unit economics: model_usage from Bedrock and Vertex AI token rows, vLLM tokens per endpoint,
the report's AI models section and `finops estimate`, on one generated month (tests/ai_bills.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

import finops
from finops.config.report import ReportSettings
from finops.report.weekly import render
from tests.ai_bills import ENDPOINT, write_bedrock_cur, write_gemini_export

SCRAPE = Path(__file__).with_name("ai_vllm_scrape.prom")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ai")
    db = root / "w.duckdb"
    con = finops.connect(db)
    finops.ingest_aws(con, write_bedrock_cur(root / "cur" / "cur.csv"))
    finops.ingest_gcp(con, write_gemini_export(root / "gcp" / "export.json"))
    finops.ingest_metrics(con, [SCRAPE], resource=ENDPOINT)
    # an instance at $4/h, $1.60/h on spot, as a `finops prices refresh` would have written it
    con.execute("""insert into refreshed_prices values
        ('2026-10-01', 'AWS', 'AmazonSageMaker', 'ml.test.4xlarge', 'us-east-1', 'on_demand', 'h', 4, 'test', now()),
        ('2026-10-01', 'AWS', 'AmazonSageMaker', 'ml.test.4xlarge', 'us-east-1', 'spot', 'h', 1.6, 'test', now())""")
    con.close()
    return db


@pytest.fixture
def con(warehouse):
    con = finops.connect(warehouse, read_only=True)
    yield con
    con.close()


def test_model_usage_tokens_and_cost_per_1m_tokens(con):
    rows = con.execute("""
        select provider, model, token_kind, team, application, tokens, EffectiveCost, cost_per_1m_tokens, cache_savings
        from model_usage where day = '2026-10-06' order by provider, model, token_kind""").fetchall()
    assert rows == [
        ("AWS", "claude-3.5-sonnet", "cache_read", "search", "abc123xyz", 1_000_000, Decimal("0.30"), Decimal("0.30"), Decimal("2.70")),
        ("AWS", "claude-3.5-sonnet", "input", "search", "abc123xyz", 2_000_000, Decimal("6.00"), Decimal("3.00"), None),
        ("AWS", "claude-3.5-sonnet", "output", "search", "abc123xyz", 500_000, Decimal("7.50"), Decimal("15.00"), None),
        # billed per 1K tokens: 4,000 units are 4M tokens
        ("AWS", "llama-3-70b", "input", "unallocated", "unallocated", 4_000_000, Decimal("10.60"), Decimal("2.65"), None),
        ("AWS", "llama-3-70b", "output", "unallocated", "unallocated", 1_000_000, Decimal("3.50"), Decimal("3.50"), None),
        ("Google Cloud", "gemini-2.5-flash", "input", "ads", "ad-copy", 10_000_000, Decimal("3.00"), Decimal("0.30"), None),
        ("Google Cloud", "gemini-2.5-flash", "output", "ads", "ad-copy", 2_000_000, Decimal("5.00"), Decimal("2.50"), None),
    ]
    # cache savings: 1M cached tokens at the observed input rate (9.00 for 3M tokens) less their 0.30
    assert con.execute("select inference_profile from model_usage where model = 'claude-3.5-sonnet'").fetchall() == [("abc123xyz",)] * 4


def test_nothing_lost(con):
    # every token line item's EffectiveCost is in model_usage: 6 + 7.50 + 0.30 + 3 (Claude) + 14.10 (Llama) + 8 (Gemini)
    assert con.execute("select sum(EffectiveCost) from model_usage").fetchone() == (Decimal("38.90"),)
    assert con.execute("""select sum(EffectiveCost) from costs
        where ServiceName in ('Amazon Bedrock', 'Claude 3.5 Sonnet (Amazon Bedrock Edition)', 'Vertex AI')""").fetchone() == (Decimal("38.90"),)
    assert finops.run_tests(con) == []


def test_models_section_of_finops_toml_adds_a_pattern(tmp_path, warehouse):
    toml = tmp_path / "finops.toml"
    toml.write_text('[[models.patterns]]\npattern = "%llama3-70b%"\nmodel = "our-llama"\nmodel_family = "Llama"\n')
    config = finops.load_config(toml)
    con = finops.connect(warehouse)
    try:
        finops.build(con, config=config)
        assert con.execute("select distinct model from model_usage where provider = 'AWS' order by 1").fetchall() == [
            ("claude-3.5-sonnet",), ("our-llama",)]
    finally:
        finops.build(con)  # the shared warehouse back to the seed's patterns
        con.close()


@pytest.mark.parametrize("text", ['[[models.patterns]]\nmodel = "x"\n', '[[models.token_kinds]]\npattern = "%x%"\ntoken_kind = "nope"\nunit = "tokens"\n',
                                  '[models]\nshapes = []\n'])
def test_a_bad_models_section_is_one_line_naming_the_key(tmp_path, text):
    toml = tmp_path / "finops.toml"
    toml.write_text(text)
    with pytest.raises(finops.UsageError, match=r"finops.toml: .*models\."):
        finops.load_config(toml)


def test_vllm_tokens_and_cost_per_1m_tokens_of_the_endpoint(con):
    # counters: prompt 1M -> 5M -> 2M (a restart): 4M + 2M; generation 0.2M -> 1.2M -> 0.3M: 1M + 0.3M;
    # requests 1,000 -> 5,000 -> 2,000: 4,000 + 2,000. Ten hours of ml.g5.xlarge at $1.408 = $14.08.
    row = con.execute("""select prompt_tokens, generation_tokens, llm_requests, EffectiveCost, cost_per_1m_tokens, cost_per_1000_predictions
                         from endpoints where endpoint = ?""", [ENDPOINT]).fetchone()
    assert row == (6_000_000, 1_300_000, 6_000, Decimal("14.08"), Decimal("1.9287671233"), Decimal("2.3466666667"))


def test_report_shows_the_ai_models_section(con):
    report = render(con, "2026-W41", ReportSettings())
    section = report.html[report.html.index("AI models"):report.html.index("Unusual days")]
    for figure in ("claude-3.5-sonnet", "$15.00", "$2.70", "+$10.80", "$13.80", "gemini-2.5-flash", "$0.30", "llama-3-70b", "$2.65",
                   "search", "abc123xyz", "ad-copy", "$1.93", "$2.35"):
        assert figure in section, figure


def test_report_has_no_ai_section_without_such_spend(con):
    assert "AI models" not in render(con, "2026-W39", ReportSettings()).html


def test_estimate_training(con):
    result = finops.estimate_training(con, instance="ml.test.4xlarge", hours=10, trials=20)
    assert result.figure("instance hours") == 200
    assert result.figure("on-demand cost") == Decimal("800.00")
    assert result.figure("spot cost") == Decimal("352.00")  # 200 h x $1.60 x 1.1 (10 % re-run after interruptions)
    assert any("10 % more instance hours" in line for line in result.assumptions)


def test_estimate_training_like_reports_the_median_of_matching_runs(con):
    result = finops.estimate_training(con, instance="ml.p4d.24xlarge", hours=10, like="vit-pretrain")
    runs = con.execute("select gpu_hours, EffectiveCost from training_jobs where training_job like 'vit-pretrain%' order by 1").fetchall()
    assert result.figure("runs like vit-pretrain") == 2
    assert result.figure("their median GPU hours") == (runs[0][0] + runs[1][0]) / 2
    # 4 and 6 hours at $37.688: (150.752 + 226.128) / 2
    assert result.figure("their median cost") == Decimal("188.44")


def test_estimate_labeling():
    result = finops.estimate_labeling(items=100_000, minutes_per_item=3, hourly_rate=20, currency="CNY")
    assert (result.figure("labeler hours"), result.figure("cost"), result.currency) == (Decimal("5000.00"), Decimal("100000.00"), "CNY")


def test_estimate_inference(con):
    # 50 rps x 0.12 s / 8 per batch = 0.75 of an instance: 1 instance of ml.g5.xlarge at $1.408 x 730 h
    result = finops.estimate_inference(con, instance="ml.g5.xlarge", rps=50, batch=8, latency_ms=120)
    assert result.figure("instances needed") == 1
    assert result.figure("monthly cost") == Decimal("1027.84")
    # managed: 800 x $3 / 1M + 300 x $15 / 1M = $0.0069 a request, the bill's Claude rates
    managed = finops.estimate_inference(con, model="claude-sonnet", input_tokens=800, output_tokens=300, rps=5)
    assert managed.figure("cost per 1,000 predictions") == Decimal("6.9000")
    assert managed.figure("monthly cost") == Decimal("90666.00")  # 5 x 3,600 x 730 requests


def test_estimate_cli_json_and_one_line_errors(run, warehouse):
    code, out, _ = run("--db", str(warehouse), "estimate", "training", "--instance", "ml.test.4xlarge", "--hours", "10",
                       "--trials", "20", "--format", "json", use_db=False)
    assert code == 0
    figures = {f["name"]: f["value"] for f in json.loads(out)["figures"]}
    assert figures["on-demand cost"] == "800.00"
    for args, message in ((("training", "--instance", "ml.test.4xlarge", "--hours", "-1"), "--hours must be a number above 0"),
                          (("training", "--instance", "ml.nope", "--hours", "1"), "unknown instance ml.nope"),
                          (("inference", "--model", "gpt", "--input-tokens", "1", "--output-tokens", "1", "--rps", "1"), "no on-demand token usage")):
        code, out, err = run("--db", str(warehouse), "estimate", *args, use_db=False)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
