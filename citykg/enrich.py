"""Turn links and what Wikidata says about the linked cities into two named graphs.

- :func:`link_quads` writes the links graph (``…/graph/wikidata-links``): one
  :ckg:`WikidataLink` per decided record (method, score, reasons, the item) derived from a
  :ckg:`Retrieval` (endpoint and date), and ``ckg:wikidataId`` on records that had no QID.
- :func:`enrichment` writes the Wikidata graph (``…/graph/wikidata``): for each linked city its
  English and Persian labels, coordinates (a GeoSPARQL geometry with WKT), population and P190
  partners. Each partner becomes a :ckg:`City` (with labels, country and provenance) unless the
  project already has it, and each twinning a :ckg:`Partnership` of type
  ``ckg:twinningStatement`` sourced to the retrieval, with the ``ckg:twinnedWith`` shortcut.
  Partner countries the project lacks become :ckg:`Country` records with their ISO codes.

Every partner is kept, however little the endpoint says about it: it is labelled in English and
Persian where it has those labels, else in the first other language it has (``mul`` first, then
by language code: Munich is ``"München"@de`` in ``../shared/wikidata``), else by its QID; and it
gets its country where the endpoint gives one with ISO codes (:attr:`Enrichment.without_country`
names those without). Only a partner that is no place at all is left out, with the reason in
:attr:`Enrichment.skipped`: an item typed (P31) only as something that is neither a human
settlement nor an administrative territorial entity (nor a subclass of either), or a country.
A linked city the endpoint knows only by its P190 partners (``../shared/wikidata`` has Baku's
twinnings and German label, but no English or Persian label, country or coordinates) still gets
its twinnings, with a warning that says what is missing (and the label it has, if any); one it
knows nothing about gets a warning only. A city whose country Wikidata gives otherwise than the data gets a warning;
countries are compared by ISO 3166-1 alpha-2 code where it is known (from P297, or the
project's countries table: Q219060 and Q407199 are both PS).

Example::

    >>> retrieval("https://query.wikidata.org/sparql", date(2025, 1, 31))
    'https://w3id.org/citykg/id/retrieval/479c34c9a197/2025-01-31'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from pyoxigraph import Literal, NamedNode, Quad

from citykg import __version__, iris
from citykg.candidates import SETTLEMENT_TYPES
from citykg.iris import CKG, GEO, PROV, RDF, RDFS, SKOS, XSD
from citykg.items import Facts, fetch_facts, other_labels
from citykg.reconcile import Decision, Match
from citykg.wikidata import Client, chunks, iri, values

__all__ = ["LINKS_GRAPH", "WIKIDATA_GRAPH", "Enrichment", "Record", "RecordLink", "enrichment",
           "link_quads", "no_place", "place_types", "retrieval"]

#: The named graph of the links, and the one of what Wikidata says about the linked cities.
LINKS_GRAPH = iris.graph("wikidata-links")
WIKIDATA_GRAPH = iris.graph("wikidata")
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_A = NamedNode(RDF + "type")
#: The classes a twinned place is an instance of (or of a subclass of): human settlement and
#: administrative territorial entity (P190 is "twinned administrative body").
PLACE_CLASSES = ("Q486972", "Q56061")


@dataclass(frozen=True)
class Record:
    """A city or country of the project, as linking sees it.

    :param kind: ``city`` or ``country``.
    :param key: its id (``tabriz``) or ISO 3166-1 code (``IR``): the last part of its IRI.
    :param names: its English and Persian labels.
    :param country: for a city, its country's ISO code.
    :param qid: the QID its source table gives, if any.
    :param labels: the languages it already has a label in.
    """

    iri: str
    kind: str
    key: str
    names: tuple[str, ...]
    country: str | None = None
    qid: str | None = None
    labels: frozenset[str] = frozenset()

    @property
    def ref(self) -> str:
        """How the review file names the record: ``city/tabriz``, ``country/IR``."""
        return f"{self.kind}/{self.key}"


@dataclass(frozen=True)
class RecordLink:
    """A record and the outcome of linking it."""

    record: Record
    match: Match


@dataclass
class Enrichment:
    """The Wikidata graph's quads, and what went into it or was left out.

    :param skipped: the partners left out, as ``QID (label): reason`` (they are no places).
    :param without_country: the partner cities kept without a country, as ``QID (label)``.
    """

    quads: list[Quad] = field(default_factory=list)
    partnerships: int = 0
    cities: int = 0
    countries: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    without_country: list[str] = field(default_factory=list)


def retrieval(endpoint: str, day: date) -> str:
    """The IRI of the retrieval of one endpoint on one day."""
    digest = hashlib.sha256(endpoint.encode()).hexdigest()[:12]
    return iris.entity("retrieval", digest, day.isoformat())


Triple = tuple[NamedNode, NamedNode, NamedNode | Literal]


def _ckg(name: str) -> NamedNode:
    return NamedNode(CKG + name)


def _typed(value: str, datatype: str) -> Literal:
    return Literal(value, datatype=NamedNode(datatype))


def _retrieval_triples(node: NamedNode, endpoint: str, day: date, graph: NamedNode) -> list[Triple]:
    return [(node, _A, _ckg("Retrieval")),
            (node, _ckg("endpoint"), _typed(endpoint, XSD + "anyURI")),
            (node, _ckg("retrievedOn"), _typed(day.isoformat(), XSD + "date")),
            (graph, _A, _ckg("SourceGraph")),
            (graph, NamedNode(PROV + "wasDerivedFrom"), node),
            (graph, _ckg("citykgVersion"), Literal(__version__))]


def link_quads(links: Iterable[RecordLink], *, endpoint: str, day: date) -> list[Quad]:
    """The quads of the links graph: a link for every linked record and every reviewed one."""
    g = NamedNode(LINKS_GRAPH)
    source = NamedNode(retrieval(endpoint, day))
    out = _retrieval_triples(source, endpoint, day, g)
    for item in links:
        record, match = item.record, item.match
        if match.decision is not Decision.LINKED and match.method != "reviewed":
            continue
        node = NamedNode(iris.entity("link", record.kind, record.key))
        out += [(node, _A, _ckg("WikidataLink")),
                (node, _ckg("linkedRecord"), NamedNode(record.iri)),
                (node, _ckg("linkMethod"), Literal(match.method)),
                (node, NamedNode(PROV + "wasDerivedFrom"), source)]
        if match.qid:
            best = match.candidates[0]
            reasons = "; ".join(dict.fromkeys(match.reasons + best.reasons))  # each reason once
            out += [(node, _ckg("wikidataItem"), iri(match.qid)),
                    (node, _ckg("linkScore"),
                     Literal(str(max(0, min(100, best.score))), datatype=NamedNode(XSD + "nonNegativeInteger"))),
                    (node, NamedNode(RDFS + "comment"), Literal(reasons))]
            if record.qid is None:
                out.append((NamedNode(record.iri), _ckg("wikidataId"), Literal(match.qid)))
    return sorted({Quad(s, p, o, g) for s, p, o in out}, key=_order)


def _order(q: Quad) -> tuple[str, str, str]:
    return (str(q.subject), str(q.predicate), str(q.object))


def enrichment(links: Sequence[RecordLink], *, client: Client, countries: dict[str, Record],
               day: date | None = None) -> Enrichment:
    """Fetch labels, coordinates, population and partners of the linked cities; build the graph.

    :param links: the outcome of linking the project's records.
    :param client: the endpoint to ask.
    :param countries: the project's countries by ISO 3166-1 alpha-2 code; their QIDs' codes count
        where the endpoint gives a country no P297 code, and countries are compared by code.
    :param day: the retrieval date to record; by default the day of the oldest answer used.
    """
    cities = {lk.match.qid: lk.record for lk in links if lk.record.kind == "city" and lk.match.qid}
    known = {lk.match.qid: lk.record for lk in links if lk.match.qid}
    codes = {**{r.qid: code for code, r in countries.items() if r.qid},
             **{q: r.key for q, r in known.items() if r.kind == "country"}}  # ISO codes of country items
    partners = _partners(client, sorted(cities, key=_number))
    facts = fetch_facts(client, set(cities) | {p for ps in partners.values() for p in ps},
                        languages=("en", "fa", "mul"), codes=codes)
    states = fetch_facts(client, {c[0] for f in facts.values() if (c := f.country())}, codes=codes)
    new = [facts[p] for p in sorted({p for ps in partners.values() for p in ps} - set(known), key=_number)]
    places = place_types(client, new)
    others = other_labels(client, [f.qid for f in new if not _labels(f, None)[0]]
                           + [q for q in cities if not facts[q].known])  # for a partner's label, or a warning
    result = Enrichment()
    g = NamedNode(WIKIDATA_GRAPH)
    source = NamedNode(retrieval(client.endpoint, day or client.retrieved_on()))
    out = _retrieval_triples(source, client.endpoint, day or client.retrieved_on(), g)
    made: dict[str, NamedNode | None] = {}

    def place(qid: str) -> NamedNode | None:
        """The city node of a partner: a new city, or None if it is no place (said in skipped)."""
        if qid in made:
            return made[qid]
        f = facts.get(qid) or Facts(qid)
        labels, shown = _labels(f, others.get(qid))
        ours = known.get(qid)
        why = f"the project's country {ours.ref}, not a city" if ours else no_place(f, places)
        if why:
            result.skipped.append(f"{qid} ({shown}): {why}")
            made[qid] = None
            return None
        node = made[qid] = NamedNode(iris.entity("city", qid))
        out.extend([(node, _A, _ckg("City")), (node, _ckg("identifier"), Literal(qid)),
                    (node, _ckg("wikidataId"), Literal(qid)), (node, NamedNode(PROV + "wasDerivedFrom"), source)])
        out.extend((node, NamedNode(RDFS + "label"), label) for label in labels or [Literal(qid)])
        country = _country(f, states, countries, out, source)
        if country is None:
            result.without_country.append(f"{qid} ({shown})")
        else:
            out.append((node, _ckg("country"), country))
        _facts(node, f, frozenset(), out, labels=False)
        return node

    for qid, record in sorted(cities.items(), key=lambda kv: _number(kv[0])):
        f = facts.get(qid) or Facts(qid)
        twins = sorted(partners.get(qid, ()), key=_number)
        foreign = others.get(qid)  # a label in another language
        if not f.known and not twins:
            result.warnings.append(f"{record.ref}: the endpoint knows nothing about {qid}; nothing fetched "
                                   f"(check that {qid} is the city's item)." if foreign is None else
                                   f"{record.ref}: the endpoint has {_missing(foreign)} for {qid}; nothing fetched "
                                   f"(check that {qid} is the city's item).")
            continue
        if not f.known:
            result.warnings.append(f"{record.ref}: the endpoint has {_missing(foreign)} for {qid}, only its P190 "
                                   f"partners ({len(twins)}): their twinnings were added, nothing else was fetched.")
        _facts(NamedNode(record.iri), f, record.labels, out)
        elsewhere = _other_country(record, f, codes)
        if elsewhere:
            result.warnings.append(f"{record.ref}: the data says country {record.country}, "
                                   f"Wikidata {elsewhere} ({qid}).")
        for partner in twins:
            ours = known.get(partner)
            other = NamedNode(ours.iri) if ours and ours.kind == "city" else place(partner)  # a country: None
            if other is not None and other.value != record.iri:
                out.extend(_twinning(NamedNode(record.iri), other, source))
    result.quads = sorted({Quad(s, p, o, g) for s, p, o in out}, key=_order)
    typed = {(q.subject, str(q.object)) for q in result.quads if q.predicate.value == RDF + "type"}
    sourced = {q.subject for q in result.quads if q.predicate.value == PROV + "wasDerivedFrom"}
    result.partnerships = sum(1 for _, t in typed if t == str(_ckg("Partnership")))
    result.cities = sum(1 for s, t in typed if t == str(_ckg("City")) and s in sourced)
    result.countries = sum(1 for s, t in typed if t == str(_ckg("Country")) and s in sourced)
    return result


def _missing(other: Literal | None) -> str:
    """What the endpoint lacks for a city it knows no facts of, in words: with ``other``, its
    label in a language other than English, Persian and mul, that it has some label.

    >>> _missing(Literal("Baku", language="de"))
    'no English, Persian or mul label (only "Baku"@de), type, country, population or coordinates'
    """
    labels = f"no English, Persian or mul label (only {other})" if other is not None else "no labels"
    return f"{labels}, type, country, population or coordinates"


def _other_country(record: Record, f: Facts, codes: Mapping[str, str]) -> str | None:
    """The country (P17) Wikidata gives a city, if it is not the data's; None if they agree or
    it cannot be told. By ISO 3166-1 alpha-2 code where known, else by item."""
    if not record.country or not f.countries:
        return None
    ours = {q for q, c in codes.items() if c == record.country}
    if f.in_country(ours, record.country):
        return None
    stated = sorted({c for c in f.countries.values() if c})
    if stated:
        return ", ".join(stated)
    return ", ".join(sorted(f.countries, key=_number)) if ours else None


def _twinning(one: NamedNode, other: NamedNode, source: NamedNode) -> list[Triple]:
    """A P190 twinning as a partnership record (its IRI as the tables would mint it) and shortcut."""
    a, b = sorted((one, other), key=lambda n: n.value)
    node = NamedNode(iris.entity("partnership", a.value.rsplit("/", 1)[1], b.value.rsplit("/", 1)[1], "twinned"))
    return [(node, _A, _ckg("Partnership")), (node, _ckg("partner"), a), (node, _ckg("partner"), b),
            (node, _ckg("partnershipType"), _ckg("twinningStatement")),
            (node, NamedNode(PROV + "wasDerivedFrom"), source),
            (a, _ckg("twinnedWith"), b), (b, _ckg("twinnedWith"), a)]


def _number(qid: str) -> int:
    return int(qid[1:])


def _partners(client: Client, qids: Sequence[str]) -> dict[str, set[str]]:
    """P190 partners of each item, stated in either direction (the property is symmetric)."""
    out: dict[str, set[str]] = {}
    queries = [("PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
                f"SELECT ?city ?partner WHERE {{ {values('city', [iri(q) for q in part])} "
                "{ ?city wdt:P190 ?partner } UNION { ?partner wdt:P190 ?city } }") for part in chunks(qids, 300)]
    for rows in client.select_many(queries, required=("city", "partner")):
        for row in rows:
            city, partner = row["city"].qid, row["partner"].qid
            if city and partner and city != partner:
                out.setdefault(city, set()).add(partner)
    return out


def _facts(node: NamedNode, f: Facts, has: frozenset[str], out: list[Triple], *, labels: bool = True) -> None:
    """Labels (English and Persian; as alternative labels in the languages the record ``has``),
    coordinates and population of a city."""
    for label in _labels(f, None)[0] if labels else ():
        predicate = SKOS + "altLabel" if label.language in has else RDFS + "label"
        out.append((node, NamedNode(predicate), label))
    if f.coordinates:
        shape = NamedNode(node.value + "/geometry")
        out += [(node, NamedNode(GEO + "hasGeometry"), shape), (shape, _A, NamedNode(GEO + "Geometry")),
                (shape, NamedNode(GEO + "asWKT"), Literal(f.coordinates, datatype=NamedNode(GEO + "wktLiteral")))]
    if f.population is not None and f.population >= 0:
        out.append((node, _ckg("population"),
                    Literal(str(f.population), datatype=NamedNode(XSD + "nonNegativeInteger"))))


def _country(f: Facts, states: dict[str, Facts], countries: dict[str, Record], out: list[Triple],
             source: NamedNode) -> NamedNode | None:
    """The country node of a partner: the project's, a new one from Wikidata, or None."""
    stated = f.country()
    if stated is None:
        return None
    state = states.get(stated[0]) or Facts(stated[0])
    code = state.iso2 or stated[1]
    if code in countries:
        return NamedNode(countries[code].iri)
    label = state.labels.get("en", [None])[0]
    if not code or not state.iso3 or not label:
        return None
    node = NamedNode(iris.entity("country", code))
    out.extend([(node, _A, _ckg("Country")), (node, NamedNode(RDFS + "label"), Literal(label, language="en")),
                (node, _ckg("iso2"), Literal(code)), (node, _ckg("iso3"), Literal(state.iso3)),
                (node, _ckg("wikidataId"), Literal(stated[0])), (node, NamedNode(PROV + "wasDerivedFrom"), source)])
    return node


