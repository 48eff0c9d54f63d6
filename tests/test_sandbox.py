"""citykg.sandbox: a process that has given up the network can make no outgoing connection."""

from __future__ import annotations

import subprocess
import sys
import time

from serving import listener

PROBE = """
import socket, sys
from citykg.sandbox import deny_network
from pyoxigraph import Store
print("sandboxed", deny_network())
left, right = socket.socketpair()  # AF_UNIX still works
left.sendall(b"x"); print("unix", right.recv(1))
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    print("tcp connected")
except PermissionError:
    print("tcp refused")
query = "SELECT * WHERE { BIND(1 AS ?x) SERVICE <http://127.0.0.1:%s/sparql> { ?s ?p ?o } }" % sys.argv[1]
try:
    list(Store().query(query))
    print("service answered")
except PermissionError:
    print("service refused")
except OSError:
    print("service failed")  # the listener is no SPARQL endpoint
"""


def test_a_sandboxed_process_keeps_pipes_and_unix_sockets_but_reaches_no_server() -> None:
    sink = listener()
    try:
        port = str(sink.sock.getsockname()[1])
        done = subprocess.run([sys.executable, "-c", PROBE, port], capture_output=True, text=True, timeout=60)
        assert done.stdout.split("\n")[:4] == ["sandboxed True", "unix b'x'", "tcp refused", "service refused"], \
            done.stdout + done.stderr
        time.sleep(0.3)
        assert sink.received == []
    finally:
        sink.close()


def test_without_the_sandbox_the_same_probe_does_reach_the_listener() -> None:
    """The control: the listener does see a connection from a process that kept the network."""
    sink = listener()
    try:
        port = str(sink.sock.getsockname()[1])
        probe = PROBE.replace("deny_network()", "False")
        done = subprocess.run([sys.executable, "-c", probe, port], capture_output=True, text=True, timeout=60)
        assert "tcp connected" in done.stdout, done.stdout + done.stderr
        deadline = time.monotonic() + 5
        while not sink.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sink.received
    finally:
        sink.close()
