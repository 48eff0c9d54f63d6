"""More server processes for ``citykg serve --processes N``: N processes on one port.

Python runs one thread of the server's own work at a time, so one process answers with one core
however many the machine has. With ``--processes N`` the server starts N - 1 more processes
(``python -m citykg.prefork``), each a complete server with its own query workers and cache,
each listening on the same port (``SO_REUSEPORT``), so that the kernel spreads new connections
evenly over them (on one shared socket, the first process to wake would take a whole burst).
A process that dies (the kernel's out-of-memory killer, say) is replaced; one that was stopped
(Ctrl+C, SIGTERM) is not. Each dies with the first process.

Example (what the first process runs for each of the others)::

    >>> from citykg.project import Project
    >>> from citykg.serve import ServeConfig
    >>> argv = front_argv(Project(root=Path("/srv/citykg"), dist=Path("/srv/citykg/dist")),
    ...                   ServeConfig(processes=2), host="127.0.0.1", port=8000)
    >>> argv[1:3]
    ['-m', 'citykg.prefork']
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from citykg.project import Project
    from citykg.serve import ServeConfig

__all__ = ["Fronts", "front_argv", "main"]

# How a process that was stopped on purpose exits: uvicorn re-raises the signal it handled.
_STOPPED = (0, -signal.SIGINT, -signal.SIGTERM)


def front_argv(project: Project, config: ServeConfig, *, host: str, port: int) -> list[str]:
    """The command line of one more server process, serving ``project`` on ``host:port``."""
    spec = {"root": str(project.root), "dist": str(project.dist), "host": host, "port": port,
            "config": {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(config).items()}}
    return [sys.executable, "-m", "citykg.prefork", json.dumps(spec)]


class Fronts:
    """The other server processes: started, replaced if one dies, stopped with the first.

    :param argv: the command line of each (see :func:`front_argv`).
    :param count: how many to keep running.
    """

    def __init__(self, argv: list[str], *, count: int) -> None:
        self.argv = argv
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[int, subprocess.Popen[bytes]] = {}
        for slot in range(count):
            threading.Thread(target=self._keep, args=(slot,), daemon=True, name=f"citykg-front-{slot}").start()

    def _keep(self, slot: int) -> None:
        """Run one process, and another in its place each time it dies (its thread is its
        parent: the process is told to stop if this thread ends, see :func:`main`)."""
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return
                process = self._running[slot] = subprocess.Popen(self.argv)
            code = process.wait()
            if self._stopping.is_set() or code in _STOPPED:
                return
            print(f"citykg: server process {process.pid} exited ({code}); starting another", file=sys.stderr)
            time.sleep(1.0)  # not in a tight loop if it cannot start

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop every process (SIGTERM; SIGKILL after ``timeout`` seconds) and wait for it."""
        with self._lock:
            self._stopping.set()
            running = list(self._running.values())
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _die_with_parent() -> None:
    """Have the kernel send SIGTERM to this process when the thread that started it ends."""
    import ctypes
    import os

    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it ended before the request took effect
        sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    """Serve as one more server process (``python -m citykg.prefork SPEC``; see :func:`front_argv`)."""
    from citykg.errors import ServeError
    from citykg.project import Project
    from citykg.serve import ServeConfig, listen, run_server

    spec = json.loads((sys.argv[1:] if argv is None else argv)[0])
    _die_with_parent()
    values = spec["config"]
    config = ServeConfig(**{**values, "store": Path(values["store"]) if values["store"] else None,
                            "cors": tuple(values["cors"])})
    try:
        sock = listen(spec["host"], spec["port"], shared=True, join=True)
    except ServeError as exc:
        sys.exit(f"citykg: {exc}")
    run_server(Project(root=Path(spec["root"]), dist=Path(spec["dist"])), config, sock)


if __name__ == "__main__":
    main()
