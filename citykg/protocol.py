"""The HTTP/1.1 protocol ``citykg serve`` runs under uvicorn: one write a response, capped heads.

:func:`http_protocol` is uvicorn's own (httptools) protocol with three changes: its transport
(:class:`_Corked`) sends a response's head and body in one write; it stops reading a request
line or headers past their caps; and a request it cannot parse gets citykg's JSON error shape
and a line in the access log.

Example::

    >>> http_protocol().__mro__[1].__name__
    'HttpToolsProtocol'
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

__all__ = ["http_protocol"]

_MAX_URL = 65_536  # uvicorn's URL parser counts in 16 bits
_MAX_HEAD = 1_048_576  # request line and headers
_MAX_LOGGED_PATH = 2_048  # of a refused request's URL, in the access log


class _Corked:
    """A transport whose writes of one event-loop iteration leave together.

    uvicorn writes a response's status line and headers, then its body: two packets, and two
    trips through the network stack, for what fits in one. This gathers them (and the answers
    to pipelined requests) into one ``writelines`` once the callbacks now ready have run, in
    the order written; closing writes what is gathered first.
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            if not self._transport.is_closing():
                self._transport.writelines(pending)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def http_protocol(*, read_timeout: float = 60.0) -> type:
    """uvicorn's HTTP protocol, with caps on a request's head and errors in citykg's JSON shape.

    Its transport gathers each response into one write (:class:`_Corked`). uvicorn answers a
    request it cannot parse in plain text, and reads a request line and headers of any size.
    This protocol stops reading a URL of 64 KiB or more (414: a long query sent by GET) and a
    head over 1 MiB (431), and answers both, and any unparsable request (400), as every other
    error is answered. A request not read whole within ``read_timeout`` seconds of its first
    byte (a client that stalls, or trickles its headers to hold a connection) is answered 408.
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class Protocol(HttpToolsProtocol):
        in_head, head = True, 0  # reading a request line and headers; bytes read of them

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(_Corked(transport))  # type: ignore[arg-type]

        deadline: asyncio.TimerHandle | None = None  # of the request being read

        def data_received(self, data: bytes) -> None:
            if self.in_head:
                if not self.head and data and self.deadline is None:
                    self.deadline = asyncio.get_running_loop().call_later(read_timeout, self._too_slow)
                self.head += len(data)
                if self.head - len(data) > _MAX_HEAD:  # over the cap, and this read goes on
                    self._refuse(431, "The request's headers are over 1 MiB. Send less in them.")
                    return
            super().data_received(data)

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            if len(self.url) >= _MAX_URL:  # stop reading it: the parser fails the request
                raise ValueError("URL too long")

        def on_headers_complete(self) -> None:
            self.in_head = False  # the routes cap the body
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self.in_head, self.head = True, 0
            self._disarm()
            super().on_message_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _disarm(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

        def _too_slow(self) -> None:
            self.deadline = None
            if self.cycle is not None and self.cycle.response_started:  # an answer is on its way: just stop
                self.transport.close()
            else:
                self._refuse(408, f"The request did not arrive whole within {read_timeout:g} s of its first "
                                  "byte. Send it at once (the server's --read-timeout).")

        def send_400_response(self, msg: str) -> None:
            if len(self.url) >= _MAX_URL:
                self._refuse(414, "The URL is 64 KiB or longer. Send a long query to /sparql by POST "
                                  "(application/sparql-query, or a form with query=).")
            else:
                self._refuse(400, "The request is not valid HTTP/1.1.")

        def _refuse(self, status: int, message: str) -> None:
            body = json.dumps({"ok": False, "error": message, "status": status}).encode("utf-8")
            log = getattr(self.app, "log_refusal", None)  # the access log of citykg's application
            if log is not None:
                url = bytes(self.url)
                cut = url.find(b"?") if b"?" in url else len(url)
                log(client=self.client, path=url[:min(cut, _MAX_LOGGED_PATH)].decode("latin-1") or "-",
                    query_bytes=max(len(url) - cut - 1, 0), status=status, body=body, error=message)
            self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                                 b"connection: close\r\n\r\n%s"
                                 % (status, HTTPStatus(status).phrase.encode(), len(body), body))
            self.transport.close()

    return Protocol
