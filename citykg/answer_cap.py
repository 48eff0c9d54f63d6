"""Cap an answer at a number of rows (or triples) and of bytes, cut at its last whole row.

An answer may be far larger than the server will send (:data:`citykg.evaluate.MAX_BYTES`), so
pyoxigraph writes it into a :class:`Sink` that keeps the bytes and stops the serialization
(:class:`Capped`) at either cap: an oversized answer is never written whole. Where the rows are
in SPARQL JSON, XML, CSV and TSV as pyoxigraph writes them is a :class:`Layout`
(:data:`LAYOUTS`); :func:`cut` finds them and cuts the answer at the last whole row within both
caps (a SPARQL JSON answer says so in a ``citykg`` member: :func:`mark_json`), and
:func:`triples_within` does the same for triples in a graph format. When not even the first row
fits in the byte cap, both give ``None``: :mod:`citykg.evaluate` answers that with a 422.

Example::

    >>> from pyoxigraph import QueryResultsFormat, Store
    >>> query = "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }"
    >>> sink = Sink(max_bytes=1000, max_rows=2, layout=LAYOUTS["csv"])
    >>> Store().query(query).serialize(sink, format=QueryResultsFormat.CSV)
    >>> cut(sink, "csv", finished=True)
    Cut(body=b'x\\r\\n1\\r\\n2\\r\\n', truncated=True, by_bytes=False)
    >>> sink = Sink(max_bytes=8, max_rows=10, layout=LAYOUTS["csv"])
    >>> try:
    ...     Store().query(query).serialize(sink, format=QueryResultsFormat.CSV)
    ... except Capped:
    ...     cut(sink, "csv", finished=False)
    Cut(body=b'x\\r\\n1\\r\\n', truncated=True, by_bytes=True)
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_right
from typing import NamedTuple

from pyoxigraph import NamedNode, RdfFormat, Triple

from citykg.formats import neutralise_csv, write_triples
from citykg.xmlsafe import Unrepresentable

__all__ = ["LAYOUTS", "Capped", "Cut", "Layout", "Sink", "cut", "mark_json", "marker", "triples_within"]

# A CSV cell that may start with =, +, -, @, a tab or a CR (a possible spreadsheet formula).
_FORMULA = re.compile(rb'(?:^|,)"?[=+\-@\t\r]', re.MULTILINE)
_RECOUNT = 65_536  # bytes written between two counts of the rows
_P = NamedNode("http://example.org/p")


class Capped(Exception):
    """Raised by :class:`Sink` to stop a serialization at its limit."""


class Layout(NamedTuple):
    """Where the rows are in a SPARQL results format as pyoxigraph writes it: after the first
    ``head``; each matched by ``row`` where the last ended (and ``skip`` bytes on); then ``tail``.
    ``bound`` occurs at least once in every row but the first."""

    head: bytes
    row: re.Pattern[bytes]
    skip: int
    tail: bytes
    bound: bytes


#: The :class:`Layout` of each SPARQL results format, by its name in :data:`citykg.evaluate.RESULT_FORMATS`.
LAYOUTS = {
    "tsv": Layout(b"\n", re.compile(rb"[^\n]*+\n"), 0, b"", b"\n"),
    "csv": Layout(b"\n", re.compile(rb'(?:[^"\n]++|"[^"]*+")*+\n'), 0, b"", b"\n"),  # newlines in quotes
    "xml": Layout(b"<results>", re.compile(rb"(?:[^<]++|<(?!/result>))*+</result>"), 0, b"</results></sparql>",
                  b"</result>"),
    # a row ends where ",{" follows it outside a string (a term's object follows a ":")
    "json": Layout(b'"bindings":[', re.compile(rb'(?:[^"\[,]++|"(?:[^"\\]++|\\.)*+"|[\[,](?=[^{]))*+(?=,\{)'), 1,
                   b"]}}", b",{"),
}


class Cut(NamedTuple):
    """An answer within its caps: its ``body``, and whether it was ``truncated`` (by the byte cap
    if ``by_bytes``)."""

    body: bytes
    truncated: bool = False
    by_bytes: bool = False


class Sink:
    """A binary sink that keeps what pyoxigraph writes and stops it (:class:`Capped`) once it
    holds more than ``max_bytes`` bytes or, given a ``layout``, more than ``max_rows`` rows.
    Rows are counted cheaply (an upper bound) as the bytes come, and found (:meth:`rows`) only
    when that bound passes the cap, or to cut the answer; a row not yet ended is looked at again
    once the bytes after its start have doubled: time in proportion to the bytes, however long."""

    def __init__(self, max_bytes: int, max_rows: int = 0, layout: Layout | None = None) -> None:
        self.buf = bytearray()
        self.max_bytes, self.max_rows, self.layout = max_bytes, max_rows, layout
        self.ends: list[int] = []  # where the head ends, then where each row found so far ends
        self.pos = 0  # where the next row starts
        self.retry = 0  # the size the bytes must reach before looking for rows again
        self.counted, self.bound = 0, 1  # bytes counted, and at most how many rows they hold
        self.recount = _RECOUNT  # the size at which to count again

    def write(self, data: bytes) -> int:
        """Keep ``data`` (up to one byte over the cap); its length.

        :raises Capped: once the bytes, or the rows, are over their cap.
        """
        room = self.max_bytes + 1 - len(self.buf)
        self.buf += memoryview(data)[:room]
        if len(data) >= room:
            raise Capped
        if self.layout is not None and len(self.buf) >= self.recount:
            self.recount = len(self.buf) + _RECOUNT
            if self.count() > self.max_rows and self.rows() > self.max_rows:
                raise Capped
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the bytes stay in memory."""

    def count(self) -> int:
        """At most how many rows the bytes hold (counted from where the last count stopped)."""
        bound = self.layout.bound  # type: ignore[union-attr]
        self.bound += self.buf.count(bound, max(0, self.counted - len(bound) + 1))
        self.counted = len(self.buf)
        return self.bound

    def rows(self, *, final: bool = False, finished: bool = False) -> int:
        """How many rows have ended in the bytes (up to one more than the cap), found from where
        the last search stopped: all of them if ``final`` (and the last row of SPARQL JSON, which
        has no ``,{`` after it, if the serialization has ``finished``)."""
        layout, buf = self.layout, self.buf
        assert layout is not None
        if not self.ends and (at := buf.find(layout.head)) >= 0:
            self.ends.append(at + len(layout.head))
            self.pos = self.ends[0]
        if not self.ends or (len(buf) < self.retry and not final):
            return max(0, len(self.ends) - 1)
        while len(self.ends) <= self.max_rows + 1 and (row := layout.row.match(buf, self.pos)) is not None:
            self.ends.append(row.end())
            self.pos = row.end() + layout.skip
        self.retry = 2 * len(buf) - self.pos
        if finished and len(self.ends) <= self.max_rows + 1 and self.pos < len(buf) - len(layout.tail):
            self.ends.append(len(buf) - len(layout.tail))  # SPARQL JSON's last row: no ",{" after it
            self.pos = len(buf)
        return len(self.ends) - 1


