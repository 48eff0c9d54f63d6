"""Answer one query job against a read-only store: the work a query-worker process does.

``citykg serve`` never evaluates a query in its own process: pyoxigraph cannot interrupt a
running query, so each query runs in a worker process (:mod:`citykg.worker`) that the server
kills when the query runs past its time limit (see :mod:`citykg.pool`).

A job says what to run and in which format; the :class:`Answer` is the serialized body, ready to
send. Jobs and answers are named tuples: they cross a pipe for every request, and tuples pickle
ten times faster than dataclasses. Result rows (or triples) are capped at ``max_rows``: a capped answer has
``truncated=True``, and a SPARQL JSON body also says so in a ``citykg`` member.

Example::

    >>> from pyoxigraph import Store
    >>> job = SparqlJob(store="", query="SELECT ?x WHERE { VALUES ?x { 1 2 3 } }",
    ...                 results_format="csv", graph_format=None, max_rows=2)
    >>> answer = evaluate(Store(), job)
    >>> answer.body, answer.truncated
    (b'x\\r\\n1\\r\\n2\\r\\n', True)
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from itertools import islice
from typing import NamedTuple

from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    parse_query_results,
    serialize,
)

from citykg.errors import CitykgError, quoted
from citykg.iris import PREFIXES
from citykg.queries import NamedQuery, Result, run
from citykg.sparqlerrors import explain_syntax_error, explain_unsupported

__all__ = [
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "Answer",
    "DescribeJob",
    "InfoJob",
    "Job",
    "NamedJob",
    "SparqlJob",
    "evaluate",
    "small_answer",
]

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

# The prefixes a query may use undeclared ("rdfs:label"): passed to pyoxigraph only when one of
# them occurs, since handing it the mapping costs as much as a small lookup's evaluation.
_PREFIX_NAMES = tuple(f"{name}:" for name in PREFIXES)
#: Bytes of a SPARQL JSON answer kept at most before its rows are counted (see _json_solutions).
_JSON_PREFIX = 8 * 1_048_576


# A CSV cell that may start with =, +, -, @, a tab or a CR (a possible spreadsheet formula).
_FORMULA = re.compile(rb'(?:^|,)"?[=+\-@\t\r]', re.MULTILINE)


class SparqlJob(NamedTuple):
    """A SPARQL query from ``/sparql``.

    ``union`` makes the default graph the union of the named graphs (when neither the query nor
    the request names a dataset); ``default_graphs``/``named_graphs`` are the protocol's
    ``default-graph-uri``/``named-graph-uri`` (``None`` when the request gives neither).
    A format of ``None`` means the client accepts no format of that kind (HTTP 406).
    """

    store: str
    query: str
    results_format: str | None
    graph_format: str | None
    max_rows: int
    union: bool = True
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


class NamedJob(NamedTuple):
    """A named query with the parameters the user gave, answered in a result format."""

    store: str
    query: NamedQuery
    params: tuple[tuple[str, str], ...]
    results_format: str
    max_rows: int


class DescribeJob(NamedTuple):
    """The page of a citykg IRI: ``html`` or one of :data:`GRAPH_FORMATS`."""

    store: str
    iri: str
    format: str
    max_rows: int


class InfoJob(NamedTuple):
    """The size of the store: quads, and triples per named graph (for /health and /sparql)."""

    store: str


Job = SparqlJob | NamedJob | DescribeJob | InfoJob


class Answer(NamedTuple):
    """A serialized answer (``status`` 200), or an error message for the client (``error``)."""

    status: int = 200
    body: bytes = b""
    content_type: str = ""
    truncated: bool = False
    error: str = ""


class _Capped(Exception):
    """Raised by :class:`_Cap` to stop a serialization at its limit."""


class _Cap:
    """A binary sink that keeps what pyoxigraph writes until it holds more than ``limit`` lines
    (``lines=True``, for the row cap of a line-a-row format) or bytes; then it raises
    :class:`_Capped`, and ``full`` says so."""

    def __init__(self, limit: int, *, lines: bool) -> None:
        self.limit = limit
        self.lines = lines
        self.count = 0
        self.full = False
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.count += chunk.count(b"\n") if self.lines else len(chunk)
        if self.count > self.limit:
            self.full = True
            raise _Capped
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: the chunks stay in memory."""

    def head(self) -> bytes:
        """The first ``limit`` lines."""
        data = b"".join(self.chunks)
        end = -1
        for _ in range(self.limit):
            end = data.index(b"\n", end + 1)
        return data[: end + 1]


