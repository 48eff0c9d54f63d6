"""The files a person reads and writes around linking: name lists, the review file, decisions.

- :func:`read_names` reads a list of names to reconcile (``citykg link --names FILE``): CSV, or
  TSV if the file ends in ``.tsv`` or its header has tabs; a ``name`` column, and optional
  ``country`` (ISO 3166-1 code or QID) and ``qid`` (or ``wikidata``) columns.
- :func:`write_review` writes the ambiguous links of a run, one row per record with its
  candidates, scores and reasons, and an empty ``decision`` column for a person to fill with the
  right QID or ``none``.
- :func:`read_decisions` reads that file back (``citykg link --decisions FILE``).

Every cell citykg writes goes through :func:`citykg.formats.neutralise`, so that a name such as
``=HYPERLINK(…)`` cannot run when the file is opened in a spreadsheet.

Example::

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "names.csv"
    >>> _ = path.write_text("name,country\\nTabriz,IR\\nمشهد,\\n", encoding="utf-8")
    >>> [(q.name, q.country) for q in read_names(path)]
    [('Tabriz', 'IR'), ('مشهد', None)]
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from citykg.errors import LinkError, is_utf16, not_utf8, quoted
from citykg.formats import neutralise
from citykg.iris import is_qid, pasted_qid
from citykg.names import match_key
from citykg.reconcile import Candidate, Match, NameQuery
from citykg.spellings import LONGEST_NAME

__all__ = ["REVIEW_COLUMNS", "ReviewDecision", "ReviewRow", "matches_json", "matches_table", "read_decisions",
           "read_names", "write_review"]

#: The columns of the review file, in order.
REVIEW_COLUMNS = ("record", "name", "country", "candidates", "decision", "note")


@dataclass(frozen=True)
class ReviewRow:
    """One ambiguous record as the review file shows it."""

    record: str
    name: str
    country: str | None
    candidates: tuple[Candidate, ...]
    note: str = ""
    more: int = 0


@dataclass(frozen=True)
class ReviewDecision:
    """A person's decision about one record: the QID it stands for, or None for no item."""

    record: str
    qid: str | None
    line: int


