"""`citykg serve`: real servers on 127.0.0.1, queried with httpx and SPARQLWrapper as a user would.

Two servers start once for this module from the session's build: one with the default limits,
one with tight limits (1 s timeout, 5 rows, 2 KiB bodies, CORS for one origin). The reload test
starts its own server on an empty dist, which also checks that `citykg serve` builds first.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from click.testing import CliRunner
from pyoxigraph import Literal, NamedNode, Quad, QueryResultsFormat, RdfFormat, Store, parse, parse_query_results
from serving import ROOT, Running, address, assert_error, listener, raw_request, start_server
from SPARQLWrapper import CSV, GET, JSON, JSONLD, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from citykg.answers import AnswerCache, footprint
from citykg.build import BuildResult
from citykg.cli import cli
from citykg.project import Project
from citykg.web import Request

ID = "https://w3id.org/citykg/id/"
GRAPH = "https://w3id.org/citykg/graph/"
W3 = ID + "study/mashhad-oic/factor/W3"
WO1 = ID + "study/mashhad-oic/strategy/WO1"
LABELS_OF_W3 = f"SELECT ?label WHERE {{ <{W3}> rdfs:label ?label }} ORDER BY ?label"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RESULTS_JSON = "application/sparql-results+json"
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
MiB = 1_048_576


@pytest.fixture(scope="module")
def tight(built: tuple[Project, BuildResult], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A server with small limits, to reach them quickly."""
    project, _ = built
    running = start_server(project.dist, tmp_path_factory.mktemp("tight-server"), "--timeout", "1",
                           "--max-rows", "5", "--max-body", "2048", "--cors", "https://example.org")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tight_client(tight: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tight.url, timeout=30) as http:
        yield http


def select(client: httpx.Client, query: str, **params: str) -> list[dict[str, dict[str, str]]]:
    response = client.get("/sparql", params={"query": query, **params}, headers={"Accept": RESULTS_JSON})
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]  # type: ignore[no-any-return]


def count(client: httpx.Client, query: str, **params: str) -> int:
    return int(select(client, query, **params)[0]["n"]["value"])


# ----------------------------------------------------------------- SPARQL 1.1 Protocol


def test_the_three_protocol_forms_give_the_same_answer(client: httpx.Client) -> None:
    by_get = client.get("/sparql", params={"query": LABELS_OF_W3}, headers={"Accept": RESULTS_JSON})
    by_form = client.post("/sparql", data={"query": LABELS_OF_W3}, headers={"Accept": RESULTS_JSON})
    by_body = client.post("/sparql", content=LABELS_OF_W3.encode(),
                          headers={"Content-Type": "application/sparql-query", "Accept": RESULTS_JSON})
    assert by_get.status_code == by_form.status_code == by_body.status_code == 200
    assert by_get.headers["content-type"] == RESULTS_JSON
    assert by_get.json() == by_form.json() == by_body.json()
    labels = {(b["label"]["value"], b["label"]["xml:lang"]) for b in by_get.json()["results"]["bindings"]}
    assert ("City-diplomacy activities not properly used and not yielding worthwhile results", "en") in labels
    assert {lang for _, lang in labels} == {"en", "fa"}


@pytest.mark.parametrize(("accept", "content_type", "fmt"), [
    ("application/sparql-results+xml", "application/sparql-results+xml", QueryResultsFormat.XML),
    ("text/csv", "text/csv; charset=utf-8", QueryResultsFormat.CSV),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8", QueryResultsFormat.TSV),
    ("application/json", RESULTS_JSON, QueryResultsFormat.JSON),
    ("*/*", RESULTS_JSON, QueryResultsFormat.JSON),
    ("text/html;q=0.9, text/csv;q=0.5", "text/csv; charset=utf-8", QueryResultsFormat.CSV),
])
def test_select_results_are_negotiated(client: httpx.Client, accept: str, content_type: str,
                                       fmt: QueryResultsFormat) -> None:
    response = client.get("/sparql", params={"query": LABELS_OF_W3}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"] == content_type
    assert response.headers["vary"] == "accept"
    if fmt == QueryResultsFormat.CSV:  # lossy: pyoxigraph does not read it back
        assert next(csv.reader(io.StringIO(response.text)))[0] == "label"
        assert len(response.text.splitlines()) == 3
    else:
        assert len(list(parse_query_results(response.content, format=fmt))) == 2  # type: ignore[arg-type]


def test_ask_answers_a_boolean(client: httpx.Client) -> None:
    yes = client.get("/sparql", params={"query": f"ASK {{ <{W3}> ?p ?o }}"})
    no = client.get("/sparql", params={"query": "ASK { <http://example.org/none> ?p ?o }"},
                    headers={"Accept": "application/sparql-results+xml"})
    assert yes.json() == {"head": {}, "boolean": True}
    assert ElementTree.fromstring(no.content).find("{http://www.w3.org/2005/sparql-results#}boolean").text == "false"  # type: ignore[union-attr]


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", RdfFormat.TURTLE), ("application/n-triples", RdfFormat.N_TRIPLES),
    ("application/rdf+xml", RdfFormat.RDF_XML), ("application/ld+json", RdfFormat.JSON_LD),
])
def test_construct_and_describe_graphs_are_negotiated(client: httpx.Client, accept: str, fmt: RdfFormat) -> None:
    construct = client.get("/sparql", params={"query": f"CONSTRUCT WHERE {{ <{W3}> rdfs:label ?l }}"},
                           headers={"Accept": accept})
    assert construct.status_code == 200 and construct.headers["content-type"].startswith(accept)
    triples = list(parse(construct.content, format=fmt))
    assert len(triples) == 2 and {t.subject for t in triples} == {NamedNode(W3)}
    describe = client.get("/sparql", params={"query": f"DESCRIBE <{W3}>"}, headers={"Accept": accept})
    assert NamedNode(W3) in {t.subject for t in parse(describe.content, format=fmt)}


def test_format_parameter_overrides_accept(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": LABELS_OF_W3, "format": "csv"},
                          headers={"Accept": RESULTS_JSON})
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0] == "label"
    assert_error(client.get("/sparql", params={"query": LABELS_OF_W3, "format": "yaml"}), 400, "yaml")


@pytest.mark.parametrize(("query", "fmt", "message"), [
    (LABELS_OF_W3, "ttl", "format=ttl is for CONSTRUCT and DESCRIBE; a SELECT query takes json, xml, csv or tsv."),
    ("ASK { ?s ?p ?o }", "nt", "format=nt is for CONSTRUCT and DESCRIBE; an ASK query takes json, xml, csv or tsv."),
    (f"CONSTRUCT WHERE {{ <{W3}> ?p ?o }}", "csv", "format=csv is for SELECT and ASK; a CONSTRUCT query takes ttl, "),
    (f"DESCRIBE <{W3}>", "tsv", "format=tsv is for SELECT and ASK; a DESCRIBE query takes ttl, "),
])
def test_a_format_of_the_other_query_form_is_400(client: httpx.Client, query: str, fmt: str, message: str) -> None:
    for headers in ({}, {"Accept": "*/*"}):  # no Accept was sent, or any: the format is at fault, not the Accept
        error = assert_error(client.get("/sparql", params={"query": query, "format": fmt}, headers=headers), 400, message)
        assert "Accept" not in error
    assert client.get("/sparql", params={"query": query, "format": "json"}).status_code == 200  # json fits both


def test_an_unsupported_accept_is_406(client: httpx.Client) -> None:
    assert_error(client.get("/sparql", params={"query": LABELS_OF_W3}, headers={"Accept": "image/png"}),
                 406, "image/png", "application/sparql-results+json")
    construct = client.get("/sparql", params={"query": f"CONSTRUCT WHERE {{ <{W3}> ?p ?o }}"},
                           headers={"Accept": "text/csv"})
    assert_error(construct, 406, "CONSTRUCT", "text/turtle")
    long = client.get("/sparql", params={"query": LABELS_OF_W3}, headers={"Accept": "image/" + "x" * 1200})
    assert_error(long, 406, "image/" + "x" * 73 + "…)")
    assert len(long.content) < 500  # the refused header cut to 80 characters, as any refused value


