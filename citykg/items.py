"""What an endpoint says about Wikidata items, fetched in batches: facts, and country codes.

:func:`fetch_facts` asks, for many items at once, what linking and enrichment need: labels,
types (P31), country (P17, with its ISO code), population (P1082), coordinates (P625) and, for
countries, their ISO 3166-1 codes (P297, P298). :func:`resolve_countries` turns ISO codes into
country QIDs.

Example::

    >>> f = Facts("Q80053", labels={"en": ["Tabriz"], "fa": ["تبریز"]}, countries={"Q794": "IR"})
    >>> f.label(), f.label("fa"), f.country()
    ('Tabriz', 'تبریز', ('Q794', 'IR'))
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal

from citykg.errors import LinkError
from citykg.iris import is_qid
from citykg.wikidata import Client, Value, chunks, iri, values

__all__ = ["Facts", "fetch_facts", "resolve_countries"]

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
                batch: int = 2000) -> dict[str, Facts]:
    """Labels, types (P31), country (P17 with its P297 code), population (P1082), coordinates
    (P625), and for countries their ISO codes (P297, P298), of every item, in batched queries.

    :param languages: the label languages to fetch.
    :return: QID → :class:`Facts`; an item the endpoint knows nothing about has empty facts.
    """
    wanted = sorted(set(qids), key=lambda q: int(q[1:]))
    langs = ", ".join(str(Literal(lang)) for lang in sorted(set(languages)))
    out = {qid: Facts(qid) for qid in wanted}
    queries = [_FACTS.format(items=values("item", [iri(q) for q in part]), languages=langs)
               for part in chunks(wanted, batch)]
    for rows in client.select_many(queries):
        for row in rows:
            _add_fact(out, row)
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


def resolve_countries(client: Client, codes: Iterable[str], *, strict: bool = True) -> dict[str, str]:
    """Country QIDs of ISO 3166-1 codes (``IR``, ``IRN``) and QIDs (``Q794``), upper-cased.

    :param strict: raise for an unknown value; otherwise leave it out of the answer.
    :raises LinkError: naming every value that is neither a code the endpoint knows nor a QID.
    """
    wanted = {c.strip().upper() for c in codes if c and c.strip()}
    out = {c: c for c in wanted if is_qid(c)}
    bad = sorted(c for c in wanted - set(out) if not _CODE.match(c))
    lookup = sorted(wanted - set(out) - set(bad))
    if lookup:
        query = ("PREFIX wdt: <http://www.wikidata.org/prop/direct/>\nSELECT ?country ?code WHERE { "
                 f"{values('code', [Literal(c) for c in lookup])} "
                 "{ ?country wdt:P297 ?code } UNION { ?country wdt:P298 ?code } }")
        for row in client.select(query):
            qid = row["country"].qid
            if qid:
                out[row["code"].text] = min(qid, out.get(row["code"].text, qid), key=lambda q: int(q[1:]))
    bad += [c for c in lookup if c not in out]
    if bad and strict:
        raise LinkError(f"Unknown country {', '.join(repr(b) for b in sorted(bad))}: give an ISO 3166-1 "
                        "code (IR or IRN) or the country's Wikidata QID (Q794).")
    return out
