"""Where the SQL models, report templates and bundled fixtures live.

In a wheel they are packaged under ``finops/_data``; in a source checkout (``pip install -e``)
they sit at the repository root, which is where developers edit them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the directory of bundled resource ``name`` (``sql``, ``reports``, ``fixtures``)."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"finops resource directory {name!r} is missing from the installation")
