"""Benchmark data submissions: validation in context, its throughput beside pySHACL, and a merge.

Usage::

    .venv/bin/python benchmarks/submit_bench.py --runs 7 --studies 12

1. A typical submission, one new SWOT/TOWS study of a few hundred rows, is validated in the
   context of the project's graph (data/, accepted submissions, graphs/): the median of
   ``--runs`` calls of ``citykg.validate.validate`` in one process, and the median wall time of
   a fresh ``citykg validate`` process. Target: ≤ 1 s.
2. Throughput: a large synthetic submission (``--studies`` such studies, with a few planted
   violations) validated with citykg's default engine (pyshacl-turbo) and with the reference
   pySHACL, on the same data in the same context. Both reports must be identical.
3. A merge: ``citykg.submit.submit`` of the typical submission into a built copy of the project
   (validation, a new validated build, the atomic switch).

Results go to ``benchmarks/results/submit.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from citykg.build import build  # noqa: E402
from citykg.project import Project  # noqa: E402
from citykg.shacl import Engine  # noqa: E402
from citykg.submit import submit  # noqa: E402
from citykg.validate import validate  # noqa: E402

KINDS = (("S", "strength", "قوت"), ("W", "weakness", "ضعف"), ("O", "opportunity", "فرصت"),
         ("T", "threat", "تهدید"))
TYPES = {"SO": ("S", "O"), "WO": ("W", "O"), "ST": ("S", "T"), "WT": ("W", "T")}


def study_tables(study: str, *, factors: int = 10, strategies: int = 6, actions: int = 4,
                 broken: bool = False) -> dict[str, str]:
    """A SWOT/TOWS study: ``factors`` factors of each kind, ``strategies`` strategies of each type,
    each citing four factors and listing ``actions`` actions. ``broken`` plants three violations."""
    rows = {
        "studies.csv": ["id,title_en,city,method_en,panel_size,source_table,source_row",
                        f"{study},Synthetic study {study},mashhad,SWOT,20,Abstract,1"],
        "factors.csv": ["study,code,kind,label_fa,label_en,source_table,source_row"],
        "strategies.csv": ["study,code,type,label_fa,label_en,source_table,source_row"],
        "strategy_factors.csv": ["study,strategy,factor,source_table,source_row"],
        "actions.csv": ["study,id,label_fa,label_en,source_table,source_row"],
        "strategy_actions.csv": ["study,strategy,position,action,label_fa,label_en,source_table,source_row"],
    }
    for letter, kind, fa in KINDS:
        for n in range(1, factors + 1):
            rows["factors.csv"].append(f"{study},{letter}{n},{kind},{fa} {n},{kind} {n},Table 1,{letter}{n}")
    action = 0
    for type_, (a, b) in TYPES.items():
        for n in range(1, strategies + 1):
            code = f"{type_}{n}"
            rows["strategies.csv"].append(f"{study},{code},{type_},راهبرد {code},Strategy {code},Table 2,{code}")
            for letter, m in ((a, n), (a, n % factors + 1), (b, n), (b, (n + 1) % factors + 1)):
                rows["strategy_factors.csv"].append(f"{study},{code},{letter}{m},Table 2,{code}")
            for position in range(1, actions + 1):
                action += 1
                rows["actions.csv"].append(f"{study},A{action},اقدام {action},Action {action},Table 3,{action}")
                rows["strategy_actions.csv"].append(
                    f"{study},{code},{position},A{action},اقدام {action},Action {action},Table 3,{code}.{position}")
    if broken:
        rows["strategy_factors.csv"].append(f"{study},SO1,W1,Table 2,SO1")  # an SO strategy on a weakness
        rows["factors.csv"].append(f"{study},S99,weakness,ضعف,Misfiled,Table 1,S99")  # code and kind disagree
        rows["strategy_factors.csv"].append(f"{study},WT1,T99,Table 2,WT1")  # a factor that does not exist
    return {name: "\n".join(lines) + "\n" for name, lines in rows.items()}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def copy_project(target: Path) -> Project:
    for part in ("ontology", "shapes", "queries", "data"):
        shutil.copytree(ROOT / part, target / part)
    return Project(root=target, dist=target / "dist")


def timed(call, runs: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Median and minimum wall time of ``runs`` calls (the minimum is the least disturbed by
    other work on a shared machine), and the last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--studies", type=int, default=12, help="studies in the large submission")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "submit.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="citykg-submit-bench-"))
    try:
        project = copy_project(work / "project")
        build(project)
        typical = write(work / "typical" / "bench-2025", study_tables("bench-2025"))
        rows = sum(t.count("\n") - 1 for t in study_tables("bench-2025").values())
        validate(typical, project=project)  # warm the imports once
        in_process, in_min, report = timed(lambda: validate(typical, project=project), args.runs)
        cli = [sys.executable, "-m", "citykg", "--project", str(project.root), "-q", "validate", str(typical)]
        fresh, fresh_min, _ = timed(lambda: subprocess.run(cli, check=False, capture_output=True),
                                    max(3, args.runs // 2))
        print(f"typical: {rows} rows, {in_process:.3f} s (min {in_min:.3f}) in process, {fresh:.3f} s "
              f"(min {fresh_min:.3f}) fresh CLI, {report.summary()}")  # type: ignore[attr-defined]

        large = work / "large"
        for i in range(args.studies):
            write(large / f"bench-{i:02d}", study_tables(f"bench-{i:02d}", broken=i % 4 == 0))
        large_rows = args.studies * rows + 3 * len(range(0, args.studies, 4))
        turbo_times, ref_times, turbo, ref = [], [], None, None
        for _ in range(3):  # interleaved, so that both engines meet the same load
            turbo_one, _, turbo = timed(lambda: validate(large, project=project, engine=Engine.TURBO), 1)
            ref_one, _, ref = timed(lambda: validate(large, project=project, engine=Engine.PYSHACL), 1)
            turbo_times.append(turbo_one)
            ref_times.append(ref_one)
        turbo_s, ref_s = min(turbo_times), min(ref_times)
        same = turbo == ref
        print(f"large: {large_rows} rows; turbo {turbo_s:.2f} s, pySHACL {ref_s:.2f} s, identical={same}, "
              f"{turbo.summary()}")  # type: ignore[attr-defined]

        merge_s, _, merged = timed(lambda: submit(typical, project=project, who="bench"), 1)
        load = os.getloadavg()[0]
        print(f"merge: {merge_s:.2f} s ({merged.outcome.value})")  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    table = [
        (f"typical submission ({rows} rows, one study), in process, median (minimum) of {args.runs}",
         f"{in_process:.3f} s ({in_min:.3f} s)", "≤ 1 s"),
        ("typical submission, fresh `citykg validate` process, median (minimum)",
         f"{fresh:.3f} s ({fresh_min:.3f} s)", ""),
        ("typical submission, report", report.summary(), "conforms"),  # type: ignore[attr-defined]
        (f"large submission ({args.studies} studies, {large_rows} rows), pyshacl-turbo, best of 3",
         f"{turbo_s:.2f} s ({large_rows / turbo_s:,.0f} rows/s)", ""),
        ("same data, reference pySHACL, best of 3 (runs interleaved with the above)",
         f"{ref_s:.2f} s ({large_rows / ref_s:,.0f} rows/s)", ""),
        ("speed-up of citykg's default engine", f"{ref_s / turbo_s:.1f}×", ""),
        ("identical reports (every finding: severity, file, row, column, value, message, shape)",
         f"{'yes' if same else 'NO'} ({turbo.summary()})", "yes"),  # type: ignore[attr-defined]
        ("merge of the typical submission (validate, new validated build, switch)", f"{merge_s:.2f} s", ""),
    ]
    lines = [
        "# Submissions: validation in context, throughput, merge", "",
        f"Run: `python benchmarks/submit_bench.py --runs {args.runs} --studies {args.studies}` on "
        f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{load:.1f} at the end (the machine is shared: the minimum of several runs is the least "
        "disturbed). Context: a copy of the project's data, validated as `citykg validate PATH` "
        "validates a submission.", "",
        "| measurement | result | target |", "|---|---|---|",
        *(f"| {name} | {result} | {target} |" for name, result, target in table),
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
