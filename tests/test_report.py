"""Reports: findings in one order in every run, whatever the engines give and however Python hashes."""

from __future__ import annotations

import os
import subprocess
import sys

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