def evaluate(store: Store, job: Job) -> Answer:
    """Run one job against ``store`` and serialize its answer.

    :param store: the store, opened read-only by the worker.
    :param job: what to run; see the job classes.
    :returns: the answer; a problem the client caused is an :class:`Answer` with ``error`` set
        and a 4xx ``status`` (400 syntax or parameter, 404 unknown IRI, 406 no acceptable format).
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
        return graph_answer(list(islice(result, job.max_rows + 1)), job.graph_format, job.max_rows)
    if job.results_format is None:
        return _not_acceptable("a SELECT or ASK query", RESULT_FORMATS)
    fmt, content_type = RESULT_FORMATS[job.results_format]
    if isinstance(result, QueryBoolean) or not result.variables:
        return Answer(body=result.serialize(format=fmt) or b"", content_type=content_type)
    if job.results_format == "json":
        answer = _json_solutions(result, job.max_rows)
        if answer is not None:
            return answer
        result = _query(store, job)  # its first megabytes held too few rows to tell: run it again
    return _solutions(result, job.results_format, job.max_rows)  # type: ignore[arg-type]


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
    sink = _Cap(min(max_bytes, 3 * (job.max_rows + 1) - 1), lines=False)  # so: at most max_rows rows
    with contextlib.suppress(_Capped):
        result.serialize(sink, format=QueryResultsFormat.JSON)  # type: ignore[arg-type]
    return None if sink.full else Answer(body=b"".join(sink.chunks), content_type=RESULT_FORMATS["json"][1])


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


def _json_solutions(result: QuerySolutions, max_rows: int) -> Answer | None:
    """SELECT results as SPARQL JSON, serialized as they come, capped at ``max_rows``.

    A row takes three bytes at least (``{}`` and a comma), so an answer shorter than three bytes
    a row over the cap is within it: the common case, answered as it was written. A longer one
    is read back to count its rows (and cut, if it has too many); past :data:`_JSON_PREFIX`
    bytes the serialization stops, and ``None`` says that those bytes held fewer rows than the
    cap, so that they cannot tell (rows of hundreds of bytes each): the caller runs the query
    again and caps it by lines of TSV.
    """
    fmt, content_type = RESULT_FORMATS["json"]
    sink = _Cap(max(_JSON_PREFIX, 3 * (max_rows + 1)), lines=False)
    with contextlib.suppress(_Capped):
        result.serialize(sink, format=fmt)  # type: ignore[arg-type]
    body = b"".join(sink.chunks)
    if not sink.full and len(body) < 3 * (max_rows + 1):
        return Answer(body=body, content_type=content_type)
    lines = _Cap(max_rows + 1, lines=True)  # the header and max_rows rows
    try:
        parse_query_results(body, format=fmt).serialize(lines, format=QueryResultsFormat.TSV)  # type: ignore[arg-type]
    except _Capped:
        tsv = parse_query_results(lines.head(), format=QueryResultsFormat.TSV).serialize(format=fmt) or b""
        return Answer(body=_mark_json(tsv, max_rows), content_type=content_type, truncated=True)
    except SyntaxError:  # the bytes kept end before the row after the cap
        return None
    return Answer(body=body, content_type=content_type)


def _solutions(result: QuerySolutions, name: str, max_rows: int) -> Answer:
    """SELECT results capped at ``max_rows``: streamed as TSV (one line a row), then converted."""
    sink = _Cap(max_rows + 1, lines=True)
    try:
        result.serialize(sink, format=QueryResultsFormat.TSV)  # type: ignore[arg-type]
        tsv, truncated = b"".join(sink.chunks), False
    except _Capped:
        tsv, truncated = sink.head(), True
    fmt, content_type = RESULT_FORMATS[name]
    if name != "tsv":
        tsv = parse_query_results(tsv, format=QueryResultsFormat.TSV).serialize(format=fmt) or b""
    if truncated and name == "json":
        tsv = _mark_json(tsv, max_rows)
    if name == "csv" and _FORMULA.search(tsv):
        tsv = _neutralise_csv(tsv)
    return Answer(body=tsv, content_type=content_type, truncated=truncated)


def _neutralise_csv(body: bytes) -> bytes:
    """SPARQL CSV with every spreadsheet formula neutralised, as named queries' CSV has it.

    >>> _neutralise_csv(b'a,n\\r\\n=1+2,-5\\r\\n').split(b"\\r\\n")
    [b'a,n', b"'=1+2,-5", b'']
    """
    import csv
    import io

    from citykg.formats import neutralise

    rows = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(next(rows))
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")


def graph_answer(triples: list[object], name: str, max_rows: int) -> Answer:
    """Triples in a graph format, capped at ``max_rows`` (pass up to one more to detect a cap)."""
    fmt, content_type = GRAPH_FORMATS[name]
    truncated = len(triples) > max_rows
    body = serialize(triples[:max_rows], format=fmt, prefixes=PREFIXES) or b""  # type: ignore[arg-type]
    return Answer(body=body, content_type=content_type, truncated=truncated)


def _named(store: Store, job: NamedJob) -> Answer:
    from citykg.formats import Format, render

    try:
        result = run(store, job.query, dict(job.params))
    except CitykgError as exc:
        return Answer(400, error=str(exc))
    truncated = len(result.rows) > job.max_rows
    if truncated:
        result = Result(result.columns, result.rows[: job.max_rows])
    fmt, content_type = RESULT_FORMATS[job.results_format]
    if job.results_format == "xml":
        tsv = render(result, Format.TSV).encode("utf-8")
        body = parse_query_results(tsv, format=QueryResultsFormat.TSV).serialize(format=fmt) or b""
    else:
        body = render(result, Format(job.results_format)).encode("utf-8")
        if truncated and job.results_format == "json":
            body = _mark_json(body, job.max_rows)
    return Answer(body=body, content_type=content_type, truncated=truncated)


def _info(store: Store) -> Answer:
    counts = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    graphs = {s["g"].value: int(s["n"].value) for s in counts}  # type: ignore[union-attr]
    body = json.dumps({"quads": len(store), "graphs": dict(sorted(graphs.items()))})
    return Answer(body=body.encode("utf-8"), content_type="application/json")


def _mark_json(body: bytes, max_rows: int) -> bytes:
    """Add ``"citykg": {"truncated": true, "maxRows": N}`` to a SPARQL JSON document, before its
    ``results``: strict parsers (pyoxigraph's) take no member after the bindings. The first
    ``"results"`` is that key: the head before it holds variable names and IRIs, never a quote.

    >>> _mark_json(b'{"head":{"vars":["x"]},"results":{"bindings":[]}}', 5)
    b'{"head":{"vars":["x"]},"citykg":{"truncated":true,"maxRows":5},"results":{"bindings":[]}}'
    """
    at = body.index(b'"results"')
    return body[:at] + b'"citykg":{"truncated":true,"maxRows":%d},' % max_rows + body[at:]


def _not_acceptable(kind: str, formats: Mapping[str, tuple[object, str]]) -> Answer:
    types = ", ".join(content_type.split(";")[0] for _, content_type in formats.values())
    return Answer(406, error=f"This is {kind}; the Accept header takes none of its formats: {types}.")
