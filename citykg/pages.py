"""Linked data: every IRI citykg mints dereferences at the server, as HTML, Turtle or JSON-LD.

An IRI ``https://w3id.org/citykg/PATH`` is served at ``/PATH``: ``/id/…`` (entities of the
studies and reference tables, and source rows), ``/ontology`` (the ontology, one section per
term, so ``/ontology#Strength`` lands on ``ckg:Strength``) and ``/graph/NAME`` (a named graph).
Browsers get an HTML page that links every citykg IRI to its own page, so a reader can click
from a strategy to its factors and on to the table rows they come from; programs get the
entity's triples (outgoing and incoming) in Turtle, N-Triples, RDF/XML or JSON-LD by ``Accept``
or ``?format=html|ttl|nt|rdfxml|jsonld``.

Example::

    >>> href("https://w3id.org/citykg/id/study/mashhad-oic/factor/W3")
    '/id/study/mashhad-oic/factor/W3'
    >>> href("javascript:alert(1)") is None
    True
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable
from itertools import islice
from typing import TYPE_CHECKING
from urllib.parse import quote

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store, Triple

from citykg.errors import cut, quoted
from citykg.evaluate import Answer, DescribeJob, graph_answer
from citykg.iris import BASE, DCTERMS, ONTOLOGY_GRAPH, ONTOLOGY_IRI, RDF, RDFS, SKOS, XSD, shorten
from citykg.sparql import FORMAT_PARAM, GRAPH_ALIASES, GRAPH_TYPES
from citykg.web import HttpError, Request, Response, Route, negotiate, plus_hint

if TYPE_CHECKING:
    from citykg.serve import Server

__all__ = ["PAGE_TYPES", "describe", "href", "normal_path", "routes"]

#: Media types of entity pages, in the server's order of preference → page format.
PAGE_TYPES: dict[str, str] = {"text/html": "html", "application/xhtml+xml": "html", **GRAPH_TYPES}
# Answered as text/html or under another graph type: only an Accept range naming them matches them.
_PAGE_ALIASES = GRAPH_ALIASES | {"application/xhtml+xml"}
# ?format= names: /sparql's graph formats (json is JSON-LD, xml RDF/XML), html, and the media types
_FORMAT_PARAM = {"html": "html", **{name: graph for name, (_, graph) in FORMAT_PARAM.items() if graph}}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_TYPE = NamedNode(RDF + "type")
_LABELS = (NamedNode(RDFS + "label"), NamedNode(SKOS + "prefLabel"))
_TITLE = NamedNode(DCTERMS + "title")  # what names a study, which has no label
_PLAIN = (XSD + "string", RDF + "langString")

Term = NamedNode | BlankNode | Literal | Triple


def normal_path(path: str) -> str:
    """``path`` as RFC 3986 normalises it (6.2.2.2–3): unreserved characters not percent-encoded,
    no ``.`` or ``..`` segments. (Escapes keep their case: an IRI is compared as it is written.)

    >>> normal_path("/id/study/mashhad-oic/./factor/%57%33"), normal_path("/id/a%2fb/../c%3a")
    ('/id/study/mashhad-oic/factor/W3', '/id/c%3a')
    >>> normal_path("/id/.."), normal_path("/id/x/.."), normal_path("/id/x/../..")
    ('/', '/id/', '/')
    """
    path = _ESCAPE.sub(lambda m: chr(int(m[1], 16)) if chr(int(m[1], 16)) in _UNRESERVED else m[0], path)
    if "/." not in path:
        return path
    out: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            out = out[:-1]
        elif segment != ".":
            out.append(segment)
    joined = "/".join(out)  # (a path that ends in a dot-segment names a folder, unless it is the root)
    return "/" + joined + ("/" if joined and path.endswith(("/.", "/..")) else "")


def _page_format(value: str) -> str | None:
    """The format a ``format`` parameter names (``ttl``, ``text/turtle``, in any case), or None."""
    value = value.lower()
    return _FORMAT_PARAM.get(value) or PAGE_TYPES.get(value.split(";")[0].strip())


def href(iri: str) -> str | None:
    """Where a link to ``iri`` points: its page here for citykg IRIs, the IRI for http(s), else none."""
    if iri.startswith(BASE):
        return "/" + iri[len(BASE):]
    return iri if iri.startswith(("http://", "https://")) else None


def _unlabelled(iri: str) -> str:
    """How a page names an IRI without a label: as a prefixed name (``ckg:Strength``), else one of
    citykg's by its path (``id/source/mashhad-oic/factors/3``), else as ``<iri>``."""
    short = shorten(iri)
    return iri[len(BASE):] if short.startswith("<") and iri.startswith(BASE) and len(iri) > len(BASE) else short


