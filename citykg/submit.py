"""Submit data: check it in the context of the current graph, then merge it atomically.

``submit`` takes a folder or zip of tables, or an RDF file (see :mod:`citykg.intake`), and:

1. copies it into a private folder and computes its id (the checksum of the input); the same
   input twice is one submission: the second time answers with the existing id and writes
   nothing;
2. validates it in context (:func:`citykg.validate.check_received`); a rejected submission writes
   nothing at all;
3. under the dist lock (:mod:`citykg.lock`): stages it in ``submissions/.incoming-<id>-<pid>/``,
   builds a new store that includes it (a new build folder, validated as a whole), notes the
   merge in ``dist/.merge.json``, renames the staged folder to ``submissions/<id>/`` (the
   commit point), switches ``dist/current`` to the new build and clears the note.

A process killed at any point leaves the store as it was or with the whole submission, never
half of it; the next submit or withdraw (or ``citykg submissions list``) recovers (see
:mod:`citykg.merge`). ``withdraw`` is the same merge the other way: a new build without the
submission, then its status becomes ``withdrawn`` (its files stay, for the record), then the
switch. Submitting a withdrawn submission's input again reinstates it.

Example (``submit`` takes the same arguments and ``who``)::

    >>> import tempfile
    >>> from citykg.project import Project
    >>> folder = Path(tempfile.mkdtemp()) / "partners"
    >>> folder.mkdir()
    >>> _ = (folder / "partnerships.csv").write_text(
    ...     "city_a,city_b,type,source\\ntabriz,mashhad,friendship,Example (2024)\\n", encoding="utf-8")
    >>> validate_input(folder, project=Project.locate()).summary()
    '0 violations, 0 warnings, 0 info'
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from citykg import __version__, iris, merge
from citykg.build import build, graph_files, switch_to
from citykg.errors import DataError, InputError, StoreError, SubmissionError
from citykg.intake import InputKind, Received, receive, receive_bytes
from citykg.lock import exclusive
from citykg.merge import Checkpoint
from citykg.project import Project
from citykg.report import Finding, Report, Severity
from citykg.shacl import Engine
from citykg.submissions import (
    Event,
    Status,
    Submission,
    find_submission,
    load_submissions,
    submissions_dir,
    write_metadata,
)
from citykg.validate import check_received

__all__ = ["Outcome", "SubmitResult", "WithdrawResult", "check_who", "list_submissions", "submit",
           "submit_bytes", "validate_input", "withdraw"]


class Outcome(Enum):
    """What became of a submission."""

    ACCEPTED = "accepted"  # merged: a new named graph in the store
    EXISTING = "existing"  # the same input was accepted before: nothing written
    REINSTATED = "reinstated"  # the same input had been withdrawn: accepted again
    REJECTED = "rejected"  # it has violations: nothing written


@dataclass(frozen=True)
class SubmitResult:
    """The outcome of a submission, its id, and the findings about it."""

    outcome: Outcome
    id: str
    report: Report
    submission: Submission | None = None
    build_id: str | None = None

    @property
    def accepted(self) -> bool:
        """True unless the submission was rejected."""
        return self.outcome is not Outcome.REJECTED

    def message(self) -> str:
        """One line that says what became of the submission."""
        graph = self.submission.graph if self.submission else iris.submission_graph(self.id)
        return {
            Outcome.ACCEPTED: f"Accepted submission {self.id}: graph <{graph}>.",
            Outcome.REINSTATED: f"Reinstated submission {self.id}: graph <{graph}>.",
            Outcome.EXISTING: f"Already accepted as submission {self.id}; nothing written.",
            Outcome.REJECTED: "Rejected: nothing was written. Fix the violations and submit again.",
        }[self.outcome]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary: ok (accepted, or there already), outcome, id, graph, and the report."""
        return {"ok": self.accepted, "outcome": self.outcome.value, "id": self.id,
                "graph": self.submission.graph if self.submission else None,
                "report": json.loads(self.report.to_json())}


@dataclass(frozen=True)
class WithdrawResult:
    """A withdrawn submission and the build that no longer has it."""

    submission: Submission
    build_id: str
    #: The records whose Wikidata links and facts left ``graphs/`` with it (``city/caceres``): it
    #: added them, and ``citykg link`` had linked them.
    unlinked: tuple[str, ...] = ()


