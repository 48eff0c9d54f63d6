"""Reconcile place names with Wikidata items: candidates, scores with reasons, and a decision.

For each :class:`NameQuery` (one or more spellings of a name, an optional country, an optional
QID) :func:`reconcile` returns a :class:`Match`: the candidates, best first, each with a score
from 0 to 100 and the reasons for it, and a :class:`Decision`:

- ``linked``: a clear winner; its score is at least :attr:`Scoring.link` and beats every other
  candidate by :attr:`Scoring.margin`, or it ties on name, country and type but has at least
  :attr:`Scoring.population_ratio` times the population of each rival;
- ``ambiguous``: a plausible candidate (score at least :attr:`Scoring.review`) but no clear
  winner: a person decides;
- ``none``: nothing plausible.

Identifier first: a query with a QID is linked to that item whatever its name says, unless the
endpoint knows nothing about it or it is a country (an item with an ISO 3166-1 code, or a
country of the reference tables): ``Q794`` is Iran, no city, and links nothing (``none``).

Candidates are found by :mod:`citykg.candidates` (exact labels in every surface form, and for a
Persian compound typed as one word without a country, split at each place; then the settlements
of the country given, by key and skeleton), in batched queries, and scored by :mod:`citykg.scores`.

The score adds up to at most 100: name 55 (the same spelling once normalised) or 25 to 40 (a
spelling variant, by its similarity to the label); country +30 if it is the one given, -60 if it
is another (countries are compared by ISO 3166-1 code where it is known, so an item whose
country is Q407199 is in PS, Q219060; see :mod:`citykg.items`); type +10 for a human
settlement, -60 for anything else (a country, a person …), 0 if the item states no type;
population +0 to +5 (one point a power of ten above 100). So an exact name with no rival links
on its own; a spelling variant links only in the country given.

A score is not enough to link when the evidence is weak, however high it is: a person decides
(``ambiguous``) when the name is only a distant spelling variant (in Latin script more than one
letter away from the label, though two are close enough in a name of seven letters or more; in
Persian or Arabic script any variant the normalisation does not absorb, since vowels are rarely
written and a foreign name is transliterated many ways), when another place of the country given
has a label as close to the name (found among the labels :mod:`citykg.candidates` fetched for the
country: Kalín is one letter from Kolín, whose skeleton it shares, and from Karlín), or when a
country is given and the item states none. A name that is a label of a country (one of the candidates has an ISO
3166-1 code, or is a country of the reference tables) links no place outside that country
unless the place is in the country given: ``Iran`` is ``none``, not Iradan in Kyrgyzstan, whose
French label is Iran, but ``Liberia`` in ``CR`` is Liberia, Costa Rica.

A country is an ISO 3166-1 code or a country's QID (see :func:`citykg.items.find_countries`);
one that is neither is an error naming the query (and, for a names file, its file and line),
unless ``unknown_countries`` collects it: such a query is then matched by its names alone, and
a candidate in a country of another ISO code is not linked (see :func:`reconcile`).

Example, against a server loaded with ``../shared/wikidata`` (see the README)::

    from citykg.wikidata import Client
    client = Client("http://127.0.0.1:7878/query", cache=None)
    [match] = reconcile([NameQuery.of("تبريز", "IR")], client=client)
    match.to_json()
    # {'name': 'تبريز', 'country': 'IR', 'decision': 'linked',
    #  'candidates': [{'qid': 'Q80053', 'label': 'Tabriz', 'country': 'IR', 'score': 89}]}

A match and its JSON line:

    >>> best = Candidate("Q80053", "Tabriz", "IR", 89, ("label 'تبریز'@fa matches", "in IR"))
    >>> Match(NameQuery.of("تبريز", "IR"), Decision.LINKED, (best,)).to_json()["candidates"]
    [{'qid': 'Q80053', 'label': 'Tabriz', 'country': 'IR', 'score': 89}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from citykg.candidates import (
    Gazetteer,
    Pending,
    exact_in_country,
    languages_for,
    lookup_gazetteers,
    lookup_labels,
    settlement_types,
)
from citykg.errors import LinkError, quoted
from citykg.iris import pasted_qid
from citykg.items import Facts, fetch_facts, find_countries, no_country_error, other_labels
from citykg.names import edit_distance
from citykg.scores import Candidate, countries_named, quote, score
from citykg.spellings import LONGEST_NAME, compound_forms
from citykg.wikidata import Client

__all__ = ["Candidate", "Decision", "Match", "NameQuery", "Scoring", "reconcile"]


class Decision(Enum):
    """What reconciliation concluded about a name."""

    LINKED = "linked"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class NameQuery:
    """A name to reconcile: its spellings, and what else is known.

    :param names: one or more spellings (an English and a Persian label, say); the first is shown.
    :param country: ISO 3166-1 alpha-2 or alpha-3 code, or the country's QID.
    :param qid: a QID already known for the place; it wins over any name match.
    :param where: where the query comes from (``names.csv:3``, ``city/tabriz``), for messages.
    """

    names: tuple[str, ...]
    country: str | None = None
    qid: str | None = None
    where: str | None = None

    @classmethod
    def of(cls, name: str, country: str | None = None, qid: str | None = None, where: str | None = None) -> NameQuery:
        """A query for one name: ``NameQuery.of("Tabriz", "IR")``."""
        return cls((name,), country or None, qid or None, where)

    @property
    def country_key(self) -> str | None:
        """The country as it is looked up: without spaces around it, upper-cased (``IR``, ``Q794``)."""
        return self.country.strip().upper() or None if self.country else None

    @property
    def name(self) -> str:
        """The first spelling, as given."""
        return self.names[0] if self.names else ""


@dataclass(frozen=True)
class Match:
    """The outcome for one query: the decision, the candidates best first, and how it was made."""

    query: NameQuery
    decision: Decision
    candidates: tuple[Candidate, ...]
    method: str = "name"
    reasons: tuple[str, ...] = ()
    more: int = 0

    @property
    def qid(self) -> str | None:
        """The linked item's QID, or None unless the decision is ``linked``."""
        return self.candidates[0].qid if self.decision is Decision.LINKED and self.candidates else None

    def to_json(self) -> dict[str, Any]:
        """One line of ``citykg link --format json``: the name as given, the country as it was
        looked up (:attr:`NameQuery.country_key`: ``ir`` is ``IR``); ``more``, if candidates were
        left out (see :class:`Scoring`), says how many."""
        return {"name": self.query.name, "country": self.query.country_key,
                "decision": self.decision.value,
                "candidates": [c.to_json() for c in self.candidates]} | ({"more": self.more} if self.more else {})


