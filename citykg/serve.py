"""``citykg serve``: the built graph over HTTP, fast and safe by default.

The server is a small ASGI application run by uvicorn. It answers:

- ``/sparql``         the SPARQL 1.1 Protocol (:mod:`citykg.sparql`), and its Service
  Description (:mod:`citykg.service`)
- ``/queries``        the named queries as JSON; ``/queries/{name}?param=…`` answers one
- ``/id/…``, ``/ontology``, ``/graph/…``  a page for every IRI citykg mints (:mod:`citykg.pages`)
- ``/``               the query page (``citykg/static/``), ``/health`` for monitoring (:mod:`citykg.health`)

The ASGI plumbing (routing, caps, cache, CORS, access log) is :mod:`citykg.app`, and uvicorn's
HTTP protocol as the server runs it (capped request heads, deadlines, one write a response) is
:mod:`citykg.protocol`; uvicorn's own log records are access-log lines (:mod:`citykg.serverlog`).
Queries run in worker processes (:mod:`citykg.pool`), each killed and replaced if its query runs past
``timeout`` or its client goes away (:mod:`citykg.disconnect`); only a lookup (a single triple
pattern that names no variable twice, :func:`citykg.sparqltext.is_lookup`) whose answer is small
is answered by the server process itself, since its cost is bounded by that answer. With
``processes`` > 1, more server processes share the port (:mod:`citykg.prefork`).
Answers are cached by request until the build changes, and the server follows
``dist/current``: a new build is served without a restart. Every error is one JSON shape,
``{"ok": false, "error": "…", "status": N}``; each request is one JSON line in the access log
(stderr, or a file).

Example::

    >>> from citykg.project import Project
    >>> app = create_app(Project.locate(), config=ServeConfig(port=0, timeout=2.0))
    >>> app.server.config.max_rows, app.server.config.host
    (10000, '127.0.0.1')
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from citykg.answers import AnswerCache, Build, StoreWatch
from citykg.app import App, check_origins
from citykg.buildinfo import read_info
from citykg.errors import QueryError, ServeError, StoreError
from citykg.evaluate import Answer, InfoJob, Job, SparqlJob, small_answer
from citykg.pool import WorkerPool, WorkerUnavailable
from citykg.prepared import Prepared
from citykg.project import Project
from citykg.queries import NamedQuery, load_catalogue
from citykg.store import LastStore
from citykg.web import HttpError, Response, Route, Router

__all__ = ["App", "RouteFactory", "ServeConfig", "Server", "create_app", "default_processes", "listen",
           "run_server", "serve"]

RouteFactory = Callable[["Server"], Sequence[Route]]
Progress = Callable[[str], None]
_HERE_BYTES = 65_536  # the largest answer to a lookup that the server writes itself


def default_processes() -> int:
    """One server process for each core this process may run on, at most four.

    >>> 1 <= default_processes() <= 4
    True
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(4, cores))


