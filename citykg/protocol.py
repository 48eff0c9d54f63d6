"""The HTTP/1.1 protocol ``citykg serve`` runs under uvicorn: one write a response, capped heads,
deadlines for clients that send or read nothing.

:func:`http_protocol` is uvicorn's own (httptools) protocol with these changes: its transport
(:class:`_Corked`) sends a response's head and body in one write; it stops reading a request
line or headers past their caps; it closes a connection on which no request arrives, or whose
client reads none of its answers, within the read timeout; it refuses CONNECT and WebSocket
requests itself, a method it does not know (501), and an HTTP/1.1 request without one Host header
of at most 255 characters (400, RFC 9112); and a request it refuses gets citykg's JSON error
shape (with the CORS headers of ``--cors``) and a line in the access log.

Example::

    >>> http_protocol().__mro__[1].__name__
    'HttpToolsProtocol'
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
from http import HTTPStatus
from typing import Any

from citykg.web import MAX_HOST

if sys.platform == "linux":
    import fcntl
    import termios

    _OUTQ: int | None = termios.TIOCOUTQ  # SIOCOUTQ: bytes in a socket's send queue not yet acknowledged
else:
    _OUTQ = None

__all__ = ["http_protocol"]

_MAX_URL = 65_536  # uvicorn's URL parser counts in 16 bits
_MAX_HEAD = 1_048_576  # request line and headers
_MAX_LOGGED_PATH = 2_048  # of a refused request's URL, in the access log
_URL_TOO_LONG = (414, "The URL is 64 KiB or longer. Send a long query to /sparql by POST "
                      "(application/sparql-query, or a form with query=).")
_HEAD_TOO_LARGE = (431, "The request's headers are over 1 MiB. Send less in them.")
_NOT_HTTP = (400, "The request is not valid HTTP/1.1.")
_CONNECT = (501, "citykg is not a proxy: it answers no CONNECT. Ask for a path of this server, such as "
                 "/sparql or /queries.")
_WEBSOCKET = (400, "citykg does not speak WebSocket. Send the request without 'Upgrade: websocket' for "
                   "an HTTP answer.")
_NO_HOST = (400, "An HTTP/1.1 request must have a Host header (RFC 9112): send the host and port of this "
                 "server, such as Host: 127.0.0.1:8000.")
_VERSION = (505, "citykg speaks HTTP/1.1 (and 1.0): send the request as HTTP/1.1.")
_TWO_HOSTS = (400, "The request has more than one Host header (RFC 9112): send one.")
_LONG_HOST = (400, f"The Host header is over {MAX_HOST} characters: send the host and port of this server, such "
                   "as Host: 127.0.0.1:8000.")
_UNKNOWN_METHOD = (501, "citykg does not know the method {method}: it answers GET, HEAD and POST (and "
                        "OPTIONS for a CORS preflight). See / for the query page and /sparql for the SPARQL "
                        "endpoint.")
# a request line with a method that is a token (RFC 9110), a target and an HTTP version
_REQUEST_LINE = re.compile(rb"(?:^|\n)([!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}) [^ \r\n]+ HTTP/[0-9]\.[0-9]\r?\n")


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


def _unread(transport: asyncio.Transport) -> int:
    """Bytes written to ``transport`` that its client has not read: those in its buffer, and (on
    Linux) those in the kernel's send queue, which shrinks as soon as the client reads, while the
    transport hands the kernel more only once much of that queue is free."""
    size = transport.get_write_buffer_size()
    sock = transport.get_extra_info("socket")
    if _OUTQ is not None and sock is not None:
        with contextlib.suppress(OSError):
            size += int.from_bytes(fcntl.ioctl(sock.fileno(), _OUTQ, bytes(4)), sys.byteorder)
    return size


class _Refused(Exception):
    """Raised in a parser callback once the request is refused: the parser reads no further."""


def _unknown_method(data: bytes) -> str | None:
    """The method of the request line in ``data`` that HTTP parsing stopped at as an unknown
    method, if that line is a request line (a token, a target and a version), else ``None``: bytes
    that are not HTTP at all, such as a TLS handshake, are a 400, not a 501.

    >>> _unknown_method(b"FOO /sparql HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"), _unknown_method(b"\\x16\\x03\\x01\\x00")
    ('FOO', None)
    """
    from httptools import HttpParserError, HttpParserInvalidMethodError, HttpRequestParser

    for found in _REQUEST_LINE.finditer(data):
        try:  # the requests parsed before it in ``data`` have known methods
            HttpRequestParser(None).feed_data(found[1] + b" / HTTP/1.1\r\n")
        except HttpParserInvalidMethodError:
            return found[1].decode("ascii")
        except HttpParserError:
            continue
    return None


def http_protocol(*, read_timeout: float = 60.0) -> type:
    """uvicorn's HTTP protocol, with caps on a request's head, deadlines, and errors in citykg's JSON shape.

    Its transport gathers each response into one write (:class:`_Corked`). uvicorn answers a
    request it cannot parse in plain text, reads a request line and headers of any size, keeps
    a connection on which nothing arrives open for ever, and keeps an answer its client does
    not read in memory for ever. This protocol refuses a URL of 64 KiB or more (414: a long
    query sent by GET) and a head over 1 MiB (431, from the first byte past it), a CONNECT
    (501) and a WebSocket handshake (400), a request line whose method it does not know (501),
    an HTTP/1.1 request with no Host header, two, or one over 255 characters (400), and any
    unparsable request (400), as every other error is answered. A request not read whole
    within ``read_timeout`` seconds of its first byte (a client that stalls, or trickles its
    headers to hold a connection) is answered 408; a connection on which no byte arrives within
    ``read_timeout`` seconds is closed without an answer, and so is one whose client reads
    nothing of the answers written to it for as long (they are freed). Between two requests, a
    kept-alive connection has uvicorn's shorter idle timeout. Refusals and closes are logged as
    requests are (with method ``-``).
    """
    from httptools import HttpParserError, HttpParserInvalidMethodError, HttpParserUpgrade
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class Protocol(HttpToolsProtocol):
        in_head, head = True, 0  # reading a request line and headers; bytes read of them
        url = b""  # of the request being read (uvicorn sets it when a request begins)
        begun = False  # a request has begun and is not read whole
        refused = False  # a refusal is sent, or waits for the answers to earlier requests: read no more
        held: tuple[int, bytes] | None = None  # the refusal that waits: status and body
        deadline: asyncio.TimerHandle | None = None  # of the request being read (the first: from connecting)
        stalled: asyncio.TimerHandle | None = None  # armed while the answers written exceed the write buffer

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(_Corked(transport))  # type: ignore[arg-type]
            self.deadline = self.loop.call_later(read_timeout, self._too_slow)

        def data_received(self, data: bytes) -> None:
            while data and not self.refused:
                if not self.in_head:  # a body (the routes cap it), and any requests after it
                    self._feed(data)
                    return
                room = _MAX_HEAD - self.head
                part, data = (data, b"") if len(data) <= room else (data[:room], data[room:])
                self.head += len(part)
                self._feed(part)
                if data and self.in_head and not self.refused:  # the head goes on past its cap
                    self._refuse(*(_URL_TOO_LONG if len(self.url) >= _MAX_URL else _HEAD_TOO_LARGE))

        def _feed(self, data: bytes) -> None:
            self._unset_keepalive_if_required()
            try:
                self.parser.feed_data(data)
            except HttpParserUpgrade:
                pass  # an Upgrade (h2c) request is answered in HTTP/1.1 on a connection that then closes
            except HttpParserError as exc:
                if not self.refused:
                    method = _unknown_method(data) if isinstance(exc, HttpParserInvalidMethodError) else None
                    if method is not None:
                        self._refuse(_UNKNOWN_METHOD[0], _UNKNOWN_METHOD[1].format(method=method))
                    else:
                        self._refuse(*(_URL_TOO_LONG if len(self.url) >= _MAX_URL else _NOT_HTTP))

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.begun = True
            if self.deadline is None:  # from the request's first byte (the first's: from connecting)
                self.deadline = self.loop.call_later(read_timeout, self._too_slow)

        def on_headers_complete(self) -> None:
            refusal = self._refusal()
            if refusal is not None:
                self._refuse(*refusal)
                raise _Refused
            self.in_head = False  # the routes cap the body
            super().on_headers_complete()
            if self.parser.should_upgrade():  # the parser reads nothing after an Upgrade request
                self.cycle.keep_alive = False

        def _refusal(self) -> tuple[int, str] | None:
            if len(self.url) >= _MAX_URL:
                return _URL_TOO_LONG
            if self.parser.get_http_version() not in ("1.0", "1.1"):  # (httptools reads an HTTP/2.0 line too)
                return _VERSION
            if self.parser.get_method() == b"CONNECT":
                return _CONNECT
            if any(name == b"upgrade" and b"websocket" in value.lower() for name, value in self.headers):
                return _WEBSOCKET
            hosts = [value for name, value in self.headers if name == b"host"]
            if len(hosts) > 1:
                return _TWO_HOSTS
            if hosts and len(hosts[0]) > MAX_HOST:
                return _LONG_HOST
            if not hosts and self.parser.get_http_version() == "1.1":
                return _NO_HOST
            return None

        def on_message_complete(self) -> None:
            self.in_head, self.head, self.begun = True, 0, False
            self._disarm()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.begun:  # the next request has begun: its deadline runs, not the idle timeout
                self._unset_keepalive_if_required()
            if self.held is not None and self.cycle.response_complete and not self.transport.is_closing():
                self._unset_keepalive_if_required()
                self._send(*self.held)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self.stalled is not None:
                self.stalled.cancel()
            super().connection_lost(exc)

        def _disarm(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

        def _too_slow(self) -> None:
            self.deadline = None
            if self.refused:
                return
            if self.in_head and not self.head and self.cycle is None:  # not a byte since connecting
                self._log(408, f"No request arrived within {read_timeout:g} s of connecting: the "
                               "connection is closed without an answer (the server's --read-timeout).")
                self.transport.close()
            elif not self.in_head and self.cycle.response_started:  # an answer is on its way: just stop
                self.refused = True
                self.transport.close()
            else:
                self._refuse(408, f"The request did not arrive whole within {read_timeout:g} s of its first "
                                  "byte. Send it at once (the server's --read-timeout).")

        def pause_writing(self) -> None:
            super().pause_writing()
            if self.stalled is None:
                self._watch(_unread(self.transport))

        def resume_writing(self) -> None:
            super().resume_writing()
            if self.stalled is not None:
                self.stalled.cancel()
                self.stalled = None

        def _watch(self, unsent: int) -> None:
            self.stalled = self.loop.call_later(read_timeout, self._reading, unsent)

        def _reading(self, before: int) -> None:
            """Close the connection if its client read nothing since ``before`` bytes were unread."""
            unread = _unread(self.transport)
            if unread < before:  # it reads, if slowly
                self._watch(unread)
                return
            self.stalled, self.refused = None, True
            unsent = self.transport.get_write_buffer_size()
            self._log(408, f"The client read nothing for {read_timeout:g} s with {unsent} bytes of answers "
                           "unsent: the connection is closed and the answers dropped (the server's --read-timeout).")
            self.transport.abort()

        def send_400_response(self, msg: str) -> None:
            self._refuse(*_NOT_HTTP)

        def _refuse(self, status: int, message: str) -> None:
            """Answer ``status`` and close, once the answers to the requests before this one are sent."""
            self.refused = True
            self._disarm()
            body = json.dumps({"ok": False, "error": message, "status": status}, ensure_ascii=False).encode("utf-8")
            self._log(status, message, body)
            if not self.in_head and self.cycle is not None and self.cycle.response_started:
                self.transport.close()  # this request is being answered already: stop there
            elif self.in_head and self.cycle is not None and not self.cycle.response_complete:
                self.held = (status, body)  # the answers to earlier requests go first
            else:
                self._send(status, body)

        def _send(self, status: int, body: bytes) -> None:
            self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                                 b"%sconnection: close\r\n\r\n%s"
                                 % (status, HTTPStatus(status).phrase.encode(), len(body), self._cors(), body))
            self.transport.close()

        def _cors(self) -> bytes:
            """The CORS header lines of ``--cors``, as the application's answers have them."""
            config = getattr(getattr(self.app, "server", None), "config", None)
            origins = getattr(config, "cors", ())
            if not origins:
                return b""
            origin = next((value for name, value in self.headers or () if name == b"origin"), b"")
            allowed = b"*" if "*" in origins else origin if origin.decode("latin-1") in origins else b""
            return (b"access-control-allow-origin: %s\r\n" % allowed if allowed else b"") + b"vary: origin\r\n"

        def _log(self, status: int, message: str, body: bytes = b"") -> None:
            """A line in the access log for a request refused here (``body`` is what was sent)."""
            log = getattr(self.app, "log_refusal", None)  # the access log of citykg's application
            if log is not None:
                url = bytes(self.url)
                cut = url.find(b"?") if b"?" in url else len(url)
                log(client=self.client, path=url[:min(cut, _MAX_LOGGED_PATH)].decode("latin-1") or "-",
                    query_bytes=max(len(url) - cut - 1, 0), status=status, body=body, error=message)

    return Protocol
