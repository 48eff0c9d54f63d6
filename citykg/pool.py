"""The query workers of ``citykg serve``: processes that can be killed, so a query truly stops.

pyoxigraph cannot interrupt a running query, so every job (see :mod:`citykg.evaluate`) runs in
a worker process. A job that runs past its deadline has its worker killed and replaced; the
client gets :class:`~citykg.errors.QueryTimeout`, and the other workers go on answering.

Each worker takes up to a few jobs at a time and answers them in order, so that under load a
worker never sleeps between two jobs (waking a process costs more than a small query here);
the jobs of one event-loop iteration reach a worker in one write.
The first job in a worker's queue is the one running. If it runs longer than a moment, the jobs
queued behind it move to another worker (and the worker is told to skip them), so a slow or
runaway query delays nobody else; if it runs past its deadline, the worker is killed and the
jobs behind it, which never started, go to other workers. When every worker is held by a slow
job and jobs wait, a spare worker starts for them (up to ``spares`` of them), so a few runaway
queries delay the others by a worker's start rather than by their time limit; a spare stops
once it has been idle for a few seconds.
A job whose client goes away (``gone``, see :mod:`citykg.disconnect`) is stopped at once: it
leaves the queue, or its worker skips it, or, if it runs and has run longer than a moment, its
worker is killed and replaced, as at the time limit (a job just begun ends on its own, its answer
dropped, unless it runs that long too).

Example::

    >>> import asyncio, tempfile
    >>> from pyoxigraph import Store
    >>> from citykg.evaluate import SparqlJob
    >>> path = tempfile.mkdtemp()
    >>> store = Store(path); store.flush(); del store
    >>> async def ask() -> bytes:
    ...     pool = WorkerPool(size=1)
    ...     await pool.start()
    ...     job = SparqlJob(store=path, query="ASK {}", results_format="json",
    ...                     graph_format=None, max_rows=10)
    ...     try:
    ...         return (await pool.run(job, timeout=5.0)).body
    ...     finally:
    ...         await pool.close()
    >>> asyncio.run(ask())
    b'{"head":{},"boolean":true}'
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import Any, cast

from citykg.disconnect import ClientGone
from citykg.errors import QueryTimeout
from citykg.evaluate import Answer, Job
from citykg.poolstate import Item, Worker, WorkerUnavailable, launch, reap
from citykg.worker import exit_message

__all__ = ["WorkerPool", "WorkerUnavailable"]

_DEPTH = 4  # jobs a worker holds at once
_SLOW = 0.05  # seconds after which the jobs queued behind a running one move elsewhere


def _slow_after(item: Item) -> float:
    """Seconds after which a running job counts as slow: :data:`_SLOW`, or a quarter of its time."""
    return min(_SLOW, item.timeout / 4)


class WorkerPool:
    """Worker processes that evaluate jobs, each killed and replaced if a job runs too long.

    :param size: how many workers (queries that can run at once).
    :param memory_mb: each worker's address-space cap in MiB (``0``: none).
    :param spares: the most workers started beyond ``size`` while every worker is held by a slow job.
    :param linger: seconds a worker beyond ``size`` waits for work before it stops.
    """

    def __init__(self, *, size: int, memory_mb: int = 0, spares: int = 0, linger: float = 5.0) -> None:
        self.size = size
        self.memory_mb = memory_mb
        self.spares = spares
        self.linger = linger
        self.killed = 0
        self._workers: list[Worker] = []
        self._waiting: deque[Item] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._retired: set[Worker] = set()  # dead or killed, and not yet reaped
        self._closed = False
        self._flushing = False
        self._next_id = 0
        self._starting = 0  # workers being started that are not in _workers yet

    @property
    def idle(self) -> int:
        """Workers ready and with nothing to do."""
        return sum(1 for w in self._workers if w.ready and not w.queue)

    @property
    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        return [w.transport.get_pid() for w in self._workers if not w.dead]

    async def start(self) -> None:
        """Start every worker and wait until each is ready."""
        self._starting += self.size
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def close(self) -> None:
        """Stop every worker; jobs still waiting fail with 503."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for worker in [*self._workers, *self._retired]:
            await self._stop(worker)
        while self._waiting:
            self._fail(self._waiting.popleft(), WorkerUnavailable(503, "The server is stopping."))

    async def run(self, job: Job, *, timeout: float, gone: Callable[[], Awaitable[object]] | None = None) -> Answer:
        """Run ``job`` in a worker; a run that is cancelled stops the job, as ``gone`` does.

        :param timeout: seconds the job may run; it may also wait as long for a free worker.
        :param gone: returns once the job's client has gone away (awaited while the job waits or runs).
        :raises QueryTimeout: if the query ran out of time; its worker was killed.
        :raises WorkerUnavailable: 503 if no worker became free in time, 500 if the worker died.
        :raises ClientGone: if ``gone`` returned first; the job was stopped.
        """
        loop = asyncio.get_running_loop()
        self._next_id += 1
        payload = pickle.dumps(("job", self._next_id, job), protocol=pickle.HIGHEST_PROTOCOL)
        item = Item(self._next_id, payload, loop.time() + timeout, timeout, loop.create_future())
        self._place(item)
        watch = None
        if gone is not None and not item.future.done():
            watch = asyncio.ensure_future(gone())
            watch.add_done_callback(partial(self._client_gone, item.future))
        try:
            return await item.future
        except QueryTimeout:
            raise QueryTimeout(f"The query ran longer than the {timeout:g} s limit and was "
                               "stopped. Narrow it (a LIMIT, more specific patterns) and try again.") from None
        except asyncio.CancelledError:
            self._abandon(item.future)
            raise
        finally:
            if watch is not None:
                watch.cancel()

    def _client_gone(self, future: asyncio.Future[Answer], watch: asyncio.Future[object]) -> None:
        if watch.cancelled() or future.done() or watch.exception() is not None:
            return  # answered first (or the watch failed: the job goes on)
        self._abandon(future)
        future.set_exception(ClientGone("The client went away; its query was stopped."))

    def _abandon(self, future: asyncio.Future[Answer]) -> None:
        """Stop the job whose answer ``future`` awaits, wherever it is (it may have moved): drop it
        from the queue; have its worker skip it if it waits there; if it runs, drop its answer, and
        kill its worker if it has run longer than a moment (:meth:`_slowed` does, if it runs on)."""
        for item in self._waiting:
            if item.future is future:
                item.orphan = True
                self._waiting.remove(item)
                if item.timer is not None:
                    item.timer.cancel()
                return
        for worker in self._workers:
            for at, item in enumerate(worker.queue):
                if item.future is not future or item.orphan:
                    continue
                item.orphan = True
                if at == 0 and worker.slow:
                    self._retire(worker)
                elif at > 0:
                    worker.skip([item])
                return

    # -- placing jobs

    def _place(self, item: Item) -> None:
        free = [w for w in self._workers if w.ready and not w.slow and len(w.queue) < _DEPTH]
        if free:
            self._send(min(free, key=lambda w: len(w.queue)), item)
            return
        if self._closed:
            self._fail(item, WorkerUnavailable(503, "The server is stopping."))
            return
        item.timer = asyncio.get_running_loop().call_at(item.deadline, self._expire, item)
        self._waiting.append(item)
        self._grow()

    def _grow(self) -> None:
        """Start a spare worker if jobs wait, every worker is held by a slow job and spares are left."""
        if (self._closed or self._starting or not self._waiting or len(self._workers) >= self.size + self.spares
                or not all(w.ready and w.slow for w in self._workers)):
            return
        self._starting += 1
        self._background(self._add_spare())

    async def _add_spare(self) -> None:
        try:
            await self._spawn()
        except (OSError, TimeoutError) as exc:
            print(f"citykg: a spare query worker failed to start ({exc!r})", file=sys.stderr)
            return
        self._grow()  # jobs still wait, and every worker is slow again: one more

    def _shrink(self, worker: Worker) -> None:
        """Stop ``worker``, idle for ``linger`` seconds, if the pool is larger than its size and
        another worker is free; while every other one is held by a slow job, wait again."""
        if worker.dead or worker.queue or len(self._workers) <= self.size:
            return
        if not any(w is not worker and w.ready and not w.slow for w in self._workers):
            worker.timers = [asyncio.get_running_loop().call_later(self.linger, self._shrink, worker)]
            return
        worker.dead = True  # out of the pool now, so that no job is sent to it while it stops
        self._workers.remove(worker)
        self._retired.add(worker)
        self._background(self._stop(worker))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _send(self, worker: Worker, item: Item) -> None:
        if item.timer is not None:
            item.timer.cancel()
            item.timer = None
        worker.queue.append(item)
        worker.outbox += (len(item.payload).to_bytes(4, "big"), item.payload)
        if not self._flushing:  # one write per worker for all the jobs of this loop iteration
            self._flushing = True
            asyncio.get_running_loop().call_soon(self._flush)
        if len(worker.queue) == 1:
            self._started(worker)

    def _flush(self) -> None:
        self._flushing = False
        for worker in self._workers:
            if worker.outbox:
                worker.stdin.write(b"".join(worker.outbox))
                worker.outbox.clear()

    def _started(self, worker: Worker) -> None:
        """The first job of ``worker``'s queue starts now: arm the slow check, which arms the
        deadline (most jobs end before either, so one timer a job is all they cost)."""
        head = worker.queue[0]
        worker.slow = False
        for timer in worker.timers:
            timer.cancel()
        worker.timers = [asyncio.get_running_loop().call_later(_slow_after(head), self._slowed, worker, head)]

    def _feed(self, worker: Worker) -> None:
        while self._waiting and worker.ready and not worker.slow and len(worker.queue) < _DEPTH:
            self._send(worker, self._waiting.popleft())

    def _expire(self, item: Item) -> None:
        if item in self._waiting:
            self._waiting.remove(item)
            self._fail(item, WorkerUnavailable(503, f"All {len(self._workers)} query workers stayed busy "
                                                    "until the time limit; try again shortly."))

    # -- what the workers say

    def _answered(self, worker: Worker, frame: bytes) -> None:
        if not worker.ready:  # the first frame says the worker has started (a spare may find no work left)
            worker.ready = True
            worker.started.set_result(None)
        else:
            ident, answer = pickle.loads(frame)
            head = worker.queue.popleft()
            assert head.ident == ident, "a worker answers its jobs in order"
            if not head.orphan and not head.future.done():
                head.future.set_result(answer)
        if worker.queue:
            self._started(worker)
        else:
            for timer in worker.timers:
                timer.cancel()
            worker.slow = False
            if len(self._workers) > self.size:  # a spare, or one more than needed now: stop it unless work comes
                worker.timers = [asyncio.get_running_loop().call_later(self.linger, self._shrink, worker)]
        self._feed(worker)

    def _slowed(self, worker: Worker, head: Item) -> None:
        """``head`` is taking a while: arm its deadline, move the jobs queued behind it elsewhere;
        if no one waits for its answer any more, kill its worker instead."""
        if worker.dead or not worker.queue or worker.queue[0] is not head:
            return
        if head.orphan:
            self._retire(worker)
            return
        worker.timers.append(asyncio.get_running_loop().call_later(
            head.timeout - _slow_after(head), self._overdue, worker, head))
        worker.slow = True
        moved = [item for item in list(worker.queue)[1:] if not item.orphan]
        for item in moved:
            self._place(item.moved())
        if moved:
            worker.skip(moved)

    def _overdue(self, worker: Worker, head: Item) -> None:
        if worker.dead or not worker.queue or worker.queue[0] is not head:
            return
        self._fail(head, QueryTimeout("time limit"))
        self._retire(worker)

    def _died(self, worker: Worker) -> None:
        if worker.dead:
            return
        if not worker.ready:  # it never started: the code that spawned it retries
            worker.dead = True
            if not worker.started.done():
                worker.started.set_exception(OSError("the worker exited as it started"))
            return
        if worker.queue:
            self._fail(worker.queue[0], WorkerUnavailable(
                500, exit_message(worker.transport.get_returncode(), self.memory_mb)))
        self._retire(worker)

    def _retire(self, worker: Worker) -> None:
        """Kill ``worker``, hand the jobs that never started to others, start a replacement if the
        pool is smaller than its size without it."""
        worker.dead = True
        self.killed += 1
        for timer in worker.timers:
            timer.cancel()
        if worker in self._workers:
            self._workers.remove(worker)
        self._retired.add(worker)
        pending = [item for item in list(worker.queue)[1:] if not item.orphan]
        worker.queue.clear()
        replace = len(self._workers) + self._starting < self.size  # no need to replace a spare
        self._starting += replace
        self._background(self._respawn(worker, replace=replace))
        for item in pending:
            self._place(item.moved())

    @staticmethod
    def _fail(item: Item, exc: BaseException) -> None:
        if not item.orphan and not item.future.done():
            item.future.set_exception(exc)

    # -- the processes

    async def _respawn(self, worker: Worker, *, replace: bool) -> None:
        """Reap ``worker``; if ``replace``, start its replacement (counted in ``_starting`` already)."""
        await self._stop(worker)
        while replace:
            if self._closed:
                self._starting -= 1
                return
            try:
                await self._spawn()
                return
            except (OSError, TimeoutError) as exc:
                print(f"citykg: a query worker failed to start ({exc!r}); retrying", file=sys.stderr)
            await asyncio.sleep(1.0)
            self._starting += 1

    async def _spawn(self) -> None:
        """Start one worker and wait until it is ready; the caller counted it in ``_starting``,
        and it counts in ``_workers`` instead from the moment its process runs."""
        try:
            transport, channel = await launch(self.memory_mb)
        finally:
            self._starting -= 1
        worker = Worker(transport, cast(asyncio.WriteTransport, transport.get_pipe_transport(0)))
        channel.on_frame, channel.on_exit = partial(self._answered, worker), partial(self._died, worker)
        self._workers.append(worker)
        try:
            async with asyncio.timeout(60):
                await worker.started
        except BaseException:
            await self._stop(worker)
            raise
        if self._closed:
            await self._stop(worker)

    async def _stop(self, worker: Worker) -> None:
        worker.dead = True
        if worker in self._workers:
            self._workers.remove(worker)
        await reap(worker)
        self._retired.discard(worker)
