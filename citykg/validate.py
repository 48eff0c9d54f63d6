"""Validate the project's data, a folder or zip of tables, or an RDF file against the SHACL shapes.

The input is checked in the context of the current graph: the project's data, its accepted
submissions (:mod:`citykg.submissions`) and the RDF of ``graphs/``. A new study's tables may
refer to the reference tables (cities, dimensions, organisations) and an RDF file may refer to
records of the studies; a record the context already defines is reported as a duplicate. Only
the findings about the input are reported. A folder of the project (``data/mashhad-oic``) is
checked in place of itself; any other input is checked as an addition, as ``citykg submit``
would merge it.

Example::

    >>> from citykg.project import Project
    >>> report = validate(project=Project.locate())
    >>> report.conforms, report.summary()
    (True, '0 violations, 6 warnings, 0 info')
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import NamedNode, Quad

from citykg.build import data_folders, load_graphs, load_ontology, with_superclasses
from citykg.errors import InputError
from citykg.intake import RDF_SUFFIXES, read_rdf
from citykg.iris import graph
from citykg.project import Project
from citykg.report import Finding, Report, Severity
from citykg.shacl import Engine, check, load_shapes
from citykg.submissions import read_in_context

__all__ = ["RDF_FORMATS", "validate"]

#: The RDF files ``validate`` reads, by extension.
RDF_FORMATS = RDF_SUFFIXES


def validate(path: Path | None = None, *, project: Project, engine: Engine = Engine.TURBO) -> Report:
    """Validate ``path`` (or the project's whole ``data/`` when ``path`` is None).

    :param path: a folder of tables, a folder of such folders, a ``.zip`` of either, or an RDF
        file (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML).
    :param project: the project whose shapes, ontology and data give the context.
    :param engine: the SHACL engine.
    :raises InputError: if the input cannot be read or parsed.
    """
    if path is None:
        return _validate_tables(data_folders(project), project, engine, context=None)
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    if path.is_dir():
        folders = sorted(p for p in path.iterdir() if p.is_dir() and any(p.glob("*.csv")))
        if any(path.glob("*.csv")) or not folders:
            folders = [path]
        own = {x.resolve() for x in folders}
        context = [f for f in data_folders(project) if f.resolve() not in own]
        return _validate_tables(folders, project, engine, context=context)
    if path.suffix.lower() == ".zip":
        from citykg.submit import validate_input

        return validate_input(path, project=project, engine=engine)
    if path.suffix.lower() == ".csv":
        raise InputError(f"{path} is a single table; validate the folder that holds it "
                         f"({path.parent}) so that its references to other tables resolve.")
    return _validate_rdf(path, project, engine)


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
    if not any(s.rows for s in own):
        kept.append(_empty(None, "its tables have no data rows (only headers or '#' comment rows)",
                           "Fill in at least one row"))
    return Report.of(kept)


def _empty(file: str | None, why: str, fix: str) -> Finding:
    """The violation of an input that adds nothing: there is nothing to check or to merge."""
    return Finding(Severity.VIOLATION, f"The input holds no records: {why}. {fix} before submitting it.",
                   file=file, shape="citykg:input")


def _validate_rdf(path: Path, project: Project, engine: Engine) -> Report:
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: citykg reads tables (a folder of .csv) or RDF files "
                         f"({', '.join(sorted(RDF_FORMATS))}); this extension is neither.")
    name = NamedNode(graph("input"))
    quads = [Quad(q.subject, q.predicate, q.object, name) for q in read_rdf(path, fmt)]
    ontology = load_ontology(project)
    context = [*read_in_context(project, data_folders(project)).mapped.quads, *load_graphs(project)]
    data = with_superclasses([*context, *quads], ontology)
    report = check(data, shapes=load_shapes(project.shapes), ontology=ontology,
                   fallback_file=str(path), engine=engine)
    subjects = {str(q.subject.value) for q in quads}  # type: ignore[union-attr]
    kept = [f for f in report.findings if f.focus in subjects or (f.focus is None and f.file == str(path))]
    if not quads:
        kept.append(_empty(str(path), "the file has no triples", "Add at least one"))
    return Report.of(kept)
