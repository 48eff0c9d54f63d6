"""What an endpoint says about Wikidata items, fetched in batches: facts, and country codes.

:func:`fetch_facts` asks, for many items at once, what linking and enrichment need: labels,
types (P31), country (P17, with its ISO code), population (P1082), coordinates (P625) and, for
countries, their ISO 3166-1 codes (P297, P298). :func:`find_countries` turns ISO codes and
country QIDs into :class:`Country` records, and :func:`resolve_countries` into country QIDs.

Countries are compared by ISO 3166-1 alpha-2 code where it is known, not by item: Wikidata may
have more than one item for a country (``../shared/wikidata`` gives PS to Q407199, Palestinian
territories, and none to Q219060, State of Palestine, which the reference tables give PS), so
the codes the project's reference tables give their countries' items count as well as P297.

Example::

    >>> f = Facts("Q80053", labels={"en": ["Tabriz"], "fa": ["تبریز"]}, countries={"Q794": "IR"})
    >>> f.label(), f.label("fa"), f.country()
    ('Tabriz', 'تبریز', ('Q794', 'IR'))
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pyoxigraph import Literal

from citykg.errors import LinkError
from citykg.iris import is_qid
from citykg.wikidata import Client, Value, chunks, iri, values

__all__ = ["Country", "Facts", "existing", "fetch_facts", "find_countries", "no_country_error", "other_labels",
           "resolve_countries"]

_CODE = re.compile(r"^[A-Z]{2,3}$")


@dataclass
class Facts:
    """What an endpoint says about one item, as far as linking and enrichment need it."""

    qid: str
    labels: dict[str, list[str]] = field(default_factory=dict)
    types: set[str] = field(default_factory=set)
    countries: dict[str, str | None] = field(default_factory=dict)
    population: int | None = None
    coordinates: str | None = None
    iso2: str | None = None
    iso3: str | None = None

    @property
    def known(self) -> bool:
        """Whether the endpoint said anything about the item."""
        return bool(self.labels or self.types or self.countries or self.population
                    or self.coordinates or self.iso2)

    def label(self, *preferred: str) -> str | None:
        """The label in the first of ``preferred`` languages it has (English by default), or any;
        the first in sort order if the item has several in that language."""
        for lang in (*preferred, "en", "mul"):
            if lang in self.labels:
                return self.labels[lang][0]
        return self.labels[min(self.labels)][0] if self.labels else None

    def all_labels(self) -> list[tuple[str, str]]:
        """Every (language, label), English and Persian first."""
        return sorted(((lang, text) for lang, texts in self.labels.items() for text in texts),
                      key=lambda lt: (lt[0] not in ("en", "fa"), lt))

    def in_country(self, qids: Iterable[str], code: str | None) -> bool:
        """Whether one of the item's countries (P17) is one of ``qids`` or has the ISO 3166-1
        alpha-2 ``code``."""
        return bool(set(qids) & self.countries.keys()) or (code is not None and code in self.countries.values())

    def country(self) -> tuple[str, str | None] | None:
        """The item's country (P17) as (QID, ISO 3166-1 alpha-2 or None); the first by QID."""
        if not self.countries:
            return None
        qid = min(self.countries, key=lambda q: (self.countries[q] is None, int(q[1:])))
        return qid, self.countries[qid]


_FACTS = """PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?item ?fact ?value ?code WHERE {{
  {items}
  {{ ?item rdfs:label ?value . FILTER (LANG(?value) IN ({languages})) BIND ("label" AS ?fact) }}
  UNION {{ ?item wdt:P31 ?value . BIND ("type" AS ?fact) }}
  UNION {{ ?item wdt:P17 ?value . OPTIONAL {{ ?value wdt:P297 ?code }} BIND ("country" AS ?fact) }}
  UNION {{ ?item wdt:P1082 ?value . BIND ("population" AS ?fact) }}
  UNION {{ ?item wdt:P625 ?value . BIND ("coordinates" AS ?fact) }}
  UNION {{ ?item wdt:P297 ?value . BIND ("iso2" AS ?fact) }}
  UNION {{ ?item wdt:P298 ?value . BIND ("iso3" AS ?fact) }}
}}"""


