"""Where a record or a term is written in an RDF file, so that findings about it give a line.

An RDF parser forgets where each triple was written; a contributor fixing a Turtle file wants
the line. :func:`locate` gives each finding about an RDF file the line where its record is
written as a subject (``<iri>`` or ``prefix:name`` starting a line in Turtle, TriG, N-Triples and
N-Quads; ``"@id": "…"`` in JSON-LD; ``rdf:about="…"`` in RDF/XML), or, for an undeclared term,
the line of its first use. A blank node (a source row) is found by its label (``_:row``), or,
written without one (``[ … ]``), where the node that refers to it does; a prefixed name may have
escapes (``id:city\\/qom``). A record or term the text does not spell out keeps no line.
:func:`place` puts the findings about an RDF file's records and blank nodes in that file first,
as ``citykg validate`` and every build do for an RDF submission.

Example::

    >>> from pyoxigraph import RdfFormat
    >>> text = b'@prefix city: <https://w3id.org/citykg/id/city/> .\\n\\ncity:qom a city:Town .\\n'
    >>> lines_of(text, RdfFormat.TURTLE, ["https://w3id.org/citykg/id/city/qom"])
    {'https://w3id.org/citykg/id/city/qom': 3}
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from pyoxigraph import BlankNode

from citykg.iris import expand, node_key
from citykg.rdfinput import INPUT_BASE
from citykg.report import Finding

if TYPE_CHECKING:
    from pyoxigraph import Quad, RdfFormat

__all__ = ["lines_of", "locate", "place"]


def lines_of(data: bytes, fmt: RdfFormat, iris: Iterable[str], *, as_subject: bool = True) -> dict[str, int]:
    """The line (from 1) of each IRI in ``data``: where it is first written as a subject, or, if it
    never is (or not ``as_subject``), where it is first written at all. IRIs not found are left out.
    """
    return _Source.of(data, fmt).lines(iris, as_subject=as_subject)


def place(findings: Sequence[Finding], quads: Sequence[Quad], data: bytes, fmt: RdfFormat, *, file: str,
          labels: Mapping[str, str] | None = None) -> list[Finding]:
    """The findings about the nodes of an RDF file in that file, at their lines (:func:`locate`),
    whatever source row a record cites or whatever ``ckg:path`` and ``ckg:line`` it declares.

    :param quads: the file's quads, as checked: a finding whose ``focus`` is a subject of one of
        them (a record, or a blank node such as its source row) is about the file.
    :param file: the file, as findings name it.
    :param labels: the label the file gives each blank node that was renamed since it was read
        (``_:s1234n0`` → ``_:row``).
    """
    nodes = {node_key(q.subject) for q in quads}
    moved = [dataclasses.replace(f, file=file, row=None, column=None) if f.focus in nodes and f.file != file else f
             for f in findings]
    return locate(moved, data, fmt, file=file, quads=quads, labels=labels)


def locate(findings: Sequence[Finding], data: bytes, fmt: RdfFormat, *, file: str, quads: Sequence[Quad] = (),
           labels: Mapping[str, str] | None = None) -> list[Finding]:
    """The findings about ``file`` that have no line, given the line of their record (``focus``)
    or, for an undeclared term, of its first use; the others as they are. A finding about one
    property of its record (``path``) gets the line where the record's description writes that
    property, if it does.

    A blank node (a focus ``_:id``) is found by the label the file gives it (``labels``: the label
    of a node renamed since it was read, ``_:s1234n0`` → ``_:row``); one the file writes without a
    label (``[ … ]``) is placed where the node that refers to it in ``quads`` writes that reference.
    Its finding names it by the file's label, or by nothing: the id is citykg's, not the file's.
    """
    labels = labels or {}
    referrers: dict[str, tuple[str, str]] = {}  # blank node → the node that refers to it, by which property
    for q in quads:
        if isinstance(q.object, BlankNode):
            referrers.setdefault(f"_:{q.object.value}", (str(node_key(q.subject)), q.predicate.value))

    def key(f: Finding) -> tuple[str, bool] | None:
        if f.file != file or f.row is not None:
            return None
        if f.shape is not None and f.shape.endswith("undeclared-term") and f.value:
            return f.value, False
        return (f.focus, True) if f.focus else None

    def chain(node: str) -> list[tuple[str, str | None]]:
        """The node as the file writes it, then each blank node's referrer, with the property."""
        out: list[tuple[str, str | None]] = [(labels.get(node, node), None)]
        while node in referrers and len(out) <= len(referrers):  # (a cycle of blank nodes ends)
            node, prop = referrers[node]
            out.append((labels.get(node, node), prop))
        return out

    wanted = {k for k in map(key, findings) if k is not None}
    if not wanted:
        return list(findings)
    chains = {iri: chain(iri) for iri, as_subject in wanted if as_subject}
    properties = {expand(f.path) for f in findings if key(f) and f.path and not f.path.startswith("^")}
    properties |= {p for c in chains.values() for _, p in c if p}
    source = _Source.of(data, fmt, properties=properties)
    found = source.lines({n for c in chains.values() for n, _ in c}, as_subject=True)
    terms = source.lines({i for i, s in wanted if not s}, as_subject=False)
    out = []
    for f in findings:
        k = key(f)
        if k is None or not k[1]:
            out.append(dataclasses.replace(f, row=terms[k[0]]) if k and k[0] in terms else f)
            continue
        steps = chains[k[0]]
        if k[0].startswith("_:"):
            f = dataclasses.replace(f, focus=steps[0][0] if steps[0][0] in found else None)
        at = next(((i, n, p) for i, (n, p) in enumerate(steps) if n in found), None)
        if at is None:
            out.append(f)
            continue
        i, node, _ = at
        row = found[node]
        # down from the node the file writes, each reference in turn (… ckg:dataFile [ … ]), or the property
        props = [p for _, p in reversed(steps[1:i + 1]) if p]
        for prop in props or ([expand(f.path)] if f.path and not f.path.startswith("^") else []):
            row = source.property_line(node, row, prop) or row
        out.append(dataclasses.replace(f, row=row))
    return out


