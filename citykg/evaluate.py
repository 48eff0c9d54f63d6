"""Answer one query job against a read-only store: the work a query-worker process does.

``citykg serve`` never evaluates a query in its own process: pyoxigraph cannot interrupt a
running query, so each query runs in a worker process (:mod:`citykg.worker`) that the server
kills when the query runs past its time limit (see :mod:`citykg.pool`).

A job says what to run and in which format; the :class:`Answer` is the serialized body, ready to
send. Jobs and answers are named tuples: they cross a pipe for every request, and tuples pickle
ten times faster than dataclasses. An answer carries at most ``max_rows`` rows (or triples) and
``max_bytes`` bytes: it is written into a sink that stops pyoxigraph at either limit, so an
oversized answer is never written whole, and cut at its last whole row (:mod:`citykg.answer_cap`). A capped answer has
``truncated=True`` (and ``by_bytes=True`` if the byte cap cut it), and a SPARQL JSON body also
says so in a ``citykg`` member. A first row larger than the byte cap alone is a 422. A value that
the format asked for cannot carry (XML, JSON-LD: see :mod:`citykg.formats`) is a 406, unless a
:class:`SparqlJob` names a fallback format the client also takes: then the answer comes in that.

Example::

    >>> from pyoxigraph import Store
    >>> job = SparqlJob(store="", query="SELECT ?x WHERE { VALUES ?x { 1 2 3 } }",
    ...                 results_format="csv", graph_format=None, max_rows=2)
    >>> answer = evaluate(Store(), job)
    >>> answer.body, answer.truncated
    (b'x\\r\\n1\\r\\n2\\r\\n', True)
    >>> evaluate(Store(), job._replace(max_rows=10, max_bytes=8)).body  # cut at a whole row
    b'x\\r\\n1\\r\\n'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from itertools import islice
from typing import Any, NamedTuple

from pyoxigraph import (
    BlankNode,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
)

from citykg.answer_cap import LAYOUTS, Capped, Sink, cut, mark_json, marker, triples_within
from citykg.errors import CitykgError, quoted
from citykg.formats import csv_cells_whole, csv_pieces, pieces
from citykg.iris import PREFIXES
from citykg.queries import NamedQuery, Result, run
from citykg.sparqlerrors import explain_syntax_error, explain_unsupported
from citykg.sparqltokens import strip_noise
from citykg.xmlsafe import Unrepresentable, XmlOutput

__all__ = ["GRAPH_FORMATS", "MAX_BYTES", "RESULT_FORMATS", "Answer", "DescribeJob", "InfoJob", "Job", "NamedJob",
           "SparqlJob", "evaluate", "graph_answer", "small_answer"]

#: Result formats of SELECT and ASK: name → (pyoxigraph format, content type).
RESULT_FORMATS: dict[str, tuple[QueryResultsFormat, str]] = {
    "json": (QueryResultsFormat.JSON, "application/sparql-results+json"),
    "xml": (QueryResultsFormat.XML, "application/sparql-results+xml"),
    "csv": (QueryResultsFormat.CSV, "text/csv; charset=utf-8"),
    "tsv": (QueryResultsFormat.TSV, "text/tab-separated-values; charset=utf-8"),
}
#: Graph formats of CONSTRUCT, DESCRIBE and entity pages: name → (pyoxigraph format, content type).
GRAPH_FORMATS: dict[str, tuple[RdfFormat, str]] = {
    "turtle": (RdfFormat.TURTLE, "text/turtle; charset=utf-8"),
    "nt": (RdfFormat.N_TRIPLES, "application/n-triples"),
    "rdfxml": (RdfFormat.RDF_XML, "application/rdf+xml"),
    "jsonld": (RdfFormat.JSON_LD, "application/ld+json"),
}
#: The most bytes an answer carries unless a job says otherwise.
MAX_BYTES = 32 * 1_048_576

# The prefixes a query may use undeclared ("rdfs:label"): passed to pyoxigraph only when one of
# them occurs, since handing it the mapping costs as much as a small lookup's evaluation.
_PREFIX_NAMES = tuple(f"{name}:" for name in PREFIXES)
# What makes a triple term in a query (outside its strings, IRIs and comments)
_TRIPLE_TERMS = re.compile(r"<<|\bTRIPLE\s*\(", re.IGNORECASE)


class SparqlJob(NamedTuple):
    """A SPARQL query from ``/sparql``.

    ``union`` makes the default graph the union of the named graphs (when neither the query nor
    the request names a dataset); ``default_graphs``/``named_graphs`` are the protocol's
    ``default-graph-uri``/``named-graph-uri`` (``None`` when the request gives neither).
    A format of ``None`` means the client accepts no format of that kind (HTTP 406); a fallback
    is the format the client takes next, for an answer the first cannot carry (a 406 otherwise).
    """

    store: str
    query: str
    results_format: str | None
    graph_format: str | None
    max_rows: int
    union: bool = True
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_bytes: int = MAX_BYTES
    results_fallback: str | None = None
    graph_fallback: str | None = None


class NamedJob(NamedTuple):
    """A named query with the parameters the user gave, answered in a result format."""

    store: str
    query: NamedQuery
    params: tuple[tuple[str, str], ...]
    results_format: str
    max_rows: int
    max_bytes: int = MAX_BYTES


class DescribeJob(NamedTuple):
    """The page of a citykg IRI: ``html`` or one of :data:`GRAPH_FORMATS`."""

    store: str
    iri: str
    format: str
    max_rows: int
    max_bytes: int = MAX_BYTES


class InfoJob(NamedTuple):
    """The size of the store: quads, and triples per named graph (for /health and /sparql)."""

    store: str


Job = SparqlJob | NamedJob | DescribeJob | InfoJob


class Answer(NamedTuple):
    """A serialized answer (``status`` 200), or an error message for the client (``error``).
    A ``truncated`` answer was cut at the row cap, or at the byte cap if ``by_bytes``; a named query's
    ``studies`` are those its rows mix (:attr:`citykg.queries.Result.studies`), and ``lacking`` says
    why it has no rows (:attr:`citykg.queries.Result.lacking`)."""

    status: int = 200
    body: bytes = b""
    content_type: str = ""
    truncated: bool = False
    error: str = ""
    by_bytes: bool = False
    studies: tuple[str, ...] = ()
    lacking: str = ""


def evaluate(store: Store, job: Job) -> Answer:
    """Run one job against ``store`` and serialize its answer.

    :param store: the store, opened read-only by the worker.
    :param job: what to run; see the job classes.
    :returns: the answer; a problem the client caused is an :class:`Answer` with ``error`` set
        and a 4xx ``status`` (400 syntax or parameter, 404 unknown IRI, 406 no acceptable format,
        or one that cannot carry the answer, 422 a first row over the byte cap).
    """
    if isinstance(job, SparqlJob):
        return _sparql(store, job)
    if isinstance(job, NamedJob):
        return _named(store, job)
    if isinstance(job, DescribeJob):
        from citykg.pages import describe

        return describe(store, job)
    return _info(store)


def _sparql(store: Store, job: SparqlJob) -> Answer:
    """The answer in the format asked for; in the fallback format if that one cannot carry it."""
    try:
        result = _query(store, job)
    except SyntaxError as exc:
        return Answer(400, error=explain_syntax_error(exc, job.query))
    except ValueError as exc:  # from _graphs
        return Answer(400, error=str(exc))
    except RuntimeError as exc:
        if (message := explain_unsupported(exc)) is None:
            raise
        return Answer(400, error=message)
    if isinstance(result, QueryTriples):
        if job.graph_format is None:
            return _not_acceptable("a CONSTRUCT or DESCRIBE query", GRAPH_FORMATS)
        triples = list(islice(result, job.max_rows + 1))
        answer = graph_answer(triples, job.graph_format, job.max_rows, job.max_bytes)
        if answer.status == 406 and job.graph_fallback:
            return graph_answer(triples, job.graph_fallback, job.max_rows, job.max_bytes)
        return answer
    if job.results_format is None:
        return _not_acceptable("a SELECT or ASK query", RESULT_FORMATS)
    fmt, content_type = RESULT_FORMATS[job.results_format]
    if isinstance(result, QueryBoolean) or not result.variables:
        return Answer(body=result.serialize(format=fmt) or b"", content_type=content_type)
    if job.results_format == "csv" and _TRIPLE_TERMS.search(strip_noise(job.query)):
        answer = Answer(406, error="This query can bind RDF 1.2 triple terms (<<( … )>> or TRIPLE()), which SPARQL "
                                   "CSV cannot carry (a term's literal would split its cell): ask for SPARQL JSON, "
                                   "XML or TSV.")
    else:
        answer = _solutions(result, job.results_format, job.max_rows, job.max_bytes)
        if job.results_format == "csv" and answer.status == 200 and not csv_cells_whole(answer.body,
                                                                                        len(result.variables)):
            return _csv_again(store, job)
    if answer.status == 406 and job.results_fallback:  # (the solutions are spent: run the query again)
        return _sparql(store, job._replace(results_format=job.results_fallback, results_fallback=None))
    return answer


def small_answer(store: Store, job: SparqlJob, *, max_bytes: int) -> Answer | None:
    """The answer of a SELECT (as SPARQL JSON) or an ASK if it fits in ``max_bytes``, else ``None``.

    The server answers lookups (:func:`citykg.sparqltext.is_lookup`) this way in its own process,
    where their cost is bounded by the bytes written; ``None`` sends the job to a worker. The
    answer is the one :func:`evaluate` gives, a 400 for a query that does not parse included.

    >>> ask = SparqlJob(store="", query="ASK { ?s ?p ?o }", results_format="json", graph_format=None,
    ...                 max_rows=10)
    >>> small_answer(Store(), ask, max_bytes=1024).body
    b'{"head":{},"boolean":false}'
    """
    try:
        result = _query(store, job)
    except (SyntaxError, ValueError, RuntimeError):
        return _sparql(store, job)
    if isinstance(result, QueryBoolean) and job.results_format is not None:
        fmt, content_type = RESULT_FORMATS[job.results_format]
        return Answer(body=result.serialize(format=fmt) or b"", content_type=content_type)
    if not isinstance(result, QuerySolutions) or job.results_format != "json" or not result.variables:
        return None
    sink = Sink(min(max_bytes, job.max_bytes, 3 * (job.max_rows + 1) - 1))  # so: at most max_rows rows
    try:
        result.serialize(sink, format=QueryResultsFormat.JSON)  # type: ignore[arg-type]
    except Capped:
        return None
    return Answer(body=bytes(sink.buf), content_type=RESULT_FORMATS["json"][1])


def _graphs(parameter: str, iris: tuple[str, ...]) -> list[NamedNode]:
    """The graphs a request names.

    :raises ValueError: naming the parameter and the value, if one is not an IRI.
    """
    graphs = []
    for iri in iris:
        try:
            graphs.append(NamedNode(iri))
        except ValueError:
            raise ValueError(f"{parameter}={quoted(iri)} is not an absolute IRI: give the IRI of a graph, "
                             "such as https://w3id.org/citykg/graph/reference.") from None
    return graphs


def _query(store: Store, job: SparqlJob) -> QuerySolutions | QueryBoolean | QueryTriples:
    dataset: dict[str, object] = {}
    if job.default_graphs is not None or job.named_graphs is not None:
        dataset["default_graph"] = _graphs("default-graph-uri", job.default_graphs or ())
        dataset["named_graphs"] = _graphs("named-graph-uri", job.named_graphs or ())
    else:
        dataset["use_default_graph_as_union"] = job.union
    prefixes = PREFIXES if any(name in job.query for name in _PREFIX_NAMES) else None
    return store.query(job.query, prefixes=prefixes, **dataset)  # type: ignore[arg-type]


def _solutions(result: QuerySolutions, name: str, max_rows: int, max_bytes: int) -> Answer:
    """SELECT results, written by pyoxigraph in the format asked for into a :class:`~citykg.answer_cap.Sink`."""
    sink = Sink(max_bytes, max_rows, LAYOUTS[name])
    try:
        result.serialize(XmlOutput(sink, "SPARQL JSON, CSV or TSV") if name == "xml" else sink,  # type: ignore[arg-type]
                         format=RESULT_FORMATS[name][0])
    except Capped:
        return _rows_answer(sink, name, finished=False)
    except Unrepresentable as exc:
        return Answer(406, error=str(exc))
    return _rows_answer(sink, name, finished=True)


def _csv_again(store: Store, job: SparqlJob) -> Answer:
    """SELECT results in SPARQL CSV as the CLI writes them (:func:`citykg.formats.csv_pieces`),
    within the same caps, from the query run again (its solutions are spent): for the rare answer
    that pyoxigraph's faster writer gets wrong, an IRI with a comma left unquoted."""
    result = _query(store, job)
    assert isinstance(result, QuerySolutions)
    names = result.variables
    parts = csv_pieces([v.value for v in names],
                       (tuple(solution[v] for v in names) for solution in islice(result, job.max_rows + 1)))
    sink = Sink(job.max_bytes, job.max_rows, LAYOUTS["csv"])
    try:
        sink.write(parts.head.encode("utf-8"))
        for row in parts.rows:
            sink.write(row.encode("utf-8"))
    except Capped:
        return _rows_answer(sink, "csv", finished=False)
    return _rows_answer(sink, "csv", finished=True)


