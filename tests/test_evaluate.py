"""Query jobs as a worker answers them: formats, what a format cannot carry, and the row and byte caps on every
path to them."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
import xml.parsers.expat
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import (
    Literal,
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    Store,
    Triple,
    parse,
    parse_query_results,
)

from citykg.evaluate import MAX_BYTES, DescribeJob, NamedJob, SparqlJob, evaluate, graph_answer, small_answer
from citykg.formats import Format, neutralise, render
from citykg.queries import NamedQuery, Result, run_sparql

EX = "http://example.org/"


@pytest.fixture(autouse=True)
def long_csv_cells() -> Iterator[None]:
    """Let the tests' CSV reader take the long cells of these answers (citykg reads none)."""
    limit = csv.field_size_limit(1 << 30)
    yield
    csv.field_size_limit(limit)


def store_of(rows: int, *, width: int = 10) -> Store:
    """``rows`` subjects, each with one label ``width`` characters long."""
    store = Store()
    store.extend(Quad(NamedNode(f"{EX}s{n:05d}"), NamedNode(f"{EX}label"), Literal(f"{n:05d}".ljust(width, "x")))
                 for n in range(rows))
    return store


def job(query: str, fmt: str = "json", *, max_rows: int) -> SparqlJob:
    return SparqlJob(store="", query=query, results_format=fmt, graph_format=None, max_rows=max_rows)


ALL = f"SELECT ?s ?label WHERE {{ ?s <{EX}label> ?label }} ORDER BY ?s"


def read(body: bytes, fmt: str) -> list[tuple[str, ...]]:
    """The rows of an answer in any format, read as a strict client would (XML: expat first)."""
    if fmt == "csv":
        return [tuple(row) for row in csv.reader(io.StringIO(body.decode(), newline=""))][1:]
    if fmt == "xml":
        xml.parsers.expat.ParserCreate(namespace_separator=" ").Parse(body, True)
    kind = {"json": QueryResultsFormat.JSON, "xml": QueryResultsFormat.XML, "tsv": QueryResultsFormat.TSV}[fmt]
    return [tuple(str(term.value) for term in solution) for solution in parse_query_results(body, format=kind)]  # type: ignore[union-attr]


def rows_of(body: bytes, fmt: str = "json") -> list[tuple[str, ...]]:
    """The rows, as pyoxigraph's strict parser reads them."""
    kind = QueryResultsFormat.JSON if fmt == "json" else QueryResultsFormat.TSV
    return [tuple(str(term.value) for term in solution) for solution in parse_query_results(body, format=kind)]  # type: ignore[union-attr]


@pytest.mark.parametrize(("rows", "max_rows", "width"), [
    (3, 10, 10),  # short: answered as written
    (10, 10, 10),  # exactly the cap
    (11, 10, 10),  # one over
    (2000, 1500, 10),  # long enough to be read back and counted
    (50, 5, 3000),  # rows of kilobytes
])
def test_json_is_capped_exactly_as_tsv_is(rows: int, max_rows: int, width: int) -> None:
    store = store_of(rows, width=width)
    answer = evaluate(store, job(ALL, max_rows=max_rows))
    reference = evaluate(store, job(ALL, "tsv", max_rows=max_rows))
    assert rows_of(answer.body) == rows_of(reference.body, "tsv")
    assert len(rows_of(answer.body)) == min(rows, max_rows)
    assert answer.truncated is reference.truncated is (rows > max_rows)
    marked = json.loads(answer.body).get("citykg")
    assert marked == ({"truncated": True, "maxRows": max_rows} if rows > max_rows else None)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_rows_are_found_whatever_their_values_hold(fmt: str) -> None:
    # values that look like the ends of rows of each format, and a row of a megabyte
    tricky = ['x},{"a":{', '"},{"', "</result><result>", "a\nb", 'c",\r\nd', ",{", "\\", "]}}", "x" * 1_048_576]
    store = Store()
    store.extend(Quad(NamedNode(f"{EX}s{n:05d}"), NamedNode(f"{EX}label"), Literal(tricky[n % len(tricky)]))
                 for n in range(40))
    reference = [(f"{EX}s{n:05d}", tricky[n % len(tricky)]) for n in range(40)]
    for max_rows in (1, 8, 9, 10, 39, 40, 41):
        answer = evaluate(store, job(ALL, fmt, max_rows=max_rows))
        assert read(answer.body, fmt) == reference[:max_rows], (fmt, max_rows)
        assert answer.truncated is (max_rows < 40) and not answer.by_bytes


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet='{}[],"\\:<>/\n\r\tx=', max_size=12), min_size=1, max_size=30), st.integers(1, 31),
       st.sampled_from(["json", "xml", "csv", "tsv"]))
