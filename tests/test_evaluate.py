"""Query jobs as a worker answers them: formats, and the row cap on every path to it."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import Literal, NamedNode, Quad, QueryResultsFormat, Store, parse_query_results

import citykg.evaluate as evaluate_module
from citykg.evaluate import SparqlJob, evaluate, small_answer

EX = "http://example.org/"


def store_of(rows: int, *, width: int = 10) -> Store:
    """``rows`` subjects, each with one label ``width`` characters long."""
    store = Store()
    store.extend(Quad(NamedNode(f"{EX}s{n:05d}"), NamedNode(f"{EX}label"), Literal(f"{n:05d}".ljust(width, "x")))
                 for n in range(rows))
    return store


def job(query: str, fmt: str = "json", *, max_rows: int) -> SparqlJob:
    return SparqlJob(store="", query=query, results_format=fmt, graph_format=None, max_rows=max_rows)


ALL = f"SELECT ?s ?label WHERE {{ ?s <{EX}label> ?label }} ORDER BY ?s"


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


def test_rows_too_long_to_count_in_the_kept_bytes_are_capped_by_a_second_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluate_module, "_JSON_PREFIX", 4096)  # fewer bytes than 4 rows of 2,000 characters
    store = store_of(8, width=2000)
    answer = evaluate(store, job(ALL, max_rows=5))
    assert [r[0] for r in rows_of(answer.body)] == [f"{EX}s{n:05d}" for n in range(5)]
    assert answer.truncated and json.loads(answer.body)["citykg"]["maxRows"] == 5


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
