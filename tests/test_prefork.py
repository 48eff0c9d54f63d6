"""`citykg serve --processes 2`: two server processes on one port, replaced if one dies, stopped together."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from serving import Running, start_server

from citykg.build import BuildResult
from citykg.project import Project


@pytest.fixture()
def two(built: tuple[Project, BuildResult], tmp_path: Path) -> Iterator[Running]:
    project, _ = built
    running = start_server(project.dist, tmp_path / "server", "--processes", "2")
    yield running
    running.stop()


def health(url: str) -> dict[str, object]:
    """``/health`` over a new connection, which either process may accept."""
    with httpx.Client(base_url=url, timeout=10) as client:
        response = client.get("/health")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def answering(url: str, *, until: Callable[[set[int]], bool], seconds: float = 20.0) -> set[int]:
    """The pids of the processes that answered ``/health``, asked until ``until`` holds of them."""
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while not until(seen) and time.monotonic() < deadline:
        seen.add(health(url)["process"]["pid"])  # type: ignore[index]
    return seen


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_both_processes_answer_on_the_one_port_and_log_whole_lines(two: Running) -> None:
    pids = answering(two.url, until=lambda seen: len(seen) == 2)
    first = two.process.pid
    assert first in pids and len(pids) == 2, pids
    (other,) = pids - {first}
    assert parent_of(other) == first
    assert health(two.url)["process"]["of"] == 2  # type: ignore[index]
    lookup = "SELECT ?o WHERE { <https://w3id.org/citykg/id/study/mashhad-oic/factor/W3> ?p ?o }"
    for _ in range(40):
        with httpx.Client(base_url=two.url) as client:
            assert client.get("/sparql", params={"query": lookup}).status_code == 200
    time.sleep(0.5)  # each process writes its log lines every 0.1 s
    records = [json.loads(line) for line in two.log_records()]
    assert sum(r["path"] == "/sparql" for r in records) == 40


def test_a_process_that_dies_is_replaced_while_the_other_answers(two: Running) -> None:
    first = two.process.pid
    (other,) = answering(two.url, until=lambda seen: len(seen) == 2) - {first}
    os.kill(other, signal.SIGKILL)
    assert health(two.url)["ok"] is True  # the first process goes on accepting meanwhile
    replaced = answering(two.url, until=lambda seen: bool(seen - {first, other}))
    assert replaced - {first, other}, f"no new process answered; stderr:\n{two.stderr.read_text()}"
    assert f"server process {other} exited" in two.stderr.read_text()


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_stopping_the_first_process_stops_every_process(built: tuple[Project, BuildResult], tmp_path: Path,
                                                        stop: str) -> None:
    project, _ = built
    running = start_server(project.dist, tmp_path / "server", "--processes", "2")
    try:
        fronts = answering(running.url, until=lambda seen: len(seen) == 2)
        workers: set[int] = set()
        for _ in range(200):  # each process's two query workers
            workers |= set(health(running.url)["workers"]["pids"])  # type: ignore[index]
            if len(workers) == 4:
                break
        assert len(workers) == 4, workers
        everyone = fronts | workers
        assert all(alive(pid) for pid in everyone)
        running.process.send_signal(getattr(signal, stop))
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in everyone) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in everyone if alive(pid)], running.stderr.read_text()
    finally:
        running.stop()


def test_a_port_another_server_listens_on_is_an_error_even_if_it_shares_it(two: Running,
                                                                           built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    port = str(httpx.URL(two.url).port)
    done = subprocess.run([sys.executable, "-m", "citykg", "--dist", str(project.dist), "serve", "--port", port,
                           "--processes", "2", "--access-log", "off"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