def cut(sink: Sink, name: str, *, finished: bool, neutralised: bool = False) -> Cut | None:
    """The answer ``sink`` holds in the results format ``name``, cut at the last whole row within
    both caps if it holds more (``finished``: all of it was written); CSV with its formulas
    neutralised (:func:`citykg.formats.neutralise_csv`), within the caps too.

    :returns: the answer, or ``None`` if not even its first row fits in the byte cap.
    """
    max_rows, max_bytes, layout = sink.max_rows, sink.max_bytes, LAYOUTS[name]
    truncated = by_bytes = False
    if finished and (sink.count() <= max_rows or sink.rows(final=True, finished=True) <= max_rows):
        body = bytes(sink.buf)
    else:
        truncated, rows, ends = True, sink.rows(final=True, finished=finished), sink.ends
        size = len(marker(max_rows, None)) if name == "json" else 0
        if rows > max_rows and ends[max_rows] + len(layout.tail) + size <= max_bytes:
            kept = max_rows
        else:
            by_bytes = True
            size = len(marker(max_rows, max_bytes)) if name == "json" else 0
            kept = min(bisect_right(ends, max_bytes - len(layout.tail) - size) - 1, max_rows, rows)
            if kept < 1:
                return None
        body = bytes(sink.buf[: ends[kept]]) + layout.tail
        if name == "json":
            body = mark_json(body, max_rows, max_bytes if by_bytes else None)
    if name == "csv" and not neutralised and _FORMULA.search(body):
        body = neutralise_csv(body)
        if len(body) > max_bytes:  # each neutralised cell is a byte longer
            again = Sink(max_bytes, max_rows, layout)
            with contextlib.suppress(Capped):
                again.write(body)
            return cut(again, name, finished=False, neutralised=True)
    return Cut(body, truncated, by_bytes)


