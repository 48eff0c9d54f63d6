"""Whether a person's decision names an item of the right kind: a city's item is a place that is
no country, a country's item is a country.

A decision in a review file (``citykg link --decisions``) is a QID a person typed, and a slip
links a city to a country (``city/isfahan,Q142``: France), which ``--quickstatements`` would
then send to Wikidata as a twinning with France. :func:`wrong_kinds` checks the decided items as
the rest of linking checks items: a country is an item with an ISO 3166-1 code (P297) or a
country of the reference tables (see :func:`citykg.items.find_countries`); a place is an item
typed (P31) as a human settlement or an administrative territorial entity (or a subclass), or
not typed at all (see :func:`citykg.enrich.no_place`). An item the endpoint knows nothing about
(no triple has it as subject: a mistyped QID, or an item newer than a mirror's data) is refused
too: nobody can tell what it is, and ``--quickstatements`` would send a twinning with it.

Example::

    >>> Decided("city/isfahan", "city", "Q142").why(Facts("Q142", iso2="FR"), frozenset(), {})
    'Q142 is a country (ISO 3166-1 FR), not a city'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from citykg.enrich import Record, no_place, place_types
from citykg.items import Facts, existing, fetch_facts
from citykg.wikidata import Client

__all__ = ["UNKNOWN", "Decided", "refuse_wrong_kinds", "wrong_kinds"]

#: How the reason for refusing an item the endpoint knows nothing about goes on, after its QID.
UNKNOWN = "is unknown to the endpoint (a mistyped QID, or an item newer than the endpoint's data)"


@dataclass(frozen=True)
class Decided:
    """A record's decided item: the record (``city/isfahan``), its kind (``city`` or ``country``)
    and the QID."""

    ref: str
    kind: str
    qid: str

    def why(self, f: Facts, places: frozenset[str], codes: Mapping[str, str]) -> str | None:
        """Why the item is not of the record's kind, or None if it is (or may be)."""
        country = f.iso2 or codes.get(self.qid)
        if self.kind == "country":
            if country or not f.known:
                return None
            label = f" ({f.label()})" if f.label() else ""
            return (f"{self.qid}{label} is not a country: neither the endpoint gives it an ISO 3166-1 code (P297) "
                    "nor does the countries table list it")
        if country:
            return f"{self.qid} is a country (ISO 3166-1 {country}), not a city"
        nowhere = no_place(f, places)
        return f"{self.qid} is {nowhere}" if nowhere else None


def wrong_kinds(client: Client, decided: Iterable[Decided], *, codes: Mapping[str, str]) -> dict[str, str]:
    """Why each decided item is not of its record's kind, or is unknown to the endpoint (see
    :data:`UNKNOWN`), by record; records whose item is (or may be) of the right kind are left out.

    :param codes: the reference tables' countries, ISO 3166-1 alpha-2 code by QID.
    """
    wanted = list(decided)
    if not wanted:
        return {}
    facts = fetch_facts(client, {d.qid for d in wanted}, codes=codes)
    blank = {d.qid for d in wanted if not facts[d.qid].known and d.qid not in codes}  # Baku: only a German label
    unknown = blank - existing(client, blank) if blank else set()
    places = place_types(client, [facts[d.qid] for d in wanted if d.kind == "city"])
    return {d.ref: why for d in wanted
            if (why := f"{d.qid} {UNKNOWN}" if d.qid in unknown else d.why(facts[d.qid], places, codes))}


def refuse_wrong_kinds(client: Client, records: Mapping[str, Record], kept: dict[str, str | None], *,
                       codes: Mapping[str, str], warnings: list[str]) -> dict[str, str]:
    """Forget the decisions of ``kept`` (record ref → QID) whose item is not of the record's kind,
    each with a warning naming the record, the QID and why; return the reasons by record, for
    the caller to send those records to review. A record whose table gives a QID is not checked
    (its table wins over any decision).
    """
    decided = [Decided(ref, records[ref].kind, qid) for ref, qid in sorted(kept.items())
               if qid and ref in records and not records[ref].qid]
    refused = wrong_kinds(client, decided, codes=codes)
    for ref, why in refused.items():
        warnings.append(f"{ref}: the decision {kept.pop(ref)} is refused: {why}. {ref} goes to the review file as "
                        f"ambiguous; decide it there with the QID of a {records[ref].kind} (or none) and pass the "
                        "file back with --decisions.")
    return refused
