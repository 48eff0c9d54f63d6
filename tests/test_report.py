"""Reports: findings in one order in every run, whatever the engines give and however Python hashes."""

from __future__ import annotations

import os
import subprocess
import sys

from citykg.report import Finding, Report, Severity

PRINT_ORDER = """
from citykg.report import Finding, Report, Severity
findings = [Finding(Severity.WARNING, "Another city has the same Wikidata id Q80053.", file="data/t/cities.csv",
                    row=3, column="wikidata", value="Q80053", shape=shape, focus=focus)
            for shape in ("ckgsh:A", "ckgsh:B") for focus in ("city/tabriz", "city/tabriz-again")]
print([(f.shape, f.focus) for f in Report.of(findings).findings])
"""


def test_findings_at_one_place_come_in_the_same_order_in_every_run() -> None:
    orders = {subprocess.run([sys.executable, "-c", PRINT_ORDER], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
              for seed in range(8)}  # a set's order follows the hash seed of the run
    assert len(orders) == 1, orders


def _at(shape: str, column: str = "type", severity: Severity = Severity.VIOLATION, message: str = "m") -> Finding:
    return Finding(severity, message, file="p.csv", row=2, column=column, shape=shape)


def test_a_cause_the_loader_found_is_not_reported_again_by_a_shape() -> None:
    # an unknown partnership type leaves the partnership without one: PartnershipShape fails there too
    loader = _at("citykg:table-format", message="'bogus' is not an allowed type.")
    shape = _at("ckgsh:PartnershipShape", message="A partnership has exactly one type.")
    elsewhere = _at("ckgsh:PartnershipShape", column="start", message="Dates are YYYY.")
    warning = _at("ckgsh:X", severity=Severity.WARNING, message="A warning at the same cell.")
    assert Report.of([shape, loader, elsewhere, warning]).findings == (elsewhere, loader)


def test_a_shapes_warning_about_a_value_a_violation_refuses_is_left_out() -> None:
    # "-1" is no count (a violation); comparing it with the records listed says nothing more
    refused = _at("ckgsh:DeclaredCountShape", column="value", message="The declared value is a whole number.")
    compared = _at("ckgsh:DeclaredVersusListedShape", column="value", severity=Severity.WARNING,
                   message="The study declares -1 themes in all, but the tables list 6.")
    other_shape = _at("ckgsh:Other", column="value", message="Another violation at the cell.")
    elsewhere = _at("ckgsh:DeclaredVersusListedShape", column="note", severity=Severity.WARNING)
    assert set(Report.of([compared, refused, other_shape, elsewhere]).findings) == {other_shape, refused, elsewhere}


def test_a_finding_that_covers_cells_stands_for_every_shape_finding_there() -> None:
    cells = frozenset({("p.csv", 2, "type"), ("p.csv", 2, "value")})
    note = Finding(Severity.INFO, "2 references were not checked.", file="t.csv", shape="citykg:reference",
                   covers=cells)
    covered = [_at("ckgsh:A"), _at("ckgsh:B", column="city_a/value", severity=Severity.WARNING)]
    kept = _at("ckgsh:A", column="note")
    report = Report.of([*covered, note, kept])
    assert report.findings == (kept, note)
    assert "covers" not in note.to_dict() and "covers" not in report.to_json()