@pytest.mark.parametrize(("query", "accept", "content_type"), [
    (f"CONSTRUCT WHERE {{ <{W3}> ?p ?o }}", "application/*", "application/n-triples"),
    (f"DESCRIBE <{W3}>", "application/*;q=0.9, text/plain;q=0.1", "application/n-triples"),
    (f"CONSTRUCT WHERE {{ <{W3}> ?p ?o }}", "text/*", "text/turtle"),
    (f"CONSTRUCT WHERE {{ <{W3}> ?p ?o }}", "application/x-turtle", "text/turtle"),  # an alias, named
    (LABELS_OF_W3, "application/*", RESULTS_JSON),
    (LABELS_OF_W3, "text/*", "text/csv"),  # not SPARQL XML by way of text/xml
    (f"CONSTRUCT WHERE {{ <{W3}> ?p ?o }}", "application/xml", "application/rdf+xml"),  # as format=xml
    (LABELS_OF_W3, "application/xml", "application/sparql-results+xml"),
    ("", "application/*", "application/n-triples"),  # the service description
])
def test_a_wildcard_accept_gets_a_type_it_names(client: httpx.Client, query: str, accept: str,
                                                content_type: str) -> None:
    response = client.get("/sparql", params={"query": query} if query else {}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == content_type


def test_a_wildcard_accept_gets_a_named_query_in_a_type_it_names(client: httpx.Client) -> None:
    response = client.get("/queries/cities", headers={"Accept": "text/*"})
    assert response.headers["content-type"].startswith("text/csv")
    assert_error(client.get("/queries/cities", headers={"Accept": "text/*, text/csv;q=0, text/tab-separated-values;q=0"}),
                 406)


@pytest.mark.parametrize(("coding", "status"), [("gzip, chunked", 501), ("x-foo, chunked", 501), ("chunked", 200)])
def test_a_body_in_a_transfer_coding_other_than_chunked_is_501(server: Running, coding: str, status: int) -> None:
    # RFC 9112, 6.1: a transfer coding the server does not know is a 501, not a body read as it is
    answer = raw_request(server, (f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query"
                                  f"\r\nTransfer-Encoding: {coding}\r\nConnection: close\r\n\r\n"
                                  "6\r\nASK {}\r\n0\r\n\r\n").encode())
    assert answer.status_code == status, answer.text
    if status == 501:
        assert f"not in the transfer coding '{coding.split(',')[0]}'" in answer.json()["error"]


def test_a_body_compressed_or_not_in_utf8_is_415_and_a_query_given_twice_400(client: httpx.Client) -> None:
    direct = {"Content-Type": "application/sparql-query"}
    assert_error(client.post("/sparql", content=b"ASK {}", headers={**direct, "Content-Encoding": "gzip"}), 415,
                 "not compressed (Content-Encoding: gzip)")
    assert_error(client.post("/sparql", content=b"query=ASK+%7B%7D", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=iso-8859-1"}), 415, "in UTF-8, not 'iso-8859-1'")
    assert_error(client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "application/sparql-query; charset="}),
                 415, "in UTF-8, not ''; send UTF-8")
    ascii_ = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "application/sparql-query; charset=US-ASCII"})
    assert ascii_.status_code == 200  # a subset of UTF-8
    ok = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "application/sparql-query; charset=UTF-8",
                                                            "Content-Encoding": "identity"})
    assert ok.status_code == 200
    assert_error(client.post("/sparql", params={"query": "ASK {}"}, content=b"ASK {}", headers=direct), 400,
                 "Give the query once")
    # a byte-order mark before the query, as some editors save it, is not part of it
    assert client.get("/sparql", params={"query": "\ufeffASK {}"}).status_code == 200
    assert client.post("/sparql", data={"query": "\ufeffASK {}"}).status_code == 200


def test_a_weight_past_1_outranks_nothing(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "ASK {}"},
                          headers={"Accept": "text/csv;q=2, application/sparql-results+json;q=1"})
    assert response.headers["content-type"].startswith("application/sparql-results+json")  # the earlier offer


def test_a_weight_that_is_no_number_is_ignored_not_a_refusal(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/csv;q=high"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    refused = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/csv;q=0"})
    assert refused.status_code == 406  # while a weight of 0 still refuses


