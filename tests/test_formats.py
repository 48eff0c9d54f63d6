"""Query results as SPARQL JSON, CSV, TSV and tables."""

from __future__ import annotations

import csv
import io
import json

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode

from citykg.formats import (
    TRIPLE_FORMATS,
    Format,
    csv_cells_whole,
    neutralise,
    render,
    render_boolean,
    render_triples,
)
from citykg.queries import Result, run_sparql

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

RESULT = Result(
    ("s", "label", "n", "missing"),
    [(NamedNode("https://w3id.org/citykg/id/city/tabriz"), Literal("تبریز", language="fa"), Literal(22), None),
     (NamedNode("https://w3id.org/citykg/id/city/mashhad"), Literal("=cmd|' /C calc'!A0"), Literal("-3.5"), None)],
)


def test_json_is_the_sparql_results_format() -> None:
    doc = json.loads(render(RESULT, Format.JSON))
    assert doc["head"] == {"vars": ["s", "label", "n", "missing"]}
    first, second = doc["results"]["bindings"]
    assert first == {
        "s": {"type": "uri", "value": "https://w3id.org/citykg/id/city/tabriz"},
        "label": {"type": "literal", "value": "تبریز", "xml:lang": "fa"},
        "n": {"type": "literal", "value": "22", "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
    }
    assert second["label"] == {"type": "literal", "value": "=cmd|' /C calc'!A0"}


def test_csv_neutralises_formulas_but_not_numbers() -> None:
    rows = list(csv.reader(io.StringIO(render(RESULT, Format.CSV))))
    assert rows[0] == ["s", "label", "n", "missing"]
    assert rows[2] == ["https://w3id.org/citykg/id/city/mashhad", "'=cmd|' /C calc'!A0", "-3.5", ""]


def test_csv_rows_end_in_crlf_and_a_cell_with_a_line_break_is_quoted_so_the_row_reads_back_whole() -> None:
    result = Result(("x", "y"), [(Literal("a\rb"), Literal("1")), (Literal("c\nd"), Literal("2")), (Literal("e"), None)])
    text = render(result, Format.CSV)
    assert text == 'x,y\r\n"a\rb",1\r\n"c\nd",2\r\ne,\r\n'
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["x", "y"], ["a\rb", "1"], ["c\nd", "2"], ["e", ""]]


def test_csv_writes_a_blank_node_as_sparql_csv_has_it_and_quotes_an_iri_with_a_comma() -> None:
    result = Result(("g", "e", "n"), [(BlankNode("z"), NamedNode("http://ex.org/x,=y"), Literal(1))])
    text = render(result, Format.CSV)
    assert text == 'g,e,n\r\n_:z,"http://ex.org/x,=y",1\r\n'  # the IRI is one cell, and no formula
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["g", "e", "n"], ["_:z", "http://ex.org/x,=y", "1"]]


