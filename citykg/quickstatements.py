"""``citykg link --quickstatements``: the twinnings of the project's tables that Wikidata lacks.

:func:`quickstatements` reads the twinnings (sister city, friendship, twinned) that the project's
studies and reference tables state between cities with QIDs (in the tables, or from ``citykg
link``), asks the endpoint which P190 statements it has among them, and gives each one it lacks
as a QuickStatements (V1) line with its source as reference, for a person to review and submit.
A twinning with a city that has no QID cannot be exported; it is named in
:attr:`QuickStatements.left_out`.

Example::

    >>> print(LeftOut("Atlantis", "Tabriz", "https://example.org/atlantis", ("Atlantis",)))
    Atlantis – Tabriz (https://example.org/atlantis) left out: Atlantis has no Wikidata QID
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Quad, RdfFormat, parse

from citykg.iris import PREFIXES
from citykg.link import LINKS_FILE, project_store
from citykg.project import Project
from citykg.wikidata import Client, chunks, iri

__all__ = ["LeftOut", "QuickStatements", "Statement", "quickstatements"]


@dataclass(frozen=True)
class Statement:
    """One QuickStatements line: a P190 statement Wikidata lacks, with its reference."""

    subject: str
    partner: str
    source: str
    line: str


@dataclass(frozen=True)
class LeftOut:
    """A twinning of the tables that cannot be exported: a city has no QID (``missing``)."""

    city: str
    partner: str
    source: str
    missing: tuple[str, ...]

    def __str__(self) -> str:
        lack = " and ".join(self.missing) + (" have" if len(self.missing) > 1 else " has")
        return f"{self.city} – {self.partner} ({self.source}) left out: {lack} no Wikidata QID"


@dataclass(frozen=True)
class QuickStatements:
    """What :func:`quickstatements` found: the lines to submit, and the twinnings left out."""

    statements: tuple[Statement, ...]
    left_out: tuple[LeftOut, ...]

    #: What to do about the twinnings left out.
    HINT = "run `citykg link`, or add the QID to the table (its wikidata column), to export the twinnings left out"


def quickstatements(project: Project, *, client: Client) -> QuickStatements:
    """The twinnings of the project's tables that Wikidata lacks, as QuickStatements (V1) lines.

    A twinning (sister city, friendship or twinned) between two cities with QIDs (in the tables,
    or from ``citykg link``), stated by a study or reference table, gives ``Q… TAB P190 TAB Q…``
    with its source as reference: the study's title (S1476) and the table and row (S958), or the
    reference URL (S854) or citation. Each direction Wikidata lacks gets a line, since P190 is
    symmetric. A twinning with a city that has no QID is left out and named in
    :attr:`QuickStatements.left_out` (by the cities' labels and the source).
    """
    store = project_store(project)
    links = project.graphs / LINKS_FILE
    if links.is_file():
        store.extend(q for q in parse(path=links, format=RdfFormat.N_QUADS) if isinstance(q, Quad))
    query = """SELECT DISTINCT ?a ?b ?la ?lb ?qa ?qb ?study ?title ?table ?row ?cite WHERE {
      ?p a ckg:Partnership ; ckg:partner ?a, ?b ; prov:wasDerivedFrom ?src ; ckg:partnershipType ?type .
      VALUES ?type { ckg:sisterCity ckg:friendshipCity ckg:twinningStatement }  # a memorandum is no P190
      ?src a ckg:SourceRow . ?a ckg:twinnedWith ?b . FILTER (STR(?a) < STR(?b))
      OPTIONAL { ?a ckg:wikidataId ?qa } OPTIONAL { ?b ckg:wikidataId ?qb }
      OPTIONAL { ?a rdfs:label ?la FILTER (LANG(?la) = "en") } OPTIONAL { ?b rdfs:label ?lb FILTER (LANG(?lb) = "en") }
      OPTIONAL { ?src ckg:inStudy ?s . ?s ckg:identifier ?study .
                 OPTIONAL { ?s dcterms:title ?title FILTER (LANG(?title) = "en") } }
      OPTIONAL { ?src ckg:sourceTable ?table } OPTIONAL { ?src ckg:sourceRow ?row }
      OPTIONAL { ?src ckg:citation ?cite } } ORDER BY ?qa ?qb ?study ?cite ?la ?lb"""
    names = ("a", "b", "la", "lb", "qa", "qb", "study", "title", "table", "row", "cite")
    rows = [{k: (row[k].value if row[k] is not None else "") for k in names}
            for row in store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)]  # type: ignore[union-attr]
    stated = [s for s in rows if s["qa"] and s["qb"]]
    present = _p190(client, {(s["qa"], s["qb"]) for s in stated})
    out: list[Statement] = []
    for s in stated:
        reference, source = _reference(s)
        for a, b in ((s["qa"], s["qb"]), (s["qb"], s["qa"])):
            if (a, b) not in present:
                out.append(Statement(a, b, source, "\t".join((a, "P190", b, *reference))))
    left_out = set()
    for s in rows:
        if not (s["qa"] and s["qb"]):
            label = {side: s["l" + side] or s[side].rsplit("/", 1)[-1] for side in "ab"}
            left_out.add(LeftOut(label["a"], label["b"], _reference(s)[1],
                                 tuple(label[side] for side in "ab" if not s["q" + side])))
    return QuickStatements(tuple(dict.fromkeys(out)),  # each once, if a city has two English labels
                           tuple(sorted(left_out, key=lambda lo: (lo.city, lo.partner, lo.source))))


def _p190(client: Client, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The directed P190 statements Wikidata has among the pairs, in either direction."""
    both = sorted({(a, b) for a, b in pairs} | {(b, a) for a, b in pairs})
    found: set[tuple[str, str]] = set()
    queries = [("PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
                "SELECT ?a ?b WHERE { VALUES (?a ?b) { "
                + " ".join(f"({iri(a)} {iri(b)})" for a, b in part) + " } ?a wdt:P190 ?b }")
               for part in chunks(both, 200)]
    for rows in client.select_many(queries):
        for row in rows:
            if row["a"].qid and row["b"].qid:
                found.add((row["a"].qid, row["b"].qid))
    return found


def _reference(s: dict[str, str]) -> tuple[tuple[str, ...], str]:
    def text(value: str) -> str:
        return '"' + " ".join(value.replace('"', "'").split()) + '"'

    if s["study"]:
        where = ", ".join(v for v in (s["table"], f"row {s['row']}" if s["row"] else "") if v)
        ref = ("S1476", "en:" + text(s["title"] or s["study"]))
        return (ref + (("S958", text(where)) if where else ()), s["study"])
    if s["cite"].startswith(("http://", "https://")):
        return (("S854", text(s["cite"])), s["cite"])
    return (("S1476", "en:" + text(s["cite"] or "citykg reference tables")), s["cite"] or "reference tables")

