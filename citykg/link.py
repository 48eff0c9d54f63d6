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
   A city whose country no country record of the project has (or that has none), which
   ``citykg build`` refuses, is not linked on its names alone (ambiguous at most), with a warning.

The ambiguous ones go to a review file (``dist/wikidata-review.csv`` by default), where a person
fills the ``decision`` column with a QID or ``none`` and hands it back with ``--decisions``; the
decisions are stored in the links graph, so later runs keep them without the file.

A decision must name an item of the record's kind (see :mod:`citykg.kinds`): a city's a place that
is no country, a country's a country; another is refused with a warning, and the record goes to
the review file as ambiguous.

A place has one item, so no two records get the same QID: a decision for the item that a table
gives another record, or that another decision (kept, or earlier in the file) gives another
record, is ignored with a warning. A decision beats a name match: a record whose name matches
the item that a table or a decision gives another record goes to the review file as ambiguous,
with a warning naming both records; so do two records whose names match the same item (see
:mod:`citykg.decisions`).

:func:`country_codes` gives the ISO codes of the project's countries, with which
:func:`~citykg.reconcile.reconcile` checks and compares countries. The export of twinnings
Wikidata lacks is :mod:`citykg.quickstatements`.

Example::

    >>> from citykg.project import Project
    >>> [r.ref for r in read_records(Project.locate())[0]]
    ['city/mashhad', 'city/tabriz']
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse, serialize

from citykg.build import data_folders, load_graphs
from citykg.context import read_in_context
from citykg.decisions import apply_decisions, drop_decisions_for_table_items, keep_unapplied_decisions, one_item_each
from citykg.enrich import LINKS_GRAPH, WIKIDATA_GRAPH, Enrichment, Record, RecordLink, enrichment, link_quads
from citykg.errors import InputError
from citykg.iris import CKG, PREFIXES, WD
from citykg.items import resolve_countries
from citykg.kinds import refuse_wrong_kinds
from citykg.names import normalise
from citykg.project import Project
from citykg.reconcile import Candidate, Decision, Match, NameQuery, reconcile
from citykg.review import ReviewRow, write_review
from citykg.submissions import Submission
from citykg.wikidata import Client, Stats

__all__ = ["LINKS_FILE", "WIKIDATA_FILE", "LinkRun", "StoredLink", "country_codes", "link", "project_store",
           "read_records", "stored_links", "write_graph_file"]

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
    traffic: Stats

    def count(self, decision: Decision) -> int:
        """How many records got this decision."""
        return sum(1 for lk in self.links if lk.match.decision is decision)

    def summary(self) -> list[str]:
        """What the run did, in two lines (three if partners were left out) for the user (the CLI
        prints them to stderr)."""
        extra = self.enrichment
        left_out = [f"partners left out, as no places: {'; '.join(extra.skipped)}"] if extra.skipped else []
        stateless = f" ({len(extra.without_country)} with no country known)" if extra.without_country else ""
        return [*left_out,
            f"{self.count(Decision.LINKED)} linked, {self.ambiguous} ambiguous, {self.count(Decision.NONE)} none; "
            f"{_n(extra.partnerships, 'partnership')}, {_n(extra.cities, 'partner city', 'partner cities')}"
            f"{stateless}, {_n(extra.countries, 'country', 'countries')} from {self.endpoint} "
            f"as of {self.retrieved_on} ({_n(len(extra.skipped), 'partner')} left out); {self.traffic.describe()}",
            f"wrote {', '.join(str(p) for p in self.written)} and the review file {self.review}; "
            "run `citykg build` next",
        ]


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def project_store(project: Project, *, submissions: Sequence[Submission] | None = None) -> Store:
    """The project's tables, accepted submissions and extra graphs, without the graphs citykg
    link writes.

    :param submissions: the submissions to include; by default the accepted ones.
    """
    store = Store()
    mapped = read_in_context(project, data_folders(project), submissions=submissions).mapped
    ours = {LINKS_GRAPH, WIKIDATA_GRAPH}
    store.extend([*mapped.quads, *(q for q in load_graphs(project) if str(q.graph_name)[1:-1] not in ours)])
    return store


def read_records(project: Project, *,
                 submissions: Sequence[Submission] | None = None) -> tuple[list[Record], list[Record]]:
    """The project's cities and countries, sorted by IRI (with these submissions; by default the
    accepted ones)."""
    store = project_store(project, submissions=submissions)
    return _records(store, "City"), _records(store, "Country")


def country_codes(project: Project) -> dict[str, str]:
    """The ISO 3166-1 alpha-2 codes of the project's countries, by QID (``{"Q219060": "PS"}``)."""
    return _codes(_records(project_store(project), "Country"))


def _codes(countries: Sequence[Record]) -> dict[str, str]:
    return {c.qid: c.key for c in countries if c.qid}


