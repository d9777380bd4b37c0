"""The ``finops`` command: a thin layer over the library functions.

Exit codes: 0 success, 1 a source or step failed (bad input, unreadable file), 2 usage or config
error, 74 a full disk or a directory finops may not write, 75 another finops process holds the
warehouse's writer lock, 130 interrupted. Errors are one line on stderr, never a traceback (set
FINOPS_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

from finops.cli.commands import COMMANDS, EXAMPLES, GROUPS
from finops.cli.context import Context
from finops.cli.output import Output
from finops.cli.parser import build_parser
from finops.errors import FinopsError
from finops.warehouse.connection import damaged, resolve_db_path

DEMO_COMMAND = ("demo",)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

__all__ = ["EXAMPLES", "main", "parser"]


def parser() -> argparse.ArgumentParser:
    return build_parser(COMMANDS, GROUPS)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    out = Output(quiet=args.quiet)
    interrupts: list[int] = []
    try:
        with _noting_interrupts(interrupts):
            return _dispatch(args, out)
    except FinopsError as exc:
        if interrupts:  # e.g. "model ... failed: Current transaction is aborted" after the interrupted one
            return _interrupted()
        print(f"finops: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `finops query ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:  # a bug: say so plainly, keep the traceback for FINOPS_DEBUG
        if interrupts:  # Ctrl-C inside a DuckDB query (a RuntimeError "Query interrupted"); rolled back
            return _interrupted()
        damage = damaged(exc, resolve_db_path(args.db))
        if damage is not None:
            print(f"finops: {one_line(str(damage))}", file=sys.stderr)
            return damage.exit_code
        if os.environ.get("FINOPS_DEBUG"):
            raise
        reason = one_line(str(exc).strip().split("\n", 1)[0])
        print(f"finops: internal error: {exc.__class__.__name__}: {reason} (set FINOPS_DEBUG=1 for details)", file=sys.stderr)
        return 1


@contextmanager
def _noting_interrupts(interrupts: list[int]) -> Iterator[None]:
    """Remember a SIGINT while still raising KeyboardInterrupt as Python does: DuckDB turns it into a
    RuntimeError inside a query, which a caller may wrap (a model that failed), so the error alone
    does not tell an interrupt from a failure."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(signum: int, frame: object) -> None:
        interrupts.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupted() -> int:
    print("finops: interrupted; the warehouse is unchanged", file=sys.stderr)
    return 130


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``, ``\\x1b``): a file
    name or a value with a newline in it must not split an error in two, or colour a terminal."""
    return CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def _dispatch(args: argparse.Namespace, out: Output) -> int:
    command = args.run
    ctx = Context(args, out)
    if command.path == DEMO_COMMAND:  # the demo keeps its own warehouse unless told otherwise
        from finops.demo.run import DEMO_DB

        ctx.db_override = resolve_db_path(args.db or os.environ.get("FINOPS_DB") or DEMO_DB)
    with ctx.writer() if command.writes else nullcontext():
        return command.handler(ctx)


if __name__ == "__main__":
    sys.exit(main())
