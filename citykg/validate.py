"""Validate the project's data, a folder or zip of tables, or an RDF file against the SHACL shapes.

The input is checked in the context of the current graph: the project's data, its accepted
submissions (:mod:`citykg.submissions`) and the RDF of ``graphs/``. A new study's tables may
refer to the reference tables (cities, dimensions, organisations) and an RDF file may refer to
records of the studies; a record the context already defines is reported as a duplicate. Only
the findings about the input are reported. A folder of the project's ``data/``
(``data/mashhad-oic``) is checked in place of itself; any other input is taken in as ``citykg
submit`` takes it (:mod:`citykg.intake`) and checked as an addition, as it would be merged.

Example::

    >>> from citykg.project import Project
    >>> report = validate(project=Project.locate())
    >>> report.conforms, report.summary()
    (True, '0 violations, 6 warnings, 0 info')
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pyoxigraph import NamedNode, Quad

from citykg.build import data_folders, load_graphs, load_ontology, with_superclasses
from citykg.context import read_in_context
from citykg.intake import RDF_SUFFIXES, InputKind, Received, read_rdf, table_folders
from citykg.iris import BASE, CKG, PROV, graph
from citykg.project import Project
from citykg.report import Finding, Report, Severity
from citykg.schema import TABLES
from citykg.shacl import Engine, check, load_shapes

__all__ = ["RDF_FORMATS", "check_received", "validate"]

#: The RDF files ``validate`` reads, by extension.
RDF_FORMATS = RDF_SUFFIXES


def validate(path: Path | None = None, *, project: Project, engine: Engine = Engine.TURBO) -> Report:
    """Validate ``path`` (or the project's whole ``data/`` when ``path`` is None).

    A folder of the project's ``data/`` is checked in place of itself. Any other input goes
    through the intake of ``citykg submit`` (:func:`citykg.submit.validate_input`), so that a
    folder, a zip of it and a submission of either give the same findings.

    :param path: a folder of tables, a folder of such folders, a ``.zip`` of either, or an RDF
        file (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML).
    :param project: the project whose shapes, ontology and data give the context.
    :param engine: the SHACL engine.
    :raises InputError: if the input cannot be read or parsed.
    """
    if path is None:
        return _validate_tables(data_folders(project), project, engine, context=None)
    if path.is_dir() and not path.is_symlink() and path.resolve().is_relative_to(project.data.resolve()):
        folders = sorted(p for p in path.iterdir() if p.is_dir() and any(p.glob("*.csv")))
        if any(path.glob("*.csv")) or not folders:
            folders = [path]
        own = {x.resolve() for x in folders}
        context = [f for f in data_folders(project) if f.resolve() not in own]
        return _validate_tables(folders, project, engine, context=context)
    from citykg.submit import validate_input

    return validate_input(path, project=project, engine=engine)


def check_received(received: Received, *, project: Project, engine: Engine = Engine.TURBO) -> Report:
    """Check an input taken in by :mod:`citykg.intake` in context, as an addition to the graph.

    Findings name the files of the private copy (``received.root``); the caller renames them.
    """
    if received.kind is InputKind.RDF:
        return _validate_rdf(received.root / received.files[0], project, engine)
    return _validate_tables(table_folders(received.root), project, engine,
                            context=data_folders(project))


def _validate_tables(folders: list[Path], project: Project, engine: Engine,
                     context: list[Path] | None) -> Report:
    """Check ``folders`` after ``context`` (data folders); ``None``: the whole project."""
    read = read_in_context(project, folders if context is None else context,
                           inputs=[] if context is None else folders)
    tables, mapped = read.tables, read.mapped
    ontology = load_ontology(project)
    report = tables.report + mapped.report
    if not any(f.severity is Severity.VIOLATION and f.row is None for f in report.findings):
        data = with_superclasses([*mapped.quads, *load_graphs(project)], ontology)
        report += check(data, shapes=load_shapes(project.shapes), ontology=ontology, engine=engine)
    if context is None:
        return report
    inputs = {NamedNode(g) for g in read.inputs}
    subjects = {str(q.subject.value) for q in mapped.quads if q.graph_name in inputs}  # type: ignore[union-attr]
    own = [s for s in tables.sources if NamedNode(graph(s.name)) in inputs]
    files = {df.display for s in own for df in s.files}
    kept = [f for f in report.findings
            if f.file in files or f.focus in subjects or (f.file is None and f.focus is None)
            or (f.file or "").startswith(read.input_dirs)]
    kept = _blame_input(kept, [q for q in mapped.quads if q.graph_name in inputs], files)
    if not any(s.rows for s in own):
        kept.append(_empty(None, "its tables have no data rows (only headers or '#' comment rows)",
                           "Fill in at least one row"))
    return Report.of(kept)


def _blame_input(findings: list[Finding], quads: list[Quad], files: set[str]) -> list[Finding]:
    """Point a finding about a record the graph already has at the input's row that changed it.

    A row that cites ``W2`` for the existing strategy ``SO1`` makes ``SO1`` break a shape; the
    shape reports ``SO1``, which was read from the project's tables. The report names the input's
    row and says which record it broke; of several rows that refer to the record, the first of
    the table the message names (``Check strategy_factors.csv``), else the first.
    """
    facts: dict[str, dict[str, str]] = {}  # subject → predicate → first object, of the input
    for q in quads:
        facts.setdefault(q.subject.value, {}).setdefault(q.predicate.value, q.object.value)  # type: ignore[union-attr]
    referrers: dict[str, list[tuple[str, int, str | None]]] = {}  # record → rows that refer to it
    for q in quads:
        row = facts.get(facts[q.subject.value].get(PROV + "wasDerivedFrom", ""), {})  # type: ignore[union-attr]
        file = facts.get(row.get(CKG + "dataFile", ""), {}).get(CKG + "path")
        table = TABLES.get(row.get(CKG + "dataTable", ""))
        if isinstance(q.object, NamedNode) and file and table and row.get(CKG + "line", "").isdigit():
            column = "/".join(table.columns_for(q.predicate.value)) or None
            referrers.setdefault(q.object.value, []).append((file, int(row[CKG + "line"]), column))
    out = []
    for f in findings:
        found = [] if f.file in files else sorted(  # the table the message names first
            referrers.get(f.focus or "", []), key=lambda r: (r[0].rsplit("/", 1)[-1] not in f.message, r))
        if not found:
            out.append(f)
            continue
        file, line, column = found[0]
        record = f"{f.file}:{f.row}" if f.file and f.row else (f.focus or "a record")
        out.append(replace(f, file=file, row=line, column=column, message=(
            f"{f.message} (This row changes the record of {record}, which then fails.)")))
    return out


def _empty(file: str | None, why: str, fix: str) -> Finding:
    """The violation of an input that adds nothing: there is nothing to check or to merge."""
    return Finding(Severity.VIOLATION, f"The input holds no records: {why}. {fix} before submitting it.",
                   file=file, shape="citykg:input")


_SHORTCUT = CKG + "twinnedWith"  # the symmetric shortcut a new partnership adds to its two cities
_RECORDS, _SOURCES = BASE + "id/", BASE + "id/source/"  # graphs and sources are refused by the intake


def _existing_records(quads: list[Quad], context: list[Quad], file: str) -> list[Finding]:
    """Statements of an RDF input about records the graph already has: refused, once per record.

    An RDF submission adds records, each with its own provenance; it cannot restate or annotate
    a record of the tables (its facts would carry no source), except for the twinning shortcut
    that a new partnership adds to its cities.
    """
    known = {q.subject for q in context if isinstance(q.subject, NamedNode)
             and q.subject.value.startswith(_RECORDS) and not q.subject.value.startswith(_SOURCES)}
    touched = sorted({str(q.subject.value) for q in quads  # type: ignore[union-attr]
                      if q.subject in known and q.predicate.value != _SHORTCUT})
    return [Finding(Severity.VIOLATION, "The graph already has this record: an RDF submission adds new "
                    "records only. Correct an existing record in its table, or give a new one its own IRI.",
                    file=file, focus=iri, value=iri, shape="citykg:input/existing-record") for iri in touched]


def _validate_rdf(path: Path, project: Project, engine: Engine) -> Report:
    fmt = RDF_FORMATS[path.suffix.lower()]  # intake names the file input.<ext> of its format
    name = NamedNode(graph("input"))
    quads = [Quad(q.subject, q.predicate, q.object, name) for q in read_rdf(path, fmt)]
    ontology = load_ontology(project)
    context = [*read_in_context(project, data_folders(project)).mapped.quads, *load_graphs(project)]
    data = with_superclasses([*context, *quads], ontology)
    report = check(data, shapes=load_shapes(project.shapes), ontology=ontology,
                   fallback_file=str(path), engine=engine)
    subjects = {str(q.subject.value) for q in quads}  # type: ignore[union-attr]
    kept = [f for f in report.findings if f.focus in subjects or (f.focus is None and f.file == str(path))]
    kept += _existing_records(quads, context, str(path))
    if not quads:
        kept.append(_empty(str(path), "the file has no triples", "Add at least one"))
    return Report.of(kept)
