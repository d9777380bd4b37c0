"""What every command handler gets: the parsed options, the output, and finops.toml read once."""

from __future__ import annotations

import argparse
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb

from finops.cli.output import Output
from finops.config import Config, load_config


@dataclass
class Context:
    args: argparse.Namespace
    out: Output
    db_override: Path | None = field(default=None)  # `finops demo` has a warehouse of its own

    @cached_property
    def config(self) -> Config:
        """finops.toml, read at most once per command, and only by commands that need it."""
        from finops.connectors.registry import SOURCE_KINDS

        return load_config(self.args.config, source_kinds=sorted(SOURCE_KINDS))

    @property
    def db(self) -> Path:
        from finops.warehouse.connection import resolve_db_path

        return self.db_override or resolve_db_path(self.args.db)

    def connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        from finops.warehouse.connection import connect

        return connect(self.db, read_only=read_only, settings=self.config.duckdb)

    def writer(self) -> AbstractContextManager:
        """The warehouse's writer lock, waiting as long as [refresh] lock_wait_seconds says."""
        from finops.warehouse.lock import writer_lock

        return writer_lock(self.db, wait_seconds=self.config.refresh.lock_wait_seconds, log=self.out.progress)