@dataclass(frozen=True, kw_only=True)
class ServeConfig:
    """How ``citykg serve`` listens and what it allows; every limit is on by default.

    :param host: the address to bind; ``127.0.0.1`` keeps the server on this machine.
    :param port: the TCP port (``0``: any free port).
    :param store: serve this store folder instead of the project's last build.
    :param timeout: seconds a query may run (and may wait for a free worker).
    :param max_rows: the most rows (or triples) an answer carries; a capped answer says so.
    :param max_bytes: the most bytes an answer carries; a larger one is cut at a whole row and
        says so, and one whose first row alone is larger is a 422.
    :param max_body: the largest request body, in bytes.
    :param processes: server processes sharing the port (see :mod:`citykg.prefork`), each with
        its own query workers and cache; by default one for each core, at most four.
    :param workers: query-worker processes of each server process, the number of queries that
        one can run at once.
    :param spare_workers: workers each server process may start beyond ``workers`` while every
        worker is held by a slow query and others wait; each stops after a few idle seconds.
    :param worker_memory_mb: each worker's memory cap in MiB (``0``: none).
    :param cache_mb: memory for cached answers, in MiB (``0``: no cache).
    :param cors: origins that may read answers from a browser (``*``: any); none by default.
    :param access_log: ``-`` for stderr, a file path, or ``None`` for no access log.
    :param reload_interval: seconds between two checks for a new build.
    :param read_timeout: seconds a client has to send a whole request (head and body) from its
        first byte; a slower one is answered 408 and its connection closed. A connection on which
        nothing arrives, or whose client reads nothing of its answers, for as long is closed.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    store: Path | None = None
    timeout: float = 10.0
    max_rows: int = 10_000
    max_bytes: int = 32 * 1_048_576
    max_body: int = 1_048_576
    processes: int = field(default_factory=default_processes)
    workers: int = 2
    spare_workers: int = 2
    worker_memory_mb: int = 4096
    cache_mb: int = 64
    cors: tuple[str, ...] = ()
    access_log: str | None = "-"
    reload_interval: float = 1.0
    read_timeout: float = 60.0


class Server:
    """The state that the routes of one running server share: project, config, workers, cache."""

    def __init__(self, project: Project, config: ServeConfig) -> None:
        self.project = project
        self.config = config
        self.store = StoreWatch(config.store or project.store, interval=config.reload_interval)
        self.pool = WorkerPool(size=config.workers, memory_mb=config.worker_memory_mb,
                               spares=config.spare_workers)
        self.cache: AnswerCache[Prepared] = AnswerCache(max_bytes=config.cache_mb * 1_048_576)
        self.started = time.time()
        self._info: dict[str, dict[str, Any]] = {}
        self._catalogue: dict[str, NamedQuery] = {}
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._broken = ""  # why the queries, as they are on disk, do not load
        self._checked = -1.0e9
        #: Bumped when a named query changes: part of every cache key, as the build id is.
        self.catalogue_version = 0
        #: Lookups answered in this process, without a worker.
        self.answered_here = 0
        self._store = LastStore()

    def build(self) -> Build:
        """The build to answer from (checked for a newer one every ``reload_interval``).

        :raises StoreError: if there is no build.
        """
        return self.store.current()

    def catalogue(self) -> dict[str, NamedQuery]:
        """The named queries, reloaded when a ``queries/*.rq`` file is added, changed or removed.

        :raises QueryError: while a query file is broken (as ``citykg query --list`` reports it);
            the queries load again once it is fixed.
        """
        now = time.monotonic()
        if now - self._checked >= self.config.reload_interval:
            self._checked = now
            folder = self.project.queries
            signature = tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size)
                                     for e in os.scandir(folder) if e.name.endswith(".rq")))
            if signature != self._signature:
                self._signature, self._broken = signature, ""
                self.catalogue_version += 1
                try:
                    self._catalogue = load_catalogue(folder)
                except QueryError as exc:  # named as the project has it: the server's folders are its own
                    self._catalogue, self._broken = {}, str(exc).replace(f"{folder}{os.sep}", "queries/")
        if self._broken:
            raise QueryError(self._broken)
        return self._catalogue

    async def answer(self, job: Job, *, lookup: bool = False, gone: Callable[[], Awaitable[object]] | None = None
                     ) -> Answer:
        """Run ``job`` in a worker within the time limit.

        :param lookup: ``job`` is a lookup (:func:`citykg.sparqltext.is_lookup`): its cost is
            bounded by the size of its answer, so if that answer is small (64 KiB) and SPARQL
            JSON or a boolean, this process writes it itself, sparing the trip to a worker.
        :param gone: returns once the client has gone away (:attr:`citykg.web.Request.disconnected`):
            the job is then stopped, and its worker killed and replaced if it was running.
        :raises QueryTimeout: if it ran past ``timeout`` (HTTP 504).
        :raises HttpError: with the worker's status for a client error, 503 if every worker
            stayed busy, 500 if the worker died.
        :raises ClientGone: if the client went away first (:mod:`citykg.disconnect`).
        """
        answer = self._answer_here(job) if lookup and isinstance(job, SparqlJob) else None
        try:
            if answer is None:
                answer = await self.pool.run(job, timeout=self.config.timeout, gone=gone)
        except WorkerUnavailable as exc:
            retry = (("retry-after", "1"),) if exc.status == 503 else ()
            raise HttpError(exc.status, str(exc), retry) from exc
        if answer.error:
            raise HttpError(answer.status, answer.error)
        return answer

    def _answer_here(self, job: SparqlJob) -> Answer | None:
        try:
            store = self._store.open(job.store)
        except OSError:
            return None  # a worker will say why
        answer = small_answer(store, job, max_bytes=_HERE_BYTES)
        self.answered_here += answer is not None
        return answer

    def respond(self, answer: Answer, *, cacheable: bool = True) -> Response:
        """A response of a query answer, with the truncation headers if it was capped; cacheable
        unless told otherwise (the answer of a query that calls NOW() or RAND() changes)."""
        headers: tuple[tuple[str, str], ...] = (("vary", "accept"),)
        if answer.truncated:
            cap = ("citykg-max-bytes", str(self.config.max_bytes)) if answer.by_bytes else (
                "citykg-max-rows", str(self.config.max_rows))
            headers += (("citykg-truncated", "true"), cap)
        if answer.studies:  # the rows of a named query mix studies that no column tells apart
            headers += (("citykg-studies", ", ".join(quote(s, safe="-._~") for s in answer.studies)),)
        if answer.lacking:  # why a named query has no rows, percent-encoded (a city may be named in Persian)
            headers += (("citykg-lacking", quote(answer.lacking, safe=" -._~'")),)
        return Response(200, answer.body, answer.content_type, headers, cacheable=cacheable)

    async def info(self, build: Build) -> dict[str, Any]:
        """Quads and triples per named graph of ``build``, as its ``info.json`` says
        (:mod:`citykg.buildinfo`), read once per build; counted by a worker for a build without one."""
        if build.id not in self._info:
            info = read_info(build.store, build.id)
            if info is None:  # a build of an older citykg, or a --store of no build
                info = json.loads((await self.answer(InfoJob(store=str(build.store)))).body)
            self._info = {build.id: info}
        return self._info[build.id]


def create_app(project: Project, *, config: ServeConfig | None = None,
               routes: Sequence[RouteFactory] = (), on_ready: Callable[[], None] | None = None) -> App:
    """The ASGI application of ``citykg serve`` (run it with uvicorn, or call :func:`serve`).

    :param project: the project whose build and named queries to serve.
    :param config: limits and options; see :class:`ServeConfig`.
    :param routes: more route factories, each called with the :class:`Server` and returning
        :class:`~citykg.web.Route` objects. This is where the data-submission routes mount
        (``POST /submissions`` with a token, ``GET /submissions/{id}``): pass their factory
        here, and give write routes ``cors=False`` and their own ``max_body``.
    :param on_ready: called once the workers are up and the server accepts requests.
    """
    from citykg import pages, sparql
    from citykg.health import core_routes

    server = Server(project, config or ServeConfig())
    table = [*sparql.routes(server), *pages.routes(server), *core_routes(server)]
    for factory in routes:  # extra routes: data submissions, and any later ones
        table += factory(server)
    return App(server, Router(table), on_ready=on_ready)


def listen(host: str, port: int, *, shared: bool = False, join: bool = False) -> socket.socket:
    """A listening socket on ``host:port``.

    :param shared: let the server's other processes listen on the same port (``SO_REUSEPORT``),
        the kernel spreading new connections over them. The port must be free all the same:
        another server listening there, even a shared one, is an error.
    :param join: listen beside the first of the server's processes, which checked the port.
    :raises ServeError: if the address cannot be bound.

    >>> sock = listen("127.0.0.1", 0, shared=True)
    >>> sock.getsockname()[1] > 0
    True
    >>> sock.close()
    """
    if shared and not join:  # nothing may listen there yet: bind once without sharing to see
        probe = _bound(host, port, share=False)
        port = probe.getsockname()[1]
        probe.close()
    sock = _bound(host, port, share=shared)
    sock.listen(2048)
    return sock


def _bound(host: str, port: int, *, share: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except socket.gaierror as exc:
        sock.close()
        raise ServeError(f"Cannot listen on {host}: {exc.strerror}. Pass an address of this machine "
                         "to --host, such as 127.0.0.1 (the default) or 0.0.0.0 for every interface.") from exc
    except OSError as exc:
        sock.close()
        raise ServeError(f"Cannot listen on {host}:{port}: {exc.strerror}. Pass another --port "
                         "(or --port 0 for any free one), or stop what is using it.") from exc
    return sock


def serve(project: Project, *, config: ServeConfig | None = None, progress: Progress | None = None) -> None:
    """Serve the project's graph until interrupted, building it first if it was never built.

    :param project: the project to serve.
    :param config: limits and options; see :class:`ServeConfig`.
    :param progress: called with a short message at each stage, and with the URL once serving.
    :raises DataError: if there was no build and the data does not conform.
    :raises StoreError: if ``config.store`` is not a store.
    :raises ServeError: if the address cannot be bound or the access log cannot be written.
    """
    config = config or ServeConfig()
    check_origins(config.cors)
    if config.access_log and config.access_log != "-":
        try:
            open(config.access_log, "a", encoding="utf-8").close()
        except OSError as exc:
            raise ServeError(f"Cannot write the access log {config.access_log}: {exc.strerror}. Pass "
                             "--access-log a file in a folder you can write, '-' (stderr) or 'off'.") from exc
    say = progress or (lambda message: None)
    if config.store is None and not project.store.exists():
        from citykg.build import build

        built = (project.dist / "current").is_dir()
        say(f"the store of the last build in {project.dist} is missing: building again" if built
            else f"no graph built in {project.dist} yet: building it")
        result = build(project, progress=say)
        say(f"built {result.quads} quads in {result.graphs} graphs ({result.report.summary()})")
    elif config.store is not None and not (config.store / "CURRENT").exists():
        raise StoreError(f"{config.store} is not a pyoxigraph store. Pass the store folder of a "
                         "build (dist/store), or leave --store out to serve the project's build.")
    sock = listen(config.host, config.port, shared=config.processes > 1)
    host, port = sock.getsockname()[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    processes = f"{config.processes} server processes with " if config.processes > 1 else ""
    each = " each" if config.processes > 1 else ""

    def ready(app: App) -> None:
        say(f"serving {url} (build {app.server.build().id}, {processes}{config.workers} query workers{each}, "
            f"{config.timeout:g} s timeout, {config.max_rows} rows max); Ctrl+C stops")

    fronts = None
    if config.processes > 1:
        from citykg.prefork import Fronts, front_argv

        fronts = Fronts(front_argv(project, config, host=host, port=port), count=config.processes - 1)
    try:
        run_server(project, config, sock, on_ready=ready)
    finally:
        if fronts is not None:
            fronts.stop()
    say("stopped")


def run_server(project: Project, config: ServeConfig, sock: socket.socket, *,
               on_ready: Callable[[App], None] | None = None) -> None:
    """Serve ``project`` on the listening socket ``sock`` in this process until stopped.

    :param on_ready: called with the application once it accepts requests.
    """
    import uvicorn

    from citykg.protocol import http_protocol
    from citykg.serverlog import uvicorn_log_config
    from citykg.submit_http import submission_routes  # POST /submissions, with CITYKG_SUBMIT_TOKEN

    app = create_app(project, config=config, routes=[submission_routes()],
                     on_ready=(lambda: on_ready(app)) if on_ready else None)
    settings = uvicorn.Config(app, lifespan="on", access_log=False, log_level="warning", proxy_headers=False,
                              server_header=False, timeout_graceful_shutdown=3, ws="none",
                              log_config=uvicorn_log_config(config.access_log),  # as access-log lines
                              http=http_protocol(read_timeout=config.read_timeout))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl+C it handled, once stopped
        uvicorn.Server(settings).run(sockets=[sock])
