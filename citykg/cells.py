"""What a cell of a source table may hold, and what a cell that holds something else meant.

:mod:`citykg.tables` checks each cell against its column's :class:`~citykg.schema.Kind`; the
functions here say what a key or a date that is not one most likely meant, for its message,
and which cells a spreadsheet would read as a formula.

Example::

    >>> meant_key("S۲"), date_problem("2019-02-30"), date_problem("2019-5-3")
    ('S2', 'February 2019 has 28 days', "write it '2019-05-03'")
"""

from __future__ import annotations

import calendar
import re

from citykg.formats import neutralise
from citykg.names import plain

__all__ = ["KEY", "date_problem", "formula_start", "meant_key"]

#: What a key cell may be: it becomes part of IRIs.
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LOOSE_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?$")


def meant_key(value: str) -> str | None:
    """The key ``value`` means where it has Persian or Arabic digits, full-width forms or invisible
    characters (a zero-width space, a direction mark), or None if it means no key.

    >>> meant_key("S۲"), meant_key("W1\u200b"), meant_key("W 1")
    ('S2', 'W1', None)
    """
    meant = plain(value)
    return meant if meant != value and KEY.match(meant) else None


def date_problem(value: str) -> str | None:
    """What is wrong with a date written YYYY, YYYY-MM or YYYY-MM-DD (or with one-digit month or
    day): a month or day the calendar lacks, or the digits to pad; None for a good date or for
    text of another form (the column's own check reports that).

    >>> date_problem("2019-13"), date_problem("2019-02-28"), date_problem("2019")
    ('there is no month 13', None, None)
    """
    found = _LOOSE_DATE.match(value)
    if not found:
        return None
    year, month, day = int(found[1]), int(found[2] or 1), int(found[3] or 1)
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{calendar.month_name[month]} {year} has {days} days"
    padded = "-".join(filter(None, (found[1], found[2] and f"{month:02d}", found[3] and f"{day:02d}")))
    return f"write it {padded!r}" if padded != value else None


def formula_start(cell: str) -> str | None:
    """The character that makes a spreadsheet read the cell as a formula, if any: exactly the
    cells that citykg's CSV output neutralises (:func:`citykg.formats.neutralise`), whether as
    written or once the spaces around it are stripped. Numbers such as ``-5`` are not formulas."""
    for text in (cell, cell.strip()):
        if neutralise(text) != text:
            return text[0]
    return None