def triples_within(triples: list[Triple], fmt: RdfFormat, max_bytes: int) -> Cut | None:
    """``triples`` in ``fmt``, cut at a whole triple if they take more than ``max_bytes``
    (``truncated`` and ``by_bytes`` then).

    :returns: the triples written, or ``None`` if not even the first fits in ``max_bytes``.
    :raises Unrepresentable: if the format cannot carry them.

    >>> t = Triple(NamedNode("http://example.org/s"), _P, NamedNode("http://example.org/o"))
    >>> within = triples_within([t, t], RdfFormat.N_TRIPLES, 100)  # one triple takes 71 bytes
    >>> len(within.body), within.truncated, within.by_bytes
    (71, True, True)
    """
    body = _graph_bytes(triples, fmt, max_bytes)
    if body is not None:
        return Cut(body)
    count = _fitting(triples, fmt, max_bytes)
    while count and (body := _graph_bytes(triples[:count], fmt, max_bytes)) is None:
        count = count * 9 // 10
    return None if body is None else Cut(body, True, True)


def marker(max_rows: int, max_bytes: int | None) -> bytes:
    """The ``citykg`` member of a capped SPARQL JSON answer: the byte cap's if it cut the answer.

    >>> marker(5, None), marker(5, 100)
    (b'"citykg":{"truncated":true,"maxRows":5},', b'"citykg":{"truncated":true,"maxBytes":100},')
    """
    if max_bytes is None:
        return b'"citykg":{"truncated":true,"maxRows":%d},' % max_rows
    return b'"citykg":{"truncated":true,"maxBytes":%d},' % max_bytes


def mark_json(body: bytes, max_rows: int, max_bytes: int | None = None) -> bytes:
    """Add :func:`marker` to a SPARQL JSON document, before its ``results``: strict parsers
    (pyoxigraph's) take no member after the bindings. The first ``"results"`` is that key: the
    head before it holds variable names and IRIs, never a quote.

    >>> mark_json(b'{"head":{"vars":["x"]},"results":{"bindings":[]}}', 5)
    b'{"head":{"vars":["x"]},"citykg":{"truncated":true,"maxRows":5},"results":{"bindings":[]}}'
    """
    at = body.index(b'"results"')
    return body[:at] + marker(max_rows, max_bytes) + body[at:]


def _graph_bytes(triples: list[Triple], fmt: RdfFormat, max_bytes: int) -> bytes | None:
    """``triples`` in ``fmt``, or ``None`` if they take more than ``max_bytes``."""
    sink = Sink(max_bytes)
    try:
        write_triples(triples, fmt, sink)
    except Capped:
        return None
    return bytes(sink.buf)


def _fitting(triples: list[Triple], fmt: RdfFormat, max_bytes: int) -> int:
    """How many of ``triples`` fit in ``max_bytes``, counting for each the bytes it takes alone,
    less what all documents share (prefixes, opening, closing): no less than it takes among the
    others, which may share its subject. (One refused alone is refused when they are written.)"""
    def size(some: list[Triple]) -> int:
        try:
            body = _graph_bytes(some, fmt, max_bytes)
        except Unrepresentable:
            return 0
        return max_bytes + 1 if body is None else len(body)

    a, b = (Triple(NamedNode(f"http://example.org/{s}"), _P, _P) for s in "ab")
    shared = total = size([a]) + size([b]) - size([a, b])
    for count, triple in enumerate(triples):
        total += size([triple]) - shared
        if total > max_bytes:
            return count
    return len(triples)
