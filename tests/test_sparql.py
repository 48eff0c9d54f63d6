"""The /sparql route's parameters, on a real server (the protocol at large is in test_serve.py)."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("params, hint", [
    ({"q": "ASK {}"}, " (did you mean 'query'?)"),
    ({"Query": "ASK {}"}, " (did you mean 'query'?)"),
    ({"qeury": "ASK {}"}, " (did you mean 'query'?)"),
    ({"formt": "ttl"}, " (did you mean 'format'?)"),
    ({"graph": "https://w3id.org/citykg/graph/reference"}, " (a named graph is served at /graph/NAME, its IRI's path)"),
    ({"colour": "blue"}, ""),
])
def test_a_stray_parameter_is_not_taken_for_a_request_of_the_description(client: httpx.Client, params: dict[str, str],
                                                                          hint: str) -> None:
    response = client.get("/sparql", params=params)
    assert response.status_code == 400, response.text
    name = next(iter(params))
    assert response.json()["error"] == (
        f"/sparql takes no parameter '{name}'{hint}. GET /sparql?query=… runs a query; /sparql alone (or with "
        "?format=) answers the service description.")


def test_the_description_and_queries_keep_their_parameters(client: httpx.Client) -> None:
    assert client.get("/sparql", params={"format": "ttl"}).headers["content-type"].startswith("text/turtle")
    assert client.get("/sparql").status_code == 200
    answer = client.get("/sparql", params={"query": "ASK {}", "format": "json"})
    assert answer.status_code == 200 and answer.json()["boolean"] is True


REFERENCE = "https://w3id.org/citykg/graph/reference"


@pytest.mark.parametrize("name, meant", [
    ("default_graph_uri", "default-graph-uri"), ("defaultGraphUri", "default-graph-uri"),
    ("default-graph", "default-graph-uri"), ("named_graph_uri", "named-graph-uri"), ("graph", "default-graph-uri"),
    ("Format", "format"), ("fromat", "format"), ("Query", "query"), ("querry", "query"),
])
def test_a_misspelt_protocol_parameter_beside_a_query_is_refused_not_ignored(client: httpx.Client, name: str,
                                                                              meant: str) -> None:
    params = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", name: REFERENCE}
    expected = (f"/sparql takes no parameter '{name}' (did you mean '{meant}'?): the query was not run, since it "
                f"would have run without it. Write the parameter as {meant}=….")
    for response in (client.get("/sparql", params=params), client.post("/sparql", data=params)):
        assert response.status_code == 400, response.text
        assert response.json()["error"] == expected


def test_parameters_that_clients_send_beside_a_query_are_let_through(client: httpx.Client) -> None:
    params = {"query": "ASK {}", "output": "json", "timeout": "5000", "callback": "cb", "_": "1712000000000",
              "queryLn": "SPARQL", "results": "json", "infer": "false"}
    response = client.get("/sparql", params=params, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    assert response.json()["boolean"] is True
    graph = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": REFERENCE})
    assert graph.status_code == 200, graph.text


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NO_XML_PREDICATE = 'CONSTRUCT { <urn:a> <http://example.org/1> "x" } WHERE {}'  # RDF/XML cannot write …/1
CONTROL = 'SELECT ?x WHERE { BIND ("a\\u0001" AS ?x) }'  # XML 1.0 cannot carry U+0001


@pytest.mark.parametrize("query, accept, served", [
    (NO_XML_PREDICATE, BROWSER, "text/turtle"),
    (NO_XML_PREDICATE, "application/rdf+xml, application/n-triples;q=0.5", "application/n-triples"),
    (CONTROL, "application/sparql-results+xml, application/sparql-results+json;q=0.8",
     "application/sparql-results+json"),
    (CONTROL, "application/sparql-results+xml, text/tab-separated-values;q=0.1", "text/tab-separated-values"),
    ("SELECT ?t WHERE { BIND (<<( <urn:a> <urn:b> <urn:c> )>> AS ?t) }", "text/csv, */*;q=0.1",
     "application/sparql-results+json"),
])
def test_an_answer_a_format_cannot_carry_comes_in_the_next_one_accepted(client: httpx.Client, query: str,
                                                                         accept: str, served: str) -> None:
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(served) and response.headers["vary"] == "accept"


@pytest.mark.parametrize("query, accept", [
    (NO_XML_PREDICATE, "application/rdf+xml"),
    (CONTROL, "application/sparql-results+xml"),
])
def test_an_answer_no_accepted_format_can_carry_is_406(client: httpx.Client, query: str, accept: str) -> None:
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 406 and "instead" in response.json()["error"]
    by_name = client.get("/sparql", params={"query": query, "format": "xml"}, headers={"Accept": "*/*"})
    assert by_name.status_code == 406  # a format named in ?format= is that format or nothing


@pytest.mark.parametrize("path", ["/sparql?query=CONSTRUCT%20WHERE%20%7B%3Fs%20a%20ckg%3ACity%7D",
                                  "/id/city/tabriz"])
@pytest.mark.parametrize("name", ["ntriples", "n-triples", "nt", "application/n-triples", "text/plain"])
def test_every_name_of_n_triples_is_taken(client: httpx.Client, path: str, name: str) -> None:
    response = client.get(path, params={"format": name})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/n-triples"


def test_a_plus_a_url_turned_into_a_space_is_pointed_out(client: httpx.Client) -> None:
    for path in ("/sparql?query=ASK%7B%7D&format=application/sparql-results+json",
                 "/id/city/tabriz?format=application/ld+json"):
        error = client.get(path).json()["error"]
        assert "(In a URL a + is a space: write application/" in error and "%2Bjson.)" in error, error


def test_a_parameter_repeated_with_the_same_value_is_taken_once(client: httpx.Client) -> None:
    same = client.get("/queries/strategies-for-factor?factor=W3&factor=W3&city=Mashhad")
    assert same.status_code == 200 and same.json() == client.get(
        "/queries/strategies-for-factor?factor=W3&city=Mashhad").json()
    assert client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D").status_code == 200
    for path, name in (("/queries/strategies-for-factor?factor=W3&factor=W4&city=Mashhad", "factor"),
                       ("/sparql?query=ASK%7B%7D&query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D", "query")):
        refused = client.get(path)
        assert refused.status_code == 400
        assert refused.json()["error"] == (f"Give '{name}' once; this request gives it 2 times, with 2 different "
                                           "values.")


def test_a_path_with_a_slash_after_it_is_that_path(client: httpx.Client) -> None:
    assert client.get("/sparql/", params={"query": "ASK {}"}).json()["boolean"] is True
    assert client.get("/queries/").json() == client.get("/queries").json()
    assert client.get("/nowhere/").status_code == 404
