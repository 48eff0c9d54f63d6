"""The HTTP pieces of ``citykg serve``: requests, responses, routes, content negotiation, errors.

citykg's server is a small ASGI application (see :mod:`citykg.serve`). A route maps a method and
a path template to an ``async`` handler that takes a :class:`Request` and returns a
:class:`Response`. A handler signals a client error by raising :class:`HttpError` (or a
:class:`citykg.errors.CitykgError`); every error goes out in one JSON shape::

    {"ok": false, "error": "Unknown query 'x'. See GET /queries.", "status": 404}

Path templates take ``{name}`` (one segment) and ``{name:path}`` (the rest of the path).
(:mod:`citykg.encodings` checks how a request's path and body are encoded.) A request that no route
answers is refused by a route of its own (:meth:`Router.match`), so that its answer has the CORS
headers the routes' answers have.

Example::

    >>> negotiate("text/csv;q=0.5, application/json", ["text/csv", "application/json"])
    'application/json'
    >>> negotiate("image/png", ["text/csv"]) is None
    True
    >>> Router([Route("/queries/{name}", handler=None)]).match("GET", "/queries/cities")[1]  # type: ignore[arg-type]
    {'name': 'cities'}
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from citykg.errors import (
    CitykgError,
    QueryNotFound,
    QueryTimeout,
    StoreError,
    cut,
)

__all__ = [
    "NOT_UTF8",
    "Handler",
    "HttpError",
    "Request",
    "Response",
    "Route",
    "Router",
    "error_response",
    "json_response",
    "negotiate",
    "plus_hint",
    "status_of",
]

Handler = Callable[["Request"], Awaitable["Response"]]


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, with its body read (and capped) already."""

    method: str
    path: str
    raw_path: bytes
    query_string: bytes
    headers: Mapping[str, str]
    body: bytes
    client: str
    scheme: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    server: tuple[str, int] | None = None  # the address the request reached, as ASGI's scope has it
    disconnected: Callable[[], Awaitable[None]] | None = None  # returns once the client has gone away

    def header(self, name: str, default: str = "") -> str:
        """A request header by its lower-case name (repeated headers joined with ``, ``)."""
        return self.headers.get(name, default)

    def query(self) -> list[tuple[str, str]]:
        """The query-string parameters, in order, percent-decoded as UTF-8.

        :raises HttpError: 400 if a percent-encoded value is not UTF-8 (``?query=%E9``).
        """
        try:
            if len(self.query_string) <= 4096:
                return list(_parse_short(self.query_string))
            return _parse(self.query_string)
        except UnicodeDecodeError as exc:
            raise HttpError(400, NOT_UTF8.format(where="query string")) from exc

    def form(self) -> list[tuple[str, str]]:
        """The parameters of an ``application/x-www-form-urlencoded`` body.

        :raises HttpError: 400 if the body, or a percent-encoded value in it, is not UTF-8.
        """
        try:
            return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise HttpError(400, NOT_UTF8.format(where="form body")) from exc

    def base_url(self) -> str:
        """``scheme://host`` as the client addressed this server: by its Host header, or, if that
        is empty (HTTP/1.0, or a client that knows no name), the address the request reached.

        :raises HttpError: 400, if the Host header is not a host (and port), or is over 255 characters.

        >>> Request("GET", "/", b"/", b"", {}, b"", "-", "http", server=("::1", 8000)).base_url()
        'http://[::1]:8000'
        """
        host = self.header("host")
        if not host:
            if self.server is None:
                return f"{self.scheme}://localhost"
            name, port = self.server
            return f"{self.scheme}://{f'[{name}]' if ':' in name else name}{f':{port}' if port else ''}"
        found = _HOST.match(host) if len(host) <= MAX_HOST else None
        if not found or int(found[1] or 0) > 65535:
            shown = host.encode("latin-1").decode("utf-8", "replace")  # (headers are read as Latin-1)
            idna = " (a name in another script is written in Punycode, xn--…)" if not host.isascii() else ""
            raise HttpError(400, f"The Host header {cut(shown)!r} is not a host name or address with an "
                                 f"optional port, such as 127.0.0.1:8000, in at most {MAX_HOST} characters{idna}.")
        return f"{self.scheme}://{host.removesuffix(':')}"  # an empty port (example.org:) is the default one


#: The longest Host header taken: a name of 253 characters, or an address, with a port.
MAX_HOST = 255


# RFC 3986's host (a name, an IPv4 address or a bracketed IPv6 one) and an optional port, which may be empty
_HOST = re.compile(r"^(?:(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5})?)?$")
#: The message for percent-encoded bytes that are not UTF-8 (``where``: the path, query string …)
NOT_UTF8 = ("The {where} is not UTF-8: percent-encode the UTF-8 bytes of each character "
             "(é is %C3%A9, not %E9).")


