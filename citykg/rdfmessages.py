"""Messages for findings about records read from RDF: in RDF terms, not the tables' columns.

A record that citykg did not read from a table (one of an RDF submission, or of ``graphs/``) has
no cells, and its author writes triples. :func:`rdf_message` words a shape's result about such a
record for that author (:mod:`citykg.shacl` asks it):

- a value of a datatype the shape does not take (``sh:datatype``, or an ``sh:or`` of them), whose
  text that datatype would take, says what to write: ``ckg:expertPanelSize 10`` is an
  ``xsd:integer``, and a panel size an ``xsd:positiveInteger``: ``"10"^^xsd:positiveInteger``;
- a shape or a constraint with a ``ckgsh:rdfMessage`` gives that in place of its ``sh:message``,
  which may name the columns of a table (``source_table``) where this names properties
  (``ckg:sourceTable``).

Other results keep the shape's message.

Example::

    >>> fits("10", XSD + "positiveInteger"), fits("0", XSD + "positiveInteger"), fits("2019", XSD + "gYear")
    (True, False, True)
    >>> written("10", XSD + "positiveInteger")
    '"10"^^xsd:positiveInteger'
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any

from citykg.iris import BASE, SH, XSD, XSD_STRING, shorten

if TYPE_CHECKING:
    import rdflib

__all__ = ["RDF_MESSAGE", "fits", "rdf_message", "written"]

#: The annotation of a shape or constraint that words its results about records read from RDF.
RDF_MESSAGE = BASE + "shapes#rdfMessage"

#: The integer datatypes, with their least and greatest values (None: no bound).
_INTEGERS: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None), "nonNegativeInteger": (0, None), "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
    "long": (-2**63, 2**63 - 1), "int": (-2**31, 2**31 - 1), "short": (-2**15, 2**15 - 1), "byte": (-2**7, 2**7 - 1),
    "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1), "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1)}
_ZONE = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR, _MONTH, _DAY = r"-?(?:[1-9][0-9]{4,}|[0-9]{4})", r"(?:0[1-9]|1[0-2])", r"(?:0[1-9]|[12][0-9]|3[01])"
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
#: The lexical forms of the other XSD datatypes known here (in ASCII digits, as XSD writes them).
_FORMS = {name: re.compile(form, re.S) for name, form in {
    "string": r".*",
    "boolean": r"true|false|1|0",
    "decimal": _NUMBER,
    "double": rf"{_NUMBER}(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN",
    "float": rf"{_NUMBER}(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN",
    "gYear": _YEAR + _ZONE,
    "gYearMonth": f"{_YEAR}-{_MONTH}{_ZONE}",
    "date": f"{_YEAR}-{_MONTH}-{_DAY}{_ZONE}",
    "dateTime": rf"{_YEAR}-{_MONTH}-{_DAY}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?{_ZONE}",
    "anyURI": r"[^\s<>\"{}|\\^`]*",
}.items()}


def fits(text: str, datatype: str) -> bool:
    """Whether ``text`` is a lexical form of the XSD ``datatype``, so that ``"text"^^datatype`` is
    a well-typed literal; False for a datatype not known here."""
    name = datatype[len(XSD):] if datatype.startswith(XSD) else ""
    if name in _INTEGERS:
        low, high = _INTEGERS[name]
        return (re.fullmatch(r"[+-]?[0-9]+", text) is not None and (low is None or int(text) >= low)
                and (high is None or int(text) <= high))
    form = _FORMS.get(name)
    if form is None or not form.fullmatch(text):
        return False
    day = re.match(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", text) if name.startswith("date") else None
    try:  # a day its month has (year 0 is a leap year, as 2000 is)
        return day is None or bool(datetime.date(int(day[1]) or 2000, int(day[2]), int(day[3])))
    except ValueError:
        return False


def written(text: str, datatype: str) -> str:
    """The literal ``text`` of ``datatype`` as Turtle writes it: ``"10"^^xsd:positiveInteger``,
    or ``"text"`` for a string."""
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    return quoted if datatype == XSD_STRING else f"{quoted}^^{shorten(datatype)}"


def rdf_message(result: Any, results: rdflib.Graph, shapes: rdflib.Graph) -> str | None:
    """The message of a SHACL ``result`` about a record read from RDF, if it has one of its own
    (see the module docstring); None: the shape's."""
    import rdflib

    sh = rdflib.Namespace(SH)

    def about(node: Any, predicate: Any) -> Any:  # the shapes' triple, or its copy in the results
        if node is None:
            return None
        found = shapes.value(node, predicate)
        return found if found is not None else results.value(node, predicate)

    shape, value, path = (results.value(result, p) for p in (sh.sourceShape, sh.value, sh.resultPath))
    if isinstance(value, rdflib.Literal) and isinstance(path, rdflib.URIRef):
        component = results.value(result, sh.sourceConstraintComponent)
        typed = _typed(value, _datatypes(component, shape, about, (shapes, results)), shorten(str(path)))
        if typed:
            return typed
    worded = rdflib.URIRef(RDF_MESSAGE)
    message = about(results.value(result, sh.sourceConstraint), worded)
    message = message if message is not None else about(shape, worded)
    return str(message) if message is not None else None


def _typed(value: rdflib.Literal, wanted: list[str], prop: str) -> str | None:
    """The message about a value of ``prop`` whose datatype is none of those ``wanted``, though
    its text would be one of them; None if its datatype is wanted, or its text fits none."""
    has = str(value.datatype) if value.datatype is not None else "" if value.language else XSD_STRING
    right = [d for d in wanted if fits(str(value), d)]
    if not right or has in wanted:
        return None
    what = (f"a text tagged @{value.language}" if value.language else "a plain string" if has == XSD_STRING
            else _a(shorten(has)))
    names = [_a(shorten(d)) for d in wanted]
    takes = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"{prop} takes {takes}, and this value is {what}: write {written(str(value), right[0])}."


def _datatypes(component: Any, shape: Any, about: Any, graphs: tuple[rdflib.Graph, ...]) -> list[str]:
    """The datatypes a result's constraint takes: its ``sh:datatype``, or those of the members of
    its ``sh:or`` if each is a datatype; none for another constraint."""
    import rdflib
    from rdflib.collection import Collection

    sh = rdflib.Namespace(SH)
    if component == sh.DatatypeConstraintComponent:
        datatype = about(shape, sh.datatype)
        return [str(datatype)] if datatype is not None else []
    head = about(shape, sh["or"]) if component == sh.OrConstraintComponent else None
    graph = next((g for g in graphs if head is not None and (head, rdflib.RDF.first, None) in g), None)
    kinds = [about(m, sh.datatype) for m in Collection(graph, head)] if graph is not None and head is not None else []
    return [str(k) for k in kinds] if kinds and all(k is not None for k in kinds) else []


def _a(name: str) -> str:
    """A term with its article: ``an xsd:integer``, ``a ckg:City``."""
    return f"{'an' if name[:1] in 'aeiox' else 'a'} {name}"