def routes(server: Server) -> list[Route]:
    """The routes of the entity, ontology and graph pages."""

    async def page(request: Request) -> Response:
        path = quote(request.raw_path.decode("utf-8", "replace"), safe="/%:@!$&'()*+,;=-._~")
        normal = normal_path(path)  # /id/…/%57%33 is /id/…/W3: send the client there
        if normal.startswith("//"):  # /id/..//host would be a link to another host: no page of this server
            raise HttpError(404, f"Nothing at {cut(path)}: the path leaves the pages (/id/, /graph/, /ontology).")
        if normal.endswith("/") and normal.count("/") > 2:  # /id/…/W3/: citykg mints no IRI that ends in /
            normal = normal.rstrip("/")
        if normal != path:
            query = request.query_string.decode("latin-1")
            return Response(301, b"", "text/plain", (("location", normal + ("?" + query if query else "")),))
        given = [v for k, v in request.query() if k == "format"]
        for value in given:
            if _page_format(value) is None:
                raise HttpError(400, f"Unknown format {quoted(value)}.{plus_hint(value)} Use one of: "
                                     f"{', '.join(_FORMAT_PARAM)}, or a media type of them.")
        named = {_page_format(v): v for v in reversed(given)}  # (ttl and text/turtle are one)
        if len(named) > 1:
            names = " and ".join(quoted(n) for n in list(named.values())[::-1][:2])
            raise HttpError(400, f"The 'format' values name different formats ({names}). Give one format.")
        fmt = _page_format(given[0]) if given else None
        if fmt is None:
            best = negotiate(request.header("accept"), list(PAGE_TYPES), exact=_PAGE_ALIASES)
            if best is None:
                raise HttpError(406, f"Pages are served as: {', '.join(PAGE_TYPES)}.")
            fmt = PAGE_TYPES[best]
        job = DescribeJob(store=str(server.build().store), iri=BASE + path[1:], format=fmt,
                          max_rows=server.config.max_rows, max_bytes=server.config.max_bytes)
        return server.respond(await server.answer(job, gone=request.disconnected))

    return [Route("/id/{rest:path}", page), Route("/ontology", page), Route("/graph/{rest:path}", page)]


