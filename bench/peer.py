"""The FinOps Foundation's focus-converter, installed in its own virtual environment.

focus-converter 1.0.0 (the latest on PyPI) pins polars 0.20.10 and pyarrow 14, which cannot share
an environment with finops, so it lives in bench/.cache/focus-converter-venv, created on first
use. Two more pins make its CLI start at all: typer 0.9 breaks on click >= 8.2 ("Secondary flag
is not valid for non-boolean flag") and its focus-validator's pandera 0.17 imports
``multimethod.overload``, which multimethod 2 removed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.generate import CACHE

VENV = CACHE / "focus-converter-venv"
REQUIREMENTS = ["focus-converter==1.0.0", "click<8.2", "multimethod<2"]


def python() -> Path:
    return VENV / "bin" / "python"


def installed() -> bool:
    return (VENV / ".complete").exists()


def install(base_python: str = sys.executable) -> Path:
    """Create the environment (once) with ``base_python``, which must be 3.9-3.12."""
    if not installed():
        subprocess.run([base_python, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS],
                       check=True)
        (VENV / ".complete").write_text(" ".join(REQUIREMENTS) + "\n")
    return python()
