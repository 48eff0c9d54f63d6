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

:func:`read_in_context` reads the project's data folders, the accepted submissions and (for
``citykg validate``) an input together, so that references resolve across all of them and a
record defined twice is reported where it is defined the second time.

Example::

    >>> from citykg.project import Project
    >>> load_submissions(Project.locate(), status=Status.ACCEPTED)
    []
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from citykg import iris
from citykg.errors import InputError, SubmissionError
from citykg.intake import InputKind, checksum, parse_rdf, rdf_format_of, table_folders
from citykg.project import Project
from citykg.rdfmap import Mapped, to_quads
from citykg.report import Finding, Report, Severity
from citykg.tables import Source, TableSet, read_tables

__all__ = ["METADATA", "MIN_PREFIX", "Event", "InContext", "Status", "Submission", "find_submission",
           "load_submissions", "read_in_context", "submissions_dir", "submissions_table", "write_metadata"]

#: The file that describes a submission, beside its input.
METADATA = "submission.json"
#: The fewest leading digits of an id that name a submission.
MIN_PREFIX = 4
_ID = re.compile(r"[0-9a-f]{16}")
_NOTED: set[Path] = set()  # stray folders already noted on stderr
_CHECK = "citykg:submission"
_RESERVED = (iris.BASE + "graph/", iris.BASE + "id/source/", iris.CKG)


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
        return json.dumps({
            "id": self.id, "kind": self.kind.value, "status": self.status.value,
            "who": self.who, "when": self.when, "sha256": self.sha256,
            "citykg_version": self.citykg_version, "received_as": self.received_as,
            "files": list(self.files),
            "history": [{"action": e.action, "who": e.who, "when": e.when} for e in self.history],
        }, ensure_ascii=False, indent=2) + "\n"

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
        raise SubmissionError(f"{ident!r} matches {len(matches)} submissions; give more of the id.")
    if len(wanted) < MIN_PREFIX:
        raise SubmissionError(f"No submission {ident!r}: give at least {MIN_PREFIX} digits of the "
                              "id (or all 16). See `citykg submissions list`.")
    raise SubmissionError(f"No submission {ident!r} in {submissions_dir(project)}. "
                          "See `citykg submissions list`.")


def write_metadata(submission: Submission, folder: Path) -> None:
    """Write ``submission.json`` into ``folder`` atomically (a temporary file, then a rename)."""
    tmp = folder / f".{METADATA}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(submission.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, folder / METADATA)


@dataclass(frozen=True)
class InContext:
    """Data folders, accepted submissions and an input read together."""

    tables: TableSet
    #: The quads of everything read: data graphs, one graph per submission (with its PROV
    #: description), and the input's graphs.
    mapped: Mapped
    #: The graph IRIs of the input's folders (empty when there is no input).
    inputs: frozenset[str]
    #: The input's folders as findings name them, each ending in ``/``.
    input_dirs: tuple[str, ...] = ()


def read_in_context(project: Project, folders: Sequence[Path], *,
                    submissions: Sequence[Submission] | None = None,
                    inputs: Sequence[Path] = ()) -> InContext:
    """Read data folders, accepted submissions and input folders, and map them to quads.

    :param project: the project (paths in findings are relative to its folder).
    :param folders: the data folders (each becomes ``graph/<folder name>``).
    :param submissions: the accepted submissions to include; by default those on disk. A
        submission whose folder is one of ``inputs`` is left out (it is what is checked).
    :param inputs: folders of tables under validation, read last so that duplicates are
        reported in them.
    :raises InputError: if a file cannot be read.
    """
    subs = load_submissions(project, status=Status.ACCEPTED) if submissions is None else submissions
    checked = {p.resolve() for p in inputs}
    subs = [s for s in subs if not checked & {s.folder.resolve(), *(f.resolve() for f in
                                                                      _folders(s))}]
    plan: list[tuple[Path, str | None, Submission | None]] = [(f, None, None) for f in folders]
    for s in subs:
        plan += [(f, _label(s, f), s) for f in _folders(s)]
    plan += [(f, f"input/{f.name}", None) for f in inputs]
    tables = read_tables([p for p, _, _ in plan], root=project.root)
    moves = {_shown(project, s.folder): f"submissions/{s.id}" for s in subs}
    sources = tuple(_relabel(src, label, moves) if label else src
                    for src, (_, label, _) in zip(tables.sources, plan, strict=True))
    report = Report.of(_moved(f, moves) for f in tables.report.findings)
    tables = TableSet(sources, report)
    mapped = to_quads(tables)
    quads = _rehome(mapped.quads, plan)
    findings = list(mapped.report.findings)
    for s in subs:
        if s.kind is InputKind.RDF:
            quads += _rdf_quads(s, findings)
        quads += _describe(s)
        findings += _integrity(s)
    inputs_graphs = frozenset(iris.graph(label) for _, label, s in plan
                              if s is None and label is not None)
    # In a deterministic order (the mapped quads sorted, then the submissions'), without repeats.
    return InContext(tables, Mapped(list(dict.fromkeys(quads)), Report.of(findings)),
                     inputs_graphs, tuple(_shown(project, f) + "/" for f in inputs))


def _folders(s: Submission) -> list[Path]:
    return table_folders(s.folder) if s.kind is InputKind.TABLES and s.folder.is_dir() else []


def _label(s: Submission, folder: Path) -> str:
    return f"submission/{s.id}" + ("" if folder == s.folder else f"/{folder.name}")


def _shown(project: Project, path: Path) -> str:
    try:
        return path.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _move(display: str, moves: dict[str, str]) -> str:
    for old, new in moves.items():
        if display.startswith(old + "/"):
            return new + display[len(old):]
    return display


