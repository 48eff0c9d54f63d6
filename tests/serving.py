"""Helpers of the server tests: run `citykg serve` as a user would, on 127.0.0.1, and stop it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
_SERVING = re.compile(r"serving (http://\S+/)")


@dataclass
class Running:
    """A `citykg serve` process: its URL, its stderr and its access log."""

    url: str
    process: subprocess.Popen[bytes]
    stderr: Path
    access_log: Path

    def log_records(self) -> list[str]:
        """The access-log lines written so far."""
        return self.access_log.read_text(encoding="utf-8").splitlines() if self.access_log.exists() else []

    def stop(self) -> None:
        """Stop the server as Ctrl+C would, and wait for it (and its workers) to exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(dist: Path | None, folder: Path, *args: str, root: Path = ROOT,
                 env: dict[str, str] | None = None, timeout: float = 90.0, preamble: str = "") -> Running:
    """Start `citykg --project ROOT [--dist DIST] serve --port 0 ARGS…` and wait until it serves:
    with one server process, unless ARGS say ``--processes``.

    ``env`` adds to (or, with an empty value, removes from) the server's environment. ``preamble``
    is Python run in the server's process before the command (to plant a fault). Fails the
    test (with the server's stderr) if the server exits or does not serve within ``timeout``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stderr, access = folder / "stderr.txt", folder / "access.jsonl"
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("CITYKG_DIST", "CITYKG_PAUSE_AT"):
        environment.pop(name, None)
    for name, value in (env or {}).items():
        if value:
            environment[name] = value
        else:
            environment.pop(name, None)
    processes = () if "--processes" in args else ("--processes", "1")  # one, whose /health tells all
    run = ("-c", f"{preamble}\nfrom citykg.cli import main\nmain()") if preamble else ("-m", "citykg")
    command = [sys.executable, *run, "--project", str(root),
               *(("--dist", str(dist)) if dist else ()), "serve",
               "--port", "0", "--access-log", str(access), *processes, *args]
    with stderr.open("wb") as sink:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink, env=environment)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _SERVING.search(stderr.read_text(encoding="utf-8", errors="replace"))
        if found:
            return Running(found.group(1), process, stderr, access)
        if process.poll() is not None:
            raise AssertionError(f"citykg serve exited with {process.returncode}:\n{stderr.read_text()}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"citykg serve did not start in {timeout} s:\n{stderr.read_text()}")


@dataclass
class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it (it must get none)."""

    sock: socket.socket
    received: list[bytes] = field(default_factory=list)
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"

    def serve(self) -> None:
        self.sock.settimeout(0.1)
        while self.sock.fileno() != -1:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(65536) or b"<connected>")
                except OSError:
                    self.received.append(b"<connected>")

    def close(self) -> None:
        self.sock.close()
        if self.thread:
            self.thread.join(timeout=2)


def listener() -> Listener:
    """Start a :class:`Listener` in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    result = Listener(sock)
    result.thread = threading.Thread(target=result.serve, daemon=True)
    result.thread.start()
    return result


def assert_error(response: httpx.Response, status: int, *words: str) -> str:
    """The one error shape, with the status and the words the message must contain."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["ok"] is False and body["status"] == status
    for word in words:
        assert word in body["error"], body["error"]
    return str(body["error"])


def address(server: Running) -> tuple[str, int]:
    """The host and port that ``server`` listens on."""
    host, port = server.url.split("//")[1].rstrip("/").rsplit(":", 1)
    return host, int(port)


def raw_request(server: Running, data: bytes) -> httpx.Response:
    """Send bytes as they are (no client would send them) and read the answer up to its close."""
    with socket.create_connection(address(server), timeout=10) as sock:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):  # the server stops reading
            sock.sendall(data)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
    return httpx.Response(int(lines[0].split()[1]), headers=headers, content=body)