def describe(store: Store, job: DescribeJob) -> Answer:
    """The page of ``job.iri`` (runs in a query worker).

    :returns: the page, or a 404 answer if the store says nothing about the IRI.
    """
    try:
        node = NamedNode(job.iri)
    except ValueError:  # such as a broken percent-encoding: no IRI citykg mints
        return Answer(404, error=f"Nothing is known about {quoted(job.iri)}: it is not a valid IRI.")
    cap = job.max_rows + 1
    if job.iri == ONTOLOGY_IRI or job.iri.startswith(BASE + "graph/"):
        graph = NamedNode(ONTOLOGY_GRAPH) if job.iri == ONTOLOGY_IRI else node
        quads = list(islice(store.quads_for_pattern(None, None, None, graph), cap))
        incoming: list[Quad] = []
    else:
        quads = list(islice(store.quads_for_pattern(node, None, None, None), cap))
        incoming = list(islice(store.quads_for_pattern(None, None, node, None), cap))
    if not quads and not incoming:
        return Answer(404, error=f"The graph says nothing about <{cut(job.iri)}>. See /queries or "
                                 "/sparql to find what it holds.")
    if job.format != "html":
        triples = list(dict.fromkeys(q.triple for q in [*quads, *incoming]))
        return graph_answer(triples, job.format, job.max_rows, job.max_bytes)  # type: ignore[arg-type]
    page = _Page(store)
    truncated = len(quads) > job.max_rows or len(incoming) > job.max_rows
    # A capped page says so where a reader sees it, not only in the citykg-truncated header.
    note = (f'<p class="note">This page shows the first {job.max_rows:,} statements of each list (the '
            "server's row limit); <a href=\"/\">a SPARQL query</a> gets all of them.</p>" if truncated else "")
    if job.iri == ONTOLOGY_IRI:
        body = page.ontology(job.iri, quads)
    elif job.iri.startswith(BASE + "graph/"):
        body = page.graph(job.iri, quads[: job.max_rows], note, capped=len(quads) > job.max_rows)
    else:
        body = page.entity(job.iri, quads[: job.max_rows], incoming[: job.max_rows], note,
                           capped=len(incoming) > job.max_rows)
    if len(body) > job.max_bytes:  # characters: at least as many bytes
        return Answer(422, error=f"The page of <{cut(job.iri)}> is over the {job.max_bytes:,}-byte limit of an "
                                 "answer. Ask /sparql for what you need of it, with a LIMIT.")
    return Answer(body=body.encode("utf-8"), content_type="text/html; charset=utf-8", truncated=truncated)