def fetch_facts(client: Client, qids: Iterable[str], *, languages: Iterable[str] = ("en", "fa"),
                batch: int = 2000, codes: Mapping[str, str] | None = None) -> dict[str, Facts]:
    """Labels, types (P31), country (P17 with its P297 code), population (P1082), coordinates
    (P625), and for countries their ISO codes (P297, P298), of every item, in batched queries.

    :param languages: the label languages to fetch.
    :param codes: ISO 3166-1 alpha-2 codes of country items known otherwise (the reference
        tables'), by QID: a country (P17) the endpoint gives no P297 code gets this one.
    :return: QID → :class:`Facts`; an item the endpoint knows nothing about has empty facts.
    """
    wanted = sorted(set(qids), key=lambda q: int(q[1:]))
    langs = ", ".join(str(Literal(lang)) for lang in sorted(set(languages)))
    out = {qid: Facts(qid) for qid in wanted}
    queries = [_FACTS.format(items=values("item", [iri(q) for q in part]), languages=langs)
               for part in chunks(wanted, batch)]
    for rows in client.select_many(queries, required=("item", "fact")):
        for row in rows:
            _add_fact(out, row)
    for facts in out.values() if codes else ():
        for country, code in facts.countries.items():
            facts.countries[country] = code or codes.get(country)  # type: ignore[union-attr]
    return out


def _add_fact(out: dict[str, Facts], row: dict[str, Value]) -> None:
    facts = out.get(row["item"].qid or "")
    value = row.get("value")
    if facts is None or value is None:
        return
    kind = row["fact"].text
    if kind == "label" and value.lang:
        facts.labels[value.lang] = sorted({value.text, *facts.labels.get(value.lang, ())})
    elif kind == "type" and value.qid:
        facts.types.add(value.qid)
    elif kind == "country" and value.qid:
        code = row["code"].text if "code" in row else None
        facts.countries[value.qid] = facts.countries.get(value.qid) or code
    elif kind == "population":
        with contextlib.suppress(ValueError):
            number = int(float(value.text))
            facts.population = max(number, facts.population or 0)
    elif kind == "coordinates":
        facts.coordinates = min(value.text, facts.coordinates or value.text)
    elif kind in ("iso2", "iso3"):
        setattr(facts, kind, min(value.text, getattr(facts, kind) or value.text))


def existing(client: Client, qids: Iterable[str]) -> set[str]:
    """The items of ``qids`` the endpoint states anything about (as the subject of any triple):
    an item it knows only by a label in some language, or by its P190 statements, is one; a
    mistyped QID, or an item newer than a mirror's data, is not."""
    wanted = sorted(set(qids), key=lambda q: int(q[1:]))
    queries = [f"SELECT ?item WHERE {{ {values('item', [iri(q) for q in part])} FILTER EXISTS {{ ?item ?p ?o }} }}"
               for part in chunks(wanted, 500)]
    return {q for rows in client.select_many(queries, required=("item",)) for row in rows if (q := row["item"].qid)}


