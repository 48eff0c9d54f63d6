"""The data submissions a project keeps, and what the accepted ones add to the graph.

Each submission lives in ``<project>/submissions/<id>/``: the input exactly as received (its CSV
files, or one RDF file ``input.<ext>``) and ``submission.json``, which records its id, kind, who
submitted it and when, the checksum of the input, the citykg version, the files and the status
(``accepted`` or ``withdrawn``, with the history of both). Submissions are data kept with the
project, like ``data/``: every build includes the accepted ones, so a rebuild never loses them.

In the graph, each accepted submission is a named graph of its own,
``https://w3id.org/citykg/graph/submission/<id>``, described with PROV: ``prov:wasAttributedTo``
the submitter, ``prov:generatedAtTime`` when it was accepted, ``ckg:sha256`` the checksum of the
input and ``ckg:citykgVersion`` the version that accepted it. Its rows keep their provenance
down to the file and line (``submissions/<id>/new-study/factors.csv``, line 3).

:mod:`citykg.context` reads the accepted submissions with the project's data.

Example::

    >>> from citykg.project import Project
    >>> load_submissions(Project.locate(), status=Status.ACCEPTED)
    []
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from citykg import iris
from citykg.errors import InputError, SubmissionError, quoted
from citykg.intake import InputKind
from citykg.project import Project

__all__ = ["METADATA", "MIN_PREFIX", "Event", "Status", "Submission", "find_submission",
           "load_submissions", "submissions_dir", "submissions_table", "write_metadata"]

#: The file that describes a submission, beside its input.
METADATA = "submission.json"
#: The fewest leading digits of an id that name a submission.
MIN_PREFIX = 4
_ID = re.compile(r"[0-9a-f]{16}")
_NOTED: set[Path] = set()  # stray folders already noted on stderr


class Status(Enum):
    """Whether a submission is part of the graph."""

    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Event:
    """One step in a submission's life: submitted, withdrawn or reinstated."""

    action: str
    who: str
    when: str


@dataclass(frozen=True)
class Submission:
    """An accepted (or withdrawn) submission, as ``submission.json`` describes it."""

    id: str
    kind: InputKind
    who: str
    when: str
    sha256: str
    citykg_version: str
    files: tuple[str, ...]
    status: Status
    received_as: str
    history: tuple[Event, ...] = ()
    #: Where its files are (``submissions/<id>``, or a staging folder during a merge).
    folder: Path = field(default=Path(), compare=False)

    @property
    def graph(self) -> str:
        """The IRI of its named graph."""
        return iris.submission_graph(self.id)

    def to_json(self) -> str:
        """``submission.json``: keys in a fixed order, so the file is stable."""
        return json.dumps(self._record(), ensure_ascii=False, indent=2) + "\n"

    def to_dict(self) -> dict[str, object]:
        """What ``--format json`` prints of it: the keys of ``submission.json`` and its graph."""
        return {**self._record(), "graph": self.graph}

    def _record(self) -> dict[str, object]:
        return {
            "id": self.id, "kind": self.kind.value, "status": self.status.value,
            "who": self.who, "when": self.when, "sha256": self.sha256,
            "citykg_version": self.citykg_version, "received_as": self.received_as,
            "files": list(self.files),
            "history": [{"action": e.action, "who": e.who, "when": e.when} for e in self.history],
        }

    def describe(self) -> str:
        """A plain-text description: id, graph, status, who, when, checksum, files, history."""
        lines = [f"submission  {self.id}", f"graph       <{self.graph}>", f"status      {self.status.value}",
                 f"kind        {self.kind.value}", f"who         {self.who}", f"when        {self.when}",
                 f"sha256      {self.sha256}", f"citykg      {self.citykg_version}",
                 f"received    {self.received_as}", f"folder      {self.folder}"]
        lines += [f"file        {name}" for name in self.files]
        lines += [f"history     {e.when}  {e.action} by {e.who}" for e in self.history]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_folder(cls, folder: Path) -> Submission:
        """Read ``folder/submission.json``.

        :raises InputError: if it is missing or malformed.
        """
        path = folder / METADATA
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                id=str(data["id"]), kind=InputKind(data["kind"]), who=str(data["who"]),
                when=str(data["when"]), sha256=str(data["sha256"]),
                citykg_version=str(data["citykg_version"]),
                files=tuple(str(f) for f in data["files"]), status=Status(data["status"]),
                received_as=str(data.get("received_as", "")),
                history=tuple(Event(str(e["action"]), str(e["who"]), str(e["when"]))
                              for e in data.get("history", [])),
                folder=folder)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path} cannot be read ({exc}); it describes the submission in "
                             f"{folder.name}. Restore it from version control.") from exc