def _parse(query_string: bytes) -> list[tuple[str, str]]:
    """The parameters of a query string; :raises UnicodeDecodeError: if a value is not UTF-8."""
    return parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")


@functools.lru_cache(maxsize=1024)
def _parse_short(query_string: bytes) -> tuple[tuple[str, str], ...]:
    """:func:`_parse`, remembered for the short query strings that clients repeat."""
    return tuple(_parse(query_string))


@dataclass(slots=True)
class Response:
    """What a handler answers. ``cacheable`` marks an answer that depends only on the request and
    the build, so the server may keep it until the next build; ``error`` is what the access log
    says of an answer that refuses the request without raising :class:`HttpError` (a 422 with a
    report)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    cacheable: bool = False
    error: str = ""


class HttpError(Exception):
    """A request the server refuses, with its HTTP status and a message naming the fix."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = (), *,
                 detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
        #: What the access log says instead of ``message``: what the operator needs and the
        #: client must not see (a file of the server, say).
        self.detail = detail


@dataclass(frozen=True)
class Route:
    """A method set and path template, answered by ``handler``.

    :param path: ``/exact``, or a template with ``{name}`` and ``{name:path}`` parts.
    :param handler: ``async def handler(request: Request) -> Response``.
    :param methods: the methods it answers (``HEAD`` is answered wherever ``GET`` is).
    :param max_body: the largest body it accepts, in bytes; ``None`` means the server's limit.
    :param cors: whether the configured CORS origins may read it (reads yes, writes no).
    :param cache: whether its answers may be cached (a monitor's or a write's may not).
    :param guard: checks the request's headers (lower-case names) before its body is read, and
        raises :class:`HttpError` to refuse it: a client without a write token is answered at
        once, and cannot make the server read a large body first.
    """

    path: str
    handler: Handler
    methods: tuple[str, ...] = ("GET",)
    max_body: int | None = None
    cors: bool = True
    cache: bool = True
    guard: Callable[[Mapping[str, str]], None] | None = None


class Router:
    """Finds the route of a request: exact paths by dictionary, templates in order."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._exact: dict[str, list[Route]] = {}
        self._templates: list[tuple[re.Pattern[str], Route]] = []
        for route in routes:
            if "{" in route.path:
                self._templates.append((_compile(route.path), route))
            else:
                self._exact.setdefault(route.path, []).append(route)

    def _candidates(self, path: str) -> list[tuple[Route, dict[str, str]]]:
        """The routes of ``path``, whatever their methods, with the template's parameters; an exact
        path with a slash after it (``/sparql/``) is that path."""
        exact = self._exact.get(path) or (self._exact.get(path[:-1], []) if path.endswith("/") else [])
        candidates: list[tuple[Route, dict[str, str]]] = [(r, {}) for r in exact]
        if not candidates:
            for pattern, route in self._templates:
                found = pattern.fullmatch(path)
                if found:
                    candidates.append((route, found.groupdict()))
        return candidates

    def methods(self, path: str) -> tuple[list[str], list[str]]:
        """The methods ``path`` answers, as a 405's ``Allow`` names them (``HEAD`` wherever
        ``GET`` is, ``OPTIONS`` where a CORS origin may read), and those of them that the CORS
        origins may send.

        >>> Router([Route("/x", handler=None, methods=("POST",), cors=False),  # type: ignore[arg-type]
        ...         Route("/x", handler=None)]).methods("/x")  # type: ignore[arg-type]
        (['GET', 'HEAD', 'OPTIONS', 'POST'], ['GET', 'HEAD', 'OPTIONS'])
        """
        routes = [route for route, _ in self._candidates(path)]
        readable = {m for r in routes if r.cors for m in r.methods}
        extra = ({"HEAD"} if "GET" in readable else set()) | ({"OPTIONS"} if readable else set())
        every = {m for r in routes for m in r.methods}
        return sorted(every | ({"HEAD"} if "GET" in every else set()) | extra), sorted(readable | extra)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for ``method`` and ``path``, and the template's parameters.

        A request that no route answers gets a route that refuses it before its body is read (its
        guard raises :class:`HttpError`: 404 if no route has that path, 405 with ``Allow`` if none
        has the method), readable from the CORS origins unless the path is only a write route's,
        as the answers of the routes are.

        :raises HttpError: 404 or 405 for a preflight (``OPTIONS``) that no route answers.
        """
        candidates = self._candidates(path)
        if not candidates:
            return _refusal(HttpError(404, f"Nothing at {cut(path)}. See / for the query page, /sparql for the "
                                           "SPARQL endpoint and /queries for the named queries."),
                            cors=method != "OPTIONS", path=path), {}
        wanted = "GET" if method == "HEAD" else method
        for route, params in candidates:
            if wanted in route.methods or (method == "OPTIONS" and route.cors):
                return route, params
        cors = any(r.cors for r, _ in candidates)
        allowed = self.methods(path)[0]
        return _refusal(HttpError(405, f"{cut(path)} answers {', '.join(allowed)}, not {method}.",
                                  (("allow", ", ".join(allowed)),)), cors=cors and method != "OPTIONS", path=path), {}