def test_rows_are_found_whatever_their_values_hold_found_by_search(values: list[str], max_rows: int, fmt: str) -> None:
    store = Store()
    store.extend(Quad(NamedNode(f"{EX}s{n:05d}"), NamedNode(f"{EX}label"), Literal(v)) for n, v in enumerate(values))
    reference = [(f"{EX}s{n:05d}", v) for n, v in enumerate(values)][:max_rows]
    answer = evaluate(store, job(ALL, fmt, max_rows=max_rows))
    rows = read(answer.body, fmt)
    if fmt == "csv":  # CSV neutralises formulas, and a value read from it has no type
        reference = [(s, neutralise(v)) for s, v in reference]
    assert rows == reference and answer.truncated is (len(values) > max_rows)
    small = max(400, len(answer.body) // 2)  # and cut in bytes, at a whole row
    cut = evaluate(store, job(ALL, fmt, max_rows=max_rows)._replace(max_bytes=small))
    assert cut.status == 422 or (len(cut.body) <= small and read(cut.body, fmt) == reference[: len(read(cut.body, fmt))])


def store_of_iris_with_commas() -> Store:
    """Subjects whose IRIs hold commas (one with a formula after it), labels with commas, line breaks and formulas."""
    store = Store()
    labels = ["=1+2", "a,b", "c\r\nd", 'e"f', "-5", "\tg"]
    store.extend(Quad(NamedNode(f"{EX}s{n:02d},x" + (",=y" if n == 3 else "")), NamedNode(f"{EX}label"),
                      Literal(labels[n % len(labels)])) for n in range(12))
    store.add(Quad(NamedNode(f"{EX}plain"), NamedNode(f"{EX}label"), Literal("h")))
    return store


@pytest.mark.parametrize(("max_rows", "max_bytes", "kept"), [(100, MAX_BYTES, 13), (5, MAX_BYTES, 5), (100, 200, 5)])
def test_csv_quotes_an_iri_with_a_comma_as_the_cli_does_within_the_caps(max_rows: int, max_bytes: int,
                                                                        kept: int) -> None:
    store = store_of_iris_with_commas()
    cli = run_sparql(store, ALL)
    answer = evaluate(store, job(ALL, "csv", max_rows=max_rows)._replace(max_bytes=max_bytes))
    rows = read(answer.body, "csv")
    assert rows and all(len(row) == 2 for row in rows), rows
    assert rows[:2] == [(f"{EX}plain", "h"), (f"{EX}s00,x", "'=1+2")]
    assert rows[4] == (f"{EX}s03,x,=y", 'e"f')  # the IRI is one cell, and its "=y" no formula
    assert answer.body == render(Result(cli.columns, cli.rows[: len(rows)]), Format.CSV).encode()
    assert len(rows) == kept and len(answer.body) <= max_bytes
    assert answer.truncated is (kept < 13) and answer.by_bytes is (max_bytes == 200)


def test_tsv_carries_iris_with_commas_and_literals_with_tabs_and_line_breaks() -> None:
    store = store_of_iris_with_commas()
    answer = evaluate(store, job(ALL, "tsv", max_rows=100))
    assert read(answer.body, "tsv") == [(s.value, label.value) for s, label in run_sparql(store, ALL).rows]
    assert answer.body.count(b"\n") == 14 and all(line.count(b"\t") == 1 for line in answer.body.splitlines())


@pytest.mark.parametrize("max_rows", [2, 99])
def test_rows_without_a_binding_count_as_rows(max_rows: int) -> None:
    # the shortest rows there are ({}, three bytes with a comma), one more than the cap
    undefs = " ".join(["UNDEF"] * (max_rows + 1))
    answer = evaluate(Store(), job(f"SELECT ?x WHERE {{ VALUES ?x {{ {undefs} }} }}", max_rows=max_rows))
    assert json.loads(answer.body)["results"]["bindings"] == [{}] * max_rows
    assert answer.truncated


LOOKUPS = [
    f"SELECT ?label WHERE {{ <{EX}s00003> <{EX}label> ?label }}",
    f"SELECT * WHERE {{ ?s <{EX}label> ?label }} LIMIT 4",
    f"SELECT ?s WHERE {{ ?s <{EX}label> \"00002xxxxx\" }}",
    f"SELECT ?s WHERE {{ ?s <{EX}nothing> ?o }}",
]


@pytest.mark.parametrize("query", LOOKUPS)
def test_a_small_answer_is_the_answer_a_worker_gives(query: str) -> None:
    store, lookup = store_of(20), job(query, max_rows=10_000)
    assert small_answer(store, lookup, max_bytes=65_536) == evaluate(store, lookup)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_an_ask_is_small_in_any_format(fmt: str) -> None:
    store, ask = store_of(3), job(f"ASK {{ ?s <{EX}label> ?o }}", fmt, max_rows=10)
    assert small_answer(store, ask, max_bytes=1024) == evaluate(store, ask)


def test_a_query_that_does_not_parse_is_the_same_400() -> None:
    broken = job("SELECT ?o WHERE { ex:a ex:b ?o }", max_rows=10)  # ex: is not declared
    answer = small_answer(Store(), broken, max_bytes=1024)
    assert answer == evaluate(Store(), broken) and answer is not None and answer.status == 400


@pytest.mark.parametrize(("rows", "max_rows", "fmt"), [
    (2000, 10_000, "json"),  # more bytes than it may write
    (20, 5, "json"),  # more than 3 bytes a row over the cap: the worker counts, cuts and marks
    (3, 10, "csv"),  # not SPARQL JSON
])
def test_anything_larger_or_other_goes_to_a_worker(rows: int, max_rows: int, fmt: str) -> None:
    query = job(f"SELECT * WHERE {{ ?s <{EX}label> ?label }}", fmt, max_rows=max_rows)
    assert small_answer(store_of(rows), query, max_bytes=65_536) is None


@pytest.mark.parametrize(("query", "words"), [
    ("SELECT ?o WHERE { ?s foaf:name ?o }", ["error at 1:22: the prefix foaf: is not declared: add PREFIX foaf: <…>",
                                              "rdfs:"]),
    ("SELEC ?o WHERE { ?s ?p ?o }", ["error at 1:1: SELEC is not a query form", "did you mean SELECT?"]),
    ("SELECT ?o WHERE { <rel> ?p ?o }", ["error at 1:19: the IRI <rel> is relative, and the query has no BASE"]),
])
def test_a_query_that_does_not_parse_is_a_400_saying_why(query: str, words: list[str]) -> None:
    answer = evaluate(Store(), job(query, max_rows=10))
    assert answer.status == 400 and answer.error.startswith("The query does not parse: "), answer
    for word in words:
        assert word in answer.error, answer.error
    assert "..=" not in answer.error and "\\u{" not in answer.error and len(answer.error) < 300, answer.error


# ----------------------------------------------------------------- the byte cap, and what a format cannot carry

FORMATS = ["json", "xml", "csv", "tsv"]
GRAPHS = ["turtle", "nt", "rdfxml", "jsonld"]


def doubled(times: int) -> tuple[str, str]:
    """BINDs that make a string of 8 × 2^times characters by CONCAT, as the audit did, and its variable."""
    binds = " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(times))
    return f'BIND("abcdefgh" AS ?a0) {binds}', f"?a{times}"


def long_values(rows: int, times: int, form: str = "SELECT ?x") -> str:
    binds, value = doubled(times)
    numbers = " ".join(str(n) for n in range(rows))
    where = f"VALUES ?n {{ {numbers} }} {binds} BIND(CONCAT(STR(?n), {value}) AS ?x)"
    return f"{form} WHERE {{ {where} }} ORDER BY ?n" if form.startswith("SELECT") else f"{form} WHERE {{ {where} }}"


def named(sparql: str, columns: tuple[str, ...]) -> NamedQuery:
    from pathlib import Path

    return NamedQuery(name="q", summary="", description="", params=(), columns=columns, example="", sparql=sparql,
                      path=Path("q.rq"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_are_cut_at_a_whole_row_within_the_byte_cap(fmt: str) -> None:
    store = store_of(200, width=1000)
    full = evaluate(store, job(ALL, fmt, max_rows=10_000))
    assert len(full.body) > 200_000 and not full.truncated
    for max_bytes in (20_000, 50_001, 120_000):
        answer = evaluate(store, job(ALL, fmt, max_rows=10_000)._replace(max_bytes=max_bytes))
        rows = read(answer.body, fmt)
        assert len(answer.body) <= max_bytes and answer.truncated and answer.by_bytes
        assert rows == read(full.body, fmt)[: len(rows)]
        assert len(rows) >= max_bytes * 200 // len(full.body) - 2  # as many as fit, near enough
        if fmt == "json":
            assert json.loads(answer.body)["citykg"] == {"truncated": True, "maxBytes": max_bytes}
    by_rows = evaluate(store, job(ALL, fmt, max_rows=10)._replace(max_bytes=120_000))  # the row cap comes first
    assert len(read(by_rows.body, fmt)) == 10 and by_rows.truncated and not by_rows.by_bytes


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_value_of_16_mib_or_more_is_answered_in_any_format(fmt: str) -> None:
    binds, value = doubled(21)
    answer = evaluate(Store(), job(f"SELECT ?x WHERE {{ {binds} BIND({value} AS ?x) }}", fmt, max_rows=10))
    assert answer.status == 200, answer.error  # was a 500: the answer was parsed again, 16 MiB at most
    assert not answer.truncated
    if fmt == "json":
        value = json.loads(answer.body)["results"]["bindings"][0]["x"]["value"]
    elif fmt == "xml":
        value = ElementTree.fromstring(answer.body).findtext(".//{*}literal") or ""
    else:  # a line of header, then the value (in quotes in TSV)
        value = answer.body.decode().splitlines()[1].strip('"')
    assert len(value) == 16 * 1_048_576  # pyoxigraph's own readers stop at 16 MiB: these do not


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_first_row_over_the_byte_cap_is_a_422_not_a_cut(fmt: str) -> None:
    binds, value = doubled(23)  # 64 MiB: twice the cap
    answer = evaluate(Store(), job(f"SELECT ?x WHERE {{ {binds} BIND({value} AS ?x) }}", fmt, max_rows=10))
    assert answer.status == 422 and not answer.body
    assert answer.error.startswith("The first row of this answer alone is over the 32 MiB limit on an answer")
    assert "SUBSTR(?value, 1, 10000)" in answer.error


@pytest.mark.parametrize("fmt", GRAPHS)
def test_triples_are_cut_at_a_whole_triple_within_the_byte_cap(fmt: str) -> None:
    binds, value = doubled(14)  # 128 KiB a value, 12 subjects
    query = (f"CONSTRUCT {{ ?s <{EX}p> ?x }} WHERE {{ VALUES ?n {{ {' '.join(map(str, range(12)))} }} {binds} "
             f"BIND(IRI(CONCAT('{EX}s', STR(?n))) AS ?s) BIND(CONCAT(STR(?n), {value}) AS ?x) }}")
    full = evaluate(Store(), SparqlJob(store="", query=query, results_format=None, graph_format=fmt, max_rows=100))
    answer = evaluate(Store(), SparqlJob(store="", query=query, results_format=None, graph_format=fmt, max_rows=100,
                                         max_bytes=400_000))
    assert full.status == 200 and len(full.body) > 1_500_000, full.error
    assert answer.status == 200 and answer.truncated and answer.by_bytes and len(answer.body) <= 400_000
    pyformat = {"turtle": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES, "rdfxml": RdfFormat.RDF_XML,
                "jsonld": RdfFormat.JSON_LD}[fmt]
    kept = list(parse(answer.body, format=pyformat))
    assert 1 <= len(kept) <= 3 and {str(q.triple) for q in kept} <= {str(q.triple) for q in parse(full.body, format=pyformat)}
    binds, value = doubled(23)
    huge = f"CONSTRUCT {{ <{EX}s> <{EX}p> ?x }} WHERE {{ {binds} BIND({value} AS ?x) }}"
    refused = evaluate(Store(), SparqlJob(store="", query=huge, results_format=None, graph_format=fmt, max_rows=10))
    assert refused.status == 422 and refused.error.startswith("The first triple of this answer alone is over")


@pytest.mark.parametrize("fmt", [*FORMATS, *GRAPHS])
def test_an_oversized_answer_is_never_written_whole(fmt: str) -> None:
    # 48 values of a megabyte: a 48 MiB answer, capped at 4 MiB; pyoxigraph hands over one value at a time
    graph = fmt in GRAPHS
    query = long_values(48, 17, f"CONSTRUCT {{ <{EX}s> <{EX}p> ?x }}" if graph else "SELECT ?x")
    capped = SparqlJob(store="", query=query, results_format=None if graph else fmt, graph_format=fmt if graph else None,
                       max_rows=1000, max_bytes=4 * 1_048_576)
    tracemalloc.start()
    try:
        answer = evaluate(Store(), capped)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.status == 200 and answer.by_bytes and 3 * 1_048_576 < len(answer.body) <= 4 * 1_048_576
    assert peak < 20 * 1_048_576, peak  # the sink, the body, a value in hand: never the 48 MiB


@pytest.mark.parametrize("term", ['<<( <http://x/a> <http://x/b> "c,d" )>>', 'triple(<http://x/a>, <http://x/b>, "c\\nd")'])
def test_csv_of_a_query_that_makes_triple_terms_is_a_406(term: str) -> None:
    select = job(f'SELECT ?t ?u WHERE {{ BIND({term} AS ?t) BIND("u" AS ?u) }}', "csv", max_rows=10)
    answer = evaluate(Store(), select)
    assert answer.status == 406 and "SPARQL CSV cannot carry" in answer.error and "JSON, XML or TSV" in answer.error
    assert evaluate(Store(), select._replace(results_format="tsv")).status == 200
    plain = job('SELECT ?u WHERE { BIND("<<( not a term )>>" AS ?u) } # TRIPLE(', "csv", max_rows=10)
    assert evaluate(Store(), plain).status == 200  # in a string or a comment, it makes none


@pytest.mark.parametrize("char", ["\x01", "\x0b", "\x1f", "\ufffe", "\uffff"])
def test_xml_that_cannot_carry_a_value_is_a_406_naming_it(char: str) -> None:
    escaped = json.dumps(f"a{char}b")
    select = job(f"SELECT ?x WHERE {{ BIND({escaped} AS ?x) }}", "xml", max_rows=10)
    answer = evaluate(Store(), select)
    assert answer.status == 406 and f"U+{ord(char):04X}" in answer.error and repr(f"a{char}b") in answer.error
    assert "Ask for SPARQL JSON, CSV or TSV instead" in answer.error
    assert evaluate(Store(), select._replace(results_format="json")).status == 200
    construct = SparqlJob(store="", query=f"CONSTRUCT {{ <{EX}s> <{EX}p> {escaped} }} WHERE {{}}", results_format=None,
                          graph_format="rdfxml", max_rows=10)
    assert evaluate(Store(), construct).status == 406
    store = Store()
    store.add(Quad(NamedNode(f"{EX}s"), NamedNode(f"{EX}label"), Literal(f"a{char}b")))
    as_named = NamedJob(store="", query=named(ALL, ("s", "label")), params=(), results_format="xml", max_rows=10)
    assert evaluate(store, as_named).status == 406 and f"U+{ord(char):04X}" in evaluate(store, as_named).error
    assert evaluate(store, as_named._replace(results_format="json")).status == 200


def test_xml_answers_are_well_formed_and_keep_every_character() -> None:
    values = ["a\r\nb", " edge \t", "<&>\"'", "]]>", "\u00e9\u062a\U0001f600", "\ud7ff\ue000\ufffd", "\t\n\r"]
    bound = " ".join(json.dumps(v, ensure_ascii=False) for v in values)
    answer = evaluate(Store(), job(f"SELECT ?x WHERE {{ VALUES ?x {{ {bound} }} }}", "xml", max_rows=100))
    assert [row[0] for row in read(answer.body, "xml")] == values  # expat first, then pyoxigraph's reader
    store = Store()
    store.extend(Quad(NamedNode(f"{EX}s{n}"), NamedNode(f"{EX}label"), Literal(v)) for n, v in enumerate(values))
    as_named = evaluate(store, NamedJob(store="", query=named(ALL, ("s", "label")), params=(), results_format="xml",
                                        max_rows=100))
    assert sorted(row[1] for row in read(as_named.body, "xml")) == sorted(values)


def test_graph_formats_that_cannot_carry_an_answer_are_a_406() -> None:
    cases = [("rdfxml", f'<{EX}s> <http://p/> "x"', "the predicate <http://p/>"),
             ("rdfxml", f'<{EX}s> <http://p/1> "x"', "the predicate <http://p/1>"),
             ("jsonld", f"<{EX}s> <{EX}p> <<( <{EX}s> <{EX}p> <{EX}o> )>>", "ask for Turtle, N-Triples or RDF/XML")]
    for fmt, template, words in cases:
        construct = SparqlJob(store="", query=f"CONSTRUCT {{ {template} }} WHERE {{}}", results_format=None,
                              graph_format=fmt, max_rows=10)
        answer = evaluate(Store(), construct)
        assert answer.status == 406 and words in answer.error and "Error" not in answer.error, answer
        assert evaluate(Store(), construct._replace(graph_format="turtle")).status == 200
    page = graph_answer([Triple(NamedNode(f"{EX}s"), NamedNode("http://p/1"), Literal("x"))], "rdfxml", 10)
    assert page.status == 406  # entity pages (citykg.pages) answer by graph_answer too


def test_named_answers_are_capped_in_bytes_too() -> None:
    store = store_of(200, width=1000)
    for fmt in FORMATS:
        capped = NamedJob(store="", query=named(ALL, ("s", "label")), params=(), results_format=fmt, max_rows=10_000,
                          max_bytes=50_000)
        answer = evaluate(store, capped)
        assert answer.truncated and answer.by_bytes and len(answer.body) <= 50_000
        assert 10 <= len(read(answer.body, fmt)) < 200
        if fmt == "json":
            assert json.loads(answer.body)["citykg"] == {"truncated": True, "maxBytes": 50_000}
        assert evaluate(store, capped._replace(max_bytes=500)).status == 422


def test_jobs_take_the_default_byte_cap() -> None:
    assert MAX_BYTES == 32 * 1_048_576
    assert job(ALL, max_rows=1).max_bytes == MAX_BYTES
    assert DescribeJob(store="", iri=EX, format="turtle", max_rows=1).max_bytes == MAX_BYTES


def test_a_worker_out_of_memory_says_so_without_a_python_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import citykg.worker as worker

    class Stores:
        def open(self, path: str) -> Store:
            return Store()

    def exhausted(store: Store, job: object) -> None:
        raise MemoryError

    monkeypatch.setattr(worker, "evaluate", exhausted)
    answer = worker._answer(Stores(), job(ALL, max_rows=1), 4096)  # type: ignore[arg-type]
    assert answer.status == 500 and "MemoryError" not in answer.error
    assert answer.error.startswith("The query needed more than the 4096 MiB memory limit of a query worker")
