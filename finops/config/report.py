"""``finops.toml`` sections of the weekly report: ``[report]`` (thresholds) and ``[email]`` (delivery).

Same rules as ``[attribution]`` (see file.py): unknown keys and wrong types are errors naming the
key. Secrets may also come from the environment (``FINOPS_SMTP_PASSWORD`` and friends), which wins
over the file, so a password need never be written to disk; it is never printed or logged.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path

from finops.config.file import expect
from finops.errors import FinopsError


@dataclass
class ReportSettings:
    """Severity tiers of top movers (dollars per week) and what counts as an anomalous day."""

    major_mover: Decimal = Decimal(200)
    minor_mover: Decimal = Decimal(50)
    anomaly_threshold: Decimal = Decimal("0.5")  # deviation as a share of the trailing baseline
    anomaly_min_cost: Decimal = Decimal(50)      # and at least this many dollars in the day
    top: int = 10                                # rows per table


@dataclass
class EmailSettings:
    """Where the report goes: SMTP (STARTTLS and login) or Amazon SES."""

    transport: str = "smtp"
    sender: str = ""
    to: tuple[str, ...] = ()
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    starttls: bool = True
    ses_region: str = ""

    def __repr__(self) -> str:  # the password never reaches a log or a traceback
        return f"EmailSettings(transport={self.transport!r}, sender={self.sender!r}, smtp_host={self.smtp_host!r}, smtp_port={self.smtp_port})"


ENV = {
    "smtp_host": "FINOPS_SMTP_HOST",
    "smtp_port": "FINOPS_SMTP_PORT",
    "smtp_user": "FINOPS_SMTP_USER",
    "smtp_password": "FINOPS_SMTP_PASSWORD",
    "sender": "FINOPS_EMAIL_FROM",
}
TRANSPORTS = ("smtp", "ses")


MAX_TOP = 1000  # rows per report table: more is no longer a summary, and LIMIT must stay a small integer


def parse_report(chosen: Path | None, section: dict) -> ReportSettings:
    """``[report]`` over the defaults."""
    settings = ReportSettings()
    for key, value in section.items():
        where = f"report.{key}"
        if key == "top":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TOP:
                raise FinopsError(f"{chosen}: {where} must be a whole number of rows, from 1 to {MAX_TOP}")
            settings.top = value
        elif key in {f.name for f in fields(ReportSettings)}:
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
                raise FinopsError(f"{chosen}: {where} must be a number, at least 0")
            setattr(settings, key, Decimal(str(value)))
        else:
            names = ", ".join(f.name for f in fields(ReportSettings))
            raise FinopsError(f"{chosen}: unknown key {where} (expected one of {names})")
    return settings


def parse_email(chosen: Path | None, section: dict) -> EmailSettings:
    """``[email]``, then the environment over it (``FINOPS_SMTP_PASSWORD`` etc.)."""
    settings = EmailSettings()
    kinds = {"to": list, "smtp_port": int, "starttls": bool}
    for key, value in section.items():
        where = f"email.{key}"
        if key not in {f.name for f in fields(EmailSettings)}:
            names = ", ".join(f.name for f in fields(EmailSettings))
            raise FinopsError(f"{chosen}: unknown key {where} (expected one of {names})")
        expect(chosen, where, value, kinds.get(key, str))
        if key == "to":
            if not all(isinstance(v, str) and "@" in v for v in value):
                raise FinopsError(f"{chosen}: {where} must be a list of email addresses")
            value = tuple(value)
        if key == "transport" and value not in TRANSPORTS:
            raise FinopsError(f"{chosen}: {where} must be one of {', '.join(TRANSPORTS)}")
        setattr(settings, key, value)
    for key, variable in ENV.items():
        if os.environ.get(variable):
            value = os.environ[variable]
            if key == "smtp_port":
                if not value.isdigit():
                    raise FinopsError(f"{variable} must be a port number")
                value = int(value)
            setattr(settings, key, value)
    return settings