def _labels(f: Facts, other: Literal | None) -> tuple[list[Literal], str]:
    """The labels to give a city, and the one to show: its English (without Persian letters)
    and Persian (in Persian script) labels; without either, ``other`` (a label in another
    language) if given; without any, none (the caller labels it by its QID)."""
    found = [Literal(text, language=lang) for lang in ("en", "fa")
             for text in f.labels.get(lang, ())[:1] if text and bool(_ARABIC.search(text)) == (lang == "fa")]
    if not found and other is not None:
        found = [other]
    return found, found[0].value if found else "no label"


def place_types(client: Client, facts: Sequence[Facts]) -> frozenset[str]:
    """The types among ``facts`` that are places: human settlements, administrative territorial
    entities, and their subclasses (the endpoint is asked about types not known to be places)."""
    known = SETTLEMENT_TYPES | set(PLACE_CLASSES)
    others = sorted({t for f in facts for t in f.types} - known, key=_number)
    found = set(known)
    roots = values("root", [iri(q) for q in PLACE_CLASSES])
    queries = [("PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
                f"SELECT DISTINCT ?type WHERE {{ {values('type', [iri(t) for t in part])} {roots} "
                "?type wdt:P279+ ?root }") for part in chunks(others, 200)]
    for rows in client.select_many(queries):
        found.update(q for row in rows if (q := row["type"].qid))
    return frozenset(found)


def no_place(f: Facts, places: frozenset[str]) -> str | None:
    """Why a partner is no place (so no city of the graph), or None if it is one or may be one:
    an item the endpoint states no type for is taken to be the place P190 says it is."""
    if f.iso2:
        return f"a country (ISO 3166-1 {f.iso2}), not a city"
    if f.types and not f.types & places:
        return (f"no place: an instance (P31) of {', '.join(sorted(f.types, key=_number))}, neither a human "
                "settlement (Q486972) nor an administrative territorial entity (Q56061)")
    return None
