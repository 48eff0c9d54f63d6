"""The project's data, its accepted submissions and an input, read together into one set of quads.

:func:`read_in_context` reads the project's data folders, the accepted submissions
(:mod:`citykg.submissions`) and (for ``citykg validate``) an input together, so that references
resolve across all of them and a record defined twice is reported where it is defined the
second time. Each submission's rows land in its own graph, with IRIs of its source files under
``…/source/submission/<id>/``, and its graph is described with PROV (who, when, checksum,
citykg version); an accepted submission whose files changed since is a violation. An RDF
submission is checked with the rules of :mod:`citykg.additions`, as ``citykg validate`` checked
it, against the records read before it; a study it describes is one the tables may name (see
:mod:`citykg.unchecked`).

Example::

    >>> from citykg.build import data_folders
    >>> from citykg.project import Project
    >>> project = Project.locate()
    >>> read = read_in_context(project, data_folders(project))
    >>> read.mapped.report.summary(), read.inputs
    ('0 violations, 0 warnings, 0 info', frozenset())
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from citykg import iris
from citykg.additions import Vocabulary, check_rdf, records
from citykg.errors import InputError
from citykg.intake import InputKind, checksum, table_folders
from citykg.project import Project
from citykg.rdfinput import parse_rdf, rdf_format_of
from citykg.rdflines import place
from citykg.rdfmap import Mapped, to_quads
from citykg.report import Finding, Report, Severity
from citykg.submissions import METADATA, Status, Submission, load_submissions
from citykg.tables import Row, Source, TableSet, read_tables
from citykg.unchecked import CHECK

__all__ = ["InContext", "rdf_submission", "read_in_context"]

_CHECK = "citykg:submission"


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
    #: The file of each RDF submission read, by its graph IRI, as findings name it
    #: (``submissions/<id>/input.ttl``), with the submission's folder.
    rdf_files: tuple[tuple[str, str, Path], ...] = ()
    #: The label each blank node of an RDF submission has in its file, by the name it has in the
    #: graph (``_:s1234n0`` → ``_:row``; see :func:`rdf_submission`).
    labels: Mapping[str, str] = field(default_factory=dict)

    def locate(self, findings: Sequence[Finding]) -> list[Finding]:
        """The findings, those about a record or a blank node (a source row) of an RDF submission
        placed in its file (at the line that starts describing it; :func:`citykg.rdflines.place`),
        whatever source row the record cites: so a finding names the submission it is about.
        """
        out = list(findings)
        for g, file, folder in self.rdf_files:
            name = file.rsplit("/", 1)[-1]
            quads = [q for q in self.mapped.quads if isinstance(q.graph_name, NamedNode) and q.graph_name.value == g]
            nodes = {iris.node_key(q.subject) for q in quads}
            if any(f.focus in nodes or f.file == file for f in out) and (fmt := rdf_format_of(name)):
                out = place(out, quads, (folder / name).read_bytes(), fmt, file=file, labels=self.labels)
        return out


def read_in_context(project: Project, folders: Sequence[Path], *,
                    submissions: Sequence[Submission] | None = None,
                    inputs: Sequence[Path] = (), left_out: Collection[Path] = ()) -> InContext:
    """Read data folders, accepted submissions and input folders, and map them to quads.

    :param project: the project (paths in findings are relative to its folder).
    :param folders: the data folders (each becomes ``graph/<folder name>``).
    :param submissions: the accepted submissions to include; by default those on disk. A
        submission whose folder is one of ``inputs`` is left out (it is what is checked).
    :param inputs: folders of tables under validation, read last so that duplicates are
        reported in them.
    :param left_out: files of the inputs not there to read for their name (``Factors.CSV``; see
        :func:`citykg.tables.read_tables`).
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
    tables = read_tables([p for p, _, _ in plan], root=project.root, left_out=left_out)
    moves = {_shown(project, s.folder): f"submissions/{s.id}" for s in subs}
    sources = tuple(_relabel(src, label, moves) if label else src
                    for src, (_, label, _) in zip(tables.sources, plan, strict=True))
    report = Report.of(_moved(f, moves) for f in tables.report.findings)
    tables = TableSet(sources, report)
    mapped = to_quads(tables)
    quads = _rehome(mapped.quads, plan)
    findings = list(mapped.report.findings)
    inputs_graphs = frozenset(iris.graph(label) for _, label, s in plan
                              if s is None and label is not None)
    vocabulary = _vocabulary(project) if any(s.kind is InputKind.RDF for s in subs) else None
    described: set[str] = set()  # the records of RDF submissions
    labels: dict[str, str] = {}
    for s in subs:  # an RDF submission is checked against what was read before it, but the input
        if vocabulary is not None and s.kind is InputKind.RDF:
            known = records(q for q in quads if getattr(q.graph_name, "value", "") not in inputs_graphs)
            added = _rdf_quads(s, findings, vocabulary, known, labels)
            described.update(q.subject.value for q in added if isinstance(q.subject, NamedNode))
            quads += added
        quads += _describe(s)
        findings += _integrity(s)
    # the tables name a study that no table has, but an RDF submission describes it: not missing
    findings = [f for f in findings if not (f.shape == CHECK and f.focus in described)]
    rdf_files = tuple((s.graph, f"submissions/{s.id}/{s.files[0]}", s.folder)
                      for s in subs if s.kind is InputKind.RDF)
    # In a deterministic order (the mapped quads sorted, then the submissions'), without repeats.
    return InContext(tables, Mapped(list(dict.fromkeys(quads)), Report.of(findings)),
                     inputs_graphs, tuple(_shown(project, f) + "/" for f in inputs), rdf_files, labels)


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
    def moved(rows: tuple[Row, ...]) -> tuple[Row, ...]:
        return tuple(replace(r, file=files.get(r.file, r.file)) for r in rows)

    return Source(label, tuple(files.values()), moved(source.rows), moved(source.skipped))


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


