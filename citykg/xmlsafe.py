"""Keep XML answers well-formed: refuse what XML cannot carry, never write it broken or changed.

XML 1.0 cannot carry some characters (most control characters, U+FFFE, U+FFFF), even as
character references, and RDF/XML writes a predicate (and a subject's first class) as an element
named by the end of its IRI, which not every IRI has (``http://example.org/1``); a predicate of
RDF/XML's own syntax (``rdf:about``) is refused by pyoxigraph. :mod:`citykg.formats` and
:mod:`citykg.evaluate` write SPARQL XML results and RDF/XML through :class:`XmlOutput`, which
checks the bytes as they come; :func:`write_rdfxml` also parses them (expat) as they are
written. An answer that XML cannot carry is refused with :class:`Unrepresentable` (HTTP 406),
whose message names the value, the predicate or the class, and the formats to ask for instead.

Example::

    >>> import io
    >>> out = XmlOutput(io.BytesIO(), "SPARQL JSON, CSV or TSV")
    >>> out.write(b"<literal>a\\rb</literal>"), out.output.getvalue()
    (22, b'<literal>a&#13;b</literal>')
    >>> out.write(b"<literal>bell\\x07</literal>")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    citykg.xmlsafe.Unrepresentable: The answer holds a literal that XML 1.0 cannot carry, even escaped: \
'bell\\x07' has the control character U+0007. Ask for SPARQL JSON, CSV or TSV instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, cast
from xml.parsers import expat
from xml.sax.saxutils import unescape

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize

from citykg.errors import QueryError, cut
from citykg.iris import PREFIXES, RDF

__all__ = ["BinarySink", "Unrepresentable", "XmlOutput", "check_xml_text", "write_rdfxml"]

#: Characters that XML 1.0 cannot carry, even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in b"\t\n\r")  # all but the control characters
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE and U+FFFF in UTF-8
_NOT_IN_XML = "Turtle, N-Triples or JSON-LD"  # the graph formats that carry any literal and predicate
# Terms of RDF/XML's own syntax, which pyoxigraph refuses as predicates.
_RESERVED = frozenset(RDF + name for name in ("Description", "li", "RDF", "ID", "about", "parseType", "resource",
                                              "nodeID", "datatype"))
_SLICE = 65_536  # bytes of a long value checked and passed on at a time
_EXAMPLE, _EMPTY = NamedNode("http://example.org/x"), Literal("")
_NO_NAME = "and this IRI ends in no XML name (one that starts with a letter or _) in a namespace XML allows"
_Term = NamedNode | BlankNode | Literal | Triple


class Unrepresentable(QueryError):
    """The answer holds a value or a predicate that the format asked for cannot carry (HTTP 406);
    the message names it and the formats that can."""


class BinarySink(Protocol):
    """Where serialized bytes go: a binary file, or a sink of the server's."""

    def write(self, data: bytes, /) -> int: ...


class XmlOutput:
    """A binary sink for the XML that pyoxigraph writes, passed on to ``output``: a carriage
    return goes as ``&#13;`` (a parser would read a raw one as a line feed), and a character
    that XML 1.0 cannot carry stops the writing with :class:`Unrepresentable`, which names the
    value and the formats to ask for ``instead``. With ``parse``, the XML is also parsed as it
    goes (expat, with namespaces), and :meth:`close` checks that it is complete. A long value
    comes in one write: it is passed on in slices, so that ``output`` can stop it early.
    """

    def __init__(self, output: BinarySink, instead: str, *, parse: bool = False) -> None:
        self.output = output
        self.instead = instead
        self.parser = expat.ParserCreate(namespace_separator=" ") if parse else None
        self.last = b""  # the last bytes written, for a character split between two writes

    def write(self, data: bytes) -> int:
        """Check ``data`` and pass it on (in slices if it is long); its length."""
        view = memoryview(data)
        for start in range(0, len(data), _SLICE):
            self._write(data if len(data) <= _SLICE else bytes(view[start:start + _SLICE]))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: each write is passed on."""

    def close(self) -> None:
        """Check, when parsing, that the document is complete."""
        if self.parser is not None:
            self._parse(b"", final=True)

    def _write(self, data: bytes) -> None:
        window = self.last + data
        if window.translate(None, _XML_BYTES) or any(n in window for n in _NONCHARACTERS):
            text = window.decode("utf-8", "replace")
            at = found.start() if (found := _NOT_XML.search(text)) else 0
            start, end = text.rfind(">", 0, at) + 1, text.find("<", at)
            value = unescape(text[start:end if end >= 0 else None], {"&quot;": '"', "&apos;": "'"})
            raise Unrepresentable(_not_xml(value, self.instead))
        self.last = window[-2:]
        chunk = data.replace(b"\r", b"&#13;")
        if self.parser is not None:
            self._parse(chunk, final=False)
        self.output.write(chunk)

    def _parse(self, chunk: bytes, *, final: bool) -> None:
        try:
            self.parser.Parse(chunk, final)  # type: ignore[union-attr]
        except expat.ExpatError as exc:
            raise Unrepresentable(f"it is not well-formed XML ({exc})") from None


def check_xml_text(text: str, instead: str) -> None:
    """Refuse ``text`` if it holds a character that XML 1.0 cannot carry, even escaped.

    :raises Unrepresentable: naming the character and the formats to ask for ``instead``.

    >>> check_xml_text("fine\\t\\n", "JSON")
    >>> check_xml_text("a\\x0bb", "JSON")
    Traceback (most recent call last):
    ...
    citykg.xmlsafe.Unrepresentable: The answer holds a literal that XML 1.0 cannot carry, even escaped: \
