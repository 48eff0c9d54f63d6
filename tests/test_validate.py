"""citykg validate: the project, a folder of tables in context, an RDF file."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from citykg.errors import InputError
from citykg.project import Project
from citykg.tables import read_tables
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


def test_a_row_that_breaks_an_existing_record_is_the_one_reported(project: Project, tmp_path: Path) -> None:
    # The project's SO1 gains a weakness: the shape fails on SO1 (read from data/), but the
    # report points at the input's row that did it, the one of the table the message names.
    folder = write(tmp_path / "more", {
        "strategy_actions.csv": "study,strategy,position,action,label_fa,label_en,source_table,source_row\n"
                                "mashhad-oic,SO1,99,A01,برگزاری,Hold summits,Table 3,SO1.99\n",
        "strategy_factors.csv": "study,strategy,factor,source_table,source_row\n"
                                "mashhad-oic,SO1,W2,Table 3,SO1\n"})
    report = validate(folder, project=project)
    assert [f.to_text().replace(str(folder), "NEW") for f in report.findings] == [
        "NEW/strategy_factors.csv:2: strategy: violation: An SO strategy builds on no weakness: did you "
        "mean a WO or WT strategy? Check strategy_factors.csv. (This row changes the record of "
        "data/mashhad-oic/strategies.csv:2, which then fails.) [ckgsh:SOStrategyShape]"]


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
    # a file without rows: the text names the node at fault
    assert all("(node: <https://w3id.org/citykg/id/city/qom>)" in f.to_text() for f in report.findings)


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


def _outcome(path: Path, project: Project) -> str | list[str]:
    """The error, or the findings, of validating ``path``, with the path itself shown as IN."""
    try:
        report = validate(path, project=project)
    except InputError as exc:
        return "error: " + str(exc).replace(str(path), "IN")
    return [f.to_text().replace(str(path), "IN") for f in report.findings]


@pytest.mark.parametrize(("layout", "expected"), [
    ({f"a/b/{name}": text for name, text in NEW_STUDY.items()}, "[ckgsh:SOStrategyShape]"),
    ({"factors.csv": NEW_STUDY["factors.csv"], "more/studies.csv": NEW_STUDY["studies.csv"]},
     "error: IN has tables both at its top (factors.csv) and in folders (more/studies.csv)"),
    ({"README.md": "notes"}, "error: IN holds no CSV tables (*.csv)."),
    ({**NEW_STUDY, "._factors.csv": "\x00\x05\x16\x07 macOS"}, "[ckgsh:SOStrategyShape]"),
], ids=["two-folders-deep", "top-and-folder", "no-tables", "macos-resource-fork"])
def test_a_folder_is_taken_in_as_submit_takes_it_and_as_its_zip(
        project: Project, tmp_path: Path, layout: dict[str, str], expected: str) -> None:
    folder = tmp_path / "in"
    for name, text in layout.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    archive = tmp_path / "in.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in layout.items():
            z.writestr(name, text)
    by_folder, by_zip = _outcome(folder, project), _outcome(archive, project)
    assert by_folder == by_zip
    assert expected in (by_folder if isinstance(by_folder, str) else " ".join(by_folder))
    assert "Unknown table" not in str(by_folder) and "no records" not in str(by_folder)


def test_a_linked_folder_is_refused_as_submit_refuses_it(project: Project, tmp_path: Path) -> None:
    folder = write(tmp_path / "new-2025", NEW_STUDY)
    (tmp_path / "link").symlink_to(folder)
    with pytest.raises(InputError, match=r"link is a symbolic link; .* Give the folder or file it points to"):
        validate(tmp_path / "link", project=project)


def test_the_whole_data_folder_is_checked_in_place(project: Project) -> None:
    assert validate(project.data, project=project) == validate(project=project)


def test_an_upper_case_extension_is_a_violation_that_says_how_to_rename(project: Project, tmp_path: Path) -> None:
    files = {("strategies.CSV" if name == "strategies.csv" else name): text for name, text in NEW_STUDY.items()}
    folder = write(tmp_path / "new-2025", files)
    report = validate(folder, project=project)
    assert [f.to_text() for f in report.findings if f.shape == "citykg:submission"] == [
        f"{folder}/strategies.CSV: violation: strategies.CSV is not read: citykg reads tables named in lower "
        "case with the extension .csv. Rename it to strategies.csv. [citykg:submission]"]
    assert not report.conforms
    # In a folder of data/ (read in place, as by `citykg build`), the same.
    assert [f.message for f in read_tables([folder]).report.findings if "Rename" in f.message] == [
        "strategies.CSV is not read: citykg reads tables named in lower case with the extension .csv. "
        "Rename it to strategies.csv."]


PARTNERSHIPS = "study,city_a,city_b,type,start,status,source_table,source_row\n"


def test_two_studies_may_state_the_same_partnership(project: Project, tmp_path: Path) -> None:
    folder = write(tmp_path / "both", {"partnerships.csv": PARTNERSHIPS
                                       + "tabriz-2024,tabriz,mashhad,friendship,2019,active,Text,1\n"
                                       + "mashhad-oic,mashhad,tabriz,friendship,2015,dormant,Text,2\n"})
    report = validate(folder, project=project)
    assert report.findings == () and report.conforms


def test_a_partnership_with_its_cities_swapped_is_a_duplicate(project: Project, tmp_path: Path) -> None:
    folder = write(tmp_path / "swapped", {"partnerships.csv": PARTNERSHIPS
                                          + "tabriz-2024,tabriz,mashhad,friendship,2019,active,Text,1\n"
                                          + "tabriz-2024,mashhad,tabriz,friendship,2015,dormant,Text,2\n"})
    texts = [f.to_text().replace(str(folder), "IN") for f in validate(folder, project=project).findings]
    assert "IN/partnerships.csv:3: city_a,city_b,type: violation: Duplicate partnership 'mashhad/tabriz/friendship': " \
           "it is already defined on line 2. [citykg:table-format/duplicate]" in texts
    assert not any("Dates are" in text or "does not exist" in text for text in texts), texts


def test_an_rdf_file_may_not_restate_or_annotate_records_the_graph_has(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "annotations.ttl"
    path.write_text("<https://w3id.org/citykg/id/study/mashhad-oic/factor/S1> "
                    "<http://www.w3.org/2000/01/rdf-schema#comment> \"This factor is wrong.\" .\n"
                    "<https://w3id.org/citykg/id/city/tabriz> <https://example.org/anything> \"x\" .\n"
                    "<https://w3id.org/citykg/id/city/mashhad> <https://w3id.org/citykg/ontology#twinnedWith> "
                    "<https://w3id.org/citykg/id/city/tabriz> .\n", encoding="utf-8")
    report = validate(path, project=project)
    refused = [f.focus for f in report.findings if f.shape == "citykg:input/existing-record"]
    assert refused == ["https://w3id.org/citykg/id/city/tabriz",
                       "https://w3id.org/citykg/id/study/mashhad-oic/factor/S1"]  # not Mashhad: only the twinning shortcut
    assert not report.conforms
