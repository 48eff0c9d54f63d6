"""One finding per cause: what the mapper notes instead of the shapes' cascades (citykg.unchecked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from citykg.rdfmap import to_quads
from citykg.report import Finding, Report, Severity
from citykg.tables import read_tables
from citykg.unchecked import decided_shapes

STUDY = "id,title_en,city,method_en,source_table,source_row\ns,A study,tabriz,Survey,Abstract,1\n"
STRATEGIES = ("study,code,type,label_fa,label_en,source_table,source_row\n"
              "s,SO1,SO,راهبرد,A strategy,Table 2,1\ns,WT1,WT,راهبرد,Another,Table 2,2\n")
CITES = "study,strategy,factor,source_table,source_row\ns,SO1,S1,Table 2,SO1\ns,SO1,O1,Table 2,SO1\ns,WT1,W1,Table 2,WT1\n"
ACTIONS = "study,id,label_fa,label_en,source_table,source_row\ns,A01,اقدام,An action,Table 3,1\n"
LISTS = "study,strategy,position,action,label_fa,label_en,source_table,source_row\ns,SO1,1,A01,اقدام,An action,Table 3,1\n"


def _report(tmp_path: Path, files: dict[str, str], *, folder: str = "s") -> Report:
    """The mapper's report of one folder of ``files``, with the study's row unless replaced."""
    path = tmp_path / folder
    path.mkdir(exist_ok=True)
    for name, text in {"studies.csv": STUDY, **files}.items():
        if text:
            (path / name).write_text(text, encoding="utf-8")
    return to_quads(read_tables([path], root=tmp_path)).report


def _texts(report: Report) -> list[str]:
    return [f.to_text() for f in report.findings]


def _covered(report: Report) -> set[tuple[str, int, str]]:
    return {c for f in report.findings for c in f.covers}


#: The shapes of the four TOWS types.
TOWS = ("ckgsh:SOStrategyShape", "ckgsh:WOStrategyShape", "ckgsh:STStrategyShape", "ckgsh:WTStrategyShape")


@pytest.mark.parametrize("cites", [
    CITES.replace(",", ";"),
    CITES.replace("strategy,", "strat,", 1),
    CITES.replace("factor,", "factr,", 1),
    CITES.replace("study,", "stdy,", 1),
    "",
], ids=["semicolons", "no-strategy-column", "no-factor-column", "no-study-column", "empty"])
def test_the_tows_types_that_an_unread_strategy_factors_decides_are_one_note(tmp_path: Path, cites: str) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "strategy_factors.csv").write_text(cites, encoding="utf-8")
    report = _report(tmp_path, {"strategies.csv": STRATEGIES})
    assert _texts(report) == [
        "s/strategy_factors.csv: info: The TOWS types of 2 strategies (strategies.csv lines 2, 3) were not "
        "checked: the table could not be read. Fix it and validate again to check them. [citykg:reference]"]
    assert _covered(report) == {("s/strategies.csv", line, shape) for line in (2, 3) for shape in TOWS}


def test_a_strategy_factors_refused_for_its_name_says_to_rename_it(tmp_path: Path) -> None:
    report = _report(tmp_path, {"strategies.csv": STRATEGIES, "Strategy_Factors.CSV": CITES})
    assert _texts(report) == [
        "s/Strategy_Factors.CSV: info: The TOWS types of 2 strategies (strategies.csv lines 2, 3) were not checked: "
        "citykg does not read a file named Strategy_Factors.CSV, and there is no strategy_factors.csv. Rename it "
        "to strategy_factors.csv and validate again to check them. [citykg:reference]"]


def test_a_citation_that_cannot_be_read_leaves_its_strategys_type_unchecked_only(tmp_path: Path) -> None:
    cites = CITES.replace("s,SO1,O1,Table 2,SO1", "s,SO1,O1,Table, 2,SO1")  # a field too many
    report = _report(tmp_path, {"strategies.csv": STRATEGIES, "strategy_factors.csv": cites})
    assert _texts(report) == [
        "s/strategy_factors.csv: info: The TOWS type of 1 strategy (strategies.csv line 2) was not checked: the row "
        "on line 3 could not be read. Fix it and validate again to check them. [citykg:reference]"]
    assert _covered(report) == {("s/strategies.csv", 2, shape) for shape in TOWS}  # SO1's, not WT1's


def test_a_key_in_persian_digits_is_one_violation_that_says_the_key_meant(tmp_path: Path) -> None:
    cites = CITES.replace("s,SO1,O1,", "s,SO1,O\u06f1,")  # O۱: no key, but O1 is meant
    report = _report(tmp_path, {"strategies.csv": STRATEGIES, "strategy_factors.csv": cites})
    assert _texts(report) == [
        "s/strategy_factors.csv: info: The TOWS type of 1 strategy (strategies.csv line 2) was not checked: the row "
        "on line 3 has an invalid key. Fix it and validate again to check them. [citykg:reference]"]  # (and the
    # loader's violation at that row, which test_bad_input checks)
    factors = ("study,code,kind,label_fa,label_en,source_table,source_row\n"
               "s,S1\u200b,strength,قوت,A strength,Table 1,1\n")  # a zero-width space after S1
    report = _report(tmp_path, {"factors.csv": factors, "strategies.csv": STRATEGIES, "strategy_factors.csv": CITES})
    note = next(f for f in report.findings if f.severity is Severity.INFO)
    assert note.to_text().startswith("s/factors.csv:2: info: 1 reference to this row's record (strategy_factors.csv "
                                     "line 2) was not checked: the row has a violation.")
    assert ("s/strategy_factors.csv", 2, "factor") in note.covers


def test_without_strategy_factors_the_tows_types_are_checked(tmp_path: Path) -> None:
    # no citations at all: SO1 and WT1 build on nothing, which the shapes report
    assert _texts(_report(tmp_path, {"strategies.csv": STRATEGIES})) == []


def test_the_lists_that_an_unread_strategy_actions_decides_are_one_note(tmp_path: Path) -> None:
    files = {"strategies.csv": STRATEGIES, "actions.csv": ACTIONS, "strategy_factors.csv": CITES}
    report = _report(tmp_path, {**files, "strategy_actions.csv": LISTS.replace("strategy,", "strat,", 1)})
    assert _texts(report) == [
        "s/strategy_actions.csv: info: The action lists of 2 strategies (strategies.csv lines 2, 3) and the "
        "strategies listing 1 action (actions.csv line 2) were not checked: the table could not be read. Fix it and "
        "validate again to check them. [citykg:reference]"]
    assert _covered(report) == {("s/strategies.csv", 2, "ckgsh:StrategyActionsShape"),
                                ("s/strategies.csv", 3, "ckgsh:StrategyActionsShape"),
                                ("s/actions.csv", 2, "ckgsh:ActionUseShape")}


def test_without_its_action_column_strategy_actions_leaves_the_actions_strategies_unchecked(tmp_path: Path) -> None:
    files = {"strategies.csv": STRATEGIES, "actions.csv": ACTIONS, "strategy_factors.csv": CITES}
    report = _report(tmp_path, {**files, "strategy_actions.csv": LISTS.replace(",action,", ",act,", 1)})
    assert _texts(report) == [
        "s/strategy_actions.csv: info: The strategies listing 1 action (actions.csv line 2) were not checked: its "
        "header lacks the column 'action'. Fix it and validate again to check them. [citykg:reference]"]


def test_a_covered_row_and_shape_hide_that_shapes_findings_there_and_no_others() -> None:
    def shape(row: int, name: str, column: str | None = None) -> Finding:
        return Finding(Severity.VIOLATION, f"{name} at {row}", file="s.csv", row=row, column=column, shape=name)

    note = Finding(Severity.INFO, "Not checked.", file="t.csv", shape="citykg:reference",
                   covers=frozenset({("s.csv", 2, "ckgsh:SOStrategyShape")}))
    kept = [shape(2, "ckgsh:StrategyActionsShape"), shape(3, "ckgsh:SOStrategyShape"),
            shape(2, "ckgsh:SOStrategyShape", "code")]  # another shape, another row, a cell
    report = Report.of([note, shape(2, "ckgsh:SOStrategyShape"), *kept])
    assert set(report.findings) == {note, *kept}


def test_a_study_that_several_rows_name_and_no_table_has_is_one_violation(tmp_path: Path) -> None:
    report = _report(tmp_path, {"studies.csv": "", "strategies.csv": STRATEGIES, "strategy_factors.csv": CITES})
    (finding,) = report.findings
    assert finding.to_text() == (
        "s/strategies.csv:2: study: violation: No study s in studies.csv (the graph's, or the submission's own): "
        "add studies.csv with its row, or correct the study column (5 rows name it: strategies.csv lines 2, 3; "
        "strategy_factors.csv lines 2, 3, 4). [citykg:reference]")
    assert finding.covers == {("s/strategies.csv", n, "study") for n in (2, 3)} | {
        ("s/strategy_factors.csv", n, "study") for n in (2, 3, 4)}
    assert finding.focus == "https://w3id.org/citykg/id/study/s"


def test_a_study_that_studies_csv_lacks_is_added_to_it(tmp_path: Path) -> None:
    other = STUDY.replace("s,A study", "other,A study")
    texts = _texts(_report(tmp_path, {"studies.csv": other, "strategies.csv": STRATEGIES}))
    assert texts == [
        "s/strategies.csv:2: study: violation: No study s in studies.csv (the graph's, or the submission's own): add "
        "its row to studies.csv, or correct the study column (2 rows name it: strategies.csv lines 2, 3). "
        "[citykg:reference]"]


def test_a_study_that_one_row_names_is_left_to_the_shapes(tmp_path: Path) -> None:
    # one row: the shape's finding at its study cell says it
    assert _texts(_report(tmp_path, {"strategies.csv": STRATEGIES.replace("s,WT1", "t,WT1")})) == []


THEMES = "study,id,label_fa,label_en,source_table,source_row\n"
COUNTS = "study,subject,quantity,value,source_table,source_row\n"


def test_only_the_counts_of_the_study_whose_table_was_not_read_are_noted(tmp_path: Path) -> None:
    # study "s" saves themes.csv with semicolons; study "t", read with it, declares its own themes
    own = tmp_path / "s"
    own.mkdir()
    (own / "studies.csv").write_text(STUDY, encoding="utf-8")
    (own / "themes.csv").write_text((THEMES + "s,c,مضمون,A theme,Table 1,1\n").replace(",", ";"), encoding="utf-8")
    (own / "declared_counts.csv").write_text(COUNTS + "s,,themes,1,Abstract,1\n", encoding="utf-8")
    other = tmp_path / "t"
    other.mkdir()
    (other / "studies.csv").write_text(STUDY.replace("s,A study", "t,A study"), encoding="utf-8")
    (other / "themes.csv").write_text(THEMES + "t,c,مضمون,A theme,Table 1,1\n", encoding="utf-8")
    (other / "declared_counts.csv").write_text(COUNTS + "t,,themes,1,Abstract,1\nt,,sister-cities,2,Abstract,1\n",
                                               encoding="utf-8")
    report = to_quads(read_tables([other, own], root=tmp_path)).report
    assert _texts(report) == [
        "s/themes.csv: info: 1 declared count of its records (declared_counts.csv line 2) was not checked: the table "
        "could not be read. Fix it and validate again to check them. [citykg:reference]"]
    assert _covered(report) == {("s/declared_counts.csv", 2, "value")}


def test_a_count_of_records_of_any_study_is_noted_whichever_study_declares_it(tmp_path: Path) -> None:
    # sister cities are the partners of the study's city, in any study's partnerships
    report = _report(tmp_path, {
        "partnerships.csv": "city_a;city_b;type;start;source\ntabriz;baku;sister-city;2000;Example\n",
        "declared_counts.csv": COUNTS + "s,,sister-cities,2,Abstract,1\n"})
    assert _texts(report) == [
        "s/partnerships.csv: info: 1 declared count of its records (declared_counts.csv line 2) was not checked: the "
        "table could not be read. Fix it and validate again to check them. [citykg:reference]"]


def test_the_shapes_a_column_decides_are_those_of_the_table_that_decides_them() -> None:
    assert decided_shapes("strategy_factors", "strategy") == TOWS
    assert decided_shapes("strategy_actions", "strategy") == ("ckgsh:StrategyActionsShape",)
    assert decided_shapes("strategy_actions", "action") == ("ckgsh:ActionUseShape",)
    assert decided_shapes("strategy_factors", "factor") == decided_shapes("factors", "code") == ()
