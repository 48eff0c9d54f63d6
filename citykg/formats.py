"""Write query results as SPARQL JSON, CSV, TSV, XML or a text table, and triples as RDF.

``json`` is the SPARQL 1.1 Query Results JSON format and ``tsv`` the SPARQL 1.1 TSV format (terms
in N-Triples syntax). ``csv`` follows SPARQL 1.1 CSV (plain values; a blank node is ``_:label``)
and neutralises spreadsheet formulas: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return and is not a number gets a leading apostrophe, so that opening the file in a
spreadsheet never runs it. ``table`` is for people at a terminal. An ASK's answer is SPARQL JSON
in ``json``, else ``true`` or ``false``; the triples of a CONSTRUCT or DESCRIBE are Turtle (with
citykg's prefixes), N-Triples, JSON-LD or RDF/XML (:data:`TRIPLE_FORMATS`).

:func:`pieces` gives the rows of an answer one at a time, so that the server can stop at its
byte limit. XML (SPARQL XML results, RDF/XML) is checked as it is written (:mod:`citykg.xmlsafe`):
XML 1.0 cannot carry some characters (most control characters, U+FFFE, U+FFFF) even escaped,
and RDF/XML writes a predicate as an element named by the end of its IRI, which not every IRI
has; an answer that XML cannot carry is refused (:class:`Unrepresentable`, HTTP 406), never
written broken or changed. So is a triple term (RDF 1.2) in JSON-LD, which cannot carry one.

Example::

    >>> from pyoxigraph import Literal
    >>> from citykg.queries import Result
    >>> r = Result(("code", "n"), [(Literal("=HYPERLINK()"), Literal(3))])
    >>> render(r, Format.CSV)
    "code,n\\r\\n'=HYPERLINK(),3\\r\\n"
    >>> render_triples([Triple(NamedNode("http://a.example/s"), NamedNode("http://a.example/p"),
    ...                        Literal("bell\\x07"))], "rdfxml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    citykg.xmlsafe.Unrepresentable: The answer holds a literal that XML 1.0 cannot carry, even escaped: \
'bell\\x07' has the control character U+0007. Ask for Turtle, N-Triples or JSON-LD instead.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import Enum
from typing import NamedTuple

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize

from citykg.errors import cut
from citykg.iris import PREFIXES, XSD_STRING
from citykg.queries import Result
from citykg.xmlsafe import BinarySink, Unrepresentable, XmlOutput, check_xml_text, write_rdfxml

__all__ = ["TRIPLE_FORMATS", "Format", "Pieces", "Unrepresentable", "XmlOutput", "csv_cells_whole", "csv_pieces",
           "neutralise", "neutralise_csv", "pieces", "render", "render_boolean", "render_triples", "term_json",
           "write_triples"]

#: Formats of the triples a CONSTRUCT or DESCRIBE answers: name → pyoxigraph format.
TRIPLE_FORMATS = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES, "jsonld": RdfFormat.JSON_LD,
                  "rdfxml": RdfFormat.RDF_XML}

_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_MAX_CELL = 72
Term = NamedNode | BlankNode | Literal | Triple
_SPARQL_XML = '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
_ITS = "http://www.w3.org/2005/11/its"
# A cell of SPARQL CSV, quoted (its value inside) or not, where a row or a cell starts.
_CSV_CELL = re.compile(rb'(?<![^,\n])(?:"([^"]*+(?:""[^"]*+)*+)"|([^,"\r\n]++))')
_FORMULA_STARTS = frozenset(bytes([c]) for c in b"=+-@\t\r")
_EDGE_SPACE = re.compile(r"\A[ \t\n\r]+|[ \t\n\r]+\Z")


class Format(Enum):
    """Output formats of query results."""

    JSON = "json"
    CSV = "csv"
    TSV = "tsv"
    TABLE = "table"


class Pieces(NamedTuple):
    """An answer in a format, in pieces: ``head``, then one text a row, then ``tail(rows written)``."""

    head: str
    rows: Iterator[str]
    tail: Callable[[int], str]


def render(result: Result, fmt: Format) -> str:
    """The result as text in the chosen format (ends with a newline)."""
    if fmt is Format.TABLE:
        return _table(result)
    parts = pieces(result, fmt.value)
    rows = list(parts.rows)
    return parts.head + "".join(rows) + parts.tail(len(rows))


def pieces(result: Result, fmt: str) -> Pieces:
    """The result in ``json``, ``csv``, ``tsv`` (as :func:`render` writes them) or ``xml`` (SPARQL
    XML results), in pieces; the rows are written as they are taken.

    :raises Unrepresentable: (from ``rows``, in ``xml``) for a value that XML cannot carry.

    >>> parts = pieces(Result(("x",), [(Literal("a"),), (Literal("b"),)]), "tsv")
    >>> parts.head, next(parts.rows), parts.tail(1)
    ('?x\\n', '"a"\\n', '')
    """
    if fmt == "json":
        empty = json.dumps({"head": {"vars": list(result.columns)}, "results": {"bindings": []}},
                           ensure_ascii=False, indent=2)
        head, end = empty.rsplit('"bindings": []', 1)

        def json_rows() -> Iterator[str]:
            for n, row in enumerate(result.rows):
                binding = {name: term_json(term) for name, term in zip(result.columns, row, strict=True)
                           if term is not None}
                text = json.dumps(binding, ensure_ascii=False, indent=2).replace("\n", "\n      ")
                yield (",\n      " if n else "\n      ") + text

        return Pieces(head + '"bindings": [', json_rows(), lambda rows: ("\n    ]" if rows else "]") + end + "\n")
    if fmt == "csv":
        return csv_pieces(result.columns, result.rows)
    if fmt == "tsv":
        return Pieces("\t".join("?" + c for c in result.columns) + "\n",
                      ("\t".join(_tsv(t) if t is not None else "" for t in row) + "\n" for row in result.rows),
                      lambda rows: "")
    head = _SPARQL_XML + "".join(f'<variable name="{_xml(c)}"/>' for c in result.columns) + "</head><results>"
    return Pieces(head, ("<result>" + "".join(f'<binding name="{_xml(c)}">{_xml_term(t)}</binding>'
                                              for c, t in zip(result.columns, row, strict=True) if t is not None)
                         + "</result>" for row in result.rows), lambda rows: "</results></sparql>")


def csv_pieces(columns: Sequence[str], rows: Iterable[Sequence[Term | None]]) -> Pieces:
    """Rows of RDF terms (``None``: unbound) in SPARQL 1.1 CSV, formulas neutralised, in pieces:
    what ``citykg query --format csv`` prints, and ``/sparql`` sends where pyoxigraph's CSV would
    be wrong (:func:`csv_cells_whole`). A blank node is ``_:label``, as SPARQL CSV has it.

    >>> parts = csv_pieces(("g", "e"), [(BlankNode("z"), NamedNode("http://ex.org/x,y"))])
    >>> parts.head + next(parts.rows)
    'g,e\\r\\n_:z,"http://ex.org/x,y"\\r\\n'
    """
    line = _Line()
    # rows end in CR LF, as SPARQL 1.1 CSV (RFC 4180) and /sparql have them; a cell holding
    # either character, a comma or a quote is quoted
    writer = csv.writer(line, lineterminator="\r\n")
    writer.writerow(columns)
    head = line.text

    def csv_rows() -> Iterator[str]:
        for row in rows:
            writer.writerow(["" if t is None else f"_:{t.value}" if isinstance(t, BlankNode) else neutralise(_text(t))
                             for t in row])
            yield line.text

    return Pieces(head, csv_rows(), lambda rows: "")


def csv_cells_whole(body: bytes, columns: int) -> bool:
    """Whether every line of the SPARQL CSV ``body`` (its header too) has ``columns`` cells, as
    RFC 4180 reads them. pyoxigraph's CSV writer leaves an IRI with a comma unquoted, so that its
    row has more cells than the answer has variables: such an answer is written again by
    :func:`csv_pieces`. Time in proportion to the bytes, with no work a row in Python.

    >>> csv_cells_whole(b'e,n\\r\\n"a,b",1\\r\\n', 2), csv_cells_whole(b"e,n\\r\\nhttp://ex.org/x,y,1\\r\\n", 2)
    (True, False)
    """
    if b'"' not in body:  # no quoted cell: every comma parts two cells, every line ends in LF
        return body.count(b",") == body.count(b"\n") * (columns - 1)
    return _csv_lines(columns).fullmatch(body) is not None


@functools.lru_cache(maxsize=64)
def _csv_lines(columns: int) -> re.Pattern[bytes]:
    """Lines of ``columns`` CSV cells each, quoted or not, ending in CR LF."""
    cell = rb'(?:"[^"]*+(?:""[^"]*+)*+"|[^,"\r\n]*+)'
    return re.compile(rb"(?:%s(?:,%s){%d}\r\n)*+" % (cell, cell, columns - 1))


def render_boolean(answer: bool, fmt: Format) -> str:
    """An ASK's answer: SPARQL JSON for ``json``, else ``true`` or ``false`` on a line.

    >>> render_boolean(True, Format.JSON), render_boolean(False, Format.TABLE)
    ('{"head": {}, "boolean": true}\\n', 'false\\n')
    """
    return (json.dumps({"head": {}, "boolean": answer}) if fmt is Format.JSON else str(answer).lower()) + "\n"


def render_triples(triples: Sequence[Triple], fmt: str) -> str:
    """Triples in one of :data:`TRIPLE_FORMATS`, Turtle with citykg's prefixes (ends with a newline,
    unless it is empty: no triples in Turtle or N-Triples is no text).

    :raises Unrepresentable: if the format cannot carry them (see :func:`write_triples`).
    """
    out = io.BytesIO()
    write_triples(triples, TRIPLE_FORMATS[fmt], out)
    text = out.getvalue().decode("utf-8")
    return text if text.endswith("\n") or not text else text + "\n"


def write_triples(triples: Sequence[Triple], fmt: RdfFormat, output: BinarySink) -> None:
    """Write ``triples`` to ``output`` with citykg's prefixes, or refuse what the format cannot carry.

    JSON-LD cannot carry a triple term (RDF 1.2); RDF/XML cannot carry a literal with a character
    that XML 1.0 lacks, a predicate (or a class, written as a typed element) whose IRI ends in no
    XML name (``http://example.org/1``), or a predicate of RDF/XML's own syntax (``rdf:about``).
    RDF/XML is parsed (expat) as it is written, so what it writes is well-formed
    (:func:`citykg.xmlsafe.write_rdfxml`). An exception of ``output`` (such as a size cap) passes through.

    :raises Unrepresentable: naming the value, the predicate or the class, and the formats that can.
    """
    if fmt == RdfFormat.JSON_LD:
        term = next((t.object for t in triples if isinstance(t.object, Triple)), None)
        if term is not None:
            raise Unrepresentable(f"JSON-LD cannot carry the triple term {cut(str(term), 200)} (RDF 1.2) yet: ask for "
                                  "Turtle, N-Triples or RDF/XML instead, which can.")
    if fmt != RdfFormat.RDF_XML:
        try:
            serialize(triples, output, format=fmt, prefixes=PREFIXES)  # type: ignore[arg-type]
        except OSError as exc:
            raise Unrepresentable(f"The answer cannot be written as {fmt.name}: {exc}. Ask for Turtle or "
                                  "N-Triples instead, which carry any RDF.") from None
        return
    write_rdfxml(triples, output)


def _xml(text: str) -> str:
    """Text for SPARQL XML results, escaped as pyoxigraph escapes it (white space at either end
    as character references, which its parser would trim); refused if XML cannot carry it."""
    check_xml_text(text, "SPARQL JSON, CSV or TSV")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _EDGE_SPACE.sub(lambda m: "".join(f"&#{ord(c)};" for c in m.group()), text).replace("\r", "&#13;")


def _xml_term(term: Term) -> str:
    """One RDF term in the SPARQL 1.1 XML results format (as pyoxigraph writes it)."""
    if isinstance(term, NamedNode):
        return f"<uri>{_xml(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{_xml(term.value)}</bnode>"
    if isinstance(term, Triple):
        return ("<triple>" + "".join(f"<{part}>{_xml_term(getattr(term, part))}</{part}>"
                                     for part in ("subject", "predicate", "object")) + "</triple>")
    attributes = ""
    if term.language:
        attributes = f' xml:lang="{_xml(term.language)}"'
        if term.direction is not None:
            attributes += f' its:dir="{term.direction}" xmlns:its="{_ITS}" its:version="2.0"'
    elif term.datatype.value != XSD_STRING:
        attributes = f' datatype="{_xml(term.datatype.value)}"'
    return f"<literal{attributes}>{_xml(term.value)}</literal>"


class _Line:
    """A text file that keeps only the last line written: what csv.writer wrote for one row."""

    text = ""

    def write(self, text: str) -> int:
        self.text = text
        return len(text)


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


def neutralise_csv(body: bytes) -> bytes:
    """SPARQL CSV, as pyoxigraph writes it, with every spreadsheet formula neutralised as
    :func:`neutralise` does it (cells of any length: no CSV reader, whose cells are capped).

    >>> neutralise_csv(b'a,n\\r\\n=1+2,-5\\r\\n"@x,y",\\r\\n').split(b"\\r\\n")
    [b'a,n', b"'=1+2,-5", b'"\\'@x,y",', b'']
    """
    def cell(found: re.Match[bytes]) -> bytes:
        quoted, value = found.group(1) is not None, found.group(1) or found.group(2)
        if value[:1] not in _FORMULA_STARTS or not neutralise(value.decode("utf-8")).startswith("'"):
            return found.group()
        return b"\"'" + value + b'"' if quoted else b"'" + value

    return _CSV_CELL.sub(cell, body)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _text(term: NamedNode | BlankNode | Literal | Triple) -> str:
    """A term's value; a triple term as SPARQL writes it, ``<<( s p o )>>``."""
    return f"<<( {term} )>>" if isinstance(term, Triple) else term.value


def _tsv(term: NamedNode | BlankNode | Literal | Triple) -> str:
    """A term in SPARQL TSV: as N-Triples writes it, a triple term in ``<<( … )>>``."""
    return f"<<( {term} )>>" if isinstance(term, Triple) else str(term)


def _cell(term: NamedNode | BlankNode | Literal | Triple | None) -> str:
    """A table's cell: on one line, control characters shown as escapes (\\x1b), never sent to a
    terminal that would obey them, and cut to :data:`_MAX_CELL` characters."""
    if term is None:
        return ""
    text = _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", " ".join(_text(term).split()))
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
