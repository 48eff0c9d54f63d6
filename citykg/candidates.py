"""Find the Wikidata items a name may stand for, with batched queries to a SPARQL endpoint.

An endpoint compares labels as they are stored and cannot normalise names on its side, so
candidates are found in two steps:

1. :func:`lookup_labels`: every spelling a label of the name may have
   (:func:`citykg.spellings.surface_forms`), in the label languages of the name's script
   (:data:`LANGUAGES`), as labels or aliases, in ``VALUES`` batches; for a one-word Persian or
   Arabic name without a country that these find nothing for, the spellings of the name split
   in two (:func:`citykg.spellings.compound_forms`: بندر عباس for بندرعباس);
2. :func:`lookup_gazetteers`: for a name with a country and no exact match in it, the labels of
   that country's items typed as human settlements or not typed at all, of a length near the
   name's, compared with :func:`~citykg.names.keys` (one query per group of countries, cached);
   a country Wikidata has several items for (by ISO code) is looked up in all of them. The
   labels fetched are kept (:class:`Gazetteer`), so that a spelling variant can be checked
   against every other place of the country as close to the name (:meth:`Gazetteer.near`).

:func:`settlement_types` tells which of the candidates' types are human settlements.

Example::

    >>> pending = Pending(("تبريز", "Tabriz"), "Q794")
    >>> languages_for([pending])[:4]
    ('ar', 'arz', 'az', 'azb')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal

from citykg.items import Facts
from citykg.names import Script, edit_distance, keys, match_key, normalise, script_of, within_edits
from citykg.spellings import surface_forms
from citykg.wikidata import Client, chunks, iri, values

__all__ = ["LANGUAGES", "SETTLEMENT_TYPES", "SHORTEST_SKELETON", "Gazetteer", "Pending", "exact_in_country",
           "languages_for", "lookup_gazetteers", "lookup_labels", "settlement_types"]

#: Label languages to look names up in, by script (``mul`` is Wikidata's language-neutral label).
LANGUAGES: dict[Script, tuple[str, ...]] = {
    Script.ARABIC: ("fa", "ar", "azb", "ckb", "ur", "ps", "arz"),
    Script.LATIN: ("en", "mul", "fr", "de", "es", "tr", "it", "pt", "nl", "az", "uz", "id"),
    Script.CYRILLIC: ("ru", "uk", "tg", "kk", "ky", "bg", "sr"),
    Script.CJK: ("zh", "zh-cn", "zh-hans", "zh-hant", "ja", "ko"),
    Script.OTHER: ("en", "mul"),
}
#: Wikidata classes of human settlements (Q486972 and common subclasses); the endpoint is asked
#: about any other type a candidate has (``wdt:P279+ wd:Q486972``).
SETTLEMENT_TYPES = frozenset({"Q486972", "Q515", "Q5119", "Q1549591", "Q1637706", "Q3957", "Q532",
                              "Q15284", "Q7930989", "Q200250", "Q208511"})
#: Shorter skeletons (Qm for Qom) match too many names to count as spelling variants.
SHORTEST_SKELETON = 3


@dataclass
class Pending:
    """A name being reconciled: its spellings, its country, and the candidates found so far.

    :param country_qid: the country's item.
    :param country_code: the country's ISO 3166-1 alpha-2 code, if known.
    :param country_qids: every item that stands for the country (``country_qid`` and the items
        with the same code: Q219060 and Q407199 for PS); the gazetteer looks in all of them.
    """

    names: tuple[str, ...]
    country_qid: str | None = None
    items: set[str] = field(default_factory=set)
    country_code: str | None = None
    country_qids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.country_qid:
            self.country_qids = self.country_qids | {self.country_qid}

    def in_country(self, facts: Facts) -> bool:
        """Whether the item is in the country given: by ISO code where known, else by item."""
        return facts.in_country(self.country_qids, self.country_code)


def languages_for(work: Iterable[Pending]) -> tuple[str, ...]:
    """The label languages of the names' scripts, and English and Persian."""
    langs = {"en", "fa"}
    for w in work:
        for name in w.names:
            langs.update(LANGUAGES[script_of(name)])
    return tuple(sorted(langs))


