"""``citykg link --quickstatements``: the twinnings of the project's tables that Wikidata lacks.

:func:`quickstatements` reads the twinnings (sister city, friendship, twinned) that the project's
studies and reference tables state between cities whose QIDs someone checked, asks the endpoint
which P190 statements it has among them, and gives each one it lacks as a QuickStatements (V1)
line, with the partnership's start and end time as qualifiers (P580, P582) and its source as
reference, for a person to review and submit.

A QID counts as checked if the tables give it (link method ``identifier``) or a person decided
it (``reviewed``, see :mod:`citykg.link`); a QID that ``citykg link`` found by a name match
alone may be wrong, so it is not sent to Wikidata. A twinning with a city that has no QID, or
only one found by name, is not exported: it is named in :attr:`QuickStatements.left_out` with
the reason, and :attr:`QuickStatements.hints` say what to do.

Example::

    >>> print(LeftOut("Atlantis", "Tabriz", "https://example.org/atlantis", ("Atlantis",)))
    Atlantis – Tabriz (https://example.org/atlantis) not exported: Atlantis has no Wikidata QID
    >>> isfahan = Unreviewed("Isfahan", "city/isfahan", "Q42053")
    >>> print(LeftOut("Isfahan", "Tabriz", "https://example.org/isfahan", (), (isfahan,)).reasons())
    Isfahan's QID Q42053 (city/isfahan) is a name match nobody reviewed
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from citykg.cells import date_problem
from citykg.iris import PREFIXES
from citykg.kinds import UNKNOWN, Decided, wrong_kinds
from citykg.link import country_codes, project_store, stored_links
from citykg.project import Project
from citykg.wikidata import Client, chunks, iri

__all__ = ["LeftOut", "QuickStatements", "Statement", "Unreviewed", "quickstatements"]


@dataclass(frozen=True)
class Statement:
    """One QuickStatements line: a P190 statement Wikidata lacks, with its reference."""

    subject: str
    partner: str
    source: str
    line: str


@dataclass(frozen=True)
class Unreviewed:
    """A city whose QID comes from a name match nobody reviewed: its label, record and QID."""

    label: str
    ref: str
    qid: str


@dataclass(frozen=True)
class LeftOut:
    """A twinning of the tables that is not exported: a city has no QID (``missing``, by label),
    only one found by a name match nobody reviewed (``unreviewed``), one that is no city
    (``wrong_kind``: a country, say, by a person's slip in an earlier run's decisions), or one the
    endpoint knows nothing about (``unknown``: a mistyped QID, in the table or a decision); or its
    row has a ``problem`` (``data/reference/partnerships.csv:3: end '2019-02-29' is not a date …``):
    a date that is none, or a reference text with a double quote, which a QuickStatements V1
    string cannot hold."""

    city: str
    partner: str
    source: str
    missing: tuple[str, ...]
    unreviewed: tuple[Unreviewed, ...] = ()
    wrong_kind: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    def reasons(self) -> str:
        """Why the twinning is not exported."""
        out = [" and ".join(self.missing) + (" have" if len(self.missing) > 1 else " has") + " no Wikidata QID"
               ] if self.missing else []
        out += [f"{u.label}'s QID {u.qid} ({u.ref}) is a name match nobody reviewed" for u in self.unreviewed]
        return "; ".join(out + list(self.wrong_kind) + list(self.unknown) + list(self.problems))

    def __str__(self) -> str:
        return f"{self.city} – {self.partner} ({self.source}) not exported: {self.reasons()}"


@dataclass(frozen=True)
class QuickStatements:
    """What :func:`quickstatements` found: the lines to submit, and the twinnings not exported."""

    statements: tuple[Statement, ...]
    left_out: tuple[LeftOut, ...]

    @property
    def hints(self) -> list[str]:
        """What to do about the twinnings not exported: a line per kind of reason."""
        out = []
        if any(lo.missing for lo in self.left_out):
            out.append("run `citykg link`, or add the QID to the table (its wikidata column), to export the "
                       "twinnings of cities without a QID")
        if any(lo.wrong_kind for lo in self.left_out):
            out.append("run `citykg link`, which refuses a decision for an item that is no city and sends the "
                       "city to the review file, or give the city's QID in the table (its wikidata column)")
        if any(lo.unknown for lo in self.left_out):
            out.append("check each QID the endpoint does not know on Wikidata, and correct it in the table (its "
                       "wikidata column) or in a decision (`citykg link --decisions FILE`), to export its twinnings")
        if any(lo.problems for lo in self.left_out):
            out.append("fix the rows named (`citykg build` refuses a date that is none too), to export their twinnings")
        unreviewed = sorted({u for lo in self.left_out for u in lo.unreviewed}, key=lambda u: u.ref)
        if unreviewed:
            rows = " ".join(f"{u.ref},{u.qid}" for u in unreviewed)
            out.append("check each name match on Wikidata, then confirm the right ones with `citykg link "
                       f"--decisions FILE` (FILE: a CSV with the header record,decision and the rows {rows}), "
                       "or give the QID in the table (its wikidata column), to export their twinnings")
        return out

    def summary(self) -> str:
        """How many lines, and how many twinnings were not exported, for the user (to stderr)."""
        left = len(self.left_out)
        return (f"{len(self.statements)} P190 statements that Wikidata lacks, with their sources"
                + (f"; {left} twinning{'s' if left > 1 else ''} not exported ("
                   + ("a city without a checked QID" if not any(lo.problems for lo in self.left_out)
                      else "see the warnings") + ")" if left else ""))


def quickstatements(project: Project, *, client: Client) -> QuickStatements:
    """The twinnings of the project's tables that Wikidata lacks, as QuickStatements (V1) lines.

    A twinning (sister city, friendship or twinned) between two cities with checked QIDs (in
    the tables, or decided by a person with ``citykg link --decisions``), stated by a study or
    reference table, gives ``Q… TAB P190 TAB Q…`` with its start and end time (P580, P582) where
    the partnership has them, at the precision the table gives (a year, a month or a day), and
    its source as reference: the study's title (S1476) and the table and row (S958), or the
    reference URL (S854) or citation. Each
    direction Wikidata lacks gets a line, since P190 is symmetric. A twinning with a city that
    has no QID, or only one ``citykg link`` found by a name match, is not exported: it is named
    in :attr:`QuickStatements.left_out` (by the cities' labels and the source) with the reason.

    :raises InputError: if ``graphs/wikidata-links.nq`` cannot be read.
    """
    store = project_store(project)  # the tables' QIDs only; those of citykg link are read below
    links = stored_links(project)
    query = """SELECT DISTINCT ?a ?b ?la ?lb ?qa ?qb ?study ?title ?table ?row ?cite ?start ?end ?file ?line WHERE {
      ?p a ckg:Partnership ; ckg:partner ?a, ?b ; prov:wasDerivedFrom ?src ; ckg:partnershipType ?type .
      VALUES ?type { ckg:sisterCity ckg:friendshipCity ckg:twinningStatement }  # a memorandum is no P190
      ?src a ckg:SourceRow . FILTER (STR(?a) < STR(?b))
      OPTIONAL { ?a ckg:wikidataId ?qa } OPTIONAL { ?b ckg:wikidataId ?qb }
      OPTIONAL { ?a rdfs:label ?la FILTER (LANG(?la) = "en") } OPTIONAL { ?b rdfs:label ?lb FILTER (LANG(?lb) = "en") }
      OPTIONAL { ?src ckg:inStudy ?s . ?s ckg:identifier ?study .
                 OPTIONAL { ?s dcterms:title ?title FILTER (LANG(?title) = "en") } }
      OPTIONAL { ?src ckg:sourceTable ?table } OPTIONAL { ?src ckg:sourceRow ?row }
      OPTIONAL { ?src ckg:citation ?cite } OPTIONAL { ?p schema:startDate ?start } OPTIONAL { ?p schema:endDate ?end }
      OPTIONAL { ?src ckg:dataFile/ckg:path ?file } OPTIONAL { ?src ckg:line ?line }
    } ORDER BY ?qa ?qb ?study ?cite ?la ?lb ?start ?end ?file ?line"""
    names = ("a", "b", "la", "lb", "qa", "qb", "study", "title", "table", "row", "cite", "start", "end", "file", "line")
    rows = [{k: (row[k].value if row[k] is not None else "") for k in names}
            for row in store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)]  # type: ignore[union-attr]
    by_name: dict[str, Unreviewed] = {}  # city IRI → its QID from a name match
    for s in rows:
        for side in "ab":
            link = links.get(s[side])
            if s["q" + side] or link is None or link.qid is None:
                continue
            if link.method == "name":
                by_name[s[side]] = Unreviewed(s["l" + side] or link.ref, link.ref, link.qid)
            else:
                s["q" + side] = link.qid  # a person's decision
    checked = {(s[side], s["q" + side]) for s in rows for side in "ab" if s["q" + side]}
    refused = wrong_kinds(client, (Decided(city, "city", qid) for city, qid in checked), codes=country_codes(project))
    for s in rows:  # an item that is no city (a country), or that the endpoint does not know, is never exported
        for why, unknown in (("no", False), ("unknown", True)):
            s[why] = "; ".join(_refused(s, side, refused[s[side]]) for side in "ab"
                               if s[side] in refused and refused[s[side]].endswith(UNKNOWN) == unknown)
        s["problem"] = "; ".join(_problems(s, _where(s)))
    stated = [s for s in rows if s["qa"] and s["qb"] and not s["no"] and not s["unknown"] and not s["problem"]]
    present = _p190(client, {(s["qa"], s["qb"]) for s in stated})
    out: list[Statement] = []
    for s in stated:
        reference, source = _reference(s)
        when = _qualifiers(s)
        for a, b in ((s["qa"], s["qb"]), (s["qb"], s["qa"])):
            if (a, b) not in present:
                out.append(Statement(a, b, source, "\t".join((a, "P190", b, *when, *reference))))
    left_out = set()
    for s in rows:
        if not (s["qa"] and s["qb"]) or s["no"] or s["unknown"] or s["problem"]:
            label = {side: s["l" + side] or s[side].rsplit("/", 1)[-1] for side in "ab"}
            left_out.add(LeftOut(label["a"], label["b"], _reference(s)[1],
                                 tuple(label[side] for side in "ab" if not s["q" + side] and s[side] not in by_name),
                                 tuple(by_name[s[side]] for side in "ab" if s[side] in by_name),
                                 (s["no"],) if s["no"] else (), (s["unknown"],) if s["unknown"] else (),
                                 (s["problem"],) if s["problem"] else ()))
    return QuickStatements(tuple(dict.fromkeys(out)),  # each once, if a city has two English labels
                           tuple(sorted(left_out, key=lambda lo: (lo.city, lo.partner, lo.source))))


def _refused(s: dict[str, str], side: str, why: str) -> str:
    """Why a city's QID is not exported, naming the city, its record and the QID: ``Karachi's QID
    Q88888888 (city/karachi) is unknown to the endpoint (…)``."""
    qid, rest = why.split(" ", 1)
    ref = "/".join(s[side].rsplit("/", 2)[-2:])
    return f"{s['l' + side] or s[side].rsplit('/', 1)[-1]}'s QID {qid} ({ref}) {rest}"


def _where(s: dict[str, str]) -> str:
    """The file and line a partnership was read from (``data/reference/partnerships.csv:3``,
    ``submissions/<id>/partnerships.csv:2``), from its source row's ``ckg:dataFile`` path and
    ``ckg:line`` (an RDF file's, as it declares them)."""
    if not s["file"]:
        return "the tables"
    return f"{s['file']}:{s['line']}" if s["line"] else s["file"]


def _problems(s: dict[str, str], where: str) -> list[str]:
    """What keeps a partnership's row from being exported as it is: a start or end that is no date
    (``citykg build`` refuses it too), or a reference text with a double quote, which a
    QuickStatements V1 string cannot hold (a URL has it percent-encoded, as %22).

    >>> for problem in _problems({"start": "2019-02-29", "end": "2020/01", "study": "", "cite": 'A "B"'}, "p.csv:3"):
    ...     print(problem[:70])
    p.csv:3: start '2019-02-29' is not a date (February 2019 has 28 days)
    p.csv:3: end '2020/01' is not a date (write it YYYY, YYYY-MM or YYYY-M
    p.csv:3: the reference 'A "B"' has a double quote, which a QuickStatem
    """
    out = []
    for which in ("start", "end"):
        value = s[which]
        if value and (why := date_problem(value) or ("" if _DATE.match(value) else "write it YYYY, YYYY-MM or "
                                                                                    "YYYY-MM-DD")):
            out.append(f"{where}: {which} {value!r} is not a date ({why})")
    for cell in _reference(s)[0]:
        text = cell.removeprefix("en:")[1:-1] if cell.endswith('"') else ""
        if '"' in text:
            out.append(f"{where}: the reference {text!r} has a double quote, which a QuickStatements V1 string "
                       "cannot hold (write “ ” or ' instead)")
    return out


def _p190(client: Client, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The directed P190 statements Wikidata has among the pairs, in either direction."""
    both = sorted({(a, b) for a, b in pairs} | {(b, a) for a, b in pairs})
    found: set[tuple[str, str]] = set()
    queries = [("PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
                "SELECT ?a ?b WHERE { VALUES (?a ?b) { "
                + " ".join(f"({iri(a)} {iri(b)})" for a, b in part) + " } ?a wdt:P190 ?b }")
               for part in chunks(both, 200)]
    for rows in client.select_many(queries):
        for row in rows:
            if row["a"].qid and row["b"].qid:
                found.add((row["a"].qid, row["b"].qid))
    return found


#: A date as the tables write it: YYYY, YYYY-MM or YYYY-MM-DD.
_DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
#: QuickStatements' precision of a date by its length in the tables: YYYY a year (9), YYYY-MM a
#: month (10), YYYY-MM-DD a day (11).
_PRECISION = {4: 9, 7: 10, 10: 11}


def _qualifiers(s: dict[str, str]) -> tuple[str, ...]:
    """The start time (P580) and end time (P582) qualifiers of a partnership that has them, as
    QuickStatements writes a time: the missing month or day as 00, and the precision after a /.

    >>> _qualifiers({"start": "2001", "end": "2015-03"})
    ('P580', '+2001-00-00T00:00:00Z/9', 'P582', '+2015-03-00T00:00:00Z/10')
    >>> _qualifiers({"start": "1998-10-05", "end": ""})
    ('P580', '+1998-10-05T00:00:00Z/11')
    """
    out: tuple[str, ...] = ()
    for prop, value in (("P580", s["start"]), ("P582", s["end"])):
        if len(value) in _PRECISION:
            day = (value + "-00-00")[:10]
            out += (prop, f"+{day}T00:00:00Z/{_PRECISION[len(value)]}")
    return out


def _reference(s: dict[str, str]) -> tuple[tuple[str, ...], str]:
    """The reference of a partnership (QuickStatements' source properties and values) and its
    source as the warnings name it. Text is written as it is (runs of white space as one space:
    a tab or line break would end the field), between double quotes; a text with a double quote
    is not exported (see :func:`_problems`); in a URL, a double quote is percent-encoded (%22),
    which names the same resource.

    >>> _reference({"study": "", "cite": 'https://example.org/a"b'})
    (('S854', '"https://example.org/a%22b"'), 'https://example.org/a"b')
    """
    def text(value: str) -> str:
        return '"' + " ".join(value.split()) + '"'

    if s["study"]:
        where = ", ".join(v for v in (s["table"], f"row {s['row']}" if s["row"] else "") if v)
        ref = ("S1476", "en:" + text(s["title"] or s["study"]))
        return (ref + (("S958", text(where)) if where else ()), s["study"])
    if s["cite"].startswith(("http://", "https://")):
        return (("S854", text(s["cite"].replace('"', "%22"))), s["cite"])
    return (("S1476", "en:" + text(s["cite"] or "citykg reference tables")), s["cite"] or "reference tables")