'a\\x0bb' has the control character U+000B. Ask for JSON instead.
    """
    if _NOT_XML.search(text):
        raise Unrepresentable(_not_xml(text, instead))


def write_rdfxml(triples: Sequence[Triple], output: BinarySink) -> None:
    """Write ``triples`` to ``output`` as RDF/XML with citykg's prefixes, parsed (expat) as it is
    written, so that what it writes is well-formed; an exception of ``output`` passes through.

    :raises Unrepresentable: for a literal with a character that XML 1.0 lacks, a predicate (or a
        class, written as a typed element) whose IRI ends in no XML name, or a predicate of
        RDF/XML's own syntax, naming it and the formats that can carry it.
    """
    xml = XmlOutput(output, _NOT_IN_XML, parse=True)
    try:
        serialize(triples, xml, format=RdfFormat.RDF_XML, prefixes=PREFIXES)  # type: ignore[arg-type]
        xml.close()
    except (OSError, Unrepresentable) as exc:
        raise Unrepresentable(_rdfxml_fault(triples) or f"The answer cannot be written as RDF/XML: {exc}. Ask for "
                              f"{_NOT_IN_XML} instead.") from None


def _not_xml(value: str, instead: str) -> str:
    """The message refusing ``value``, which holds a character that XML 1.0 cannot carry."""
    found = _NOT_XML.search(value)
    if found is None:  # not in the part of the value at hand
        return f"The answer holds a character that XML 1.0 cannot carry, even escaped. Ask for {instead} instead."
    at, code = found.start(), ord(found.group())
    kind = ("control character" if code < 0x20 else "noncharacter" if code > 0xFFFD else "lone surrogate")
    shown = ("…" if at > 40 else "") + value[max(0, at - 40):at + 40] + ("…" if at + 40 < len(value) else "")
    return (f"The answer holds a literal that XML 1.0 cannot carry, even escaped: {shown!r} has the {kind} "
            f"U+{code:04X}. Ask for {instead} instead.")


def _rdfxml_fault(triples: Sequence[Triple]) -> str | None:
    """What RDF/XML cannot carry in ``triples``: a literal with a character XML lacks, or the
    first predicate or class (a subject's first rdf:type names its element) whose element
    pyoxigraph does not write as well-formed XML."""
    subject: _Term | None = None
    tried: set[tuple[bool, str]] = set()
    for triple in triples:
        typed = (triple.subject != subject and triple.predicate.value == RDF + "type"
                 and isinstance(triple.object, NamedNode) and triple.object.value not in _RESERVED)
        subject, element = triple.subject, cast(NamedNode, triple.object) if typed else triple.predicate
        if isinstance(triple.object, Literal) and _NOT_XML.search(triple.object.value):
            return _not_xml(triple.object.value, _NOT_IN_XML)
        if isinstance(triple.object, Triple) and (inner := _rdfxml_fault([triple.object])):
            return inner
        if (typed, str(element)) in tried:
            continue
        tried.add((typed, str(element)))
        if typed and not _writes([Triple(_EXAMPLE, triple.predicate, element)]):
            return (f"RDF/XML cannot say that {cut(str(triple.subject), 200)} is a {cut(str(element), 200)}: it "
                    f"writes the class as an XML element named by the end of its IRI, {_NO_NAME}. Ask for "
                    f"{_NOT_IN_XML} instead.")
        if not typed and not _writes([Triple(_EXAMPLE, _EXAMPLE, _EMPTY), Triple(_EXAMPLE, element, _EMPTY)]):
            why = ("it is a term of RDF/XML's own syntax" if element.value in _RESERVED else
                   f"it writes a predicate as an XML element named by the end of its IRI, {_NO_NAME}")
            return (f"RDF/XML cannot write the predicate {cut(str(element), 200)}: {why}. Ask for {_NOT_IN_XML} "
                    "instead.")
    return None


def _writes(triples: list[Triple]) -> bool:
    """Whether pyoxigraph writes ``triples`` as well-formed RDF/XML."""
    try:
        expat.ParserCreate(namespace_separator=" ").Parse(
            serialize(triples, format=RdfFormat.RDF_XML, prefixes=PREFIXES) or b"", True)
    except (OSError, expat.ExpatError):
        return False
    return True