def validate_input(path: Path | str, *, project: Project, engine: Engine = Engine.TURBO,
                   standalone: bool = False) -> Report:
    """Validate a submission (folder, zip or RDF file) in context, as ``submit`` would; or,
    ``standalone``, on its own (the shapes and its own references, not the graph).

    Findings name files as the input names them (``new-study.zip/new-study/factors.csv``).

    :raises InputError: if the input is unreadable or unsafe.
    """
    with tempfile.TemporaryDirectory(prefix="citykg-input-") as work:
        received = receive(Path(path), Path(work), within=_within(project))
        known = None if standalone else _repeated(project, received)
        if known is not None:
            return Report.of([Finding(
                Severity.INFO, f"This input is already accepted as submission {known.id}; "
                "submitting it again changes nothing.", file=received.label, shape="citykg:submission")])
        return _validate(received, project, engine, standalone=standalone)


def submit(path: Path | str, *, project: Project, who: str, engine: Engine = Engine.TURBO,
           checkpoint: Checkpoint | None = None) -> SubmitResult:
    """Validate a submission in context and, if it conforms, merge it (see the module docstring).

    :param path: a folder or ``.zip`` of tables, or an RDF file.
    :param project: the project to merge into.
    :param who: who submits it (a name or a handle; recorded with PROV, and public).
    :param engine: the SHACL engine.
    :param checkpoint: called after each merge step; by default honours ``CITYKG_PAUSE_AT``.
    :raises InputError: if the input is unreadable or unsafe, or is the project's own ``data/``
        or holds its ``submissions/`` (nothing is written).
    """
    given = Path(path)
    if given.resolve().is_relative_to(project.data.resolve()):
        raise InputError(f"{given.as_posix()} is in the project's own data/, which `citykg build` builds as it is "
                         "(check it with `citykg validate`). A submission is new data kept apart from data/: "
                         "copy the tables elsewhere if they are meant as one.")
    if submissions_dir(project).resolve().is_relative_to(given.resolve()):
        raise InputError(f"{given.as_posix()} holds the project's submissions/, where citykg keeps the accepted "
                         "ones: submit one new folder, zip or RDF file.")
    with tempfile.TemporaryDirectory(prefix="citykg-input-") as work:
        received = receive(given, Path(work), within=_within(project))
        return _submit(received, project, who, engine, checkpoint)


def submit_bytes(body: bytes, *, content_type: str, project: Project, who: str,
                 engine: Engine = Engine.TURBO, checkpoint: Checkpoint | None = None) -> SubmitResult:
    """:func:`submit` for an HTTP body: a zip of tables, or RDF of the given media type."""
    with tempfile.TemporaryDirectory(prefix="citykg-input-") as work:
        received = receive_bytes(body, Path(work), content_type=content_type)
        return _submit(received, project, who, engine, checkpoint)


def withdraw(ident: str, *, project: Project, who: str, engine: Engine = Engine.TURBO,
             checkpoint: Checkpoint | None = None) -> WithdrawResult:
    """Remove exactly one submission's graph from the store; keep its files, marked withdrawn.

    What ``citykg link`` wrote in ``graphs/`` about the records it adds goes with it (see
    :mod:`citykg.unlink`); every other link and decision stays.

    :param ident: the submission id (or a unique prefix of it).
    :raises SubmissionError: if there is no such accepted submission.
    :raises DataError: if the graph without it would not conform (another submission relies on
        it); nothing changes then.
    """
    from citykg import unlink  # (and citykg link's modules: only a withdrawal needs them)

    step = checkpoint or merge.pause_from_env
    who = check_who(who)
    with exclusive(project.dist):
        merge.recover(project, engine=engine)
        sub = find_submission(project, ident)
        if sub.status is Status.WITHDRAWN:
            raise SubmissionError(f"Submission {sub.id} is already withdrawn. To bring it back, submit the same "
                                  f"input again (its files are kept in {sub.folder}).")
        others = [s for s in load_submissions(project, status=Status.ACCEPTED) if s.id != sub.id]
        links = unlink.unlinked(project, submissions=others)  # what citykg link said of its records goes too
        try:
            result = build(project, engine=engine, submissions=others, switch=False, graphs=links.files)
        except DataError as exc:
            broken = Report.of([f for f in exc.report.findings if f.severity is Severity.VIOLATION])
            # a file of graphs/ that names its records (not citykg link's: those lose them) is the cause
            values = {f.value for f in broken.findings if f.value}
            named = [name for name, quads in graph_files(project) if name not in links.files and any(
                getattr(term, "value", None) in values for q in quads for term in (q.subject, q.object))]
            relying = [] if named else sorted({m.group(1) for f in broken.findings
                                               if (m := re.search(r"submissions/([0-9a-f]{16})/", f.file or ""))})
            if relying:  # their rows are the cause; what they break in the project's records follows from them
                broken = Report.of([f for f in broken.findings if "submissions/" in (f.file or "")])
            reason = (f"{', '.join(named)} {'names' if len(named) == 1 else 'name'} records it adds: take those "
                      "statements out, then withdraw it again" if named else
                      f"submission {', '.join(relying)} relies on it; withdraw that first" if relying
                      else broken.summary())
            raise DataError(f"Withdrawing {sub.id} would leave the graph invalid ({reason}); it stays "
                            "accepted.", broken) from exc
        step("built")
        merge.note(project, "withdraw", sub.id)
        step("journaled")
        unlink.write(project, links)
        step("unlinked")
        done = replace(sub, status=Status.WITHDRAWN,
                       history=(*sub.history, Event("withdrawn", who, merge.now())))
        write_metadata(done, sub.folder)
        step("renamed")
        switch_to(project, result.build_id)
        step("switched")
        (project.dist / merge.JOURNAL).unlink()
    return WithdrawResult(done, result.build_id, links.records)