def _read_table(path: Path, columns: Sequence[str], needs: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV or TSV file, by column (the header's, lower-cased), with their line;
    blank lines are skipped, before the header too. A header that names a column twice, and rows
    of more or fewer fields than the header, are refused with the file and line.

    :param columns: the columns the file needs: a file without them is refused with ``needs``,
        and a hint if it looks separated by semicolons.
    """
    try:
        data = path.read_bytes()
        if is_utf16(data):
            raise LinkError(f"{path} is UTF-16; citykg reads names and decisions files in UTF-8. Save it as UTF-8 "
                            "(in Excel, as 'CSV UTF-8'; in a text editor, with the encoding UTF-8) and try again.")
        text = data.decode("utf-8-sig")
    except OSError as exc:
        raise LinkError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise LinkError(not_utf8(str(path), data, exc)) from exc
    if "\x00" in text:
        raise LinkError(f"{path} contains NUL bytes; it is not a text CSV or TSV file.")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if path.suffix.lower() == ".tsv" or "\t" in first else ","
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            if any(c.strip() for c in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise LinkError(f"{path}:{reader.line_num}: broken {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}.") from exc
    if not rows:
        raise LinkError(f"{path} is empty: {needs}.")
    line, header = rows[0][0], [h.strip().lower() for h in rows[0][1]]
    missing = [c for c in columns if c not in header]
    if missing:
        semicolons = delimiter == "," and set(missing) <= {h.strip().strip('"').lower() for h in first.split(";")}
        hint = (" It looks separated by semicolons: save it with commas (CSV) or tabs (TSV)." if semicolons else "")
        raise LinkError(f"{path}:{line}: {needs}; it has {', '.join(map(repr, header))}.{hint}")
    twice = sorted({h for h in header if h and header.count(h) > 1}, key=header.index)
    if twice:
        raise LinkError(f"{path}:{line}: column {' and '.join(map(repr, twice))} appears twice in the header, so which "
                        "cell a row means is unknown: rename or remove one, and run again.")
    uneven = [f"{path}:{n}: the row has {len(row)} field{'' if len(row) == 1 else 's'} but the header has "
              f"{len(header)}." for n, row in rows[1:] if len(row) != len(header)]
    if uneven:
        more = [f"… and {len(uneven) - 10} more rows like these."] if len(uneven) > 10 else []
        quote = "tab" if delimiter == "\t" else "comma"
        raise LinkError("\n".join([*uneven[:10], *more, f"Give each row one cell per column of the header (quote a "
                                   f"cell that contains a {quote}), and run again."]))
    return [(n, dict(zip(header, (c.strip() for c in row), strict=True))) for n, row in rows[1:]]


_COUNTRY = re.compile(r"^(?:[A-Za-z]{2,3}|[Qq][1-9][0-9]*)$")


def read_names(path: Path) -> list[NameQuery]:
    """The names of a CSV or TSV file, in order, as queries.

    :raises LinkError: if the file cannot be read, has no ``name`` column, names a column twice,
        has rows of more or fewer fields than its header, or rows with neither a name (one with a
        letter or digit) nor a QID, a ``qid`` that is not a QID, or a ``country`` that is neither an
        ISO 3166-1 code nor a QID; the message names the file and
        the line of each such row (the first ten), so that one pass fixes them all.
    """
    rows = _read_table(path, ("name",), "the header needs a 'name' column (and may have 'country' and 'qid')")
    out, problems = [], []
    for line, row in rows:
        name = row.get("name", "")
        typed = row.get("qid") or row.get("wikidata") or ""
        qid = (pasted_qid(typed) or typed.upper()) if typed else None  # wd:Q80053 or its page URL too
        if name and not match_key(name):  # only marks, joiners or punctuation: no name at all
            if not qid:
                problems.append(f"{path}:{line}: the name {_shown(name)} has no letters or digits (only marks, "
                                "joiners or punctuation); give the place's name (or its QID).")
                continue
            name = ""
        if not name and not qid:
            problems.append(f"{path}:{line}: the row has no name (nor a QID).")
        elif qid and not is_qid(qid):
            problems.append(f"{path}:{line}: {typed!r} is not a Wikidata QID such as Q80053.")
        elif row.get("country") and not _COUNTRY.match(row["country"]):
            problems.append(f"{path}:{line}: country {row['country']!r} is neither an ISO 3166-1 code (IR or "
                            "IRN) nor a Wikidata QID (Q794).")
        elif len(name) > LONGEST_NAME:
            problems.append(f"{path}:{line}: the name {quoted(name, 40)} is {len(name)} characters long; no place "
                            f"name is longer than {LONGEST_NAME} (is it the right column?).")
        else:
            out.append(NameQuery.of(name or qid or "", row.get("country") or None, qid, f"{path}:{line}"))
    if problems:
        more = f"\n… and {len(problems) - 10} more rows like these." if len(problems) > 10 else ""
        raise LinkError("\n".join(problems[:10]) + more + "\nFix these rows (or delete them) and run again: "
                        "nothing was looked up.")
    return out


def _shown(name: str) -> str:
    """A name for a message: quoted, or by its characters' code points and names if none is visible.

    >>> _shown("-"), _shown("\u200c")
    ("'-'", 'U+200C ZERO WIDTH NON-JOINER')
    """
    if any(unicodedata.category(ch) not in ("Mn", "Me", "Cf", "Zs") for ch in name):
        return quoted(name, 40)
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".strip() for ch in name[:5])


def write_review(path: Path, rows: Iterable[ReviewRow]) -> int:
    """Write the review file (even with no rows, so an old one never lingers); return the rows.

    The ``candidates`` cell lists each candidate as ``QID label (country) score: reasons``,
    best first, separated by `` | ``; then ``… and N more``, if candidates were left out.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REVIEW_COLUMNS)
    count = 0
    for row in rows:
        shown = " | ".join(f"{c.qid} {c.label} ({c.country or '?'}) {c.score}: {'; '.join(c.reasons)}"
                           for c in row.candidates) + (f" | … and {row.more} more" if row.more else "")
        writer.writerow([neutralise(v) for v in (row.record, row.name, row.country or "", shown, "", row.note)])
        count += 1
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as sink:
            sink.write(out.getvalue())
        os.chmod(tmp, 0o644)  # as a file written in place would be (mkstemp makes it 0600)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise LinkError(f"Cannot write the review file {path}: {exc.strerror or exc}. Pass --review a "
                        "path in a folder you can write.") from exc
    return count