def _vocabulary(project: Project) -> Vocabulary:
    from citykg.build import load_ontology  # imported here: citykg.build reads data with this module

    return Vocabulary.of(load_ontology(project))


def _rdf_quads(s: Submission, findings: list[Finding], vocabulary: Vocabulary,
               known: dict[str, str], labels: dict[str, str]) -> list[Quad]:
    """The triples of an RDF submission, in its graph, with blank nodes named after it (their
    labels in the file added to ``labels``), checked as ``citykg validate`` checked them: by
    :func:`rdf_submission`, against the records read before them.
    """
    name = s.files[0]
    fmt = rdf_format_of(name)
    display = f"submissions/{s.id}/{name}"
    if fmt is None:
        raise InputError(f"{display}: citykg does not know this RDF format.")
    added, found, named = rdf_submission(parse_rdf((s.folder / name).read_bytes(), fmt, display), s.id,
                                         file=display, known=known, vocabulary=vocabulary)
    findings += found
    labels.update(named)
    return added


def rdf_submission(quads: Sequence[Quad], sid: str, *, file: str, known: Mapping[str, str],
                   vocabulary: Vocabulary) -> tuple[list[Quad], list[Finding], dict[str, str]]:
    """An RDF submission's quads as the graph holds them, the findings about them, and the label
    each blank node has in the file.

    Its blank nodes are named after the submission (``_:row`` → ``_:s<id>n0``), so that two
    submissions' never meet, and checked with :func:`citykg.additions.check_rdf` against the
    records the graph has (``known``); its triples, but those about reserved subjects, go into
    its graph. ``citykg validate`` and ``citykg submit`` read an RDF input so, as every build
    reads an accepted one, so that they agree.

    :param sid: the submission's id.
    :param file: the file, as findings name it.
    """
    blanks: dict[str, BlankNode] = {}

    def named(term: NamedNode | BlankNode | Literal) -> NamedNode | BlankNode | Literal:
        if isinstance(term, BlankNode):
            return blanks.setdefault(term.value, BlankNode(f"s{sid}n{len(blanks)}"))
        return term

    renamed = [Quad(named(q.subject), q.predicate, named(q.object), q.graph_name) for q in quads]  # type: ignore[arg-type]
    kept, found = check_rdf(renamed, file=file, records=known, vocabulary=vocabulary)
    g = NamedNode(iris.submission_graph(sid))
    labels = {f"_:{node.value}": f"_:{label}" for label, node in blanks.items()}
    return [Quad(q.subject, q.predicate, q.object, g) for q in kept], found, labels


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