# Where an IRI may be written: in <>, in quotes (JSON-LD, RDF/XML), or as a prefixed name.
_ESCAPED = r"\\[_~.\-!$&'()*+,;=/?#@%]"  # a prefixed name's escaped character (Turtle's PN_LOCAL_ESC)
_WRITTEN = re.compile(r"""<([^<>"\s]*)>|"([^"\\\n]*)"|'([^'\\\n]*)'"""
                      rf"|(?<![\w\-:%\\])((?:[A-Za-z][\w\-.]*)?:(?:[\w\-/]|{_ESCAPED})*"
                      rf"(?:\.(?:[\w\-/]|{_ESCAPED})+)*)(?![\w\-:%\\])"
                      r"|(?<![\w\-:%\\])(_:[\w\-]+(?:\.[\w\-]+)*)(?![\w\-:%\\])")  # (a blank node's label)
_UNESCAPE = re.compile(r"\\(.)")
# What comes before a subject on its line, besides nothing (Turtle, TriG, N-Triples, N-Quads):
# "@id": (JSON-LD; but {"@id": …} alone refers to a node) or about= (RDF/XML).
_KEY_OF_SUBJECT = re.compile(r"""("@id"\s*:\s*|about\s*=\s*)$""")
_REFERENCE = re.compile(r"\s*}")
_XMLNS = re.compile(r"""\bxmlns:([A-Za-z_][\w.\-]*)\s*=\s*["']([^"']*)["']""")
_WINDOW = 64  # how far back a token's line is read, so that a one-line file reads in linear time