def read_decisions(path: Path) -> list[ReviewDecision]:
    """The decisions filled into a review file: rows whose ``decision`` is a QID or ``none``.

    Rows with an empty decision are left for later.

    :raises LinkError: if the file lacks the ``record`` or ``decision`` column, names a column
        twice, has rows of more or fewer fields than its header, or a decision is neither a QID
        nor ``none``; the message names the file and line.
    """
    rows = _read_table(path, ("record", "decision"), "a decisions file is a review file written by `citykg link`: "
                       "its header needs the columns 'record' and 'decision'")
    out = []
    for line, row in rows:
        value = row.get("decision", "").lstrip("'").strip()
        if not value:
            continue
        record = row.get("record", "").lstrip("'")
        if value.lower() == "none":
            out.append(ReviewDecision(record, None, line))
        elif qid := pasted_qid(value):
            out.append(ReviewDecision(record, qid, line))
        else:
            raise LinkError(f"{path}:{line}: decision {value!r} for {record!r} is neither a QID (such as "
                            "Q80053) nor 'none'. Leave it empty to decide later.")
    return out


def matches_json(matches: Sequence[Match], *, records: Sequence[str] | None = None) -> str:
    """One JSON line per name, as ``citykg link --format json`` prints it.

    :param records: the record of each match (linking the project), as a first ``record`` member
        with the link's ``method``.
    """
    if records is None:
        return "".join(json.dumps(m.to_json(), ensure_ascii=False) + "\n" for m in matches)
    return "".join(json.dumps({"record": r, "method": m.method, **m.to_json()}, ensure_ascii=False) + "\n"
                   for r, m in zip(records, matches, strict=True))


def matches_table(matches: Sequence[Match], *, records: Sequence[str] | None = None) -> str:
    """A text table of names, decisions and their three best candidates with scores and reasons
    (those of a name decided ``none`` too, which a person may still choose), and a line that
    says how many more there are; the footer counts the names (or records), not the lines."""
    from pyoxigraph import Literal

    from citykg.formats import Format, render
    from citykg.queries import Result

    columns = ("record",) * bool(records) + ("name", "decision", "qid", "label", "country", "score", "reasons")
    rows = []
    for n, match in enumerate(matches):
        head: tuple[str, ...] = ((records[n],) if records else ()) + (match.query.name, match.decision.value)
        for c in match.candidates[:3] or [None]:
            cells = head + ((c.qid, c.label, c.country or "", str(c.score), "; ".join(c.reasons)) if c else ("",) * 5)
            rows.append(tuple(Literal(v) for v in cells))
            head = ("",) * len(head)
        if (others := max(0, len(match.candidates) - 3) + match.more) > 0:
            cells = (*head, "…", "", "", "", f"{others} more candidate{'s' * (others > 1)}: --format json lists them")
            rows.append(tuple(Literal(v) for v in cells))
    table = render(Result(columns, list(rows)), Format.TABLE).rstrip("\n").rsplit("\n", 1)[0]
    what = "record" if records else "name"
    return f"{table}\n({len(matches)} {what}{'' if len(matches) == 1 else 's'})\n"
