"""Run the SHACL shapes over a dataset and point each result at the file, row and column.

pySHACL does the validation. citykg then reads each result's focus node back to the source row
it was derived from (``prov:wasDerivedFrom`` → :ckg:`SourceRow` → data file and line) and the
result's path back to the column that produced it (:mod:`citykg.schema`), so a report says
``data/mashhad-oic/strategy_factors.csv:14: factor: violation: …`` rather than naming IRIs. A
result about a relation that a row of another table states (a strategy's ``ckg:overcomesWeakness``
comes from its citation of the weakness in strategy_factors.csv) points at that row and column.
A source row that citykg did not read from a table (an RDF file's, without ``ckg:dataTable``)
places nothing: its ``ckg:path`` and ``ckg:line`` are what the file declares, so such findings
name the ``fallback_file``, for :mod:`citykg.rdflines` to place; a blank node is a finding's
focus as ``_:id``, and no finding shows its id as a value. A result about a record not read
from a table is worded in RDF terms where the shapes say how (:mod:`citykg.rdfmessages`).

The shapes are checked against the union of all named graphs plus the ontology, so references
across sources (a study's theme pointing at a shared dimension) resolve, and ``sh:class`` sees
the class hierarchy.

Example::

    >>> from pathlib import Path
    >>> from pyoxigraph import Literal, NamedNode, Quad
    >>> shapes = load_shapes(Path("shapes"))
    >>> s, g = NamedNode("http://example.org/s"), NamedNode("http://example.org/g")
    >>> quads = [Quad(s, NamedNode(RDF + "type"), NamedNode(CKG + "Strength"), g),
    ...          Quad(s, NamedNode(CKG + "code"), Literal("W1"), g)]
    >>> report = check(quads, shapes=shapes, ontology=[])
    >>> [f.message for f in report.findings]
    ["A strength's code is S and its number (S1, S2 …): check the code or the kind."]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from pyoxigraph import BlankNode, NamedNode, Quad

from citykg.errors import ShapesError
from citykg.iris import BASE, CKG, PROV, RDF, SH, XSD_STRING, shorten
from citykg.rdfmessages import rdf_message
from citykg.report import Finding, Report, Severity
from citykg.schema import FACTOR_RELATIONS, TABLES, Kind

if TYPE_CHECKING:
    import rdflib

__all__ = ["Engine", "Shapes", "check", "load_shapes"]

_PROVENANCE = (Kind.SOURCE_TABLE, Kind.SOURCE_ROW, Kind.CITATION)  # columns a SourceRow states
_SEVERITY = {SH + "Violation": Severity.VIOLATION, SH + "Warning": Severity.WARNING,
             SH + "Info": Severity.INFO}


class Engine(Enum):
    """The SHACL engine: pyshacl-turbo (fast, the default) or pySHACL (the reference).

    Both take the same shapes and give the same results; the test suite checks that they agree
    on the project's data and on every example of valid and invalid data.
    """

    TURBO = "turbo"
    PYSHACL = "pyshacl"


@dataclass(frozen=True)
class Shapes:
    """A loaded shapes graph (an rdflib Graph), ready to validate with."""

    graph: rdflib.Graph


def load_shapes(folder: Path) -> Shapes:
    """Load every ``*.ttl`` file of the shapes folder.

    :raises ShapesError: if a file does not parse.
    """
    import rdflib

    graph = rdflib.Graph()
    files = sorted(folder.glob("*.ttl"))
    if not files:
        raise ShapesError(f"No shapes (*.ttl) in {folder}.")
    for path in files:
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
            raise ShapesError(f"The shapes file {path} does not parse: {exc}") from exc
    return Shapes(graph)


def check(quads: Iterable[Quad], *, shapes: Shapes, ontology: Sequence[Quad] | Iterable[Quad],
          fallback_file: str | None = None, engine: Engine = Engine.TURBO) -> Report:
    """Validate quads (as the union of their graphs) with the shapes.

    :param quads: the data to check.
    :param shapes: from :func:`load_shapes`.
    :param ontology: ontology quads to add for the class hierarchy (empty to check without it).
    :param fallback_file: the file to name in findings whose record has no provenance (an RDF
        input, for example).
    :param engine: which SHACL engine runs the shapes.
    :return: the findings, located in the source tables where the data came from them.
    """
    import logging

    import rdflib

    # an ill-typed literal ("abc"^^xsd:integer) is the shapes' to report, not a traceback on stderr
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)

    if engine is Engine.TURBO:
        from pyshacl_turbo import validate as run
    else:
        from pyshacl import validate as run

    data = rdflib.Graph()
    data.addN((_term(q.subject), _term(q.predicate), _term(q.object), data) for q in (*quads, *ontology))
    _, results, text = run(
        data, shacl_graph=shapes.graph, inference="none", advanced=False, allow_warnings=True,
        abort_on_first=False, meta_shacl=False, debug=False)
    if not isinstance(results, rdflib.Graph):
        raise ShapesError(f"The shapes could not be applied ({engine.value}): {text}")
    return Report.of(_findings(results, data, shapes.graph, fallback_file))


def _term(term: Any) -> Any:
    """The rdflib term for a pyoxigraph term (pyshacl-turbo reads rdflib graphs faithfully; its
    pyoxigraph path reads derived integer datatypes as xsd:integer, so it is not used)."""
    import rdflib

    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:
        return rdflib.Literal(term.value)  # rdflib tells "x" and "x"^^xsd:string apart; shapes write "x"
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def _findings(results: rdflib.Graph, data: rdflib.Graph, shapes: rdflib.Graph,
              fallback_file: str | None) -> Iterable[Finding]:
    import rdflib

    sh = rdflib.Namespace(SH)
    locate = _Locator(data)
    for result in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = results.value(result, sh.focusNode)
        path = results.value(result, sh.resultPath)
        value = results.value(result, sh.value)
        severity = _SEVERITY.get(str(results.value(result, sh.resultSeverity)), Severity.VIOLATION)
        message = str(results.value(result, sh.resultMessage) or "The data does not conform.")
        shape = _shape_name(results.value(result, sh.sourceShape), shapes)
        column: str | None
        if value is not None and value == focus and path is not None and (focus, path, value) not in locate.data:
            value = None  # SHACL's default value of a SPARQL result, the focus node: no value of the path
        stated = locate.statement(focus, path, value)
        if stated:  # a relation another row states (SO1 cites W2): point at that row's cell
            record, column = stated
            file, row, table = locate(record)
        else:
            file, row, table = locate(focus)
            column = _column(table, path, value, message) if table else None
            if table and path is None and value == focus and (cells := locate.unstated(focus, table)
                                                              or _named(table, message)):
                column, value = cells, None  # a result about the whole record: the cells it is about
        if table is None:  # not a table's record: its author writes RDF
            message = rdf_message(result, results, shapes) or message
        if column and isinstance(value, rdflib.URIRef) and str(value).startswith(BASE + "id/"):
            value = rdflib.Literal(unquote(str(value).rsplit("/", 1)[-1]))  # the code in the cell
        yield Finding(
            severity,
            message,
            file=file or fallback_file,
            row=row,
            column=column,
            value=_text(value),
            shape=shape,
            focus=_node(focus),
            path=None if table else _path_text(path, results),  # a table's record has columns
        )


#: Relations that a row of another table states, and how to find that row: relation →
#: (predicate from the row's record to the relation's subject, to its object, the column).
#: ``SO1 ckg:overcomesWeakness W2`` is stated by the row of strategy_factors.csv that cites W2.
_STATED_BY = {
    **{rel: (CKG + "citingStrategy", CKG + "citedFactor", "factor")
       for rel in (*FACTOR_RELATIONS.values(), CKG + "buildsOn")},
    CKG + "implements": (CKG + "statesAction", CKG + "statedIn", "strategy"),
}


class _Locator:
    """Find the data file, line and table a focus node was read from."""

    def __init__(self, data: rdflib.Graph) -> None:
        import rdflib

        self.data = data
        self.derived = rdflib.URIRef(PROV + "wasDerivedFrom")
        self.source_row = rdflib.URIRef(CKG + "SourceRow")
        self.type = rdflib.URIRef(RDF + "type")

    def __call__(self, focus: Any) -> tuple[str | None, int | None, str | None]:
        import rdflib

        row = focus if (focus, self.type, self.source_row) in self.data else None
        if row is None:
            rows = sorted(self.data.objects(focus, self.derived), key=str)
            row = rows[0] if rows else None
        table = self.data.value(row, rdflib.URIRef(CKG + "dataTable")) if row is not None else None
        if table is None:  # not a row citykg read: its ckg:path and ckg:line are what an RDF file declares
            return None, None, None
        data_file = self.data.value(row, rdflib.URIRef(CKG + "dataFile"))
        path = self.data.value(data_file, rdflib.URIRef(CKG + "path")) if data_file else None
        line = self.data.value(row, rdflib.URIRef(CKG + "line"))
        return (str(path) if path else None,
                int(str(line)) if line is not None and str(line).isdigit() else None,
                str(table))

    def unstated(self, focus: Any, table: str) -> str | None:
        """The columns of provenance (study, source_table, source_row, source) that a
        :ckg:`SourceRow` ``focus`` of ``table`` does not state, if it is one."""
        import rdflib

        if (focus, self.type, self.source_row) not in self.data:
            return None
        columns = [c.name for c in TABLES[table].columns if c.predicate and (c.name == "study" or c.kind in _PROVENANCE)
                   and (focus, rdflib.URIRef(c.predicate), None) not in self.data]
        return "/".join(columns) or None

    def statement(self, focus: Any, path: Any, value: Any) -> tuple[Any, str] | None:
        """The record whose row states ``focus path value`` (a relation derived from another
        table's row, such as a strategy's from its citation of a factor), and its column."""
        stated = _STATED_BY.get(str(path)) if value is not None else None
        if stated is None:
            return None
        import rdflib

        to_subject, to_object, column = stated
        records = sorted((r for r in self.data.subjects(rdflib.URIRef(to_subject), focus)
                          if (r, rdflib.URIRef(to_object), value) in self.data), key=str)
        return (records[0], column) if records else None


def _column(table: str, path: Any, value: Any, message: str) -> str | None:
    spec = TABLES.get(table)
    if spec is None or path is None:
        return None
    columns = spec.columns_for(str(path))
    if str(path) == CKG + "inStudy":
        columns = ["study"] if spec.in_study else []
    if len(columns) > 1:
        lang = getattr(value, "language", None)
        by_lang = [c for c in columns if lang and c.endswith("_" + lang)]
        columns = by_lang or [c for c in columns if c in message] or columns
    return "/".join(columns) or None


def _named(table: str, message: str) -> str | None:
    """The columns of ``table`` that a message names in parentheses: ``(label_fa) and … (label_en)``."""
    return "/".join(c.name for c in TABLES[table].columns if f"({c.name})" in message) or None


def _path_text(path: Any, results: rdflib.Graph) -> str | None:
    """A result's path as a prefixed name; an inverse path with ``^`` before it; else None."""
    import rdflib

    inverse = results.value(path, rdflib.URIRef(SH + "inversePath")) if isinstance(path, rdflib.BNode) else None
    if isinstance(inverse, rdflib.URIRef):
        return "^" + shorten(str(inverse))
    return shorten(str(path)) if isinstance(path, rdflib.URIRef) else None


def _shape_name(shape: Any, shapes: rdflib.Graph) -> str | None:
    import rdflib

    sh = rdflib.Namespace(SH)
    seen = 0
    while isinstance(shape, rdflib.BNode) and seen < 5:
        parents = sorted(shapes.subjects(sh.property, shape), key=str) or sorted(
            shapes.subjects(sh.sparql, shape), key=str)
        shape = parents[0] if parents else None
        seen += 1
    if shape is None or isinstance(shape, rdflib.BNode):
        return None
    name = shorten(str(shape))
    return re.sub(r"^<https://w3id.org/citykg/shapes#(.*)>$", r"ckgsh:\1", name)


def _node(term: Any) -> str | None:
    """The focus of a finding: an IRI, or a blank node as ``_:id`` (as :func:`citykg.iris.node_key`)."""
    import rdflib

    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    return str(term) if isinstance(term, rdflib.URIRef) else None


def _text(value: Any) -> str | None:
    """A value as a finding shows it; none for a blank node, whose id is citykg's, not the data's."""
    import rdflib

    if value is None or isinstance(value, rdflib.BNode):
        return None
    return str(value)
