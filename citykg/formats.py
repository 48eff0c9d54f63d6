"""Write query results as SPARQL JSON, CSV, TSV or a text table, and triples as RDF.

``json`` is the SPARQL 1.1 Query Results JSON format and ``tsv`` the SPARQL 1.1 TSV format
(terms in N-Triples syntax). ``csv`` follows SPARQL 1.1 CSV (plain values) and neutralises
spreadsheet formulas: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return and is not a number gets a leading apostrophe, so that opening the file in a spreadsheet
never runs it. ``table`` is for people at a terminal. An ASK's answer is SPARQL JSON in ``json``,
else ``true`` or ``false``; the triples of a CONSTRUCT or DESCRIBE are Turtle (with citykg's
prefixes), N-Triples, JSON-LD or RDF/XML (:data:`TRIPLE_FORMATS`).

Example::

    >>> from pyoxigraph import Literal
    >>> from citykg.queries import Result
    >>> r = Result(("code", "n"), [(Literal("=HYPERLINK()"), Literal(3))])
    >>> print(render(r, Format.CSV), end="")
    code,n
    '=HYPERLINK(),3
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize

from citykg.iris import PREFIXES, XSD_STRING
from citykg.queries import Result

if TYPE_CHECKING:
    from citykg.adhoc import Triples

__all__ = ["TRIPLE_FORMATS", "Format", "neutralise", "render", "render_any", "render_boolean", "render_triples",
           "term_json"]

#: Formats of the triples a CONSTRUCT or DESCRIBE answers: name → pyoxigraph format.
TRIPLE_FORMATS = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES, "jsonld": RdfFormat.JSON_LD,
                  "rdfxml": RdfFormat.RDF_XML}

_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_MAX_CELL = 72


class Format(Enum):
    """Output formats of query results."""

    JSON = "json"
    CSV = "csv"
    TSV = "tsv"
    TABLE = "table"


def render(result: Result, fmt: Format) -> str:
    """The result as text in the chosen format (ends with a newline)."""
    if fmt is Format.JSON:
        return _json(result)
    if fmt is Format.CSV:
        return _csv(result)
    if fmt is Format.TSV:
        return _tsv(result)
    return _table(result)


def render_any(answer: Result | bool | Triples, fmt: str) -> str:
    """Any answer of :func:`citykg.adhoc.run_any`: rows or an ASK's answer in a :class:`Format`,
    triples in one of :data:`TRIPLE_FORMATS`."""
    if isinstance(answer, Result):
        return render(answer, Format(fmt))
    if isinstance(answer, bool):
        return render_boolean(answer, Format(fmt))
    return render_triples(answer.triples, fmt)


def render_boolean(answer: bool, fmt: Format) -> str:
    """An ASK's answer: SPARQL JSON for ``json``, else ``true`` or ``false`` on a line.

    >>> render_boolean(True, Format.JSON), render_boolean(False, Format.TABLE)
    ('{"head": {}, "boolean": true}\\n', 'false\\n')
    """
    return (json.dumps({"head": {}, "boolean": answer}) if fmt is Format.JSON else str(answer).lower()) + "\n"


def render_triples(triples: Sequence[Triple], fmt: str) -> str:
    """Triples in one of :data:`TRIPLE_FORMATS`, Turtle with citykg's prefixes (ends with a newline)."""
    text = (serialize(triples, format=TRIPLE_FORMATS[fmt], prefixes=PREFIXES) or b"").decode("utf-8")
    return text if text.endswith("\n") else text + "\n"


def term_json(term: NamedNode | BlankNode | Literal | Triple) -> dict[str, object]:
    """One RDF term in the SPARQL 1.1 JSON results format."""
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Triple):
        return {"type": "triple", "value": {"subject": term_json(term.subject),
                                            "predicate": term_json(term.predicate),
                                            "object": term_json(term.object)}}
    out: dict[str, object] = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def neutralise(value: str) -> str:
    """Make a cell safe to open in a spreadsheet (see the module docstring)."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(value):
        return "'" + value
    return value


def _json(result: Result) -> str:
    bindings = [
        {name: term_json(term) for name, term in zip(result.columns, row, strict=True) if term is not None}
        for row in result.rows
    ]
    doc = {"head": {"vars": list(result.columns)}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _csv(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([neutralise(_text(t)) if t is not None else "" for t in row])
    return out.getvalue()


def _tsv(result: Result) -> str:
    lines = ["\t".join("?" + c for c in result.columns)]
    for row in result.rows:
        lines.append("\t".join(str(t) if t is not None else "" for t in row))
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _text(term: NamedNode | BlankNode | Literal | Triple) -> str:
    return str(term) if isinstance(term, Triple) else term.value


def _cell(term: NamedNode | BlankNode | Literal | Triple | None) -> str:
    if term is None:
        return ""
    text = " ".join(_text(term).split())
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _table(result: Result) -> str:
    cells = [[_cell(t) for t in row] for row in result.rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(result.columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    rows = [line(list(result.columns)), line(["-" * w for w in widths])]
    rows += [line(r) for r in cells]
    rows.append(f"({len(cells)} row{'s' * (len(cells) != 1)})")
    return "\n".join(rows) + "\n"
