"""``finops.toml`` ``[budgets]``: monthly amounts the ``budgets`` mart compares spend with.

    [budgets]
    total = 50000
    team.ml-platform = 20000
    workload_type.training = 30000
    provider.AWS = 40000
    account.111122223333 = 45000
    currency = "USD"   # default: the bill's own currency

Same rules as the other sections: unknown keys and wrong types are errors naming the key. Amounts are
decimals (never floats), so a budget of 20000.10 stays 20000.10 to the cent.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from finops.errors import FinopsError

BUDGET_DIMENSIONS = ("team", "workload_type", "provider", "account")


@dataclass(frozen=True)
class BudgetLine:
    """One monthly budget: ``dimension`` total, team, workload_type, provider or account, and its name."""

    dimension: str
    name: str
    amount: Decimal


@dataclass(frozen=True)
class Budgets:
    lines: tuple[BudgetLine, ...] = ()
    currency: str | None = None  # None: each budget is in the bill's currency


def parse_budgets(chosen: Path | None, section: dict) -> Budgets:
    """``[budgets]``: ``total`` and one table per dimension of name = monthly amount."""
    lines: list[BudgetLine] = []
    currency = None
    for key, value in section.items():
        where = f"budgets.{key}"
        if key == "currency":
            if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
                raise FinopsError(f"{chosen}: {where} must be a currency code such as USD")
            currency = value
        elif key == "total":
            lines.append(BudgetLine("total", "total", _amount(chosen, where, value)))
        elif key in BUDGET_DIMENSIONS:
            if not isinstance(value, dict):
                raise FinopsError(f"{chosen}: {where} must be a table of name = monthly amount, e.g. {key}.NAME = 1000")
            lines += [BudgetLine(key, str(name), _amount(chosen, f"{where}.{name}", amount)) for name, amount in value.items()]
        else:
            raise FinopsError(f"{chosen}: unknown key {where} (expected total, currency or one of {', '.join(BUDGET_DIMENSIONS)})")
    return Budgets(tuple(lines), currency)


def _amount(chosen: Path | None, where: str, value: object) -> Decimal:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise FinopsError(f"{chosen}: {where} must be a monthly amount above 0")
    return Decimal(str(value))