def lookup_labels(client: Client, work: list[Pending], batch: int, *,
                  spellings: Callable[[str], set[str]] = surface_forms) -> None:
    """Add the items that have one of the spellings of a name as a label or alias.

    :param spellings: the spellings to look up for a name: :func:`~citykg.spellings.surface_forms`,
        or :func:`~citykg.spellings.compound_forms` for the names that these found nothing for.
    """
    wanted: dict[Literal, set[int]] = defaultdict(set)
    for n, w in enumerate(work):
        for name in w.names:
            forms = spellings(name)
            for lang in LANGUAGES[script_of(name)]:
                for form in forms:
                    wanted[Literal(form, language=lang)].add(n)
    terms = sorted(wanted, key=str)
    queries = [("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
                f"SELECT ?item ?label WHERE {{ {values('label', part)} "
                "?item rdfs:label|skos:altLabel ?label }") for part in chunks(terms, batch)]
    for rows in client.select_many(queries):
        for row in rows:
            qid, label = row["item"].qid, row["label"]
            if qid and label.lang:
                for n in wanted.get(Literal(label.text, language=label.lang), ()):
                    work[n].items.add(qid)


def exact_in_country(w: Pending, facts: dict[str, Facts]) -> bool:
    """Whether an item found has a label spelt as one of the names, in the country given."""
    keys = {match_key(n) for n in w.names}
    return any(w.in_country(facts[i]) and keys & {match_key(t) for _, t in facts[i].all_labels()}
               for i in w.items if i in facts)


_GAZETTEER = """PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?country ?item (GROUP_CONCAT(DISTINCT STR(?label); SEPARATOR="\\t") AS ?texts) WHERE {{
  {{ SELECT ?country ?item WHERE {{
      {countries}
      ?item wdt:P17 ?country .
      FILTER (NOT EXISTS {{ ?item wdt:P31 ?any }} || EXISTS {{ {types} ?item wdt:P31 ?type }})
  }} }}
  ?item rdfs:label ?label .
  FILTER (LANG(?label) IN ({languages}) && STRLEN(?label) >= {shortest} && STRLEN(?label) <= {longest})
}} GROUP BY ?country ?item"""


class Gazetteer:
    """The labels :func:`lookup_gazetteers` fetched, by country and length of their key, to find
    the places of a country whose labels are about as close to a name as a candidate's."""

    def __init__(self) -> None:
        self.labels: dict[tuple[str, int], dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))

    def add(self, country: str, key: str, qid: str, text: str) -> None:
        """Keep a label (its first spelling for the item, if several share the key)."""
        self.labels[(country, len(key))][key].setdefault(qid, text)

    def near(self, countries: Iterable[str], key: str, most: int) -> list[tuple[int, str, str]]:
        """The labels of the countries at most ``most`` letters from ``key`` (a
        :func:`~citykg.names.match_key`), as (letters, QID, label), nearest first.

        >>> g = Gazetteer(); g.add("Q213", "kolin", "Q470369", "Kolín"); g.add("Q213", "karlin", "Q1734030", "Karlín")
        >>> g.near(["Q213"], "kalin", 1)
        [(1, 'Q470369', 'Kolín'), (1, 'Q1734030', 'Karlín')]
        """
        found: dict[str, tuple[int, str, str]] = {}
        for country in countries:
            for size in range(len(key) - most, len(key) + most + 1):
                for label_key, items in self.labels.get((country, size), {}).items():
                    if within_edits(key, label_key, most):
                        letters = edit_distance(key, label_key)
                        for qid, text in items.items():
                            if qid not in found or letters < found[qid][0]:
                                found[qid] = (letters, qid, text)
        return sorted(found.values(), key=lambda f: (f[0], int(f[1][1:])))


