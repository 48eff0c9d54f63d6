"""citykg validate: the project, a folder of tables in context, an RDF file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from citykg.errors import InputError
from citykg.project import Project
from citykg.validate import validate

NEW_STUDY = {
    "studies.csv": "id,title_en,city,method_en,panel_size,source_table,source_row\n"
                   "new-2025,A new study,mashhad,Survey,5,Abstract,1\n",
    "factors.csv": "study,code,kind,label_fa,label_en,source_table,source_row\n"
                   "new-2025,S1,strength,قوت,A strength,Table 1,1\n"
                   "new-2025,W1,weakness,ضعف,A weakness,Table 1,2\n",
    "strategies.csv": "study,code,type,label_fa,label_en,source_table,source_row\n"
                      "new-2025,SO1,SO,راهبرد,A strategy,Table 2,1\n",
    "strategy_factors.csv": "study,strategy,factor,source_table,source_row\n"
                            "new-2025,SO1,S1,Table 2,SO1\n"
                            "new-2025,SO1,W1,Table 2,SO1\n",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_project_conforms_with_six_warnings(project: Project) -> None:
    report = validate(project=project)
    assert report.conforms and report.summary() == "0 violations, 6 warnings, 0 info"


def test_a_project_folder_alone_reports_only_its_own_findings(project: Project) -> None:
    report = validate(project.data / "mashhad-oic", project=project)
    assert report.findings == ()


def test_a_new_study_is_checked_in_context(project: Project, tmp_path: Path) -> None:
    folder = write(tmp_path / "new-2025", NEW_STUDY)
    report = validate(folder, project=project)
    texts = [f.to_text().replace(str(folder), "NEW") for f in report.findings]
    # Refers to the project's city (resolves); its SO strategy cites a weakness and no opportunity,
    # and lists no action. Nothing is reported about the project's own data.
    assert texts == [
        "NEW/strategies.csv:2: violation: An SO strategy builds on at least one opportunity (O…) "
        "in strategy_factors.csv. [ckgsh:SOStrategyShape]",
        "NEW/strategies.csv:2: violation: An SO strategy builds on no weakness: did you mean a WO or "
        "WT strategy? Check strategy_factors.csv. [ckgsh:SOStrategyShape]",
        "NEW/strategies.csv:2: warning: The strategy lists no action (strategy_actions.csv). "
        "[ckgsh:StrategyActionsShape]",
    ]
    assert not report.conforms
    assert all(f.file and f.file.startswith(str(folder)) for f in report.findings)


def test_a_year_in_persian_digits_is_a_violation_not_a_broken_integer(project: Project, tmp_path: Path) -> None:
    header, row = NEW_STUDY["studies.csv"].splitlines()
    studies = f"{header},year\n{row},۲۰۲۵\n"
    folder = write(tmp_path / "new-2025", {**NEW_STUDY, "studies.csv": studies})
    report = validate(folder, project=project)
    assert [(f.column, f.value) for f in report.findings if f.column == "year"] == [("year", "۲۰۲۵")]
    assert not report.conforms


def test_a_copy_of_a_project_study_is_a_duplicate(project: Project, tmp_path: Path) -> None:
    copy = tmp_path / "mashhad-copy"
    shutil.copytree(project.data / "mashhad-oic", copy)
    report = validate(copy, project=project)
    assert not report.conforms
    assert any("Duplicate study 'mashhad-oic'" in f.message for f in report.findings)


def test_an_rdf_file(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "extra.ttl"
    path.write_text("""
        @prefix ckg: <https://w3id.org/citykg/ontology#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <https://w3id.org/citykg/id/city/qom> a ckg:City ; rdfs:label "Qom"@en ;
            ckg:country <https://w3id.org/citykg/id/country/IR> ; ckg:wikidataId "Q131664x" .
    """, encoding="utf-8")
    report = validate(path, project=project)
    messages = sorted(f.message for f in report.findings)
    assert any(m.startswith("A Wikidata id is Q followed by digits") for m in messages)
    assert any(m.startswith("Every record needs its provenance") for m in messages)
    assert all(f.file == str(path) for f in report.findings)


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("broken.ttl", "<a> <b> .", "is not valid Turtle: Parser error at line 1 column 9"),
    ("data.xlsx", "", "this extension is neither"),
    ("factors.csv", "a,b\n", "is a single table"),
])
def test_unreadable_inputs(project: Project, tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        validate(path, project=project)


def test_missing_path(project: Project, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        validate(tmp_path / "nope", project=project)
