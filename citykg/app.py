"""The ASGI application of ``citykg serve``: routing, body cap, answer cache, CORS, errors, access log.

:func:`citykg.serve.create_app` builds it from a :class:`~citykg.serve.Server` and a
:class:`~citykg.web.Router`. Each request: find the route (404, 405), read the body within the
route's cap (413), answer from the cache if the same request was answered from the same build,
else call the handler, which stops the query it runs if the client goes away
(:mod:`citykg.disconnect`); turn any :class:`~citykg.web.HttpError` or
:class:`~citykg.errors.CitykgError` into the one JSON error shape, and any other exception (a
bug) into a 500 whose access-log line carries the traceback; answer conditional requests
(:mod:`citykg.prepared`); with ``--cors``, add ``Vary: Origin`` to every answer, and the CORS
headers for the configured origins on routes that allow it; write one JSON line to the access log
(status 499, and nothing sent, for a client that went away first). :func:`check_origins` refuses a
``--cors`` value that no browser sends as an origin.

Example::

    >>> check_origins(["https://example.org", "*"])  # both are origins a browser may send
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from citykg.answers import footprint
from citykg.disconnect import STATUS as GONE
from citykg.disconnect import ClientGone, until_disconnected
from citykg.encodings import check_path, check_transfer
from citykg.errors import CitykgError, ServeError, quoted
from citykg.prepared import Prepared, conditional, prepare
from citykg.web import HttpError, Request, Router, error_response, status_of

if TYPE_CHECKING:
    from citykg.serve import Server

__all__ = ["App", "check_origins"]

_EXPOSED = "citykg-truncated, citykg-max-rows, citykg-max-bytes, citykg-studies, citykg-lacking, etag"
_REPEATABLE = (400, 403, 404, 406)  # client errors that depend only on the request and the build
_quote = json.encoder.encode_basestring  # a str as a JSON string (the C encoder)
_ATOMIC_WRITE = 4096  # PIPE_BUF: a write to a pipe of at most this many bytes is never interleaved
_MAX_TRACE = 3_000  # characters of a traceback in the access log
_VARY = [(b"vary", b"origin")]
class App:
    """The ASGI application: routing, body cap, cache, CORS, errors and the access log."""

    def __init__(self, server: Server, router: Router, *, on_ready: Callable[[], None] | None) -> None:
        self.server = server
        self.router = router
        self._on_ready = on_ready
        self._log: Any = None
        self._lines: list[str] = []  # access-log lines not yet written (written every 0.1 s)
        self._inflight: dict[tuple[Any, ...], asyncio.Future[Prepared | None]] = {}
        self._stamp = (0, "")
        cors = server.config.cors
        self._any_origin = "*" in cors
        self._origins = frozenset(cors)
        self._cors_on = bool(cors)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def startup(self) -> None:
        """Start the workers and open the access log."""
        target = self.server.config.access_log
        if target == "-":
            self._log = sys.stderr
        elif target:
            self._log = open(target, "a", encoding="utf-8")  # noqa: SIM115
        await self.server.pool.start()
        if self._on_ready:
            self._on_ready()

    async def shutdown(self) -> None:
        """Stop the workers and close the access log."""
        await self.server.pool.close()
        self._flush_log()
        if self._log not in (None, sys.stderr):
            self._log.close()

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except (OSError, CitykgError) as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        method: str = scope["method"]
        logged = (scope.get("raw_path") or b"").decode("latin-1") or scope["path"]  # as sent: %2F not a "/"
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        cache, error, trace, route, key = "-", "", "", None, None
        shared: asyncio.Future[Prepared | None] | None = None  # set while this request answers for others
        kept: Prepared | None = None  # the answer, if it went to the cache
        try:
            route, params = self.router.match(method, scope["path"])
            check_path(scope.get("raw_path") or b"")  # (after the route, whose CORS headers its error gets)
            check_transfer(headers.get("transfer-encoding", ""))
            if method == "OPTIONS":
                prepared = self._preflight(scope["path"])
            else:
                if route.guard is not None:
                    route.guard(headers)
                limit = route.max_body or self.server.config.max_body
                body = await _read_body(receive, headers, limit)
                key = self._key(method, scope, headers, body) if route.cache else None
                cached = self.server.cache.get(key) if key else None
                if cached is None and key is not None:
                    if key in self._inflight:  # the same request is being answered: wait for it
                        cached = await asyncio.shield(self._inflight[key])
                    else:
                        shared = self._inflight[key] = asyncio.get_running_loop().create_future()
                if cached is not None:
                    prepared, cache = cached, "hit"
                else:
                    request = Request(method, scope["path"], scope["raw_path"] or b"",
                                      scope["query_string"], headers, body,
                                      "{}:{}".format(*scope.get("client") or ("-", "-")),
                                      scope.get("scheme", "http"), params, scope.get("server"),
                                      partial(until_disconnected, receive))
                    response = await route.handler(request)
                    prepared, error = prepare(response), response.error
                    if key is not None and response.cacheable and response.status == 200:
                        kept, cache = self._keep(key, prepared), "miss"
        except HttpError as exc:
            error = exc.detail or exc.message
            prepared = prepare(error_response(exc.status, exc.message, exc.headers))
            kept = self._keep(key, prepared) if prepared.status in _REPEATABLE else None
        except CitykgError as exc:
            error, prepared = str(exc), prepare(error_response(status_of(exc), str(exc)))
            kept = self._keep(key, prepared) if prepared.status in _REPEATABLE else None
        except ClientGone as exc:  # nothing to send; the access log says why
            if self._log is not None:
                self._write_log(client=scope.get("client"), method=method, path=logged, status=GONE,
                                query_bytes=len(scope["query_string"]), size=0, started=started, cache=cache,
                                error=str(exc))
            return
        except Exception as exc:  # a bug: answer 500, keep serving, and log it for the operator
            error, trace = f"internal error: {type(exc).__name__}: {exc}", _traceback()
            prepared = prepare(error_response(500, "citykg failed on this request; the server "
                                                    "log has the details."))
        finally:
            if shared is not None:  # the others get the cached answer, or None to ask for themselves
                del self._inflight[key]  # type: ignore[arg-type]
                shared.set_result(kept)
        if prepared.status == 200 and ("if-none-match" in headers or "if-match" in headers):
            prepared = conditional(prepared, method, headers)
        out = prepared.headers
        if self._cors_on:  # every answer varies by origin; only a read's answer allows one
            out = out + (self._cors(headers.get("origin")) if route is not None and route.cors else _VARY)
        await send({"type": "http.response.start", "status": prepared.status, "headers": out})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else prepared.body})
        if self._log is not None or trace:
            self._write_log(client=scope.get("client"), method=method, path=logged,
                            query_bytes=len(scope["query_string"]), status=prepared.status,
                            size=len(prepared.body), started=started, cache=cache, error=error, trace=trace)

    def _keep(self, key: tuple[Any, ...] | None, prepared: Prepared) -> Prepared | None:
        """Cache an answer that the same request always gets from the same build; its cost is
        the bytes of the answer (the cache adds its key's)."""
        if key is None:
            return None
        size = sys.getsizeof(prepared) + footprint(prepared.body) + footprint(prepared.headers)
        self.server.cache.put(key, prepared, size)
        return prepared

    def _key(self, method: str, scope: dict[str, Any], headers: dict[str, str], body: bytes) -> tuple[Any, ...] | None:
        """The cache key of a request, or ``None`` for a request not to cache: one that is not a
        read, one without a build, or one whose key would be large (a long body, query string or
        Accept header): such requests are rare, and keeping them would let a client fill the
        server's memory with keys."""
        cache = self.server.cache
        if not cache.max_bytes or method not in ("GET", "HEAD", "POST"):
            return None
        accept, host = headers.get("accept", ""), headers.get("host", "")  # the service description names the host
        content_type = headers.get("content-type", "") if method == "POST" else ""
        # the path as sent: pages read the raw path, so /x/W%36 and /x/W6 are different requests
        path, query = scope.get("raw_path") or scope["path"].encode(), scope["query_string"]
        if len(body) + len(query) + len(accept) + len(host) + len(content_type) + len(path) > cache.max_key_bytes:
            return None
        try:
            build = self.server.store.current().id
            self.server.catalogue()
        except CitykgError:  # no build, or a broken named query: no caching
            return None
        return (build, self.server.catalogue_version, method == "POST", host, path, query, accept, content_type, body)

    def _cors(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        """The CORS headers of a response to ``origin``: ``Vary: Origin`` always, since the
        headers differ by origin and the response may be cached (by the client, or on the way)."""
        if not origin or not (self._any_origin or origin in self._origins):
            return _VARY
        allowed = b"*" if self._any_origin else origin.encode("latin-1")
        return [(b"access-control-allow-origin", allowed), (b"vary", b"origin"),
                (b"access-control-expose-headers", _EXPOSED.encode())]

    def _preflight(self, path: str) -> Prepared:
        """The answer to a preflight: ``Allow`` names every method of the path, as a 405 does;
        ``Access-Control-Allow-Methods`` those that the CORS origins may send."""
        allowed, readable = self.router.methods(path)
        return Prepared(204, [(b"allow", ", ".join(allowed).encode()),
                              (b"access-control-allow-methods", ", ".join(readable).encode()),
                              (b"access-control-allow-headers", b"accept, content-type, if-match, if-none-match"),
                              (b"access-control-max-age", b"600"), (b"content-length", b"0")], b"")

    def log_refusal(self, *, client: tuple[str, int] | None, path: str, query_bytes: int, status: int,
                    body: bytes, error: str) -> None:
        """Log a request the HTTP protocol refused before it reached the application (a URL or
        head over its cap, or bytes that are not HTTP), as the others are logged."""
        if self._log is not None:
            self._write_log(client=client, method="-", path=path, query_bytes=query_bytes, status=status,
                            size=len(body), started=time.perf_counter(), cache="-", error=error)

    def _write_log(self, *, client: tuple[str, int] | None, method: str, path: str, query_bytes: int,
                   status: int, size: int, started: float, cache: str, error: str, trace: str = "") -> None:
        """Keep one line of the access log, written within 0.1 s; a failure's ``trace`` goes in
        it as one string, and to stderr if there is no access log, as uvicorn's errors do."""
        now = time.time()
        if int(now) != self._stamp[0]:
            self._stamp = (int(now), time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)))
        client = client or ("-", 0)
        line = (f'{{"time": "{self._stamp[1]}.{int(now % 1 * 1000):03d}Z", '
                f'"client": {_quote(f"{client[0]}:{client[1]}")}, "method": {_quote(method)}, '
                f'"path": {_quote(path)}, "query_bytes": {query_bytes}, '
                f'"status": {status}, "bytes": {size}, '
                f'"ms": {(time.perf_counter() - started) * 1000:.2f}, "cache": "{cache}"')
        if error:
            line += f', "error": {_quote(error[:300])}'
        if trace:
            line += f', "traceback": {_quote(trace)}'
        if self._log is None:
            sys.stderr.write(line + "}\n")
            sys.stderr.flush()
            return
        if not self._lines:
            asyncio.get_running_loop().call_later(0.1, self._flush_log)
        self._lines.append(line + "}\n")

    def _flush_log(self) -> None:
        """Write the lines kept, in writes of whole lines of at most 4 KiB: other server
        processes (``--processes``) write to the same log, and such writes never interleave."""
        if self._lines and self._log is not None:
            chunk: list[str] = []
            size = 0
            for line in self._lines:
                length = len(line.encode())
                if chunk and size + length > _ATOMIC_WRITE:
                    self._log.write("".join(chunk))
                    self._log.flush()
                    chunk, size = [], 0
                chunk.append(line)
                size += length
            self._log.write("".join(chunk))
            self._log.flush()
        self._lines.clear()