class _Page:
    """HTML for one page; looks labels up in the store as it writes links."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.labels: dict[str, str | None] = {}

    def label(self, iri: str) -> str | None:
        """The IRI's label (rdfs:label, skos:prefLabel, else dcterms:title), English first."""
        if iri not in self.labels:
            self.labels[iri] = self._named(iri, _LABELS) or self._named(iri, (_TITLE,))
        return self.labels[iri]

    def _named(self, iri: str, predicates: tuple[NamedNode, ...]) -> str | None:
        found: list[Literal] = []
        for predicate in predicates:
            found += [q.object for q in self.store.quads_for_pattern(NamedNode(iri), predicate, None, None)
                      if isinstance(q.object, Literal)]
        english = [t.value for t in found if t.language == "en"]
        return next(iter(english or [t.value for t in found]), None)

    def term(self, term: Term) -> str:
        if isinstance(term, NamedNode):
            text = self.label(term.value) or _unlabelled(term.value)
            target = href(term.value)
            if target is None:
                return f'<span title="{_e(term.value)}">{_e(text)}</span>'
            return f'<a href="{_e(target)}" title="{_e(term.value)}">{_e(text)}</a>'
        if isinstance(term, Literal):
            extra = f'<span class="lang">@{_e(term.language)}</span>' if term.language else ""
            if not term.language and term.datatype.value not in _PLAIN:
                extra = f'<span class="dt">{_e(shorten(term.datatype.value))}</span>'
            lang = f' lang="{_e(term.language)}"' if term.language else ""  # for fonts and screen readers
            return f'<span dir="auto"{lang}>{_e(term.value)}</span>{extra}'
        return f"<code>{_e(str(term))}</code>"

    def graph_link(self, quad: Quad) -> str:
        graph = quad.graph_name
        if not isinstance(graph, NamedNode):
            return ""
        name = graph.value.rsplit("/", 1)[-1]
        return f'<a class="graph" href="{_e(href(graph.value) or "")}">{_e(name)}</a>'

    def table(self, heads: tuple[str, str, str], rows: Iterable[tuple[str, str, str]]) -> str:
        body = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in rows)
        head = "".join(f"<th>{h}</th>" for h in heads)
        return f'<table class="props"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def properties(self, quads: list[Quad]) -> str:
        ordered = sorted(quads, key=lambda q: (q.predicate != _TYPE, q.predicate not in _LABELS,
                                               shorten(q.predicate.value), str(q.object)))
        return self.table(("property", "value", "graph"),
                          ((self.term(q.predicate), self.term(q.object), self.graph_link(q)) for q in ordered))

    def entity(self, iri: str, quads: list[Quad], incoming: list[Quad], note: str = "", *, capped: bool = False) -> str:
        title = self.label(iri) or _unlabelled(iri)
        types = ", ".join(dict.fromkeys(self.term(q.object) for q in quads if q.predicate == _TYPE))
        parts = [f"<h1 dir=\"auto\">{_e(title)}</h1>", f'<p class="iri"><code>{_e(iri)}</code></p>', note]
        if types:
            parts.append(f'<p class="types">{types}</p>')
        if quads:
            parts.append(self.properties(quads))
        if incoming:
            ordered = sorted(incoming, key=lambda q: (shorten(q.predicate.value), str(q.subject)))
            parts.append(f"<h2>Referenced by ({'the first ' * capped}{len(incoming):,})</h2>")
            parts.append(self.table(("subject", "property", "graph"),
                                    ((self.term(q.subject), self.term(q.predicate), self.graph_link(q))
                                     for q in ordered)))
        return _layout(title, iri, "".join(parts))

    def ontology(self, iri: str, quads: list[Quad]) -> str:
        by_subject: dict[str, list[Quad]] = {}
        for quad in quads:
            if isinstance(quad.subject, NamedNode):
                by_subject.setdefault(quad.subject.value, []).append(quad)
        parts = [f"<h1>{_e(self.label(iri) or 'The citykg ontology')}</h1>",
                 f'<p class="iri"><code>{_e(iri)}</code></p>', self.properties(by_subject.pop(iri, []))]
        terms = sorted(s for s in by_subject if s.startswith(iri + "#"))
        parts.append("<h2>Terms</h2><p class=\"toc\">" + " · ".join(
            f'<a href="#{_e(s.split("#", 1)[1])}">{_e(s.split("#", 1)[1])}</a>' for s in terms) + "</p>")
        for subject in terms:
            local = subject.split("#", 1)[1]
            parts.append(f'<section id="{_e(local)}"><h3>ckg:{_e(local)}</h3>'
                         f"{self.properties(by_subject[subject])}</section>")
        return _layout("The citykg ontology", iri, "".join(parts))

    def graph(self, iri: str, quads: list[Quad], note: str = "", *, capped: bool = False) -> str:
        subjects = list(dict.fromkeys(q.subject for q in quads))
        rows = "".join(f"<li>{self.term(s)}</li>" for s in subjects)
        count = f"{'The first ' * capped}{_count(len(quads), 'triple')} about {_count(len(subjects), 'subject')}"
        parts = [f"<h1>Graph {_e(iri.rsplit('/', 1)[-1])}</h1>", f'<p class="iri"><code>{_e(iri)}</code></p>', note,
                 f"<p>{count}.</p>", f'<ul class="subjects">{rows}</ul>']
        return _layout(f"Graph {iri.rsplit('/', 1)[-1]}", iri, "".join(parts))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' * (n != 1)}"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _layout(title: str, iri: str, content: str) -> str:
    formats = " · ".join(f'<a href="?format={k}">{v}</a>' for k, v in
                         (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"), ("rdfxml", "RDF/XML")))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} · citykg</title>"
        '<link rel="stylesheet" href="/static/style.css"><link rel="icon" href="/static/favicon.svg">'
        '<link rel="alternate" type="text/turtle" href="?format=ttl">'
        '<link rel="alternate" type="application/ld+json" href="?format=jsonld"></head>'
        '<body><header class="bar"><a class="brand" href="/">citykg</a>'
        '<nav><a href="/">query</a><a href="/queries">named queries</a><a href="/ontology">ontology</a>'
        '<a href="/sparql">service description</a></nav></header>'
        f'<main class="page">{content}<p class="formats">This page as data: {formats}</p></main></body></html>'
    )
