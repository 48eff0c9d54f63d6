"""What the worker pool (:mod:`citykg.pool`) keeps of its jobs and workers, and its processes' start and end.

An :class:`Item` is one job on its way to a worker, a :class:`Worker` one worker process as the
pool holds it: its pipes, the jobs sent to it in order (the first is the one running) and its
state. :func:`launch` starts a worker process (``python -m citykg.worker``, :mod:`citykg.worker`)
with its pipes; :func:`reap` kills one, if it still runs, and waits until it has exited.
:class:`WorkerUnavailable` is what the pool raises when no worker answers a job.

Example::

    >>> WorkerUnavailable(503, "All 2 query workers stayed busy.").status
    503
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any, cast

from citykg.evaluate import Answer
from citykg.worker import Channel

__all__ = ["Item", "Worker", "WorkerUnavailable", "launch", "reap"]


class WorkerUnavailable(Exception):
    """No worker could take the job in time (all busy), or its worker died; ``status`` says which."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(eq=False)
class Item:
    """One job on its way: its id, pickled form, deadline, and the future of its answer."""

    ident: int
    payload: bytes
    deadline: float  # for waiting: the job fails (503) if no worker takes it by then
    timeout: float  # for running: the worker is killed if the job runs longer
    future: asyncio.Future[Answer]
    orphan: bool = False  # moved elsewhere or abandoned: drop its answer
    timer: asyncio.TimerHandle | None = None  # while waiting for a worker

    def moved(self) -> Item:
        """The same job, to place again: this one is left to its worker, marked an orphan."""
        self.orphan = True
        return Item(self.ident, self.payload, self.deadline, self.timeout, self.future)


@dataclass(eq=False)
class Worker:
    """One worker process: its pipes, the jobs sent to it, and its state."""

    transport: asyncio.SubprocessTransport
    stdin: asyncio.WriteTransport
    queue: deque[Item] = field(default_factory=deque)
    started: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    ready: bool = False
    slow: bool = False
    dead: bool = False
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    outbox: list[bytes] = field(default_factory=list)

    def skip(self, items: list[Item]) -> None:
        """Tell the worker to skip ``items``, sent to it and not started (it reads this before its next job)."""
        message = pickle.dumps(("skip", [item.ident for item in items]))
        self.stdin.write(len(message).to_bytes(4, "big") + message)


async def launch(memory_mb: int) -> tuple[asyncio.SubprocessTransport, Channel]:
    """Start a worker process capped at ``memory_mb`` MiB (``0``: no cap): its transport, and the
    :class:`~citykg.worker.Channel` that reads its answers."""
    env = {**os.environ, "RUST_BACKTRACE": "0"}  # an aborted query says one line, not a backtrace of 100
    return await asyncio.get_running_loop().subprocess_exec(
        Channel, sys.executable, "-m", "citykg.worker", str(memory_mb),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)


async def reap(worker: Worker) -> None:
    """Kill ``worker``'s process if it still runs, and wait until it has exited."""
    if worker.transport.get_returncode() is None:
        worker.transport.kill()
    channel = cast(Any, worker.transport.get_protocol())
    if channel is not None:  # None once the transport has seen the process and its pipes end
        await asyncio.shield(channel.exited)  # (a cancelled stop must not cancel the exit for the next)
    worker.transport.close()
