"""A careful SPARQL client for the Wikidata Query Service and its mirrors.

The Wikidata Query Service (WDQS) serves everyone from one cluster, and it asks its clients to
behave. :class:`Client` does, on top of SPARQLWrapper:

- it sends a descriptive User-Agent with a contact (``citykg/0.1.0 (https://w3id.org/citykg;
  contact) SPARQLWrapper/2.0.0``); the service blocks anonymous clients;
- it sends one query at a time to the public service, whose operators ask for that, and up to
  ``parallel`` at a time (2 by default) to other endpoints, each with a timeout, by POST (long
  ``VALUES`` lists do not fit a URL);
- it honours HTTP 429 and its ``Retry-After`` header, and backs off exponentially on 5xx answers
  and dropped connections, up to a limit; a URL that answers 404, 405 or 501 (a web server that
  takes no POST) is no SPARQL endpoint, and is not asked again;
- it treats an answer that is not SPARQL JSON as an error, never as "no results": a blocked
  client can be answered with HTTP 200 and an error text, or nothing at all; and JSON of
  another shape, a head that lists none of the variables the query selects, or bindings that
  lack a variable the query always binds, are errors too
  (:mod:`citykg.sparql_json`), never cached;
- it keeps every answer in an on-disk cache keyed by endpoint and query, so a second run needs
  no network and an interrupted run resumes where it stopped. Each cached answer records the
  day it was fetched, which becomes the retrieval date of the facts taken from it.

Queries carry data as ``VALUES`` rows written by :func:`values`, which serialises each value as
an RDF term (pyoxigraph escapes it), so a name never becomes SPARQL syntax. Nothing is fetched
when this module is imported.

Example::

    >>> client = Client("http://127.0.0.1:7878/query", cache=None)
    >>> client.user_agent.startswith("citykg/")
    True
    >>> values("item", [iri("Q80053")])
    'VALUES ?item { <http://www.wikidata.org/entity/Q80053> }'
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import http.client
import json
import os
import sys
import tempfile
import threading
import time
import urllib.error
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pyoxigraph import Literal, NamedNode

from citykg import __version__
from citykg.errors import EndpointError
from citykg.iris import WD
from citykg.sparql_json import Rows, Value, parse, qid_of, rows, selected
from citykg.sparql_json import required as required_of

__all__ = [
    "WDQS",
    "Client",
    "Rows",
    "Stats",
    "Value",
    "chunks",
    "default_cache",
    "iri",
    "qid_of",
    "values",
]

#: The public Wikidata Query Service.
WDQS = "https://query.wikidata.org/sparql"
_NOT_FOUND = ("{endpoint} answered HTTP {status}: there is no SPARQL endpoint at that URL. Check --endpoint "
              "(the Wikidata Query Service is " + WDQS + "; a local Oxigraph server answers at /query).")
#: The answers of a server that is no SPARQL endpoint: no such page (404), or no POST there (405,
#: and 501 from a plain web server such as ``python -m http.server``); asking again will not help.
_NO_ENDPOINT = (404, 405, 501)
#: Who to contact about citykg's requests, unless ``CITYKG_CONTACT`` or ``contact=`` says otherwise.
DEFAULT_CONTACT = "https://w3id.org/citykg"

T = TypeVar("T")


def iri(qid: str) -> NamedNode:
    """The Wikidata entity IRI of a QID: ``iri("Q80053")``."""
    return NamedNode(WD + qid)


def values(variable: str, terms: Iterable[NamedNode | Literal]) -> str:
    """A ``VALUES`` clause for one variable; every value is written as an escaped RDF term.

    >>> values("label", [Literal('Say "hi"', language="en")])
    'VALUES ?label { "Say \\\\"hi\\\\""@en }'
    """
    if not variable.isidentifier():
        raise ValueError(f"{variable!r} is not a SPARQL variable name")
    return f"VALUES ?{variable} {{ {' '.join(str(t) for t in terms)} }}"


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def default_cache() -> Path:
    """Where answers are cached: ``CITYKG_CACHE``, else ``$XDG_CACHE_HOME/citykg/sparql``."""
    if os.environ.get("CITYKG_CACHE"):
        return Path(os.environ["CITYKG_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "citykg" / "sparql"


@dataclass
class Stats:
    """What a client did: queries sent (each once, however often it was retried), retries,
    answers taken from the cache, waits for the service."""

    requests: int = 0
    cached: int = 0
    retries: int = 0
    waited: float = 0.0
    fetched_on: set[date] = field(default_factory=set)

    def describe(self) -> str:
        """The traffic in words, as the link commands report it.

        >>> Stats(requests=1, cached=3).describe(), Stats(requests=2, retries=1).describe()
        ('1 query sent, 3 answered from the cache', '2 queries sent (1 retry), 0 answered from the cache')
        """
        queries = "query" if self.requests == 1 else "queries"
        retries = f" ({self.retries} {'retry' if self.retries == 1 else 'retries'})" if self.retries else ""
        return f"{self.requests} {queries} sent{retries}, {self.cached} answered from the cache"


class Client:
    """Send SELECT queries to one SPARQL endpoint, politely, with an on-disk cache.

    :param endpoint: the endpoint URL; :data:`WDQS` by default.
    :param cache: folder of cached answers; None for no cache. See :func:`default_cache`.
    :param contact: a URL or e-mail address for the User-Agent (``CITYKG_CONTACT``), in ASCII.
    :param timeout: seconds to wait for one answer.
    :param retries: how often to retry after HTTP 429, 5xx or a dropped connection (not a refused one:
        nothing listens there, and it is said at once).
    :param max_wait: the longest wait (seconds) the client accepts; a ``Retry-After`` beyond it
        stops the run with :class:`~citykg.errors.EndpointError` (the cache keeps what was done).
    :param refresh: fetch again even when the cache has an answer (and store the new one).
    :param parallel: the most queries :meth:`select_many` sends at once; by default 1 for the
        Wikidata Query Service and 2 for any other endpoint.
    :param sleep: how to wait (tests may pass a recorder; the default really sleeps).
    :param progress: told of each wait before a retry, with its reason (the CLI prints it to
        stderr, so that a run the service slows down does not look stuck).
    """

    def __init__(self, endpoint: str = WDQS, *, cache: Path | None, contact: str | None = None,
                 timeout: float = 60.0, retries: int = 4, max_wait: float = 120.0,
                 refresh: bool = False, parallel: int | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 progress: Callable[[str], None] | None = None) -> None:
        self.endpoint = endpoint
        self.parallel = max(1, parallel if parallel is not None else 1 if endpoint == WDQS else 2)
        self.cache = cache
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.refresh = refresh
        self.sleep = sleep
        self.progress = progress
        self.stats = Stats()
        self._lock = threading.Lock()  # select_many updates the stats from several threads
        who = contact or os.environ.get("CITYKG_CONTACT") or DEFAULT_CONTACT
        from SPARQLWrapper import __version__ as wrapper_version

        self.user_agent = f"citykg/{__version__} ({who}) SPARQLWrapper/{wrapper_version}"

    def select(self, query: str, *, required: Iterable[str] | None = None) -> Rows:
        """The rows of a SELECT query, from the cache or the endpoint.

        An answer is checked before it is used or cached: SPARQL JSON whose every binding maps
        variables to terms, and binds each ``required`` variable. A cached answer that fails the
        check is damaged, and is asked again.

        :param required: the variables every row must bind; by default, every variable the
            query selects if it has no OPTIONAL, UNION, BIND or UNDEF (which may leave one
            unbound), else none (see :func:`citykg.sparql_json.required`).
        :raises EndpointError: if the endpoint cannot be reached, refuses the client, keeps
            answering 429 or 5xx, or answers with something that is not a SPARQL SELECT result.
        """
        needed = tuple(required_of(query) if required is None else required)
        variables = selected(query)  # an answer whose head lists none of them is no answer
        path = self._cache_path(query)
        if path is not None and path.is_file() and not self.refresh:
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
                fetched = date.fromisoformat(entry["fetched"])
                cached = rows(entry["answer"], needed, self.endpoint, variables)
            except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
                    EndpointError):  # ask again
                print(f"citykg: the cached answer {path} is damaged; asking the endpoint again", file=sys.stderr)
            else:
                with self._lock:
                    self.stats.cached += 1
                self.stats.fetched_on.add(fetched)
                return cached
        answer = self._fetch(query)
        found = rows(answer, needed, self.endpoint, variables)  # before it is cached: a bad answer is never kept
        today = datetime.now(UTC).date()
        self.stats.fetched_on.add(today)
        if path is not None:
            _write_atomic(path, json.dumps({"endpoint": self.endpoint, "fetched": today.isoformat(),
                                            "query": query, "answer": answer}, ensure_ascii=False))
        return found

    def select_many(self, queries: Sequence[str], *, required: Iterable[str] | None = None) -> Iterator[Rows]:
        """The rows of each query, in order, with up to ``parallel`` queries in flight at once.

        :param required: as for :meth:`select`.
        :raises EndpointError: as :meth:`select` does, for the first query that fails.
        """
        needed = None if required is None else tuple(required)

        def select(query: str) -> Rows:
            return self.select(query, required=needed)

        if self.parallel == 1 or len(queries) < 2:
            yield from map(select, queries)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="citykg-sparql") as pool:
            yield from pool.map(select, queries)

    def retrieved_on(self) -> date:
        """The day of the oldest answer used so far (today if none): the facts are as of then."""
        return min(self.stats.fetched_on, default=datetime.now(UTC).date())

    def _cache_path(self, query: str) -> Path | None:
        if self.cache is None:
            return None
        key = hashlib.sha256(f"{self.endpoint}\n{query}".encode()).hexdigest()
        return self.cache / key[:2] / f"{key}.json"

    def _fetch(self, query: str) -> dict[str, Any]:
        delay = 1.0
        with self._lock:
            self.stats.requests += 1  # retries are counted apart
        for attempt in range(self.retries + 1):
            try:
                return self._once(query)
            except urllib.error.HTTPError as exc:
                with contextlib.closing(exc):
                    wait, why = self._retry_wait(exc, delay, attempt), f"HTTP {exc.code} {exc.reason}"
            except _ServerError as exc:
                wait, why = self._server_wait(exc, delay, attempt), str(exc)
            except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
                wait, why = self._transient_wait(exc, delay, attempt), str(getattr(exc, "reason", exc))
            with self._lock:
                self.stats.retries += 1
                self.stats.waited += wait
            if self.progress:
                self.progress(f"{self.endpoint}: {why}; retry {attempt + 1} of {self.retries} in {wait:g} s")
            self.sleep(wait)
            delay = min(delay * 2, self.max_wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, query: str) -> dict[str, Any]:
        from SPARQLWrapper import JSON, POST, SELECT, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, EndPointNotFound, SPARQLWrapperException

        wrapper = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        wrapper.setMethod(POST)
        wrapper.timeout = self.timeout  # type: ignore[assignment]  # setTimeout would cut it to whole seconds
        wrapper.setReturnFormat(JSON)
        wrapper.queryString, wrapper.queryType = query, SELECT  # setQuery's regular expressions are slow on long VALUES
        try:
            result = wrapper.query()
        except EndPointInternalError as exc:
            if "timeout" in str(exc).lower():
                raise EndpointError(
                    f"{self.endpoint} stopped a query at its time limit. Reconcile fewer names at "
                    "once (split the --names file), or try a less busy mirror with --endpoint.") from exc
            raise _ServerError(f"HTTP 500 from {self.endpoint}") from exc
        except EndPointNotFound as exc:
            raise EndpointError(_NOT_FOUND.format(endpoint=self.endpoint, status="404 Not Found")) from exc
        except SPARQLWrapperException as exc:
            raise EndpointError(f"{self.endpoint} rejected a query: {str(exc).splitlines()[0].rstrip('. ')}. "
                                "This is a citykg bug if the endpoint speaks SPARQL 1.1; please "
                                "report it with the query.") from exc
        except ValueError as exc:  # a URL urllib cannot use, a contact that cannot be a header (the CLI checks both)
            raise EndpointError(f"Cannot send a query to {self.endpoint!r} with the User-Agent {self.user_agent!r}: "
                                f"{exc}. Check the endpoint URL and the contact.") from exc
        with contextlib.closing(result.response):
            body = result.response.read()
            kind = result.response.headers.get("Content-Type", "")
        return parse(body, kind, self.endpoint)

    def _retry_wait(self, exc: urllib.error.HTTPError, delay: float, attempt: int) -> float:
        if exc.code == 403:
            raise EndpointError(
                f"{self.endpoint} refused citykg (HTTP 403). The service blocks clients without a "
                f"descriptive User-Agent; citykg sent {self.user_agent!r}. Give a contact with "
                "--contact or CITYKG_CONTACT, and see the service's User-Agent policy.") from exc
        if exc.code in _NO_ENDPOINT:
            raise EndpointError(_NOT_FOUND.format(endpoint=self.endpoint, status=f"{exc.code} {exc.reason}")) from exc
        if exc.code != 429 and exc.code < 500:
            raise EndpointError(f"{self.endpoint} answered HTTP {exc.code} {exc.reason}.") from exc
        if attempt >= self.retries:
            raise EndpointError(
                f"{self.endpoint} still answers HTTP {exc.code} after {self.retries} retries. "
                f"Try again later{self._resumes}.") from exc
        asked = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
        wait = max(asked, _LEAST_WAIT) if asked is not None else delay  # "0" or a past date: a pause still
        if wait > self.max_wait:
            raise EndpointError(
                f"{self.endpoint} asks citykg to wait {wait:.0f} s (HTTP {exc.code}, Retry-After), "
                f"more than the {self.max_wait:.0f} s it accepts. Try again later{self._resumes}.") from exc
        return wait

    @property
    def _resumes(self) -> str:
        return (": answers received so far are cached, so the run resumes where it stopped"
                if self.cache is not None else "")

    def _server_wait(self, exc: Exception, delay: float, attempt: int) -> float:
        if attempt >= self.retries:
            raise EndpointError(
                f"{self.endpoint} still answers HTTP 500 Internal Server Error after {self.retries} retries. "
                f"Try again later{self._resumes}, or give --endpoint for a mirror.") from exc
        return delay

    def _transient_wait(self, exc: Exception, delay: float, attempt: int) -> float:
        reason = getattr(exc, "reason", exc)
        # a refused connection: nothing listens there (a wrong port, a local server not started), and
        # waiting seldom changes that, so it is said at once
        if attempt >= self.retries or isinstance(reason, ConnectionRefusedError):
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):  # reached, but too slow
                raise EndpointError(
                    f"{self.endpoint} did not answer within {self.timeout:g} s (tried {_times(attempt + 1)}). Give it "
                    f"longer with --timeout, or ask for less at once with --parallel 1{self._resumes}.") from exc
            raise EndpointError(
                f"Cannot reach {self.endpoint} (tried {_times(attempt + 1)}): {reason}. Check the URL and the "
                "network, or give --endpoint for a mirror; cached answers need no network.") from exc
        return delay


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


#: The shortest wait before a retry, whatever ``Retry-After`` says (0, or a date past).
_LEAST_WAIT = 1.0


class _ServerError(Exception):
    """The endpoint failed on its side (HTTP 500); worth another try after a pause."""


def _retry_after(header: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(header)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
