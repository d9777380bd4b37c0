"""Bills in two currencies: never summed without a rate; converted at the month's rate, which the report shows."""

from __future__ import annotations

from decimal import Decimal

import pytest

import finops
from finops.config import Config, load_config
from finops.report import weekly
from tests.conftest import cur_rows, write_cur_csv

EUR_ACCOUNT = {"bill/PayerAccountId": "999988887777", "lineItem/UsageAccountId": "999988887777", "lineItem/CurrencyCode": "EUR"}


@pytest.fixture(scope="module")
def two_currencies(tmp_path_factory):
    root = tmp_path_factory.mktemp("currencies")
    con = finops.connect(root / "finops.duckdb")
    usd = cur_rows({"lineItem/UnblendedCost": "100.00", "pricing/publicOnDemandCost": "100.00"})
    eur = cur_rows({**EUR_ACCOUNT, "lineItem/UnblendedCost": "50.00", "pricing/publicOnDemandCost": "50.00"})
    finops.ingest_aws(con, write_cur_csv(root / "usd" / "cur.csv", usd))
    finops.ingest_aws(con, write_cur_csv(root / "eur" / "cur.csv", eur))
    yield con, root
    con.close()


def test_two_currencies_without_a_rate_is_a_one_line_error(two_currencies):
    con, _ = two_currencies
    finops.build(con)
    with pytest.raises(finops.FinopsError) as caught:
        weekly.render(con, "2026-W40", load_config(None).report)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("costs hold EUR and USD; add [currency]") and "docs/report.md" in message


def test_rates_convert_the_totals_and_the_rate_is_shown(two_currencies):
    con, root = two_currencies
    (root / "rates.csv").write_text("month,currency,rate\n2026-10,EUR,1.0850\n", encoding="utf-8")
    (root / "finops.toml").write_text('[currency]\npresentation = "USD"\nrates_file = "rates.csv"\n', encoding="utf-8")
    config = load_config(root / "finops.toml")
    finops.build(con, config=config)
    assert con.execute("select currency, sum(EffectiveCost) from workload_costs group by 1").fetchall() == [
        ("USD", Decimal("154.25"))  # 100.00 USD + 50.00 EUR x 1.0850
    ]
    report = weekly.render(con, "2026-W40", config.report)
    assert "$154.25" in report.text and "$154" in report.subject
    assert "1 EUR = 1.085 USD (October 2026)" in report.text and "1 EUR = 1.085 USD (October 2026)" in report.html
    # a month without a rate is named
    finops.build(con, config=Config())  # the rates taken away again
    with pytest.raises(finops.FinopsError, match="costs hold EUR and USD"):
        weekly.render(con, "2026-W40", config.report)


def test_inline_rates_and_bad_rates(tmp_path):
    path = tmp_path / "finops.toml"
    path.write_text('[currency]\npresentation = "EUR"\n[currency.rates]\n"2026-10" = { USD = "0.9217" }\n', encoding="utf-8")
    assert load_config(path).currency.rates == {("2026-10", "USD"): Decimal("0.9217")}
    path.write_text('[currency]\npresentation = "EUR"\n[currency.rates]\n"2026-13" = { USD = "0.9" }\n', encoding="utf-8")
    with pytest.raises(finops.UsageError, match=r"currency.rates.2026-13.USD: month must be YYYY-MM"):
        load_config(path)
    path.write_text('[currency]\n[currency.rates]\n"2026-10" = { USD = "0.9" }\n', encoding="utf-8")
    with pytest.raises(finops.UsageError, match="currency.presentation must be set"):
        load_config(path)


def test_one_aws_file_in_two_currencies_is_refused_at_ingest(con, tmp_path):
    rows = cur_rows({}, {"lineItem/CurrencyCode": "EUR"})
    path = write_cur_csv(tmp_path / "mixed" / "cur.csv", rows)
    with pytest.raises(finops.FinopsError, match=r"cur.csv: mixes currencies EUR and USD for one billing account"):
        finops.ingest_aws(con, path)
    assert con.execute("select count(*) from raw_aws_cur").fetchone() == (0,)
