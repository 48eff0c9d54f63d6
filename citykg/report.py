"""Validation findings and reports, as the loader and the SHACL validator produce them.

A :class:`Finding` says what is wrong and where: severity, file, row (the line in the file),
column, the offending value, a plain message and the check (shape) that found it. A
:class:`Report` holds the findings of one run, sorted so that its text and JSON are stable.

Example::

    >>> r = Report.of([Finding(Severity.VIOLATION, "Unknown factor 'W10'.", file="a.csv", row=3,
    ...                        column="factor", value="W10", shape="ckg:FactorCitationShape")])
    >>> r.conforms
    False
    >>> print(r.to_text())
    a.csv:3: factor: violation: Unknown factor 'W10'. [ckg:FactorCitationShape]
    1 violation, 0 warnings, 0 info
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import Enum

__all__ = ["Finding", "Report", "Severity"]


class Severity(Enum):
    """How serious a finding is; only violations make data non-conforming."""

    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for violations, 1 for warnings, 2 for info: the sort order of reports."""
        return ("violation", "warning", "info").index(self.value)


@dataclass(frozen=True)
class Finding:
    """One problem in the data, located as precisely as the input allows."""

    severity: Severity
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    shape: str | None = None
    focus: str | None = None
    #: The property a shape's finding is about (``rdfs:label``; ``^ckg:statedIn`` for an inverse
    #: path), for a record not read from a table (an RDF input): it stands where a column would.
    path: str | None = None
    #: The places this finding accounts for, whatever the shapes find there (see
    #: :meth:`Report.of`); not shown in the output. Each is a cell ``(file, row, column)``: a
    #: note that references into a table that could not be read were not checked covers the
    #: cells that hold them, and a missing column the cells it would have in each row. Or, for
    #: the findings a shape makes at a row but in no column (no cell states what it checks,
    #: such as a strategy's TOWS type), ``(file, row, shape)`` with the shape's name in place of
    #: a column: ``("strategies.csv", 2, "ckgsh:SOStrategyShape")`` covers that shape's findings
    #: at that row and no other finding there (see :attr:`anchors`).
    covers: frozenset[tuple[str, int, str]] = field(default=frozenset(), compare=False, repr=False)

    @property
    def cells(self) -> set[tuple[str, int, str]]:
        """The cells the finding is at: its file, row and each of its columns."""
        if not (self.file and self.row and self.column):
            return set()
        return {(self.file, self.row, c) for c in re.split("[,/]", self.column)}

    @property
    def anchors(self) -> set[tuple[str, int, str]]:
        """What another finding's :attr:`covers` names to account for this one: its
        :attr:`cells`; or, for a finding at a row in no column, ``(file, row, shape)``. (Column
        names have no ``:``, shape names do, so the two never meet.)"""
        if self.column or not (self.file and self.row and self.shape):
            return self.cells
        return {(self.file, self.row, self.shape)}

    @property
    def by_shape(self) -> bool:
        """True for a SHACL shape's finding; the loader's and the mapper's are ``citykg:…``."""
        return self.shape is not None and not self.shape.startswith("citykg:")

    def sort_key(self) -> tuple[str, int, str, int, str, str, str, str, str]:
        """Order by place first, so a report reads top to bottom through each file; every field
        counts, so that two findings at one place come in the same order in every run."""
        return (
            self.file or "",
            self.row or 0,
            self.column or "",
            self.severity.rank,
            self.message,
            self.value or "",
            self.shape or "",
            self.focus or "",
            self.path or "",
        )

    def to_dict(self) -> dict[str, object]:
        """The finding as a JSON-ready dict (severity as its name)."""
        data = asdict(self)
        del data["covers"]
        data["severity"] = self.severity.value
        return data

    def to_text(self) -> str:
        """One line: ``file:row: column: severity: message (value: v) [shape]``; where there is
        no column (an RDF input), the property stands in its place."""
        place = ":".join(str(p) for p in (self.file, self.row) if p is not None)
        parts = [place] if place else []
        where = self.column or self.path
        if where:
            parts.append(where)
        parts.append(self.severity.value)
        text = ": ".join(parts) + ": " + self.message
        if self.value is not None and self.value not in self.message:
            text += f" (value: {self.value})"
        if self.focus and self.row is None and self.focus != self.value:  # no row to point at: the node
            text += f" (node: {self.focus})" if self.focus.startswith("_:") else f" (node: <{self.focus}>)"
        if self.shape:
            text += f" [{self.shape}]"
        return text


@dataclass(frozen=True)
class Report:
    """The findings of one validation run."""

    findings: tuple[Finding, ...]

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Report:
        """A report of these findings, de-duplicated and sorted.

        A shape's finding is left out where another finding already accounts for it, so that
        one cause is reported once: a shape's finding at a cell where the loader or the mapper
        found a violation (an unknown partnership type leaves the partnership without a type), a
        shape's warning at a cell where a shape found one (the value it compares is wrong), and any
        shape's finding whose cell, or (in no column) whose row and shape, another finding
        :attr:`~Finding.covers` (see :attr:`Finding.anchors`).
        """
        unique = set(findings)
        violated = {c for f in unique if f.severity is Severity.VIOLATION for c in f.cells}
        loaded = {c for f in unique if f.severity is Severity.VIOLATION and not f.by_shape for c in f.cells}
        covered = {c for f in unique for c in f.covers}

        def redundant(f: Finding) -> bool:
            return f.by_shape and bool(f.anchors & covered or f.cells & loaded or (
                f.severity is not Severity.VIOLATION and f.cells & violated))

        return cls(tuple(sorted((f for f in unique if not redundant(f)), key=Finding.sort_key)))

    def __add__(self, other: Report) -> Report:
        return Report.of(self.findings + other.findings)

    def count(self, severity: Severity) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def conforms(self) -> bool:
        """True when there is no violation (warnings and info are allowed)."""
        return self.count(Severity.VIOLATION) == 0

    def summary(self) -> str:
        """``2 violations, 1 warning, 0 info``."""
        v, w, i = (self.count(s) for s in Severity)
        return (
            f"{v} violation{'s' * (v != 1)}, {w} warning{'s' * (w != 1)}, {i} info"
        )

    def to_text(self) -> str:
        """The findings one per line, then the summary line."""
        return "\n".join([f.to_text() for f in self.findings] + [self.summary()])

    def to_json(self) -> str:
        """``{"conforms": …, "violations": n, "warnings": n, "infos": n, "findings": [...]}``."""
        return json.dumps(
            {
                "conforms": self.conforms,
                "violations": self.count(Severity.VIOLATION),
                "warnings": self.count(Severity.WARNING),
                "infos": self.count(Severity.INFO),
                "findings": [f.to_dict() for f in self.findings],
            },
            ensure_ascii=False,
            indent=2,
        )
