"""A full disk or a directory finops may not write: one clear line and exit 74, nothing lost.

These are the machine's problems, not the data's, so they get their own exit code (74, EX_IOERR,
from sysexits.h) and a message naming the file and what to fix. DuckDB reports them as text
(``Could not write file "<path>": No space left on device``, sometimes wrapped in "Failed to
commit" or "database has been invalidated"), so they are recognised by the C library's wording of
the errno, the same wording Python's ``os.strerror`` gives. Nothing is lost because every write is
either a DuckDB transaction (rolled back, the previous data stays) or, for the report,
:func:`write_text_atomically`.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

from finops.errors import FinopsError

STORAGE_EXIT = 74  # EX_IOERR: "an error occurred while doing I/O on some file"

_ADVICE = {
    errno.ENOSPC: "free some space and run again",
    errno.EDQUOT: "free some space or raise the disk quota and run again",
    errno.EFBIG: "raise the file size limit (ulimit -f) and run again",
    **dict.fromkeys((errno.EROFS, errno.EACCES, errno.EPERM), "make it writable for the user finops runs as and run again"),
}
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # only ever a write; the others may be a read
_BY_WORDING = {os.strerror(code): code for code in _ADVICE}
_DUCKDB_FILE = re.compile(r'"([^"]+)": (' + "|".join(map(re.escape, _BY_WORDING)) + ")")


class StorageError(FinopsError):
    """The disk is full, or a file or directory finops must write is read-only."""

    exit_code = STORAGE_EXIT


def storage_error(exc: BaseException, kept: str, warehouse: str | None = None) -> StorageError | None:
    """The :class:`StorageError` ``exc`` stands for, or None when it is some other problem.

    ``kept`` says what survived (e.g. "the warehouse keeps its previous data"), which only the
    caller knows. An OSError comes from a write of the caller's. DuckDB's text may instead be about
    a bill it was reading: "permission denied" counts only for the ``warehouse`` file or the files
    DuckDB keeps beside it (``.wal``, ``.tmp/``), while "no space" is a write wherever it happens."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError) and exc.errno in _ADVICE:
        path, code = exc.filename, exc.errno
    else:
        found = _DUCKDB_FILE.search(str(exc))
        if not found:
            return None
        path, code = found[1], _BY_WORDING[found[2]]
        if code not in _NO_SPACE and not (warehouse and path.startswith(warehouse)):
            return None
    return StorageError(f"{path}: cannot write: {os.strerror(code).lower()}; {kept}; {_ADVICE[code]}")


def write_text_atomically(target: Path, text: str, kept: str = "nothing was written") -> None:
    """Write ``target`` through a temporary file beside it, so a full disk never leaves half a file."""
    data = text.encode("utf-8")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the report from its readers
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        if exc.filename is None or Path(exc.filename).name.startswith(f".{target.name}."):
            exc.filename = str(target)  # name the file the user asked for, not our temporary one
        raise storage_error(exc, kept) or FinopsError(f"{target}: cannot write: {exc.strerror}") from None
