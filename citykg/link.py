"""``citykg link``: link the project's cities and countries to Wikidata, and enrich them.

:func:`link` reads the cities and countries of the project (its tables and the extra graphs of
``graphs/``), decides which Wikidata item each stands for, and writes two files into
``graphs/``, which ``citykg build`` adds to the graph and which are committed with the project:

- ``graphs/wikidata-links.nq``: the links, with method, score, reasons, endpoint and date;
- ``graphs/wikidata.nq``: what Wikidata says about the linked cities (see :mod:`citykg.enrich`).

The decision for each record, in order of precedence:

1. a QID in the record's source table (method ``identifier``);
2. a person's decision, from ``--decisions FILE`` or kept from an earlier run (``reviewed``);
3. reconciliation of its English and Persian names within its country (``name``; see
   :mod:`citykg.reconcile`); countries without a QID are looked up by ISO code (``iso-code``).

The ambiguous ones go to a review file (``dist/wikidata-review.csv`` by default), where a person
fills the ``decision`` column with a QID or ``none`` and hands it back with ``--decisions``; the
decisions are stored in the links graph, so later runs keep them without the file.

:func:`quickstatements` exports the partnerships of the project's tables that Wikidata lacks,
and names those it cannot export because a city has no QID. :func:`country_codes` gives the
ISO codes of the project's countries, with which :func:`~citykg.reconcile.reconcile` checks
and compares countries.

Example::

    >>> from citykg.project import Project
    >>> [r.ref for r in read_records(Project.locate())[0]]
    ['city/mashhad', 'city/tabriz']
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse, serialize

from citykg.build import data_folders, load_graphs
from citykg.enrich import LINKS_GRAPH, WIKIDATA_GRAPH, Enrichment, Record, RecordLink, enrichment, link_quads
from citykg.errors import InputError, LinkError
from citykg.iris import CKG, PREFIXES, WD
from citykg.items import resolve_countries
from citykg.project import Project
from citykg.rdfmap import to_quads
from citykg.reconcile import Candidate, Decision, Match, NameQuery, reconcile
from citykg.review import ReviewDecision, ReviewRow, read_decisions, write_review
from citykg.tables import read_tables
from citykg.wikidata import Client, chunks, iri

__all__ = ["LINKS_FILE", "WIKIDATA_FILE", "LeftOut", "LinkRun", "QuickStatements", "Statement", "country_codes",
           "link", "quickstatements", "read_records"]

LINKS_FILE = "wikidata-links.nq"
WIKIDATA_FILE = "wikidata.nq"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class LinkRun:
    """What a run of :func:`link` decided, fetched and wrote."""

    links: tuple[RecordLink, ...]
    endpoint: str
    retrieved_on: date
    enrichment: Enrichment
    written: tuple[Path, ...]
    review: Path
    ambiguous: int
    warnings: tuple[str, ...]
    requests: int
    cached: int

    def count(self, decision: Decision) -> int:
        """How many records got this decision."""
        return sum(1 for lk in self.links if lk.match.decision is decision)

    def summary(self) -> list[str]:
        """What the run did, in two lines (three if partners were left out) for the user (the CLI
        prints them to stderr)."""
        extra = self.enrichment
        left_out = ([f"partners left out (no English label, or no country with ISO codes): "
                     f"{'; '.join(extra.skipped)}"] if extra.skipped else [])
        return [*left_out,
            f"{self.count(Decision.LINKED)} linked, {self.ambiguous} ambiguous, {self.count(Decision.NONE)} none; "
            f"{_n(extra.partnerships, 'partnership')}, {_n(extra.cities, 'partner city', 'partner cities')}, "
            f"{_n(extra.countries, 'country', 'countries')} from {self.endpoint} as of {self.retrieved_on} "
            f"({_n(len(extra.skipped), 'partner')} left out); {_n(self.requests, 'request')}, "
            f"{_n(self.cached, 'answer')} from the cache",
            f"wrote {', '.join(str(p) for p in self.written)} and the review file {self.review}; "
            "run `citykg build` next",
        ]


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _dataset(project: Project) -> Store:
    """The project's tables and extra graphs, without the graphs citykg link writes."""
    store = Store()
    mapped = to_quads(read_tables(data_folders(project), root=project.root))
    ours = {LINKS_GRAPH, WIKIDATA_GRAPH}
    store.extend([*mapped.quads, *(q for q in load_graphs(project) if str(q.graph_name)[1:-1] not in ours)])
    return store


def read_records(project: Project) -> tuple[list[Record], list[Record]]:
    """The project's cities and countries, sorted by IRI."""
    store = _dataset(project)
    return _records(store, "City"), _records(store, "Country")