async def _read_body(receive: Any, headers: dict[str, str], limit: int) -> bytes:
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise HttpError(413, f"The request body ({length} bytes) is over the {limit}-byte limit.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone("The client went away before its request arrived whole.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HttpError(413, f"The request body is over the {limit}-byte limit.")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _traceback() -> str:
    """The traceback of the exception being handled, its last 3,000 characters (the innermost
    frames and the error): an access-log line stays within one atomic write of the shared log."""
    text = traceback.format_exc().rstrip("\n")
    return text if len(text) <= _MAX_TRACE else "…" + text[1 - _MAX_TRACE:]


# scheme, host (a name, or a bracketed IPv6 address) and an optional port, in lower case, as browsers send them
_ORIGIN = re.compile(r"^https?://(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?$")


def _is_origin(value: str) -> bool:
    found = _ORIGIN.match(value)
    return found is not None and int(found[1] or 0) <= 65535


def check_origins(origins: Sequence[str]) -> None:
    """Refuse a CORS origin that no browser sends, which would allow nothing.

    >>> check_origins(["https://example.org", "http://127.0.0.1:3000", "http://[::1]:8080", "*"])
    >>> check_origins(["example.org"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    citykg.errors.ServeError: --cors 'example.org' is not an origin: ... did you mean 'https://example.org'? ...
    >>> check_origins(["https://*.example.org"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    citykg.errors.ServeError: --cors 'https://*.example.org' is not an origin: ... a * matches only alone, ...
    """
    for origin in origins:
        if origin == "*" or _is_origin(origin):
            continue
        if "*" in origin:
            raise ServeError(f"--cors {quoted(origin)} is not an origin: browsers send one origin, such as "
                             "https://app.example.org, and a * matches only alone, as any origin. Repeat --cors "
                             "for each origin to allow, or give * for any origin.")
        scheme, _, rest = origin.lower().rpartition("://")
        guess = f"{scheme or 'https'}://{rest.split('/')[0]}"
        hint = f"; did you mean {quoted(guess)}?" if _is_origin(guess) and guess != origin else "."
        raise ServeError(f"--cors {quoted(origin)} is not an origin: browsers send an origin as scheme and host "
                         f"(and port), with no path, such as https://example.org{hint} Give * for any origin.")
