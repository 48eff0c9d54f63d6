"""The SPARQL 1.1 Service Description that ``GET /sparql`` (with no query) answers.

It says what the endpoint is (read-only SPARQL 1.1 Query, union default graph), which result
formats it writes, its limits, and the named graphs of the build with their sizes. Turtle by
default; N-Triples, RDF/XML or JSON-LD by ``Accept`` or ``?format=``. The sizes come from the
build's ``info.json`` (:mod:`citykg.buildinfo`), so the description never waits for a query worker.

Example::

    >>> triples = description_triples("http://127.0.0.1:8000/sparql",
    ...                               {"https://w3id.org/citykg/graph/reference": 10}, "10 s")
    >>> any(t.object.value.endswith("SPARQL11Query") for t in triples)
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyoxigraph import BlankNode, Literal, NamedNode, Triple, serialize

from citykg.evaluate import GRAPH_FORMATS
from citykg.iris import DCTERMS, RDF, RDFS
from citykg.sparql import GRAPH_TYPES
from citykg.web import HttpError, Request, Response

if TYPE_CHECKING:
    from citykg.serve import Server

__all__ = ["description", "description_triples"]

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
_WRITES = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
           "Turtle", "N-Triples", "RDF_XML", "JSON-LD")
_PREFIXES = {"sd": SD, "void": VOID, "formats": FORMATS, "dcterms": DCTERMS, "rdfs": RDFS}



def description_triples(endpoint: str, graphs: dict[str, int], limits: str) -> list[Triple]:
    """The service description of ``endpoint`` serving ``graphs`` (IRI → triples).

    :param endpoint: the absolute URL of ``/sparql`` as the client reached it.
    :param graphs: the named graphs and their sizes.
    :param limits: the limits in words, for a human reader (``rdfs:comment``).
    """
    # blank nodes of fixed labels: the same bytes (and ETag) from every server process
    service, dataset, default = NamedNode(endpoint), BlankNode("dataset"), BlankNode("default")
    a = NamedNode(RDF + "type")

    def sd(name: str) -> NamedNode:
        return NamedNode(SD + name)

    triples = [
        Triple(service, a, sd("Service")),
        Triple(service, sd("endpoint"), service),
        Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        Triple(service, NamedNode(DCTERMS + "title"),
               Literal("citykg: a knowledge graph of city diplomacy", language="en")),
        Triple(service, NamedNode(RDFS + "comment"), Literal(
            f"Read-only: SPARQL Update and SERVICE are refused. Limits: {limits}.", language="en")),
        *(Triple(service, sd("resultFormat"), NamedNode(FORMATS + name)) for name in _WRITES),
        Triple(service, sd("defaultDataset"), dataset),
        Triple(dataset, a, sd("Dataset")),
        Triple(dataset, sd("defaultGraph"), default),
        Triple(default, a, sd("Graph")),
        Triple(default, NamedNode(RDFS + "comment"), Literal("The union of the named graphs.", language="en")),
    ]
    for n, (iri, size) in enumerate(sorted(graphs.items())):
        named, graph = BlankNode(f"named{n}"), BlankNode(f"graph{n}")
        triples += [Triple(dataset, sd("namedGraph"), named), Triple(named, a, sd("NamedGraph")),
                    Triple(named, sd("name"), NamedNode(iri)), Triple(named, sd("graph"), graph),
                    Triple(graph, a, sd("Graph")), Triple(graph, NamedNode(VOID + "triples"), Literal(size))]
    return triples


async def description(server: Server, request: Request, graph_format: str | None) -> Response:
    """The service description of ``server``, in ``graph_format`` (``ttl``, ``nt``, ``rdfxml`` or
    ``jsonld``: what the request's ``?format=`` or ``Accept`` names; None if it names no RDF format)."""
    if graph_format is None:
        raise HttpError(406, "The service description is RDF; accept one of: "
                             f"{', '.join(GRAPH_TYPES)}.")
    info = await server.info(server.build())
    config = server.config
    limits = (f"{config.timeout:g} s per query, {config.max_rows} result rows, {config.max_bytes} bytes per answer, "
              f"{config.max_body} bytes per request body")
    triples = description_triples(request.base_url() + "/sparql", info["graphs"], limits)
    fmt, content_type = GRAPH_FORMATS[graph_format]
    body = serialize(triples, format=fmt, prefixes=_PREFIXES) or b""
    return Response(200, body, content_type, (("vary", "accept"),), cacheable=True)