def lookup_gazetteers(client: Client, work: list[Pending]) -> Gazetteer:
    """Add the settlements of each query's country whose labels match by key or skeleton.

    One query per group of countries and script: the distinct label texts of the country's items
    that are typed as settlements or not typed at all, of a length near the names sought
    (spelling variants differ by a few letters). Labels in the script's first two languages
    (English and ``mul``; Persian and Arabic) are asked for first, the others only for names that
    these leave without a match.

    :return: the labels fetched, for :meth:`Gazetteer.near`.
    """
    keys = _Keys()
    gazetteer = Gazetteer()
    first = {id(w) for w in _gazetteer(client, work, keys, slice(0, 2), gazetteer)}
    _gazetteer(client, [w for w in work if id(w) not in first], keys, slice(2, None), gazetteer)
    return gazetteer


def _gazetteer(client: Client, work: list[Pending], keys: _Keys, languages: slice,
               gazetteer: Gazetteer) -> list[Pending]:
    """One pass of :func:`lookup_gazetteers` with some of each script's languages; the names matched."""
    types = values("type", [iri(t) for t in sorted(SETTLEMENT_TYPES)])
    window: dict[tuple[Script, str], tuple[int, int]] = {}
    for w in work:
        for name in w.names:
            size = len(normalise(name))
            near = (max(1, int(size * 0.7) - 1), int(size * 1.3) + 3)
            for country in sorted(w.country_qids) or [""]:
                at = (script_of(name), country)
                old = window.get(at, near)
                window[at] = (min(old[0], near[0]), max(old[1], near[1]))
    scripts: list[Script] = []  # the script of each query
    queries: list[str] = []
    for script in sorted({s for s, _ in window}, key=lambda s: s.value):
        langs = ", ".join(str(Literal(lang)) for lang in LANGUAGES[script][languages])
        countries = sorted((c for s, c in window if s is script), key=lambda c: window[(script, c)])
        for part in chunks(countries if langs else [], 10):
            shortest = min(window[(script, c)][0] for c in part)
            longest = max(window[(script, c)][1] for c in part)
            scripts.append(script)
            queries.append(_GAZETTEER.format(countries=values("country", [iri(c) for c in part]), types=types,
                                             languages=langs, shortest=shortest, longest=longest))
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for script, rows in zip(scripts, client.select_many(queries), strict=True):
        for row in rows:
            qid, country = row["item"].qid, row["country"].qid or ""
            low, high = window[(script, country)]
            for text in row["texts"].text.split("\t") if qid else ():
                if low <= len(text) <= high:
                    key, bones = keys(text)
                    index[(country, key)].add(qid)  # type: ignore[arg-type]
                    index[(country, bones)].add(qid)  # type: ignore[arg-type]
                    gazetteer.add(country, key[2:], qid, text)  # type: ignore[arg-type]
    matched = []
    for w in work:
        found: set[str] = set()
        for name in w.names:
            key, bones = keys(name)
            for country in w.country_qids or {""}:
                found |= index.get((country, key), set())
                if len(bones) - 2 >= SHORTEST_SKELETON:
                    found |= index.get((country, bones), set())
        if found:
            w.items |= found
            matched.append(w)
    return matched


class _Keys:
    """:func:`~citykg.names.keys` of texts, remembered: labels repeat across items and languages."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, str]] = {}

    def __call__(self, text: str) -> tuple[str, str]:
        found = self.seen.get(text)
        if found is None:
            key, bones = keys(text)
            found = self.seen[text] = ("k:" + key, "s:" + bones)
        return found


def settlement_types(client: Client, facts: Iterable[Facts]) -> frozenset[str]:
    """The settlement types among the candidates' types: the known ones and their subclasses."""
    others = sorted({t for f in facts for t in f.types} - SETTLEMENT_TYPES, key=lambda q: int(q[1:]))
    found = set(SETTLEMENT_TYPES)
    queries = [("PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
                "PREFIX wd: <http://www.wikidata.org/entity/>\n"
                f"SELECT DISTINCT ?type WHERE {{ {values('type', [iri(t) for t in part])} "
                "?type wdt:P279+ wd:Q486972 }") for part in chunks(others, 200)]
    for rows in client.select_many(queries):
        found.update(q for row in rows if (q := row["type"].qid))
    return frozenset(found)