def _rows_answer(sink: Sink, name: str, *, finished: bool) -> Answer:
    """The answer ``sink`` holds, cut within its caps (:func:`citykg.answer_cap.cut`); a 422 if
    its first row alone is over the byte cap."""
    fitted = cut(sink, name, finished=finished)
    if fitted is None:
        return _too_large(sink.max_bytes, "row")
    return Answer(body=fitted.body, content_type=RESULT_FORMATS[name][1], truncated=fitted.truncated,
                  by_bytes=fitted.by_bytes)


def graph_answer(triples: list[object], name: str, max_rows: int, max_bytes: int = MAX_BYTES) -> Answer:
    """Triples in a graph format, capped at ``max_rows`` (pass up to one more to detect a cap)
    and at ``max_bytes``, cut at a whole triple; a 406 if the format cannot carry them."""
    fmt, content_type = GRAPH_FORMATS[name]
    kept = _labelled(triples[:max_rows])  # type: ignore[arg-type]
    try:
        fitted = triples_within(kept, fmt, max_bytes)
    except Unrepresentable as exc:
        return Answer(406, error=str(exc))
    if fitted is None:
        return _too_large(max_bytes, "triple")
    return Answer(body=fitted.body, content_type=content_type, truncated=fitted.truncated or len(triples) > max_rows,
                  by_bytes=fitted.by_bytes)


