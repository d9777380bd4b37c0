"""``[models]`` of finops.toml: more patterns naming generative-AI models and token kinds.

The bundled seed (sql/seeds/model_usage_patterns.csv) knows the public usage-type and SKU names of
AWS Bedrock and Vertex AI; a fine-tuned model, a new release or a FOCUS file's own SkuMeter
wording is added here without a new finops release. Each entry has the seed's columns, and the
build writes them to ``model_patterns_settings``, where they win over the seed. Unknown keys and
wrong types are errors naming the key, as in every other section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from finops.config.file import expect
from finops.errors import FinopsError

DIMENSIONS = ("model", "kind", "mode")
TOKEN_KINDS = ("input", "output", "cache_read", "cache_write", "provisioned", "training", "storage")
PRICING_MODES = ("on_demand", "batch", "provisioned")
# what each dimension's entry must and may say, beside pattern (and an optional provider)
_REQUIRED = {"model": ("model",), "kind": ("token_kind", "unit"), "mode": ("pricing_mode",)}
_OPTIONAL = {"model": ("model_family",), "kind": ("modality", "tokens_per_unit", "pricing_mode"), "mode": ()}
_ENTRIES = {"model": "patterns", "kind": "token_kinds", "mode": "pricing_modes"}


@dataclass(frozen=True)
class ModelPattern:
    """One row of model_usage_patterns: a LIKE pattern and what a line item it matches is."""

    dimension: str
    pattern: str
    provider: str | None = None
    model: str | None = None
    model_family: str | None = None
    token_kind: str | None = None
    modality: str | None = None
    unit: str | None = None
    tokens_per_unit: int | None = None
    pricing_mode: str | None = None


@dataclass
class ModelSettings:
    """The patterns finops.toml adds to the seed, in the order written."""

    patterns: list[ModelPattern] = field(default_factory=list)


def parse_models(chosen: Path, section: dict) -> ModelSettings:
    """``[models]``: ``[[models.patterns]]`` (model names), ``[[models.token_kinds]]``,
    ``[[models.pricing_modes]]``, each a list of tables."""
    settings = ModelSettings()
    by_entry = {entry: dimension for dimension, entry in _ENTRIES.items()}
    for key, value in section.items():
        if key not in by_entry:
            raise FinopsError(f"{chosen}: unknown key models.{key} (expected one of {', '.join(by_entry)})")
        expect(chosen, f"models.{key}", value, list)
        for i, entry in enumerate(value):
            settings.patterns.append(_pattern(chosen, f"models.{key}[{i}]", by_entry[key], entry))
    return settings


def _pattern(chosen: Path, where: str, dimension: str, entry: object) -> ModelPattern:
    """One entry, checked: every key known, the required ones present, values of the right kind."""
    expect(chosen, where, entry, dict)
    known = ("pattern", "provider", *_REQUIRED[dimension], *_OPTIONAL[dimension])
    for key in entry:
        if key not in known:
            raise FinopsError(f"{chosen}: unknown key {where}.{key} (expected one of {', '.join(known)})")
    for key in ("pattern", *_REQUIRED[dimension]):
        if key not in entry:
            raise FinopsError(f"{chosen}: {where} needs {key}")
    values: dict[str, object] = {}
    for key, value in entry.items():
        if key == "tokens_per_unit":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise FinopsError(f"{chosen}: {where}.tokens_per_unit must be a whole number of tokens, e.g. 1000")
        elif not isinstance(value, str) or not value.strip():
            raise FinopsError(f"{chosen}: {where}.{key} must be a non-empty string")
        values[key] = value.strip() if isinstance(value, str) else value
    for key, allowed in (("token_kind", TOKEN_KINDS), ("pricing_mode", PRICING_MODES)):
        if key in values and values[key] not in allowed:
            raise FinopsError(f"{chosen}: {where}.{key} must be one of {', '.join(allowed)}")
    values["pattern"] = str(values["pattern"]).lower()
    return ModelPattern(dimension, **values)  # type: ignore[arg-type]
