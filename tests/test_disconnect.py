"""A client that goes away: its query stops, its worker is freed for others, the access log says 499.

Real servers on 127.0.0.1; the clients that go away send their request over a socket of their own
and close it before the answer, as `curl -m 0.3` does. Every wait is for an outcome (a log line,
a count in /health), with a deadline far longer than the outcome takes and far shorter than the
servers' time limits, which are what a query whose client left would hold its worker until.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from serving import Running, address, start_server

from citykg.build import BuildResult
from citykg.project import Project

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "SELECT ?n WHERE { ?s a ckg:City ; rdfs:label ?n }"
T = TypeVar("T")


def send(server: Running, query: str) -> socket.socket:
    """A connection on which ``query`` was POSTed, its answer not read."""
    body = urllib.parse.urlencode({"query": query}).encode()
    sock = socket.create_connection(address(server), timeout=10)
    sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    return sock


def client_of(sock: socket.socket) -> str:
    """How the access log names the client of ``sock``."""
    host, port = sock.getsockname()[:2]
    return f"{host}:{port}"


def wait_for(value: Callable[[], T], done: Callable[[T], bool], *, seconds: float = 30.0) -> T:
    """``value()`` once ``done`` with it (asked every 0.1 s), or as it is after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done(current := value()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return current


def logged(server: Running, clients: set[str]) -> dict[str, dict[str, Any]]:
    """The access-log lines of ``clients``, once there is one for each (or what there is after 30 s)."""
    def lines() -> dict[str, dict[str, Any]]:
        records = [json.loads(line) for line in server.log_records()]
        return {r["client"]: r for r in records if r["client"] in clients}

    return wait_for(lines, lambda found: len(found) == len(clients))


def workers(http: httpx.Client) -> dict[str, Any]:
    return http.get("/health").json()["workers"]  # type: ignore[no-any-return]


@pytest.fixture()
def patient(built: tuple[Project, BuildResult], tmp_path: Path) -> Iterator[Running]:
    """A server with the default workers and a time limit of a minute: a query left running would
    hold its worker far longer than any wait of these tests."""
    running = start_server(built[0].dist, tmp_path / "server", "--timeout", "60")
    yield running
    running.stop()


def test_queries_whose_clients_went_away_free_their_workers(patient: Running) -> None:
    with httpx.Client(base_url=patient.url, timeout=30) as http:
        before = workers(http)
        left = [send(patient, f"{RUNAWAY} # {n}") for n in range(8)]  # 2 run, 2 on spares, 4 wait
        assert wait_for(lambda: workers(http), lambda w: w["idle"] == 0)["idle"] == 0  # the runaways run
        time.sleep(0.5)
        clients = {client_of(sock) for sock in left}
        for sock in left:
            sock.close()
        records = logged(patient, clients)
        assert len(records) == 8
        assert all(r["status"] == 499 and r["bytes"] == 0 and "went away" in r["error"] for r in records.values()), records
        cheap = http.get("/sparql", params={"query": CHEAP}, headers={"Accept": "text/csv"})
        assert cheap.status_code == 200 and cheap.text.startswith("n\r\n"), cheap.text
        after = wait_for(lambda: workers(http), lambda w: w["idle"] == 2 and len(w["pids"]) == 2)
    assert after["idle"] == 2 and len(after["pids"]) == 2, after
    assert after["replaced"] > before["replaced"]  # the runaways that ran were killed, not left to run
    assert not set(before["pids"]) & set(after["pids"])  # both workers ran a runaway, and were replaced


def test_a_query_whose_client_went_away_while_it_waited_for_a_worker_is_dropped(
        built: tuple[Project, BuildResult], tmp_path: Path) -> None:
    # one worker and no spare: a runaway holds it until the time limit while a second one waits
    running = start_server(built[0].dist, tmp_path / "server", "--workers", "1", "--spare-workers", "0",
                           "--timeout", "3")
    try:
        with httpx.Client(base_url=running.url, timeout=30) as http:
            before = workers(http)
            held: dict[str, httpx.Response] = {}
            thread = threading.Thread(target=lambda: held.update(
                response=http.get("/sparql", params={"query": RUNAWAY})))
            thread.start()
            assert wait_for(lambda: workers(http), lambda w: w["idle"] == 0)["idle"] == 0  # the runaway runs
            waiting = send(running, f"{RUNAWAY} # waits")
            time.sleep(0.5)
            client = client_of(waiting)
            waiting.close()
            thread.join()
            # had the waiting runaway stayed in the queue, it would now hold the new worker
            cheap = http.get("/sparql", params={"query": CHEAP}, headers={"Accept": "text/csv"})
            after = workers(http)
    finally:
        running.stop()
    assert held["response"].status_code == 504 and cheap.status_code == 200, (held, cheap.text)
    records = [json.loads(line) for line in running.log_records()]
    statuses = [(r["status"], r["client"] == client) for r in records if r["path"] == "/sparql"]
    assert statuses == [(499, True), (504, False), (200, False)], records  # it left at once, not at the limit
    assert after["replaced"] == before["replaced"] + 1  # the held runaway's worker; the other never ran


def test_a_client_gone_before_its_request_arrived_whole_is_logged(server: Running) -> None:
    with socket.create_connection(address(server), timeout=10) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 1000\r\n\r\nSELECT")
        client = client_of(sock)
        time.sleep(0.2)
    record = logged(server, {client}).get(client)
    assert record is not None and record["status"] == 499 and record["method"] == "POST", record
    assert record["error"] == "The client went away before its request arrived whole."
