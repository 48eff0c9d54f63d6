"""One finding per cause, where a problem of the tables would make the shapes report many.

:mod:`citykg.rdfmap` maps rows as they are; the shapes then check the records. When a table, a row
or a column could not be read, the shapes would find many records lacking what it failed to state
(every citation of a factor whose table was not read would dangle), so :class:`Unchecked` notes,
once, what was not checked and why, and its note :attr:`~citykg.report.Finding.covers` the places
where the shapes' findings follow from it (see :meth:`citykg.report.Report.of`):

- references into a table that was not read (see :attr:`citykg.tables.DataFile.readable`), to a
  record whose row could not be read or has a violation, or to the records of a file whose header
  lacks the column that gives them their class: a note about that table, row or file;
- declared counts compared with the records of such a table, row or file, declared by the study
  whose records they are (a count of another study's themes does not depend on them);
- the checks of other tables' records that a table's rows decide, where that table was not read,
  lacks the column that names them, or has rows that could not be read: strategy_factors.csv
  decides the TOWS type of each strategy of its folder (``SO1 is an SO strategy but builds on no
  opportunity``), and strategy_actions.csv whether each strategy lists an action and each action
  is listed. These findings are at a strategy's or action's row, in no column, so the note covers
  them by the row and the shape's name (``("…/strategies.csv", 2, "ckgsh:SOStrategyShape")``).

And a study that no studies.csv has, named by several rows, is one violation that names the study
and the rows, not one at each row.

Example::

    >>> from pathlib import Path
    >>> from citykg.tables import read_tables
    >>> tables = read_tables([Path("data/mashhad-oic")])
    >>> unchecked = Unchecked(tables, lambda kind, study, key: False)  # (as if no record existed)
    >>> for row in list(tables.rows("factors"))[:2]:
    ...     unchecked.reference(row, row.table.column("study"), "mashad-oic")
    False
    False
    >>> [f.message.split(":")[0] for f in unchecked.findings()]
    ["No study mashad-oic in studies.csv (the graph's, or the submission's own)"]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from citykg import iris
from citykg.header import TABLE_FORMAT
from citykg.iris import RDF
from citykg.report import Finding, Severity
from citykg.schema import STRATEGY_TYPES, TABLES, Column, Kind
from citykg.tables import DataFile, Row, TableSet

__all__ = ["CHECK", "Unchecked", "decided_shapes", "record_iri", "subject_of", "where"]

#: The check (shape) named by the findings of this module.
CHECK = "citykg:reference"
_SCOPED = frozenset(t.record for t in TABLES.values() if t.in_study)
_TYPE = RDF + "type"
#: The tables whose records a declared count is compared with, by quantity (see
#: ckgsh:DeclaredVersusListedShape); initial codes are not listed anywhere.
_COUNTED_IN = {
    "themes": ("themes",),
    "subthemes": ("themes", "subthemes"),
    "categorized-codes": ("themes", "subthemes", "codes"),
    "sister-cities": ("studies", "cities", "partnerships"),
    "member-states": ("organisations", "organisation_members"),
}
#: Of those, the tables whose records a study's count is compared with only as far as they are
#: the study's own (its row, its themes): a count of sister cities takes every partnership.
_OWN = frozenset({"studies", "themes", "subthemes", "codes"})
_TABLE_OF = {t.record: t.name for t in TABLES.values()}  # record kind → its table
_Cell = tuple[str, int, str]
#: What a note is about: a file that was not read (its path as shown), or a row (file, line), or
#: the records of a file whose header lacks a column they need (file, 0).
_About = str | tuple[str, int]


@dataclass(frozen=True)
class _Decided:
    """A check of other records that the rows of a table decide: the records its ``column`` names
    pass or fail ``shapes`` (findings at their rows, in no column) by what those rows state."""

    column: str
    shapes: tuple[str, ...]
    one: str  # what is not checked, of one record ({n}: 1)
    many: str  # of several
    singular: bool = False  # ``one`` takes "was"


_DECIDES: dict[str, tuple[_Decided, ...]] = {
    "strategy_factors": (_Decided("strategy", tuple(f"ckgsh:{t}StrategyShape" for t in STRATEGY_TYPES),
                                  "the TOWS type of {n} strategy", "the TOWS types of {n} strategies", True),),
    "strategy_actions": (_Decided("strategy", ("ckgsh:StrategyActionsShape",), "the action list of {n} strategy",
                                  "the action lists of {n} strategies", True),
                         _Decided("action", ("ckgsh:ActionUseShape",), "the strategies listing {n} action",
                                  "the strategies listing {n} actions")),
}


def decided_shapes(table: str, column: str) -> tuple[str, ...]:
    """The shapes whose findings about the record that ``column`` of a ``table`` row names that
    row decides (see ``_DECIDES``): ``("ckgsh:StrategyActionsShape",)`` for the strategy column
    of strategy_actions.csv, whether the strategy lists an action; none for other columns.

    >>> decided_shapes("strategy_actions", "action")
    ('ckgsh:ActionUseShape',)
    """
    return tuple(shape for decided in _DECIDES.get(table, ()) if decided.column == column for shape in decided.shapes)


class Unchecked:
    """What cannot be checked because a table, a row or a column could not be read, noted once
    (see the module's description), and the studies that no studies.csv has.

    :param tables: the tables read.
    :param exists: tells whether a record ``(kind, study, key)`` exists, in ``tables`` or beyond.
    """

    def __init__(self, tables: TableSet, exists: Callable[[str, str | None, str], bool]) -> None:
        self.exists = exists
        files = [(source, f) for source in tables.sources for f in source.files]
        self.files = {f.display: f for _, f in files}
        self.unread: dict[str, list[DataFile]] = {}
        for _, f in files:
            if not f.readable:
                self.unread.setdefault(f.table, []).append(f)
        # the studies of the rows read with each file (of its folder): a file that was not read
        # holds records of these studies (of any, if no row was read with it)
        self.scope = {f.display: {r.study for r in (*source.rows, *source.skipped)} for source, f in files}
        self.references: dict[_About, set[_Cell]] = {}
        self.counts: dict[_About, set[_Cell]] = {}
        self.studies: dict[str, set[_Cell]] = {}  # a study no studies.csv has → the cells naming it
        self.folder_of = {f.display: source.name for source, f in files}
        self.with_studies = {source.name for source, f in files if f.table == "studies" and not f.misnamed}
        # rows kept aside for a key that is not one, but means one (S۲): a violation, not unread
        self.invalid_key = {(f.file, f.row) for f in tables.report.findings if f.shape == TABLE_FORMAT + "/key"}
        bad = {(f.file, f.row) for f in tables.report.findings
               if f.severity is Severity.VIOLATION and f.shape == TABLE_FORMAT and f.row and f.column}
        # the columns a file's header lacks that give its records their class or parent
        self.lacking = {f.display: [c for c in f.missing if TABLES[f.table].column(c).predicate == _TYPE
                                    or TABLES[f.table].column(c).kind is Kind.REF] for _, f in files}
        rows = {subject_of(r): r for source in tables.sources for r in source.rows}
        self.skipped = {subject_of(r): (r.file.display, r.line) for source in tables.sources
                        for r in source.skipped if subject_of(r) not in rows}
        # where the counts of a table's records (of a study, for the tables of _OWN) are noted:
        # its file that lacks a column, or its first row that could not be read
        self.partial: dict[tuple[str, str | None], _About] = {}
        for source in tables.sources:
            for r in source.rows:
                if self.lacking[r.file.display]:
                    self.partial.setdefault(_counted(r.table.name, r.study), (r.file.display, 0))
            for r in source.skipped:
                self.partial.setdefault(_counted(r.table.name, r.study), (r.file.display, r.line))
        # where the note about the references to a record goes: at its row, or (line 0) its file
        self.faulty = dict(self.skipped)
        for subject, r in rows.items():
            classless = any(TABLES[r.table.name].column(c).predicate == _TYPE for c in self.lacking[r.file.display])
            if classless or (r.file.display, r.line) in bad:
                self.faulty[subject] = (r.file.display, 0 if classless else r.line)
        self.decided = list(_decided(tables, self.lacking, self.invalid_key))

    def target(self, row: Row, column: Column, target: str) -> None:
        """Note a reference to a record whose row has a violation (or could not be read)."""
        if at := self.faulty.get(target):
            self.references.setdefault(at, set()).add((row.file.display, row.line, column.name))

    def reference(self, row: Row, column: Column, value: str) -> bool:
        """True (and noted) for a reference to no record where a table it may name was not read,
        or a row that could not be read may define it. A declared count of such a record is not
        checked either. A study that is nowhere is noted too (False: the reference is mapped and
        the shapes report it, unless several rows name that study)."""
        about: list[_About] = [f.display for k in column.ref for f in self.unread.get(_TABLE_OF[k], [])]
        about += [at for k in column.ref if (at := self.skipped.get(record_iri(k, row.study, value)))]
        if not about and column.ref != ("study",):
            return False
        if any(self.exists(k, row.study if k in _SCOPED else None, value) for k in column.ref):
            return False
        cell = (row.file.display, row.line, column.name)
        if not about:
            self.studies.setdefault(value, set()).add(cell)
            return False
        for key in about:
            self.references.setdefault(key, set()).add(cell)
            if row.table.name == "declared_counts":
                self.counts.setdefault(key, set()).add((row.file.display, row.line, "value"))
        return True

    def count(self, row: Row) -> None:
        """Note a declared count whose records are listed in a table that was not read, or not
        all read (a row of it, or a column that places them): the study's own records, for the
        tables that hold a study's records (themes …), or any (cities …)."""
        cell = (row.file.display, row.line, "value")
        for table in _COUNTED_IN.get(row.get("quantity"), ()):
            about: list[_About] = [f.display for f in self.unread.get(table, []) if table not in _OWN
                                   or row.study in self.scope[f.display] or not self.scope[f.display]]
            if not about and (at := self.partial.get(_counted(table, row.study))):
                about.append(at)
            for key in about:
                self.counts.setdefault(key, set()).add(cell)

    def findings(self) -> Iterator[Finding]:
        """One note per file that was not read, or row or file whose records could not be checked,
        that something refers to or counts; one per file whose rows decide checks of other
        records it kept from being made; one violation per study that several rows name and no
        studies.csv has."""
        yield from self._notes()
        yield from self._decisions()
        for study, cells in sorted(self.studies.items()):
            if len(cells) < 2:  # one row: the shape's finding at its cell says it
                continue
            file, line, column = min(cells)
            fix = "its row to studies.csv" if self.folder_of[file] in self.with_studies else "studies.csv with its row"
            named = where(cells, beside=file)
            yield Finding(Severity.VIOLATION, f"No study {study} in studies.csv (the graph's, or the submission's "
                          f"own): add {fix}, or correct the study column ({len(cells)} rows name it: {named}).",
                          file=file, row=line, column=column, value=study, shape=CHECK, focus=iris.study(study),
                          covers=frozenset(cells))

    def _notes(self) -> Iterator[Finding]:
        for about in sorted({*self.references, *self.counts}, key=lambda a: (a, 0) if isinstance(a, str) else a):
            refs, counts = self.references.get(about, set()), self.counts.get(about, set())
            if isinstance(about, str):  # a file that was not read
                f = self.files[about]
                files = ", ".join(sorted({file.rsplit("/", 1)[-1] for file, _, _ in refs}))
                yield _note(refs, f"{f.table}.csv (in {files})", counts,
                            f"of its records ({where(counts, beside=f.display)})",
                            f"{_unread(f)} and validate again to check them", file=f.display, row=None)
                continue
            file, line = about
            if line:
                why = ("the row could not be read" if about in self.skipped.values() and about not in self.invalid_key
                       else "the row has a violation")
                what, counted = "this row's record", f"of the records of {file.rsplit('/', 1)[-1]}"
            else:
                why = f"its header lacks {_columns(self.lacking[file])}"
                what, counted = "the records of this table", "of its records"
            yield _note(refs, f"{what} ({where(refs, beside=file)})", counts,
                        f"{counted} ({where(counts, beside=file)})",
                        f"{why}. Fix it and validate again to check them", file=file, row=line or None)

    def _decisions(self) -> Iterator[Finding]:
        for f, why, affected in self.decided:
            parts, covers = [], set()
            for decided, records in affected:
                cells = {(r.file.display, r.line, shape) for r in records for shape in decided.shapes}
                n = len({(r.file.display, r.line) for r in records})
                one = (decided.one if n == 1 else decided.many).format(n=n)
                parts.append(f"{one} ({where(cells, beside=f.display)})")
                covers |= cells
            (decided, records), *others = affected
            verb = "was" if not others and decided.singular and len(records) == 1 else "were"
            text = " and ".join(parts)
            yield Finding(Severity.INFO, f"{text[0].upper()}{text[1:]} {verb} not checked: {why} and validate again "
                          "to check them.", file=f.display, shape=CHECK, covers=frozenset(covers))


_Affected = list[tuple[_Decided, list[Row]]]


def _decided(tables: TableSet, lacking: dict[str, list[str]],
             invalid_key: set[tuple[str | None, int | None]]) -> Iterator[tuple[DataFile, str, _Affected]]:
    """Each file whose rows decide checks of other records (see ``_DECIDES``) and could not all be
    read, why (and what to do first), and the records of its folder whose checks it decides."""
    for source in tables.sources:
        for f in (f for f in source.files if f.table in _DECIDES):
            skipped = [r for r in source.skipped if r.file == f]
            affected: _Affected = []
            for decided in _DECIDES[f.table]:
                kind = TABLES[f.table].column(decided.column).ref[0]
                every = not f.readable or decided.column in lacking[f.display]  # every record of the folder
                named = {record_iri(kind, r.study, r.get(decided.column)) for r in skipped}
                records = [r for r in source.rows if r.table.record == kind and (every or subject_of(r) in named)]
                if records:
                    affected.append((decided, records))
            if not affected:
                continue
            if not f.readable:
                yield f, _unread(f), affected
                continue
            reasons = [f"its header lacks {_columns(lacking[f.display])}"] if lacking[f.display] else []
            for rows, what in (([r for r in skipped if (f.display, r.line) not in invalid_key], "could not be read"),
                               ([r for r in skipped if (f.display, r.line) in invalid_key], "has an invalid key")):
                lines = ", ".join(str(r.line) for r in rows)
                if rows:
                    reasons.append(f"the rows on lines {lines} {what.replace('has', 'have')}" if len(rows) > 1 else
                                   f"the row on line {lines} {what}")
            fix = "them" if len(skipped) > 1 and not lacking[f.display] else "it"
            yield f, f"{', and '.join(reasons)}. Fix {fix}", affected


def _counted(table: str, study: str | None) -> tuple[str, str | None]:
    """The key under which the counts of ``table``'s records of ``study`` are noted."""
    return table, study if table in _OWN else None


def _columns(names: list[str]) -> str:
    """``the column 'kind'``, ``the columns 'kind' and 'code'``."""
    return f"the column{'s' * (len(names) > 1)} {' and '.join(map(repr, names))}"


def _note(refs: set[_Cell], what: str, counts: set[_Cell], counted: str, why: str, *, file: str,
          row: int | None) -> Finding:
    """The note that ``refs`` to ``what`` and ``counts`` (``counted``) were not checked, and ``why``."""
    parts = [f"{len(refs)} reference{'s' * (len(refs) != 1)} to {what}"] if refs else []
    parts += [f"{len(counts)} declared count{'s' * (len(counts) != 1)} {counted}"] if counts else []
    verb = "was" if len(refs) + len(counts) == 1 else "were"
    return Finding(Severity.INFO, f"{' and '.join(parts)} {verb} not checked: {why}.", file=file, row=row,
                   shape=CHECK, covers=frozenset(refs | counts))


def where(cells: set[tuple[str, int, str]], *, beside: str | None = None) -> str:
    """Where ``cells`` (file, line, column) are: ``strategy_factors.csv lines 2, 3; strategy_actions.csv line 4``:
    files by name in the folder of the file ``beside`` (of the finding that says it), or where all
    are in one folder; by path elsewhere.

    >>> where({("a/x.csv", 2, "c"), ("b/y.csv", 3, "c")}), where({("b/y.csv", 2, "c")}, beside="a/x.csv")
    ('a/x.csv line 2; b/y.csv line 3', 'b/y.csv line 2')
    """
    by_file = _lines_by_file(cells)
    folders = {beside.rpartition("/")[0]} if beside else {name.rpartition("/")[0] for name, _ in by_file}
    return "; ".join(f"{name.rsplit('/', 1)[-1] if {name.rpartition('/')[0]} == folders else name} "
                     f"line{'s' * (len(lines) > 1)} {', '.join(map(str, lines))}" for name, lines in by_file)


def _unread(f: DataFile) -> str:
    """Why the references into a table were not checked, and what to do first."""
    if not f.misnamed:
        return "the table could not be read. Fix it"
    name = f.display.rsplit("/", 1)[-1]
    fix = "Rename" if name.strip().lower() == f.table + ".csv" else f"If it is the {f.table} table, rename"
    return f"citykg does not read a file named {name}, and there is no {f.table}.csv. {fix} it to {f.table}.csv"


def _lines_by_file(cells: set[_Cell]) -> list[tuple[str, list[int]]]:
    """The lines of ``cells`` by file, sorted."""
    lines: dict[str, set[int]] = {}
    for file, line, _ in cells:
        lines.setdefault(file, set()).add(line)
    return [(file, sorted(lines[file])) for file in sorted(lines)]


def subject_of(row: Row) -> str:
    """The IRI of the record a row defines."""
    table = row.table
    key = [v for v in row.key() if v]
    if table.name == "studies":
        return iris.study(row.get("id"))
    if table.in_study and row.get("study"):  # a partnership may have no study: then it is shared
        return iris.study_entity(row.get("study"), table.record, *key)
    return iris.entity(table.record, *key)


def record_iri(kind: str, study: str | None, value: str) -> str:
    """The IRI of the record of ``kind`` that ``value`` names, in ``study`` for a study's records."""
    if kind == "study":
        return iris.study(value)
    if kind in _SCOPED and study:
        return iris.study_entity(study, kind, value)
    return iris.entity(kind, value)