def _labelled(triples: list[Triple]) -> list[Triple]:
    """``triples`` with their blank nodes labelled b0, b1 … in order of appearance: a CONSTRUCT
    mints new ones at every run, and the same answer should be the same bytes (and ETag) from
    any server process, every time.

    >>> _labelled([Triple(BlankNode(), NamedNode("http://x/p"), BlankNode("z"))])[0].object
    <BlankNode value=b1>
    """
    if not any(isinstance(t.subject, BlankNode) or isinstance(t.object, BlankNode) for t in triples):
        return triples
    labels: dict[BlankNode, BlankNode] = {}

    def label(term: Any) -> Any:
        if isinstance(term, BlankNode):
            return labels.setdefault(term, BlankNode(f"b{len(labels)}"))
        return term

    return [Triple(label(t.subject), t.predicate, label(t.object)) for t in triples]


def _named(store: Store, job: NamedJob) -> Answer:
    try:
        result = run(store, job.query, dict(job.params))
    except CitykgError as exc:
        return Answer(400, error=str(exc))
    truncated = len(result.rows) > job.max_rows
    parts = pieces(Result(result.columns, result.rows[: job.max_rows]), job.results_format)
    json_ = job.results_format == "json"
    room = job.max_bytes - len(parts.tail(1).encode("utf-8")) - (len(marker(job.max_rows, job.max_bytes)) * json_)
    chunks = [parts.head.encode("utf-8")]
    size, by_bytes = len(chunks[0]), False
    try:
        for row in parts.rows:
            chunk = row.encode("utf-8")
            if size + len(chunk) > room:
                by_bytes = True
                break
            chunks.append(chunk)
            size += len(chunk)
    except Unrepresentable as exc:
        return Answer(406, error=str(exc))
    if by_bytes and len(chunks) == 1:
        return _too_large(job.max_bytes, "row")
    body = b"".join(chunks) + parts.tail(len(chunks) - 1).encode("utf-8")
    truncated = truncated or by_bytes
    body = mark_json(body, job.max_rows, job.max_bytes if by_bytes else None) if truncated and json_ else body
    return Answer(body=body, content_type=RESULT_FORMATS[job.results_format][1], truncated=truncated, by_bytes=by_bytes,
                  studies=result.studies, lacking=result.lacking)


def _info(store: Store) -> Answer:
    counts = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    graphs = {s["g"].value: int(s["n"].value) for s in counts}  # type: ignore[union-attr]
    body = json.dumps({"quads": len(store), "graphs": dict(sorted(graphs.items()))})
    return Answer(body=body.encode("utf-8"), content_type="application/json")


def _too_large(max_bytes: int, what: str) -> Answer:
    limit = f"{max_bytes // 1_048_576} MiB" if max_bytes % 1_048_576 == 0 else f"{max_bytes:,} bytes"
    return Answer(422, error=f"The first {what} of this answer alone is over the {limit} limit on an answer, so "
                             "no part of it can be sent: select less, such as SUBSTR(?value, 1, 10000) for a long "
                             "value, or leave the long values out.")


def _not_acceptable(kind: str, formats: Mapping[str, tuple[object, str]]) -> Answer:
    types = ", ".join(content_type.split(";")[0] for _, content_type in formats.values())
    return Answer(406, error=f"This is {kind}; the Accept header takes none of its formats: {types}.")
