"""Helpers of the linking tests: real SPARQL servers on 127.0.0.1, and a scripted HTTP server.

- :func:`start_oxigraph` loads N-Triples files into the `oxigraph` package's server and serves
  them read-only on a free port of 127.0.0.1, as a mirror of the Wikidata Query Service would.
- :class:`Scripted` is a real HTTP server (http.server in a thread) that answers each request
  with the next of a list of answers (status, headers, body), to test 429 and blocked clients.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "wikidata-fixture.nt"
WIKIDATA_FILES = ("places.nt.gz", "countries.nt.gz", "p190-2016.nt.gz")


def wikidata_dir() -> Path:
    """The folder of the Wikidata-shaped files; it is there in CI, so missing it is a failure."""
    folder = Path(os.environ.get("CITYKG_WIKIDATA_DIR", ROOT.parent / "shared" / "wikidata"))
    missing = [f for f in WIKIDATA_FILES if not (folder / f).is_file()]
    if missing:
        pytest.fail(f"{folder} lacks {', '.join(missing)}: set CITYKG_WIKIDATA_DIR to the folder of the "
                    "Wikidata-shaped files (../shared/wikidata in a checkout)")
    return folder


@dataclass
class Oxigraph:
    """A running `oxigraph serve-read-only` process."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_oxigraph(files: Sequence[Path], workdir: Path) -> Oxigraph:
    """Load ``files`` into a new store in ``workdir`` and serve it on 127.0.0.1."""
    binary = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    assert binary, "the oxigraph server is missing: scripts/setup --dev installs it (the 'oxigraph' package)"
    workdir.mkdir(parents=True, exist_ok=True)
    store = workdir / "oxigraph"
    subprocess.run([binary, "load", "--location", str(store), "--file", *map(str, files)],
                   check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([binary, "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=2) as answer:
                if answer.status == 200:
                    return Oxigraph(url, process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"oxigraph did not answer on {url} within 30 s")


EMPTY = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "ok"}}]}})


@dataclass
class Scripted:
    """A real HTTP server on 127.0.0.1 that plays a script of answers, and records the requests."""

    answers: list[tuple[int, dict[str, str], bytes]]
    delay: float = 0.0
    requests: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def __enter__(self) -> Scripted:
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                self.rfile.read(length)
                script.requests.append(dict(self.headers.items()))
                script.times.append(time.monotonic())
                time.sleep(script.delay)
                status, headers, body = script.answers.pop(0) if script.answers else (500, {}, b"no more")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)  # the client may have given up waiting (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sparql"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def ok(body: str = EMPTY) -> tuple[int, dict[str, str], bytes]:
    """A SPARQL JSON answer."""
    return 200, {"Content-Type": "application/sparql-results+json"}, body.encode()