@dataclass(frozen=True)
class Scoring:
    """The thresholds of the decision (see the module docstring), and the candidates kept: the
    ``keep`` best, and every other within ``margin`` points of the best (the rivals a person
    chooses among), at most ``most`` in all (:attr:`Match.more` counts the others)."""

    link: int = 55
    margin: int = 15
    review: int = 35
    population_ratio: float = 30.0
    keep: int = 5
    most: int = 25


def reconcile(queries: Sequence[NameQuery], *, client: Client, scoring: Scoring = Scoring(),
              batch: int = 20000, trust_qids: bool = False,
              country_codes: Mapping[str, str] | None = None,
              unknown_countries: set[str] | None = None) -> list[Match]:
    """Reconcile every query, in batched queries to ``client``'s endpoint.

    :param queries: the names to reconcile.
    :param trust_qids: link a query's QID even if the endpoint does not know it (a QID of the
        project's tables wins); otherwise such a QID links nothing.
    :param client: the endpoint to ask (and its cache).
    :param scoring: the decision thresholds.
    :param batch: how many label spellings one lookup query carries.
    :param country_codes: the reference tables' countries, ISO 3166-1 alpha-2 code by QID: such
        a QID is a country, and a candidate whose country (P17) has the code is in it.
    :param unknown_countries: if given, each country (as given) that is neither an ISO 3166-1
        code nor a country's QID is added to it instead of raising; its queries are matched by
        name alone, and a candidate in a country of another ISO code scores as in another country.
    :return: one :class:`Match` per query, in order.
    :raises LinkError: if a name is longer than :data:`~citykg.spellings.LONGEST_NAME`, or a country
        is neither an ISO 3166-1 code nor a country's QID (one the reference tables list or the
        endpoint gives a P297 code); the message names each query's :attr:`~NameQuery.where`.
    :raises EndpointError: if the endpoint fails (see :class:`citykg.wikidata.Client`).
    """
    _check_lengths(queries)
    queries = [NameQuery(q.names, q.country, qid, q.where) if q.qid is None and len(q.names) == 1
               and (qid := pasted_qid(q.name)) else q for q in queries]  # a QID as the name: q80053, wd:Q80053 too
    countries = find_countries(client, [q.country for q in queries if q.country], known=country_codes, strict=False)
    unknown = [q for q in queries if q.country_key and q.country_key not in countries]
    if unknown and unknown_countries is None:
        raise _no_countries(unknown)
    codes = {**(country_codes or {}), **{i: c.code for c in countries.values() if c.code for i in c.qids}}
    work = []
    for q in queries:
        country = countries.get(q.country_key or "")
        if q.country and q.country_key and country is None and unknown_countries is not None:
            unknown_countries.add(q.country)
        alpha2 = q.country_key if q.country_key and len(q.country_key) == 2 and q.country_key.isalpha() else None
        code = country.code if country else alpha2
        work.append(Pending(q.names, country.qid if country else None, {q.qid} if q.qid else set(),
                            code, country.qids if country else frozenset()))
    named = [w for w, q in zip(work, queries, strict=True) if not q.qid]
    languages = languages_for(named)
    lookup_labels(client, named, batch)
    lookup_labels(client, [w for w in named if not w.items and not w.country_qid], batch, spellings=compound_forms)
    facts = fetch_facts(client, {i for w in work for i in w.items}, languages=languages, codes=codes)
    # a QID given whose item has labels in none of those languages (Baku, only "Baku"@de) is known all the same
    blank = [q.qid for q in queries if q.qid and q.qid in facts and not facts[q.qid].known]
    for qid, label in other_labels(client, blank).items() if blank else ():
        facts[qid].labels[label.language or ""] = [label.value]
    gazetteer = lookup_gazetteers(client, [w for w in named if w.country_qid and not exact_in_country(w, facts)])
    more = {i for w in named for i in w.items} - set(facts)
    facts.update(fetch_facts(client, more, languages=languages, codes=codes))
    settled = settlement_types(client, facts.values())
    return [_decide(q, w, facts, settled, scoring, trust_qids, codes, gazetteer)
            for q, w in zip(queries, work, strict=True)]


