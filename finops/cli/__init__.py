"""The ``finops`` command."""

from finops.cli.app import main

__all__ = ["main"]
