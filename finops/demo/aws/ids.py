"""Deterministic identifiers: every id in a bill is a hash of the arguments, so reruns match."""

from __future__ import annotations

import hashlib


def digest(*parts: object, n: int = 16) -> str:
    """The first ``n`` hex digits of the SHA-256 of ``parts``."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:n]


def stable_uuid(*parts: object) -> str:
    """A deterministic UUID-looking string (version-4 layout)."""
    h = digest(*parts, n=32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"
