"""Bill files no manifest accounts for: one delivery per folder, known by the files' names and versions.

Shared by the AWS kind (files beside or instead of manifests) and the FOCUS kind (always loose).
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

from finops.connectors.registry import Delivery
from finops.connectors.sources import Source, SourceFile
from finops.errors import FinopsError

DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet")
UNSUPPORTED_SUFFIXES = {".zip": "ZIP-compressed CUR files are not supported; choose GZIP or Parquet in the report settings"}


def loose_deliveries(source: Source, claimed: list[str] = ()) -> list[Delivery]:
    """Data files below no ``claimed`` folder prefix: one delivery per folder (the parts of one copy)."""
    loose: dict[str, list[SourceFile]] = {}
    for f in source.files:
        if any(f.rel.startswith(prefix) for prefix in claimed):
            continue
        suffix = PurePosixPath(f.name).suffix
        if suffix in UNSUPPORTED_SUFFIXES:
            raise FinopsError(f"{f.uri}: {UNSUPPORTED_SUFFIXES[suffix]}")
        if f.name.endswith(DATA_SUFFIXES):
            loose.setdefault(f.parent, []).append(f)
    return [
        Delivery(
            files[0].uri if len(files) == 1 else f"{source.root}/{folder} ({len(files)} files)",
            files, "files:" + fingerprint(files), source=source,
        )
        for folder, files in sorted(loose.items())
    ]


def fingerprint(files: list[SourceFile]) -> str:
    """Same names, sizes and versions (ETag or mtime) mean the same delivery."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.rel):
        digest.update(f"{f.name}\0{f.size}\0{f.version}\n".encode())
    return digest.hexdigest()[:32]
