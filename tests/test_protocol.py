"""The HTTP protocol citykg serve runs: one write a response, capped request heads, deadlines, JSON errors.

Talks to a real ``citykg serve`` on 127.0.0.1 with raw sockets, to send what no HTTP client
would (a 3 MB header, bytes that are not HTTP, two requests in one write, nothing at all) and
to read as no HTTP client would (nothing, or slowly).
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from serving import Running, address, assert_error, raw_request, start_server

from citykg.build import BuildResult
from citykg.project import Project

LABELS_OF_W3 = ("SELECT ?label WHERE { <https://w3id.org/citykg/id/study/mashhad-oic/factor/W3> rdfs:label ?label } "
                "ORDER BY ?label")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"  # not a lookup: a worker answers it
BIG = "SELECT ?s ?p ?o ?n WHERE { ?s ?p ?o VALUES ?n { 1 2 3 4 5 6 7 8 } }"  # about 12 MB of TSV
MiB = 1_048_576


@pytest.fixture(scope="module")
def impatient(built: tuple[Project, BuildResult], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A server with a 1 s read timeout, large answers, and its access log on stderr."""
    project, _ = built
    running = start_server(project.dist, tmp_path_factory.mktemp("impatient"), "--read-timeout", "1",
                           "--max-rows", "1000000", "--access-log", "-")
    yield running
    running.stop()


def stderr_lines(server: Running) -> list[str]:
    """The lines of the server's stderr but its own progress messages (``citykg: …``)."""
    return [line for line in server.stderr.read_text(encoding="utf-8").splitlines() if not line.startswith("citykg: ")]


