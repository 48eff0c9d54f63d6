"""Ad-hoc SPARQL of every form, against the real built store."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, Store, Triple

from citykg.adhoc import Triples, form_of, render_any, run_any
from citykg.errors import CitykgError, QueryParameterError, QueryRefused, QuerySyntaxError
from citykg.formats import Format
from citykg.iris import graph
from citykg.queries import Result

W3 = NamedNode("https://w3id.org/citykg/id/study/mashhad-oic/factor/W3")
LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def test_a_select_gives_rows(store: Store) -> None:
    result = run_any(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s a ckg:Threat }")
    assert isinstance(result, Result) and result.rows[0][0] == Literal(7)


def test_an_ask_gives_its_answer(store: Store) -> None:
    assert run_any(store, 'ASK { ?f ckg:code "W3" ; a ckg:Weakness }') is True
    assert run_any(store, 'ASK { ?f ckg:code "W99" }') is False


def test_a_construct_gives_the_triples_it_builds(store: Store) -> None:
    answer = run_any(store, 'CONSTRUCT { ?f rdfs:label ?l } WHERE { ?f ckg:code "W3" ; rdfs:label ?l }')
    assert isinstance(answer, Triples)
    assert set(answer.triples) == {
        Triple(W3, LABEL, Literal("City-diplomacy activities not properly used and not yielding worthwhile results",
                                  language="en")),
        Triple(W3, LABEL, Literal("عدم بهره‌برداری مناسب و دستیابی به نتایج درخور از فعالیت‌های مربوط به دیپلماسی شهری",
                                  language="fa"))}


def test_a_describe_gives_what_the_graph_says_of_the_resource(store: Store) -> None:
    answer = run_any(store, f"DESCRIBE <{W3.value}>")
    assert isinstance(answer, Triples)
    assert Triple(W3, NamedNode("https://w3id.org/citykg/ontology#code"), Literal("W3")) in answer.triples
    assert {t.subject for t in answer.triples} == {W3}


def test_the_default_graph_is_the_union_unless_the_query_names_its_own(store: Store) -> None:
    def query(dataset: str) -> str:
        return f'CONSTRUCT {{ ?f ckg:code ?c }} {dataset} WHERE {{ ?f ckg:code ?c FILTER (?c = "W3") }}'

    assert len(run_any(store, query("")).triples) == 1  # type: ignore[union-attr]
    assert len(run_any(store, query(f"FROM <{graph('mashhad-oic')}>")).triples) == 1  # type: ignore[union-attr]
    assert run_any(store, query(f"FROM <{graph('tabriz-2024')}>")) == Triples([])


class _Unrunnable:
    """A store that fails any query it is asked to run."""

    def query(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the query ran")


@pytest.mark.parametrize(("query", "error", "message"), [
    ("CONSTRUCT WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", QueryRefused, "SERVICE is refused"),
    ("ASK { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", QueryRefused, "SERVICE is refused"),
    ("DELETE WHERE { ?s ?p ?o }", QueryRefused, "SPARQL Update is refused"),
    ("DESCRIBE " + "(" * 5000, QuerySyntaxError, "nests 5000 levels deep"),
    ("   ", QuerySyntaxError, "The query is empty."),
])
def test_what_is_refused_is_refused_before_it_runs(query: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        run_any(_Unrunnable(), query)  # type: ignore[arg-type]


def test_a_syntax_error_is_explained_as_the_server_explains_it() -> None:
    from citykg.evaluate import SparqlJob, evaluate

    query = "CONSTRUCT { ?s foaf:name ?o } WHERE { ?s ?p ?o }"
    with pytest.raises(QuerySyntaxError) as caught:
        run_any(Store(), query)
    served = evaluate(Store(), SparqlJob(store="", query=query, results_format=None, graph_format="turtle",
                                         max_rows=1))
    assert str(caught.value) == served.error and "foaf:" in served.error


@pytest.mark.parametrize(("query", "form"), [
    ("select * { ?s ?p ?o }", "SELECT"), ("# a comment\nASK {}", "ASK"), ("CONSTRUCT WHERE {}", "CONSTRUCT"),
    ("PREFIX ex: <http://example.org/> DESCRIBE ex:a", "DESCRIBE"), ("INSERT DATA {}", None), ("nonsense", None),
])
def test_the_form_is_read_without_running_the_query(query: str, form: str | None) -> None:
    assert form_of(query) == form


@pytest.mark.parametrize(("fmt", "expected"), [
    ("table", '<https://w3id.org/citykg/id/study/mashhad-oic/factor/W3> rdfs:label "W3" .\n'),
    ("turtle", '<https://w3id.org/citykg/id/study/mashhad-oic/factor/W3> rdfs:label "W3" .\n'),
    ("json", '[{"@id":"https://w3id.org/citykg/id/study/mashhad-oic/factor/W3",'),
    ("jsonld", '[{"@id":"https://w3id.org/citykg/id/study/mashhad-oic/factor/W3",'),
])
def test_triples_print_in_the_formats_citykg_query_file_takes_for_them(fmt: str, expected: str) -> None:
    text = render_any(Triples([Triple(W3, LABEL, Literal("W3"))]), fmt)
    assert text.endswith(expected) if fmt in ("table", "turtle") else text.startswith(expected)


@pytest.mark.parametrize(("answer", "fmt", "message"), [
    (Triples([]), "csv", "The format 'csv' does not fit the answer of a CONSTRUCT or DESCRIBE query: its triples "
                         "print as turtle (or table), ntriples, jsonld (or json) or rdfxml."),
    (Result(("n",), []), "turtle", "The format 'turtle' does not fit the answer of a SELECT query: its rows print "
                                   "as table, csv, tsv or json."),
    (True, "rdfxml", "The format 'rdfxml' does not fit the answer of an ASK query: its answer (true or false) "
                     "prints as table, csv, tsv or json."),
    (Result(("n",), []), "xml", "The format 'xml' does not fit the answer of a SELECT query"),
])
def test_a_format_the_answer_has_not_is_a_citykg_error(answer: Result | bool | Triples, fmt: str,
                                                       message: str) -> None:
    with pytest.raises(QueryParameterError) as caught:
        render_any(answer, fmt)
    assert isinstance(caught.value, CitykgError) and str(caught.value).startswith(message)


def test_rows_and_an_ask_print_in_the_row_formats() -> None:
    assert render_any(Result(("n",), [(Literal(7),)]), "csv") == "n\r\n7\r\n"
    assert render_any(Result(("n",), [(Literal("a"),)]), Format.TSV) == '?n\n"a"\n'  # a Format too
    assert render_any(False, "json") == '{"head": {}, "boolean": false}\n'