def _records(store: Store, cls: str) -> list[Record]:
    """The records of a class; a city's country is its ISO code, or the last part of its IRI if no
    country record has it (``FR`` for a city whose ``FR`` is missing from countries.csv)."""
    query = f"""SELECT ?r ?key ?en ?fa ?iso ?qid WHERE {{
      ?r a ckg:{cls} .
      OPTIONAL {{ ?r ckg:identifier ?id }} OPTIONAL {{ ?r ckg:iso2 ?code }}
      OPTIONAL {{ ?r rdfs:label ?en FILTER (LANG(?en) = "en") }}
      OPTIONAL {{ ?r rdfs:label ?fa FILTER (LANG(?fa) = "fa") }}
      OPTIONAL {{ ?r ckg:country ?in OPTIONAL {{ ?in ckg:iso2 ?listed }} }} OPTIONAL {{ ?r ckg:wikidataId ?qid }}
      BIND (COALESCE(?id, ?code) AS ?key)
      BIND (COALESCE(?listed, REPLACE(STR(?in), "^.*/", "")) AS ?iso) }} ORDER BY ?r"""
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


@dataclass(frozen=True)
class StoredLink:
    """A link the links graph holds: the record (IRI and ref), how it was made, and its QID."""

    record: str
    ref: str
    method: str
    qid: str | None


def stored_links(project: Project) -> dict[str, StoredLink]:
    """The links of ``graphs/wikidata-links.nq`` (none if there is no such file), by record IRI.

    :raises InputError: if the file cannot be read.
    """
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
    out: dict[str, StoredLink] = {}
    for props in facts.values():
        record, method = props.get(CKG + "linkedRecord"), props.get(CKG + "linkMethod")
        if record and method:
            item = props.get(CKG + "wikidataItem", "")
            out[record] = StoredLink(record, "/".join(record.rsplit("/", 2)[-2:]), method,
                                     item[len(WD):] if item.startswith(WD) else None)
    return out


def _kept_decisions(project: Project) -> dict[str, str | None]:
    """Reviewed decisions stored in the links graph by earlier runs: record ref → QID or None."""
    return {lk.ref: lk.qid for lk in stored_links(project).values() if lk.method == "reviewed"}


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
    if review is None:
        review = project.dist / "wikidata-review.csv"
        project.dist.mkdir(parents=True, exist_ok=True)
    keep_unapplied_decisions(review, decisions)
    cities, countries = read_records(project)
    by_ref = {r.ref: r for r in (*cities, *countries)}
    kept = _kept_decisions(project)
    warnings: list[str] = []
    if decisions is not None:
        apply_decisions(decisions, by_ref, kept, warnings)
    drop_decisions_for_table_items(by_ref, kept, warnings)
    refused = refuse_wrong_kinds(client, by_ref, kept, codes=_codes(countries), warnings=warnings)
    say(f"linking {len(cities)} cities and {len(countries)} countries at {client.endpoint}")
    links = one_item_each([*_link_cities(cities, kept, client, warnings, _codes(countries), {c.key for c in countries}),
                            *_link_countries(countries, kept, client, warnings)], warnings)
    links = [RecordLink(lk.record, replace(lk.match, decision=Decision.AMBIGUOUS, reasons=(
        f"a decision refused: {refused[lk.record.ref]}",))) if lk.record.ref in refused else lk
        for lk in links]  # a wrong decision goes back to a person, never to the links or an export
    say(f"fetching labels, coordinates, population and partners of {sum(1 for lk in links if lk.match.qid)} items")
    extra = enrichment(links, client=client, countries={c.key: c for c in countries})
    day = client.retrieved_on()
    rows = [ReviewRow(lk.record.ref, " / ".join(lk.record.names), lk.record.country, lk.match.candidates,
                      "; ".join(lk.match.reasons), lk.match.more)
            for lk in links if lk.match.decision is Decision.AMBIGUOUS]
    ambiguous = write_review(review, rows)  # first: if it cannot be written, graphs/ stays as it was
    project.graphs.mkdir(parents=True, exist_ok=True)
    written = (write_graph_file(project.graphs / LINKS_FILE, link_quads(links, endpoint=client.endpoint, day=day)),
               write_graph_file(project.graphs / WIKIDATA_FILE, extra.quads))
    return LinkRun(tuple(links), client.endpoint, day, extra, written, review, ambiguous,
                   tuple(warnings + extra.warnings), client.stats)


