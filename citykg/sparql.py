"""The SPARQL 1.1 Protocol at ``/sparql`` and the named queries at ``/queries``, with their safety rules.

``/sparql`` takes a query by GET (``?query=``), by a form POST, or as an
``application/sparql-query`` POST body, with ``default-graph-uri``/``named-graph-uri``. Without
a query it answers a SPARQL 1.1 Service Description. Content negotiation picks SPARQL JSON, XML,
CSV or TSV for SELECT and ASK, and Turtle, N-Triples, RDF/XML or JSON-LD for CONSTRUCT and
DESCRIBE; ``?format=`` (``json``, ``xml``, ``csv``, ``tsv``, ``ttl``, ``nt``, ``rdfxml``,
``jsonld``) overrides the ``Accept`` header.

Safety, before a query runs: SPARQL Update is refused (403), and so is any query that calls a
``SERVICE`` (400, :func:`citykg.sparqltext.check_query`); and the query workers have no network
(:mod:`citykg.sandbox`), so that no request ever leaves the server on behalf of a query. ``FROM`` and
``FROM NAMED`` select graphs of the local store only (pyoxigraph never dereferences them).
Without a dataset in the query or the request, the default graph is the union of the named graphs.

Example::

    >>> sorted(RESULT_TYPES)[:2]
    ['application/json', 'application/sparql-results+json']
    >>> FORMAT_PARAM["ttl"]
    (None, 'turtle')
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from citykg.errors import QueryError
from citykg.evaluate import RESULT_FORMATS, NamedJob, SparqlJob
from citykg.queries import NamedQuery, check_params, quoted, unknown_query
from citykg.sparqltext import QueryCheck, check_query, is_lookup
from citykg.web import HttpError, Request, Response, Route, json_response, negotiate

if TYPE_CHECKING:
    from citykg.serve import Server

__all__ = ["FORMAT_PARAM", "GRAPH_TYPES", "RESULT_TYPES", "routes"]

#: Media types of SELECT/ASK results, in the server's order of preference → result format.
RESULT_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
#: Media types of CONSTRUCT/DESCRIBE graphs, in the server's order of preference → graph format.
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
}
#: ``?format=`` values → (result format, graph format); ``None`` where the name has no such kind.
FORMAT_PARAM: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"), "xml": ("xml", "rdfxml"), "csv": ("csv", None),
    "tsv": ("tsv", None), "ttl": (None, "turtle"), "turtle": (None, "turtle"),
    "nt": (None, "nt"), "rdfxml": (None, "rdfxml"), "jsonld": (None, "jsonld"),
    # the names SPARQLWrapper sends
    "json-ld": (None, "jsonld"), "rdf+xml": (None, "rdfxml"), "rdf": (None, "rdfxml"), "n3": (None, "turtle"),
}
_READ_ONLY = ("This endpoint is read-only: SPARQL Update is refused. Send SELECT, ASK, "
              "CONSTRUCT or DESCRIBE queries.")


def _read(text: str) -> tuple[QueryCheck, bool]:
    """:func:`~citykg.sparqltext.check_query` and :func:`~citykg.sparqltext.is_lookup`."""
    checked = check_query(text)
    return checked, checked.form in ("SELECT", "ASK") and is_lookup(text)


_read_short = functools.lru_cache(maxsize=1024)(_read)  # for the short queries clients repeat


def _one(params: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise HttpError(400, f"Give {quoted(name)} once; this request gives it {len(values)} times.")
    return values[0] if values else None


def _formats(request: Request, params: Sequence[tuple[str, str]], form: str | None,
             seen: dict[str, tuple[str | None, str | None]]) -> tuple[str | None, str | None]:
    """The (result, graph) formats the request asks for, by ``?format=`` or ``Accept``.

    :param form: the query form (SELECT, ASK, CONSTRUCT, DESCRIBE), if :func:`check_query` found it.
    :param seen: the formats of the ``Accept`` headers seen so far (clients send few distinct ones).
    :raises HttpError: 400 for an unknown ``?format=`` or one of the other query forms; 406 if
        the ``Accept`` header takes no format of this endpoint.
    """
    name = _one(params, "format")
    if name is not None:
        if name not in FORMAT_PARAM:
            raise HttpError(400, f"Unknown format {quoted(name)}. Use one of: {', '.join(FORMAT_PARAM)}.")
        results, graphs = FORMAT_PARAM[name]
        a = "an" if form == "ASK" else "a"
        if form in ("SELECT", "ASK") and results is None:
            raise HttpError(400, f"format={name} is for CONSTRUCT and DESCRIBE; {a} {form} query takes "
                                 "json, xml, csv or tsv.")
        if form in ("CONSTRUCT", "DESCRIBE") and graphs is None:
            raise HttpError(400, f"format={name} is for SELECT and ASK; {a} {form} query takes "
                                 "ttl, nt, rdfxml, jsonld, json or xml.")
        return results, graphs
    accept = request.header("accept")
    if accept not in seen:
        if len(seen) > 256:
            seen.clear()
        results = negotiate(accept, list(RESULT_TYPES))
        graphs = negotiate(accept, list(GRAPH_TYPES))
        seen[accept] = (RESULT_TYPES[results] if results else None,
                        GRAPH_TYPES[graphs] if graphs else None)
    formats = seen[accept]
    if formats == (None, None):
        offered = sorted({*RESULT_TYPES, *GRAPH_TYPES})
        raise HttpError(406, f"The Accept header ({accept}) takes none of this endpoint's "
                             f"formats: {', '.join(offered)}.")
    return formats


def _protocol(request: Request) -> tuple[str | None, list[tuple[str, str]]]:
    """The query text and the parameters of a /sparql request, by the three protocol forms."""
    params = request.query()
    if request.method == "POST":
        media = request.header("content-type").split(";")[0].strip().lower()
        if media == "application/x-www-form-urlencoded":
            params = params + request.form()
        elif media == "application/sparql-query":
            try:
                return request.body.decode("utf-8").removeprefix("\ufeff"), params
            except UnicodeDecodeError as exc:
                raise HttpError(400, "The query is not UTF-8.") from exc
        elif media == "application/sparql-update":
            raise HttpError(403, _READ_ONLY)
        else:
            raise HttpError(415, "POST a query as application/sparql-query or as a form "
                                 "(application/x-www-form-urlencoded) with a 'query' field.")
    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in params):
        raise HttpError(403, _READ_ONLY)
    return _one(params, "query"), params


def routes(server: Server) -> list[Route]:
    """The routes of ``/sparql`` and ``/queries``, answered from ``server``'s workers."""

    seen: dict[str, tuple[str | None, str | None]] = {}

    async def sparql(request: Request) -> Response:
        text, params = _protocol(request)
        if text is None:
            if request.method == "POST":
                raise HttpError(400, "No query: POST a 'query' field, or GET /sparql?query=….")
            from citykg.service import description

            return await description(server, request)
        if not text.strip():
            raise HttpError(400, "The query is empty.")
        checked, lookup = _read_short(text) if len(text) <= 4096 else _read(text)
        if checked.is_update:
            raise HttpError(403, _READ_ONLY)
        results, graphs = _formats(request, params, checked.form, seen)
        defaults = [v for k, v in params if k == "default-graph-uri"]
        named = [v for k, v in params if k == "named-graph-uri"]
        given = bool(defaults or named)
        job = SparqlJob(store=str(server.build().store), query=text, results_format=results,
                        graph_format=graphs, max_rows=server.config.max_rows,
                        union=not checked.has_from,
                        default_graphs=tuple(defaults) if given else None,
                        named_graphs=tuple(named) if given else None)
        return server.respond(await server.answer(job, lookup=lookup and not given))

    def named_queries() -> dict[str, NamedQuery]:
        try:
            return server.catalogue()
        except QueryError as exc:  # a broken .rq file on the server: not the client's fault
            raise HttpError(500, f"The named queries cannot be loaded: {exc} Fix the file; the server "
                                 "reloads the queries once it is saved.") from exc

    async def catalogue(request: Request) -> Response:
        return json_response([{**q.to_dict(), "url": f"/queries/{q.name}", "sparql": q.sparql}
                              for q in named_queries().values()])

    async def named(request: Request) -> Response:
        name = request.path_params["name"]
        queries = named_queries()
        if name not in queries:
            raise unknown_query(name, queries, listing="GET /queries")
        query = queries[name]
        params = [(k, v) for k, v in request.query() if k != "format"]
        for key, _ in params:
            _one(params, key)
        check_params(query, dict(params), usage="?{name}=VALUE")
        fmt = _one(request.query(), "format")
        if fmt is None:
            best = negotiate(request.header("accept"), list(RESULT_TYPES))
            if best is None:
                raise HttpError(406, "The Accept header takes none of the formats of a named "
                                     f"query: {', '.join(RESULT_TYPES)}.")
            fmt = RESULT_TYPES[best]
        elif fmt not in RESULT_FORMATS:
            raise HttpError(400, f"Unknown format {quoted(fmt)}. Use one of: {', '.join(RESULT_FORMATS)}.")
        job = NamedJob(store=str(server.build().store), query=query, params=tuple(params),
                       results_format=fmt, max_rows=server.config.max_rows)
        return server.respond(await server.answer(job))

    return [
        Route("/sparql", sparql, methods=("GET", "POST")),
        Route("/queries", catalogue),
        Route("/queries/{name}", named),
    ]

