"""The SPARQL 1.1 Protocol at ``/sparql`` and the named queries at ``/queries``, with their safety rules.

``/sparql`` takes a query by GET (``?query=``), by a form POST, or as an
``application/sparql-query`` POST body, with ``default-graph-uri``/``named-graph-uri``. Without
a query it answers a SPARQL 1.1 Service Description. Content negotiation picks SPARQL JSON, XML,
CSV or TSV for SELECT and ASK, and Turtle, N-Triples, RDF/XML or JSON-LD for CONSTRUCT and
DESCRIBE, each under a media type the ``Accept`` header names; ``?format=`` (``json``, ``xml``,
``csv``, ``tsv``, ``ttl``, ``nt``, ``rdfxml``, ``jsonld``, or a media type) overrides the ``Accept``
header, and may be repeated if every value names the same format (SPARQLWrapper sends
``format=tsv&format=text/tab-separated-values``).

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

import asyncio
import difflib
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from citykg.encodings import plain_utf8
from citykg.errors import QueryError, cut, quoted
from citykg.evaluate import GRAPH_FORMATS, RESULT_FORMATS, NamedJob, SparqlJob
from citykg.queries import NamedQuery, check_params, unknown_query
from citykg.sparqltext import QueryCheck, check_query, is_lookup
from citykg.web import HttpError, Request, Response, Route, json_response, negotiate, plus_hint

if TYPE_CHECKING:
    from citykg.serve import Server

__all__ = ["FORMAT_PARAM", "GRAPH_ALIASES", "GRAPH_TYPES", "RESULT_TYPES", "routes"]

#: Media types of SELECT/ASK results, in the server's order of preference → result format. Each
#: format's own media type comes first; its aliases (answered under the format's own type) after.
RESULT_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
#: Media types of CONSTRUCT/DESCRIBE graphs, in the server's order of preference → graph format,
#: aliases last as in :data:`RESULT_TYPES`.
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
    "application/x-turtle": "turtle",
    "text/plain": "nt",
    "application/json": "jsonld",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
}
#: ``?format=`` values → (result format, graph format); ``None`` where the name has no such kind.
FORMAT_PARAM: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"), "xml": ("xml", "rdfxml"), "csv": ("csv", None),
    "tsv": ("tsv", None), "ttl": (None, "turtle"), "turtle": (None, "turtle"),
    "nt": (None, "nt"), "rdfxml": (None, "rdfxml"), "jsonld": (None, "jsonld"),
    # the names SPARQLWrapper sends
    "json-ld": (None, "jsonld"), "rdf+xml": (None, "rdfxml"), "rdf": (None, "rdfxml"), "n3": (None, "turtle"),
    # the name citykg query --format gives it
    "ntriples": (None, "nt"), "n-triples": (None, "nt"),
}
#: The aliases: media types answered under another one, which only an Accept naming them takes
#: (Accept: application/* must not get text/turtle by way of application/x-turtle).
_RESULT_ALIASES = frozenset(t for t, f in RESULT_TYPES.items() if not RESULT_FORMATS[f][1].startswith(t))
GRAPH_ALIASES = frozenset(t for t, f in GRAPH_TYPES.items() if not GRAPH_FORMATS[f][1].startswith(t))
_MEMO_ACCEPT = 256  # the longest Accept header whose formats are remembered
# The "form" of a request without a query: it asks for the service description, which is RDF
_DESCRIPTION = "service description"
# Media types of RDF documents: a POST of one to /sparql is a Graph Store write, refused (405)
_RDF_BODIES = frozenset({"text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json",
                         "application/trig", "application/n-quads", "text/n3", "text/rdf+n3", "application/x-turtle"})
# The parameters of the protocol, and those a request of the service description may give
_PROTOCOL_PARAMS = ("query", "format", "default-graph-uri", "named-graph-uri")
_DESCRIPTION_PARAMS = frozenset({"format", "default-graph-uri", "named-graph-uri"})
_USING = frozenset({"using-graph-uri", "using-named-graph-uri"})
# Parameters that clients send beside a query and that mean none of the protocol's, however close
# they look (RDF4J's queryLn); those that look like none (output, timeout, callback, _) pass anyway
_CLIENT_PARAMS = frozenset({"queryln"})
_READ_ONLY = ("This endpoint is read-only: SPARQL Update is refused. Send SELECT, ASK, "
              "CONSTRUCT or DESCRIBE queries.")


def _read(text: str) -> tuple[QueryCheck, bool]:
    """:func:`~citykg.sparqltext.check_query` and :func:`~citykg.sparqltext.is_lookup`."""
    checked = check_query(text)
    return checked, checked.form in ("SELECT", "ASK") and is_lookup(text)


_read_short = functools.lru_cache(maxsize=1024)(_read)  # for the short queries clients repeat


def _no_stray(params: Sequence[tuple[str, str]]) -> None:
    """Refuse a parameter that a GET of the service description does not take: a misspelt
    ``query`` would otherwise get the description, and a client would take it for an answer.

    >>> _no_stray([("format", "ttl")])
    >>> _no_stray([("Query", "ASK {}")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    citykg.web.HttpError: /sparql takes no parameter 'Query' (did you mean 'query'?). GET /sparql?query=… ...
    """
    stray = next((k for k, _ in params if k not in _DESCRIPTION_PARAMS), None)
    if stray is None:
        return
    if stray == "graph":
        hint = " (a named graph is served at /graph/NAME, its IRI's path)"
    else:
        close = difflib.get_close_matches(stray.lower(), _PROTOCOL_PARAMS, n=1, cutoff=0.6) or (
            ["query"] if stray.lower() in ("q", "sparql") else [])
        hint = f" (did you mean {quoted(close[0])}?)" if close else ""
    raise HttpError(400, f"/sparql takes no parameter {quoted(stray)}{hint}. GET /sparql?query=… runs a query; "
                         "/sparql alone (or with ?format=) answers the service description.")


def _no_near_miss(params: Sequence[tuple[str, str]]) -> None:
    """Refuse, beside a query, a parameter that is not one of the protocol's but close to one
    (``default_graph_uri``, ``Format``, ``graph``): the query would run without it, and the client
    take the answer for the one it asked. Other parameters, which clients send for their own
    purposes (``output``, ``timeout``, ``callback``, ``_``), are let through.

    >>> _no_near_miss([("query", "ASK {}"), ("output", "json"), ("_", "1712")])
    >>> _no_near_miss([("query", "ASK {}"), ("default_graph_uri", "https://w3id.org/citykg/graph/reference")])
    Traceback (most recent call last):
    ...
    citykg.web.HttpError: /sparql takes no parameter 'default_graph_uri' (did you mean 'default-graph-uri'?): ...
    """
    for name, _ in params:
        if name not in _PROTOCOL_PARAMS and (meant := _near_miss(name)) is not None:
            raise HttpError(400, f"/sparql takes no parameter {quoted(name)} (did you mean {quoted(meant)}?): "
                                 "the query was not run, since it would have run without it. Write the parameter "
                                 f"as {meant}=….")


@functools.lru_cache(maxsize=256)
def _near_miss(name: str) -> str | None:
    """The protocol parameter that ``name`` misspells, if it is close to one (``None`` otherwise)."""
    key = name.lower().replace("_", "-")
    if key in _CLIENT_PARAMS or len(key) > 40:  # (no longer name is close to one of 17 characters at most)
        return None
    if key == "graph":  # the Graph Store Protocol's
        return "default-graph-uri"
    close = difflib.get_close_matches(key, _PROTOCOL_PARAMS, n=1, cutoff=0.75)
    return close[0] if close else None


def _one(params: Sequence[tuple[str, str]], name: str) -> str | None:
    """The value of a parameter given at most once, or repeated with the same value."""
    values = [v for k, v in params if k == name]
    if len(set(values)) > 1:
        raise HttpError(400, f"Give {quoted(name)} once; this request gives it {len(values)} times, with "
                             f"{len(set(values))} different values.")
    return values[0] if values else None


def _named(name: str, form: str | None = None) -> tuple[str | None, str | None]:
    """The (result, graph) formats a ``?format=`` value names: a name of :data:`FORMAT_PARAM`, or
    a media type, or a comma-separated list of them, as SPARQLWrapper sends beside the name
    (``format=tsv&format=text/tab-separated-values``).

    :raises HttpError: 400 if it names no format of this endpoint; the message lists those of the
        query ``form`` (SELECT or ASK: results; else RDF), or all if it is not known.
    """
    if name.lower() in FORMAT_PARAM:  # (in any case, as media types are)
        return FORMAT_PARAM[name.lower()]
    types = [item.split(";")[0].strip().lower() for item in name.split(",")]
    results = next((RESULT_TYPES[t] for t in types if t in RESULT_TYPES), None)
    graphs = next((GRAPH_TYPES[t] for t in types if t in GRAPH_TYPES), None)
    if results is None and graphs is None:
        kind = 0 if form in ("SELECT", "ASK") else 1 if form in ("CONSTRUCT", "DESCRIBE", _DESCRIPTION) else None
        names = [n for n, pair in FORMAT_PARAM.items() if kind is None or pair[kind] is not None]
        table = " (table is citykg query's; over HTTP, csv or tsv)" if name.lower() == "table" else ""
        raise HttpError(400, f"Unknown format {quoted(name)}{table}.{plus_hint(name)} Use one of: "
                             f"{', '.join(names)}, or a media type of them.")
    return results, graphs


def _format_param(values: list[str], form: str | None) -> tuple[str | None, str | None]:
    """The formats the ``?format=`` values name; repeated values must name the same format.

    :raises HttpError: 400 for an unknown format, one of the other query form, or values that
        name different formats.
    """
    values = [v for v in values if v] or values  # SPARQLWrapper adds an empty one for Accept: */*
    a = "an" if form == "ASK" else "a"
    found: dict[tuple[str | None, str | None] | str | None, str] = {}
    for name in values:
        results, graphs = _named(name, form)
        if form in ("SELECT", "ASK") and results is None:
            raise HttpError(400, f"format={cut(name)} is for CONSTRUCT and DESCRIBE; {a} {form} query takes "
                                 "json, xml, csv or tsv.")
        if form == _DESCRIPTION and graphs is None:
            raise HttpError(400, f"format={cut(name)} is for SELECT and ASK results; the service description "
                                 "(/sparql without a query) is RDF: give ttl, nt, rdfxml, jsonld, json or xml, "
                                 "or no format.")
        if form in ("CONSTRUCT", "DESCRIBE") and graphs is None:
            raise HttpError(400, f"format={cut(name)} is for SELECT and ASK; {a} {form} query takes "
                                 "ttl, nt, rdfxml, jsonld, json or xml.")
        kind = results if form in ("SELECT", "ASK") else graphs if form else (results, graphs)
        found.setdefault(kind, name)
    if len(found) > 1:
        names = " and ".join(quoted(n) for n in list(found.values())[:2])
        raise HttpError(400, f"The 'format' values name different formats ({names}). Give one format.")
    return _named(values[0])


class Formats(NamedTuple):
    """The result and graph formats of a request (``None``: it accepts none of that kind), and
    the next ones its ``Accept`` header takes, for an answer the first cannot carry (RDF/XML
    cannot write every predicate, XML every character)."""

    results: str | None
    graphs: str | None
    results_fallback: str | None = None
    graphs_fallback: str | None = None


def _next_best(accept: str, offers: dict[str, str], first: str | None, exact: frozenset[str]) -> str | None:
    """The format ``accept`` prefers after ``first``, among the other formats of ``offers``."""
    if first is None:
        return None
    others = [t for t, f in offers.items() if f != first]
    best = negotiate(accept, others, exact=exact)
    return offers[best] if best else None


def _formats(request: Request, params: Sequence[tuple[str, str]], form: str | None,
             seen: dict[str, Formats]) -> Formats:
    """The (result, graph) formats the request asks for, by ``?format=`` or ``Accept``.

    :param form: the query form (SELECT, ASK, CONSTRUCT, DESCRIBE), if :func:`check_query` found it,
        or ``_DESCRIPTION`` for a request of the service description.
    :param seen: the formats of the short ``Accept`` headers seen so far (clients send few
        distinct ones); a header over 256 characters is negotiated each time, not remembered.
    :raises HttpError: 400 for an unknown ``?format=``, one of the other query form, or repeated
        ones that disagree; 406 if the ``Accept`` header takes no format of this endpoint.
    """
    names = [v for k, v in params if k == "format"]
    if names:
        return Formats(*_format_param(names, form))
    accept = request.header("accept")
    formats = seen.get(accept)
    if formats is None:
        results = negotiate(accept, list(RESULT_TYPES), exact=_RESULT_ALIASES)
        graphs = negotiate(accept, list(GRAPH_TYPES), exact=GRAPH_ALIASES)
        first = (RESULT_TYPES[results] if results else None, GRAPH_TYPES[graphs] if graphs else None)
        formats = Formats(*first, _next_best(accept, RESULT_TYPES, first[0], _RESULT_ALIASES),
                          _next_best(accept, GRAPH_TYPES, first[1], GRAPH_ALIASES))
        if len(accept) <= _MEMO_ACCEPT:
            if len(seen) > 256:
                seen.clear()
            seen[accept] = formats
    if formats[:2] == (None, None):  # the types of this form's answers (of both, where the form is unknown)
        offered = sorted(RESULT_TYPES if form in ("SELECT", "ASK") else GRAPH_TYPES if form else
                         {*RESULT_TYPES, *GRAPH_TYPES})
        raise HttpError(406, f"The Accept header ({cut(accept)}) takes none of this endpoint's "
                             f"formats: {', '.join(offered)}.")
    return formats


def _protocol(request: Request) -> tuple[str | None, list[tuple[str, str]]]:
    """The query text and the parameters of a /sparql request, by the three protocol forms."""
    params = request.query()
    if request.method == "POST":
        content_type = request.header("content-type")
        media = content_type.split(";")[0].strip().lower()
        plain_utf8(request.header("content-encoding"), content_type)
        if media == "application/x-www-form-urlencoded":
            params = params + request.form()
        elif media == "application/sparql-query":
            if any(k == "query" for k, _ in params):
                raise HttpError(400, "Give the query once: in the body (application/sparql-query) or as "
                                     "?query=, not both.")
            try:
                return request.body.decode("utf-8").removeprefix("\ufeff"), params
            except UnicodeDecodeError as exc:
                raise HttpError(400, "The query is not UTF-8.") from exc
        elif media == "application/sparql-update":
            raise HttpError(403, _READ_ONLY)
        elif media in _RDF_BODIES:
            raise HttpError(405, f"/sparql takes no Graph Store writes (a POST of {cut(media)}): this endpoint is "
                                 "read-only. POST a query as application/sparql-query or as a form with a 'query' "
                                 "field.", (("allow", "GET, HEAD, OPTIONS, POST"),))
        else:
            raise HttpError(415, "POST a query as application/sparql-query or as a form "
                                 "(application/x-www-form-urlencoded) with a 'query' field.")
    names = {k for k, _ in params}
    if "update" in names or (names & _USING and "query" not in names):
        raise HttpError(403, _READ_ONLY)
    if using := sorted(names & _USING):
        raise HttpError(400, f"'{using[0]}' is a parameter of SPARQL Update, not of a query: a query takes its "
                             "graphs by default-graph-uri and named-graph-uri.")
    text = _one(params, "query")
    return (text.removeprefix("\ufeff") if text else text), params




def routes(server: Server) -> list[Route]:
    """The routes of ``/sparql`` and ``/queries``, answered from ``server``'s workers."""

    seen: dict[str, Formats] = {}

    async def sparql(request: Request) -> Response:
        text, params = _protocol(request)
        if text is None:
            if request.method == "POST":
                raise HttpError(400, "No query: POST a 'query' field, or GET /sparql?query=….")
            _no_stray(params)
            from citykg.service import description

            return await description(server, request, _formats(request, params, _DESCRIPTION, seen).graphs)
        _no_near_miss(params)
        if not text.strip():
            raise HttpError(400, "The query is empty.")
        # a long text is checked off the event loop: up to a second of work for a 1 MiB body
        checked, lookup = _read_short(text) if len(text) <= 4096 else await asyncio.to_thread(_read, text)
        if checked.is_update:
            raise HttpError(403, _READ_ONLY)
        formats = _formats(request, params, checked.form, seen)
        defaults = [v for k, v in params if k == "default-graph-uri"]
        named = [v for k, v in params if k == "named-graph-uri"]
        given = bool(defaults or named)
        job = SparqlJob(store=str(server.build().store), query=text, results_format=formats.results,
                        graph_format=formats.graphs, max_rows=server.config.max_rows, max_bytes=server.config.max_bytes,
                        results_fallback=formats.results_fallback, graph_fallback=formats.graphs_fallback,
                        union=not checked.has_from,
                        default_graphs=tuple(defaults) if given else None,
                        named_graphs=tuple(named) if given else None)
        answer = await server.answer(job, lookup=lookup and not given, gone=request.disconnected)
        return server.respond(answer, cacheable=not checked.volatile)

    def named_queries() -> dict[str, NamedQuery]:
        try:
            return server.catalogue()
        except QueryError as exc:  # a broken .rq file on the server: not the client's fault
            raise HttpError(500, f"The named queries cannot be loaded: {str(exc).rstrip('.')}. Fix the file; "
                                 "the server reloads the queries once it is saved.") from exc

    async def catalogue(request: Request) -> Response:
        return json_response([{**q.to_dict(), "url": f"/queries/{q.name}", "sparql": q.sparql}
                              for q in named_queries().values()], cacheable=True)

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
        names = [v for k, v in request.query() if k == "format"]  # a name or media type, as for /sparql
        fmt = _format_param(names, "SELECT")[0] if names else None
        if fmt is None:
            best = negotiate(request.header("accept"), list(RESULT_TYPES), exact=_RESULT_ALIASES)
            if best is None:
                raise HttpError(406, "The Accept header takes none of the formats of a named "
                                     f"query: {', '.join(RESULT_TYPES)}.")
            fmt = RESULT_TYPES[best]
        job = NamedJob(store=str(server.build().store), query=query, params=tuple(params),
                       results_format=fmt, max_rows=server.config.max_rows, max_bytes=server.config.max_bytes)
        answer = await server.answer(job, gone=request.disconnected)
        return server.respond(answer, cacheable=not _read_short(query.sparql)[0].volatile)

    return [
        Route("/sparql", sparql, methods=("GET", "POST")),
        Route("/queries", catalogue),
        Route("/queries/{name}", named),
    ]

