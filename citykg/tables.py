"""Read folders of source tables (CSV) and check their form.

This is the first stage of a build. It reads every ``*.csv`` of a data folder as the table of
the same name (see :mod:`citykg.schema`), and reports what keeps a row from becoming RDF:
unknown tables and columns, missing required columns, rows with the wrong number of fields,
empty keys, values outside a fixed list, duplicate records. Everything else (datatypes,
references, cardinalities, TOWS rules) is checked by the SHACL shapes after the build, so each
problem is reported once.

Blank rows are skipped, and so are comment rows: rows whose first cell starts with ``#``
(``citykg template`` writes its example row as a comment). Line numbers stay those of the file.

A file that cannot be read at all (not UTF-8, broken quoting, too large) raises
:class:`~citykg.errors.InputError`.

A header that names no column of its table is one finding, and so is a missing column (it covers
the column's cells). A table refused for its name (``Factors.CSV``) or lacking a key column is not
read, a row with the wrong number of fields is kept aside (:attr:`Source.skipped`), and
:mod:`citykg.rdfmap` notes the references to them, once.

Example::

    >>> from pathlib import Path
    >>> tables = read_tables([Path("data/mashhad-oic")])
    >>> sum(1 for r in tables.rows("factors"))
    39
    >>> tables.report.conforms
    True
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from citykg.cells import KEY, date_problem, formula_start, meant_key
from citykg.errors import InputError, a_or_an, is_utf16, not_utf8
from citykg.header import REQUIRED, TABLE_FORMAT, TWICE, check_header, key_columns
from citykg.header import violation as _violation
from citykg.names import LATIN_DIGITS
from citykg.report import Finding, Report, Severity
from citykg.schema import TABLES, Kind, Table

__all__ = ["DUPLICATE", "MAX_TABLE_BYTES", "TABLE_FORMAT", "DataFile", "Row", "Source", "TableSet", "read_tables"]

#: Tables larger than this are refused (a typical study table is a few kB).
MAX_TABLE_BYTES = 20 * 1024 * 1024
# Arabic letters an Arabic keyboard types where Persian writes its own (data/README.md: standard orthography)
_ARABIC = {"\u064a": "\u06cc", "\u0643": "\u06a9"}  # ي → ی, ك → ک
_EASTERN_DIGITS = re.compile("[\u06f0-\u06f9\u0660-\u0669]")  # ۰–۹ (Persian), ٠–٩ (Arabic)
#: The shape of the finding about a row that defines a record again (the row is left out).
DUPLICATE = TABLE_FORMAT + "/duplicate"


@dataclass(frozen=True)
class DataFile:
    """One CSV file of a data folder."""

    folder: str
    table: str
    display: str
    sha256: str
    #: False when no row could be read: the file is empty, its header is unusable or lacks a key
    #: column, or citykg does not read a file of its name (:attr:`misnamed`; the report says why).
    #: References into the table are then not checked (see :mod:`citykg.rdfmap`).
    readable: bool = True
    #: The required columns its header lacks; the rows are read without them.
    missing: tuple[str, ...] = ()

    @property
    def misnamed(self) -> bool:
        """True for a file not read for its name (``Factors.CSV``), which seems to be this table."""
        return self.display.rsplit("/", 1)[-1] != self.table + ".csv"


@dataclass(frozen=True)
class Row:
    """One data row, with where it was read."""

    table: Table
    file: DataFile
    line: int
    values: Mapping[str, str]

    def get(self, column: str) -> str:
        """The cell of that column, stripped; empty if the column is absent."""
        return (self.values.get(column) or "").strip()

    @property
    def study(self) -> str | None:
        """The study the row belongs to, for study tables."""
        if self.table.name == "studies":
            return self.get("id")
        return (self.get("study") or None) if self.table.in_study else None

    def key(self) -> tuple[str, ...]:
        """The values that identify the row's record (a symmetric pair in sorted order)."""
        key = tuple(self.get(c) for c in self.table.key)
        return (*sorted(key[:2]), *key[2:]) if self.table.symmetric else key


@dataclass(frozen=True)
class Source:
    """One data folder: it becomes one named graph."""

    name: str
    files: tuple[DataFile, ...]
    rows: tuple[Row, ...]
    #: Rows with the wrong number of fields (cells taken in order): no records, but what they seem
    #: to define is known, so references to it are not reported as dangling.
    skipped: tuple[Row, ...] = ()


