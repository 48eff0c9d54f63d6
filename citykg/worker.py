"""The query-worker process of ``citykg serve`` (``python -m citykg.worker [MEMORY_MB]``).

The server (:mod:`citykg.pool`) starts a few of these and kills one whose query runs past its
time limit, since pyoxigraph cannot interrupt a query. A worker caps its own memory, gives up
the network (:mod:`citykg.sandbox`), then reads jobs from stdin and writes their answers to
stdout, each frame a 4-byte big-endian length and a pickle, in order; it opens the store
read-only and reopens it when a job names a newer build. :func:`citykg.evaluate.evaluate` does
the work of each job. The server's end of the pipe is :class:`Channel`, and :func:`exit_message`
says what a worker's exit means for the query it ran.

Example (one frame, as the server sends it)::

    >>> import pickle
    >>> from citykg.evaluate import InfoJob
    >>> payload = pickle.dumps(("job", 1, InfoJob(store="/path/to/store")))
    >>> frame = len(payload).to_bytes(4, "big") + payload
    >>> int.from_bytes(frame[:4], "big") == len(payload)
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import select
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable
from typing import IO, cast

from citykg.evaluate import Answer, Job, evaluate
from citykg.store import LastStore

__all__ = ["Channel", "exit_message", "main"]


def exit_message(code: int | None, memory_mb: int) -> str:
    """What the exit of a worker says about the query it ran, for the client (a 500): the server's
    side of the worker, told by its exit code (negative: the signal that ended it).

    A failed allocation under the worker's memory cap aborts it (SIGABRT: pyoxigraph prints
    "memory allocation of … bytes failed"), and the kernel's OOM killer sends SIGKILL: both
    blame memory. Any other signal is a crash, such as the stack overflow (SIGSEGV) of a query
    that :func:`citykg.sparqltext.check_query` let through; an exit code, a fault in citykg.

    >>> exit_message(-11, 4096)  # doctest: +ELLIPSIS
    'The query crashed its worker (SIGSEGV); a new worker has taken its place. Simplify the query ...'
    >>> exit_message(-6, 4096)  # doctest: +ELLIPSIS
    'The query stopped its worker (SIGABRT): it may have needed more than the 4096 MiB memory limit ... or a LIMIT.'
    """
    name = signal.Signals(-code).name if code is not None and -code in signal.valid_signals() else f"exit {code}"
    if code in (-signal.SIGABRT, -signal.SIGKILL):
        return f"The query stopped its worker ({name}): it may have needed more than {_memory(memory_mb)}. {_ASK_LESS}"
    if code is not None and code < 0:
        return (f"The query crashed its worker ({name}); a new worker has taken its place. Simplify the query "
                "(fewer patterns or operators in one chain, less nesting), or report it with the query if "
                "it is an ordinary one.")
    return f"The query stopped its worker ({name}); the server's log says why."


_ASK_LESS = "Ask for less of it: fewer or shorter values, or a LIMIT."


def _memory(memory_mb: int) -> str:
    return f"the {memory_mb} MiB memory limit of a query worker" if memory_mb else "the memory of the machine"


class Channel(asyncio.SubprocessProtocol):
    """The server's end of one worker's stdout: splits it into answer frames for ``on_frame``, and
    tells ``on_exit`` when the process has ended (``exited`` is then done too). What the worker
    writes to stderr (pyoxigraph's "memory allocation of … bytes failed", a traceback) goes to the
    server's stderr a line at a time, each line marked ``citykg: query worker PID:``, so that it
    never splits a line of the access log there."""

    def __init__(self) -> None:
        self.on_frame: Callable[[bytes], None] | None = None
        self.on_exit: Callable[[], None] | None = None
        self.buffer = bytearray()
        self.said = bytearray()
        self.pid: int | None = None
        self.exited = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.pid = cast(asyncio.SubprocessTransport, transport).get_pid()

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        if fd == 2:
            self.said += data  # type: ignore[arg-type]
            *lines, rest = self.said.split(b"\n")
            self.said[:] = rest
            self._say([bytes(line) for line in lines])
            return
        self.buffer += data  # type: ignore[arg-type]
        while len(self.buffer) >= 4:
            size = int.from_bytes(self.buffer[:4], "big")
            if len(self.buffer) < 4 + size:
                return
            frame = bytes(self.buffer[4:4 + size])
            del self.buffer[:4 + size]
            if self.on_frame is not None:
                self.on_frame(frame)

    def _say(self, lines: list[bytes]) -> None:
        for line in lines:  # (less Rust's advice to set RUST_BACKTRACE, which the server does not pass on)
            if line.strip() and not line.startswith(b"note: run with `RUST_BACKTRACE"):
                text = line.decode("utf-8", "replace").rstrip()
                print(f"citykg: query worker {self.pid}: {text}", file=sys.stderr, flush=True)

    def process_exited(self) -> None:
        self._say([bytes(self.said)])
        self.said.clear()
        if not self.exited.done():
            self.exited.set_result(None)
        if self.on_exit is not None:
            self.on_exit()


class _Frames:
    """Frames from a pipe: a 4-byte big-endian length, then that many bytes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def next(self, *, wait: bool) -> bytes | None:
        """The next frame; ``None`` if ``wait`` is false and none has fully arrived.

        :raises EOFError: when the server has closed the pipe.
        """
        while True:
            if len(self.buffer) >= 4:
                size = int.from_bytes(self.buffer[:4], "big")
                if len(self.buffer) >= 4 + size:
                    frame = bytes(self.buffer[4:4 + size])
                    del self.buffer[:4 + size]
                    return frame
            if not wait and not select.select([self.fd], [], [], 0)[0]:
                return None
            data = os.read(self.fd, 1 << 16)
            if not data:
                raise EOFError
            self.buffer += data


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(len(payload).to_bytes(4, "big"))
    stream.write(payload)  # apart: an answer may take megabytes, not to be copied once more
    stream.flush()


def _limit_memory(megabytes: int) -> None:
    """Cap the worker's address space, so that one query cannot exhaust the machine's memory."""
    import resource

    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str] | None = None) -> None:
    """Serve jobs from stdin until it closes (``python -m citykg.worker [MEMORY_MB]``).

    :param argv: ``[MEMORY_MB]``, the address-space cap of this worker (``0``: none).
    """
    args = sys.argv[1:] if argv is None else argv
    memory_mb = int(args[0]) if args else 0
    if memory_mb > 0:
        _limit_memory(memory_mb)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its workers itself
    from citykg.sandbox import deny_network

    if not deny_network():
        print("citykg: this platform cannot take the network from query workers; SERVICE is "
              "still refused by the query check", file=sys.stderr)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers may reach the answer channel
    with contextlib.suppress(BrokenPipeError):  # the server has gone: so does its worker
        _serve_jobs(inp, out, memory_mb)