def _check_lengths(queries: Sequence[NameQuery]) -> None:
    """Refuse names no place has: longer than :data:`~citykg.spellings.LONGEST_NAME` characters."""
    long = [(q, n) for q in queries for n in q.names if len(n.strip()) > LONGEST_NAME]
    if long:
        more = f" (and {len(long) - 5} more)" if len(long) > 5 else ""
        raise LinkError("; ".join(f"{q.where + ': ' if q.where else ''}the name {quoted(n, 40)} is {len(n.strip())} "
                                  "characters long" for q, n in long[:5]) + more +
                        f", and no place name is longer than {LONGEST_NAME}: give one place's name.")


def _no_countries(queries: Sequence[NameQuery]) -> LinkError:
    """The error for queries whose country is no country, each with where it comes from."""
    located = [q for q in queries if q.where]
    if not located:
        return no_country_error(list(dict.fromkeys(q.country or "" for q in queries)))
    lines = [str(no_country_error([q.country or ""], q.where or "")) for q in located[:10]]
    more = [f"… and {len(located) - 10} more rows like these."] if len(located) > 10 else []
    return LinkError("\n".join([*lines, *more, "Fix these countries and run again."]))


def _decide(query: NameQuery, w: Pending, facts: dict[str, Facts], settled: frozenset[str],
            scoring: Scoring, trust_qids: bool, codes: Mapping[str, str], gazetteer: Gazetteer) -> Match:
    if query.qid:
        f = facts.get(query.qid) or Facts(query.qid)
        if not f.known and not trust_qids:  # a QID the endpoint has never heard of links nothing
            reasons = ("QID given; the endpoint knows nothing about it",)
            return Match(query, Decision.NONE, (Candidate(query.qid, query.qid, None, 0, reasons),),
                         method="identifier", reasons=reasons)
        iso2 = f.iso2 or codes.get(query.qid)
        if iso2 and not trust_qids:  # a country's QID names no city (a table's QID wins: the data is checked apart)
            reasons = (f"QID given; {query.qid} is a country (ISO 3166-1 {iso2}), not a city",)
            return Match(query, Decision.NONE, (Candidate(query.qid, f.label() or query.qid, iso2, 0, reasons),),
                         method="identifier", reasons=reasons)
        country = f.country()
        code = (country[1] or country[0]) if country else None
        reasons = ("QID given",) if f.known else ("QID given; the endpoint knows nothing about it",)
        decision = Decision.LINKED
        if w.country_qid and f.countries and not w.in_country(f):
            reasons = (f"QID given; it is in {code}, not in {w.country_code or query.country_key}",)
            if not trust_qids:  # the QID or the country is wrong: a person decides which
                decision, reasons = Decision.AMBIGUOUS, (f"{reasons[0]}: a person decides",)
        return Match(query, decision, (Candidate(query.qid, f.label() or query.qid, code, 100, reasons,
                                                 f.population),), method="identifier", reasons=reasons)
    scored = sorted((s for i in w.items if i in facts
                     and (s := score(query.names, w.country_code or query.country_key, w, facts[i], settled))),
                    key=lambda c: (-c[0].score, -(c[0].population or 0), int(c[0].qid[1:])))
    near = [c for n, (c, *_) in enumerate(scored)
            if n < scoring.keep or scored[0][0].score - c.score < scoring.margin]  # Victoria: a dozen places
    candidates, more = tuple(near[:scoring.most]), max(0, len(near) - scoring.most)
    if not scored or scored[0][0].score < scoring.review:
        return Match(query, Decision.NONE, candidates, more=more)
    best, base, weak, variant = scored[0]
    countries = countries_named(best, scored, facts, codes, w)
    if countries:
        why = f"not linked: {quote(query.name)} is the name of a country, {countries}, not of a place in another"
        return Match(query, Decision.NONE, (replace(best, reasons=(why, *best.reasons)), *candidates[1:]),
                     reasons=(why,), more=more)
    if weak:
        return Match(query, Decision.AMBIGUOUS, candidates, reasons=(f"{weak}: a person decides",), more=more)
    if variant and best.score >= scoring.link and (close := _as_close(variant, best, w, gazetteer)):
        return Match(query, Decision.AMBIGUOUS, candidates, reasons=(f"{close}: a person decides",), more=more)
    rivals = [(c, b) for c, b, *_ in scored[1:] if best.score - c.score < scoring.margin]
    if best.score >= scoring.link and not rivals:
        return Match(query, Decision.LINKED, candidates, reasons=("clear winner",), more=more)
    if best.score >= scoring.link and best.reasons[0].startswith("label ") and all(
            base >= b and (c.population or 0) * scoring.population_ratio <= (best.population or 0)
            and c.population for c, b in rivals):
        note = (f"population tie-break: {best.population:,} against "
                + ", ".join(f"{c.population:,}" for c, _ in rivals))
        return Match(query, Decision.LINKED, candidates, reasons=(note,), more=more)
    return Match(query, Decision.AMBIGUOUS, candidates,
                 reasons=(f"{len(rivals) + 1} candidates within {scoring.margin} points",)
                 if rivals else (f"best score {best.score} is below {scoring.link}",), more=more)


def _as_close(variant: tuple[str, str], best: Candidate, w: Pending, gazetteer: Gazetteer) -> str:
    """What makes a spelling variant no clear match: the other places of the country given whose
    labels are as close to the name (or closer) as the best candidate's, or "" if there are none.
    Only the skeleton made ``best`` a candidate; Smrice is one letter from Smiřice and from
    Smržice alike."""
    key, label_key = variant
    letters = edit_distance(key, label_key)
    near = [(n, qid, text) for n, qid, text in gazetteer.near(w.country_qids, key, letters) if qid != best.qid]
    if not near:
        return ""
    shown = ", ".join(f"{quote(text)} ({qid})" for _, qid, text in near[:3]) + (
        f" and {len(near) - 3} more" if len(near) > 3 else "")
    return (f"{shown} in {best.country} {'is' if len(near) == 1 else 'are'} as close to the name as "
            f"{quote(best.label)} ({letters} letter{'' if letters == 1 else 's'} away)")
