"""Turn source tables into RDF quads, one named graph per data folder.

Each row becomes one record (a factor, a strategy, a theme …) with a deterministic IRI (see
:mod:`citykg.iris`), the properties its columns map to (see :mod:`citykg.schema`), and
``prov:wasDerivedFrom`` a :ckg:`SourceRow` that says where the fact was read: study, table and
row of the paper, and the data file and line. Cells are mapped as they are: a cell that is not a
valid number becomes a plain string, so that the SHACL shapes report it with its value.

When a table cannot be read (its header is unusable, or the file is empty), or is not read for
its file name (``Factors.CSV``), references into it are mapped but not checked: one note says how
many there are, instead of a violation for each. Likewise for references to a record whose row
has a violation (a factor of kind ``strenght`` has no kind, so every strategy citing it would
seem to cite no factor) or could not be read (a comma too many): one note at that row; and for
references to the records of a table whose header lacks the column that gives them their class
(``kind``): one note about the table.

Example::

    >>> from pathlib import Path
    >>> from citykg.tables import read_tables
    >>> tables = read_tables([Path("data/reference"), Path("data/mashhad-oic")])
    >>> mapped = to_quads(tables)
    >>> mapped.report.conforms
    True
    >>> len({q.graph_name.value for q in mapped.quads})
    2
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad

from citykg import __version__, iris
from citykg.iris import CKG, ORG, PROV, RDF, SKOS, XSD
from citykg.report import Finding, Report, Severity
from citykg.schema import FACTOR_RELATIONS, TABLES, Column, Kind
from citykg.tables import TABLE_FORMAT, DataFile, Row, TableSet

__all__ = ["Mapped", "to_quads"]

_SCOPED = frozenset(t.record for t in TABLES.values() if t.in_study)
_TWINNING = frozenset({"sister-city", "friendship", "twinned"})
_DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
_DATE_TYPES = {4: "gYear", 7: "gYearMonth", 10: "date"}
_A = NamedNode(RDF + "type")


@dataclass(frozen=True)
class Mapped:
    """The quads of a build and the problems met while mapping (unresolvable references)."""

    quads: list[Quad]
    report: Report


def to_quads(tables: TableSet, *, known: Callable[[str, str | None, str], bool] | None = None) -> Mapped:
    """Map every row of ``tables`` to quads in the named graph of its folder.

    :param tables: the tables read by :func:`citykg.tables.read_tables`.
    :param known: tells whether a record ``(kind, study, key)`` exists outside ``tables`` (for
        example in the store a submission is checked against); used for references that may
        name records of several kinds.
    :return: the quads, sorted, and a report of references that could not be resolved.
    """
    records = tables.records()

    def exists(kind: str, study: str | None, key: str) -> bool:
        return (kind, study, key) in records or bool(known and known(kind, study, key))

    unchecked = _Unchecked(tables, exists)
    quads: set[Quad] = set()
    findings: list[Finding] = []
    for source in tables.sources:
        g = NamedNode(iris.graph(source.name))
        out: list[tuple[NamedNode, NamedNode, NamedNode | Literal]] = [
            (g, _A, _n(CKG + "SourceGraph")),
            (g, _n(CKG + "citykgVersion"), Literal(__version__)),
        ]
        for f in (f for f in source.files if not f.misnamed):  # (a file not read is not a source)
            node = _n(iris.source_file(f.folder, f.table))
            out += [(g, _n(PROV + "wasDerivedFrom"), node), (node, _A, _n(CKG + "DataFile")),
                    (node, _n(CKG + "path"), Literal(f.display)),
                    (node, _n(CKG + "sha256"), Literal(f.sha256))]
        for row in source.rows:
            out += _row_triples(row, exists, unchecked, findings)
        quads.update(Quad(s, p, o, g) for s, p, o in out)
    return Mapped(sorted(quads, key=_sort_key), Report.of([*findings, *unchecked.notes()]))


#: The tables whose records a declared count is compared with, by quantity (see
#: ckgsh:DeclaredVersusListedShape); initial codes are not listed anywhere.
_COUNTED_IN = {
    "themes": ("themes",),
    "subthemes": ("themes", "subthemes"),
    "categorized-codes": ("themes", "subthemes", "codes"),
    "sister-cities": ("studies", "cities", "partnerships"),
    "member-states": ("organisations", "organisation_members"),
}
_TABLE_OF = {t.record: t.name for t in TABLES.values()}  # record kind → its table
_Cell = tuple[str, int, str]
#: What a note is about: a table that was not read (its name), or a row (file, line), or the
#: records of a file whose header lacks a column they need (file, 0).
_About = str | tuple[str, int]


class _Unchecked:
    """What cannot be checked because a table could not be read (see
    :class:`~citykg.tables.DataFile`): references into it, which the shapes would report as
    dangling one by one, and declared counts compared with its records. One note per such table
    says so and covers their cells, so that the shapes' findings there are left out of a report.
    Likewise, one note per row that has a violation of its own or could not be read (see
    :attr:`~citykg.tables.Source.skipped`) covers the references to its record (which the shapes
    would find lacking what the row failed to state), and one note per file whose header lacks a
    column that gives its records their class or their place in a hierarchy covers the
    references to them and the counts of them."""

    def __init__(self, tables: TableSet, exists: Callable[[str, str | None, str], bool]) -> None:
        self.unread: dict[str, list[DataFile]] = {}
        for f in (f for source in tables.sources for f in source.files if not f.readable):
            self.unread.setdefault(f.table, []).append(f)
        self.exists = exists
        self.references: dict[_About, set[_Cell]] = {}
        self.counts: dict[_About, set[_Cell]] = {}
        bad = {(f.file, f.row) for f in tables.report.findings
               if f.severity is Severity.VIOLATION and f.shape == TABLE_FORMAT and f.row and f.column}
        # the columns a file's header lacks that give its records their class or parent
        self.lacking = {f.display: [c for c in f.missing if TABLES[f.table].column(c).predicate == _A.value
                                    or TABLES[f.table].column(c).kind is Kind.REF]
                        for source in tables.sources for f in source.files}
        self.partial = {f.table: (f.display, 0) for source in tables.sources for f in source.files
                        if self.lacking[f.display]}  # (to note the counts of their records)
        rows = {subject_of(r): r for source in tables.sources for r in source.rows}
        self.skipped = {subject_of(r): (r.file.display, r.line) for source in tables.sources
                        for r in source.skipped if subject_of(r) not in rows}
        for source in tables.sources:  # (the first row of a table that was not read, for counts)
            for r in source.skipped:
                self.partial.setdefault(r.table.name, (r.file.display, r.line))
        # where the note about the references to a record goes: at its row, or (line 0) its file
        self.faulty = dict(self.skipped)
        for subject, r in rows.items():
            classless = any(TABLES[r.table.name].column(c).predicate == _A.value for c in self.lacking[r.file.display])
            if classless or (r.file.display, r.line) in bad:
                self.faulty[subject] = (r.file.display, 0 if classless else r.line)

    def target(self, row: Row, column: Column, target: str) -> None:
        """Note a reference to a record whose row has a violation (or could not be read)."""
        if at := self.faulty.get(target):
            self.references.setdefault(at, set()).add((row.file.display, row.line, column.name))

    def reference(self, row: Row, column: Column, value: str) -> bool:
        """True (and noted) for a reference to no record where a table it may name was not read,
        or a row that could not be read may define it. A declared count of such a record is not
        checked either."""
        about: list[_About] = [_TABLE_OF[k] for k in column.ref if _TABLE_OF[k] in self.unread]
        about += [at for k in column.ref if (at := self.skipped.get(_ref(k, row.study, value)))]
        if not about or any(self.exists(k, row.study if k in _SCOPED else None, value) for k in column.ref):
            return False
        for key in about:
            self.references.setdefault(key, set()).add((row.file.display, row.line, column.name))
            if row.table.name == "declared_counts":
                self.counts.setdefault(key, set()).add((row.file.display, row.line, "value"))
        return True

    def count(self, row: Row) -> None:
        """Note a declared count whose records are listed in a table that was not read, or not
        all read (a row of it, or a column that places them)."""
        for table in _COUNTED_IN.get(row.get("quantity"), ()):
            if (about := table if table in self.unread else self.partial.get(table)) is not None:
                self.counts.setdefault(about, set()).add((row.file.display, row.line, "value"))

    def notes(self) -> Iterator[Finding]:
        """One note per table that was not read, or row or file whose records could not be
        checked, and that something refers to or counts."""
        for about in sorted({*self.references, *self.counts}, key=lambda a: (a, 0) if isinstance(a, str) else a):
            refs, counts = self.references.get(about, set()), self.counts.get(about, set())
            if isinstance(about, str):  # a table that was not read
                files = ", ".join(sorted({file.rsplit("/", 1)[-1] for file, _, _ in refs}))
                for f in self.unread[about]:
                    yield _note(refs, f"{about}.csv (in {files})", counts, "of its records",
                                f"{_unread(f)} and validate again to check them", file=f.display, row=None)
                continue
            file, line = about
            if line:
                why = "the row could not be read" if about in self.skipped.values() else "the row has a violation"
                what, counted = "this row's record", f"of the records of {file.rsplit('/', 1)[-1]}"
            else:
                lacking = self.lacking[file]
                why = f"its header lacks the column{'s' * (len(lacking) > 1)} {' and '.join(map(repr, lacking))}"
                what, counted = "the records of this table", "of its records"
            yield _note(refs, f"{what} ({_where(refs)})", counts, f"{counted} ({_where(counts)})",
                        f"{why}. Fix it and validate again to check them", file=file, row=line or None)


def _note(refs: set[_Cell], what: str, counts: set[_Cell], counted: str, why: str, *, file: str,
          row: int | None) -> Finding:
    """The note that ``refs`` to ``what`` and ``counts`` (``counted``) were not checked, and ``why``."""
    parts = [f"{len(refs)} reference{'s' * (len(refs) != 1)} to {what}"] if refs else []
    parts += [f"{len(counts)} declared count{'s' * (len(counts) != 1)} {counted}"] if counts else []
    verb = "was" if len(refs) + len(counts) == 1 else "were"
    return Finding(Severity.INFO, f"{' and '.join(parts)} {verb} not checked: {why}.", file=file, row=row,
                   shape="citykg:reference", covers=frozenset(refs | counts))


def _where(cells: set[_Cell]) -> str:
    """``strategy_factors.csv lines 2, 3; strategy_actions.csv line 4``."""
    return "; ".join(f"{name.rsplit('/', 1)[-1]} line{'s' * (len(lines) > 1)} {', '.join(map(str, lines))}"
                     for name, lines in _lines_by_file(cells))


def _unread(f: DataFile) -> str:
    """Why the references into a table were not checked, and what to do first."""
    if not f.misnamed:
        return "the table could not be read. Fix it"
    name = f.display.rsplit("/", 1)[-1]
    fix = "Rename" if name.strip().lower() == f.table + ".csv" else f"If it is the {f.table} table, rename"
    return f"citykg does not read a file named {name}, and there is no {f.table}.csv. {fix} it to {f.table}.csv"


def _lines_by_file(cells: set[_Cell]) -> list[tuple[str, list[int]]]:
    """The lines of ``cells`` by file, sorted."""
    lines: dict[str, set[int]] = {}
    for file, line, _ in cells:
        lines.setdefault(file, set()).add(line)
    return [(file, sorted(lines[file])) for file in sorted(lines)]


def _sort_key(q: Quad) -> tuple[str, str, str, str]:
    return (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def subject_of(row: Row) -> str:
    """The IRI of the record a row defines."""
    table = row.table
    key = [v for v in row.key() if v]
    if table.name == "studies":
        return iris.study(row.get("id"))
    if table.in_study and row.get("study"):  # a partnership may have no study: then it is shared
        return iris.study_entity(row.get("study"), table.record, *key)
    return iris.entity(table.record, *key)


def _ref(kind: str, study: str | None, value: str) -> str:
    if kind == "study":
        return iris.study(value)
    if kind in _SCOPED and study:
        return iris.study_entity(study, kind, value)
    return iris.entity(kind, value)


def _literal(column: Column, value: str) -> Literal:
    kind = column.kind
    if kind is Kind.FA:
        return Literal(value, language="fa")
    if kind is Kind.EN:
        return Literal(value, language="en")
    if kind is Kind.COUNT and value.isascii() and value.isdigit():
        return Literal(str(int(value)), datatype=_n(XSD + "nonNegativeInteger"))
    if kind is Kind.POSITIVE and value.isascii() and value.isdigit() and int(value) > 0:
        return Literal(str(int(value)), datatype=_n(XSD + "positiveInteger"))
    if kind is Kind.YEAR and re.fullmatch(r"[0-9]{4}", value):
        return Literal(value, datatype=_n(XSD + "integer"))
    if kind is Kind.DATE and _DATE.match(value):
        return Literal(value, datatype=_n(XSD + _DATE_TYPES[len(value)]))
    return Literal(value)


def _row_triples(row: Row, exists: Callable[[str, str | None, str], bool], unchecked: _Unchecked,
                 findings: list[Finding]) -> Iterator[tuple[NamedNode, NamedNode, NamedNode | Literal]]:
    table = row.table
    if table.name == "declared_counts":
        unchecked.count(row)
    study = row.study
    s = _n(subject_of(row))
    prov = _n(iris.source_row(row.file.folder, table.name, row.line))
    yield s, _n(PROV + "wasDerivedFrom"), prov
    yield prov, _A, _n(CKG + "SourceRow")
    yield prov, _n(CKG + "dataTable"), Literal(table.name)
    yield prov, _n(CKG + "dataFile"), _n(iris.source_file(row.file.folder, table.name))
    yield prov, _n(CKG + "line"), Literal(str(row.line), datatype=_n(XSD + "positiveInteger"))
    if study:
        yield prov, _n(CKG + "inStudy"), _n(iris.study(study))
        if s.value != iris.study(study):  # a study's own row is not derived from the study
            yield prov, _n(PROV + "hadPrimarySource"), _n(iris.study(study))
    for cls in table.types:
        yield s, _A, _n(cls)
    lost: set[str] = set()  # the columns that name a record which was not read
    for column in table.columns:
        value = row.get(column.name)
        if not value or column.predicate is None:
            continue
        p = _n(column.predicate)
        if column.kind in (Kind.SOURCE_TABLE, Kind.SOURCE_ROW, Kind.CITATION):
            yield prov, p, Literal(value)
        elif column.kind is Kind.ENUM:
            if value in column.choices:
                yield s, p, _n(column.choices[value])
        elif column.kind is Kind.REF:
            # a reference into a table that could not be read is mapped but not reported: one
            # note says that such references were not checked (see _Unchecked)
            if unchecked.reference(row, column, value):
                lost.add(column.name)
            target = _resolve(row, column, value, exists, [] if column.name in lost else findings)
            if target is not None:
                unchecked.target(row, column, target)
                yield s, p, _n(target)
        else:
            yield s, p, _literal(column, value)
    yield from _extras(row, s, study, lost)


def _resolve(row: Row, column: Column, value: str, exists: Callable[[str, str | None, str], bool],
             findings: list[Finding]) -> str | None:
    if len(column.ref) == 1:
        return _ref(column.ref[0], row.study, value)
    for kind in column.ref:
        scope = row.study if kind in _SCOPED else None
        if exists(kind, scope, value):
            return _ref(kind, row.study, value)
    findings.append(Finding(
        Severity.VIOLATION,
        f"{value!r} is not a {' or '.join(column.ref)} of this study or the reference data.",
        file=row.file.display, row=row.line, column=column.name, value=value,
        shape="citykg:reference"))
    return None


def _extras(row: Row, s: NamedNode, study: str | None,
            lost: set[str]) -> Iterator[tuple[NamedNode, NamedNode, NamedNode | Literal]]:
    """Triples that follow from a row but from no single column; none about a record that was
    not read (``lost``: the columns that name one), which the shapes would find lacking all."""
    name = row.table.name
    if name in ("themes", "subthemes", "codes") and study:
        cb = _n(iris.codebook(study))
        yield s, _n(SKOS + "inScheme"), cb
        if name == "themes":
            yield s, _n(SKOS + "topConceptOf"), cb
            yield cb, _A, _n(CKG + "ThematicCodebook")
            yield cb, _n(SKOS + "prefLabel"), Literal(f"Thematic codebook of {study}", language="en")
            yield cb, _n(CKG + "inStudy"), _n(iris.study(study))
            yield _n(iris.study(study)), _n(CKG + "codebook"), cb
    elif name == "declared_counts" and study:
        yield _n(iris.study(study)), _n(CKG + "declares"), s
    elif name == "strategy_factors" and study:
        strategy = _n(_ref("strategy", study, row.get("strategy")))
        factor = _n(_ref("factor", study, row.get("factor")))
        yield strategy, _n(CKG + "buildsOn"), factor
        relation = FACTOR_RELATIONS.get(row.get("factor")[:1])
        if relation:
            yield strategy, _n(relation), factor
    elif name == "strategy_actions" and study and row.get("action") and "action" not in lost:
        action = _n(_ref("action", study, row.get("action")))
        yield action, _n(CKG + "implements"), _n(_ref("strategy", study, row.get("strategy")))
    elif name == "schemes" and study:
        yield _n(iris.study(study)), _n(CKG + "citesScheme"), s
    elif name == "organisation_members":
        yield s, _n(ORG + "role"), _n(CKG + "roleMemberState")
    elif name == "dimensions":
        scheme = _n(iris.DIMENSION_SCHEME)
        yield s, _n(SKOS + "inScheme"), scheme
        yield s, _n(SKOS + "topConceptOf"), scheme
        yield scheme, _A, _n(SKOS + "ConceptScheme")
        yield scheme, _n(SKOS + "prefLabel"), Literal("Dimensions of city diplomacy", language="en")
        yield scheme, _n(SKOS + "prefLabel"), Literal("ابعاد دیپلماسی شهری", language="fa")
    elif name == "partnerships" and row.get("type") in _TWINNING:
        a = _n(_ref("city", None, row.get("city_a")))
        b = _n(_ref("city", None, row.get("city_b")))
        yield a, _n(CKG + "twinnedWith"), b
        yield b, _n(CKG + "twinnedWith"), a
