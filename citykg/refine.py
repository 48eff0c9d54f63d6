"""Findings made plainer once the shapes have run, with the rows they are about at hand.

:mod:`citykg.shacl` points each result of the shapes at a row and at the columns its property
comes from; the tables show more, and :func:`refine` says it:

- a finding about a property that two columns state (a partnership's ``city_a/city_b``) names
  the column that holds its value;
- a reference to no record, whose value differs from the key of one only in case (``Tabriz``,
  where the graph has ``tabriz``: keys are matched exactly), says which it meant: ``did you mean
  'tabriz'?``; and, as the one cause, it accounts for what that record then seems to lack (an
  action that no strategy lists, see :func:`citykg.unchecked.decided_shapes`);
- a record whose key breaks a shape (the strength ``s1``: a strength's code is S and its number)
  accounts for the references that miss it only by case (the citations of ``S1``), which would
  each dangle, and for what the record then seems to lack: one cause, one finding (see
  :attr:`citykg.report.Finding.covers`), which names those rows.

Example::

    >>> from citykg.schema import TABLES
    >>> from citykg.tables import DataFile
    >>> row = Row(TABLES["studies"], DataFile("new", "studies", "new/studies.csv", ""), 2,
    ...           {"id": "new-2025", "city": "Tabriz"})
    >>> f = Finding(Severity.VIOLATION, "The studied city is not a city of the graph.",
    ...             file="new/studies.csv", row=2, column="city", value="Tabriz")
    >>> [found] = refine([f], [row], {"https://w3id.org/citykg/id/city/tabriz"})
    >>> found.message
    "The studied city is not a city of the graph. Ids and codes match only in the same case: did you mean 'tabriz'?"
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from urllib.parse import unquote

from citykg.header import REQUIRED
from citykg.report import Finding, Severity
from citykg.schema import Kind
from citykg.tables import Row
from citykg.unchecked import decided_shapes, record_iri, subject_of, where

__all__ = ["refine"]

_Cell = tuple[str, int, str]


@dataclass(frozen=True)
class _Reference:
    """A finding's cell that names no record: its row, column and the IRIs the value may name."""

    row: Row
    column: str
    value: str
    #: (the IRI the value would have, the IRI of a record of that kind with no key yet)
    targets: tuple[tuple[str, str], ...]

    @property
    def cell(self) -> _Cell:
        return self.row.file.display, self.row.line, self.column


def refine(findings: Iterable[Finding], rows: Iterable[Row], records: Collection[str]) -> list[Finding]:
    """The findings, said more plainly where ``rows`` show what they are about (see the module's
    description); their :attr:`~citykg.report.Finding.covers` leave out, in
    :meth:`citykg.report.Report.of`, the shapes' findings that follow from the same cause.

    :param findings: the findings of the tables, the mapper and the shapes.
    :param rows: the rows read (of the graph and of the input), by which findings are located.
    :param records: the IRIs of the records the graph has, with the input's
        (:func:`citykg.additions.records`).
    """
    rows = list(rows)
    at = {(r.file.display, r.line): r for r in rows}
    defined = {subject_of(r): r for r in rows}
    folded: dict[str, list[str]] = {}  # a record IRI in lower case → the records' IRIs
    for iri in records:
        folded.setdefault(iri.lower(), []).append(iri)
    out = [_narrowed(f, at) for f in findings]
    broken = _broken_keys(out, at)
    cited: dict[int, list[_Reference]] = {}  # a finding at a broken key → the references missing it by case
    for i, f in enumerate(out):
        ref = _reference(f, at, records)
        if ref is None:
            continue
        meant = [(m, prefix) for t, prefix in ref.targets for m in _variants(t, prefix, folded)]
        named = [t for t, _ in ref.targets] + [m for m, _ in meant]  # (a record without its type: the target)
        owner = next((broken[m][0] for m in named if m in broken), None)
        if owner is not None:
            cited.setdefault(owner, []).append(ref)
        elif meant:
            keys = " or ".join(sorted({repr(unquote(m[len(prefix):])) for m, prefix in meant}))
            covers = {(r.file.display, r.line, shape) for m, _ in meant if (r := defined.get(m))
                      for shape in decided_shapes(ref.row.table.name, ref.column)}
            out[i] = replace(f, message=f"{f.message} Ids and codes match only in the same case: did you mean "
                             f"{keys}?", covers=f.covers | covers)
    rows_of = dict(broken.values())
    for i, refs in cited.items():
        out[i] = _accounting(out[i], rows_of[i], refs)
    return out


def _narrowed(f: Finding, at: dict[tuple[str, int], Row]) -> Finding:
    """The finding at the one of its columns (``city_a/city_b``) whose cell holds its value."""
    if not (f.file and f.row and f.column and f.value is not None and "/" in f.column):
        return f
    row = at.get((f.file, f.row))
    if row is None:
        return f
    columns = f.column.split("/")
    holding = [c for c in columns if row.get(c) == f.value]
    return replace(f, column="/".join(holding)) if holding and len(holding) < len(columns) else f


def _broken_keys(findings: list[Finding], at: dict[tuple[str, int], Row]) -> dict[str, tuple[int, Row]]:
    """The records whose key breaks a shape, or whose type (a required choice) is left out, by IRI:
    the index of the first such finding, and the row."""
    out: dict[str, tuple[int, Row]] = {}
    for i, f in enumerate(findings):
        row = at.get((f.file, f.row)) if f.file and f.row else None
        if (row is not None and f.by_shape and f.severity is Severity.VIOLATION and f.value is not None
                and row.table.key == (f.column,) and row.get(row.table.key[0]) == f.value) or (
                row is not None and f.shape == REQUIRED):
            out.setdefault(subject_of(row), (i, row))
    return out


def _reference(f: Finding, at: dict[tuple[str, int], Row], records: Collection[str]) -> _Reference | None:
    """The reference a violation is at, if its value names no record the graph has."""
    row = at.get((f.file, f.row)) if f.file and f.row else None
    if row is None or f.severity is not Severity.VIOLATION or not f.column or f.value is None:
        return None
    column = next((c for c in row.table.columns if c.name == f.column), None)
    if column is None or column.kind is not Kind.REF or row.get(column.name) != f.value:
        return None
    targets = tuple((record_iri(kind, row.study, f.value), record_iri(kind, row.study, "")) for kind in column.ref)
    if any(t in records for t, _ in targets):
        return None
    return _Reference(row, column.name, f.value, targets)


def _variants(target: str, prefix: str, folded: dict[str, list[str]]) -> list[str]:
    """The records whose IRI differs from ``target`` only in the case of its key."""
    return [m for m in folded.get(target.lower(), [])
            if m != target and m.startswith(prefix) and "/" not in m[len(prefix):]]


def _accounting(f: Finding, row: Row, refs: list[_Reference]) -> Finding:
    """A finding at the broken key of ``row``, which accounts for the references that miss it
    only by case and for the checks of its record that they decide."""
    cells = {ref.cell for ref in refs}
    covers = cells | {(row.file.display, row.line, shape) for ref in refs
                      for shape in decided_shapes(ref.row.table.name, ref.column)}
    values = " or ".join(sorted({repr(ref.value) for ref in refs}))
    one = len({c[:2] for c in cells}) == 1
    said = (f"The row that cites it as {values} ({where(cells)}) is" if one else
            f"The rows that cite it as {values} ({where(cells)}) are")
    return replace(f, message=f"{f.message} {said} checked once the {f.column} is fixed.",
                   covers=f.covers | frozenset(covers))