def submissions_dir(project: Project) -> Path:
    """The folder of a project's submissions."""
    return project.root / "submissions"


def load_submissions(project: Project, *, status: Status | None = None) -> list[Submission]:
    """The project's submissions (of one status, if given), oldest first.

    Folders whose names start with ``.`` are merges in progress. Other folders not named by a
    submission id (16 hexadecimal digits) are ignored, with a note on stderr once per process.

    :raises InputError: if a ``submission.json`` cannot be read, or is in a folder not named by
        a submission id (a renamed submission: rename it back).
    """
    folder = submissions_dir(project)
    if not folder.is_dir():
        return []
    found = [Submission.from_folder(p) for p in sorted(folder.iterdir())
             if p.is_dir() and not p.name.startswith(".") and (_ID.fullmatch(p.name) or _stray(p))]
    return sorted((s for s in found if status is None or s.status is status),
                  key=lambda s: (s.when, s.id))


def _stray(path: Path) -> bool:
    """Refuse a renamed submission's folder; note any other stray folder once (False: ignore it)."""
    shown = f"submissions/{path.name}"
    if (path / METADATA).exists():
        raise InputError(f"{shown} holds a {METADATA} but its name is not a submission id (16 "
                         f"hexadecimal digits). Rename it back to the id its {METADATA} records, "
                         "or move it out of submissions/.")
    if path.resolve() not in _NOTED:
        _NOTED.add(path.resolve())
        print(f"citykg: ignoring {shown}: not a submission (its name is not a submission id). "
              "Move it out of submissions/ to silence this note.", file=sys.stderr)
    return False


def find_submission(project: Project, ident: str) -> Submission:
    """The submission with this id, or the one whose id starts with it (at least
    :data:`MIN_PREFIX` digits); upper case is read as lower case.

    :raises SubmissionError: if none or several match.
    """
    every = load_submissions(project)
    wanted = ident.strip().lower()
    matches = [s for s in every if s.id == wanted] or \
              [s for s in every if len(wanted) >= MIN_PREFIX and s.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise SubmissionError(f"{quoted(ident)} matches {len(matches)} submissions; give more of the id.")
    if len(wanted) < MIN_PREFIX:
        raise SubmissionError(f"No submission {quoted(ident)}: give at least {MIN_PREFIX} digits of the "
                              "id (or all 16). See `citykg submissions list`.")
    raise SubmissionError(f"No submission {quoted(ident)} in {submissions_dir(project)}. "
                          "See `citykg submissions list`.")


def write_metadata(submission: Submission, folder: Path) -> None:
    """Write ``submission.json`` into ``folder`` atomically (a temporary file, then a rename)."""
    tmp = folder / f".{METADATA}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(submission.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, folder / METADATA)


def submissions_table(subs: Sequence[Submission]) -> str:
    """A text table of submissions (id, status, when, kind, files, who) and their count."""
    rows = [("id", "status", "when", "kind", "files", "who")]
    rows += [(s.id, s.status.value, s.when, s.kind.value, str(len(s.files)), s.who) for s in subs]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join([*lines, f"({len(subs)} submission{'s' * (len(subs) != 1)})"]) + "\n"
