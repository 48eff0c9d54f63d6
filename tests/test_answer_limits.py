"""What an answer may hold, against a real `citykg serve` on 127.0.0.1 (and `citykg query`).

XML answers (SPARQL XML results, RDF/XML from /sparql and from entity pages) are well-formed for
a strict XML parser (expat), or refused with a 406 that names the value and the formats that can
carry it; so is a triple term asked for as JSON-LD. Answers are capped in bytes: cut at a whole
row and marked, or a 422 if their first row alone is over the cap, never a 500, and the server
process holds a few times the cap at most, however large the answer would have been.
"""

from __future__ import annotations

import json
import time
import xml.parsers.expat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat, Store, parse
from serving import Running, assert_error, start_server

from citykg.build import BuildResult
from citykg.cli import cli
from citykg.project import Project

MIB = 1_048_576
RDFXML = "application/rdf+xml"


@pytest.fixture(scope="module")
def limits_server(built: tuple[Project, BuildResult], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A server of its own, with no answer cache: its memory is measured."""
    project, _ = built
    running = start_server(project.dist, tmp_path_factory.mktemp("limits-server"), "--cache", "0")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(limits_server: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limits_server.url, timeout=120) as client:
        yield client


def well_formed(body: bytes) -> None:
    xml.parsers.expat.ParserCreate(namespace_separator=" ").Parse(body, True)


def sparql(http: httpx.Client, query: str, fmt: str) -> httpx.Response:
    return http.post("/sparql", data={"query": query, "format": fmt})


def doubled(times: int, start: str = "abcdefgh") -> tuple[str, str]:
    """BINDs that double a string with CONCAT ``times`` times, as the audit did, and the variable."""
    binds = " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(times))
    return f'BIND("{start}" AS ?a0) {binds}', f"?a{times}"


def high_water_mib(process: int) -> int:
    """The most memory the process has held (VmHWM), in MiB."""
    status = Path(f"/proc/{process}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) // 1024


# ----------------------------------------------------------------- XML: well-formed, or a 406 that says why


@pytest.mark.parametrize("char", ["\u0001", "\u000b", "\u001f", "\ufffe"])
def test_a_value_xml_cannot_carry_is_a_406_in_xml_and_fine_elsewhere(http: httpx.Client, char: str) -> None:
    query = f'SELECT ?x WHERE {{ BIND("a{char}b" AS ?x) }}'
    assert_error(sparql(http, query, "xml"), 406, f"U+{ord(char):04X}", repr(f"a{char}b"), "XML 1.0 cannot carry",
                 "Ask for SPARQL JSON, CSV or TSV instead")
    assert sparql(http, query, "json").json()["results"]["bindings"][0]["x"]["value"] == f"a{char}b"
    construct = f'CONSTRUCT {{ <https://example.org/s> rdfs:label "a{char}b" }} WHERE {{}}'
    assert_error(sparql(http, construct, "rdfxml"), 406, f"U+{ord(char):04X}", "Ask for Turtle, N-Triples or JSON-LD")
    assert sparql(http, construct, "nt").status_code == 200


def test_xml_answers_that_can_be_written_are_well_formed(http: httpx.Client) -> None:
    values = ' '.join(json.dumps(v, ensure_ascii=False) for v in ["a\r\nb", " <&> ", "]]>", "\t", "تبریز"])
    response = sparql(http, f"SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }}", "xml")
    assert response.status_code == 200 and response.headers["content-type"] == "application/sparql-results+xml"
    well_formed(response.content)
    graph = sparql(http, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 2000", "rdfxml")
    assert graph.status_code == 200, graph.text
    well_formed(graph.content)
    assert len(list(parse(graph.content, format=RdfFormat.RDF_XML))) == 2000
    numbers = " ".join(map(str, range(20)))
    nodes = sparql(http, f"CONSTRUCT {{ ?b rdfs:label 'x' }} WHERE {{ VALUES ?n {{ {numbers} }} BIND(BNODE() AS ?b) }}",
                   "rdfxml")
    well_formed(nodes.content)
    assert len(list(parse(nodes.content, format=RdfFormat.RDF_XML))) == 20  # rdf:nodeID takes the labels


@pytest.mark.parametrize(("predicate", "words"), [
    ("<http://p/>", "the predicate <http://p/>"),
    ("<http://p/1>", "the predicate <http://p/1>"),
    ("ckg:", "the predicate <https://w3id.org/citykg/ontology#>"),
    ("rdf:about", "it is a term of RDF/XML's own syntax"),
])
def test_a_predicate_rdf_xml_cannot_write_is_a_406(http: httpx.Client, predicate: str, words: str) -> None:
    construct = f'CONSTRUCT {{ <https://example.org/s> {predicate} "x" }} WHERE {{}}'
    response = http.get("/sparql", params={"query": construct}, headers={"Accept": RDFXML})
    message = assert_error(response, 406, words, "Ask for Turtle, N-Triples or JSON-LD instead")
    assert "oxprefix" not in message and "Error" not in message
    assert sparql(http, construct, "ttl").status_code == 200


def test_entity_pages_in_rdf_xml_are_well_formed(http: httpx.Client, built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    store = Store.read_only(str(project.store.resolve()))
    found = store.query("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s a ?type } FILTER(STRSTARTS(STR(?s), "
                        "'https://w3id.org/citykg/id/')) } ORDER BY ?s LIMIT 40")
    paths = ["/ontology", "/graph/reference", *(s["s"].value.removeprefix("https://w3id.org/citykg") for s in found)]  # type: ignore[union-attr]
    for path in paths:
        response = http.get(path, params={"format": "rdfxml"})
        assert response.status_code == 200 and response.headers["content-type"] == RDFXML, (path, response.text)
        well_formed(response.content)
        assert list(parse(response.content, format=RdfFormat.RDF_XML)), path  # and read back as RDF/XML


def test_a_triple_term_asked_for_as_json_ld_is_a_406(http: httpx.Client) -> None:
    construct = "CONSTRUCT { <https://example.org/s> rdfs:seeAlso <<( <https://example.org/s> rdfs:label 'x' )>> } WHERE {}"
    message = assert_error(sparql(http, construct, "jsonld"), 406, "JSON-LD cannot carry the triple term",
                           "Turtle, N-Triples")
    assert "OSError" not in message
    for fmt in ("ttl", "nt", "rdfxml"):
        assert sparql(http, construct, fmt).status_code == 200


def test_the_cli_refuses_what_a_format_cannot_carry(runner: CliRunner, built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    for fmt, query, words in (
        ("rdfxml", "CONSTRUCT { <https://example.org/s> <http://p/1> 'x' } WHERE {}", "the predicate <http://p/1>"),
        ("rdfxml", "CONSTRUCT { <https://example.org/s> rdfs:label 'a\\u0001' } WHERE {}", "U+0001"),
        ("jsonld", "CONSTRUCT { <https://example.org/s> rdfs:seeAlso <<( <https://example.org/s> rdfs:label 'x' )>> } "
                   "WHERE {}", "JSON-LD cannot carry the triple term"),
    ):
        result = runner.invoke(cli, ["--dist", str(project.dist), "query", "--file", "-", "-f", fmt], input=query)
        assert result.exit_code == 2 and words in result.stderr and not result.stdout, result.output
        assert "Traceback" not in result.output


# ----------------------------------------------------------------- the byte cap


def test_the_audits_answer_of_128_mib_is_a_422_not_a_500(http: httpx.Client, limits_server: Running) -> None:
    binds, value = doubled(23, "abcdefghijklmnop")  # 16 × 2^23 bytes: 128 MiB in one row
    before = http.get("/health").json()["workers"]["replaced"]
    for fmt in ("json", "xml", "csv", "tsv"):
        response = sparql(http, f"SELECT ?x WHERE {{ {binds} BIND({value} AS ?x) }}", fmt)
        message = assert_error(response, 422, "The first row of this answer alone is over the 32 MiB limit",
                               "SUBSTR(?value, 1, 10000)")
        assert "Error" not in message
    construct = sparql(http, f"CONSTRUCT {{ <https://example.org/s> rdfs:label {value} }} WHERE {{ {binds} }}", "ttl")
    assert_error(construct, 422, "The first triple of this answer alone")
    assert http.get("/health").json()["workers"]["replaced"] == before  # refused, not crashed


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_value_of_16_mib_is_answered(http: httpx.Client, fmt: str) -> None:
    binds, value = doubled(21)  # 16 MiB: JSON and XML answers were parsed again, and failed there (500)
    response = sparql(http, f"SELECT ?x WHERE {{ {binds} BIND({value} AS ?x) }}", fmt)
    assert response.status_code == 200, response.text[:300]
    if fmt == "json":
        assert len(response.json()["results"]["bindings"][0]["x"]["value"]) == 16 * MIB
    else:
        well_formed(response.content)
        assert len(response.content) > 16 * MIB


def test_a_large_answer_is_cut_at_a_whole_row_and_says_so(http: httpx.Client, limits_server: Running) -> None:
    binds, value = doubled(17)  # a megabyte a row, 128 rows: a 128 MiB answer uncapped
    numbers = " ".join(map(str, range(128)))
    query = f"SELECT ?n ?x WHERE {{ VALUES ?n {{ {numbers} }} {binds} BIND(CONCAT(STR(?n), {value}) AS ?x) }} ORDER BY ?n"
    time.sleep(0.2)
    before = high_water_mib(limits_server.process.pid)
    response = sparql(http, query, "json")
    assert response.status_code == 200 and response.headers["citykg-truncated"] == "true"
    assert response.headers["citykg-max-bytes"] == str(32 * MIB) and "citykg-max-rows" not in response.headers
    body = response.json()
    assert body["citykg"] == {"truncated": True, "maxBytes": 32 * MIB} and len(response.content) <= 32 * MIB
    rows = body["results"]["bindings"]
    assert len(rows) == 31 and [int(r["n"]["value"]) for r in rows] == list(range(31))  # whole rows, in order
    assert all(len(r["x"]["value"]) == MIB + len(r["n"]["value"]) for r in rows)
    for fmt in ("xml", "csv", "tsv"):
        other = sparql(http, query, fmt)
        assert other.status_code == 200 and other.headers["citykg-truncated"] == "true"
        assert 31 * MIB < len(other.content) <= 32 * MIB
    # the server process held a few times the cap at most (it held about four times the answer)
    assert high_water_mib(limits_server.process.pid) - before < 5 * 32