def country_codes(project: Project) -> dict[str, str]:
    """The ISO 3166-1 alpha-2 codes of the project's countries, by QID (``{"Q219060": "PS"}``)."""
    return {c.qid: c.key for c in _records(_dataset(project), "Country") if c.qid}


def _records(store: Store, cls: str) -> list[Record]:
    query = f"""SELECT ?r ?key ?en ?fa ?iso ?qid WHERE {{
      ?r a ckg:{cls} .
      OPTIONAL {{ ?r ckg:identifier ?id }} OPTIONAL {{ ?r ckg:iso2 ?code }}
      OPTIONAL {{ ?r rdfs:label ?en FILTER (LANG(?en) = "en") }}
      OPTIONAL {{ ?r rdfs:label ?fa FILTER (LANG(?fa) = "fa") }}
      OPTIONAL {{ ?r ckg:country/ckg:iso2 ?iso }} OPTIONAL {{ ?r ckg:wikidataId ?qid }}
      BIND (COALESCE(?id, ?code) AS ?key) }} ORDER BY ?r"""
    out: dict[str, Record] = {}
    for row in store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES):  # type: ignore[union-attr]
        node, key = row["r"], row["key"]
        if not isinstance(node, NamedNode) or key is None or node.value in out:
            continue
        names = tuple(t.value for t in (row["en"], row["fa"]) if t is not None)
        out[node.value] = Record(node.value, cls.lower(), key.value, names,
                                 row["iso"].value if row["iso"] else None,
                                 row["qid"].value if row["qid"] else None,
                                 frozenset(lang for lang, t in (("en", row["en"]), ("fa", row["fa"])) if t))
    return list(out.values())


def _kept_decisions(project: Project) -> dict[str, str | None]:
    """Reviewed decisions stored in the links graph by earlier runs: record ref → QID or None."""
    path = project.graphs / LINKS_FILE
    if not path.is_file():
        return {}
    try:
        quads = list(parse(path=path, format=RdfFormat.N_QUADS))
    except (SyntaxError, OSError) as exc:
        raise InputError(f"The links file {path} cannot be read: {exc}. Restore it from version control.") from exc
    facts: dict[str, dict[str, str]] = {}
    for q in quads:
        facts.setdefault(q.subject.value, {})[q.predicate.value] = q.object.value
    out: dict[str, str | None] = {}
    for props in facts.values():
        if props.get(CKG + "linkMethod") == "reviewed" and CKG + "linkedRecord" in props:
            ref = "/".join(props[CKG + "linkedRecord"].rsplit("/", 2)[-2:])
            item = props.get(CKG + "wikidataItem", "")
            out[ref] = item[len(WD):] if item.startswith(WD) else None
    return out


def link(project: Project, *, client: Client, decisions: Path | None = None, review: Path | None = None,
         progress: Progress | None = None) -> LinkRun:
    """Link the project's cities and countries, fetch what Wikidata says, write ``graphs/``.

    :param project: the project whose records to link.
    :param client: the endpoint to ask (see :class:`citykg.wikidata.Client`).
    :param decisions: a review file with a person's decisions to apply and keep.
    :param review: where to write the review file; default ``dist/wikidata-review.csv``.
    :param progress: called with a short message at each stage.
    :raises LinkError: if the decisions file is unusable; :class:`~citykg.errors.EndpointError`
        if the endpoint fails (answers received so far stay cached).
    """
    say = progress or (lambda message: None)
    review = review or project.dist / "wikidata-review.csv"
    _keep_unapplied_decisions(review, decisions)
    cities, countries = read_records(project)
    by_ref = {r.ref: r for r in (*cities, *countries)}
    kept = _kept_decisions(project)
    warnings: list[str] = []
    if decisions is not None:
        _apply_decisions(decisions, by_ref, kept, warnings)
    say(f"linking {len(cities)} cities and {len(countries)} countries at {client.endpoint}")
    codes = {c.qid: c.key for c in countries if c.qid}
    links = [*_link_cities(cities, kept, client, warnings, codes), *_link_countries(countries, kept, client)]
    say(f"fetching labels, coordinates, population and partners of {sum(1 for lk in links if lk.match.qid)} items")
    extra = enrichment(links, client=client, countries={c.key: c for c in countries})
    day = client.retrieved_on()
    rows = [ReviewRow(lk.record.ref, " / ".join(lk.record.names), lk.record.country, lk.match.candidates,
                      "; ".join(lk.match.reasons))
            for lk in links if lk.match.decision is Decision.AMBIGUOUS]
    ambiguous = write_review(review, rows)  # first: if it cannot be written, graphs/ stays as it was
    project.graphs.mkdir(parents=True, exist_ok=True)
    written = (_write(project.graphs / LINKS_FILE, link_quads(links, endpoint=client.endpoint, day=day)),
               _write(project.graphs / WIKIDATA_FILE, extra.quads))
    return LinkRun(tuple(links), client.endpoint, day, extra, written, review, ambiguous,
                   tuple(warnings + extra.warnings), client.stats.requests, client.stats.cached)