@pytest.mark.parametrize(("body", "columns", "whole"), [
    (b"e,n\r\nhttp://ex.org/x,1\r\n,\r\n", 2, True),
    (b"e,n\r\nhttp://ex.org/x,y,1\r\n", 2, False),  # an IRI with a comma, unquoted: three cells
    (b'e,n\r\n"a,b",1\r\n"c\r\nd","e""f"\r\n', 2, True),  # quoted cells hold commas, line breaks and quotes
    (b'e,n\r\n"a,b",1\r\nhttp://ex.org/x,y,"2"\r\n', 2, False),
    (b"e,n\r\nhttp://ex.org/x\r\n", 2, False),  # too few cells
    (b'e,n\r\n"a,b"\r\n', 2, False),
    (b"e\r\nhttp://ex.org/x\r\n\r\n", 1, True),
    (b"e\r\nhttp://ex.org/x,y\r\n", 1, False),
    (b'e\r\n"a"\r\nhttp://ex.org/x,y\r\n', 1, False),
])
def test_csv_cells_whole_finds_a_row_with_more_or_fewer_cells_than_columns(body: bytes, columns: int,
                                                                           whole: bool) -> None:
    assert csv_cells_whole(body, columns) is whole


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-x", "'-x"), ("@A1", "'@A1"),
    ("\tcmd", "'\tcmd"), ("-12", "-12"), ("+3.5e2", "+3.5e2"), ("Tabriz", "Tabriz"), ("", ""),
])
def test_neutralise(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def test_tsv_uses_ntriples_terms() -> None:
    lines = render(RESULT, Format.TSV).splitlines()
    assert lines[0] == "?s\t?label\t?n\t?missing"
    assert lines[1] == ('<https://w3id.org/citykg/id/city/tabriz>\t"تبریز"@fa\t'
                        '"22"^^<http://www.w3.org/2001/XMLSchema#integer>\t')


def test_table_is_aligned_and_counts_rows() -> None:
    lines = render(RESULT, Format.TABLE).splitlines()
    assert lines[0].split() == ["s", "label", "n", "missing"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[-1] == "(2 rows)"
    assert lines[2].index("تبریز") == lines[0].index("label")


def test_an_ask_answer_is_sparql_json_or_a_word() -> None:
    from pyoxigraph import QueryResultsFormat, parse_query_results

    parsed = parse_query_results(render_boolean(True, Format.JSON).encode(), format=QueryResultsFormat.JSON)
    assert bool(parsed) is True
    assert [render_boolean(False, f) for f in (Format.TABLE, Format.CSV, Format.TSV)] == ["false\n"] * 3


@pytest.mark.parametrize("name", sorted(TRIPLE_FORMATS))
def test_triples_are_written_in_each_rdf_format_and_read_back(name: str) -> None:
    from pyoxigraph import Triple, parse

    triples = [Triple(NamedNode("https://w3id.org/citykg/id/city/tabriz"), NamedNode(RDFS_LABEL),
                      Literal("تبریز", language="fa")),
               Triple(NamedNode("https://w3id.org/citykg/id/city/tabriz"), NamedNode(RDFS_LABEL),
                      Literal("Tabriz", language="en"))]
    text = render_triples(triples, name)
    assert text.endswith("\n")
    assert sorted(map(str, parse(text.encode(), format=TRIPLE_FORMATS[name]))) == sorted(map(str, triples))
    if name == "turtle":
        assert "rdfs:label" in text  # citykg's prefixes
    empty = render_triples([], name)  # no triples: no blank line, and still a document where one is needed
    assert list(parse(empty.encode(), format=TRIPLE_FORMATS[name])) == []
    assert empty == "" if name in ("turtle", "ntriples") else empty.endswith("\n")


# ----------------------------------------------------------------- pieces, and XML that is well-formed or refused
# (what XML cannot carry, checked as it is written, is tested directly in test_xmlsafe.py)

import xml.parsers.expat  # noqa: E402

from pyoxigraph import QueryResultsFormat, RdfFormat, Triple, parse, parse_query_results  # noqa: E402

from citykg.formats import Unrepresentable, pieces, write_triples  # noqa: E402
from citykg.queries import Result as Rows  # noqa: E402

S, P = NamedNode("http://example.org/s"), NamedNode("http://example.org/p")
# every character XML 1.0 cannot carry, of each kind (U+D800, a lone surrogate, cannot reach pyoxigraph)
NOT_XML = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ufffe", "\uffff"]


def well_formed(body: bytes) -> None:
    """Parse ``body`` with expat, namespaces on, as a strict XML consumer would."""
    xml.parsers.expat.ParserCreate(namespace_separator=" ").Parse(body, True)


def as_json_was(result: Rows) -> str:
    """JSON as render wrote it before it was written in pieces: one json.dumps of the document."""
    from citykg.formats import term_json

    bindings = [{n: term_json(t) for n, t in zip(result.columns, row, strict=True) if t is not None} for row in result.rows]
    return json.dumps({"head": {"vars": list(result.columns)}, "results": {"bindings": bindings}},
                      ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("result", [RESULT, Rows(("x",), []), Rows(("x", "y"), [(None, None), (Literal("a"), None)]),
                                    Rows((), [()])])
def test_json_in_pieces_is_the_document_it_was(result: Rows) -> None:
    assert render(result, Format.JSON) == as_json_was(result)
    parts = pieces(result, "json")
    kept = list(parts.rows)[:1]  # cut after a row: still one SPARQL JSON document
    assert json.loads(parts.head + "".join(kept) + parts.tail(len(kept)))["results"]["bindings"] == \
        json.loads(as_json_was(Rows(result.columns, result.rows[:1])))["results"]["bindings"]


def test_sparql_xml_results_are_read_back_as_written() -> None:
    result = Rows(("s", "label", "n", "missing"), [*RESULT.rows, (BlankNode("b1"), Literal(' <&>"\r\n\ta\r\n'), None, None)])
    parts = pieces(result, "xml")
    body = (parts.head + "".join(parts.rows) + parts.tail(3)).encode()
    well_formed(body)
    read = [[solution[c] for c in result.columns]
            for solution in parse_query_results(body, format=QueryResultsFormat.XML)]  # type: ignore[union-attr]
    assert read == [list(row) for row in result.rows]  # the CR too: written as &#13;, not read as a line feed


@pytest.mark.parametrize("char", NOT_XML)
def test_a_value_xml_cannot_carry_is_refused_not_written(char: str) -> None:
    parts = pieces(Rows(("x",), [(Literal(f"a{char}b"),)]), "xml")
    with pytest.raises(Unrepresentable, match=rf"U\+{ord(char):04X}\. Ask for SPARQL JSON, CSV or TSV instead"):
        list(parts.rows)
    with pytest.raises(Unrepresentable, match=r"Ask for Turtle, N-Triples or JSON-LD instead"):
        render_triples([Triple(S, P, Literal(f"a{char}b"))], "rdfxml")
    for fmt in ("turtle", "ntriples", "jsonld"):  # the others carry it as it is
        assert [t.object for t in parse(render_triples([Triple(S, P, Literal(f"a{char}b"))], fmt).encode(),
                                        format=TRIPLE_FORMATS[fmt])] == [Literal(f"a{char}b")]


def test_triple_terms_are_refused_by_json_ld_only() -> None:
    quoted = [Triple(S, P, Triple(S, P, Literal("z")))]
    with pytest.raises(Unrepresentable, match=r"JSON-LD cannot carry the triple term .*ask for Turtle, N-Triples or "):
        render_triples(quoted, "jsonld")
    for fmt in ("turtle", "ntriples", "rdfxml"):
        read = list(parse(render_triples(quoted, fmt).encode(), format=TRIPLE_FORMATS[fmt]))
        assert [q.object for q in read] == [quoted[0].object]
    with pytest.raises(Unrepresentable, match="the predicate <http://p/1>"):  # a triple term's own predicate
        render_triples([Triple(S, P, Triple(S, NamedNode("http://p/1"), Literal("z")))], "rdfxml")


def test_an_exception_of_the_output_passes_through() -> None:
    class Full(Exception):
        pass

    class Sink:
        def write(self, data: bytes) -> int:
            raise Full

    for fmt in (RdfFormat.RDF_XML, RdfFormat.TURTLE):
        with pytest.raises(Full):
            write_triples([Triple(S, P, Literal("x"))], fmt, Sink())


def test_a_triple_term_in_rows_is_written_as_sparql_and_pyoxigraph_write_it() -> None:
    from pyoxigraph import QueryResultsFormat, Store

    query = "SELECT ?x WHERE { BIND(<<( <a:b> <a:c> <<( <a:b> <a:c> 'd' )>> )>> AS ?x) }"
    result = run_sparql(Store(), query)
    expected = Store().query(query).serialize(format=QueryResultsFormat.TSV).decode()  # type: ignore[union-attr]
    assert render(result, Format.TSV) == expected == '?x\n<<( <a:b> <a:c> <<( <a:b> <a:c> "d" )>> )>>\n'
    assert render(result, Format.CSV) == 'x\r\n"<<( <a:b> <a:c> <<( <a:b> <a:c> ""d"" )>> )>>"\r\n'
    assert '<<( <a:b> <a:c> <<( <a:b> <a:c> "d" )>> )>>' in render(result, Format.TABLE)

