"""Build the knowledge graph: tables → RDF → SHACL validation → dataset files and store.

``build`` reads every folder of ``data/`` (one source each, one named graph each), maps the rows
to RDF, adds the accepted data submissions of ``submissions/`` (one named graph each, with its
PROV description; see :mod:`citykg.submissions`), the RDF kept in ``graphs/`` (such as reviewed
Wikidata links) and the ontology as named graphs of their own, adds the superclasses,
super-properties and symmetric relations the ontology entails (:func:`with_closure`), validates
the whole with the SHACL shapes and, only if it conforms, writes:

- ``dist/citykg.nq``   the dataset as sorted N-Quads (diffs cleanly between builds);
- ``dist/citykg.trig`` the same as TriG, for reading;
- ``dist/store``       the embedded pyoxigraph store that ``query`` and ``serve`` use;
- ``info.json``        its size: quads, and triples per named graph (:mod:`citykg.buildinfo`).

The four live in ``dist/builds/<content hash>/``; ``dist/current`` points at the last good
build and is switched with one atomic rename, so a failed or interrupted build leaves the last
good build in place, and readers never see half a build. Writers hold the dist lock
(:mod:`citykg.lock`) from reading the project to the switch, so they never interleave.

Example::

    >>> from citykg.project import Project
    >>> result = build(Project.locate(dist="/tmp/citykg-doctest"))
    >>> result.report.conforms, result.graphs
    (True, 4)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, RdfFormat, Store, Triple, parse, serialize

from citykg import iris
from citykg.additions import records
from citykg.buildinfo import INFO_FILE, info_bytes
from citykg.context import read_in_context
from citykg.errors import DataError, InputError, OntologyError
from citykg.project import Project
from citykg.refine import refine
from citykg.report import Finding, Report, Severity
from citykg.shacl import Engine, check, load_shapes
from citykg.submissions import Submission

__all__ = ["BuildResult", "build", "data_folders", "graph_files", "load_graphs", "load_ontology", "switch_to",
           "with_closure"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote, and the warnings it found."""

    build_id: str
    nquads: Path
    trig: Path
    store: Path
    quads: int
    graphs: int
    report: Report
    seconds: float
    unchanged: bool


