"""Validate the project's data, a folder or zip of tables, or an RDF file against the SHACL shapes.

The input is checked in the context of the current graph: the project's data, its accepted
submissions (:mod:`citykg.submissions`) and the RDF of ``graphs/``. A new study's tables may
refer to the reference tables (cities, dimensions, organisations) and an RDF file may refer to
records of the studies; a record the graph already has, whatever made it, is reported as a
duplicate, and an RDF file may add records only, in the ontology's terms (:mod:`citykg.additions`).
Only the findings about the input are reported, said as plainly as the rows allow
(:mod:`citykg.refine`: the column that holds a value, the id a reference meant when it differs
only in case); and a submission with studies of its own is warned about its rows that add to
another study the graph has (:func:`citykg.additions.other_studies`). A folder of the project's ``data/``
(``data/mashhad-oic``) is checked in place of itself; any other input is taken in as ``citykg
submit`` takes it (:mod:`citykg.intake`) and checked as an addition, as it would be merged.

With ``standalone``, the input is checked on its own: against the shapes and its own
references, not against the graph (a copy of ``data/``, or a build's ``citykg.trig``).

Example::

    >>> from citykg.project import Project
    >>> report = validate(project=Project.locate())
    >>> report.conforms, report.summary()
    (True, '0 violations, 6 warnings, 0 info')
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from pyoxigraph import NamedNode, Quad

from citykg.additions import EXISTING_RECORD, Vocabulary, check_terms, other_studies, records, restated_rows
from citykg.build import data_folders, load_graphs, load_ontology, with_closure
from citykg.context import rdf_submission, read_in_context
from citykg.intake import InputKind, Received, follow_link, table_folders
from citykg.iris import CKG, PROV, graph, node_key
from citykg.project import Project
from citykg.rdfinput import RDF_SUFFIXES, read_rdf
from citykg.rdflines import locate, place
from citykg.rdfmap import subject_of
from citykg.refine import refine
from citykg.report import Finding, Report, Severity
from citykg.schema import TABLES
from citykg.shacl import Engine, check, load_shapes
from citykg.tables import DUPLICATE

__all__ = ["RDF_FORMATS", "check_received", "validate"]

#: The RDF files ``validate`` reads, by extension.
RDF_FORMATS = RDF_SUFFIXES


def validate(path: Path | str | None = None, *, project: Project, engine: Engine = Engine.TURBO,
             standalone: bool = False) -> Report:
    """Validate ``path`` (or the project's whole ``data/`` when ``path`` is None).

    A folder of the project's ``data/`` is checked in place of itself. Any other input goes
    through the intake of ``citykg submit`` (:func:`citykg.submit.validate_input`), so that a
    folder, a zip of it and a submission of either give the same findings. A symbolic link
    ``path`` is followed if it points inside the project or its dist folder
    (``dist/citykg.trig``).

    :param path: a folder of tables, a folder of such folders, a ``.zip`` of either, or an RDF
        file (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML).
    :param project: the project whose shapes, ontology and data give the context.
    :param engine: the SHACL engine.
    :param standalone: check ``path`` on its own (the shapes, its own references), not as an
        addition to the graph; without ``path``, ``data/`` without submissions and ``graphs/``.
    :raises InputError: if the input cannot be read or parsed, or is a link out of the project.
    """
    if path is None:
        return _validate_tables(data_folders(project), project, engine, context=None, alone=standalone)
    path = Path(path)
    target = follow_link(path, within=(project.root, project.dist))
    if target.is_dir() and target.resolve().is_relative_to(project.data.resolve()):
        folders = sorted(p for p in target.iterdir() if p.is_dir() and any(p.glob("*.csv")))
        if any(target.glob("*.csv")) or not folders:
            folders = [target]
        own = {x.resolve() for x in folders}
        context = [] if standalone else [f for f in data_folders(project) if f.resolve() not in own]
        return _validate_tables(folders, project, engine, context=context, alone=standalone)
    from citykg.submit import validate_input

    return validate_input(path, project=project, engine=engine, standalone=standalone)


def check_received(received: Received, *, project: Project, engine: Engine = Engine.TURBO,
                   standalone: bool = False) -> Report:
    """Check an input taken in by :mod:`citykg.intake` in context, as an addition to the graph
    (or, ``standalone``, on its own).

    Findings name the files of the private copy (``received.root``); the caller renames them.
    """
    if received.kind is InputKind.RDF:
        return _validate_rdf(received.root / received.files[0], received.id, project, engine, alone=standalone)
    # the tables left out for their name (Factors.CSV), where the private copy would have them
    left_out = tuple(received.root / name.removeprefix(received.unwrapped) for name in received.ignored
                     if name.lower().endswith(".csv") and name.startswith(received.unwrapped))
    return _validate_tables(table_folders(received.root), project, engine,
                            context=[] if standalone else data_folders(project), alone=standalone,
                            addition=not standalone, left_out=left_out)


def _validate_tables(folders: list[Path], project: Project, engine: Engine, context: list[Path] | None, *,
                     alone: bool, addition: bool = False, left_out: tuple[Path, ...] = ()) -> Report:
    """Check ``folders`` after ``context`` (data folders); ``None``: the whole project. ``alone``:
    without the accepted submissions and ``graphs/``. An ``addition`` (an input, not a folder of
    ``data/``) may not define a record the graph has from elsewhere: an RDF submission, ``graphs/``
    (the project's tables and ``citykg link`` describe the same partnerships on purpose).
    ``left_out``: files of ``folders`` not there to read for their name (``Factors.CSV``), which
    the intake reported (see :func:`citykg.tables.read_tables`)."""
    read = read_in_context(project, folders if context is None else context, left_out=left_out,
                           submissions=[] if alone else None, inputs=[] if context is None else folders)
    tables, mapped = read.tables, read.mapped
    graphs = [] if alone else load_graphs(project)
    ontology = load_ontology(project)
    report = tables.report + mapped.report
    if not any(f.severity is Severity.VIOLATION and f.row is None for f in report.findings):
        data = with_closure([*mapped.quads, *graphs], ontology)
        report += check(data, shapes=load_shapes(project.shapes), ontology=ontology, engine=engine)
    rows = [r for s in tables.sources for r in s.rows]
    every = records([*mapped.quads, *graphs])  # (the input's too)
    if context is None:
        return Report.of(refine(report.findings, rows, every))
    inputs = {NamedNode(g) for g in read.inputs}
    subjects = {str(q.subject.value) for q in mapped.quads if q.graph_name in inputs}  # type: ignore[union-attr]
    own = [s for s in tables.sources if NamedNode(graph(s.name)) in inputs]
    files = {df.display for s in own for df in s.files}
    kept = [f for f in report.findings
            if f.file in files or f.focus in subjects or (f.file is None and f.focus is None)
            or (f.file or "").startswith(read.input_dirs)]
    kept = refine(_blame_input(kept, [q for q in mapped.quads if q.graph_name in inputs], files), rows, every)
    if addition:  # records the graph has from other than tables (whose duplicates tables.py reports)
        names = {s.name for s in own}
        known = records(q for q in [*mapped.quads, *graphs] if q.graph_name not in inputs)
        tabled = {subject_of(r) for s in tables.sources if s.name not in names for r in s.rows}
        kept += restated_rows((r for s in own for r in s.rows), known, skip=tabled)
        kept += other_studies([r for s in own for r in s.rows], known)
    kept += _copies(kept)
    # an input whose rows are all repeats, or whose tables could not be read, is reported for that
    if not any(s.rows for s in own) and not any(f.severity is Severity.VIOLATION for f in kept):
        folder = min(files).rsplit("/", 1)[0] + "/" if files else None  # the input, as the user named it
        kept.append(_empty(folder, "its tables have no data rows (only headers or '#' comment rows)",
                           "Fill in at least one row"))
    return Report.of(kept)


def _blame_input(findings: list[Finding], quads: list[Quad], files: set[str]) -> list[Finding]:
    """Point a finding about a record the graph already has at the input's row that changed it.

    A row that cites ``W2`` for the existing strategy ``SO1`` makes ``SO1`` break a shape; the
    shape reports ``SO1``, which was read from the project's tables. The report names the input's
    row and says which record it broke, unless a violation of that row's own accounts for it. Of
    several rows that refer to the record, the first that also refers to the finding's value
    (the row that twins Tabriz with Atlantis, for a twinning with a place the graph lacks), else
    the first of the table the message names (``Check strategy_factors.csv``), else the first.
    """
    facts: dict[str, dict[str, str]] = {}  # subject → predicate → first object, of the input
    for q in quads:
        facts.setdefault(q.subject.value, {}).setdefault(q.predicate.value, q.object.value)  # type: ignore[union-attr]
    referrers: dict[str, list[tuple[str, int, str | None]]] = {}  # record → rows that refer to it
    cited: dict[tuple[str, int], set[str]] = {}  # row → the records it refers to
    for q in quads:
        row = facts.get(facts[q.subject.value].get(PROV + "wasDerivedFrom", ""), {})  # type: ignore[union-attr]
        file = facts.get(row.get(CKG + "dataFile", ""), {}).get(CKG + "path")
        table = TABLES.get(row.get(CKG + "dataTable", ""))
        if isinstance(q.object, NamedNode) and file and table and row.get(CKG + "line", "").isdigit():
            column = "/".join(table.columns_for(q.predicate.value)) or None
            referrers.setdefault(q.object.value, []).append((file, int(row[CKG + "line"]), column))
            cited.setdefault((file, int(row[CKG + "line"])), set()).add(q.object.value)
    out, blamed = [], []
    for f in findings:
        found = [] if f.file in files else sorted(  # the row naming the value, the table the message names
            referrers.get(f.focus or "", []),
            key=lambda r: (f.value not in cited[r[:2]], r[0].rsplit("/", 1)[-1] not in f.message, r))
        if not found:
            out.append(f)
            continue
        file, line, column = found[0]
        record = f"{f.file}:{f.row}" if f.file and f.row else (f.focus or "a record")
        blamed.append(replace(f, file=file, row=line, column=column, message=(
            f"{f.message} (This row changes the record of {record}, which then fails.)")))
    # a row's own violation already accounts for what it breaks elsewhere
    own = {c for f in out if f.severity is Severity.VIOLATION and f.file in files for c in f.cells}
    return out + [f for f in blamed if not f.cells & own]


_SUBMISSION = re.compile(r"\bsubmissions?[/ ]([0-9a-f]{16})\b")  # as messages name one: its folder, or its id


def _copies(findings: list[Finding]) -> list[Finding]:
    """A note for an input whose rows repeat several records of one accepted submission: it may
    be a corrected copy of that submission, which replaces it once that one is withdrawn."""
    repeated = Counter(m[1] for f in findings if f.shape in (DUPLICATE, EXISTING_RECORD)
                       and (m := _SUBMISSION.search(f.message)))
    return [Finding(Severity.INFO, f"{n} rows repeat records of submission {sid}: if this input is a corrected "
                    f"copy of it, withdraw that submission first (citykg submissions withdraw {sid}), then submit "
                    "this one.", shape="citykg:input/copy")
            for sid, n in sorted(repeated.items()) if n >= 2]


def _empty(file: str | None, why: str, fix: str) -> Finding:
    """The violation of an input that adds nothing: there is nothing to check or to merge."""
    return Finding(Severity.VIOLATION, f"The input holds no records: {why}. {fix} before submitting it.",
                   file=file, shape="citykg:input")


def _validate_rdf(path: Path, sid: str, project: Project, engine: Engine, *, alone: bool) -> Report:
    """Check an RDF file: as an addition to the graph, read as the submission ``sid`` is read into
    every build (:func:`citykg.context.rdf_submission`), then the shapes over the graph with it;
    or ``alone``: the shapes over the file on its own, and its ``ckg:`` terms against the
    ontology. Its graphs are kept alone; merged into one otherwise, as a submission's are."""
    fmt = RDF_FORMATS[path.suffix.lower()]  # intake names the file input.<ext> of its format
    parsed = read_rdf(path, fmt)
    ontology = load_ontology(project)
    vocabulary = Vocabulary.of(ontology)
    shapes, file = load_shapes(project.shapes), str(path)
    if alone:
        name = NamedNode(graph("input"))
        quads = [q if isinstance(q.graph_name, NamedNode) else Quad(q.subject, q.predicate, q.object, name)
                 for q in parsed]
        report = check(with_closure(quads, ontology), shapes=shapes, ontology=ontology,
                       fallback_file=file, engine=engine)
        kept = [*report.findings, *check_terms(quads, vocabulary, file=file, only_ckg=True)]
        if not parsed:
            kept.append(_empty(file, "the file has no triples", "Add at least one"))
        # (a record read from a table, in a build, is at its row: only the others are the file's)
        return Report.of(locate(kept, path.read_bytes(), fmt, file=file, quads=quads) if kept else kept)
    context = [*read_in_context(project, data_folders(project)).mapped.quads, *load_graphs(project)]
    added, found, labels = rdf_submission(parsed, sid, file=file, known=records(context), vocabulary=vocabulary)
    report = check(with_closure([*context, *added], ontology), shapes=shapes, ontology=ontology,
                   fallback_file=file, engine=engine)
    nodes = {node_key(q.subject) for q in added}  # its records and blank nodes (source rows)

    # a record the graph has is refused as a whole: what the input's statements break in it
    # (a second label, say) is that refusal again, unless it is a value the input states
    refused = {f.focus for f in found if f.shape == EXISTING_RECORD}
    stated = {(str(q.subject.value), str(q.object.value)) for q in added  # type: ignore[union-attr]
              if str(q.subject.value) in refused}  # type: ignore[union-attr]

    def again(f: Finding) -> bool:
        return f.focus in refused and (f.focus, f.value) not in stated

    kept = [f for f in report.findings if not again(f) and (f.focus in nodes or (f.focus is None and f.file == file))]
    kept += found
    if not parsed:
        kept.append(_empty(file, "the file has no triples", "Add at least one"))
    # about the input's records and source rows: at their place in the file, as a build places them
    return Report.of(place(kept, added, path.read_bytes(), fmt, file=file, labels=labels) if kept else kept)