def _moved(finding: Finding, moves: dict[str, str]) -> Finding:
    return replace(finding, file=_move(finding.file, moves)) if finding.file else finding


def _relabel(source: Source, label: str, moves: dict[str, str]) -> Source:
    """The source under a unique name, with paths as they are once the submission is in place."""
    files = {f: replace(f, folder=label, display=_move(f.display, moves)) for f in source.files}
    rows = tuple(replace(r, file=files.get(r.file, r.file)) for r in source.rows)
    return Source(label, tuple(files.values()), rows)


def _rehome(quads: list[Quad], plan: list[tuple[Path, str | None, Submission | None]]) -> list[Quad]:
    """Move the quads of submission sources into the submission's graph and IRIs.

    The build's ``ckg:citykgVersion`` of those graphs is dropped: a submission's graph carries
    the version that accepted it (see :func:`_describe`).
    """
    names: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for folder, label, s in plan:
        if s is None or label is None:
            continue
        names[iris.graph(label)] = s.graph
        tail = () if folder == s.folder else (folder.name,)
        prefixes[iris.source_file(label, "")] = iris.submission_source(s.id, *tail) + "/"
    if not names:
        return list(quads)

    def move(term: NamedNode | BlankNode | Literal) -> NamedNode | BlankNode | Literal:
        if not isinstance(term, NamedNode):
            return term
        if term.value in names:
            return NamedNode(names[term.value])
        for old, new in prefixes.items():
            if term.value.startswith(old):
                return NamedNode(new + term.value[len(old):])
        return term

    version = NamedNode(iris.CKG + "citykgVersion")
    moved = {NamedNode(g) for g in names}
    return [Quad(move(q.subject), q.predicate, move(q.object), move(q.graph_name))  # type: ignore[arg-type]
            if q.graph_name in moved else q for q in quads
            if not (q.predicate == version and q.subject in moved)]


def _rdf_quads(s: Submission, findings: list[Finding]) -> list[Quad]:
    """The triples of an RDF submission, in its graph, with blank nodes named after it."""
    name = s.files[0]
    fmt = rdf_format_of(name)
    display = f"submissions/{s.id}/{name}"
    if fmt is None:
        raise InputError(f"{display}: citykg does not know this RDF format.")
    g = NamedNode(s.graph)
    blanks: dict[str, BlankNode] = {}

    def named(term: NamedNode | BlankNode | Literal) -> NamedNode | BlankNode | Literal:
        if isinstance(term, BlankNode):
            return blanks.setdefault(term.value, BlankNode(f"s{s.id}n{len(blanks)}"))
        return term

    out = []
    for q in parse_rdf((s.folder / name).read_bytes(), fmt, display):
        if isinstance(q.subject, NamedNode) and q.subject.value.startswith(_RESERVED):
            findings.append(Finding(
                Severity.VIOLATION, "An RDF submission may not describe citykg's graphs, "
                "source files or ontology terms; describe records only.", file=display,
                value=q.subject.value, shape=_CHECK))
            continue
        out.append(Quad(named(q.subject), q.predicate, named(q.object), g))  # type: ignore[arg-type]
    return out


def _describe(s: Submission) -> list[Quad]:
    """The PROV description of a submission's graph."""
    g = NamedNode(s.graph)
    agent = NamedNode(iris.entity("agent", s.who))
    triples: list[tuple[NamedNode, str, NamedNode | Literal]] = [
        (g, iris.RDF + "type", NamedNode(iris.CKG + "SourceGraph")),
        (g, iris.PROV + "wasAttributedTo", agent),
        (g, iris.PROV + "generatedAtTime", Literal(s.when, datatype=NamedNode(iris.XSD + "dateTime"))),
        (g, iris.CKG + "sha256", Literal(s.sha256)),
        (g, iris.CKG + "citykgVersion", Literal(s.citykg_version)),
        (agent, iris.RDF + "type", NamedNode(iris.PROV + "Agent")),
        (agent, iris.RDFS + "label", Literal(s.who)),
    ]
    if s.kind is InputKind.RDF:
        f = NamedNode(iris.submission_source(s.id, s.files[0]))
        triples += [(g, iris.PROV + "wasDerivedFrom", f), (f, iris.RDF + "type", NamedNode(iris.CKG + "DataFile")),
                    (f, iris.CKG + "path", Literal(f"submissions/{s.id}/{s.files[0]}")),
                    (f, iris.CKG + "sha256", Literal(hashlib.sha256((s.folder / s.files[0]).read_bytes()).hexdigest()))]
    return [Quad(a, NamedNode(p), o, g) for a, p, o in triples]


def _integrity(s: Submission) -> list[Finding]:
    """A violation if the files of an accepted submission changed since it was accepted."""
    missing = [f for f in s.files if not (s.folder / f).is_file()]
    actual = "" if missing else checksum(s.folder, s.files)
    if actual == s.sha256 and actual.startswith(s.id):
        return []
    what = f"{missing[0]} is missing" if missing else f"its checksum is now {actual[:16]}…"
    return [Finding(Severity.VIOLATION,
                    f"Submission {s.id} changed after it was accepted ({what}). Withdraw it with "
                    f"`citykg submissions withdraw {s.id}` and submit the corrected data.",
                    file=f"submissions/{s.id}/{METADATA}", shape=_CHECK)]


def submissions_table(subs: Sequence[Submission]) -> str:
    """A text table of submissions (id, status, when, kind, files, who) and their count."""
    rows = [("id", "status", "when", "kind", "files", "who")]
    rows += [(s.id, s.status.value, s.when, s.kind.value, str(len(s.files)), s.who) for s in subs]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join([*lines, f"({len(subs)} submission{'s' * (len(subs) != 1)})"]) + "\n"