def _link_cities(cities: Sequence[Record], kept: dict[str, str | None], client: Client,
                 warnings: list[str], codes: dict[str, str], listed: set[str]) -> list[RecordLink]:
    """Link the cities (``listed``: the ISO codes of the project's countries)."""
    queries: list[NameQuery] = []
    methods: list[str] = []
    for city in cities:
        decided = kept.get(city.ref, "")
        if city.qid and decided not in ("", city.qid):
            warnings.append(f"{city.ref}: the data gives {city.qid}; the reviewed decision "
                            f"{decided or 'none'} is ignored (fix the table if the data is wrong).")
        if city.qid:
            queries.append(NameQuery(city.names, city.country, city.qid, city.ref))
            methods.append("identifier")
        elif city.ref in kept:
            queries.append(NameQuery(city.names, city.country, kept[city.ref], city.ref))
            methods.append("reviewed")
        else:
            queries.append(NameQuery(city.names, city.country, None, city.ref))
            methods.append("name")
    unknown: set[str] = set()  # countries neither the tables (with a QID) nor the endpoint know
    matches = reconcile(queries, client=client, trust_qids=True, country_codes=codes,  # a QID in the tables wins
                        unknown_countries=unknown)
    out = []
    for city, match, method in zip(cities, matches, methods, strict=True):
        if city.country not in listed:
            match = _unlisted_country(city, match, method, warnings)
        elif method == "name" and city.country in unknown:
            warnings.append(f"{city.ref}: neither the countries table (with a QID) nor the endpoint knows its country "
                            f"{city.country}, so its names were looked up in no country, and a place of another "
                            f"country code is not linked to it ({match.decision.value}). Give country/{city.country} "
                            "its QID in data/reference/countries.csv (its wikidata column).")
        if method == "identifier" and (best := match.candidates[:1]) and not _named_alike(best[0].label, city):
            warnings.append(f"{city.ref}: the data gives {city.qid}, which the endpoint calls {best[0].label!r}, "
                            f"none of its names ({', '.join(city.names)}); it is linked as the data says: check "
                            "the QID (its row's wikidata column).")
        if method == "reviewed":
            why = ("decided by a person",)
            match = Match(match.query, Decision.LINKED if match.query.qid else Decision.NONE,
                          tuple(replace(c, reasons=why) for c in match.candidates[:1]) if match.query.qid else (),
                          "reviewed", why)
        out.append(RecordLink(city, match))
    return out


def _named_alike(label: str, city: Record) -> bool:
    """Whether an item's label is one of the city's names, or close to one (Mazār-e Sharīf,
    Mazar-i-Sharif); an item the endpoint has no label for (labelled by its QID) may be."""
    if label == city.qid or not city.names:
        return True
    wanted = normalise(label)
    return any(difflib.SequenceMatcher(None, wanted, normalise(name)).ratio() >= 0.6 for name in city.names)


def _unlisted_country(city: Record, match: Match, method: str, warnings: list[str]) -> Match:
    """Warn about a city whose country no country record of the project has (``citykg build``
    refuses it), and keep its names from linking it on their own: ambiguous at most."""
    what = (f"its country {city.country} is not in the project's countries (data/reference/countries.csv)"
            if city.country else "it has no country")
    fix = (f"add {city.country} to data/reference/countries.csv (or correct the city's country)" if city.country
           else "give it its country's ISO 3166-1 alpha-2 code (its country column)")
    if method == "name" and match.decision is Decision.LINKED:
        match = replace(match, decision=Decision.AMBIGUOUS, reasons=(
            *match.reasons, f"not linked on its names alone: {what.split(' (')[0]}"))
    warnings.append(f"{city.ref}: {what}, so `citykg build` refuses the city" + (
        f"; its names alone do not link it ({match.decision.value})" if method == "name" else "")
        + f". To fix it, {fix}, then run `citykg link` again.")
    return match


def _link_countries(countries: Sequence[Record], kept: dict[str, str | None], client: Client,
                    warnings: list[str]) -> list[RecordLink]:
    codes = resolve_countries(client, [c.key for c in countries if not c.qid], strict=False)
    out = []
    for country in countries:
        decided = kept.get(country.ref, "")
        if country.qid and decided not in ("", country.qid):
            warnings.append(f"{country.ref}: the data gives {country.qid}; the reviewed decision {decided or 'none'} "
                            "is ignored (fix data/reference/countries.csv if the data is wrong).")
        qid = country.qid or (kept.get(country.ref) if country.ref in kept else codes.get(country.key))
        method = "identifier" if country.qid else "reviewed" if country.ref in kept else "iso-code"
        found = (Candidate(qid, country.names[0] if country.names else qid, country.key, 100,
                           (f"{method}: {country.key if method == 'iso-code' else qid}",)),) if qid else ()
        match = Match(NameQuery(country.names, country.key, qid), Decision.LINKED if qid else Decision.NONE,
                      found, method, ("ISO 3166-1 code",) if method == "iso-code" else ())
        out.append(RecordLink(country, match))
    return out


def write_graph_file(path: Path, quads: Sequence[Quad]) -> Path:
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
