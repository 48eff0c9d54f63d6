"""`/health` and the service description never wait for a query worker: a build's size is in its
``info.json``; a build without one (written by an older citykg) is counted by a worker, once."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import httpx
from pyoxigraph import Store
from serving import start_server

from citykg.build import BuildResult
from citykg.buildinfo import INFO_FILE, read_info
from citykg.project import Project

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_health_and_the_service_description_answer_while_every_worker_is_busy(
        built: tuple[Project, BuildResult], store: Store, tmp_path: Path) -> None:
    project, result = built
    running = start_server(project.dist, tmp_path / "server", "--workers", "1", "--timeout", "5")
    try:
        with httpx.Client(base_url=running.url, timeout=30) as http:
            runaway = threading.Thread(target=http.get, args=("/sparql",), kwargs={"params": {"query": RUNAWAY}})
            runaway.start()
            time.sleep(0.5)  # the one worker is busy for 5 s; /health was never asked before
            started = time.monotonic()
            health = http.get("/health")
            description = http.get("/sparql", headers={"Accept": "application/n-triples"})
            seconds = time.monotonic() - started
            runaway.join()
    finally:
        running.stop()
    assert health.status_code == 200 and description.status_code == 200, (health.text, description.text)
    assert seconds < 1.0, seconds
    data = health.json()
    assert data["workers"]["idle"] == 0  # it answered while the worker was busy
    assert (data["workers"]["size"], data["workers"]["spares"]) == (1, 2)
    assert (data["build"], data["quads"], data["graphs"]) == (result.build_id, len(store), 4)
    sizes = [line for line in description.text.splitlines() if "rdfs.org/ns/void#triples" in line]
    assert len(sizes) == 4


def test_a_build_without_its_size_is_counted_by_a_worker(built: tuple[Project, BuildResult], store: Store,
                                                         tmp_path: Path) -> None:
    project, result = built
    dist = tmp_path / "dist"
    folder = dist / "builds" / result.build_id
    shutil.copytree(project.dist / "builds" / result.build_id, folder)
    assert read_info(folder / "store", result.build_id) is not None
    (folder / INFO_FILE).unlink()  # as a build of an older citykg
    os.symlink(Path("builds") / result.build_id, dist / "current")
    os.symlink(Path("current") / "store", dist / "store")
    running = start_server(dist, tmp_path / "server")
    try:
        with httpx.Client(base_url=running.url, timeout=30) as http:
            health = http.get("/health").json()
    finally:
        running.stop()
    assert (health["build"], health["quads"], health["graphs"]) == (result.build_id, len(store), 4)