def data_folders(project: Project) -> list[Path]:
    """The source folders of ``data/``, in name order."""
    return sorted(p for p in project.data.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_ontology(project: Project) -> list[Quad]:
    """The ontology (every ``ontology/*.ttl``) as quads in the ontology named graph.

    :raises OntologyError: if a file does not parse.
    """
    graph = NamedNode(iris.ONTOLOGY_GRAPH)
    quads: list[Quad] = []
    for path in sorted(project.ontology.glob("*.ttl")):
        try:
            triples = list(parse(path=path, format=RdfFormat.TURTLE))
        except (SyntaxError, OSError) as exc:
            raise OntologyError(f"The ontology file {path} cannot be read: {exc}") from exc
        quads += [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
    if not quads:
        raise OntologyError(f"No ontology (*.ttl) in {project.ontology}.")
    return quads


def with_closure(quads: Sequence[Quad], ontology: Sequence[Quad]) -> list[Quad]:
    """Add what the ontology's ``rdfs:subClassOf``, ``rdfs:subPropertyOf`` and
    ``owl:SymmetricProperty`` entail (RDFS rules rdfs9 and rdfs7, through chains of them; OWL 2 RL
    prp-symp): the ``rdf:type`` triple of every superclass of an asserted type, the triple of every
    super-property of an asserted predicate, and the other direction of a symmetric one.

    A strength is then also a ``ckg:InternalFactor`` and a ``ckg:SwotFactor``, a strategy that
    ``ckg:usesStrength`` a factor also ``ckg:buildsOn`` it, and a city ``ckg:twinnedWith`` another
    is the other's twin too, so queries and tools that do no reasoning can ask for
    ``?x a ckg:SwotFactor`` or ``?s ckg:buildsOn ?f``, and the same facts give the same graph
    whether a table or an RDF file states them. One rule more, which OWL cannot say of a
    partnership's type: the two cities of a twinning (a sister-city, friendship or twinned
    ``ckg:Partnership``) are ``ckg:twinnedWith`` each other. Nothing else is entailed (no types
    from ``rdfs:domain`` or ``rdfs:range``). The added triples go into the graph of the asserted one.
    """
    rdf_type = NamedNode(iris.RDF + "type")
    classes = _ancestors(ontology, iris.RDFS + "subClassOf")
    properties = _ancestors(ontology, iris.RDFS + "subPropertyOf")
    symmetric = {q.subject for q in ontology
                 if q.predicate == rdf_type and q.object == NamedNode(iris.OWL + "SymmetricProperty")}
    out = {*quads, *_shortcuts(quads)}
    todo = list(out)
    while todo:  # until nothing new follows (a super-property of the other direction of a twinning)
        q = todo.pop()
        found = [Quad(q.subject, sup, q.object, q.graph_name) for sup in properties.get(q.predicate, ())]
        if q.predicate == rdf_type and q.object in classes:
            found += [Quad(q.subject, rdf_type, sup, q.graph_name) for sup in classes[q.object]]  # type: ignore[index]
        if q.predicate in symmetric and isinstance(q.object, NamedNode | BlankNode):
            found.append(Quad(q.object, q.predicate, q.subject, q.graph_name))
        todo += [f for f in found if f not in out]
        out.update(found)
    return sorted(out, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


_TWINNINGS = frozenset(NamedNode(t) for t in iris.TWINNING_TYPES)


def _shortcuts(quads: Sequence[Quad]) -> list[Quad]:
    """``ckg:twinnedWith`` between the two partners of each twinning, in the partnership's graph."""
    kind, partner = NamedNode(iris.CKG + "partnershipType"), NamedNode(iris.CKG + "partner")
    twinnings = {(q.subject, q.graph_name) for q in quads if q.predicate == kind and q.object in _TWINNINGS}
    partners: dict[tuple[NamedNode | BlankNode | Triple, NamedNode | BlankNode | DefaultGraph], set[NamedNode]] = {}
    for q in quads:
        if q.predicate == partner and (q.subject, q.graph_name) in twinnings and isinstance(q.object, NamedNode):
            partners.setdefault((q.subject, q.graph_name), set()).add(q.object)
    twinned = NamedNode(iris.CKG + "twinnedWith")
    return [Quad(a, twinned, b, graph) for (_, graph), cities in partners.items() if len(cities) == 2
            for a in cities for b in cities if a != b]


def _ancestors(ontology: Sequence[Quad], relation: str) -> dict[NamedNode, set[NamedNode]]:
    """Each term the ontology relates by ``relation`` (``rdfs:subClassOf`` …) → all the terms above it."""
    parents: dict[NamedNode, set[NamedNode]] = {}
    for q in ontology:
        if q.predicate.value == relation and isinstance(q.subject, NamedNode) and isinstance(q.object, NamedNode):
            parents.setdefault(q.subject, set()).add(q.object)

    def above(term: NamedNode) -> set[NamedNode]:
        seen: set[NamedNode] = set()
        todo = [term]
        while todo:
            for parent in parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    return {term: above(term) for term in parents}


def load_graphs(project: Project, *, replacing: Mapping[str, Sequence[Quad]] | None = None) -> list[Quad]:
    """The extra RDF of ``graphs/`` (``*.nq`` and ``*.trig``), each quad in its own named graph.

    Triples in a file's default graph go to the graph named after the file (``graphs/x.nq`` →
    ``…/graph/x``).

    :param replacing: quads to read instead of a file's, by its name as findings give it
        (``graphs/wikidata.nq``), such as what a withdrawal leaves of it.
    :raises InputError: if a file does not parse.
    """
    return [q for name, quads in graph_files(project) for q in (replacing or {}).get(name, quads)]


def graph_files(project: Project) -> list[tuple[str, list[Quad]]]:
    """The files of ``graphs/`` (``graphs/x.nq``, as findings name them) with their quads.

    :raises InputError: if a file does not parse.
    """
    out: list[tuple[str, list[Quad]]] = []
    if not project.graphs.is_dir():
        return out
    for path in sorted(project.graphs.iterdir()):
        fmt = {".nq": RdfFormat.N_QUADS, ".trig": RdfFormat.TRIG}.get(path.suffix)
        if fmt is None:
            continue
        default = NamedNode(iris.graph(path.stem))
        try:
            parsed = list(parse(path=path, format=fmt))
        except (SyntaxError, OSError) as exc:
            raise InputError(f"The graph file {path} cannot be read: {exc}") from exc
        out.append((f"{project.graphs.name}/{path.name}",
                    [q if isinstance(q.graph_name, NamedNode) else Quad(q.subject, q.predicate, q.object, default)
                     for q in parsed]))
    return out


def _in_graph_files(project: Project, findings: Sequence[Finding]) -> list[Finding]:
    """Findings about a record of a ``graphs/`` file, which no table row describes, name that file."""
    files: dict[str, str] = {}
    for name, quads in graph_files(project):
        for q in quads:
            files.setdefault(str(getattr(q.subject, "value", q.subject)), name)
    return [replace(f, file=files[f.focus]) if f.file is None and f.focus in files else f for f in findings]


def build(project: Project, *, engine: Engine = Engine.TURBO, progress: Progress | None = None,
          submissions: Sequence[Submission] | None = None, switch: bool = True,
          graphs: Mapping[str, Sequence[Quad]] | None = None) -> BuildResult:
    """Build, validate and store the graph of the project's data and accepted submissions.

    :param project: the project to build (see :class:`citykg.project.Project`).
    :param engine: the SHACL engine.
    :param progress: called with a short message at each stage (the CLI prints them to stderr).
    :param submissions: the submissions to include; by default the accepted ones in
        ``submissions/`` (a merge passes the set it is about to make).
    :param switch: switch ``dist/current`` to the new build, holding the dist lock throughout
        (:mod:`citykg.lock`). With ``False`` the build folder is only written, and the caller,
        which holds the lock, switches with :func:`switch_to`.
    :param graphs: quads to build from instead of those of some ``graphs/`` files, by file name
        (see :func:`load_graphs`).
    :raises DataError: if the data does not conform; nothing is written then.
    :raises InputError: if a table cannot be read.
    """
    if not switch:
        return _build(project, engine, progress, submissions, switch=False, graphs=graphs)
    from citykg.lock import exclusive

    with exclusive(project.dist):
        return _build(project, engine, progress, submissions, switch=True, graphs=graphs)


def switch_to(project: Project, build_id: str) -> None:
    """Point ``dist/current`` at a build written with ``switch=False``; hold the dist lock."""
    _switch(project.dist, build_id)
    _prune(project.dist / "builds", keep={build_id, _previous(project.dist)})


def _build(project: Project, engine: Engine, progress: Progress | None,
           submissions: Sequence[Submission] | None, *, switch: bool,
           graphs: Mapping[str, Sequence[Quad]] | None) -> BuildResult:
    say = progress or (lambda message: None)
    started = time.perf_counter()
    folders = data_folders(project)
    say(f"reading {len(folders)} data folders")
    read = read_in_context(project, folders, submissions=submissions)  # each submission in a graph of its own
    tables, mapped = read.tables, read.mapped
    ontology = load_ontology(project)
    data = with_closure([*mapped.quads, *load_graphs(project, replacing=graphs)], ontology)
    report = tables.report + mapped.report
    if not any(f.severity is Severity.VIOLATION and f.row is None for f in report.findings):
        say(f"validating {len(data)} quads with {engine.value}")
        report += check(data, shapes=load_shapes(project.shapes), ontology=ontology,
                        engine=engine)
    if not report.conforms:  # as `citykg validate` words it: the id a reference meant, one finding per cause
        rows = [r for source in tables.sources for r in source.rows]
        found = refine(report.findings, rows, records(data))
        report = Report.of(_in_graph_files(project, read.locate(found)))
        kept = ("the last good build was kept" if (project.dist / "current").exists()
                else "nothing was written: fix the violations and build again")
        raise DataError(f"The data does not conform ({report.summary()}); {kept}.", report)
    quads = sorted([*data, *ontology], key=lambda q: (str(q.graph_name), str(q.subject),
                                                              str(q.predicate), str(q.object)))
    say(f"writing {len(quads)} quads to {project.dist}")
    build_id, unchanged = _write(project.dist, quads, switch=switch)
    current = project.dist / ("current" if switch else f"builds/{build_id}")
    return BuildResult(
        build_id=build_id,
        nquads=current / "citykg.nq",
        trig=current / "citykg.trig",
        store=current / "store",
        quads=len(quads),
        graphs=len({q.graph_name for q in quads}),
        report=report,
        seconds=time.perf_counter() - started,
        unchanged=unchanged,
    )


def _write(dist: Path, quads: Sequence[Quad], *, switch: bool = True) -> tuple[str, bool]:
    """Write a build folder and switch ``dist/current`` to it; return its id and whether it existed."""
    nquads = serialize(quads, format=RdfFormat.N_QUADS) or b""
    build_id = hashlib.sha256(nquads).hexdigest()[:16]
    builds = dist / "builds"
    target = builds / build_id
    builds.mkdir(parents=True, exist_ok=True)
    unchanged = target.is_dir() and _sound(target, nquads, len(quads))
    if target.is_dir() and not unchanged:  # damaged (a store deleted or cut short): aside, and written again
        aside = Path(tempfile.mkdtemp(prefix=".damaged-", dir=builds))
        os.replace(target, aside / build_id)
        shutil.rmtree(aside, ignore_errors=True)
    if not unchanged:
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=builds))
        try:
            (tmp / "citykg.nq").write_bytes(nquads)
            tmp.chmod(0o755)
            (tmp / "citykg.trig").write_bytes(_trig(quads))
            (tmp / INFO_FILE).write_bytes(info_bytes(build_id, quads))  # for /health, without a query
            store = Store(str(tmp / "store"))
            store.bulk_extend(quads)
            store.flush()
            del store
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    elif not (target / INFO_FILE).exists():  # a build of an older citykg: add its size
        part = target / f".{INFO_FILE}.{os.getpid()}"
        part.write_bytes(info_bytes(build_id, quads))
        os.replace(part, target / INFO_FILE)
    if switch:
        _switch(dist, build_id)
        _prune(builds, keep={build_id, _previous(dist)})
    return build_id, unchanged


def _sound(folder: Path, nquads: bytes, quads: int) -> bool:
    """Whether a build folder written before holds the build whole: its N-Quads, and a store that
    opens and holds as many quads."""
    try:
        if (folder / "citykg.nq").read_bytes() != nquads:
            return False
        return len(Store.read_only(str(folder / "store"))) == quads
    except (OSError, RuntimeError):  # missing, or damaged ("Corruption: …")
        return False


def _trig(quads: Sequence[Quad]) -> bytes:
    """TriG with the prefix lines sorted, so that the file is byte-for-byte stable."""
    text = serialize(quads, format=RdfFormat.TRIG, prefixes=iris.PREFIXES) or b""
    lines = text.split(b"\n")
    head = [line for line in lines if line.startswith(b"@prefix ")]
    return b"\n".join(sorted(head) + lines[len(head):])


def _switch(dist: Path, build_id: str) -> None:
    """Point ``dist/current`` at a build with one atomic rename; make the stable links once."""
    link = dist / f".current-{os.getpid()}"
    link.unlink(missing_ok=True)
    previous = os.readlink(dist / "current") if (dist / "current").is_symlink() else None
    link.symlink_to(Path("builds") / build_id)
    os.replace(link, dist / "current")
    if previous and previous != f"builds/{build_id}":
        (dist / ".previous").unlink(missing_ok=True)
        (dist / ".previous").symlink_to(previous)
    for name in ("citykg.nq", "citykg.trig", "store"):
        stable = dist / name
        if not stable.is_symlink():
            if stable.exists():
                shutil.rmtree(stable) if stable.is_dir() else stable.unlink()
            stable.symlink_to(Path("current") / name)


def _previous(dist: Path) -> str:
    link = dist / ".previous"
    return Path(os.readlink(link)).name if link.is_symlink() else ""


def _prune(builds: Path, *, keep: set[str]) -> None:
    """Remove old builds, keeping the current and the previous one (a server may still read it)."""
    for path in builds.iterdir():
        if path.name not in keep and not path.name.startswith(".build-"):
            shutil.rmtree(path, ignore_errors=True)
