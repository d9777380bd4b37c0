"""Writing a bill's files: line items COPYed from DuckDB, split into numbered files, and the
manifest last."""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import duckdb

from finops.demo.aws.projection import rows_from
from finops.demo.aws.session import Session


def copy_csv_gz(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    """COPY ``query`` to a gzip CSV, compressing on a second core.

    DuckDB's own gzip writer is single-threaded and slower than zlib, so DuckDB writes plain CSV
    into a named pipe while a thread (zlib releases the GIL) gzips it; a fixed mtime and no file
    name in the gzip header keep the bytes deterministic. Without ``os.mkfifo`` (Windows) DuckDB
    compresses itself.
    """
    options = "FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"'"
    if not hasattr(os, "mkfifo"):
        con.execute(f"COPY ({query}) TO '{sql_path(path)}' ({options}, COMPRESSION gzip)")
        return
    with tempfile.TemporaryDirectory(prefix="finops-gen-") as tmp:
        fifo = os.path.join(tmp, "rows.csv")
        os.mkfifo(fifo)
        errors: list[BaseException] = []

        def pump() -> None:
            try:
                with open(fifo, "rb") as src, open(path, "wb") as raw, gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0
                ) as gz:
                    shutil.copyfileobj(src, gz, 1 << 20)
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=pump, name="finops-gzip", daemon=True)
        worker.start()
        try:
            con.execute(f"COPY ({query}) TO '{sql_path(Path(fifo))}' ({options})")
        except BaseException:
            try:  # DuckDB may have failed before opening the pipe: let the reader see EOF
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
            worker.join()
            raise
        worker.join()
        if errors:
            raise errors[0]


def sql_path(path: Path) -> str:
    """``path`` as a SQL string literal's content."""
    return path.as_posix().replace("'", "''")


def chunks(con: duckdb.DuckDBPyConnection, n: int, max_rows: int) -> list[tuple[int, int]]:
    """Split the month into ceil(n / max_rows) consecutive slot ranges of similar size."""
    files = max(1, math.ceil(n / max_rows))
    if files == 1:
        return [(0, 1 << 15)]
    ranges: list[list[int]] = []
    seen = 0
    for h0, count in con.execute("SELECT h0, count(*) FROM items GROUP BY h0 ORDER BY h0").fetchall():
        k = min(files - 1, seen * files // n)
        if len(ranges) <= k:
            ranges.append([h0, h0])
        ranges[-1][1] = h0
        seen += count
    ranges[-1][1] = 1 << 15
    return [(lo, hi) for lo, hi in ranges]


def copy_chunks(session: Session, select: str, paths: list[Path], ranges: list[tuple[int, int]],
                fmt: str) -> None:
    """Write the line items in (slot, resource) order, one slot range per file."""
    for path, (lo, hi) in zip(paths, ranges):
        path.parent.mkdir(parents=True, exist_ok=True)
        query = f"SELECT {select} {rows_from(session.plan, lo, hi)} ORDER BY i.h0, i.rid"
        if fmt == "csv":
            copy_csv_gz(session.con, query, path)
        else:
            session.con.execute(f"COPY ({query}) TO '{sql_path(path)}' "
                                "(FORMAT parquet, COMPRESSION snappy)")


def write_manifest(path: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest last and atomically, as AWS does once every data file is in place."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, path)
    return path