def _refusal(error: HttpError, *, cors: bool, path: str) -> Route:
    """A route that refuses every request with ``error``, before reading its body.

    :raises HttpError: ``error`` at once for a preflight, which must not be answered 204.
    """
    if not cors:
        raise error

    def refuse(headers: Mapping[str, str]) -> None:
        raise error

    async def unreachable(request: Request) -> Response:
        raise error

    return Route(path, unreachable, methods=(), guard=refuse)


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+(?::path)?\})", template)
    regex = ""
    for part in parts:
        if part.startswith("{"):
            name, _, kind = part[1:-1].partition(":")
            regex += f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def negotiate(accept: str, offers: Sequence[str], *, exact: Collection[str] = ()) -> str | None:
    """The offered media type the ``Accept`` header prefers, or ``None`` if it takes none.

    Ties go to the earlier offer, so list offers in the server's order of preference; an empty
    header takes the first offer.

    :param exact: offers that only a range naming them matches, not ``type/*`` or ``*/*``: the
        aliases of a format answered under another media type (``application/x-turtle``, answered
        as ``text/turtle``), which a client asking for ``application/*`` did not accept.

    >>> negotiate("application/*", ["text/turtle", "application/x-turtle", "application/n-triples"],
    ...           exact={"application/x-turtle"})
    'application/n-triples'
    """
    if not accept.strip():
        return offers[0] if offers else None
    ranges: list[tuple[str, str, float]] = []
    for item in accept.split(","):
        media, *options = item.strip().split(";")
        kind, _, sub = media.strip().lower().partition("/")
        q = 1.0
        for option in options:
            key, _, value = option.strip().partition("=")
            if key.strip().lower() == "q":
                try:  # a weight is 0 to 1 (RFC 9110); q=2 or q=inf outranks nothing, q=nan is 0
                    q = float(value)
                except ValueError:  # q=high: weighs as if it were not written, not as a refusal
                    q = 1.0
                q = min(q, 1.0) if q >= 0 else 0.0
        ranges.append((kind, sub or "*", q))
    best: tuple[float, str] | None = None
    for offer in offers:
        kind, _, sub = offer.partition("/")
        quality, precision = 0.0, -1
        for rkind, rsub, q in ranges:
            if rkind == kind and rsub == sub:
                level = 2
            elif rkind == kind and rsub == "*":
                level = 1
            elif rkind == "*":
                level = 0
            else:
                continue
            if level < 2 and offer in exact:
                continue
            if level > precision:
                quality, precision = q, level
        if precision >= 0 and quality > 0 and (best is None or quality > best[0]):
            best = (quality, offer)
    return best[1] if best else None


def plus_hint(value: str) -> str:
    """A hint for a ``?format=`` value whose ``+`` a URL turned into a space.

    >>> plus_hint("application/sparql-results json")
    ' (In a URL a + is a space: write application/sparql-results%2Bjson.)'
    """
    if " " not in value.strip():
        return ""
    return f" (In a URL a + is a space: write {value.strip().replace(' ', '%2B')}.)"


def json_response(data: object, *, status: int = 200, cacheable: bool = False) -> Response:
    """``data`` as a JSON response (UTF-8, not ASCII-escaped)."""
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    return Response(status, body, "application/json", cacheable=cacheable)


def error_response(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """The one error shape: ``{"ok": false, "error": message, "status": status}``; a 406 varies by Accept."""
    body = json.dumps({"ok": False, "error": message, "status": status}, ensure_ascii=False)
    vary = (("vary", "accept"),) if status == 406 and not any(k == "vary" for k, _ in headers) else ()
    return Response(status, body.encode("utf-8") + b"\n", "application/json", headers + vary)


#: HTTP status of each kind of citykg error; the first match in this order wins.
_STATUS: tuple[tuple[type[CitykgError], int], ...] = ((QueryNotFound, 404), (QueryTimeout, 504), (StoreError, 503))


def status_of(exc: CitykgError) -> int:
    """The HTTP status for a citykg error: 404 unknown query, 504 timeout, 503 no store, and 400
    for any other error a request can cause (bad parameter, syntax, a refused SERVICE call)."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400
