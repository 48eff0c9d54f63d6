"""``citykg serve``: the graph over HTTP, with every limit on by default."""

from __future__ import annotations

from pathlib import Path

import click

from citykg.cli.common import Seconds, Settings, pass_settings

__all__ = ["access_log_target", "serve"]


def _worker_memory(megabytes: int) -> int:
    if 0 < megabytes < 1024:  # the store alone reserves about 600 MiB of address space
        raise click.BadParameter("give 0 (no cap) or at least 1024 MiB: a worker needs about 600 MiB of "
                                 "address space just to open the store.", param_hint="--worker-memory")
    return megabytes


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the server on this machine.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="TCP port (0: any free port).")
@click.option("--store", type=click.Path(file_okay=False, path_type=Path),
              help="Serve this store folder instead of the project's last build.")
@click.option("--timeout", type=Seconds(min=0.1), default=10.0, show_default=True,
              help="Seconds a query may run before it is stopped.")
@click.option("--max-rows", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Most rows (or triples) in an answer; a capped answer says so.")
@click.option("--max-bytes", type=click.IntRange(min=65_536), default=33_554_432, show_default=True,
              help="Most bytes in an answer; a larger one is cut at a whole row and says so.")
@click.option("--max-body", type=click.IntRange(min=1024), default=1_048_576, show_default=True,
              help="Largest request body, in bytes.")
@click.option("--processes", type=click.IntRange(1, 64), show_default="one a core, at most 4",
              help="Server processes sharing the port, each with its own query workers.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Query-worker processes of each server process (queries it can run at once).")
@click.option("--spare-workers", type=click.IntRange(0, 64), default=2, show_default=True,
              help="Workers started beyond --workers while every worker runs a slow query and others wait.")
@click.option("--worker-memory", type=click.IntRange(min=0), default=4096, show_default=True,
              callback=lambda ctx, param, value: _worker_memory(value),
              help="Memory cap of each query worker, in MiB (0: none; else at least 1024).")
@click.option("--cache", "cache_mb", type=click.IntRange(min=0), default=64, show_default=True,
              help="Memory for cached answers, in MiB (0: no cache).")
@click.option("--cors", multiple=True, metavar="ORIGIN",
              help="Let this origin read answers from a browser; repeat, or '*' for any.")
@click.option("--read-timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds a client has to send a whole request from its first byte (else 408).")
@click.option("--access-log", default="-", show_default=True, metavar="FILE",
              help="Where the JSON access log goes: '-' (stderr), a file, or 'off' (or 'none').")
@pass_settings
def serve(settings: Settings, host: str, port: int, store: Path | None, timeout: float,
          max_rows: int, max_bytes: int, max_body: int, processes: int | None, workers: int, spare_workers: int,
          worker_memory: int, cache_mb: int, cors: tuple[str, ...], read_timeout: float, access_log: str) -> None:
    """Serve the graph over HTTP: SPARQL endpoint, named queries, entity pages, query page.

    Builds the graph first if it was never built, then serves the last good build, following
    new builds without a restart. SPARQL is read-only, with a query timeout, a row cap and a
    body cap.

    Data submissions: POST /submissions (a zip of tables or an RDF file, with the header
    "Authorization: Bearer TOKEN") is enabled when CITYKG_SUBMIT_TOKEN holds the TOKEN;
    without it, POST /submissions answers 403. GET /submissions lists the accepted ones.

    \b
    Examples:
      citykg serve                          # http://127.0.0.1:8000/
      citykg serve --port 9000 --timeout 5 --cors https://example.org
      citykg serve --processes 1            # one server process (and 2 query workers)
    """
    from citykg.serve import ServeConfig, default_processes
    from citykg.serve import serve as run_serve

    config = ServeConfig(host=host, port=port, store=store, timeout=timeout, max_rows=max_rows, max_bytes=max_bytes,
                         max_body=max_body, processes=processes or default_processes(), workers=workers,
                         spare_workers=spare_workers, worker_memory_mb=worker_memory, cache_mb=cache_mb, cors=cors,
                         read_timeout=read_timeout, access_log=access_log_target(access_log))
    run_serve(settings.project(), config=config, progress=settings.say)


def access_log_target(value: str) -> str | None:
    """The access log of ``--access-log VALUE``: ``None`` (no log) for ``off`` or ``none``, in any case.

    >>> access_log_target("off"), access_log_target("None"), access_log_target("-"), access_log_target("./off")
    (None, None, '-', './off')
    """
    return None if value.lower() in ("off", "none") else value
