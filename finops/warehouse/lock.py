"""One writer at a time: an advisory lock file beside the warehouse.

DuckDB itself lets only one process open a database file for writing, and refuses a second opener
at once with an error. Cron jobs need the gentler behaviour of waiting their turn, so every writing
command (ingest, build, demo, refresh) first takes ``<warehouse>.lock`` with ``fcntl.flock``.

Why fcntl directly rather than the filelock package: its Unix lock is this same ``flock`` call, and
``flock`` already answers the stale-lock question. The kernel drops the lock when its holder dies,
even by SIGKILL, so a lock file left behind by a killed process never blocks anyone; the pid
written into it is only there for the message a waiting process prints.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from finops.errors import FinopsError
from finops.warehouse.storage import storage_error

LOCKED_EXIT = 75  # EX_TEMPFAIL: cron wrappers and systemd treat it as "try again later"
DEFAULT_WAIT_SECONDS = 600.0
POLL_SECONDS = 0.1


class LockBusy(FinopsError):
    """Another finops process kept the warehouse's writer lock for longer than we would wait."""

    exit_code = LOCKED_EXIT


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


@contextmanager
def writer_lock(db: Path, *, wait_seconds: float = DEFAULT_WAIT_SECONDS,
                log: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the warehouse's writer lock for the duration of the block, waiting up to ``wait_seconds``."""
    if str(db) == ":memory:":
        yield
        return
    path = lock_path(db)
    fd = _open_lock_file(path)
    try:
        _acquire(fd, path, wait_seconds, log)
        previous = os.pread(fd, 64, 0).decode(errors="replace").strip()
        if previous and log:
            log(f"lock {path}: left by process {previous}, which has exited (stale, taken over)")
        os.ftruncate(fd, 0)
        try:
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass  # a full disk: the pid is only for messages, and the warehouse's own write reports it
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # an empty file means nobody holds it; the file itself stays
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open_lock_file(path: Path) -> int:
    """Open (or create) the lock file itself, never what a symbolic link there points to: taking the
    lock truncates the file, so following a planted link would empty the link's target."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # what O_NOFOLLOW answers for a symbolic link
            raise FinopsError(f"{path}: the lock file is a symbolic link; refusing to follow it "
                              "(remove it and finops creates a plain file)") from None
        raise storage_error(exc, "nothing was changed") or FinopsError(
            f"{path}: cannot open the lock file: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a device or FIFO planted there: nothing to truncate
        os.close(fd)
        raise FinopsError(f"{path}: the lock file is not a regular file; remove it and finops creates one")
    return fd


def _acquire(fd: int, path: Path, wait_seconds: float, log: Callable[[str], None] | None) -> None:
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            if time.monotonic() >= deadline:
                raise LockBusy(f"{path}: another finops writer (pid {holder}) still holds the warehouse "
                               f"after {wait_seconds:g}s; try again later") from None
            if log and not announced:
                log(f"waiting for the writer lock held by pid {holder} (up to {wait_seconds:g}s)")
                announced = True
            time.sleep(POLL_SECONDS)
