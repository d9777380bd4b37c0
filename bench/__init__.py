"""Benchmarks of finops at real scale; run ``python -m bench`` (see bench/README.md).

Imports nothing: bench.steps also runs under focus-converter's own virtual environment.
"""