@dataclass(frozen=True)
class TableSet:
    """The tables of one or more data folders, with the problems found in reading them."""

    sources: tuple[Source, ...]
    report: Report

    def rows(self, table: str | None = None) -> Iterator[Row]:
        """All rows, or the rows of one table, in file order."""
        for source in self.sources:
            for row in source.rows:
                if table is None or row.table.name == table:
                    yield row

    def records(self) -> set[tuple[str, str | None, str]]:
        """``(record kind, study, key)`` of every record defined by a row."""
        return {_record_id(row) for row in self.rows()}


def read_tables(folders: Iterable[Path], *, root: Path | None = None, left_out: Collection[Path] = ()) -> TableSet:
    """Read data folders into a :class:`TableSet`.

    A row that defines a record again (the same key, in any folder read before it) is reported
    as a duplicate and left out of the sources, so nothing else is reported about it.

    :param folders: the folders to read; each becomes one source named after the folder.
    :param root: paths in findings are shown relative to this folder (default: as given).
    :param left_out: files of these folders left out for their name (``Factors.CSV``: the intake
        reports them and does not copy them): the tables they seem to be are marked as not read.
    :raises InputError: if a file cannot be read (encoding, quoting, size).
    """
    sources: list[Source] = []
    findings: list[Finding] = []
    for folder in folders:
        source, found = _read_folder(folder, root, [p for p in left_out if p.parent.resolve() == folder.resolve()])
        sources.append(source)
        findings += found
    found, repeated = _duplicates(row for s in sources for row in s.rows)
    findings += found
    if repeated:  # a repeated record is reported once, not again by every shape it then breaks
        sources = [replace(s, rows=tuple(r for r in s.rows if id(r) not in repeated)) for s in sources]
    return TableSet(tuple(sources), Report.of(findings))


def _display(path: Path, root: Path | None) -> str:
    if root is not None and path.resolve().is_relative_to(root.resolve()):
        return path.resolve().relative_to(root.resolve()).as_posix()
    return path.as_posix()


def _read_folder(folder: Path, root: Path | None, left_out: list[Path]) -> tuple[Source, list[Finding]]:
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of CSV tables.")
    files: list[DataFile] = []
    rows: list[Row] = []
    skipped: list[Row] = []
    findings: list[Finding] = []
    refused = list(left_out)  # files not read for their name
    for path in sorted(p for p in folder.glob("*.[cC][sS][vV]")
                       if not p.name.endswith(".csv") and not p.name.startswith(".")):
        refused.append(path)
        findings.append(_violation(f"{path.name} is not read: citykg reads tables named in lower case with the "
                                   f"extension .csv. Rename it to {path.name.lower()}.", _display(path, root)))
    for path in sorted(folder.glob("*.csv")):
        display = _display(path, root)
        table = TABLES.get(path.stem)
        if table is None:
            refused.append(path)
            close = difflib.get_close_matches(path.stem, TABLES, n=1)
            hint = f" Did you mean {close[0] + '.csv'!r}?" if close else ""
            findings.append(_violation(f"Unknown table {path.name!r}: citykg does not read it.{hint} "
                                       f"Tables are: {', '.join(sorted(TABLES))}.", display))
            continue
        data = _read_bytes(path, display)
        datafile, new_rows, new_skipped, found = _parse(
            data, table, DataFile(folder.name, table.name, display, hashlib.sha256(data).hexdigest()))
        files.append(datafile)
        rows += new_rows
        skipped += new_skipped
        findings += found
    for path in refused:  # the table a refused file seems to be is not read, unless another file is it
        meant = difflib.get_close_matches(path.name.rsplit(".", 1)[0].strip().lower(), TABLES, n=1, cutoff=0.75)
        if meant and meant[0] not in {f.table for f in files}:
            files.append(DataFile(folder.name, meant[0], _display(path, root), "", readable=False))
    return Source(folder.name, tuple(files), tuple(rows), tuple(skipped)), findings


def _read_bytes(path: Path, display: str) -> bytes:
    size = path.stat().st_size
    if size > MAX_TABLE_BYTES:
        raise InputError(
            f"{display} is {size / 2**20:.1f} MiB; citykg reads tables up to "
            f"{MAX_TABLE_BYTES // 2**20} MiB. Split it or check that it is the right file.")
    return path.read_bytes()


