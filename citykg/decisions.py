"""A person's decisions and the rule of one item a place, as :func:`citykg.link.link` applies them.

- :func:`apply_decisions` adds the decisions of a file (``citykg link --decisions FILE``) to
  those kept from earlier runs, warning about those that cannot or should not apply;
- :func:`drop_decisions_for_table_items` forgets kept decisions for an item a table now gives
  another record;
- :func:`one_item_each` sends to review a city whose name matches an item another record has;
- :func:`keep_unapplied_decisions` refuses to overwrite a review file with decisions not applied.

A place has one item, so no two records get the same QID; a table's QID and a person's decision
are firm, a name match is not.

Example::

    >>> warnings: list[str] = []
    >>> one_item_each([], warnings), warnings
    ([], [])
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from citykg.enrich import Record, RecordLink
from citykg.errors import LinkError
from citykg.reconcile import Decision
from citykg.review import ReviewDecision, read_decisions

__all__ = ["apply_decisions", "drop_decisions_for_table_items", "keep_unapplied_decisions", "one_item_each"]


def apply_decisions(path: Path, by_ref: dict[str, Record], kept: dict[str, str | None],
                     warnings: list[str]) -> None:
    """Add a person's decisions to ``kept``, in the file's order, warning about those that cannot
    or should not apply: for a record the graph lacks, or for an item that a table or another
    decision (kept, or applied from an earlier line) gives another record."""
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
                            f"a place has one item, so this decision for {d.record} is ignored.")
        else:
            kept[d.record] = d.qid


def drop_decisions_for_table_items(by_ref: dict[str, Record], kept: dict[str, str | None],
                                    warnings: list[str]) -> None:
    """Forget kept decisions for an item a table now gives another record, with a warning (the
    record is then linked by its names)."""
    in_tables = {r.qid: r.ref for r in by_ref.values() if r.qid}
    for ref, qid in sorted(kept.items()):
        owner = in_tables.get(qid or "")
        if ref in by_ref and not by_ref[ref].qid and owner not in (None, ref):
            warnings.append(f"{ref}: the reviewed decision {qid} is ignored: the tables give {qid} to {owner}, and "
                            "a place has one item. Decide again in the review file if the name match is wrong.")
            del kept[ref]


def one_item_each(links: list[RecordLink], warnings: list[str]) -> list[RecordLink]:
    """Send to review, as ambiguous, each city whose name matches an item that a table or a
    person's decision gives another record, or that another city's name matches too."""
    firm: dict[str, RecordLink] = {}
    named: dict[str, list[RecordLink]] = {}
    for lk in links:
        if lk.record.kind == "city" and lk.match.qid:
            if lk.match.method == "name":
                named.setdefault(lk.match.qid, []).append(lk)
            else:
                firm.setdefault(lk.match.qid, lk)
    out = []
    for lk in links:
        match, qid = lk.match, lk.match.qid
        if not qid or match.method != "name" or lk.record.kind != "city":
            out.append(lk)
            continue
        owner = firm.get(qid)
        rivals = [o.record.ref for o in named[qid] if o is not lk]
        if owner is not None:
            how = "in its table" if owner.match.method == "identifier" else "by a person's decision"
            why = f"{qid} is the item of {owner.record.ref} ({how})"
        elif rivals:
            why = f"{qid} is also the name match of {', '.join(rivals)}"
        else:
            out.append(lk)
            continue
        warnings.append(f"{lk.record.ref}: its names match {qid}, but {why}; a place has one item, so "
                        f"{lk.record.ref} goes to the review file as ambiguous. Decide it there (a QID or none) "
                        "and pass the file back with --decisions.")
        out.append(RecordLink(lk.record, replace(match, decision=Decision.AMBIGUOUS, reasons=(*match.reasons, why))))
    return out


def keep_unapplied_decisions(review: Path, decisions: Path | None) -> None:
    """Refuse to overwrite a review file in which a person has filled decisions not yet applied."""
    if not review.is_file() or (decisions is not None and decisions.resolve() == review.resolve()):
        return
    filled = read_decisions(review)
    if filled:
        raise LinkError(f"{review} holds {len(filled)} decision(s) that were not applied, and this run would "
                        f"replace it. Run `citykg link --decisions {review}` to apply them, or move the file away.")
