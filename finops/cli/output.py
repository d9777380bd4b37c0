"""What the CLI prints: messages, progress, plain tables, and result files written safely.

Messages go to stdout; progress to stderr on a terminal only (cron mail stays quiet); nothing but
errors with ``--quiet``. Values that came from a bill (tags, resource names) are printed as data,
never as instructions: a table strips terminal control characters, and CSV neutralises cells a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from finops.warehouse.storage import write_text_atomically

# C0 and C1 control characters (ESC sequences, bells, carriage returns), kept out of a terminal
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# a cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Output:
    """Messages to stdout; progress to stderr only on a terminal; nothing at all with --quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.interactive = sys.stderr.isatty() and not quiet

    def say(self, text: str = "") -> None:
        if not self.quiet:
            print(text)

    def progress(self, text: str) -> None:
        if self.interactive:
            from rich.console import Console

            Console(stderr=True).print(f"[dim]… {text}[/dim]", highlight=False, markup=False)


def print_table(columns: Sequence[str], rows: Sequence[tuple], out: Output, stream: TextIO | None = None) -> None:
    """A plain aligned table: readable in a terminal, a pipe and a cron mail alike."""
    if out.quiet and stream is None:
        return
    print(table_text(columns, rows), end="", file=stream or sys.stdout)


def table_text(columns: Sequence[str], rows: Sequence[tuple]) -> str:
    cells = [[cell(v, columns[i]) for i, v in enumerate(row)] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(_is_number(row[i]) for row in rows) for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    lines = [line(columns), line(["-" * w for w in widths]), *(line(row) for row in cells)]
    return "\n".join(lines) + "\n"


RATE_WORDS = ("rate", "price", "per_", "_per")
"""A column whose name has one of these holds a unit price, not an amount (docs/cli.md, 'Tables')."""
COUNT_WORDS = ("rows", "count")


def cell(value: object, column: str = "") -> str:
    """One value as table text, no control characters. Decimals are amounts, to the cent, unless the
    column is a unit price (``rate``, ``price``, ``per_`` in its name): those keep up to six decimal
    places, so $0.000125 per request does not read as 0.00. Counts (``rows``, ``count``) get
    thousands separators; other integers (a year, an id) do not."""
    if value is None:
        return ""
    name = column.lower()
    if isinstance(value, Decimal):
        if any(word in name for word in RATE_WORDS) and value != value.quantize(Decimal("0.01")):
            return f"{value:,.6f}".rstrip("0")
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool) and any(word in name for word in COUNT_WORDS):
        return f"{value:,}"
    return _CONTROL.sub("", str(value))


def _is_number(value: object) -> bool:
    return value is None or (isinstance(value, int | float | Decimal) and not isinstance(value, bool))


def csv_text(columns: Sequence[str], rows: Sequence[tuple], *, raw: bool = False) -> str:
    """CSV with a header; unless ``raw``, a text cell that a spreadsheet would evaluate gets a leading '."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row if raw else [_defused(v) for v in row])
    return buffer.getvalue()


def _defused(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def json_text(columns: Sequence[str], rows: Sequence[tuple]) -> str:
    return json.dumps([dict(zip(columns, row)) for row in rows], default=str, indent=1) + "\n"


def emit(text: str, out_file: str | None) -> None:
    """Print ``text``, or write it to ``out_file`` whole or not at all (exit 74 on a full disk)."""
    if out_file is None:
        sys.stdout.write(text)
    else:
        write_text_atomically(Path(out_file), text)