def _decode(data: bytes, display: str) -> tuple[str, list[Finding]]:
    findings = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        findings.append(Finding(Severity.INFO, "The file starts with a UTF-8 byte-order mark; "
                                "citykg ignores it.", file=display, row=1, shape=TABLE_FORMAT))
    if is_utf16(data):
        raise InputError(f"{display} is UTF-16; citykg tables are UTF-8. "
                         "Save it as 'CSV UTF-8' and try again.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(not_utf8(display, data, exc, save_as="'CSV UTF-8'")) from exc
    if "\x00" in text:
        raise InputError(f"{display} contains NUL bytes; it is not a text CSV file.")
    return text, findings


def _parse_error(display: str, error: str, start: int, end: int) -> str:
    """Say where a CSV stops parsing and what usually causes it (``start``: the record's first line)."""
    if "field larger than field limit" in error:
        return (f"{display}, line {start}: a cell is longer than {csv.field_size_limit() // 1024} KiB, "
                "the most citykg reads in one cell. Shorten it, or check for a quote that is never closed.")
    if "unexpected end of data" in error or end > start:
        runs = f" (it runs on to line {end}, where the file ends)" if end > start else ""
        return (f"{display}, line {start}: the quoted cell that starts on this line is never closed{runs}. "
                "Close it with a \", or double a quote inside a cell (\"\").")
    return (f"{display}, line {start}: the CSV cannot be parsed ({error}). A quote inside a cell must "
            "be doubled (\"\") and the whole cell quoted, as in \"say \"\"hi\"\"\".")


def _parse(data: bytes, table: Table, datafile: DataFile) -> tuple[DataFile, list[Row], list[Row], list[Finding]]:
    """The file (with whether its rows could be read at all, and the columns its header lacks),
    its rows, the rows with the wrong number of fields (:attr:`Source.skipped`), and the problems."""
    text, findings = _decode(data, datafile.display)
    display = datafile.display
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for fields in reader:
            records.append((line, fields))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(_parse_error(display, str(exc), line, reader.line_num)) from exc
    # Blank rows and comment rows (first cell starting with '#', as in `citykg template`) are
    # skipped; no key can start with '#', so a comment never hides a record.
    records = [(n, f) for n, f in records
               if any(cell.strip() for cell in f) and not f[0].lstrip().startswith("#")]
    if not records:
        findings.append(_violation(f"The file is empty; {a_or_an(table.name)} table needs at least its header row.",
                                   display, 1))
        return replace(datafile, readable=False), [], [], findings
    header_line, header = records[0]
    header_problems = check_header(header, table, display, header_line)
    findings += header_problems
    if any(f.severity is Severity.VIOLATION and (f.column is None or f.shape == TWICE) for f in header_problems):
        return replace(datafile, readable=False), [], [], findings
    expected = {c.name for c in table.columns}  # read columns misnamed only by case as meant (reported above)
    header = [name if name in expected else name.strip().lower() for name in header]
    missing = tuple(c.name for c in table.columns if c.required and c.name not in header)
    datafile = replace(datafile, missing=missing, readable=not set(missing) & key_columns(table))
    if not datafile.readable:  # no row can be told from another
        return datafile, [], [], findings
    rows, skipped = [], []
    for line, fields in records[1:]:
        row = Row(table, datafile, line, dict(zip(header, fields, strict=False)))
        if len(fields) != len(header):
            findings.append(_violation(f"The row has {len(fields)} fields but the header has {len(header)}. "
                                       "Quote cells that contain commas.", display, line))
            if all(KEY.match(row.get(c)) for c in key_columns(table)):
                skipped.append(row)
            continue
        problems = _check_row(row)
        findings += problems
        if not any(p.severity is Severity.VIOLATION and p.shape == TABLE_FORMAT + "/key" for p in problems):
            rows.append(row)
        elif meant := {c: m for c in key_columns(table) if (m := meant_key(row.get(c)))}:
            meaning = replace(row, values={**row.values, **meant})  # S۲ is no key, but references to S2 meant it
            if all(KEY.match(meaning.get(c)) for c in key_columns(table)):
                skipped.append(meaning)
    # a missing column is one finding, not one more at each row that lacks its cell
    lines = [r.line for r in rows]
    findings = [replace(f, covers=frozenset((display, n, f.column) for n in lines))
                if f.row == header_line and f.column in missing else f for f in findings]
    return datafile, rows, skipped, findings


def _check_row(row: Row) -> list[Finding]:
    findings = []
    display = row.file.display
    keys = key_columns(row.table)
    for column in row.table.columns:
        value = row.get(column.name)
        if column.name in keys and not KEY.match(value):
            if not value:
                message = f"The {column.name} is empty, and it is required: {column.doc}"
            elif column.kind is Kind.ENUM:  # (such as 'sister city')
                meant = column.meant(value)
                hint = f" Did you mean {meant!r}?" if meant else ""
                message = f"{value!r} is not an allowed {column.name}.{hint} Allowed: {', '.join(column.choices)}."
            elif meant := meant_key(value):  # (S۲, or S2 with a zero-width space: a reference to S2 meant it)
                message = (f"Key column {column.name!r} {value!r} is not a valid key: write {meant!r} (Latin digits, "
                           "and no invisible characters).")
            else:
                message = (f"Key column {column.name!r} {value!r} is not a valid key: use Latin letters A–Z, digits "
                           "0–9, '.', '_' and '-' (starting with a letter or digit).")
            findings.append(_violation(message, display, row.line, column.name, value=value or None,
                                       shape=TABLE_FORMAT + "/key"))
        elif column.kind is Kind.ENUM and column.required and not value and column.name not in row.file.missing:
            # (no shape sees a record's class left out; a missing column is reported once, at the header)
            findings.append(_violation(f"The {column.name} is empty, and it is required: one of "
                                       f"{', '.join(column.choices)}.", display, row.line, column.name,
                                       shape=REQUIRED))
        elif column.kind is Kind.ENUM and value and value not in column.choices:
            meant = column.meant(value)
            hint = f" Did you mean {meant!r}?" if meant else ""
            findings.append(_violation(f"{value!r} is not an allowed {column.name}.{hint} Allowed: "
                                       f"{', '.join(column.choices)}.", display, row.line, column.name, value=value))
        elif column.kind in (Kind.COUNT, Kind.POSITIVE, Kind.YEAR, Kind.DATE) and _EASTERN_DIGITS.search(value):
            latin = value.translate(LATIN_DIGITS)
            year = int(latin[:4]) if column.kind in (Kind.YEAR, Kind.DATE) and latin[:4].isdigit() else 0
            fix = (f"Latin digits and in the Gregorian calendar ({year} SH began in March {year + 621})"
                   if 1300 <= year <= 1450 else f"Latin digits ({latin!r})")  # (a Solar Hijri year)
            findings.append(_violation(f"{value!r} is written in Persian or Arabic digits: write {column.name} in "
                                       f"{fix}.", display, row.line, column.name, value=value))
        elif column.kind is Kind.DATE and (problem := date_problem(value)):
            message = (f"{value!r} needs its zeros: {problem} (YYYY, YYYY-MM or YYYY-MM-DD)."
                       if problem.startswith("write") else f"{value!r} is no date: {problem}.")
            findings.append(_violation(message, display, row.line, column.name, value=value))
        elif column.kind is Kind.FA and (arabic := [c for c in _ARABIC if c in value]):
            letters = " and ".join(f"{c} (U+{ord(c):04X}) where Persian writes {_ARABIC[c]} (U+{ord(_ARABIC[c]):04X})"
                                   for c in arabic)
            findings.append(Finding(
                Severity.WARNING, f"The Persian text has the Arabic {letters}: a Persian keyboard types the Persian "
                "letter, and a query for the word as Persian writes it would not find it. Replace it.",
                file=display, row=row.line, column=column.name, value=value, shape=TABLE_FORMAT + "/arabic-letters"))
        elif formula := formula_start(row.values.get(column.name) or ""):
            findings.append(Finding(
                Severity.WARNING,
                f"The cell starts with {formula!r}, which a spreadsheet reads as a formula: a formula "
                "saved instead of its value? Export the values (or start the text otherwise).",
                file=display, row=row.line, column=column.name, value=value, shape=TABLE_FORMAT + "/formula"))
    return findings


def _record_id(row: Row) -> tuple[str, str | None, str]:
    scope = row.study if row.table.in_study else None
    return row.table.record, scope, "/".join(row.key())


def _and(words: Sequence[str]) -> str:
    """``city_a, city_b and type``."""
    return " and ".join(filter(None, (", ".join(words[:-1]), words[-1])))


def _duplicates(rows: Iterable[Row]) -> tuple[list[Finding], set[int]]:
    """A finding for each row that defines a record again, and those rows (by ``id``)."""
    first: dict[tuple[str, str | None, str], Row] = {}
    findings = []
    repeated = set()
    for row in rows:
        rid = _record_id(row)
        if rid in first:
            other = first[rid]
            where = f"line {other.line}" if other.file == row.file else f"{other.file.display}:{other.line}"
            findings.append(_violation(f"Duplicate {row.table.record} {rid[2]!r}: it is already defined on {where}. "
                                       f"Keep one of the two rows, or give this one another {_and(row.table.key)}.",
                                       row.file.display, row.line, ",".join(row.table.key), value=rid[2],
                                       shape=DUPLICATE))
            repeated.add(id(row))
        else:
            first[rid] = row
    return findings, repeated
