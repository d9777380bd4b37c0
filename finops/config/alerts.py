"""``finops.toml`` ``[alerts]``: where `finops refresh` posts budget, anomaly and stale-data alerts.

    [[alerts.webhook]]
    kind = "slack"                     # slack, teams or json
    url_env = "FINOPS_SLACK_WEBHOOK"   # the environment variable holding the URL

A webhook URL is a secret (whoever has it can post to the channel), so the file names only the
environment variable that holds it; the URL is read when an alert is sent and never printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from finops.errors import FinopsError

WEBHOOK_KINDS = ("slack", "teams", "json")


@dataclass(frozen=True)
class Webhook:
    kind: str
    url_env: str

    @property
    def name(self) -> str:
        """How logs and the alerts_sent table name it: the kind and the variable, never the URL."""
        return f"{self.kind} ${self.url_env}"


@dataclass(frozen=True)
class Alerts:
    webhooks: tuple[Webhook, ...] = ()


def parse_alerts(chosen: Path | None, section: dict) -> Alerts:
    """``[alerts]``: a list of ``[[alerts.webhook]]`` tables, each a kind and url_env."""
    webhooks = []
    for key, value in section.items():
        if key != "webhook":
            raise FinopsError(f"{chosen}: unknown key alerts.{key} (expected webhook)")
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise FinopsError(f"{chosen}: alerts.webhook must be [[alerts.webhook]] tables")
        for n, table in enumerate(value):
            where = f"alerts.webhook[{n}]"
            unknown = set(table) - {"kind", "url_env"}
            if unknown:
                raise FinopsError(f"{chosen}: unknown key {where}.{sorted(unknown)[0]} (expected kind or url_env)")
            if table.get("kind") not in WEBHOOK_KINDS:
                raise FinopsError(f"{chosen}: {where}.kind must be one of {', '.join(WEBHOOK_KINDS)}")
            if not isinstance(table.get("url_env"), str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table["url_env"]):
                raise FinopsError(f"{chosen}: {where}.url_env must name an environment variable, e.g. FINOPS_SLACK_WEBHOOK "
                                  "(the URL itself never goes in the file)")
            webhooks.append(Webhook(table["kind"], table["url_env"]))
    return Alerts(tuple(webhooks))
