"""XML that is well-formed or refused: characters XML 1.0 cannot carry, checked as they are written, and the
predicates and classes RDF/XML cannot write as elements."""

from __future__ import annotations

import io
import xml.parsers.expat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse

from citykg.formats import render_triples
from citykg.xmlsafe import Unrepresentable, XmlOutput, check_xml_text, write_rdfxml

S, P = NamedNode("http://example.org/s"), NamedNode("http://example.org/p")
# every character XML 1.0 cannot carry, of each kind (U+D800, a lone surrogate, cannot reach pyoxigraph)
NOT_XML = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ufffe", "\uffff"]


def well_formed(body: bytes) -> None:
    """Parse ``body`` with expat, namespaces on, as a strict XML consumer would."""
    xml.parsers.expat.ParserCreate(namespace_separator=" ").Parse(body, True)


def rdfxml(triples: list[Triple]) -> bytes:
    """``triples`` as RDF/XML, written by :func:`write_rdfxml`."""
    out = io.BytesIO()
    write_rdfxml(triples, out)
    return out.getvalue()


# ----------------------------------------------------------------- characters: XmlOutput and check_xml_text

@pytest.mark.parametrize("char", NOT_XML)
def test_a_character_xml_cannot_carry_stops_the_output_naming_it(char: str) -> None:
    out = io.BytesIO()
    xml_out = XmlOutput(out, "JSON")
    xml_out.write(b"<a>fine</a>")
    with pytest.raises(Unrepresentable, match=rf"{'control character' if ord(char) < 0x20 else 'noncharacter'} "
                                              rf"U\+{ord(char):04X}\. Ask for JSON instead"):
        xml_out.write(f"<b>x{char}y</b>".encode())
    assert out.getvalue() == b"<a>fine</a>"  # nothing of the refused write is passed on
    with pytest.raises(Unrepresentable, match=rf"U\+{ord(char):04X}"):
        check_xml_text(f"x{char}y", "JSON")


def test_a_noncharacter_split_between_two_writes_is_caught() -> None:
    xml_out = XmlOutput(io.BytesIO(), "JSON")
    encoded = "\uffff".encode()
    xml_out.write(b"<a>" + encoded[:1])
    with pytest.raises(Unrepresentable):
        xml_out.write(encoded[1:] + b"</a>")


def test_carriage_returns_are_escaped_and_what_xml_carries_passes_unchanged() -> None:
    out = io.BytesIO()
    text = "<a b=\"\t\">\u00e9\U0001f600\ud7ff\ue000\ufffd\r\n</a>".encode()
    assert XmlOutput(out, "JSON").write(text) == len(text)
    assert out.getvalue() == text.replace(b"\r", b"&#13;")
    check_xml_text("\t\n\r\u00e9\ufffd", "JSON")  # no exception


def test_a_long_value_is_passed_on_in_slices() -> None:
    writes: list[int] = []

    class Counting:
        def write(self, data: bytes) -> int:
            writes.append(len(data))
            return len(data)

    assert XmlOutput(Counting(), "JSON").write(b"x" * 200_000) == 200_000
    assert writes == [65_536, 65_536, 65_536, 200_000 - 3 * 65_536]


def test_parsed_output_must_be_well_formed_and_complete() -> None:
    broken = XmlOutput(io.BytesIO(), "JSON", parse=True)
    with pytest.raises(Unrepresentable, match="not well-formed XML"):
        broken.write(b"<a></b>")
    unfinished = XmlOutput(io.BytesIO(), "JSON", parse=True)
    unfinished.write(b"<a>")
    with pytest.raises(Unrepresentable, match="not well-formed XML"):
        unfinished.close()
    whole = XmlOutput(io.BytesIO(), "JSON", parse=True)
    whole.write(b"<a/>")
    whole.close()


# ----------------------------------------------------------------- RDF/XML: write_rdfxml

@pytest.mark.parametrize(("predicate", "words"), [
    ("http://p/", "the predicate <http://p/>: it writes a predicate as an XML element"),
    ("http://p/1", "the predicate <http://p/1>"),
    ("https://w3id.org/citykg/ontology#", "the predicate <https://w3id.org/citykg/ontology#>"),  # ckg: with no name
    ("http://www.w3.org/2000/xmlns/x", "the predicate <http://www.w3.org/2000/xmlns/x>"),  # XML's own namespace
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#about", "it is a term of RDF/XML's own syntax"),
    ("http://p/\u0e5a", "the predicate"),  # a name of XML 1.0's 5th edition only, which expat refuses
])
def test_a_predicate_rdfxml_cannot_write_is_refused(predicate: str, words: str) -> None:
    triples = [Triple(S, NamedNode("http://p/fine"), Literal("x")), Triple(S, NamedNode(predicate), Literal("x"))]
    with pytest.raises(Unrepresentable, match="Ask for Turtle, N-Triples or JSON-LD instead") as caught:
        rdfxml(triples)
    assert words in str(caught.value) and "oxprefix" not in str(caught.value)
    assert len(list(parse(render_triples(triples, "turtle").encode(), format=RdfFormat.TURTLE))) == 2


def test_a_class_that_names_no_element_is_refused_where_it_would_name_one() -> None:
    typed = [Triple(S, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), NamedNode("http://p/1"))]
    with pytest.raises(Unrepresentable, match=r"cannot say that <http://example.org/s> is a <http://p/1>"):
        rdfxml(typed)
    after = [Triple(S, P, Literal("x")), *typed]  # not the subject's first triple: written as rdf:type, as it may be
    well_formed(rdfxml(after))


NAMESPACES = ["http://example.org/", "http://example.org/a#", "https://w3id.org/citykg/ontology#",
              "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/xmlns/", "urn:x:"]
LOCALS = st.lists(st.sampled_from(["a", "Z", "_", "1", "-", ".", "é", "\u00b7", "\u0e5a", "\u0300", "/", "%20", ":",
                                   "type", "about", "li"]), max_size=4).map("".join)
LITERALS = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)  # no lone surrogates
TERMS = st.one_of(st.builds(Literal, LITERALS), st.builds(lambda n: BlankNode(f"b{n}"), st.integers(0, 3)),
                  st.builds(lambda ns, local: NamedNode(ns + local), st.sampled_from(NAMESPACES), LOCALS))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(NAMESPACES), LOCALS, TERMS), min_size=1, max_size=6))
def test_rdf_xml_is_well_formed_and_read_back_or_refused(spec: list[tuple[int, str, str, object]]) -> None:
    triples = [Triple(NamedNode(f"http://example.org/s{s}"), NamedNode(ns + local), obj)  # type: ignore[arg-type]
               for s, ns, local, obj in spec]
    try:
        body = rdfxml(triples)
    except Unrepresentable as exc:
        assert "Ask for Turtle, N-Triples or JSON-LD instead" in str(exc), str(exc)
        return
    well_formed(body)
    read = list(parse(body, format=RdfFormat.RDF_XML))
    assert sorted({str(q.triple) for q in read if not isinstance(q.object, BlankNode)}) == \
        sorted({str(t) for t in triples if not isinstance(t.object, BlankNode)})
    assert len({str(q.triple) for q in read}) == len(set(map(str, triples)))