@dataclasses.dataclass(frozen=True)
class _Source:
    """The first line each spelling is written on, and the first line it starts a description on."""

    anywhere: dict[str, int]
    as_subject: dict[str, int]
    prefixes: dict[str, str]
    base: str
    #: every line each spelling of the properties asked for is written on, and the lines that
    #: start a description of a subject of the data (with the subject's IRI), in order
    written: dict[str, list[int]]
    starts: list[tuple[int, str]]

    @classmethod
    def of(cls, data: bytes, fmt: RdfFormat, *, properties: Iterable[str] = ()) -> _Source:
        from pyoxigraph import parse

        parser = parse(data, format=fmt, base_iri=INPUT_BASE)
        # the prefixes are known once the whole file is read
        subjects = {node_key(t.subject) for t in parser}
        text = data.decode("utf-8", errors="replace")
        # the parser reports no prefixes for RDF/XML: its element names use XML namespaces
        prefixes = {**dict(_XMLNS.findall(text)), **parser.prefixes}
        base = parser.base_iri or INPUT_BASE
        tracked = {s for p in properties for s in _spellings(p, prefixes, base)}
        anywhere: dict[str, int] = {}
        as_subject: dict[str, int] = {}
        written: dict[str, list[int]] = {}
        starts: list[tuple[int, str]] = []
        line, counted = 1, 0
        for match in _WRITTEN.finditer(text):
            line += text.count("\n", counted, match.start())
            counted = match.start()
            spelling = next(g for g in match.groups() if g is not None)
            if match.group(4) and "\\" in spelling:  # id:city\/qom is id:city/qom
                spelling = _UNESCAPE.sub(r"\1", spelling)
            anywhere.setdefault(spelling, line)
            if spelling in tracked:
                written.setdefault(spelling, []).append(line)
            if _starts_description(text, match):
                as_subject.setdefault(spelling, line)
                iri = _iri(spelling, prefixes, base)
                if iri in subjects:
                    starts.append((line, iri))
        return cls(anywhere, as_subject, prefixes, base, written, starts)

    def property_line(self, subject: str, line: int, prop: str) -> int | None:
        """The first line, from ``line`` (where ``subject`` is described) up to where another
        subject's description starts, that writes the property ``prop`` (one :meth:`of` was asked
        to track); None if none does."""
        at = bisect.bisect_right(self.starts, (line, "\U0010ffff"))  # the first start after the line
        end = next((n for n, iri in itertools.islice(self.starts, at, None) if iri != subject), None)
        hits = []
        for spelling in _spellings(prop, self.prefixes, self.base):
            lines = self.written.get(spelling, [])  # in order
            first = bisect.bisect_left(lines, line)
            if first < len(lines) and (end is None or lines[first] < end):
                hits.append(lines[first])
        return min(hits, default=None)

    def lines(self, iris: Iterable[str], *, as_subject: bool) -> dict[str, int]:
        found = {}
        for iri in iris:
            spellings = _spellings(iri, self.prefixes, self.base)
            lines = [self.as_subject[s] for s in spellings if s in self.as_subject] if as_subject else []
            lines = lines or [self.anywhere[s] for s in spellings if s in self.anywhere]
            if lines:
                found[iri] = min(lines)
        return found


def _spellings(iri: str, prefixes: dict[str, str], base: str) -> list[str]:
    """The ways a file may write ``iri``: in full, as a prefixed name, relative to its base."""
    found = [iri, *(f"{prefix}:{iri[len(ns):]}" for prefix, ns in prefixes.items() if iri.startswith(ns))]
    if iri.startswith(base):
        found.append(iri[len(base):])
    return found


def _iri(spelling: str, prefixes: dict[str, str], base: str) -> str:
    """The IRI a spelling stands for: a prefixed name expanded, a relative IRI resolved."""
    return expand(spelling, prefixes) if ":" in spelling else base + spelling


def _starts_description(text: str, match: re.Match[str]) -> bool:
    start = match.start()
    newline = text.rfind("\n", max(0, start - _WINDOW), start)
    before = text[max(0, start - _WINDOW) if newline < 0 else newline + 1:start]
    if (newline >= 0 or start <= _WINDOW) and not before.strip():
        return True
    key = _KEY_OF_SUBJECT.search(before)
    return key is not None and not (key.group().startswith('"') and _REFERENCE.match(text, match.end()))
