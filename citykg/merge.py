"""The crash-safe steps of a merge, and the recovery after an interrupted one.

A merge (a submission, a withdrawal) changes two things that must agree: ``submissions/`` and
``dist/current``. Holding the dist lock (:mod:`citykg.lock`), it:

1. stages a new submission in ``submissions/.incoming-<id>-<pid>/`` (:func:`stage`), synced to
   disk; a folder whose name starts with ``.`` is never read as a submission;
2. writes a new, validated build folder without switching to it;
3. notes the merge in ``dist/.merge.json`` (:func:`note`);
4. commits: renames the staged folder to ``submissions/<id>/`` (or rewrites a
   ``submission.json`` with a rename), one atomic step;
5. switches ``dist/current`` to the new build (one atomic rename) and clears the note.

A process killed before step 4 leaves ``submissions/`` and the store as they were; killed after
it, the submission is whole in ``submissions/`` and the store catches up at the next merge:
:func:`recover` removes staged folders and half-written builds and, if the note is there,
rebuilds from the accepted submissions and switches. The lock is released by the system when
a process dies, so a killed merge never blocks the next one.

For tests, ``CITYKG_PAUSE_AT=STEP`` (``staged``, ``built``, ``journaled``, ``renamed``,
``switched``) makes a merge stop after that step until it is killed (:func:`pause_from_env`).

Example::

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "submissions" / ".incoming-3f2a9c0d1e4b5a67-4242").mkdir(parents=True)
    >>> [p.name for p in leftovers(Project(root=root, dist=root / "dist"))]
    ['.incoming-3f2a9c0d1e4b5a67-4242']
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from citykg.build import build, switch_to
from citykg.intake import Received
from citykg.project import Project
from citykg.shacl import Engine
from citykg.submissions import Submission, submissions_dir, write_metadata

__all__ = ["JOURNAL", "STAGING", "Checkpoint", "discard", "fsync_dir", "leftovers", "note",
           "now", "pause_from_env", "recover", "stage"]

#: Called with the name of each merge step once it is done.
Checkpoint = Callable[[str], None]
#: The note of a merge in progress, inside the dist folder.
JOURNAL = ".merge.json"
#: The prefix of staging folders inside ``submissions/``.
STAGING = ".incoming-"


def recover(project: Project, *, engine: Engine = Engine.TURBO) -> bool:
    """Clean up after an interrupted merge; the caller holds the dist lock.

    Removes staged submissions and half-written builds; if a merge was interrupted after its
    note was written, rebuilds from the accepted submissions and switches to that build.

    :return: True if there was anything to clean up.
    """
    stale = leftovers(project)
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    for tmp in submissions_dir(project).glob("*/.submission.json.*"):
        tmp.unlink(missing_ok=True)
    journal = project.dist / JOURNAL
    if journal.exists():
        result = build(project, engine=engine, switch=False)
        switch_to(project, result.build_id)
        journal.unlink()
        return True
    return bool(stale)


def leftovers(project: Project) -> list[Path]:
    """Staged submissions and half-written builds that an interrupted process left behind."""
    return [*submissions_dir(project).glob(STAGING + "*"),
            *(project.dist / "builds").glob(".build-*")]


def stage(received: Received, pending: Submission, home: Path) -> Path:
    """Copy the input and its ``submission.json`` into a hidden staging folder; sync them."""
    home.mkdir(parents=True, exist_ok=True)
    staged = home / f"{STAGING}{pending.id}-{os.getpid()}"
    shutil.rmtree(staged, ignore_errors=True)
    for name in received.files:
        target = staged / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(received.root / name, target)
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
    write_metadata(pending, staged)
    fsync_dir(staged)
    return staged


def discard(staged: Path | None, home: Path | None) -> None:
    """Remove what a rejected merge staged (and ``submissions/`` if the merge created it)."""
    if staged is not None:
        shutil.rmtree(staged, ignore_errors=True)
    if home is not None and home.is_dir() and not any(home.iterdir()):
        home.rmdir()


def note(project: Project, action: str, sid: str) -> None:
    """Write ``dist/.merge.json`` atomically: a merge is past its build and about to commit."""
    path = project.dist / JOURNAL
    tmp = path.with_name(f"{JOURNAL}.{os.getpid()}")
    tmp.write_text(json.dumps({"action": action, "id": sid, "pid": os.getpid(),
                               "when": now()}) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a rename into it) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pause_from_env(step: str) -> None:
    """Stop after ``step`` until killed, if ``CITYKG_PAUSE_AT`` names it (crash tests)."""
    if os.environ.get("CITYKG_PAUSE_AT") == step:
        sys.stderr.write(f"citykg: paused after {step}\n")
        sys.stderr.flush()
        while True:
            time.sleep(3600)


def now() -> str:
    """The current time, UTC, to the second, as ISO 8601 (``2025-05-04T10:12:09Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
