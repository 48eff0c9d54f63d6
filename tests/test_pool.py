"""The query workers: real worker processes on the built store, runaway queries among quick ones."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from citykg.build import BuildResult
from citykg.disconnect import ClientGone
from citykg.errors import QueryTimeout
from citykg.evaluate import Answer, SparqlJob
from citykg.pool import WorkerPool
from citykg.project import Project

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
QUICK = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?t . ?b a ?u }"  # seconds, not minutes: some 23 million rows


def _slow_count(project: Project) -> int:
    """The answer to SLOW: every triple of the graph with every typing triple."""
    from pyoxigraph import Store

    store = Store.read_only(str(project.store.resolve()))
    counts = [next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}",  # type: ignore[arg-type]
                                    use_default_graph_as_union=True)))["n"].value
              for pattern in ("?a ?p ?t", "?b a ?u")]
    return int(counts[0]) * int(counts[1])


def job(project: Project, query: str) -> SparqlJob:
    return SparqlJob(store=str(project.store.resolve()), query=query, results_format="tsv", graph_format=None,
                     max_rows=10)


async def race(pool: WorkerPool, project: Project, runaways: int, *, timeout: float, slow: str = "",
               spares: int = 0) -> list[str]:
    """Start ``runaways`` runaway queries (and a ``slow`` one that ends in time), then, once they
    run in the pool's workers and the ``spares`` it may start, a quick one; the order in which they end."""
    order: list[str] = []

    async def run(name: str, query: str) -> Answer | None:
        try:
            return await pool.run(job(project, query), timeout=timeout)
        except QueryTimeout:
            return None
        finally:
            order.append(name)

    held = [asyncio.create_task(run(f"runaway {n}", RUNAWAY)) for n in range(runaways)]
    ending = asyncio.create_task(run("slow", slow)) if slow else None
    busy = min(runaways + bool(slow), len(pool.pids) + spares)
    for _ in range(600):  # each is running (a spare started for one, however loaded the machine) …
        if len(pool.pids) >= busy and pool.idle == 0:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # … and slow
    quick = await run("quick", QUICK)
    assert quick is not None and quick.status == 200 and quick.body.startswith(b"?n\n")
    assert [await task for task in held] == [None] * runaways  # every runaway was stopped
    if ending is not None:
        answer = await ending
        assert answer is not None and answer.body == b"?n\n%d\n" % _slow_count(project)
    return order


def test_a_spare_worker_answers_while_every_worker_runs_a_runaway_query(built: tuple[Project, BuildResult]) -> None:
    project, _ = built

    async def scenario() -> tuple[list[str], int, int]:
        pool = WorkerPool(size=1, spares=1, linger=0.2)
        await pool.start()
        try:
            order = await race(pool, project, 1, timeout=3)
            # the spare stayed while the other worker was held; the runaway's worker is not replaced
            return order, len(pool.pids), pool.killed
        finally:
            await pool.close()

    assert asyncio.run(scenario()) == (["quick", "runaway 0"], 1, 1)


def test_a_spare_stops_once_it_is_idle_and_another_worker_is_free(built: tuple[Project, BuildResult]) -> None:
    project, _ = built

    async def scenario() -> tuple[list[str], list[int], int]:
        pool = WorkerPool(size=1, spares=1, linger=0.2)
        await pool.start()
        try:
            order = await race(pool, project, 0, slow=SLOW, timeout=120)
            sizes = [len(pool.pids)]
            for _ in range(100):
                await asyncio.sleep(0.1)
                if len(pool.pids) == 1:
                    break
            return order, [*sizes, len(pool.pids)], pool.killed
        finally:
            await pool.close()

    order, sizes, killed = asyncio.run(scenario())
    assert order == ["quick", "slow"] and killed == 0
    assert sizes == [2, 1]  # both workers once the slow query ended, then only one


def test_without_spares_a_quick_query_waits_for_the_runaway_to_be_stopped(built: tuple[Project, BuildResult]) -> None:
    project, _ = built

    async def scenario() -> list[str]:
        pool = WorkerPool(size=1)
        await pool.start()
        try:
            return await race(pool, project, 1, timeout=2)
        finally:
            await pool.close()

    assert asyncio.run(scenario()) == ["runaway 0", "quick"]


def test_spares_are_bounded(built: tuple[Project, BuildResult]) -> None:
    # one worker and one spare, both held by runaway queries: the quick query waits for one to stop
    project, _ = built

    async def scenario() -> tuple[list[str], int]:
        pool = WorkerPool(size=1, spares=1)
        await pool.start()
        try:
            order = await race(pool, project, 2, timeout=6, spares=1)
            return order, pool.killed
        finally:
            await pool.close()

    order, killed = asyncio.run(scenario())
    assert order.index("quick") > order.index("runaway 0") and killed == 2


def test_a_running_job_whose_client_goes_away_is_stopped_and_its_worker_replaced(
        built: tuple[Project, BuildResult]) -> None:
    project, _ = built

    async def scenario() -> tuple[bool, int, int, int]:
        pool = WorkerPool(size=1)
        await pool.start()
        first = pool.pids
        try:
            left = asyncio.Event()
            runaway = asyncio.create_task(pool.run(job(project, RUNAWAY), timeout=120, gone=left.wait))
            await asyncio.sleep(0.5)  # it runs, and is slow
            left.set()
            try:
                await runaway
                stopped = False
            except ClientGone:
                stopped = True
            quick = await pool.run(job(project, QUICK), timeout=120)  # by the worker that replaced it
            return stopped, quick.status, pool.killed, len(set(pool.pids) - set(first))
        finally:
            await pool.close()

    assert asyncio.run(scenario()) == (True, 200, 1, 1)


def test_a_waiting_job_whose_client_goes_away_leaves_the_queue(built: tuple[Project, BuildResult]) -> None:
    # one worker, held by a runaway until its time limit; a second runaway waits, and its client goes
    project, _ = built

    async def scenario() -> tuple[list[str], int]:
        pool = WorkerPool(size=1)
        await pool.start()
        order: list[str] = []
        try:
            left = asyncio.Event()

            async def run(name: str, query: str, timeout: float, gone: Callable[[], Awaitable[object]] | None = None
                          ) -> None:
                try:
                    await pool.run(job(project, query), timeout=timeout, gone=gone)
                    order.append(f"{name} answered")
                except QueryTimeout:
                    order.append(f"{name} timed out")
                except ClientGone:
                    order.append(f"{name} gone")

            held = asyncio.create_task(run("held", RUNAWAY, 2))
            await asyncio.sleep(0.5)
            waiting = asyncio.create_task(run("waiting", RUNAWAY, 120, left.wait))
            await asyncio.sleep(0.2)
            left.set()
            await asyncio.gather(held, waiting)
            # were the waiting runaway still queued, the new worker would take it first, and the quick query wait
            await run("quick", QUICK, 120)
            return order, pool.killed
        finally:
            await pool.close()

    assert asyncio.run(scenario()) == (["waiting gone", "held timed out", "quick answered"], 1)