def logged(server: Running, until: Callable[[list[dict[str, Any]]], bool], seconds: float = 15) -> list[dict[str, Any]]:
    """The access-log records on the server's stderr, read again until ``until`` holds of them."""
    deadline = time.monotonic() + seconds
    while True:
        records = [json.loads(line) for line in stderr_lines(server)]  # every line is one JSON object
        if until(records) or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def read_all(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection (or resets it)."""
    answer = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_pipelined_requests_are_answered_in_order_and_whole(server: Running) -> None:
    one = f"GET /sparql?{urllib.parse.urlencode({'query': LABELS_OF_W3})} HTTP/1.1\r\nHost: x\r\n\r\n"
    two = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(address(server), timeout=10) as sock:
        sock.sendall((one + two).encode())
        answer = read_all(sock)  # the server closes after the second answer
    first, rest = answer.split(b"\r\n\r\n", 1)
    length = int(first.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    body, second = rest[:length], rest[length:]
    assert first.startswith(b"HTTP/1.1 200") and len(json.loads(body)["results"]["bindings"]) == 2
    head, health = second.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and json.loads(health)["ok"] is True


def test_a_refusal_waits_for_the_answers_to_the_requests_before_it(server: Running) -> None:
    one = f"GET /sparql?{urllib.parse.urlencode({'query': COUNT})} HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(address(server), timeout=10) as sock:
        sock.sendall(one.encode() + b"NOT HTTP\r\n\r\n")
        answer = read_all(sock)
    first, rest = answer.split(b"\r\n\r\n", 1)
    length = int(first.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    assert first.startswith(b"HTTP/1.1 200") and "n" in json.loads(rest[:length])["head"]["vars"]
    head, refusal = rest[length:].split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 400") and b"connection: close" in head
    assert json.loads(refusal)["error"] == "The request is not valid HTTP/1.1."


def test_a_url_too_long_or_a_huge_head_is_refused_in_json(server: Running, client: httpx.Client) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70_000  # GET; the URL is over 64 KiB
    url = "/sparql?" + urllib.parse.urlencode({"query": query})
    assert_error(raw_request(server, f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n".encode()),
                 414, "Send a long query to /sparql by POST")
    endless = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"x" * 3_000_000 + b"\r\n\r\n"
    assert_error(raw_request(server, endless), 431, "headers are over 1 MiB")
    assert_error(raw_request(server, b"GET /" + b"x" * 2_000_000 + b" HTTP/1.1\r\n\r\n"), 414, "64 KiB or longer")
    assert_error(raw_request(server, b"NOT HTTP\r\n\r\n"), 400, "not valid HTTP/1.1")
    time.sleep(0.3)  # the access log is written every 0.1 s
    refused = [json.loads(line) for line in server.log_records() if '"method": "-"' in line]
    assert [(r["status"], r["path"][:8], r["query_bytes"] > 70_000, r["error"][:24]) for r in refused][-4:] == [
        (414, "/sparql", True, "The URL is 64 KiB or lon"), (431, "/health", False, "The request's headers ar"),
        (414, "/xxxxxxx", False, "The URL is 64 KiB or lon"), (400, "-", False, "The request is not valid")]
    # a head under the cap, and a long query by POST, are answered as usual
    assert raw_request(server, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"x" * 500_000
                       + b"\r\nConnection: close\r\n\r\n").status_code == 200
    assert client.post("/sparql", content=query.encode(),
                       headers={"Content-Type": "application/sparql-query"}).status_code == 200


@pytest.mark.parametrize(("size", "status"), [(MiB, 200), (MiB + 1, 431), (MiB + 200_000, 431)])
def test_the_head_cap_is_1_mib_to_the_byte(server: Running, size: int, status: int) -> None:
    start = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: "
    head = start + b"x" * (size - len(start) - 4) + b"\r\n\r\n"  # request line, headers and the blank line
    assert len(head) == size
    assert raw_request(server, head).status_code == status


def test_connect_and_websocket_are_refused_by_citykg(impatient: Running) -> None:
    assert_error(raw_request(impatient, b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n"),
                 501, "citykg is not a proxy: it answers no CONNECT")
    handshake = (b"GET /sparql HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    assert_error(raw_request(impatient, handshake), 400, "citykg does not speak WebSocket")
    # another upgrade (curl --http2 asks for h2c) is answered in HTTP/1.1, and the connection closed
    h2c = raw_request(impatient, b"GET /health HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n"
                                 b"Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"
                                 b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert h2c.status_code == 200 and h2c.headers["connection"] == "close" and h2c.json()["ok"] is True
    assert_error(raw_request(impatient, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"), 400, "not valid HTTP/1.1")
    records = logged(impatient, lambda records: sum(r["status"] == 400 for r in records) >= 2)
    assert [(r["method"], r["status"]) for r in records if r["status"] in (400, 501)][-3:] == [
        ("-", 501), ("-", 400), ("-", 400)]
    # uvicorn's own warnings (an unsupported upgrade, an invalid request) are not in the log
    assert not [line for line in stderr_lines(impatient) if not line.startswith("{")]


def test_an_http_1_1_request_needs_one_host_header_of_at_most_255_characters(server: Running) -> None:
    assert_error(raw_request(server, b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n"), 400,
                 "An HTTP/1.1 request must have a Host header (RFC 9112)")
    assert_error(raw_request(server, b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400,
                 "more than one Host header")
    assert_error(raw_request(server, b"GET /health HTTP/1.1\r\nHost: " + b"h" * 256 + b"\r\n\r\n"), 400,
                 "The Host header is over 255 characters")
    for fine in (b"GET /health HTTP/1.0\r\n\r\n",  # HTTP/1.0 has no Host to send
                 b"GET /health HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",  # empty: allowed
                 b"GET /health HTTP/1.1\r\nHost: " + b"h" * 255 + b"\r\nConnection: close\r\n\r\n"):
        assert raw_request(server, fine).status_code == 200, fine[:40]


def test_an_http_version_other_than_1_x_is_505(server: Running) -> None:
    assert_error(raw_request(server, b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n"), 505,
                 "citykg speaks HTTP/1.1 (and 1.0): send the request as HTTP/1.1.")
    assert raw_request(server, b"GET /health HTTP/1.0\r\n\r\n").status_code == 200


def test_an_unknown_method_is_501_and_bytes_that_are_not_http_400(server: Running) -> None:
    for method in (b"FOO", b"get", b"BREW"):
        assert_error(raw_request(server, method + b" /sparql HTTP/1.1\r\nHost: x\r\n\r\n"), 501,
                     f"citykg does not know the method {method.decode()}: it answers GET, HEAD and POST")
    # after an answered request on the same connection too
    with socket.create_connection(address(server), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nFOO /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 501 Not Implemented" in answer
    # a method HTTP knows that no route answers is a 405, bytes that are no request a 400
    assert raw_request(server, b"PROPFIND /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status_code == 405
    for junk in (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", b"NOT HTTP\r\n\r\n", b"GET\r\n\r\n"):
        assert_error(raw_request(server, junk), 400, "not valid HTTP/1.1")


def test_a_connection_that_sends_nothing_is_closed_at_the_read_timeout(impatient: Running) -> None:
    started = time.monotonic()
    silent = [socket.create_connection(address(impatient), timeout=10) for _ in range(50)]
    ports = {sock.getsockname()[1] for sock in silent}
    try:
        assert all(sock.recv(1) == b"" for sock in silent)  # closed, without an answer
        assert 0.9 < time.monotonic() - started < 5
    finally:
        for sock in silent:
            sock.close()
    records = logged(impatient, lambda records: sum(r["error"].startswith("No request arrived")
                                                    for r in records if "error" in r) >= 50)
    closed = [r for r in records if int(r["client"].rsplit(":", 1)[1]) in ports]
    assert len(closed) == 50 and {(r["method"], r["path"], r["status"], r["bytes"]) for r in closed} == {
        ("-", "-", 408, 0)}
    assert closed[0]["error"] == ("No request arrived within 1 s of connecting: the connection is closed without "
                                  "an answer (the server's --read-timeout).")
    with httpx.Client(base_url=impatient.url) as client:  # a client that sends at once is answered
        assert client.get("/health").status_code == 200


def big_request(sock: socket.socket, *, close: bool = False) -> None:
    sock.sendall(f"GET /sparql?{urllib.parse.urlencode({'query': BIG})} HTTP/1.1\r\nHost: x\r\n"
                 f"Accept: text/tab-separated-values\r\n{'Connection: close' if close else 'X-No: 1'}\r\n\r\n"
                 .encode())


def test_a_client_that_reads_nothing_is_disconnected_and_its_answer_dropped(impatient: Running) -> None:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel takes little of the answer
    sock.connect(address(impatient))
    port = sock.getsockname()[1]
    with sock:
        big_request(sock)
        records = logged(impatient, lambda records: any(r["client"].endswith(f":{port}") and r["method"] == "-"
                                                        for r in records))
        sent, dropped = [r for r in records if r["client"].endswith(f":{port}")]
        assert (sent["status"], dropped["status"], dropped["bytes"], dropped["path"]) == (200, 408, 0, "/sparql")
        unsent = int(dropped["error"].split(" bytes of answers unsent")[0].rsplit(" ", 1)[1])
        assert dropped["error"] == (f"The client read nothing for 1 s with {unsent} bytes of answers unsent: the "
                                    "connection is closed and the answers dropped (the server's --read-timeout).")
        assert unsent > 1_000_000
        sock.settimeout(10)
        assert len(read_all(sock)) < sent["bytes"]  # what the kernel held, then the end


def test_a_client_that_reads_slowly_gets_its_whole_answer(impatient: Running) -> None:
    with socket.create_connection(address(impatient), timeout=10) as sock:
        big_request(sock, close=True)
        answer, paused_at = b"", 0
        while chunk := sock.recv(65536):  # 2 MiB at a time, with pauses shorter than the read timeout
            answer += chunk
            if len(answer) - paused_at > 2 * MiB:
                paused_at = len(answer)
                time.sleep(0.5)
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and paused_at > 10 * MiB  # 2.5 s or more to read it
    assert len(body) == int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])


def test_a_request_that_trickles_in_is_408_at_the_read_timeout(impatient: Running) -> None:
    for partial in (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1",  # headers that never end
                    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                    b"Content-Length: 100\r\n\r\nASK"):  # a body shorter than it says
        started = time.monotonic()
        with socket.create_connection(address(impatient), timeout=20) as sock:
            sock.sendall(partial)
            answer = read_all(sock)  # the server closes the connection
        assert 0.9 < time.monotonic() - started < 15
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer
        assert json.loads(body)["error"].startswith("The request did not arrive whole within 1 s")
    # a request sent at once is answered as usual, on a connection kept open past the timeout
    with httpx.Client(base_url=impatient.url) as client:
        assert client.get("/health").status_code == 200
        time.sleep(1.5)
        assert client.get("/health").status_code == 200


def test_a_second_request_that_trickles_in_is_408_too(impatient: Running) -> None:
    with socket.create_connection(address(impatient), timeout=20) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1")
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200") and answer.count(b"HTTP/1.1 408 Request Timeout") == 1
