"""Spelling values and names into SQL text, and DuckDB's errors as one line for users.

Its own module so that the schema declaration and the connection can both use it without
importing each other."""

from __future__ import annotations


def sql_literal(value: str) -> str:
    """Quote a string for SQL text (for DDL, where parameters are not allowed)."""
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """Quote a name, so a column named like a keyword or in mixed case (FOCUS's) is taken as written."""
    return '"' + name.replace('"', '""') + '"'


def first_line(exc: BaseException) -> str:
    """DuckDB messages can run to several lines of context; users get the first that says what."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else exc.__class__.__name__