def list_submissions(project: Project, *, engine: Engine = Engine.TURBO) -> list[Submission]:
    """Every submission, oldest first, after :func:`recover` if an interrupted merge left work
    behind and no merge is running now (a running merge cleans up for itself)."""
    if merge.leftovers(project) or (project.dist / merge.JOURNAL).exists():
        with contextlib.suppress(StoreError), exclusive(project.dist, timeout=0):
            merge.recover(project, engine=engine)
    return load_submissions(project)


def _submit(received: Received, project: Project, who: str, engine: Engine,
            checkpoint: Checkpoint | None) -> SubmitResult:
    who = check_who(who)
    known = _repeated(project, received)
    if known is not None:
        return SubmitResult(Outcome.EXISTING, received.id, Report.of([]), known)
    report = _validate(received, project, engine)
    if not report.conforms:
        return SubmitResult(Outcome.REJECTED, received.id, report)
    with exclusive(project.dist):
        merge.recover(project, engine=engine)
        return _merge(received, project, who, engine, checkpoint or merge.pause_from_env, report)


def _merge(received: Received, project: Project, who: str, engine: Engine, step: Checkpoint,
           report: Report) -> SubmitResult:
    """Steps 3–6 of the module docstring; the caller holds the lock."""
    known = _known(project, received.id)
    if known is not None and known.status is Status.ACCEPTED:
        return SubmitResult(Outcome.EXISTING, received.id, Report.of([]), known)
    home = submissions_dir(project)
    created = not home.exists()
    when = merge.now()
    if known is not None:  # withdrawn before: reinstate the files already kept
        pending = replace(known, status=Status.ACCEPTED,
                          history=(*known.history, Event("reinstated", who, when)))
        staged = None
    else:
        pending = Submission(
            id=received.id, kind=received.kind, who=who, when=when, sha256=received.sha256,
            citykg_version=__version__, files=received.files, status=Status.ACCEPTED,
            received_as=Path(received.label).name, history=(Event("submitted", who, when),))
        staged = merge.stage(received, pending, home)
        pending = replace(pending, folder=staged)
        step("staged")
    accepted = [s for s in load_submissions(project, status=Status.ACCEPTED) if s.id != pending.id]
    try:
        result = build(project, engine=engine, submissions=[*accepted, pending], switch=False)
    except DataError as exc:
        merge.discard(staged, home if created else None)
        return SubmitResult(Outcome.REJECTED, received.id, _own(exc.report, pending, received))
    except BaseException:
        merge.discard(staged, home if created else None)
        raise
    step("built")
    merge.note(project, "submit", pending.id)
    step("journaled")
    final = home / pending.id
    if staged is not None:
        os.rename(staged, final)
    else:
        write_metadata(pending, final)
    merge.fsync_dir(home)
    step("renamed")
    switch_to(project, result.build_id)
    step("switched")
    (project.dist / merge.JOURNAL).unlink()
    outcome = Outcome.ACCEPTED if staged is not None else Outcome.REINSTATED
    return SubmitResult(outcome, pending.id, report, replace(pending, folder=final), result.build_id)


