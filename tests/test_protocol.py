"""The HTTP protocol citykg serve runs: one write a response, capped request heads, JSON errors.

Talks to a real ``citykg serve`` on 127.0.0.1 with raw sockets, to send what no HTTP client
would (a 3 MB header, bytes that are not HTTP, two requests in one write).
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import urllib.parse
from pathlib import Path

import httpx
from serving import Running, assert_error, start_server

from citykg.build import BuildResult
from citykg.project import Project

LABELS_OF_W3 = ("SELECT ?label WHERE { <https://w3id.org/citykg/id/study/mashhad-oic/factor/W3> rdfs:label ?label } "
                "ORDER BY ?label")


def raw_request(server: Running, data: bytes) -> httpx.Response:
    """Send bytes as they are (no client would send them) and read the answer up to its close."""
    host, port = server.url.split("//")[1].rstrip("/").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):  # the server stops reading
            sock.sendall(data)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return httpx.Response(int(lines[0].split()[1]), headers=headers, content=body)


def test_pipelined_requests_are_answered_in_order_and_whole(server: Running) -> None:
    one = f"GET /sparql?{urllib.parse.urlencode({'query': LABELS_OF_W3})} HTTP/1.1\r\nHost: x\r\n\r\n"
    two = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    host, port = server.url.split("//")[1].rstrip("/").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall((one + two).encode())
        answer = b""
        while chunk := sock.recv(65536):  # the server closes after the second answer
            answer += chunk
    first, rest = answer.split(b"\r\n\r\n", 1)
    length = int(first.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    body, second = rest[:length], rest[length:]
    assert first.startswith(b"HTTP/1.1 200") and len(json.loads(body)["results"]["bindings"]) == 2
    head, health = second.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and json.loads(health)["ok"] is True


def test_a_url_too_long_or_a_huge_head_is_refused_in_json(server: Running, client: httpx.Client) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70_000  # GET; the URL is over 64 KiB
    url = "/sparql?" + urllib.parse.urlencode({"query": query})
    assert_error(raw_request(server, f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n".encode()),
                 414, "Send a long query to /sparql by POST")
    endless = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"x" * 3_000_000 + b"\r\n\r\n"
    assert_error(raw_request(server, endless), 431, "headers are over 1 MiB")
    assert_error(raw_request(server, b"NOT HTTP\r\n\r\n"), 400, "not valid HTTP/1.1")
    time.sleep(0.3)  # the access log is written every 0.1 s
    refused = [json.loads(line) for line in server.log_records() if '"method": "-"' in line]
    assert [(r["status"], r["path"], r["query_bytes"] > 70_000, r["error"][:24]) for r in refused][-3:] == [
        (414, "/sparql", True, "The URL is 64 KiB or lon"), (431, "/health", False, "The request's headers ar"),
        (400, "-", False, "The request is not valid")]
    # a head under the cap, and a long query by POST, are answered as usual
    assert raw_request(server, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"x" * 500_000
                       + b"\r\nConnection: close\r\n\r\n").status_code == 200
    assert client.post("/sparql", content=query.encode(),
                       headers={"Content-Type": "application/sparql-query"}).status_code == 200


def test_a_request_that_trickles_in_is_408_at_the_read_timeout(built: tuple[Project, BuildResult],
                                                               tmp_path: Path) -> None:
    project, _ = built
    server = start_server(project.dist, tmp_path / "server", "--read-timeout", "1")
    try:
        host, port = server.url.split("//")[1].rstrip("/").rsplit(":", 1)
        for partial in (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1",  # headers that never end
                        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                        b"Content-Length: 100\r\n\r\nASK"):  # a body shorter than it says
            started = time.monotonic()
            with socket.create_connection((host, int(port)), timeout=20) as sock:
                sock.sendall(partial)
                answer = b""
                while chunk := sock.recv(65536):  # the server closes the connection
                    answer += chunk
            assert 0.9 < time.monotonic() - started < 15
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), answer
            assert json.loads(body)["error"].startswith("The request did not arrive whole within 1 s")
        # a request sent at once is answered as usual, on a connection kept open past the timeout
        with httpx.Client(base_url=server.url) as client:
            assert client.get("/health").status_code == 200
            time.sleep(1.5)
            assert client.get("/health").status_code == 200
    finally:
        server.stop()
