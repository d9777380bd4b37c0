"""``[currency]`` of ``finops.toml``: the currency the report presents, and monthly exchange rates.

Amounts in different currencies are never added: a warehouse whose bills are in more than one
currency needs a rate for every month and currency it reports, which this section gives, inline
(``[currency.rates]``, ``"2026-10" = { EUR = "1.0850" }``) or in a CSV file (``rates_file``, columns
``month,currency,rate``). A rate is how many units of the presentation currency one unit of the
other currency is worth. Rates are read as decimals (write them as strings to keep every digit).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from finops.config.file import expect
from finops.errors import FinopsError

KEYS = ("presentation", "rates", "rates_file")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass
class CurrencySettings:
    """The presentation currency (empty: the bills' own, when they have one) and its rates."""

    presentation: str = ""
    rates: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (YYYY-MM, currency) -> rate
    source: str = ""  # where the rates came from, shown beside them


def parse_currency(path: Path | None, section: dict) -> CurrencySettings:
    """``[currency]``: unknown keys, malformed months, currencies or rates are errors naming the key."""
    for key in section:
        if key not in KEYS:
            raise FinopsError(f"{path}: unknown key currency.{key} (expected one of {', '.join(KEYS)})")
    presentation = section.get("presentation", "")
    expect(path, "currency.presentation", presentation, str)
    if presentation and not _CURRENCY.fullmatch(presentation):
        raise FinopsError(f"{path}: currency.presentation must be a three-letter ISO 4217 code such as USD, not {presentation!r}")
    rates: dict[tuple[str, str], Decimal] = {}
    sources = []
    if "rates" in section:
        expect(path, "currency.rates", section["rates"], dict)
        for month, by_currency in section["rates"].items():
            expect(path, f"currency.rates.{month}", by_currency, dict)
            for currency, rate in by_currency.items():
                _add(rates, f"{path}: currency.rates.{month}.{currency}", month, currency, rate)
        sources.append(str(path))
    if "rates_file" in section:
        expect(path, "currency.rates_file", section["rates_file"], str)
        rates_file = Path(section["rates_file"])
        if not rates_file.is_absolute() and path is not None:
            rates_file = path.parent / rates_file
        _read_rates_file(rates_file, rates)
        sources.append(str(rates_file))
    if rates and not presentation:
        raise FinopsError(f"{path}: currency.presentation must be set when rates are given (the currency they convert to)")
    for month, currency in rates:
        if currency == presentation:
            raise FinopsError(f"{path}: currency rate for {month} {currency} converts the presentation currency to itself")
    return CurrencySettings(presentation, rates, ", ".join(sources))


def _read_rates_file(rates_file: Path, rates: dict[tuple[str, str], Decimal]) -> None:
    try:
        with open(rates_file, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or {"month", "currency", "rate"} - set(reader.fieldnames):
                raise FinopsError(f"{rates_file}: currency rates file needs the columns month,currency,rate")
            for line, row in enumerate(reader, start=2):
                _add(rates, f"{rates_file}:{line}", row["month"], row["currency"], row["rate"])
    except OSError as exc:
        raise FinopsError(f"{rates_file}: cannot read currency rates: {exc.strerror or exc}") from None


def _add(rates: dict[tuple[str, str], Decimal], where: str, month: object, currency: object, rate: object) -> None:
    month, currency = str(month).strip(), str(currency).strip()
    if not _MONTH.fullmatch(month):
        raise FinopsError(f"{where}: month must be YYYY-MM, not {month!r}")
    if not _CURRENCY.fullmatch(currency):
        raise FinopsError(f"{where}: currency must be a three-letter ISO 4217 code, not {currency!r}")
    if isinstance(rate, bool) or not isinstance(rate, (str, int, float)):
        raise FinopsError(f"{where}: rate must be a number")
    try:
        value = Decimal(str(rate).strip())
    except InvalidOperation:
        raise FinopsError(f"{where}: rate must be a number, not {rate!r}") from None
    if not value.is_finite() or value <= 0:
        raise FinopsError(f"{where}: rate must be a positive number, not {rate!r}")
    if (month, currency) in rates and rates[(month, currency)] != value:
        raise FinopsError(f"{where}: a second, different rate for {currency} in {month}")
    rates[(month, currency)] = value
