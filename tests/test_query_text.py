"""What /sparql makes of a query's text before and after pyoxigraph reads it, on a real server:
keywords only where SPARQL has them, nesting refused before it can crash a worker, syntax errors
in words; and what the server says when a worker crashes all the same."""

from __future__ import annotations

import asyncio
import re
import tempfile
import time

import httpx
import pytest
from pyoxigraph import Store
from serving import assert_error

from citykg.evaluate import SparqlJob
from citykg.pool import WorkerPool, WorkerUnavailable


def count(client: httpx.Client, query: str) -> int:
    response = client.post("/sparql", content=query.encode("utf-8"),
                           headers={"Content-Type": "application/sparql-query", "Accept": "application/json"})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_a_keyword_inside_a_prefixed_name_changes_nothing(client: httpx.Client, store: Store) -> None:
    everything = count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert everything == len(store)
    assert count(client, "PREFIX ex: <http://x/> SELECT (COUNT(*) AS ?n) "
                         "{ ?s ?p ?o OPTIONAL { ?s ex:copied-from ?z } }") == everything
    assert count(client, "PREFIX ex: <http://x/> SELECT (COUNT(*) AS ?n) { ?s ex:web-service ?o }") == 0


@pytest.mark.parametrize(("query", "depth"), [
    ("SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000, 5000),
    ("SELECT * WHERE { FILTER(" + "(" * 20_000 + "1" + ")" * 20_000 + ") }", 20_002),
    ("SELECT * WHERE { FILTER(" + "!" * 50_000 + "true) }", 50_002),
])
def test_a_query_nested_too_deeply_is_a_400_and_no_worker_dies(client: httpx.Client, query: str, depth: int) -> None:
    replaced = client.get("/health").json()["workers"]["replaced"]
    response = client.post("/sparql", content=query.encode("utf-8"),
                           headers={"Content-Type": "application/sparql-query"})
    assert_error(response, 400, f"The query nests {depth} levels deep", "citykg accepts at most 128")
    assert client.get("/health").json()["workers"]["replaced"] == replaced


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p ?o" + " MINUS { ?s ?p 1 }" * 3000 + " }",
    "SELECT * WHERE {" + "".join(f" BIND(1 AS ?v{i})" for i in range(3000)) + " }",
])
def test_a_query_chaining_too_many_operators_is_a_400_and_no_worker_dies(client: httpx.Client, query: str) -> None:
    replaced = client.get("/health").json()["workers"]["replaced"]
    response = client.post("/sparql", content=query.encode("utf-8"),
                           headers={"Content-Type": "application/sparql-query"})
    assert_error(response, 400, "operators (past the limit at 1:", "citykg accepts at most 1,000")
    assert client.get("/health").json()["workers"]["replaced"] == replaced


@pytest.mark.parametrize(("query", "words"), [
    # groups side by side, each a join: 12,000 crash pyoxigraph, 200 hold a worker for its timeout
    ("SELECT * WHERE { " + "{ ?s <http://p> ?o } " * 12_000 + "}",
     ["The query holds more than 100 triple patterns", "each group it joins"]),
    # a quote escaped in a prefixed name opens no string that would hide the nesting from the check
    ("PREFIX ex: <http://e/> SELECT * WHERE { VALUES ?q { ex:a\\' } " + "{" * 20_000 + "}" * 20_000
     + " VALUES ?r { 'x' } }", ["The query nests 20001 levels deep"]),
])
def test_a_query_that_joins_too_much_or_hides_its_nesting_is_a_400_and_no_worker_dies(
        client: httpx.Client, query: str, words: list[str]) -> None:
    replaced = client.get("/health").json()["workers"]["replaced"]
    response = client.post("/sparql", content=query.encode("utf-8"),
                           headers={"Content-Type": "application/sparql-query"})
    assert_error(response, 400, *words)
    assert client.get("/health").json()["workers"]["replaced"] == replaced


def test_a_body_of_escaped_quotes_is_read_at_once(client: httpx.Client) -> None:
    # Read from each quote to the end, 200 KB of these took the check 127 s, in the server's own process
    query = "SELECT * WHERE { ?s ?p ?o } " + "\\'" * 500_000  # just under the 1 MiB body cap
    started = time.perf_counter()
    response = client.post("/sparql", content=query.encode("utf-8"),
                           headers={"Content-Type": "application/sparql-query"})
    assert_error(response, 400, "The query does not parse")
    assert time.perf_counter() - started < 20  # seconds at most, on a busy machine
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize(("query", "words"), [
    ("SELECT ?s WHERE {\n  ?s foaf:name ?o }", ["error at 2:6: the prefix foaf: is not declared: add PREFIX foaf: <…>",
                                                 "rdfs:"]),
    ("SELEC ?s WHERE { ?s ?p ?o }", ["error at 1:1: SELEC is not a query form: expected SELECT, CONSTRUCT, ASK or "
                                     "DESCRIBE"]),
    ("SELECT ?s WHERE { ?s ?p <city/mashhad> }", ["error at 1:25: the IRI <city/mashhad> is relative"]),
])
def test_a_syntax_error_is_a_400_in_words(client: httpx.Client, query: str, words: list[str]) -> None:
    error = assert_error(client.get("/sparql", params={"query": query}), 400, "The query does not parse: ", *words)
    assert "..=" not in error and "\\u{" not in error


def _stopped_worker(query: str, *, memory_mb: int) -> str:
    """The 500 of a query that stops its worker, in a pool of one worker capped at ``memory_mb``."""
    async def run() -> str:
        pool = WorkerPool(size=1, memory_mb=memory_mb)
        await pool.start()
        try:
            path = tempfile.mkdtemp()
            Store(path).flush()
            job = SparqlJob(store=path, query=query, results_format="json", graph_format=None, max_rows=10)
            with pytest.raises(WorkerUnavailable) as caught:
                await pool.run(job, timeout=60)
            assert caught.value.status == 500
            return str(caught.value)
        finally:
            await pool.close()

    return asyncio.run(run())


def test_a_worker_that_crashes_says_so_rather_than_blaming_memory() -> None:
    # A query nested past what pyoxigraph's stack takes (the server refuses it before it gets here)
    message = _stopped_worker("SELECT * WHERE " + "{" * 5000 + "}" * 5000, memory_mb=4096)
    assert message.startswith("The query crashed its worker (SIGSEGV); a new worker has taken its place."), message
    assert "memory" not in message


def test_a_query_past_the_memory_cap_says_so_in_one_line_of_the_log(capfd: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # pyoxigraph aborts on an allocation past the cap, and writes why: one line, even where a
    # backtrace is asked for, marked as the worker's, not a hundred lines amid the access log
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    grow = "'aaaaaaaaaa'"
    for _ in range(3):  # 10 characters, then 10,000, 10 million, 10 billion
        grow = f"REPLACE({grow}, 'a', '{'a' * 1000}')"
    message = _stopped_worker(f"SELECT (STRLEN({grow}) AS ?n) {{}}", memory_mb=1024)
    assert message.endswith("may have needed more than the 1024 MiB memory limit of a query worker. Ask for less of "
                            "it: fewer or shorter values, or a LIMIT."), message
    said = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert len(said) == 1 and re.fullmatch(r"citykg: query worker \d+: memory allocation of \d+ bytes failed",
                                           said[0]), said