def _within(project: Project) -> tuple[Path, Path]:
    """Where a link named as the input may point: into the project or its dist folder."""
    return project.root, project.dist


def _known(project: Project, sid: str) -> Submission | None:
    return next((s for s in load_submissions(project) if s.id == sid), None)


def _repeated(project: Project, received: Received) -> Submission | None:
    """The accepted submission that the input repeats, unless the input holds a table beside it
    that is not read (``Strategies.CSV``): that is reported (see :func:`_left_out`), not lost."""
    known = _known(project, received.id)
    if known is None or known.status is not Status.ACCEPTED or any(
            _left_out(name).severity is Severity.VIOLATION for name in received.ignored):
        return None
    return known


def _validate(received: Received, project: Project, engine: Engine, *, standalone: bool = False) -> Report:
    """Validate the received files in context (or on their own); name files as the input names them."""
    try:
        report = check_received(received, project=project, engine=engine, standalone=standalone)
    except InputError as exc:  # name the input's file, not citykg's private copy of it
        if received.kind is InputKind.RDF:
            private, public = (received.root / received.files[0]).as_posix(), received.label
        else:
            private, public = _private(received), received.shown("")
        raise InputError(str(exc).replace(private, public)) from exc
    ignored = [_left_out(f"{received.label}/{name}") for name in received.ignored
               if not name.rsplit("/", 1)[-1].lower().startswith("readme")]  # its notes, as `citykg template` writes
    return Report.of([_rename(f, received) for f in report.findings] + ignored)


def _private(received: Received) -> str:
    return received.root.as_posix() + "/"


def _left_out(shown: str) -> Finding:
    """The finding about a file of the input that is not read: a warning, or a violation for a
    table whose extension is not lower-case ``.csv`` (its rows would be lost)."""
    name = shown.rsplit("/", 1)[-1]
    if name.lower().endswith(".csv"):
        return Finding(Severity.VIOLATION, f"{name} is not read: citykg reads tables named in "
                       f"lower case with the extension .csv. Rename it to {name.lower()}.",
                       file=shown, shape="citykg:submission")
    return Finding(Severity.WARNING, "This file is not a CSV table; citykg left it out.",
                   file=shown, shape="citykg:submission")


def _rename(finding: Finding, received: Received) -> Finding:
    """The finding with the input's files named as the input names them, in its place and its message."""
    root = _private(received)
    if root in finding.message:  # another file of the input, named in the message (a duplicate's first row)
        finding = replace(finding, message=finding.message.replace(root, received.shown("")))
    if finding.file and finding.file.startswith(root):
        return replace(finding, file=received.shown(finding.file[len(root):]))
    return finding


def _own(report: Report, sub: Submission, received: Received) -> Report:
    """The findings of a failed merge build that concern the submission, named as received.

    If none of its violations is in the submission's files (the conflict is elsewhere, or the
    project's own data no longer conforms), every violation is kept, so the reason shows.
    """
    prefix = f"submissions/{sub.id}/"
    mine = [f for f in report.findings if f.file and f.file.startswith(prefix)]
    if not any(f.severity is Severity.VIOLATION for f in mine):
        mine += [f for f in report.findings if f.severity is Severity.VIOLATION]
    return Report.of(replace(f, file=received.shown(f.file[len(prefix):]))
                     if f.file and f.file.startswith(prefix) else f for f in mine)


_JOINERS = "\u200c\u200d"  # zero-width (non-)joiner: Persian and Arabic spelling needs them


def check_who(who: str, *, how: str = "--who NAME, or CITYKG_SUBMITTER") -> str:
    """``who`` with its spaces tidied; an :class:`InputError` that says ``how`` to give it if it is
    empty, longer than 200 characters or holds control characters.

    >>> check_who("  Ana   Example ")
    'Ana Example'
    """
    who = " ".join(who.split())
    if not who or len(who) > 200 or any(not ch.isprintable() and ch not in _JOINERS for ch in who):
        raise InputError(f"Say who submits the data ({how}): a name or a handle (it is public) of at most "
                         "200 printable characters.")
    return who


