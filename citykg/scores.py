"""Score a Wikidata item as the place a name stands for: points, reasons, and how weak the evidence is.

:func:`score` gives a :class:`Candidate` its score from 0 to 100 and the reasons for it (see
:mod:`citykg.reconcile` for the points); :func:`distant` says when a spelling variant is too far
from a label to link on; :func:`countries_named` finds the countries a name is the name of.

Example::

    >>> distant("mashad", "mashhad"), quote("Tabriz")
    ('', "'Tabriz'")
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from citykg.candidates import SHORTEST_SKELETON, Pending
from citykg.items import Facts
from citykg.names import Script, edit_distance, keys, script_of

__all__ = ["Candidate", "Scored", "countries_named", "distant", "quote", "score"]

#: A spelling variant must share this much of its letters with the label (difflib's ratio).
_LEAST_SIMILAR = 0.7


@dataclass(frozen=True)
class Candidate:
    """A Wikidata item that may be the place, with its score and the reasons for it."""

    qid: str
    label: str
    country: str | None
    score: int
    reasons: tuple[str, ...]
    population: int | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"qid", "label", "country", "score"}``, as ``citykg link --format json`` prints it."""
        return {"qid": self.qid, "label": self.label, "country": self.country, "score": self.score}



class Scored(NamedTuple):
    """A candidate as :func:`score` gives it.

    :param candidate: the candidate, with its score and reasons.
    :param base: its score without the population bonus.
    :param weak: why its evidence is too weak to link on ("" if it is not).
    :param variant: for a spelling variant, the key of the name and of the label it is a variant
        of (:func:`~citykg.names.match_key`); None for a label spelt as the name.
    """

    candidate: Candidate
    base: int
    weak: str
    variant: tuple[str, str] | None = None


def countries_named(best: Candidate, scored: Sequence[Scored], facts: Mapping[str, Facts],
                    codes: Mapping[str, str], w: Pending) -> str:
    """The countries (``Iran (Q794)``) among the candidates that have the name as a label (with
    an ISO 3166-1 code at the endpoint, or in the reference tables), unless the best candidate
    is in one of them (Djibouti, the capital of Djibouti) or in the country given (``w``'s:
    Liberia in Costa Rica, given CR); else "". A country's name names no place of another
    country: Iran, with no country given, is not Iradan in Kyrgyzstan, whose French label is Iran."""
    named = sorted((c.qid for c, *_ in scored if c.reasons[0].startswith("label ")
                    and (facts[c.qid].iso2 or c.qid in codes)), key=lambda q: int(q[1:]))
    place = facts[best.qid]
    if not named or any(place.in_country({q}, facts[q].iso2 or codes.get(q)) for q in named):
        return ""
    if (w.country_qid or w.country_code) and w.in_country(place):  # the user said where the place is
        return ""
    return ", ".join(f"{facts[q].label() or q} ({q})" for q in named)


def score(names: Sequence[str], country_given: str | None, w: Pending, f: Facts,
          settled: frozenset[str]) -> Scored | None:
    """The item as a candidate for the names (spellings of one name) in ``w``'s country (shown
    as ``country_given``: its ISO 3166-1 alpha-2 code where known): its score (0 to 100) and
    reasons, its score without the population bonus, and why its evidence is too weak to link on;
    None if no label of the item matches."""
    reasons: list[str] = []
    name = 0
    weak = ""
    variant: tuple[str, str] | None = None
    labels = f.all_labels()
    for given in names:
        key, bones = keys(given)
        for lang, label in labels:
            label_key, label_bones = keys(label)
            if key == label_key:
                points, why = 55, f"label {quote(label)}@{lang} matches"
            elif len(bones) >= SHORTEST_SKELETON and bones == label_bones:
                similarity = difflib.SequenceMatcher(None, key, label_key).ratio()
                if similarity < _LEAST_SIMILAR:
                    continue
                points = round(40 - 50 * (1 - similarity))
                why = f"{quote(given)} is a spelling of {quote(label)}@{lang} (similarity {similarity:.2f})"
            else:
                continue
            if points > name:
                name, reasons[:1] = points, [why]
                weak = "" if points == 55 else distant(key, label_key)
                variant = None if points == 55 else (key, label_key)
    if not name:
        return None
    country = f.country()
    shown = (country[1] or country[0]) if country else None
    points = name
    if (w.country_qid or w.country_code) and country:  # a country given (by its ISO code alone if it is unknown)
        agrees = w.in_country(f)
        shown = (w.country_code or shown) if agrees else shown  # the country matched, of several
        points += 30 if agrees else -60
        reasons.append(f"in {shown}" + ("" if agrees else f", not {country_given}"))
    elif w.country_qid or w.country_code:
        reasons.append("no country stated")
        weak = weak or "the country was given but the item states none"
    if f.types & settled:
        points += 10
        reasons.append("a human settlement (" + ", ".join(sorted(f.types & settled)) + ")")
    elif f.types or f.iso2:
        points -= 60
        what = ", ".join(sorted(f.types)) if f.types else f"a country ({f.iso2})"
        reasons.append(f"not a human settlement: {what}")
    else:
        reasons.append("type not stated")
    base = points
    if f.population:
        bonus = min(5, max(0, int(math.log10(max(f.population, 1))) - 2))
        points += bonus
        reasons.append(f"population {f.population:,}")
    return Scored(Candidate(f.qid, f.label() or f.qid, shown, max(0, points), tuple(reasons), f.population),
                  base, weak, variant)


def distant(key: str, label_key: str) -> str:
    """Why a spelling variant is too far from a label to link on, or "" if it is close enough.

    >>> distant("mashad", "mashhad"), distant("kashan", "kushane")
    ('', 'a spelling variant 2 letters away')
    """
    script = script_of(key)
    if script is not Script.LATIN:
        return f"a spelling variant in {script.value.capitalize()} script"
    letters = edit_distance(key, label_key)
    return "" if letters <= 1 or (letters == 2 and min(len(key), len(label_key)) >= 7) else \
        f"a spelling variant {letters} letters away"


def quote(name: str) -> str:
    """A name in quotes as ``repr`` writes it, but with Persian's zero-width (non-)joiners as they are.

    >>> quote("خرم\u200cآباد") == "'خرم\u200cآباد'"
    True
    """
    return repr(name).replace("\\u200c", "\u200c").replace("\\u200d", "\u200d")
