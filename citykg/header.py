"""The header of a source table: whether it names the table's columns, and one finding per problem.

:func:`check_header` reads the header row of a CSV table (see :mod:`citykg.tables`) against the
table's columns (:mod:`citykg.schema`): a header separated by semicolons or tabs, names right but
for their case, columns repeated, unknown (with the name meant) or missing (with the unknown name
that seems to be it). A header that names no column of its table is one finding, saying which
table's columns they are, if another's.

Example::

    >>> from citykg.schema import TABLES
    >>> [finding] = check_header(["study", "code", "kind"], TABLES["cities"], "cities.csv", 1)
    >>> finding.message.split(". ")[-1]
    'These are columns of a factors table: is the file meant to be factors.csv?'
"""

from __future__ import annotations

import difflib

from citykg.errors import a_or_an
from citykg.report import Finding, Severity
from citykg.schema import TABLES, Table

__all__ = ["REQUIRED", "TABLE_FORMAT", "TWICE", "check_header", "foreign_header", "key_columns", "violation"]

#: The shape of the loader's findings about a table: its encoding, header, rows and cells.
TABLE_FORMAT = "citykg:table-format"
#: The shape of a header that names a column twice: which of the two cells a row means is unknown
TWICE = TABLE_FORMAT + "/column-twice"
#: The shape of a required choice left empty (a factor's kind: the record's class)
REQUIRED = TABLE_FORMAT + "/required"


def violation(message: str, file: str, row: int | None = None, column: str | None = None, *,
              value: str | None = None, shape: str = TABLE_FORMAT) -> Finding:
    """A violation of a table's form (of its file, header, row or cell)."""
    return Finding(Severity.VIOLATION, message, file=file, row=row, column=column, value=value, shape=shape)


def key_columns(table: Table) -> set[str]:
    """The required columns that identify a row's record (its key, and its study)."""
    return {c.name for c in table.columns if c.required and (c.name in table.key or c.name == "study")}


def check_header(header: list[str], table: Table, display: str, line: int) -> list[Finding]:
    """The findings about the header of a ``table`` read from ``display`` (at ``line``): the wrong
    delimiter, names of the wrong case, repeated, unknown and missing columns, or no column of the
    table at all (one finding then, see :func:`foreign_header`)."""
    expected = [c.name for c in table.columns]
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        sep = "semicolons" if ";" in header[0] else "tabs"
        return [violation(f"The header is separated by {sep}; citykg tables are comma-separated CSV. Export the "
                           "sheet as CSV with commas.", display, line)]
    # names that are right but for their case or spaces: one finding that says how to rename them
    renames = {name: name.strip().lower() for name in header
               if name not in expected and name.strip().lower() in expected}
    if not renames and all(name not in expected for name in header):
        return [foreign_header(header, table, display, line)]
    findings = []
    if renames:
        listed = ", ".join(f"{old!r} to {new!r}" for old, new in renames.items())
        findings.append(violation(f"Column names are lower case, without spaces: rename {listed}.", display, line,
                                   ",".join(renames)))
    absent = [c for c in expected if c not in header and c not in renames.values()]
    meant: dict[str, str] = {}  # an absent column → the unknown name that seems to be it
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if name in seen and name.strip():  # (each nameless column is named below)
            findings.append(violation(f"Column {name!r} appears twice in the header: rename or remove one (the "
                                      "table is not read until then).", display, line, name, shape=TWICE))
        seen.add(renames.get(name, name))
        if name not in expected and name not in renames:
            close = difflib.get_close_matches(name.strip(), absent, n=1)  # a name the header lacks
            if close and table.column(close[0]).required and close[0] not in meant:
                meant[close[0]] = name  # one slip, one finding: the missing column's, below
                continue
            hint = f" Did you mean {close[0]!r}?" if close else ""
            message = (f"Unknown column {name!r} in {a_or_an(table.name)} table.{hint}" if name.strip() else
                       f"Column {position} of the header has no name (a comma too many?): remove it, "
                       "or name the column.")
            findings.append(violation(message, display, line, name))
    for column in table.columns:
        if column.required and column.name not in seen:
            hint = (f" The header's {meant[column.name]!r} is no column of {a_or_an(table.name)} table: if it is "
                    f"{column.name!r}, rename it." if column.name in meant else "")
            findings.append(violation(f"Required column {column.name!r} is missing: {column.doc}{hint}", display,
                                       line, column.name))
    return findings


def foreign_header(header: list[str], table: Table, display: str, line: int) -> Finding:
    """The one finding about a header that names no column of its table: another table's, or none."""
    text = ",".join(header) if len(",".join(header)) <= 60 else ",".join(header)[:59] + "…"
    other = [t.name for t in TABLES.values() if {n.strip().lower() for n in header} <= {c.name for c in t.columns}]
    fix = (f"These are columns of {a_or_an(other[0])} table: is the file meant to be {other[0]}.csv?" if len(other) == 1
           else "If it is a row of data, add the header above it; otherwise name the columns as expected.")
    return violation(f"No column of the header is {a_or_an(table.name)} column; expected "
                      f"{', '.join(c.name for c in table.columns)}. The first row reads {text!r}. {fix}", display, line)