def test_a_malformed_query_is_400_saying_what_and_where(client: httpx.Client) -> None:
    error = assert_error(client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"}), 400,
                         "does not parse", "error at 1:19: ")
    assert "has no object" in error  # a slip the README names
    assert_error(client.get("/sparql", params={"query": "  "}), 400, "empty")
    assert_error(client.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK { ?s ?p ?o }")]), 400, "once")
    assert_error(client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"}), 415)
    assert_error(client.post("/sparql", content=b"\xff\xfe", headers={"Content-Type": "application/sparql-query"}),
                 400, "UTF-8")


@pytest.mark.parametrize("query", ["PREFIX ex: <http://x/> ASK { ?s ?p ?o FILTER(ex:nofunc(?o)) }",
                                   "PREFIX ex: <http://x/> SELECT ?s WHERE { ?s ?p ?o FILTER(ex:nofunc(?o)) }",
                                   "PREFIX ex: <http://x/> CONSTRUCT { ?s ?p ?o } WHERE { BIND(ex:nofunc(1) AS ?o) }"])
def test_a_function_citykg_does_not_have_is_400(client: httpx.Client, query: str) -> None:
    assert_error(client.get("/sparql", params={"query": query}), 400,
                 "The query calls the function <http://x/nofunc>, which citykg does not have")
    assert client.get("/health").status_code == 200


def test_a_graph_that_is_no_iri_or_a_host_that_is_no_host_is_400(client: httpx.Client) -> None:
    assert_error(client.get("/sparql", params={"query": "ASK {}", "named-graph-uri": "foo bar"}), 400,
                 "named-graph-uri='foo bar' is not an absolute IRI")
    assert_error(client.get("/sparql", headers={"Host": "a>b"}), 400, "The Host header 'a>b' is not a host name")
    for host in ("a%zz", "a%", "[::1]:99999"):  # a percent sign not followed by two hex digits, a port past 65535
        assert_error(client.get("/sparql", headers={"Host": host}), 400, f"The Host header {host!r} is not a host")
    named = client.get("/sparql", headers={"Host": "évil.example".encode()})  # sent as UTF-8, shown as such
    assert_error(named, 400, "The Host header 'évil.example' is not a host name", "written in Punycode, xn--…")
    assert client.get("/sparql", headers={"Host": "[::1]:8000"}).status_code == 200
    for host in ("example.org", "other.example.org:8080"):  # each its own description, not the last one cached
        assert f"<http://{host}/sparql>" in client.get("/sparql", headers={"Host": host}).text
    assert "<http://example.net/sparql>" in client.get("/sparql", headers={"Host": "example.net:"}).text  # RFC 9110


@pytest.mark.parametrize("path", ["/sparql?query=ASK%20%7B%7D%20%23%E9", "/sparql?query=ASK+%7B%7D&format=%FF",
                                  "/id/study/mashhad-oic?format=%E9", "/queries/cities?city=%C3"])
def test_a_query_string_not_in_utf_8_is_400(client: httpx.Client, path: str) -> None:
    assert_error(client.get(path), 400, "The query string is not UTF-8", "%C3%A9")


def test_a_form_not_in_utf_8_is_400(client: httpx.Client) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_error(client.post("/sparql", content=b"query=ASK%20%7B%7D%20%23%E9", headers=form), 400,
                 "The form body is not UTF-8", "%C3%A9")
    assert_error(client.post("/sparql", content=b"query=ASK {} #\xe9", headers=form), 400, "The form body is not UTF-8")
    assert client.post("/sparql", content=b"query=ASK%20%7B%7D%20%23%C3%A9", headers=form).json()["boolean"] is True


def test_the_default_graph_is_the_union_of_the_named_graphs(client: httpx.Client, store: Store) -> None:
    expected = len(store)
    assert count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == expected
    graphs = select(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert {b["g"]["value"] for b in graphs} == {g.value for g in store.named_graphs()}


def test_lookups_are_answered_in_the_server_process_and_larger_answers_by_a_worker(
        client: httpx.Client, store: Store) -> None:
    def here() -> int:
        return int(client.get("/health").json()["process"]["answered_here"])

    before = here()
    lookup = f"SELECT ?lookedUp WHERE {{ <{W3}> rdfs:label ?lookedUp }}"  # no other test asks it: not cached
    labels = sorted(b["lookedUp"]["value"] for b in select(client, lookup))
    assert labels == sorted(str(q.object.value) for q in store.quads_for_pattern(NamedNode(W3), RDFS_LABEL, None))
    assert here() == before + 1
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"  # a lookup too, but its answer takes megabytes
    assert len(select(client, everything)) == len(store)
    assert here() == before + 1


def test_a_pattern_that_names_a_variable_twice_is_answered_by_a_worker(client: httpx.Client) -> None:
    # pyoxigraph reads every quad for it, however few it keeps: its cost is not bounded by its answer
    before = client.get("/health").json()["process"]["answered_here"]
    for query in ("SELECT ?s WHERE { ?s ?s ?s }", "ASK { ?s ?p $s }"):
        response = client.get("/sparql", params={"query": query}, headers={"Accept": RESULTS_JSON})
        assert response.status_code == 200, response.text
    assert client.get("/health").json()["process"]["answered_here"] == before


def test_default_and_named_graph_uris_select_the_dataset(client: httpx.Client, store: Store) -> None:
    tabriz = GRAPH + "tabriz-2024"
    size = len(list(store.quads_for_pattern(None, None, None, NamedNode(tabriz))))
    assert 0 < size < len(store)
    assert count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": tabriz}) == size
    named = select(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": tabriz})
    assert [b["g"]["value"] for b in named] == [tabriz]
    assert count(client, f"SELECT (COUNT(*) AS ?n) FROM <{tabriz}> WHERE {{ ?s ?p ?o }}") == size
    # The protocol's dataset wins over the query's.
    assert count(client, f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH}reference> WHERE {{ ?s ?p ?o }}",
                 **{"default-graph-uri": tabriz}) == size


def test_without_a_query_sparql_describes_the_service(client: httpx.Client, store: Store) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    triples = list(parse(response.content, format=RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = NamedNode(client.base_url.join("/sparql").__str__())
    assert any(t.subject == endpoint and t.object == NamedNode(sd + "Service") for t in triples)
    assert {t.object for t in triples if t.predicate == NamedNode(sd + "name")} == set(store.named_graphs())
    assert any(t.object == NamedNode(sd + "UnionDefaultGraph") for t in triples)
    as_jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert as_jsonld.headers["content-type"] == "application/ld+json" and as_jsonld.json()
    for fmt, content_type in (("nt", "application/n-triples"), ("jsonld", "application/ld+json"),
                              ("application/rdf+xml", "application/rdf+xml")):
        by_name = client.get("/sparql", params={"format": fmt}, headers={"Accept": "text/turtle"})
        assert by_name.headers["content-type"].split(";")[0] == content_type
    assert_error(client.get("/sparql", params={"format": "csv"}), 400, "format=csv is for SELECT and ASK")
    assert_error(client.get("/sparql", headers={"Accept": "text/csv"}), 406, "The service description is RDF")


@pytest.mark.parametrize("fmt", ["csv", "tsv", "text/csv", "text/tab-separated-values"])
def test_a_results_format_on_the_service_description_says_it_is_rdf(client: httpx.Client, fmt: str) -> None:
    message = assert_error(client.get("/sparql", params={"format": fmt}), 400)
    assert message == (f"format={fmt} is for SELECT and ASK results; the service description (/sparql without a "
                       "query) is RDF: give ttl, nt, rdfxml, jsonld, json or xml, or no format.")
    assert "DESCRIBE" not in message
    # a query still gets the message of its own form
    assert_error(client.get("/sparql", params={"query": "ASK {}", "format": "ttl"}), 400, "an ASK query takes")


def test_the_service_description_names_no_host_over_255_characters_and_keeps_the_port(server: Running,
                                                                                        client: httpx.Client) -> None:
    host, port = server.url.split("//")[1].rstrip("/").rsplit(":", 1)
    refused = raw_request(server, f"GET /sparql HTTP/1.1\r\nHost: {'a' * 70_000}\r\nConnection: close\r\n\r\n".encode())
    assert_error(refused, 400, "The Host header is over 255 characters")
    assert len(refused.content) < 300
    longest = "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ":8000"  # 255 characters
    assert len(longest) == 255
    assert f"<http://{longest}/sparql>" in client.get("/sparql", headers={"Host": longest}).text
    assert_error(client.get("/sparql", headers={"Host": longest + "0"}), 400, "over 255 characters")
    for request in (b"GET /sparql HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",  # RFC 9112: empty if no authority
                    b"GET /sparql HTTP/1.0\r\n\r\n"):
        description = raw_request(server, request)
        assert description.status_code == 200, description.text
        assert f"sd:endpoint <http://{host}:{port}/sparql>".encode() in description.content


def test_sparqlwrapper_queries_it_as_any_endpoint(server: Running) -> None:
    endpoint = SPARQLWrapper(server.url + "sparql")
    endpoint.setQuery(LABELS_OF_W3)
    endpoint.setReturnFormat(JSON)
    rows = endpoint.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert len(rows) == 2
    endpoint.setMethod(POST)
    endpoint.setReturnFormat(CSV)
    assert endpoint.queryAndConvert().decode().splitlines()[0] == "label"  # type: ignore[union-attr]
    endpoint.setRequestMethod(POSTDIRECTLY)
    endpoint.setQuery(f"CONSTRUCT WHERE {{ <{W3}> rdfs:label ?l }}")
    endpoint.setReturnFormat(TURTLE)
    assert b"City-diplomacy activities" in endpoint.queryAndConvert()  # type: ignore[operator]


CONSTRUCT_W3 = f"CONSTRUCT WHERE {{ <{W3}> rdfs:label ?l }}"


@pytest.mark.parametrize(("return_format", "query", "content_type", "fmt", "method"), [
    # TSV, JSON-LD and RDF/XML: SPARQLWrapper sends the format twice, format=tsv&format=text/tab-separated-values
    (TSV, LABELS_OF_W3, "text/tab-separated-values", QueryResultsFormat.TSV, GET),
    (TSV, LABELS_OF_W3, "text/tab-separated-values", QueryResultsFormat.TSV, POST),
    (XML, LABELS_OF_W3, "application/sparql-results+xml", QueryResultsFormat.XML, GET),
    (JSONLD, CONSTRUCT_W3, "application/ld+json", RdfFormat.JSON_LD, GET),
    (RDFXML, CONSTRUCT_W3, "application/rdf+xml", RdfFormat.RDF_XML, POST),
    (XML, CONSTRUCT_W3, "application/rdf+xml", RdfFormat.RDF_XML, GET),
])
def test_sparqlwrapper_gets_every_format(server: Running, return_format: str, query: str, content_type: str,
                                         fmt: QueryResultsFormat | RdfFormat, method: str) -> None:
    endpoint = SPARQLWrapper(server.url + "sparql")
    endpoint.setQuery(query)
    endpoint.setReturnFormat(return_format)
    endpoint.setMethod(method)
    result = endpoint.query()
    assert result.info()["content-type"].startswith(content_type)
    body = result.response.read()
    if isinstance(fmt, RdfFormat):
        assert {str(t.object.value) for t in parse(body, format=fmt)} >= {
            "City-diplomacy activities not properly used and not yielding worthwhile results"}
    else:
        assert len(list(parse_query_results(body, format=fmt))) == 2  # type: ignore[arg-type]


def test_sparqlwrapper_gets_n_triples_by_accept(server: Running) -> None:
    endpoint = SPARQLWrapper(server.url + "sparql")
    endpoint.setQuery(CONSTRUCT_W3)
    endpoint.setOnlyConneg(True)  # no format parameter: the Accept header decides
    endpoint.addCustomHttpHeader("Accept", "application/n-triples")
    result = endpoint.query()
    assert result.info()["content-type"] == "application/n-triples"
    assert len(list(parse(result.response.read(), format=RdfFormat.N_TRIPLES))) == 2


def test_format_given_twice_must_name_one_format(client: httpx.Client) -> None:
    agreeing = client.get("/sparql", params=[("query", LABELS_OF_W3), ("format", "tsv"),
                                             ("format", "text/tab-separated-values")])
    assert agreeing.status_code == 200 and agreeing.headers["content-type"].startswith("text/tab-separated-values")
    as_type = client.get("/sparql", params={"query": CONSTRUCT_W3, "format": "application/n-triples"})
    assert as_type.headers["content-type"] == "application/n-triples"
    assert_error(client.get("/sparql", params=[("query", LABELS_OF_W3), ("format", "tsv"), ("format", "csv")]),
                 400, "The 'format' values name different formats ('tsv' and 'csv')")
    assert_error(client.get("/sparql", params=[("query", CONSTRUCT_W3), ("format", "ttl"),
                                               ("format", "application/rdf+xml")]), 400, "different formats")
    assert_error(client.get("/sparql", params={"query": LABELS_OF_W3, "format": "image/png"}), 400,
                 "Unknown format 'image/png'")


def test_head_answers_headers_only(client: httpx.Client) -> None:
    response = client.head("/sparql", params={"query": LABELS_OF_W3})
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) > 100


def test_a_repeated_query_comes_from_the_cache(client: httpx.Client) -> None:
    query = "SELECT ?s WHERE { ?s a ckg:Strategy } ORDER BY ?s LIMIT 3"
    before = client.get("/health").json()["cache"]["hits"]
    first = client.get("/sparql", params={"query": query})
    second = client.get("/sparql", params={"query": query})
    assert first.content == second.content
    assert client.get("/health").json()["cache"]["hits"] == before + 1


def test_the_answer_cache_size_bounds_the_memory_it_holds() -> None:
    cache: AnswerCache[bytes] = AnswerCache(max_bytes=64 * 1_048_576)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(300):  # keys as the server makes them: build, catalogue, POST, path, query, Accept, type, body
            key = ("build", 1, True, "/sparql", b"", "*/*", "application/sparql-query",
                   b"ASK {} # %d" % i + b" " * 12_000)
            cache.put(key, b"{}", footprint(b"{}"))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(cache) == 300 and 3_600_000 < held <= cache.size
    cache.put(("build", b" " * 20_000), b"{}", footprint(b"{}"))  # a key over 16 KiB: not kept at all
    assert len(cache) == 300


def test_a_long_accept_header_is_not_remembered() -> None:
    from citykg.sparql import Formats, _formats

    seen: dict[str, Formats] = {}
    for accept in ("text/csv", ", ".join(["text/csv"] + ["x/y;q=0.1"] * 1_000)):
        request = Request("GET", "/sparql", b"/sparql", b"", {"accept": accept}, b"", "-", "http")
        assert _formats(request, [], "SELECT", seen) == Formats("csv", None)
    assert list(seen) == ["text/csv"]


def test_the_cache_counts_its_keys_and_keeps_no_large_request(server: Running, client: httpx.Client) -> None:
    def cache() -> dict[str, int]:
        return client.get("/health").json()["cache"]  # type: ignore[no-any-return]

    def rss() -> int:
        status = Path(f"/proc/{server.process.pid}/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0]) * 1024

    def ask(body: bytes, accept: str = "") -> int:
        headers = {"Content-Type": "application/sparql-query", **({"Accept": accept} if accept else {})}
        return client.post("/sparql", content=body, headers=headers).status_code

    before = cache()
    for i in range(20):  # keys of 8 KB: kept, and counted
        assert ask(b"ASK {} # counted %d" % i + b" " * 8_000) == 200
    kept = cache()
    assert kept["entries"] == before["entries"] + 20 and kept["bytes"] - before["bytes"] > 20 * 8_000
    memory = rss()
    for i in range(30):  # keys of 1 MB: answers and repeatable errors alike are not kept
        assert ask(b"ASK {} # large %d" % i + b" " * 1_000_000) == 200
        assert ask(b"ASK {} # large %d" % i + b" " * 1_000_000, accept="image/png") == 406
    assert ask(b"ASK {} # long Accept", accept=", ".join(["text/csv"] + ["x/y;q=0.1"] * 2_000)) == 200
    after = cache()
    assert (after["entries"], after["bytes"]) == (kept["entries"], kept["bytes"])
    assert rss() - memory < 20_000_000  # 60 MB of requests came and went


def test_identical_requests_in_flight_share_one_evaluation(server: Running, client: httpx.Client) -> None:
    heavy = ("SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t ; ?p ?o OPTIONAL { ?s rdfs:label ?l } } "
             "GROUP BY ?t #" + "shared" * 20)
    target = len(httpx.QueryParams({"query": heavy}).__str__())
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.get("/sparql", params={"query": heavy}), range(8)))
    assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
    time.sleep(0.3)
    records = [json.loads(line) for line in server.log_records()]
    caching = [r["cache"] for r in records if r["path"] == "/sparql" and r["query_bytes"] == target]
    assert sorted(caching) == ["hit"] * 7 + ["miss"]  # one evaluation; seven waited for it


# ----------------------------------------------------------------- safety


def test_sparql_update_is_refused(client: httpx.Client, store: Store) -> None:
    insert = "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }"
    assert_error(client.post("/sparql", content=insert.encode(),
                             headers={"Content-Type": "application/sparql-update"}), 403, "read-only")
    assert_error(client.post("/sparql", data={"update": insert}), 403, "read-only")
    assert_error(client.get("/sparql", params={"query": insert}), 403, "read-only")
    assert_error(client.get("/sparql", params={"update": insert, "using-graph-uri": "x:g"}), 403, "read-only")
    assert_error(client.get("/sparql", params={"query": "ASK {}", "update": insert}), 403, "read-only")
    assert_error(client.get("/sparql", params={"query": "ASK {}", "using-named-graph-uri": "x:g"}), 400,
                 "'using-named-graph-uri' is a parameter of SPARQL Update, not of a query: a query takes its graphs by "
                 "default-graph-uri and named-graph-uri.")
    assert_error(client.get("/sparql", params={"query": "PREFIX ex: <http://example.org/> LOAD <http://127.0.0.1:9/x>"}),
                 403, "read-only")
    assert count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == len(store)


@pytest.mark.parametrize("path", ["/id/city/%zz", "/id/city/%", "/id/city/x%2", "/graph/%zz", "/queries/%",
                                  "/static/%"])
def test_a_path_with_broken_percent_encoding_is_400(client: httpx.Client, path: str) -> None:
    assert_error(client.get(path), 400, "The path has a '%' that starts no escape (%XX): write a percent sign as %25.")


@pytest.mark.parametrize("path", ["/queries/%ff", "/id/city/%e9", "/submissions/%c3%28"])
def test_a_path_that_is_not_utf8_is_400(client: httpx.Client, path: str) -> None:
    assert_error(client.get(path), 400, "The path is not UTF-8: percent-encode the UTF-8 bytes")


@pytest.mark.parametrize(("sent", "plain"), [("/id/study/mashhad-oic/factor/W%36", "/id/study/mashhad-oic/factor/W6"),
                                           ("/ontolog%79", "/ontology"), ("/graph/referenc%65", "/graph/reference")])
def test_a_path_spelled_with_escapes_does_not_change_the_plain_paths_answer(client: httpx.Client, sent: str,
                                                                             plain: str) -> None:
    # the answer cache keys on the path as sent, as the pages read it
    first = client.get(sent)
    assert client.get(sent).status_code == first.status_code  # from the cache, the same
    assert client.get(plain).status_code == 200


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_there_are_no_graph_store_writes(client: httpx.Client, method: str) -> None:
    refused = client.request(method, "/sparql", params={"graph": GRAPH + "x"}, content=b"<a> <b> <c> .")
    assert_error(refused, 405, "/sparql answers GET, HEAD, OPTIONS, POST")
    assert refused.headers["allow"] == "GET, HEAD, OPTIONS, POST"  # OPTIONS: a CORS preflight gets 204
    assert client.request(method, "/store", content=b"x").status_code == 404
    long = client.request(method, "/id/" + "x" * 5000)
    assert long.status_code == 405 and len(long.content) < 400  # the path is cut in the message, as any value


@pytest.mark.parametrize("content_type", ["text/turtle", "application/n-triples", "application/rdf+xml",
                                          "application/ld+json", "application/trig; charset=utf-8",
                                          "application/n-quads"])
def test_a_graph_store_post_is_a_write_refused_with_405(client: httpx.Client, content_type: str, store: Store) -> None:
    for params in ({"graph": GRAPH + "x"}, {"default": ""}, {}):
        refused = client.post("/sparql", params=params, content=b"<http://e.org/a> <http://e.org/b> <http://e.org/c> .",
                              headers={"Content-Type": content_type})
        assert_error(refused, 405, "/sparql takes no Graph Store writes", "read-only",
                     "POST a query as application/sparql-query")
        assert refused.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == len(store)
    # a body citykg reads no query from is still a 415
    assert_error(client.post("/sparql", content=b"x", headers={"Content-Type": "image/png"}), 415)


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z .SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SeRvIcE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    # the SPARQL grammar ends a comment at a bare CR too
    "SELECT * WHERE {{ # a comment\rSERVICE <{url}> {{ ?s ?p ?o }} }}",
    # an escaped # in a prefixed name starts no comment
    "PREFIX ex: <http://example.org/> SELECT * WHERE {{ VALUES ?s {{ ex:a\\# }} SERVICE <{url}> {{}} }}",
    # "<?b)SERVICE#>" reads like an IRI, but the parser sees "<", SERVICE and a comment, and so
    # does the check
    "SELECT * WHERE {{ BIND(1 AS ?a) BIND(2 AS ?b) FILTER(?a<?b)SERVICE#>\n<{url}>{{}} }}",
])
def test_service_is_refused_and_nothing_leaves_the_server(client: httpx.Client, template: str) -> None:
    sink = listener()
    try:
        assert_error(client.get("/sparql", params={"query": template.format(url=sink.url)}), 400,
                     "SERVICE is refused")
        time.sleep(0.3)
        assert sink.received == []
    finally:
        sink.close()


def test_service_in_strings_iris_and_comments_is_not_a_call(client: httpx.Client) -> None:
    query = ('SELECT ?x WHERE { VALUES ?x { "SERVICE <http://127.0.0.1:9/> {}" <http://example.org/SERVICE> } }'
             " # SERVICE <http://127.0.0.1:9/>")
    assert len(select(client, query)) == 2


def test_from_and_from_named_select_local_graphs_only(client: httpx.Client) -> None:
    sink = listener()
    try:
        query = (f"SELECT (COUNT(*) AS ?n) FROM <{sink.url}/a> FROM NAMED <{sink.url}/b> "
                 "WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        assert count(client, query) == 0
        assert count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": sink.url}) == 0
        time.sleep(0.3)
        assert sink.received == []
    finally:
        sink.close()


def test_defaults_bind_loopback_with_safe_limits(server: Running, client: httpx.Client) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    listening = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    local = [fields[1] for fields in listening if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port]
    assert local == [f"0100007F:{port:04X}"]  # 127.0.0.1 only
    limits = client.get("/health").json()["limits"]
    assert limits == {"timeout": 10.0, "max_rows": 10000, "max_bytes": 33554432, "max_body": 1048576,
                      "worker_memory_mb": 4096}
    assert "access-control-allow-origin" not in client.get("/queries", headers={"Origin": "https://x.org"}).headers


def test_a_runaway_query_is_stopped_while_others_are_answered(tight: Running, tight_client: httpx.Client) -> None:
    before = tight_client.get("/health").json()["workers"]
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["response"] = tight_client.get("/sparql", params={"query": RUNAWAY})
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    fast = []
    while thread.is_alive():
        started = time.monotonic()
        response = tight_client.get("/sparql", params={"query": LABELS_OF_W3, "format": "tsv",
                                                       "n": str(len(fast))})  # no cache hits
        fast.append((response.status_code, time.monotonic() - started))
    thread.join()
    assert_error(outcome["response"], 504, "1 s limit", "stopped")  # type: ignore[arg-type]
    assert 0.9 < outcome["seconds"] < 5  # type: ignore[operator]
    assert len(fast) >= 3 and all(status == 200 and seconds < 0.5 for status, seconds in fast), fast
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = tight_client.get("/health").json()["workers"]
        if after["replaced"] == before["replaced"] + 1 and len(after["pids"]) == 2 and after["idle"] == 2:
            break
        time.sleep(0.1)
    assert after["replaced"] == before["replaced"] + 1 and len(after["pids"]) == 2
    gone = set(before["pids"]) - set(after["pids"])
    assert len(gone) == 1  # the runaway's worker was killed (and reaped), so its query truly stopped
    assert not Path(f"/proc/{gone.pop()}").exists()
    assert len(select(tight_client, LABELS_OF_W3)) == 2


def test_rows_are_capped_and_a_capped_answer_says_so(tight_client: httpx.Client) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 100"
    response = tight_client.get("/sparql", params={"query": query})
    assert response.headers["citykg-truncated"] == "true" and response.headers["citykg-max-rows"] == "5"
    body = response.json()
    assert len(body["results"]["bindings"]) == 5 and body["citykg"] == {"truncated": True, "maxRows": 5}
    # a strict SPARQL JSON parser (pyoxigraph's: no member after the bindings) reads it too
    assert len(list(parse_query_results(response.content, format=QueryResultsFormat.JSON))) == 5
    as_csv = tight_client.get("/sparql", params={"query": query, "format": "csv"})
    assert len(as_csv.text.splitlines()) == 6
    graph = tight_client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/turtle"})
    assert graph.headers["citykg-truncated"] == "true" and len(list(parse(graph.content, format=RdfFormat.TURTLE))) == 5
    named = tight_client.get("/queries/tows-matrix", params={"city": "Mashhad"})
    assert named.headers["citykg-truncated"] == "true" and len(named.json()["results"]["bindings"]) == 5
    assert len(list(parse_query_results(named.content, format=QueryResultsFormat.JSON))) == 5
    small = tight_client.get("/sparql", params={"query": LABELS_OF_W3})
    assert "citykg-truncated" not in small.headers and "citykg" not in small.json()
    page = tight_client.get("/id/study/mashhad-oic/factor/W3", headers={"Accept": "text/html"})
    assert page.headers["citykg-truncated"] == "true"
    assert "This page shows the first 5 statements of each list" in page.text
    assert "<h2>Referenced by (the first 5)</h2>" in page.text  # not a count of the whole
    listed = tight_client.get("/graph/reference", headers={"Accept": "text/html"})
    assert "<p>The first 5 triples about 1 subject.</p>" in listed.text


def test_request_bodies_are_capped(tight_client: httpx.Client) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 4096
    assert_error(tight_client.post("/sparql", content=big.encode(),
                                   headers={"Content-Type": "application/sparql-query"}), 413, "2048-byte limit")
    assert tight_client.post("/sparql", content=LABELS_OF_W3.encode(),
                             headers={"Content-Type": "application/sparql-query"}).status_code == 200


def test_cors_lets_only_the_configured_origins_read(tight_client: httpx.Client) -> None:
    allowed = tight_client.get("/sparql", params={"query": LABELS_OF_W3}, headers={"Origin": "https://example.org"})
    assert allowed.headers["access-control-allow-origin"] == "https://example.org"
    assert "citykg-truncated" in allowed.headers["access-control-expose-headers"]
    assert "etag" in allowed.headers["access-control-expose-headers"]  # so a page can revalidate
    other = tight_client.get("/sparql", params={"query": LABELS_OF_W3}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = tight_client.options("/sparql", headers={"Origin": "https://example.org",
                                                         "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and "POST" in preflight.headers["access-control-allow-methods"]
    assert "if-none-match" in preflight.headers["access-control-allow-headers"]


def test_with_cors_every_answer_varies_by_origin(tight: Running, tight_client: httpx.Client) -> None:
    # the same cached answer goes to every origin; browsers and proxies must not reuse one
    # fetched without an allowed origin for an allowed one (or the other way round)
    for origin in (None, "https://evil.example", "https://example.org"):
        for path, params in (("/sparql", {"query": LABELS_OF_W3}), ("/queries/cities", {}), ("/nowhere/x", {})):
            response = tight_client.get(path, params=params, headers={"Origin": origin} if origin else {})
            vary = {v.strip() for v in response.headers.get_list("vary", split_commas=True)}
            assert "origin" in vary, (origin, path, response.headers)
            assert ("access-control-allow-origin" in response.headers) == (origin == "https://example.org")


def test_with_cors_write_routes_and_refused_preflights_vary_by_origin_too(tight_client: httpx.Client) -> None:
    # README: "Every answer to a read then says Vary: Origin, refusals and 404s included"; a write
    # route's answer (POST /submissions, not readable from the origins) varies too, allowing none
    for origin in ("https://example.org", "https://evil.example", None):
        headers = {"Origin": origin} if origin else {}
        answers = [(403, tight_client.post("/submissions", content=b"x", headers=headers)),
                   (404, tight_client.options("/nope", headers={**headers, "Access-Control-Request-Method": "GET"})),
                   (404, tight_client.options("/nope/deeper", headers=headers))]
        for status, response in answers:
            assert response.status_code == status, response.text
            assert response.headers.get_list("vary") == ["origin"], (status, origin, response.headers)
        assert "access-control-allow-origin" not in answers[0][1].headers  # a write: no origin may read it


def test_a_preflight_names_head_where_a_405_does(tight_client: httpx.Client) -> None:
    for path in ("/sparql", "/id/study/mashhad-oic", "/submissions", "/health"):
        preflight = tight_client.options(path, headers={"Origin": "https://example.org",
                                                        "Access-Control-Request-Method": "GET"})
        refused = tight_client.request("PATCH", path)
        assert preflight.status_code == 204 and refused.status_code == 405, path
        assert preflight.headers["allow"] == refused.headers["allow"], path
        assert "HEAD" in preflight.headers["allow"].split(", "), path
    submissions = tight_client.options("/submissions", headers={"Origin": "https://example.org"})
    assert submissions.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert submissions.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"  # not the write


def test_with_cors_refusals_outside_the_routes_are_readable_too(tight: Running, tight_client: httpx.Client) -> None:
    long_url = "/sparql?" + urllib.parse.urlencode({"query": "ASK {} #" + "x" * 70_000})
    for origin in ("https://example.org", "https://evil.example"):
        answers = [
            (404, tight_client.get("/nope", headers={"Origin": origin})),
            (400, raw_request(tight, f"GET /%zz HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nConnection: close\r\n"
                                     "\r\n".encode())),
            (405, tight_client.put("/sparql", content=b"x", headers={"Origin": origin})),
            (414, raw_request(tight, f"GET {long_url} HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\n\r\n".encode())),
            (431, raw_request(tight, f"GET /health HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nX-Big: {'x' * MiB}"
                                     "\r\n\r\n".encode())),
        ]
        for status, response in answers:
            assert response.status_code == status, response.text
            assert response.headers["vary"] == "origin", (status, response.headers)
            allowed = response.headers.get("access-control-allow-origin")
            assert allowed == (origin if origin == "https://example.org" else None), (status, response.headers)


def test_every_request_is_a_json_line_in_the_access_log(server: Running, client: httpx.Client) -> None:
    client.get("/sparql", params={"query": LABELS_OF_W3, "log": "check"})
    client.get("/nowhere")
    time.sleep(0.2)
    records = [json.loads(line) for line in server.log_records()]
    assert {"time", "client", "method", "path", "status", "bytes", "ms", "cache"} <= set(records[-1])
    assert any(r["path"] == "/sparql" and r["status"] == 200 for r in records)
    missing = [r for r in records if r["path"] == "/nowhere"]
    assert missing and missing[-1]["status"] == 404 and "Nothing at /nowhere" in missing[-1]["error"]


def test_the_access_log_has_the_path_as_the_client_sent_it(server: Running) -> None:
    import http.client

    host, port = address(server)
    sent = {"/id/study/mashhad-oic%2Ffactor%2FW3": 404, "/id/study/mashhad-oic/factor/%57%33": 301,
            "/id/city/mashhad%20x": 404}
    for path in sent:  # as written: httpx would normalise them
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request("GET", path + "?format=ttl")
            assert connection.getresponse().status == sent[path], path
        finally:
            connection.close()
    time.sleep(0.3)  # the access log is written every 0.1 s
    logged = {r["path"]: r["status"] for r in map(json.loads, server.log_records()) if r["path"] in sent}
    assert logged == sent  # not the decoded /id/study/mashhad-oic/factor/W3 …


# Run in the server's process before `citykg serve`: a route /fault whose handler has a bug.
PLANT_FAULT = '''
import citykg.submit_http as planted
from citykg.web import Route

real_routes = planted.submission_routes


def with_fault(**options):
    inner = real_routes(**options)

    async def fault(request):
        raise RuntimeError("a planted bug")

    return lambda server: [*inner(server), Route("/fault", fault)]


planted.submission_routes = with_fault
'''


@pytest.mark.parametrize("log", ["-", "off"])
def test_an_internal_error_is_one_json_line_with_its_traceback(built: tuple[Project, BuildResult], tmp_path: Path,
                                                               log: str) -> None:
    running = start_server(built[0].dist, tmp_path / "server", "--access-log", log, preamble=PLANT_FAULT)
    try:
        with httpx.Client(base_url=running.url, timeout=30) as http:
            assert_error(http.get("/fault"), 500, "citykg failed on this request; the server log has the details.")
            assert "Traceback" not in http.get("/fault").text
            assert http.get("/health").status_code == 200  # it goes on serving
            time.sleep(0.3)  # the access log is written every 0.1 s
    finally:
        running.stop()
    lines = [line for line in running.stderr.read_text(encoding="utf-8").splitlines()
             if not line.startswith("citykg: ")]  # its own progress messages
    records = [json.loads(line) for line in lines]  # one JSON object a line, the failures included
    faults = [r for r in records if r["path"] == "/fault"]
    assert len(faults) == 2 and all(r["status"] == 500 and r["method"] == "GET" for r in faults)
    assert faults[0]["error"] == "internal error: RuntimeError: a planted bug"
    trace = faults[0]["traceback"]
    assert trace.startswith("Traceback (most recent call last):\n") and trace.endswith("RuntimeError: a planted bug")
    assert 'File "<string>", line 12, in fault' in trace and "citykg/app.py" in trace
    assert [r["path"] for r in records] == (["/fault", "/fault", "/health"] if log == "-" else ["/fault", "/fault"])


def test_a_busy_port_is_a_clear_error(built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        done = subprocess.run([sys.executable, "-m", "citykg", "--dist", str(project.dist), "serve", "--port", port],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--host", "999.1.1.1", "Pass an address of this machine to --host"),
    ("--access-log", "/nonexistent/folder/access.jsonl", "Cannot write the access log /nonexistent/folder"),
    ("--cors", "example.org", "--cors 'example.org' is not an origin: browsers send an origin as scheme and host (and "
                              "port), with no path, such as https://example.org; did you mean 'https://example.org'? "
                              "Give * for any origin."),
    ("--cors", "https://Example.org/", "did you mean 'https://example.org'?"),
    ("--cors", "https://example.org/app", "did you mean 'https://example.org'?"),
    ("--cors", "https://*.example.org", "--cors 'https://*.example.org' is not an origin: browsers send one origin, "
                                        "such as https://app.example.org, and a * matches only alone, as any origin. "
                                        "Repeat --cors for each origin to allow, or give * for any origin."),
    ("--cors", "https://example.org:99999", "is not an origin"),
])
def test_a_bad_host_cors_origin_or_access_log_is_a_clear_error(built: tuple[Project, BuildResult], option: str,
                                                                value: str, message: str) -> None:
    project, _ = built
    done = subprocess.run([sys.executable, "-m", "citykg", "--dist", str(project.dist), "serve", "--port", "0",
                           option, value], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_csv_answers_neutralise_spreadsheet_formulas(client: httpx.Client) -> None:
    query = 'SELECT ?a ?n ?b WHERE { VALUES (?a ?n ?b) { ("=HYPERLINK(\\"http://x\\",\\"y\\")" -5 "@SUM(1)") } }'
    response = client.get("/sparql", params={"query": query, "format": "csv"})
    assert response.status_code == 200
    assert response.content == b'a,n,b\r\n"\'=HYPERLINK(""http://x"",""y"")",-5,\'@SUM(1)\r\n'
    plain = client.get("/sparql", params={"query": 'SELECT ?a WHERE { VALUES ?a { "x,y" } }', "format": "csv"})
    assert plain.content == b'a\r\n"x,y"\r\n'  # nothing to neutralise: pyoxigraph's CSV as it is


def test_csv_answers_quote_an_iri_with_a_comma_as_one_cell(client: httpx.Client) -> None:
    query = 'SELECT ?e ?n WHERE { VALUES (?e ?n) { (<http://ex.org/x,y> 1) (<http://ex.org/a,=b> "=2") } }'
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.content == b'e,n\r\n"http://ex.org/x,y",1\r\n"http://ex.org/a,=b",\'=2\r\n'
    tsv = client.get("/sparql", params={"query": query}, headers={"Accept": "text/tab-separated-values"})
    assert tsv.content == b'?e\t?n\n<http://ex.org/x,y>\t1\n<http://ex.org/a,=b>\t"=2"\n'


def test_page_format_json_is_json_ld_and_two_formats_are_an_error(client: httpx.Client) -> None:
    page = client.get("/id/study/mashhad-oic/factor/W3", params={"format": "json"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("application/ld+json")
    assert_error(client.get("/id/study/mashhad-oic/factor/W3?format=ttl&format=nt"), 400,
                 "The 'format' values name different formats ('ttl' and 'nt'). Give one format.")
    for query in ("format=ttl&format=ttl", "format=TTL", "format=ttl&format=text%2Fturtle"):  # as /sparql takes
        again = client.get(f"/id/study/mashhad-oic/factor/W3?{query}")
        assert again.status_code == 200 and again.headers["content-type"].startswith("text/turtle")


def test_a_page_path_written_otherwise_is_sent_to_its_normal_form(client: httpx.Client) -> None:
    import http.client

    for path in ("/id/study/mashhad-oic/factor/%57%33", "/id/study/mashhad-oic/./factor/W3",
                 "/id/study/mashhad-oic/x/../factor/W3", "/id/study/mashhad-oic/factor/W3/",
                 "/id/study/mashhad-oic/factor/W3//"):  # sent as written (httpx would remove the dots)
        connection = http.client.HTTPConnection(client.base_url.host, client.base_url.port, timeout=30)
        try:
            connection.request("GET", path + "?format=ttl")
            moved = connection.getresponse()
            assert (moved.status, moved.getheader("location")) == (301, "/id/study/mashhad-oic/factor/W3?format=ttl")
        finally:
            connection.close()
    for path in ("/id/..", "/id/%2e%2e", "/graph/x/../.."):  # up to the root: the query page
        connection = http.client.HTTPConnection(client.base_url.host, client.base_url.port, timeout=30)
        try:
            connection.request("GET", path)
            moved = connection.getresponse()
            assert (moved.status, moved.getheader("location")) == (301, "/"), path
        finally:
            connection.close()
    for path in ("/id/..//evil.example/x", "/id/%2e%2e//evil.example", "/graph/..//evil.example"):
        connection = http.client.HTTPConnection(client.base_url.host, client.base_url.port, timeout=30)
        try:  # a path whose normal form starts with // would send the client to another host
            connection.request("GET", path)
            refused = connection.getresponse()
            assert (refused.status, refused.getheader("location")) == (404, None), path
            assert b"the path leaves the pages" in refused.read()
        finally:
            connection.close()
    followed = client.get("/id/study/mashhad-oic/factor/%57%33", follow_redirects=True)
    assert followed.status_code == 200 and "City-diplomacy activities not properly used" in followed.text


def test_a_format_name_in_any_case_and_a_406_that_lists_the_forms_types(client: httpx.Client) -> None:
    upper = client.get("/sparql", params={"query": "ASK {}", "format": "JSON"})
    assert upper.status_code == 200 and upper.json()["boolean"] is True
    error = assert_error(client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/html"}), 406,
                         "application/sparql-results+json")
    assert "text/turtle" not in error  # a SELECT or ASK is never Turtle
    error = assert_error(client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                                    headers={"Accept": "text/html"}), 406, "text/turtle")
    assert "sparql-results" not in error


def test_a_query_body_may_start_with_a_byte_order_mark(client: httpx.Client) -> None:
    response = client.post("/sparql", content="\ufeffASK { ?s ?p ?o }".encode(),
                           headers={"Content-Type": "application/sparql-query", "Accept": "application/json"})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_the_cache_tells_posts_apart_by_their_content_type(client: httpx.Client) -> None:
    for content_type, status in [("application/sparql-update", 403), ("application/x-www-form-urlencoded", 400),
                                 ("text/plain", 415), ("application/sparql-update", 403)]:
        response = client.post("/sparql?same=1", content=b"", headers={"Content-Type": content_type})
        assert response.status_code == status, (content_type, response.text)


# ----------------------------------------------------------------- named queries


def test_the_catalogue_lists_every_named_query(client: httpx.Client) -> None:
    catalogue = client.get("/queries").json()
    names = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    assert sorted(q["name"] for q in catalogue) == names
    factor = next(q for q in catalogue if q["name"] == "strategies-for-factor")
    assert factor["columns"] == ["code", "label", "type"]
    assert [(p["name"], p["type"], p["required"]) for p in factor["parameters"]] == [
        ("factor", "code", True), ("city", "city", False), ("study", "study", False)]
    assert factor["example"] == {"factor": "W3", "city": "Mashhad"} and "SELECT" in factor["sparql"]


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv"])
def test_a_named_query_answers_as_the_cli_does(client: httpx.Client, built: tuple[Project, BuildResult],
                                               fmt: str) -> None:
    project, _ = built
    cli_output = CliRunner().invoke(cli, ["--dist", str(project.dist), "query", "strategies-for-factor",
                                          "-p", "factor=W3", "-p", "city=Mashhad", "--format", fmt])
    assert cli_output.exit_code == 0
    response = client.get("/queries/strategies-for-factor", params={"factor": "W3", "city": "Mashhad", "format": fmt})
    assert response.status_code == 200 and response.content == cli_output.stdout_bytes  # CRLF in CSV too
    codes = [line.split(",")[0] for line in cli_output.stdout.splitlines()[1:]] if fmt == "csv" else None
    assert codes in (None, ["WO1", "WO4", "WT1", "WT2"])


def test_a_named_query_whose_rows_mix_studies_names_them_in_a_header(two_studies_project: Project,
                                                                      tmp_path: Path) -> None:
    running = start_server(two_studies_project.dist, tmp_path / "server", "--cors", "https://example.org",
                           root=two_studies_project.root)
    try:
        with httpx.Client(base_url=running.url, timeout=30) as http:
            mixed = http.get("/queries/tows-matrix", params={"city": "Mashhad"}, headers={"Origin": "https://example.org"})
            assert mixed.status_code == 200 and len(mixed.json()["results"]["bindings"]) == 13
            assert mixed.headers["citykg-studies"] == "follow-up, mashhad-oic"
            assert "citykg-studies" in mixed.headers["access-control-expose-headers"]
            again = http.get("/queries/tows-matrix", params={"city": "Mashhad"}, headers={"Origin": "https://example.org"})
            assert again.headers["citykg-studies"] == "follow-up, mashhad-oic"  # the cached answer too
            one = http.get("/queries/tows-matrix", params={"city": "Mashhad", "study": "mashhad-oic"})
            assert one.status_code == 200 and "citykg-studies" not in one.headers
    finally:
        running.stop()


def test_an_empty_named_answer_says_what_the_studies_lack_in_a_header(client: httpx.Client) -> None:
    lacking = client.get("/queries/unaddressed-factors", params={"city": "تبریز"})
    assert lacking.status_code == 200 and lacking.json()["results"]["bindings"] == []
    assert urllib.parse.unquote(lacking.headers["citykg-lacking"]) == "no study of 'تبریز' has SWOT factors"
    again = client.get("/queries/unaddressed-factors", params={"city": "تبریز", "format": "csv"})
    assert urllib.parse.unquote(again.headers["citykg-lacking"]) == "no study of 'تبریز' has SWOT factors"
    answered = client.get("/queries/unaddressed-factors", params={"city": "Mashhad"})
    assert answered.json()["results"]["bindings"] and "citykg-lacking" not in answered.headers


def test_an_answer_that_changes_from_run_to_run_is_not_cached(client: httpx.Client) -> None:
    query = "SELECT (STRUUID() AS ?id) (NOW() AS ?now) WHERE {}"
    answers = {client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"}).text for _ in range(3)}
    assert len(answers) == 3
    same = {client.get("/sparql", params={"query": "SELECT ('NOW()' AS ?x) WHERE {}"}).text for _ in range(2)}
    assert len(same) == 1  # NOW() in a string is no call


def test_health_is_never_looked_up_in_the_cache(client: httpx.Client) -> None:
    first = client.get("/health").json()["cache"]
    second = client.get("/health").json()["cache"]
    assert (second["hits"], second["misses"]) == (first["hits"], first["misses"])


def test_a_406_varies_by_accept_and_a_refused_id_is_cut(client: httpx.Client) -> None:
    refused = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/html"})
    assert refused.status_code == 406 and refused.headers["vary"] == "accept"
    page = client.get("/id/study/mashhad-oic/factor/W3", headers={"Accept": "text/csv"})
    assert page.status_code == 406 and page.headers["vary"] == "accept"
    long = client.get("/submissions/" + "x" * 20_000)
    assert long.status_code == 404 and len(long.content) < 400 and "x" * 79 + "…" in long.json()["error"]


def test_named_query_formats_by_accept(client: httpx.Client) -> None:
    xml = client.get("/queries/cities", headers={"Accept": "application/sparql-results+xml"})
    assert xml.headers["content-type"] == "application/sparql-results+xml"
    assert len(list(parse_query_results(xml.content, format=QueryResultsFormat.XML))) >= 2  # type: ignore[arg-type]
    assert_error(client.get("/queries/cities", headers={"Accept": "text/turtle"}), 406)
    # ?format= takes a name or a media type, as on /sparql
    by_type = client.get("/queries/cities", params={"format": "text/csv"})
    assert by_type.headers["content-type"].startswith("text/csv") and by_type.text.startswith("city,")
    assert_error(client.get("/queries/cities", params={"format": "ttl"}), 400,
                 "format=ttl is for CONSTRUCT and DESCRIBE; a SELECT query takes json, xml, csv or tsv.")
    assert_error(client.get("/queries/cities", params={"format": "png"}), 400, "Unknown format 'png'")
    # an unknown format is told the formats of what it asks for: a SELECT's results, RDF for the rest
    assert_error(client.get("/queries/cities", params={"format": "table"}), 400, "Unknown format 'table' (table is "
                 "citykg query's; over HTTP, csv or tsv). Use one of: json, xml, csv, tsv, or a media type of them.")
    for params in ({"query": "DESCRIBE <http://x>", "format": "foo"}, {"format": "foo"}):
        refused = client.get("/sparql", params=params)
        assert_error(refused, 400, "Unknown format 'foo'. Use one of: json, xml, ttl, turtle, nt,")


def test_named_query_value_errors_are_the_clis(client: httpx.Client, built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    cases = [({"factor": "W3", "town": "x"}, ["-p", "factor=W3", "-p", "town=x"]),
             ({"factor": "W3", "city": "Mashad"}, ["-p", "factor=W3", "-p", "city=Mashad"]), ({"factor": "Z"}, ["-p", "factor=Z"]),
             ({"factor": "SO1"}, ["-p", "factor=SO1"])]
    for params, args in cases:
        result = CliRunner().invoke(cli, ["--dist", str(project.dist), "query", "strategies-for-factor", *args])
        assert result.exit_code == 2
        message = result.stderr.strip().removeprefix("Error: ")
        assert assert_error(client.get("/queries/strategies-for-factor", params=params), 400) == message


def test_named_query_usage_errors_say_how_to_ask_over_http(client: httpx.Client) -> None:
    missing = assert_error(client.get("/queries/strategies-for-factor", params={"city": "Mashhad"}), 400,
                           "Query 'strategies-for-factor' needs ?factor=VALUE: The factor's code")
    assert "--param" not in missing
    unknown = assert_error(client.get("/queries/nope"), 404, "Unknown query 'nope'.", "See GET /queries.")
    assert "citykg query" not in unknown
    assert_error(client.get("/queries/strategy-for-factor"), 404, "Did you mean 'strategies-for-factor'?",
                 "See GET /queries.")


def test_named_queries_take_a_city_in_any_language_and_check_kinds(client: httpx.Client) -> None:
    def rows(name: str, **params: str) -> list[list[str]]:
        response = client.get(f"/queries/{name}", params={**params, "format": "csv"})
        assert response.status_code == 200, response.text
        return list(csv.reader(io.StringIO(response.text)))[1:]

    mashhad = rows("tows-matrix", city="Mashhad")
    assert len(mashhad) == 12 and rows("tows-matrix", city="مشهد") == mashhad
    assert rows("themes-by-consensus", city="تبریز") == rows("themes-by-consensus", city="tabriz") != []
    assert rows("factor-coverage", city="Mashhad", kind="Weakness") == rows("factor-coverage", kind="weakness", city="Q121157")
    assert_error(client.get("/queries/factor-coverage", params={"kind": "foo"}), 400, "kind='foo' is not a kind",
                 "strength, weakness, opportunity or threat")
    assert_error(client.get("/queries/factors-for-strategy", params={"strategy": "W3"}), 400,
                 "W3 is a factor, not a strategy: see strategies-for-factor.")


def test_a_huge_value_is_cut_short_in_the_error(client: httpx.Client) -> None:
    huge = "A" * 60_000  # httpx sends up to 64 KiB of query string
    for name, params in [("tows-matrix", {"city": huge}), ("tows-matrix", {huge: "x"}),
                         ("factor-coverage", {"kind": huge}), ("strategies-for-factor", {"factor": huge})]:
        response = client.get(f"/queries/{name}", params=params)
        error = assert_error(response, 400, "A" * 79 + "…")
        assert len(response.content) < 1000, error


def test_a_long_static_file_name_is_cut_short_in_the_error(client: httpx.Client) -> None:
    error = assert_error(client.get("/static/" + "z" * 300), 404)
    assert error == "No static file '" + "z" * 79 + "…'. See / for the query page."


# ----------------------------------------------------------------- linked data


def links(page: str) -> list[str]:
    import re

    return re.findall(r'href="([^"]+)"', page)


def test_a_reader_clicks_from_a_strategy_to_its_factors_and_their_sources(client: httpx.Client) -> None:
    strategy = client.get("/id/study/mashhad-oic/strategy/WO1", headers={"Accept": "text/html"})
    assert strategy.status_code == 200 and strategy.headers["content-type"].startswith("text/html")
    assert "Devise a suitable mechanism for attracting foreign investment" in strategy.text
    assert "default-src 'self'" in strategy.headers["content-security-policy"]
    factor_link = "/id/study/mashhad-oic/factor/W3"
    assert factor_link in links(strategy.text)
    factor = client.get(factor_link, headers={"Accept": "text/html"})
    assert "City-diplomacy activities not properly used" in factor.text
    assert re.search(r'<span dir="auto" lang="fa">[^<]*[\u0600-\u06ff]', factor.text)  # Persian, marked as such
    assert "/id/study/mashhad-oic/strategy/WO1" in links(factor.text)  # referenced by, back to the strategy
    source = next(link for link in links(factor.text) if link.startswith("/id/source/mashhad-oic/"))
    row = client.get(source, headers={"Accept": "text/html"})
    assert row.status_code == 200 and "mashhad-oic" in row.text


@pytest.mark.parametrize(("accept", "fmt"), [("text/turtle", RdfFormat.TURTLE), ("application/ld+json", RdfFormat.JSON_LD),
                                             ("application/n-triples", RdfFormat.N_TRIPLES)])
def test_entity_pages_are_data_for_programs(client: httpx.Client, accept: str, fmt: RdfFormat, store: Store) -> None:
    response = client.get("/id/study/mashhad-oic/strategy/WO1", headers={"Accept": accept})
    assert response.headers["content-type"].startswith(accept)
    triples = {q.triple for q in parse(response.content, format=fmt)}
    expected = {q.triple for q in store.quads_for_pattern(NamedNode(WO1), None, None, None)}
    assert expected and expected <= triples
    as_param = client.get("/id/study/mashhad-oic/strategy/WO1", params={"format": "ttl"})
    assert as_param.headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize(("accept", "content_type"), [
    ("application/*", "application/n-triples"),  # not an HTML page by way of application/xhtml+xml
    ("application/xhtml+xml", "text/html"),      # named: the page
    ("text/*", "text/html"),
])
def test_an_entity_page_by_wildcard_accept_is_a_type_it_names(client: httpx.Client, accept: str,
                                                              content_type: str) -> None:
    response = client.get("/id/study/mashhad-oic/strategy/WO1", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == content_type


def test_a_study_page_is_titled_with_the_study_title(client: httpx.Client) -> None:
    page = client.get("/id/study/mashhad-oic", headers={"Accept": "text/html"})
    title = "City diplomacy of Mashhad with the cities of the Islamic countries"
    assert page.status_code == 200 and f"<title>{title}" in page.text and f'<h1 dir="auto">{title}' in page.text
    factor = client.get("/id/study/mashhad-oic/factor/W3", headers={"Accept": "text/html"})
    assert f">{title}" in factor.text  # and so is every link to it
    row = client.get("/id/source/mashhad-oic/factors/3", headers={"Accept": "text/html"})  # a record with no label
    assert "<title>id/source/mashhad-oic/factors/3 · citykg" in row.text
    assert '<h1 dir="auto">id/source/mashhad-oic/factors/3</h1>' in row.text and ">id/source/mashhad-oic/factors</a>" in row.text


def test_ontology_and_graph_pages(client: httpx.Client) -> None:
    ontology = client.get("/ontology", headers={"Accept": "text/html"})
    assert ontology.status_code == 200 and 'id="Strength"' in ontology.text
    terms = list(parse(client.get("/ontology", params={"format": "ttl"}).content, format=RdfFormat.TURTLE))
    assert any(t.subject == NamedNode("https://w3id.org/citykg/ontology#Strength") for t in terms)
    graph = client.get("/graph/tabriz-2024", headers={"Accept": "text/html"})
    assert graph.status_code == 200 and re.search(r"<p>[0-9,]+ triples about [0-9,]+ subjects\.</p>", graph.text)


def test_an_unknown_iri_is_a_404(client: httpx.Client) -> None:
    assert_error(client.get("/id/study/mashhad-oic/factor/W99"), 404, "says nothing about")
    assert_error(client.get("/nowhere"), 404, "Nothing at /nowhere")


# ----------------------------------------------------------------- the page, health, reload


def test_the_query_page_is_self_contained(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ["/static/app.js", "/static/style.css", "/"]:
        text = client.get(asset).text
        assert asset == "/" or client.get(asset).status_code == 200
        outside = [url for url in links(text) + [s for s in text.split('"') if s.startswith("http")]
                   if url.startswith(("http://", "https://", "//")) and "w3id.org" not in url and "w3.org" not in url
                   and "wikidata.org" not in url]
        assert outside == [], asset


def test_health_reports_the_build(server: Running, client: httpx.Client, built: tuple[Project, BuildResult],
                                  store: Store) -> None:
    _, result = built
    health = client.get("/health").json()
    assert health["ok"] is True and health["build"] == result.build_id
    assert health["quads"] == len(store) and health["graphs"] == 4 and health["workers"]["size"] == 2
    assert health["process"]["pid"] == server.process.pid and health["process"]["of"] == 1


def test_serve_builds_first_then_follows_new_builds(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    running = start_server(dist, tmp_path / "server", "--access-log", "off")
    try:
        assert "building it" in running.stderr.read_text()
        probe = f"ASK {{ <{ID}probe> <{ID}probe> 'new build' }}"
        with httpx.Client(base_url=running.url, timeout=30) as http:
            first, quads = (http.get("/health").json()[k] for k in ("build", "quads"))
            assert http.get("/sparql", params={"query": probe}).json()["boolean"] is False
            # A later build (or an accepted submission) writes a new build folder and switches the link.
            current = (dist / "current").resolve()
            shutil.copytree(current, dist / "builds" / "probe")
            store = Store(str(dist / "builds" / "probe" / "store"))
            store.add(Quad(NamedNode(ID + "probe"), NamedNode(ID + "probe"), Literal("new build"), NamedNode(GRAPH + "probe")))
            store.flush()
            del store
            (dist / ".current-test").symlink_to(Path("builds") / "probe")
            os.replace(dist / ".current-test", dist / "current")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and http.get("/health").json()["build"] == first:
                time.sleep(0.1)
            health = http.get("/health").json()
            # the copied folder's info.json is of the other build: the new one is counted anew
            assert (health["build"], health["quads"], health["graphs"]) == ("probe", quads + 1, 5)
            assert http.get("/sparql", params={"query": probe}).json()["boolean"] is True
    finally:
        running.stop()
    assert running.process.returncode == 0


def test_a_broken_query_file_is_a_clear_error_until_it_is_fixed(built: tuple[Project, BuildResult], tmp_path: Path) -> None:
    from conftest import copy_project

    project = copy_project(tmp_path / "project", folders=())
    running = start_server(built[0].dist, tmp_path / "server", root=project.root)
    broken, other = project.queries / "cities.rq", project.queries / "studies.rq"
    text = broken.read_text(encoding="utf-8")

    def until(check: Callable[[httpx.Response], bool], path: str) -> httpx.Response:
        deadline = time.monotonic() + 10
        response = http.get(path)
        while not check(response) and time.monotonic() < deadline:
            time.sleep(0.1)
            response = http.get(path)
        return response

    try:
        with httpx.Client(base_url=running.url, timeout=30) as http:
            assert http.get("/queries").status_code == 200
            broken.write_text(text.replace("#+ columns:", "#+ columns", 1), encoding="utf-8")
            listed = CliRunner().invoke(cli, ["--project", str(project.root), "query", "--list"])
            line = 1 + text.splitlines().index(next(t for t in text.splitlines() if t.startswith("#+ columns:")))
            assert listed.exit_code == 2 and f"{broken}:{line}: malformed header line" in listed.stderr  # file, line
            # the same message, naming the file as the project has it, not where it is on the server
            message = listed.stderr.strip().removeprefix("Error: ").replace(str(broken), "queries/cities.rq")
            assert message.startswith(f"queries/cities.rq:{line}: malformed header line")
            error = assert_error(until(lambda r: r.status_code != 200, "/queries"), 500, message)
            assert "Traceback" not in error and "Fix the file" in error and str(project.root) not in error
            assert_error(http.get("/queries/studies"), 500, message)
            assert http.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
            # Another file is edited while the first is broken; both changes show once it is fixed.
            other.write_text(other.read_text(encoding="utf-8").replace("#+ summary: ", "#+ summary: Edited: ", 1),
                             encoding="utf-8")
            broken.write_text(text, encoding="utf-8")
            fixed = until(lambda r: r.status_code == 200, "/queries")
            assert fixed.status_code == 200, fixed.text
            assert next(q for q in fixed.json() if q["name"] == "studies")["summary"].startswith("Edited: ")
            assert http.get("/queries/cities", params={"format": "csv"}).text.startswith("city,")
    finally:
        running.stop()
    assert "Traceback" not in running.stderr.read_text()