def other_labels(client: Client, qids: Sequence[str]) -> dict[str, Literal]:
    """A label of each item in a language other than English and Persian: ``mul`` if it has one,
    else the first by language code (and text); for items that have no usable English or Persian
    one, which :func:`fetch_facts` would take for items the endpoint knows nothing about."""
    best: dict[str, tuple[tuple[bool, str, str], Literal]] = {}
    queries = [("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                f"SELECT ?item ?label WHERE {{ {values('item', [iri(q) for q in part])} ?item rdfs:label ?label }}")
               for part in chunks(sorted(set(qids), key=lambda q: int(q[1:])), 500)]
    for rows in client.select_many(queries):
        for row in rows:
            qid, label = row["item"].qid, row["label"]
            if qid is None or not label.lang or label.lang in ("en", "fa") or not label.text.strip():
                continue
            rank = (label.lang != "mul", label.lang, label.text)
            if qid not in best or rank < best[qid][0]:
                best[qid] = (rank, Literal(label.text, language=label.lang))
    return {qid: literal for qid, (_, literal) in best.items()}


@dataclass(frozen=True)
class Country:
    """A country as a query or a table names it, resolved.

    :param qid: its item: the reference tables' item of the code if they have one, else the
        first (by number) the endpoint gives the code.
    :param code: its ISO 3166-1 alpha-2 code, if the endpoint or the reference tables know it.
    :param qids: every item that stands for it: ``qid`` and the others with the same alpha-2 code.
    """

    qid: str
    code: str | None = None
    qids: frozenset[str] = frozenset()


_COUNTRIES = """PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT ?given ?item ?iso2 ?same WHERE {{
  {branches}
  OPTIONAL {{ ?item wdt:P297 ?iso2 OPTIONAL {{ ?same wdt:P297 ?iso2 }} }}
}}"""


def find_countries(client: Client, given: Iterable[str], *, known: Mapping[str, str] | None = None,
                   strict: bool = True) -> dict[str, Country]:
    """Resolve ISO 3166-1 codes (``IR``, ``IRN``) and country QIDs (``Q794``), in one query.

    A code is a country if the endpoint has an item with that P297 or P298 code, or the
    reference tables have one; a QID is a country if the reference tables list it or the
    endpoint gives it a P297 code.

    :param given: the codes and QIDs, in any case; blanks are ignored.
    :param known: the reference tables' countries: ISO 3166-1 alpha-2 code by QID.
    :param strict: raise for a value that is no country; otherwise leave it out of the answer.
    :return: the upper-cased value, without spaces around it → :class:`Country`.
    :raises LinkError: naming every value that is neither a country code nor a country's QID
        (see :func:`no_country_error`).
    """
    known = {q: c.upper() for q, c in (known or {}).items()}
    typed: dict[str, str] = {}  # the value looked up → the value as given, for messages
    for c in given:
        if c and c.strip():
            typed.setdefault(c.strip().upper(), c.strip())
    wanted = set(typed)
    qids = sorted((c for c in wanted if is_qid(c)), key=lambda q: int(q[1:]))
    unknown = sorted(c for c in wanted - set(qids) if not _CODE.match(c))
    codes = sorted(wanted - set(qids) - set(unknown))
    lookup = sorted(set(codes) | {known[q] for q in qids if q in known})  # and the items sharing them
    branches = [f"{{ {values('given', [Literal(c) for c in lookup])} "
                "{ ?item wdt:P297 ?given } UNION { ?item wdt:P298 ?given } }"] if lookup else []
    branches += [f"{{ {values('item', [iri(q) for q in qids])} }}"] if qids else []
    by_code: dict[str, set[str]] = defaultdict(set)  # a code given → the endpoint's items
    alpha2: dict[str, str] = {}  # an item → its P297 code at the endpoint
    same: dict[str, set[str]] = defaultdict(set)  # an alpha-2 code → every item that has it
    query = _COUNTRIES.format(branches=" UNION ".join(branches))
    for row in client.select(query, required=("item",)) if branches else ():
        item = row["item"].qid
        if item is None:
            continue
        if "given" in row:
            by_code[row["given"].text].add(item)
        if "iso2" in row:
            alpha2[item] = min(row["iso2"].text, alpha2.get(item, row["iso2"].text))
            same[row["iso2"].text].update(q for q in (item, row["same"].qid if "same" in row else None) if q)
    for qid, iso2 in known.items():
        same[iso2].add(qid)
    out: dict[str, Country] = {}
    not_countries: list[str] = []
    for value in qids:
        found = alpha2.get(value) or known.get(value)
        if found is None:
            not_countries.append(value)
        else:
            out[value] = Country(value, found, frozenset({value} | same[found]))
    for value in codes:
        items = by_code.get(value, set())
        found = value if len(value) == 2 else min((alpha2[i] for i in items if i in alpha2), default=None)
        ours = {q for q, c in known.items() if c == found}  # the reference tables' item comes first
        if not items | ours:
            unknown.append(value)
            continue
        first = min(ours or items, key=lambda q: int(q[1:]))
        out[value] = Country(first, found, frozenset(items | ours | (same[found] if found else set())))
    if strict and (unknown or not_countries):
        raise no_country_error([typed[v] for v in sorted(unknown)] + [typed[v] for v in not_countries])
    return out


def no_country_error(values: Sequence[str], where: str = "") -> LinkError:
    """The error for values that :func:`find_countries` does not find: a code no country has
    (``Unknown country 'XX'``) or a QID that is no country (``Q80053 is not a country``).

    :param values: the values as the user typed them.
    :param where: where they come from (``names.csv:3``), to start the message with.

    >>> str(no_country_error(["xx", "q80053"], "names.csv:3"))[:62]
    "names.csv:3: Unknown country 'xx': give an ISO 3166-1 code (IR"
    """
    unknown = [v for v in values if not is_qid(v.strip().upper())]
    not_countries = [v for v in values if is_qid(v.strip().upper())]
    problems = [f"Unknown country {', '.join(repr(b) for b in unknown)}: give an ISO 3166-1 "
                "code (IR or IRN) or the country's Wikidata QID (Q794)."] if unknown else []
    one = len(not_countries) == 1
    problems += [f"{', '.join(not_countries)} {'is not a country' if one else 'are not countries'}: neither "
                 f"the project's countries table nor the endpoint gives {'it' if one else 'them'} an ISO "
                 "3166-1 code (P297). Give the country's ISO 3166-1 code (IR or IRN) or its Wikidata QID "
                 "(Q794)."] if not_countries else []
    return LinkError((f"{where}: " if where else "") + " ".join(problems))


def resolve_countries(client: Client, codes: Iterable[str], *, strict: bool = True,
                      known: Mapping[str, str] | None = None) -> dict[str, str]:
    """Country QIDs of ISO 3166-1 codes (``IR``, ``IRN``) and QIDs (``Q794``), upper-cased.

    :param strict: raise for an unknown value; otherwise leave it out of the answer.
    :param known: the reference tables' countries: ISO 3166-1 alpha-2 code by QID (see
        :func:`find_countries`).
    :raises LinkError: naming every value that is neither a code nor a country's QID.
    """
    return {value: country.qid for value, country in find_countries(client, codes, known=known,
                                                                      strict=strict).items()}
