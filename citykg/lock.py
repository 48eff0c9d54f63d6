"""One writer at a time: an exclusive lock on a dist folder.

Everything that switches ``dist/current`` (a build, a submission, a withdrawal) holds this lock
from the moment it reads the project until the switch, so two writers never interleave and a
merge never builds on data another writer is about to replace. Readers (queries, the server)
never take it. The lock is ``fcntl.flock`` on ``dist/.lock``: the system releases it when the
process ends, however it ends, so a killed writer never leaves the lock held.

Example::

    >>> import tempfile
    >>> with exclusive(Path(tempfile.mkdtemp())):
    ...     pass
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from citykg.errors import StoreError

__all__ = ["LOCK_FILE", "exclusive"]

#: The lock file's name inside the dist folder.
LOCK_FILE = ".lock"


@contextmanager
def exclusive(dist: Path, *, timeout: float = 300.0) -> Iterator[None]:
    """Hold the exclusive lock of ``dist`` for the ``with`` block, waiting for it if needed.

    :param dist: the dist folder (created if missing).
    :param timeout: seconds to wait for another writer before giving up.
    :raises StoreError: if the lock is still held by another process after ``timeout``.
    """
    dist.mkdir(parents=True, exist_ok=True)
    fd = os.open(dist / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{dist} is locked by another build or submission for more than "
                        f"{timeout:.0f} s. Try again when it has finished.") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)
