"""The command line's grammar, built from the table of commands in :mod:`finops.cli.commands`.

Global options (``--db``, ``--config``, ``-q``) are accepted before the command and after it
(``finops --db X status`` and ``finops status --db X``): the top-level parser holds their
defaults, and every command's parser repeats them with ``SUPPRESS`` defaults, so a value given
after the command wins and one given before it is not reset.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from finops import __version__

Arguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    """One command: where it sits (``("ingest", "aws")``), what it says, and the function it runs."""

    path: tuple[str, ...]
    summary: str
    example: str
    handler: Callable[..., int]
    arguments: Arguments = field(default=lambda parser: None)
    writes: bool = False  # takes the warehouse's writer lock


@dataclass(frozen=True)
class Group:
    """A command with sub-commands (``ingest``, ``export``, ``prices``)."""

    name: str
    summary: str
    example: str
    metavar: str


DESCRIPTION = "Where your cloud money goes: AWS and GCP bills in DuckDB, in FOCUS columns."
TOP_EXAMPLE = 'finops demo\n  finops ingest aws ./cur-exports/ && finops query "select * from costs limit 5"'


def global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--db, --config and --quiet; with ``defaults`` False they only override what the top level set."""
    keep = {} if defaults else {"default": argparse.SUPPRESS}
    parser.add_argument("--db", metavar="PATH",
                        help="warehouse file (default: $FINOPS_DB, else finops.duckdb in the working directory)",
                        **({"default": None} if defaults else keep))
    parser.add_argument("--config", metavar="FILE",
                        help="settings file (default: $FINOPS_CONFIG, else ./finops.toml if present)",
                        **({"default": None} if defaults else keep))
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors (for cron)",
                        **({"default": False} if defaults else keep))


def build_parser(commands: Iterable[Command], groups: Iterable[Group]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finops", description=DESCRIPTION, epilog=_epilog(TOP_EXAMPLE),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"finops {__version__}")
    global_options(parser, defaults=True)
    top = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    groups = {g.name: g for g in groups}
    children: dict[str, argparse._SubParsersAction] = {}
    for command in commands:
        parent = top
        if len(command.path) == 2:
            group = command.path[0]
            if group not in children:
                info = groups[group]
                group_parser = top.add_parser(group, help=info.summary, description=info.summary,
                                              epilog=_epilog(info.example),
                                              formatter_class=argparse.RawDescriptionHelpFormatter)
                global_options(group_parser, defaults=False)
                children[group] = group_parser.add_subparsers(dest="action", metavar=info.metavar, required=True)
            parent = children[group]
        sub = parent.add_parser(command.path[-1], help=command.summary, description=command.summary,
                                epilog=_epilog(command.example), formatter_class=argparse.RawDescriptionHelpFormatter)
        global_options(sub, defaults=False)
        command.arguments(sub)
        sub.set_defaults(run=command)
    return parser


def _epilog(example: str) -> str:
    return f"example:\n  {example}"
