"""The routes of ``citykg serve`` besides its data: ``/`` (the query page), ``/static/{name}``, ``/health``.

``/health`` says which build is served and how large it is, the workers, the cache and the
limits, and which server process answered. It never waits for a query worker: the size of a build
is read from the ``info.json`` its build wrote (:mod:`citykg.buildinfo`), so that a monitor gets
its answer at once while every worker is busy with a long query.

Example::

    >>> from citykg.project import Project
    >>> from citykg.serve import ServeConfig, Server
    >>> [r.path for r in core_routes(Server(Project.locate(), ServeConfig(port=0)))]
    ['/', '/static/{name}', '/health']
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from citykg.errors import cut
from citykg.web import HttpError, Request, Response, Route, json_response

if TYPE_CHECKING:
    from citykg.serve import Server

__all__ = ["core_routes"]

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
_LIMITS = ("timeout", "max_rows", "max_bytes", "max_body", "worker_memory_mb")


def core_routes(server: Server) -> list[Route]:
    """``/``, ``/static/{name}`` and ``/health`` of ``server``."""
    assets = {entry.name: Response(200, entry.read_bytes(), _TYPES[Path(entry.name).suffix],
                                   (("cache-control", "no-cache"),), cacheable=True)
              for entry in (files("citykg") / "static").iterdir()
              if entry.is_file() and Path(entry.name).suffix in _TYPES}

    async def index(request: Request) -> Response:
        return assets["index.html"]

    async def static(request: Request) -> Response:
        asset = assets.get(request.path_params["name"])
        if asset is None:
            raise HttpError(404, f"No static file '{cut(request.path_params['name'])}'. See / for the query page.")
        return asset

    async def health(request: Request) -> Response:
        build = server.build()
        info = await server.info(build)
        pool, cache, config = server.pool, server.cache, server.config
        return json_response({
            "ok": True, "status": 200, "build": build.id, "quads": info["quads"],
            "graphs": len(info["graphs"]), "uptime_s": round(time.time() - server.started, 1),
            "workers": {"size": pool.size, "spares": pool.spares, "idle": pool.idle, "replaced": pool.killed,
                        "pids": pool.pids},
            "process": {"pid": os.getpid(), "of": config.processes, "answered_here": server.answered_here},
            "cache": {"entries": len(cache), "bytes": cache.size, "hits": cache.hits,
                      "misses": cache.misses},
            "limits": {k: v for k, v in asdict(config).items() if k in _LIMITS}})

    return [Route("/", index), Route("/static/{name}", static), Route("/health", health, cors=True, cache=False)]
