"""What ``citykg link``'s graphs keep when a withdrawal takes records out of the graph.

A withdrawn submission takes its cities and countries out of the graph. The links and facts that
``citykg link`` wrote about them in ``graphs/`` would then name records the graph no longer has,
so a withdrawal leaves them out, and only them: each removed record's link, what Wikidata says of
it (labels, coordinates, population), its twinnings, and the partner cities and their countries
that Wikidata brought for it alone. Every other link, a person's reviewed decisions among them, is
kept, so a later ``citykg link`` starts where this one left off.

Example::

    >>> from pyoxigraph import NamedNode, Quad
    >>> link, city = NamedNode("https://w3id.org/citykg/id/link/city/yazd"), "https://w3id.org/citykg/id/city/yazd"
    >>> quads = [Quad(link, NamedNode(CKG + "linkedRecord"), NamedNode(city))]
    >>> without_records(quads, {city})
    []
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from citykg.errors import InputError
from citykg.iris import CKG, RDF
from citykg.link import LINKS_FILE, WIKIDATA_FILE, read_records, stored_links, write_graph_file
from citykg.project import Project
from citykg.submissions import Submission

__all__ = ["Unlinked", "unlinked", "without_records", "write"]

_TYPE, _PARTNER, _COUNTRY = RDF + "type", CKG + "partner", CKG + "country"


@dataclass(frozen=True)
class Unlinked:
    """What a withdrawal leaves out of ``citykg link``'s graphs."""

    #: The records whose links go (``city/caceres``), sorted.
    records: tuple[str, ...] = ()
    #: The files of ``graphs/`` that change, by name as findings give them (``graphs/wikidata.nq``),
    #: with the quads they keep.
    files: dict[str, list[Quad]] = field(default_factory=dict)


def unlinked(project: Project, *, submissions: Sequence[Submission]) -> Unlinked:
    """The files of ``citykg link`` in ``graphs/`` as a graph of these submissions (and the
    project's tables) leaves them: without what they say of records it lacks. Only the files that
    change; none if ``citykg link`` has linked no record that would go.

    :raises InputError: if a file of ``graphs/`` cannot be read.
    """
    linked = {lk.record: lk.ref for lk in stored_links(project).values()}
    if not linked:
        return Unlinked()
    cities, countries = read_records(project, submissions=submissions)
    gone = set(linked) - {r.iri for r in (*cities, *countries)}
    out: dict[str, list[Quad]] = {}
    for name in (LINKS_FILE, WIKIDATA_FILE) if gone else ():
        path = project.graphs / name
        if not path.is_file():
            continue
        try:
            quads = list(parse(path=path, format=RdfFormat.N_QUADS))
        except (SyntaxError, OSError) as exc:
            raise InputError(f"The graph file {path} cannot be read: {exc}. Restore it, or run `citykg link` "
                             "again.") from exc
        kept = without_records(quads, gone)
        if len(kept) != len(quads):
            out[f"{project.graphs.name}/{name}"] = kept
    return Unlinked(tuple(sorted(linked[iri] for iri in gone)), out)


def write(project: Project, unlinked: Unlinked) -> None:
    """Write what :func:`unlinked` found over the files of ``graphs/``, each atomically."""
    for name, quads in sorted(unlinked.files.items()):
        write_graph_file(project.graphs / Path(name).name, quads)


def without_records(quads: Sequence[Quad], gone: Collection[str]) -> list[Quad]:
    """``quads`` without what they say of the records ``gone`` (IRIs): their links and facts,
    twinnings left with one partner, and the partner cities (with their geometry) and countries
    that nothing left refers to. The order of the quads is kept."""
    nodes = set(gone)
    nodes |= {_iri(q.subject) for q in quads if q.predicate.value == CKG + "linkedRecord" and _iri(q.object) in nodes}
    kept = _drop(quads, nodes)
    partners: dict[str, int] = {}
    for q in kept:
        if q.predicate.value == _PARTNER:
            partners[_iri(q.subject)] = partners.get(_iri(q.subject), 0) + 1
    kept = _drop(kept, {s for s, n in partners.items() if n < 2})  # a twinning with a partner gone
    for kind, by in (("City", _PARTNER), ("Country", _COUNTRY)):  # a partner city, then its country
        typed = {_iri(q.subject) for q in kept if q.predicate.value == _TYPE and _iri(q.object) == CKG + kind}
        used = {_iri(q.object) for q in kept if q.predicate.value == by}
        kept = _drop(kept, typed - used)
    return kept


def _drop(quads: Sequence[Quad], nodes: set[str]) -> list[Quad]:
    """The quads about none of ``nodes`` (or their geometry) and naming none of them."""
    nodes = nodes | {n + "/geometry" for n in nodes}
    return [q for q in quads if _iri(q.subject) not in nodes and _iri(q.object) not in nodes]


def _iri(term: object) -> str:
    """The IRI of a named node; "" for any other term."""
    return term.value if isinstance(term, NamedNode) else ""