def _serve_jobs(inp: IO[bytes], out: IO[bytes], memory_mb: int = 0) -> None:
    """Answer ``("job", id, job)`` frames in order, skipping the ids of ``("skip", ids)`` frames
    (``memory_mb``: the worker's memory cap, for the message of a query that reaches it).

    Before each job the worker reads every frame that has arrived, so a skip sent while it was
    busy reaches it before it starts a job that has moved to another worker.
    """
    frames = _Frames(inp.fileno())
    stores = LastStore()
    pending: deque[tuple[int, Job]] = deque()
    skipped: set[int] = set()
    _write_frame(out, pickle.dumps((0, Answer(content_type="ready"))))
    while True:
        try:
            frame = frames.next(wait=not pending)
            while frame is not None:
                message = pickle.loads(frame)
                if message[0] == "skip":
                    skipped.update(message[1])
                else:
                    pending.append((message[1], message[2]))
                frame = frames.next(wait=False)
        except EOFError:
            return
        ident, job = pending.popleft()
        if ident in skipped:
            skipped.discard(ident)
            answer = Answer(status=0)  # moved to another worker: not run here
        else:
            answer = _answer(stores, job, memory_mb)
        _write_frame(out, pickle.dumps((ident, answer), protocol=pickle.HIGHEST_PROTOCOL))


def _answer(stores: LastStore, job: Job, memory_mb: int = 0) -> Answer:
    try:
        store = stores.open(job.store)
    except OSError as exc:
        print(f"citykg: the store {job.store} cannot be read: {exc}", file=sys.stderr)
        return Answer(503, error="The graph cannot be read right now; the server log says why. "
                                 "Rebuild it with `citykg build`.")
    try:
        return evaluate(store, job)
    except PermissionError:  # the worker has no network (citykg.sandbox): a SERVICE got this far
        return Answer(400, error="The query tried to reach another server. This endpoint makes no "
                                 "outgoing requests: SERVICE is refused. Query the other endpoint "
                                 "yourself, or load its data into the graph.")
    except MemoryError:  # an allocation past the worker's memory cap, the query's doing
        return Answer(500, error=f"The query needed more than {_memory(memory_mb)}, and was stopped. {_ASK_LESS}")
    except Exception as exc:  # a bug: report it, keep the worker
        traceback.print_exc(file=sys.stderr)
        return Answer(500, error=f"The query failed inside citykg: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
