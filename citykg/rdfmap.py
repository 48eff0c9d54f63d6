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
(``kind``): one note about the table. Checks that the rows of a table that could not be read
decide (the TOWS type of each strategy, by strategy_factors.csv) are one note too, and a study
that several rows name but no studies.csv has is one violation (see :mod:`citykg.unchecked`).

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
from citykg.tables import Row, TableSet
from citykg.unchecked import CHECK, Unchecked, record_iri, subject_of

__all__ = ["Mapped", "subject_of", "to_quads"]

_SCOPED = frozenset(t.record for t in TABLES.values() if t.in_study)
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

    unchecked = Unchecked(tables, exists)
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
    return Mapped(sorted(quads, key=_sort_key), Report.of([*findings, *unchecked.findings()]))


def _sort_key(q: Quad) -> tuple[str, str, str, str]:
    return (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


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


def _row_triples(row: Row, exists: Callable[[str, str | None, str], bool], unchecked: Unchecked,
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
            # note says that such references were not checked (see :class:`~citykg.unchecked.Unchecked`)
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
        return record_iri(column.ref[0], row.study, value)
    for kind in column.ref:
        scope = row.study if kind in _SCOPED else None
        if exists(kind, scope, value):
            return record_iri(kind, row.study, value)
    # a count of a subject that is not one is no count of the whole study: its number, a good one,
    # is compared with nothing (a bad one is still reported)
    number = row.get("value")
    counted = frozenset({(row.file.display, row.line, "value")}) if (
        row.table.name == "declared_counts" and number.isascii() and number.isdigit()) else frozenset()
    findings.append(Finding(
        Severity.VIOLATION,
        f"{value!r} is not a {' or '.join(column.ref)} of this study or the reference data.",
        file=row.file.display, row=row.line, column=column.name, value=value,
        shape=CHECK, covers=counted))
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
        strategy = _n(record_iri("strategy", study, row.get("strategy")))
        factor = _n(record_iri("factor", study, row.get("factor")))
        yield strategy, _n(CKG + "buildsOn"), factor
        # by the letter of the code, in either case: a factor ``s1`` (its code reported by its
        # shape) is still the strength its strategy builds on, not a cause of more findings
        relation = FACTOR_RELATIONS.get(row.get("factor")[:1].upper())
        if relation:
            yield strategy, _n(relation), factor
    elif name == "strategy_actions" and study and row.get("action") and "action" not in lost:
        action = _n(record_iri("action", study, row.get("action")))
        yield action, _n(CKG + "implements"), _n(record_iri("strategy", study, row.get("strategy")))
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
