"""A delivery's files are a set by content: the same bytes under two names are read once, and two
different files may not claim the same line items.

Exports get copied by hand and by sync tools: ``bill.csv`` beside the ``bill.csv.gz`` it came from,
a GCP ``x.json`` beside ``x.json.gz``, a manifest that lists a key twice. Reading both would count
every row twice, so files are compared by their decompressed content. Cheaply: a hash of the first
64 KiB of each decompressed stream sorts them, and only files that agree there are hashed whole.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from finops.connectors.readers import GZIP_MAGIC, FileSet
from finops.connectors.sources import SourceFile
from finops.errors import FinopsError

HEAD_BYTES = 64 * 1024
CHUNK = 1024 * 1024


def distinct_contents(files: list[SourceFile], paths: list[Path]) -> tuple[list[int], list[tuple[SourceFile, SourceFile]]]:
    """The positions of the files to read (first of each content), and (dropped, kept) pairs of the
    others: the same file listed twice, or another name with the same decompressed bytes."""
    kept: list[int] = []
    dropped: list[tuple[SourceFile, SourceFile]] = []
    by_uri: dict[str, int] = {}
    by_head: dict[str, list[int]] = {}
    whole: dict[int, str] = {}
    for i, (f, path) in enumerate(zip(files, paths)):
        if f.uri in by_uri:
            dropped.append((f, files[by_uri[f.uri]]))
            continue
        by_uri[f.uri] = i
        same = None
        head = _digest(path, f.uri, HEAD_BYTES)
        for j in by_head.get(head, []):
            if j not in whole:
                whole[j] = _digest(paths[j], files[j].uri, None)
            if whole.setdefault(i, _digest(path, f.uri, None)) == whole[j]:
                same = j
                break
        if same is not None:
            dropped.append((f, files[same]))
            continue
        by_head.setdefault(head, []).append(i)
        kept.append(i)
    return kept, dropped


def _digest(path: Path, uri: str, limit: int | None) -> str:
    """SHA-256 of the decompressed content (its first ``limit`` bytes when given)."""
    digest = hashlib.sha256()
    read = 0
    try:
        for chunk in _chunks(path):
            if limit is not None and read + len(chunk) >= limit:
                digest.update(chunk[: limit - read])
                break
            digest.update(chunk)
            read += len(chunk)
    except (EOFError, zlib.error, gzip.BadGzipFile):
        raise FinopsError(f"{uri}: cannot read: the gzip stream is corrupt or truncated") from None
    except OSError as exc:
        raise FinopsError(f"{uri}: cannot read: {exc.strerror or exc}") from None
    return digest.hexdigest()


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    with (gzip.open(path, "rb") if compressed else path.open("rb")) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def check_claims(con: duckdb.DuckDBPyConnection, table: str, load_id: int, files: FileSet, key: tuple[str, ...],
                 period: str) -> None:
    """Refuse a delivery in which two different files hold the same line items (same ``key``
    columns in the same ``period``): one of them is a stale or foreign copy, and counting both
    would double those charges."""
    columns = ", ".join(key)
    row = con.execute(
        f"select {key[0]}, min(x_source_file), max(x_source_file) from {table} "
        f"where x_load_id = ? and {key[0]} is not null group by {period}, {columns} "
        "having count(distinct x_source_file) > 1 limit 1",
        [load_id],
    ).fetchone()
    if row:
        raise FinopsError(f"{files.uri_of(row[1])} and {files.uri_of(row[2])}: both hold line item {row[0]} of the same "
                          "period; one of them is a stale or foreign copy (remove it)")