def _apply_decisions(path: Path, by_ref: dict[str, Record], kept: dict[str, str | None],
                     warnings: list[str]) -> None:
    """Add a person's decisions to ``kept``, warning about those that cannot or should not apply."""
    in_tables = {r.qid: r.ref for r in by_ref.values() if r.qid}
    first: dict[str, ReviewDecision] = {}
    for d in read_decisions(path):
        earlier = first.setdefault(d.record, d)
        if earlier is not d and earlier.qid != d.qid:
            warnings.append(f"{path}:{d.line}: a second decision for {d.record!r} "
                            f"(line {earlier.line} decides otherwise); the last one is kept.")
        owner = next((ref for ref, qid in kept.items() if qid and qid == d.qid), in_tables.get(d.qid or ""))
        if d.record not in by_ref:
            warnings.append(f"{path}:{d.line}: no record {d.record!r} in the graph; decision ignored.")
        elif d.qid and owner not in (None, d.record):
            warnings.append(f"{path}:{d.line}: {d.qid} is already the Wikidata item of {owner}; "
                            "a place has one item, so this decision is ignored.")
        else:
            kept[d.record] = d.qid


def _keep_unapplied_decisions(review: Path, decisions: Path | None) -> None:
    """Refuse to overwrite a review file in which a person has filled decisions not yet applied."""
    if not review.is_file() or (decisions is not None and decisions.resolve() == review.resolve()):
        return
    filled = read_decisions(review)
    if filled:
        raise LinkError(f"{review} holds {len(filled)} decision(s) that were not applied, and this run would "
                        f"replace it. Run `citykg link --decisions {review}` to apply them, or move the file away.")


def _link_cities(cities: Sequence[Record], kept: dict[str, str | None], client: Client,
                 warnings: list[str], codes: dict[str, str]) -> list[RecordLink]:
    queries: list[NameQuery] = []
    methods: list[str] = []
    for city in cities:
        decided = kept.get(city.ref, "")
        if city.qid and decided not in ("", city.qid):
            warnings.append(f"{city.ref}: the data gives {city.qid}; the reviewed decision "
                            f"{decided or 'none'} is ignored (fix the table if the data is wrong).")
        if city.qid:
            queries.append(NameQuery(city.names, city.country, city.qid))
            methods.append("identifier")
        elif city.ref in kept:
            queries.append(NameQuery(city.names, city.country, kept[city.ref]))
            methods.append("reviewed")
        else:
            queries.append(NameQuery(city.names, city.country))
            methods.append("name")
    matches = reconcile(queries, client=client, trust_qids=True, country_codes=codes)  # a QID in the tables wins
    out = []
    for city, match, method in zip(cities, matches, methods, strict=True):
        if method == "reviewed":
            why = ("decided by a person",)
            match = Match(match.query, Decision.LINKED if match.query.qid else Decision.NONE,
                          tuple(replace(c, reasons=why) for c in match.candidates[:1]) if match.query.qid else (),
                          "reviewed", why)
        out.append(RecordLink(city, match))
    return out


def _link_countries(countries: Sequence[Record], kept: dict[str, str | None], client: Client) -> list[RecordLink]:
    codes = resolve_countries(client, [c.key for c in countries if not c.qid], strict=False)
    out = []
    for country in countries:
        qid = country.qid or (kept.get(country.ref) if country.ref in kept else codes.get(country.key))
        method = "identifier" if country.qid else "reviewed" if country.ref in kept else "iso-code"
        found = (Candidate(qid, country.names[0] if country.names else qid, country.key, 100,
                           (f"{method}: {country.key if method == 'iso-code' else qid}",)),) if qid else ()
        match = Match(NameQuery(country.names, country.key, qid), Decision.LINKED if qid else Decision.NONE,
                      found, method, ("ISO 3166-1 code",) if method == "iso-code" else ())
        out.append(RecordLink(country, match))
    return out


def _write(path: Path, quads: Sequence[Quad]) -> Path:
    """Write sorted N-Quads atomically (the quads are sorted by the caller)."""
    data = serialize(quads, format=RdfFormat.N_QUADS) or b""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
    store = _dataset(project)
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

