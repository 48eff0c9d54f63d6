"""citykg validate: the project, a folder of tables in context, an RDF file."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from submitting import NEW_STUDY as GOOD_STUDY
from submitting import QOM_TTL, SHIRAZ_TTL, rdf_study, readme_rdf_example, zip_bytes

from citykg.build import BuildResult, build
from citykg.cli import cli
from citykg.errors import DataError, InputError
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
    assert validate(str(folder), project=project) == report  # a path as a string, as the command line gives it
    texts = [f.to_text().replace(str(folder), "NEW") for f in report.findings]
    # Refers to the project's city (resolves); its SO strategy cites a weakness and no opportunity,
    # and lists no action. Nothing is reported about the project's own data.
    assert texts == [
        "NEW/strategies.csv:2: violation: SO1 is an SO strategy but builds on no opportunity; an SO "
        "strategy builds on at least one strength and one opportunity: cite one (O…) in "
        "strategy_factors.csv, or fix its type. [ckgsh:SOStrategyShape]",
        "NEW/strategies.csv:2: warning: The strategy lists no action (strategy_actions.csv). "
        "[ckgsh:StrategyActionsShape]",
        "NEW/strategy_factors.csv:3: factor: violation: SO1 is an SO strategy but builds on weakness W1; "
        "an SO strategy builds on strengths and opportunities only: fix the factor, or make it a WO or "
        "WT strategy. [ckgsh:SOStrategyShape]",
    ]
    assert not report.conforms
    assert all(f.file and f.file.startswith(str(folder)) for f in report.findings)


def test_a_row_with_a_violation_is_reported_once_not_again_at_each_row_citing_it(project: Project,
                                                                                 tmp_path: Path) -> None:
    # S1's kind is misspelt, so S1 is no SWOT factor: the shapes would find every citation of it
    # dangling. One note at S1's row covers them, and says they are checked once it is fixed.
    files = dict(NEW_STUDY, **{"factors.csv": NEW_STUDY["factors.csv"].replace(",strength,", ",strenght,")})
    folder = write(tmp_path / "new-2025", files)
    texts = [f.to_text().replace(str(folder), "NEW") for f in validate(folder, project=project).findings]
    assert texts[:2] == [
        "NEW/factors.csv:2: info: 1 reference to this row's record (strategy_factors.csv line 2) was not "
        "checked: the row has a violation. Fix it and validate again to check them. [citykg:reference]",
        "NEW/factors.csv:2: kind: violation: 'strenght' is not an allowed kind. Did you mean 'strength'? "
        "Allowed: strength, weakness, opportunity, threat. [citykg:table-format]"]
    assert not [t for t in texts if "FactorCitationShape" in t]
    fixed = write(tmp_path / "fixed" / "new-2025", NEW_STUDY)  # without the misspelling, no such note
    assert not [f for f in validate(fixed, project=project).findings if f.shape == "citykg:reference"]


def test_a_table_that_cannot_be_read_is_not_also_an_input_without_records(project: Project,
                                                                          tmp_path: Path) -> None:
    folder = write(tmp_path / "semi", {"factors.csv": "study;code;kind;label_fa;label_en;source_table;source_row\n"
                                                      "new-2025;S1;strength;قوت;A strength;Table 1;1\n"})
    assert [f.to_text().replace(str(folder), "IN") for f in validate(folder, project=project).findings] == [
        "IN/factors.csv:1: violation: The header is separated by semicolons; citykg tables are comma-separated "
        "CSV. Export the sheet as CSV with commas. [citykg:table-format]"]


def test_of_the_rows_that_refer_to_a_broken_record_the_one_naming_the_value_is_blamed_once(
        project: Project, tmp_path: Path) -> None:
    # Row 3 twins Tabriz with a place the graph lacks: its own finding says so, and the finding on
    # Tabriz (twinned with no city) is not moved to row 2, which merely refers to Tabriz too. The
    # finding names the column that holds the place, city_b, not both columns of the partner.
    folder = write(tmp_path / "p", {"partnerships.csv": "city_a,city_b,type,start,end,source\n"
                                                        "tabriz,mashhad,friendship,2019,,Example\n"
                                                        "tabriz,atlantis,sister-city,2019,,Example\n"})
    assert [f.to_text().replace(str(folder), "IN") for f in validate(folder, project=project).findings] == [
        "IN/partnerships.csv:3: city_b: violation: A partnership joins exactly two different cities, each "
        "in cities.csv: the graph's, or a row of the submission's own. (value: atlantis) [ckgsh:PartnershipShape]"]


def test_a_row_that_breaks_an_existing_record_is_the_one_reported(project: Project, tmp_path: Path) -> None:
    # The project's SO1 gains a weakness: the shape fails on SO1 (read from data/), but the
    # report points at the input's row that cites the weakness.
    folder = write(tmp_path / "more", {
        "strategy_actions.csv": "study,strategy,position,action,label_fa,label_en,source_table,source_row\n"
                                "mashhad-oic,SO1,99,A01,برگزاری,Hold summits,Table 3,SO1.99\n",
        "strategy_factors.csv": "study,strategy,factor,source_table,source_row\n"
                                "mashhad-oic,SO1,W2,Table 3,SO1\n"})
    report = validate(folder, project=project)
    assert [f.to_text().replace(str(folder), "NEW") for f in report.findings] == [
        "NEW/strategy_factors.csv:2: factor: violation: SO1 is an SO strategy but builds on weakness W2; "
        "an SO strategy builds on strengths and opportunities only: fix the factor, or make it a WO or "
        "WT strategy. [ckgsh:SOStrategyShape]"]


def test_a_year_in_persian_digits_is_a_violation_not_a_broken_integer(project: Project, tmp_path: Path) -> None:
    header, row = NEW_STUDY["studies.csv"].splitlines()
    studies = f"{header},year\n{row},۲۰۲۵\n"
    folder = write(tmp_path / "new-2025", {**NEW_STUDY, "studies.csv": studies})
    report = validate(folder, project=project)
    assert [(f.column, f.value) for f in report.findings if f.column == "year"] == [("year", "۲۰۲۵")]
    assert not report.conforms


def test_a_city_given_its_country_s_wikidata_id_is_a_violation(project: Project, tmp_path: Path) -> None:
    # linked, Yazd would carry Iran's labels and twinnings, and Q794 would name two records
    folder = write(tmp_path / "yazd", {"cities.csv": "id,label_en,label_fa,country,wikidata,source\n"
                                                     "yazd,Yazd,یزد,IR,Q794,An atlas of Iran\n"})
    report = validate(folder, project=project)
    assert [(f.severity.value, f.file, f.row, f.column, f.message) for f in report.findings] == [
        ("violation", f"{folder}/cities.csv", 2, "wikidata", "The Wikidata id Q794 is the item of the country Iran (IR), "
         "not of a city: give the city's own item (the wikidata column), or leave it empty for citykg link to find it.")]


def test_a_copy_of_a_project_study_is_a_duplicate(project: Project, tmp_path: Path) -> None:
    copy = tmp_path / "mashhad-copy"
    shutil.copytree(project.data / "mashhad-oic", copy)
    report = validate(copy, project=project)
    assert not report.conforms
    assert any("Duplicate study 'mashhad-oic'" in f.message for f in report.findings)


def test_a_repeated_record_is_reported_once_not_again_by_the_shapes_it_breaks(project: Project,
                                                                               tmp_path: Path) -> None:
    folder = tmp_path / "cities"
    folder.mkdir()
    (folder / "cities.csv").write_text("id,label_en,label_fa,country,wikidata,source\n"
                                       "qom,Qom,قم,IR,Q170573,The atlas\n"
                                       "qom,Ghom,قم,IR,q170573,Another atlas\n", encoding="utf-8")
    report = validate(folder, project=project)
    assert [f.to_text() for f in report.findings] == [
        f"{folder / 'cities.csv'}:3: id: violation: Duplicate city 'qom': it is already defined on line 2. "
        "Keep one of the two rows, or give this one another id. [citykg:table-format/duplicate]"]
    # a row that repeats a record of the graph is reported as that, not as an input without records
    (folder / "cities.csv").write_text("id,label_en,label_fa,country,wikidata,source\n"
                                       "tabriz,Tabriz,تبریز,IR,Q80053,The atlas\n", encoding="utf-8")
    report = validate(folder, project=project)
    assert [f.message for f in report.findings] == [
        "Duplicate city 'tabriz': it is already defined on data/reference/cities.csv:2. Keep one of the two rows, "
        "or give this one another id."]


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
    assert any(m.startswith("A Wikidata id is Q and a number from 1") for m in messages)
    assert any(m.startswith("Every record needs its provenance") for m in messages)
    assert all(f.file == str(path) for f in report.findings)
    # each at the line where the file describes the record, or writes the property in question
    assert sorted((f.row, f.path) for f in report.findings) == [(4, "prov:wasDerivedFrom"), (5, "ckg:wikidataId")]


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("broken.ttl", "<a> <b> .", "is not valid Turtle: Parser error at line 1 column 9"),
    ("data.xlsx", "", "its extension .xlsx is neither"),
    ("notes", "", r"an RDF file \(.*\); it has no extension\.$"),
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
           "it is already defined on line 2. Keep one of the two rows, or give this one another city_a, city_b and " \
           "type. [citykg:table-format/duplicate]" in texts
    assert not any("Dates are" in text or "does not exist" in text for text in texts), texts


def test_an_rdf_file_may_not_restate_or_annotate_records_the_graph_has(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "annotations.ttl"
    path.write_text("<https://w3id.org/citykg/id/study/mashhad-oic/factor/S1> "
                    "<http://www.w3.org/2000/01/rdf-schema#comment> \"This factor is wrong.\" .\n"
                    "<https://w3id.org/citykg/id/city/tabriz> <https://example.org/anything> \"x\" .\n"
                    "<https://w3id.org/citykg/id/city/mashhad> <https://w3id.org/citykg/ontology#twinnedWith> "
                    "<https://w3id.org/citykg/id/city/tabriz> .\n", encoding="utf-8")
    report = validate(path, project=project)
    refused = sorted(f.focus or "" for f in report.findings if f.shape == "citykg:input/existing-record")
    # Mashhad too: a twinning shortcut without the new partnership that would add it.
    assert refused == ["https://w3id.org/citykg/id/city/mashhad", "https://w3id.org/citykg/id/city/tabriz",
                       "https://w3id.org/citykg/id/study/mashhad-oic/factor/S1"]
    assert not report.conforms


def test_what_a_refused_restatement_breaks_in_the_record_is_not_reported_again(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "relabel.ttl"
    path.write_text("<https://w3id.org/citykg/id/study/mashhad-oic/factor/W3> "
                    "<http://www.w3.org/2000/01/rdf-schema#label> \"Another label\"@en .\n", encoding="utf-8")
    report = validate(path, project=project)  # a second English label: one cause, one finding
    assert [(f.shape, f.row, f.focus) for f in report.findings] == [
        ("citykg:input/existing-record", 1, "https://w3id.org/citykg/id/study/mashhad-oic/factor/W3")]


# ------------------------------------------------------------------ what an RDF input may add

CKG = "https://w3id.org/citykg/ontology#"
ID = "https://w3id.org/citykg/id/"


def _rdf_findings(project: Project, tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "input.ttl"
    path.write_text(text, encoding="utf-8")
    return [f.to_text().replace(str(path), "IN") for f in validate(path, project=project).findings]


def test_the_readme_rdf_example_conforms(project: Project, tmp_path: Path) -> None:
    assert _rdf_findings(project, tmp_path, readme_rdf_example()) == []


def test_an_rdf_strategy_that_states_ckg_buildson_alone_is_told_the_relation_to_state(
        project: Project, tmp_path: Path) -> None:
    # ckg:buildsOn follows from the typed relations; alone, it says too little for the TOWS checks
    text = SHIRAZ_TTL.replace("ckg:usesStrength <", "ckg:buildsOn <").replace("ckg:exploitsOpportunity <", "ckg:buildsOn <")
    assert _rdf_findings(project, tmp_path, text) == [
        f"IN:17: ckg:buildsOn: violation: SO1 builds on the {kind} {code} by ckg:buildsOn alone: state {relation} "
        f"{code}, the relation of its kind, instead; citykg adds ckg:buildsOn from it, and the TOWS checks and the "
        f"tows-matrix query read it. (value: {ID}study/shiraz-2025/factor/{code}) [ckgsh:StrategyFactorsShape]"
        for kind, code, relation in (("opportunity", "O1", "ckg:exploitsOpportunity"), ("strength", "S1", "ckg:usesStrength"))]


def test_an_rdf_strategy_may_not_build_on_a_factor_of_another_study(project: Project, tmp_path: Path) -> None:
    # Shiraz's SO1 citing Mashhad's S1: the tables mint both IRIs from one study, an RDF input may not
    text = SHIRAZ_TTL.replace("ckg:usesStrength <study/shiraz-2025/factor/S1>",
                              "ckg:usesStrength <study/mashhad-oic/factor/S1>")
    assert text.splitlines()[16] == "    ckg:usesStrength <study/mashhad-oic/factor/S1> ;"
    assert _rdf_findings(project, tmp_path, text) == [
        "IN:17: ckg:usesStrength: violation: The strategy SO1 of the study shiraz-2025 refers to S1, a factor of the "
        "study mashhad-oic (ckg:usesStrength): a strategy builds only on factors of its own study. Refer to the factor "
        "of shiraz-2025 that the source means (add it to that study if it lacks it), or fix the IRI. "
        f"(value: {ID}study/mashhad-oic/factor/S1) [ckgsh:StudyScopeShape]"]


def test_an_ill_typed_line_of_an_rdf_source_row_is_a_violation_at_the_input(
        project: Project, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = readme_rdf_example().replace('"1"^^xsd:positiveInteger', '"abc"^^xsd:positiveInteger')
    assert '"abc"^^xsd:positiveInteger' in text
    path = tmp_path / "qom.ttl"
    path.write_text(text, encoding="utf-8")
    [finding] = validate(path, project=project).findings  # as submit finds it: the source row's, at the input
    assert (finding.file, finding.row, finding.path, finding.value) == (str(path), 8, "ckg:line", "abc")
    assert finding.message == ('A source row names exactly one line of its data file (ckg:line), a whole number from 1, '
                               'such as "1"^^xsd:positiveInteger.')
    assert not [r for r in caplog.records if r.name.startswith("rdflib")]  # no traceback of rdflib's


@pytest.mark.parametrize("standalone", [False, True], ids=["in-context", "standalone"])
@pytest.mark.parametrize(("change", "line"), [
    ((' ckg:citation "Example (2024)" ;', ""), 8),  # where the file describes _:row
    (('_:row .\n_:row a ckg:SourceRow ; ckg:citation "Example (2024)" ;', "[ a ckg:SourceRow ;"), 7),  # [ … ]
], ids=["labelled", "inline"])
def test_a_finding_about_an_rdf_source_row_is_at_its_line_not_at_the_file_and_line_it_declares(
        project: Project, tmp_path: Path, change: tuple[str, str], line: int, standalone: bool) -> None:
    assert change[0] in QOM_TTL
    text = QOM_TTL.replace(*change)
    path = tmp_path / "input.ttl"  # its source row declares ckg:path "qom.ttl" and ckg:line 1
    path.write_text(text.replace('"qom.ttl" ] .', '"qom.ttl" ] ] .') if "[ a ckg:SourceRow" in text else text,
                    encoding="utf-8")
    found = [f for f in validate(path, project=project, standalone=standalone).findings
             if f.shape == "ckgsh:SourceRowShape"]
    # named by the file's label for the node, or by nothing: not by an id citykg gave it
    assert [(f.file, f.row, f.value, f.focus) for f in found] == [(str(path), line, None, "_:row" if line == 8 else None)]


_LINE, _FILE = 'ckg:line "1"^^xsd:positiveInteger', 'ckg:dataFile [ a ckg:DataFile ; ckg:path "x.ttl" ]'


@pytest.mark.parametrize(("row", "expected"), [
    (f"ckg:inStudy <{ID}study/x> ; {_LINE} ; {_FILE}",
     "IN:8: violation: Every source row says where its fact comes from: ckg:inStudy, ckg:sourceTable and "
     "ckg:sourceRow, or a ckg:citation. [ckgsh:SourceRowShape]"),
    (f'ckg:inStudy <{ID}study/x> ; ckg:sourceTable "" ; ckg:sourceRow "1" ; {_LINE} ; {_FILE}',
     "IN:8: ckg:sourceTable: violation: Give one ckg:sourceTable: the table, figure or section of the paper. "
     "[ckgsh:SourceRowShape]"),
    (f'ckg:inStudy <{ID}study/x>, <{ID}study/mashhad-oic> ; ckg:sourceTable "T" ; ckg:sourceRow "1" ; {_LINE} ; {_FILE}',
     "IN:8: ckg:inStudy: violation: A source row is from at most one study (ckg:inStudy). [ckgsh:SourceRowShape]"),
    (f'ckg:inStudy <{ID}study/nope> ; ckg:sourceTable "T" ; ckg:sourceRow "1" ; {_LINE} ; {_FILE}',
     "IN:8: ckg:inStudy: violation: The source row names a study the graph does not have (ckg:inStudy): give a study "
     f"of the graph, or one the submission adds, or fix it. (value: {ID}study/nope) [ckgsh:SourceRowStudyShape]"),
    ('ckg:citation "Example (2025)" ; ckg:line "1"^^xsd:positiveInteger, "2"^^xsd:positiveInteger ; ' + _FILE,
     'IN:8: ckg:line: violation: A source row names exactly one line of its data file (ckg:line), a whole number '
     'from 1, such as "1"^^xsd:positiveInteger. [ckgsh:SourceRowShape]'),
    (f'ckg:citation "Example (2025)" ; {_LINE} ; ckg:dataFile [ a ckg:DataFile ]',
     'IN:8: ckg:path: violation: A data file (ckg:DataFile) has exactly one ckg:path, a plain string: the name of the '
     'file, such as "qom.ttl". [ckgsh:DataFileShape]'),
], ids=["no-table-and-row", "empty-table", "two-studies", "unknown-study", "two-lines", "data-file-without-path"])
def test_a_finding_about_an_rdf_source_row_names_its_properties_not_columns(project: Project, tmp_path: Path,
                                                                            row: str, expected: str) -> None:
    assert _rdf_findings(project, tmp_path, rdf_study(row)) == [expected]


_ROW = f'ckg:citation "Example (2025)" ; {_LINE} ; {_FILE}'
_PARTNERSHIP = (f"<{ID}partnership/qom/tabriz/friendship> a ckg:Partnership ; ckg:partner <{ID}city/qom>, "
                f"<{ID}city/tabriz> ;\n    ckg:partnershipType ckg:friendshipCity ; prov:wasDerivedFrom _:row ;\n")


@pytest.mark.parametrize(("text", "expected"), [
    (rdf_study(_ROW, more=" ckg:expertPanelSize 10 ;"),
     'IN:6: ckg:expertPanelSize: violation: ckg:expertPanelSize takes an xsd:positiveInteger, and this value is an '
     'xsd:integer: write "10"^^xsd:positiveInteger. [ckgsh:StudyShape]'),
    (rdf_study(_ROW, more=' ckg:expertPanelSize "10" ;'),
     'IN:6: ckg:expertPanelSize: violation: ckg:expertPanelSize takes an xsd:positiveInteger, and this value is a '
     'plain string: write "10"^^xsd:positiveInteger. [ckgsh:StudyShape]'),
    (rdf_study(_ROW, more=' ckg:publicationYear "2019"^^xsd:gYear ;'),
     'IN:6: ckg:publicationYear: violation: ckg:publicationYear takes an xsd:integer, and this value is an '
     'xsd:gYear: write "2019"^^xsd:integer. [ckgsh:StudyShape]'),
    (rdf_study('ckg:citation "Example (2025)" ; ckg:line 1 ; ' + _FILE),
     'IN:8: ckg:line: violation: ckg:line takes an xsd:positiveInteger, and this value is an xsd:integer: write '
     '"1"^^xsd:positiveInteger. [ckgsh:SourceRowShape]'),
    (rdf_study(_ROW).replace('ckg:identifier "x"', 'ckg:identifier "x"@en'),
     'IN:5: ckg:identifier: violation: ckg:identifier takes an xsd:string, and this value is a text tagged @en: '
     'write "x". [ckgsh:identifier]'),
    (rdf_study('ckg:citation "Example (2025)" ; ckg:line "1"^^xsd:positiveInteger ;\n'
               "    ckg:dataFile [ a ckg:DataFile ; ckg:path 5 ]"),
     'IN:9: ckg:path: violation: ckg:path takes an xsd:string, and this value is an xsd:integer: write "5". '
     "[ckgsh:DataFileShape]"),
    (QOM_TTL + _PARTNERSHIP + '    <https://schema.org/startDate> "2019" .\n',
     'IN:12: schema:startDate: violation: schema:startDate takes an xsd:date, an xsd:gYearMonth or an xsd:gYear, '
     'and this value is a plain string: write "2019"^^xsd:gYear. [ckgsh:PartnershipShape]'),
    # a value that no datatype would make right is told what the shape wants, as in a table
    (rdf_study(_ROW, more=" ckg:expertPanelSize 0 ;"),
     "IN:6: ckg:expertPanelSize: violation: The panel size is a whole number of experts, 1 or more; leave it empty "
     "and explain in panel_size_note if the source is unclear. (value: 0) [ckgsh:StudyShape]"),
], ids=["integer", "string", "year", "line", "language-tag", "string-not-number", "one-of-three", "out-of-range"])
def test_an_rdf_value_of_the_wrong_datatype_says_which_to_write(project: Project, tmp_path: Path, text: str,
                                                                 expected: str) -> None:
    assert expected in _rdf_findings(project, tmp_path, text)


def test_the_readme_rdf_typo_example(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (project.root / "README.md").read_text(encoding="utf-8")
    session = readme.split("$ citykg validate qom.ttl", 1)[1].split("```", 1)[0].splitlines()[1:]
    (tmp_path / "qom.ttl").write_text(readme_rdf_example().replace("ckg:country <", "ckg:countryy <"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    answer = CliRunner().invoke(cli, ["--project", str(project.root), "-q", "validate", "qom.ttl"])
    assert answer.exit_code == 1
    printed = answer.stdout.splitlines()
    assert len(printed) == len(session) == 3
    assert all(line.startswith(shown.rstrip("…").rstrip()) for line, shown in zip(printed, session, strict=True))


@pytest.mark.parametrize(("change", "expected"), [
    (("ckg:country <", "ckg:countryy <"),
     "IN:6: violation: ckg:countryy is not a property of the ontology (ontology/*.ttl); did you mean ckg:country? "
     "Use a term the ontology declares, or declare it there first. (value: https://w3id.org/citykg/ontology#countryy) "
     "[citykg:input/undeclared-term]"),
    (('ckg:wikidataId "Q131664"', 'ckg:wikidataID "q-bogus"'),
     "IN:7: violation: ckg:wikidataID is not a property of the ontology (ontology/*.ttl); did you mean ckg:wikidataId? "
     "Use a term the ontology declares, or declare it there first. "
     "(value: https://w3id.org/citykg/ontology#wikidataID) "
     "[citykg:input/undeclared-term]"),
    (("a ckg:City ;", "a ckg:City ; rdfs:seeAlso ckg:memorandum ;"),  # a term cut short: the one it starts
     "IN:5: violation: ckg:memorandum is not a term of the ontology (ontology/*.ttl); did you mean "
     "ckg:memorandumOfUnderstanding? Use a term the ontology declares, or declare it there first. "
     "(value: https://w3id.org/citykg/ontology#memorandum) "
     "[citykg:input/undeclared-term]"),
    (("a ckg:City ;", "a ckg:Cty ;"),
     "IN:5: violation: ckg:Cty is not a class of the ontology (ontology/*.ttl); did you mean ckg:City? Use a term the "
     "ontology declares, or declare it there first. (value: https://w3id.org/citykg/ontology#Cty) "
     "[citykg:input/undeclared-term]"),
    (('rdfs:label "Qom"@en ;', 'rdfs:label "Qom"@en ; <http://evil.example/p> "junk" ;'),
     "IN:5: violation: <http://evil.example/p> is not a property of the ontology (ontology/*.ttl). Use a term the "
     "ontology declares, or declare it there first. "
     "[citykg:input/undeclared-term]"),
    (("<https://w3id.org/citykg/id/city/qom> a", "<http://evil.example/qom> a"),
     "IN:5: violation: <http://evil.example/qom> is not a citykg record: an RDF submission describes records whose "
     "IRIs start with https://w3id.org/citykg/id/ (such as https://w3id.org/citykg/id/city/qom). Mint the record's "
     "IRI there, or leave its triples out. [citykg:input/foreign-subject]"),
    (("a ckg:City ;", ""),
     "IN:5: violation: The record has no class of the ontology. Give it an rdf:type the ontology declares, such as "
     "ckg:City or ckg:Partnership. (value: https://w3id.org/citykg/id/city/qom) [citykg:input/untyped-record]"),
    (("prov:wasDerivedFrom _:row .", 'prov:wasDerivedFrom [ a ckg:SourceRow ; ckg:citation "X" ] .'),
     "IN: violation: A blank node that no record refers to (ckg:citation, ckg:dataFile, ckg:line, rdf:type): it "
     "describes nothing. Refer to it from a record (as prov:wasDerivedFrom _:row), or leave it out. "
     "[citykg:input/detached-node]"),
    (('ckg:citation "Example (2024)" ;', 'ckg:citation "Example (2024)" ; ckg:dataTable "cities" ;'),
     'IN:5: violation: The source row states ckg:dataTable "cities", which citykg alone states, of a row it read '
     "from a table of its data. Leave it out, and cite the source (ckg:citation, or ckg:inStudy, ckg:sourceTable "
     "and ckg:sourceRow). [citykg:input/table-provenance]"),
    (('ckg:dataFile [ a ckg:DataFile ; ckg:path "qom.ttl" ]', "ckg:dataFile <https://w3id.org/citykg/id/source/reference/cities>"),
     "IN:5: violation: The source row states ckg:dataFile <https://w3id.org/citykg/id/source/reference/cities>, "
     "which citykg alone states, of a row it read from that file of its data. Name the file you submit instead: "
     'ckg:dataFile [ a ckg:DataFile ; ckg:path "…" ]. [citykg:input/table-provenance]'),
], ids=["typo-in-a-property", "typo-and-bad-qid", "term-cut-short", "unknown-class", "foreign-property", "foreign-subject",
        "untyped-record", "detached-blank-node", "table-claimed", "source-file-claimed"])
def test_an_rdf_input_describes_records_in_the_ontologys_terms(project: Project, tmp_path: Path,
                                                               change: tuple[str, str], expected: str) -> None:
    assert change[0] in QOM_TTL
    texts = _rdf_findings(project, tmp_path, QOM_TTL.replace(*change))
    assert expected in texts, texts


def test_the_twinning_shortcut_on_an_existing_city_comes_with_a_new_partnership(project: Project,
                                                                                 tmp_path: Path) -> None:
    shortcut = (f"<{ID}city/tabriz> ckg:twinnedWith <{ID}city/qom> .\n"
                f"<{ID}city/qom> ckg:twinnedWith <{ID}city/tabriz> .\n")
    alone = _rdf_findings(project, tmp_path, QOM_TTL + shortcut)
    assert [t for t in alone if "existing-record" in t] == [
        "IN:10: violation: The graph already has this record (from the graph <https://w3id.org/citykg/graph/reference>): "
        "an RDF submission adds new records only. A ckg:twinnedWith shortcut on it comes with the new twinning "
        "of its two cities: a ckg:Partnership of both (ckg:partner) of type ckg:sisterCity, ckg:friendshipCity or "
        "ckg:twinningStatement. Add that partnership, or leave the shortcut out: citykg adds it to a twinning. "
        f"(value: {ID}city/tabriz) [citykg:input/existing-record]"]
    partnership = (f"<{ID}partnership/qom/tabriz/twinned> a ckg:Partnership ; ckg:partner <{ID}city/qom>, "
                   f"<{ID}city/tabriz> ; ckg:partnershipType ckg:twinningStatement ; prov:wasDerivedFrom _:row .\n")
    assert [t for t in _rdf_findings(project, tmp_path, QOM_TTL + shortcut + partnership)
            if "citykg:input" in t] == []
    # a cooperation agreement makes no twins: its cities' shortcut is refused
    agreement = partnership.replace("twinned>", "cooperation-agreement>").replace("twinningStatement",
                                                                                  "cooperationAgreement")
    assert [t for t in _rdf_findings(project, tmp_path, QOM_TTL + shortcut + agreement)
            if "existing-record" in t] == [t for t in alone if "existing-record" in t]


# ------------------------------------------------------------------ a path on its own: --standalone


def test_a_copy_of_the_data_is_a_duplicate_in_context_and_conforms_on_its_own(project: Project,
                                                                              tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(project.data, copy, ignore=shutil.ignore_patterns("README.md"))
    assert not validate(copy, project=project).conforms  # every record is already in the graph
    alone = validate(copy, project=project, standalone=True)
    assert alone.summary() == "0 violations, 6 warnings, 0 info"
    assert all(f.file and f.file.startswith(str(copy)) for f in alone.findings)
    # A study on its own: its references to the reference tables do not resolve.
    study = validate(copy / "mashhad-oic", project=project, standalone=True)
    assert not study.conforms and any(f.file and f.file.startswith(str(copy / "mashhad-oic")) for f in study.findings)
    assert validate(project=project, standalone=True).summary() == "0 violations, 6 warnings, 0 info"


def test_the_projects_own_build_is_checked_through_its_link(built: tuple[Project, BuildResult]) -> None:
    project, result = built
    link = project.dist / "citykg.trig"
    assert link.is_symlink() and result.trig.resolve() == link.resolve()
    alone = validate(link, project=project, standalone=True)
    assert alone.conforms, alone.to_text()
    in_context = validate(link, project=project)  # as an addition: every record is already there
    assert {"citykg:input/reserved-subject", "citykg:input/existing-record"} <= {
        f.shape for f in in_context.findings if f.severity.value == "violation"}
    args = ["--project", str(project.root), "--dist", str(project.dist), "-q", "validate", str(link)]
    answer = CliRunner().invoke(cli, [*args, "--standalone"])
    assert answer.exit_code == 0, answer.output
    assert answer.stdout.splitlines()[-1] == alone.summary()


# One bad cell, row or file is one finding, not a cascade elsewhere. A study that conforms but
# for its citation of S9, which is in no row of factors.csv: that stays a violation throughout.
DANGLING = dict(GOOD_STUDY, **{"strategy_factors.csv": GOOD_STUDY["strategy_factors.csv"] + "new-2025,SO1,S9,Table 2,SO1\n"})
FACTORS = GOOD_STUDY["factors.csv"]
S9 = ("violation", "NEW/strategy_factors.csv", 4, "factor",
      "The cited factor is not in factors.csv of this study: add it or fix the code.")


def _findings(report: object, folder: Path) -> list[tuple[str, str | None, int | None, str | None, str]]:
    return [(f.severity.value, f.file.replace(str(folder), "NEW") if f.file else None, f.row, f.column, f.message)
            for f in report.findings]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("change", "expected"), [
    ({}, [S9]),  # the dangling reference alone
    # 1. O1's row has a field too many: SO1's citation of O1 is noted at it, not reported as dangling
    ({"factors.csv": FACTORS.replace("An opportunity,", "An opportunity, open,")}, [
        ("violation", "NEW/factors.csv", 3, None, "The row has 8 fields but the header has 7. Quote cells that "
                                                  "contain commas."),
        ("info", "NEW/factors.csv", 3, None, "1 reference to this row's record (strategy_factors.csv line 3) was "
         "not checked: the row could not be read. Fix it and validate again to check them."),
        S9]),
    # 2. factors.csv is named Factors.CSV: not read, like a table that cannot be read (S9 included)
    ({"factors.csv": None, "Factors.CSV": FACTORS}, [
        ("violation", "NEW/Factors.CSV", None, None, "Factors.CSV is not read: citykg reads tables named in lower case "
                                                     "with the extension .csv. Rename it to factors.csv."),
        ("info", "NEW/Factors.CSV", None, None, "3 references to factors.csv (in strategy_factors.csv) were not "
         "checked: citykg does not read a file named Factors.CSV, and there is no factors.csv. Rename it to "
         "factors.csv and validate again to check them.")]),
    # 3. label_en is misnamed: the header's one finding, not one more for each row
    ({"factors.csv": FACTORS.replace("label_en", "label_english")}, [
        ("violation", "NEW/factors.csv", 1, "label_en", "Required column 'label_en' is missing: An English "
                                                        "translation. The header's 'label_english' is no column of a "
                                                        "factors table: if it is 'label_en', rename it."),
        S9]),
    # without kind, the factors have no class: the citations of them are noted, not reported
    ({"factors.csv": FACTORS.replace(",kind,", ",sort,")}, [
        ("info", "NEW/factors.csv", None, None, "2 references to the records of this table (strategy_factors.csv "
         "lines 2, 3) were not checked: its header lacks the column 'kind'. Fix it and validate again to check them."),
        ("violation", "NEW/factors.csv", 1, "kind", "Required column 'kind' is missing: strength, weakness, "
                                                    "opportunity or threat."),
        ("violation", "NEW/factors.csv", 1, "sort", "Unknown column 'sort' in a factors table."),
        S9]),
    # a kind left out leaves S1 without a class: one violation, which accounts for the citation of S1
    ({"factors.csv": FACTORS.replace("S1,strength,", "S1,,")}, [
        ("violation", "NEW/factors.csv", 2, "kind", "The kind is empty, and it is required: one of strength, "
         "weakness, opportunity, threat. The row that cites it as 'S1' (strategy_factors.csv line 2) is checked "
         "once the kind is fixed."),
        S9]),
    # a column named twice: which cell a row means is unknown, so the table is not read
    ({"factors.csv": FACTORS.replace("source_row\n", "source_row,kind\n", 1)}, [
        ("info", "NEW/factors.csv", None, None, "3 references to factors.csv (in strategy_factors.csv) were not "
         "checked: the table could not be read. Fix it and validate again to check them."),
        ("violation", "NEW/factors.csv", 1, "kind", "Column 'kind' appears twice in the header: rename or remove one "
                                                    "(the table is not read until then).")]),
    # without code, no row can be told from another: the table is not read
    ({"factors.csv": FACTORS.replace(",code,", ",id,")}, [
        ("info", "NEW/factors.csv", None, None, "3 references to factors.csv (in strategy_factors.csv) were not "
         "checked: the table could not be read. Fix it and validate again to check them."),
        ("violation", "NEW/factors.csv", 1, "code", "Required column 'code' is missing: Code as printed: S1, W3, O2, T4."),
        ("violation", "NEW/factors.csv", 1, "id", "Unknown column 'id' in a factors table.")]),
    # a header that names no column at all (here: none, the first row is data) is one problem
    ({"factors.csv": FACTORS.split("\n", 1)[1]}, [
        ("info", "NEW/factors.csv", None, None, "3 references to factors.csv (in strategy_factors.csv) were not "
         "checked: the table could not be read. Fix it and validate again to check them."),
        ("violation", "NEW/factors.csv", 1, None, "No column of the header is a factors column; expected study, "
         "code, kind, label_fa, label_en, source_table, source_row, note. The first row reads 'new-2025,S1,strength,"
         "قوت,A strength,Table 1,1'. If it is a row of data, add the header above it; otherwise name the columns "
         "as expected.")]),
], ids=["dangling", "extra-field", "file-name", "column-name", "class-column", "class-cell", "column-twice",
        "key-column", "no-header"])
def test_one_bad_row_file_or_column_is_one_finding(project: Project, tmp_path: Path,
                                                   change: dict[str, str | None], expected: list[object]) -> None:
    folder = tmp_path / "new-2025"
    write(folder, {name: text for name, text in dict(DANGLING, **change).items() if text is not None})
    assert _findings(validate(folder, project=project), folder) == expected


def test_in_a_zip_a_table_refused_for_its_name_is_one_finding(project: Project, tmp_path: Path) -> None:
    files = {f"new-2025/{'Factors.CSV' if name == 'factors.csv' else name}": text for name, text in DANGLING.items()}
    archive = tmp_path / "new.zip"
    archive.write_bytes(zip_bytes(files))
    assert [(f.severity.value, f.file, f.message.split(":")[0]) for f in validate(archive, project=project).findings] == [
        ("violation", f"{archive}/new-2025/Factors.CSV", "Factors.CSV is not read"),
        ("info", f"{archive}/new-2025/Factors.CSV", "3 references to factors.csv (in strategy_factors.csv) were not "
                                                   "checked")]


def test_in_the_projects_data_a_table_refused_for_its_name_is_one_finding(project_copy: Project) -> None:
    # read in place, as by `citykg build` (the loader reports the name) and `citykg validate`
    study = project_copy.data / "mashhad-oic"
    (study / "factors.csv").rename(study / "Factors.CSV")
    expected = [
        ("violation", "data/mashhad-oic/Factors.CSV", None, None, "Factors.CSV is not read: citykg reads tables named "
         "in lower case with the extension .csv. Rename it to factors.csv."),
        ("info", "data/mashhad-oic/Factors.CSV", None, None, "120 references to factors.csv (in strategy_factors.csv) "
         "were not checked: citykg does not read a file named Factors.CSV, and there is no factors.csv. Rename it to "
         "factors.csv and validate again to check them.")]
    assert _findings(validate(project=project_copy), project_copy.root) == expected
    with pytest.raises(DataError) as failed:
        build(project_copy)
    assert _findings(failed.value.report, project_copy.root) == expected


def test_in_the_projects_data_a_row_that_cannot_be_read_is_one_finding(project: Project, project_copy: Project) -> None:
    factors = project_copy.data / "mashhad-oic" / "factors.csv"
    lines = factors.read_text(encoding="utf-8").split("\n")
    factors.write_text("\n".join([*lines[:2], lines[2] + ",", *lines[3:]]), encoding="utf-8")  # line 3: S2
    before = {f.to_text() for f in validate(project=project).findings}
    assert [(f.severity.value, f.file, f.row, f.message.split(":")[0]) for f in validate(project=project_copy).findings
            if f.to_text() not in before] == [
        ("violation", "data/mashhad-oic/factors.csv", 3, "The row has 9 fields but the header has 8. Quote cells that "
                                                         "contain commas."),
        ("info", "data/mashhad-oic/factors.csv", 3, "1 reference to this row's record (strategy_factors.csv line 94) "
                                                    "was not checked")]


# A table whose rows decide checks of other records (the TOWS type of each strategy, whether each
# strategy and action is listed) that cannot be read is one violation and one note, not a false
# finding at every strategy. Without strategy_factors.csv, the strategies build on nothing: that
# is reported.
CITES = GOOD_STUDY["strategy_factors.csv"]
TOWS_NOTE = ("info", "NEW/strategy_factors.csv", None, None, "The TOWS type of 1 strategy (strategies.csv line 2) was "
             "not checked: the table could not be read. Fix it and validate again to check them.")


@pytest.mark.parametrize(("change", "expected"), [
    ({"strategy_factors.csv": CITES.replace("factor,", "factr,", 1)}, [
        TOWS_NOTE,
        ("violation", "NEW/strategy_factors.csv", 1, "factor", "Required column 'factor' is missing: The cited "
                                                               "factor's code. The header's 'factr' is no column of a "
                                                               "strategy_factors table: if it is 'factor', rename it.")]),
    ({"strategy_factors.csv": CITES.replace(",", ";")}, [
        TOWS_NOTE,
        ("violation", "NEW/strategy_factors.csv", 1, None, "The header is separated by semicolons; citykg tables are "
                                                           "comma-separated CSV. Export the sheet as CSV with commas.")]),
    ({"strategy_factors.csv": CITES.replace("study,strategy,", "study,strat,", 1)}, [
        TOWS_NOTE,
        ("violation", "NEW/strategy_factors.csv", 1, "strategy", "Required column 'strategy' is missing: The "
                                                                 "strategy's code. The header's 'strat' is no column "
                                                                 "of a strategy_factors table: if it is 'strategy', rename it.")]),
    ({"strategy_factors.csv": CITES.replace("study,", "stdy,", 1)}, [
        TOWS_NOTE,
        ("violation", "NEW/strategy_factors.csv", 1, "study", "Required column 'study' is missing: The id of the "
                                                              "study (as in studies.csv). The header's 'stdy' is no "
                                                              "column of a strategy_factors table: if it is 'study', "
                                                              "rename it.")]),
    ({"strategy_factors.csv": CITES.replace("new-2025,SO1,O1,Table 2", "new-2025,SO1,O1,Table, 2")}, [
        ("info", "NEW/strategy_factors.csv", None, None, "The TOWS type of 1 strategy (strategies.csv line 2) was not "
         "checked: the row on line 3 could not be read. Fix it and validate again to check them."),
        ("violation", "NEW/strategy_factors.csv", 3, None, "The row has 6 fields but the header has 5. Quote cells "
                                                           "that contain commas.")]),
    ({"strategy_factors.csv": None}, [
        ("violation", "NEW/strategies.csv", 2, None, "SO1 is an SO strategy but builds on no opportunity; an SO "
         "strategy builds on at least one strength and one opportunity: cite one (O…) in strategy_factors.csv, or "
         "fix its type."),
        ("violation", "NEW/strategies.csv", 2, None, "SO1 is an SO strategy but builds on no strength; an SO strategy "
         "builds on at least one strength and one opportunity: cite one (S…) in strategy_factors.csv, or fix its "
         "type.")]),
    ({"strategy_actions.csv": GOOD_STUDY["strategy_actions.csv"].replace("study,strategy,", "study,strat,", 1)}, [
        ("info", "NEW/strategy_actions.csv", None, None, "The action list of 1 strategy (strategies.csv line 2) and "
         "the strategies listing 1 action (actions.csv line 2) were not checked: the table could not be read. Fix it "
         "and validate again to check them."),
        ("violation", "NEW/strategy_actions.csv", 1, "strategy", "Required column 'strategy' is missing: The "
                                                                 "strategy's code. The header's 'strat' is no column "
                                                                 "of a strategy_actions table: if it is 'strategy', rename it.")]),
], ids=["no-factor-column", "semicolons", "no-strategy-column", "no-study-column", "row", "absent", "actions"])
def test_a_table_that_decides_other_records_checks_is_one_note_when_it_cannot_be_read(
        project: Project, tmp_path: Path, change: dict[str, str | None], expected: list[object]) -> None:
    folder = tmp_path / "new-2025"
    write(folder, {name: text for name, text in dict(GOOD_STUDY, **change).items() if text is not None})
    assert _findings(validate(folder, project=project), folder) == expected


def test_a_missing_studies_csv_is_one_violation_not_one_per_row(project: Project, tmp_path: Path) -> None:
    folder = write(tmp_path / "new-2025", {name: text for name, text in GOOD_STUDY.items() if name != "studies.csv"})
    assert _findings(validate(folder, project=project), folder) == [
        ("violation", "NEW/actions.csv", 2, "study", "No study new-2025 in studies.csv (the graph's, or the "
         "submission's own): add studies.csv with its row, or correct the study column (7 rows name it: actions.csv "
         "line 2; factors.csv lines 2, 3; strategies.csv line 2; strategy_actions.csv line 2; strategy_factors.csv "
         "lines 2, 3).")]


def test_a_note_counts_only_the_declared_counts_of_the_study_whose_table_was_not_read(project: Project,
                                                                                       tmp_path: Path) -> None:
    # the project's tabriz-2024 declares 32 counts of its themes, sub-themes and codes: not this study's
    folder = write(tmp_path / "them-2025", {
        "studies.csv": "id,title_en,city,method_en,panel_size,source_table,source_row\n"
                       "them-2025,A thematic study,tabriz,Interviews,5,Abstract,1\n",
        "themes.csv": "study;id;label_fa;label_en;source_table;source_row\nthem-2025;t1;مضمون;A theme;Table 1;1\n",
        "subthemes.csv": "study,id,theme,label_fa,label_en,source_table,source_row\n"
                         "them-2025,t1-1,t1,زیر,A sub-theme,Table 1,1\n"})
    assert _findings(validate(folder, project=project), folder) == [
        ("info", "NEW/themes.csv", None, None, "1 reference to themes.csv (in subthemes.csv) was not checked: the "
                                               "table could not be read. Fix it and validate again to check them."),
        ("violation", "NEW/themes.csv", 1, None, "The header is separated by semicolons; citykg tables are "
                                                 "comma-separated CSV. Export the sheet as CSV with commas.")]


# A submission with a study of its own that also adds a row to a published study: a slip in the
# study cell, most likely, which would change that study. A warning at the cell, unless a note
# says why; a submission with no study of its own adds to the graph's studies on purpose.
ADDED = "mashhad-oic,ST1,T1,Table 2,ST1"
OTHER_STUDY = ("warning", "NEW/strategy_factors.csv", 4, "study", "This row adds to the study mashhad-oic, which is "
               "already in the graph, while this submission's own study is new-2025 (studies.csv): check the study "
               "column. (Adding to a published study is allowed: then say so in the row's note.)")


@pytest.mark.parametrize(("files", "expected"), [
    (dict(GOOD_STUDY, **{"strategy_factors.csv": GOOD_STUDY["strategy_factors.csv"] + ADDED + "\n"}), [OTHER_STUDY]),
    (dict(GOOD_STUDY, **{"strategy_factors.csv": "study,strategy,factor,source_table,source_row,note\n"
                                                 "new-2025,SO1,S1,Table 2,SO1,\nnew-2025,SO1,O1,Table 2,SO1,\n"
                                                 f"{ADDED},Cited again in the new study's Table 2\n"}), []),
    ({"strategy_factors.csv": "study,strategy,factor,source_table,source_row\n" + ADDED + "\n"}, []),
], ids=["own-study", "with-a-note", "no-study-of-its-own"])
def test_a_row_that_adds_to_a_published_study_beside_a_new_study_is_a_warning(
        project: Project, tmp_path: Path, files: dict[str, str], expected: list[object]) -> None:
    folder = write(tmp_path / "new-2025", files)
    report = validate(folder, project=project)
    assert _findings(report, folder) == expected and report.conforms


def _one_changed(table: str, old: str, new: str, **extra: str) -> dict[str, str]:
    assert old in GOOD_STUDY[table]
    return dict(GOOD_STUDY, **{table: GOOD_STUDY[table].replace(old, new)}, **extra)


CASE = "Ids and codes match only in the same case: did you mean"


@pytest.mark.parametrize(("files", "expected"), [
    # a reference that differs from an id only in case says which it meant
    (_one_changed("studies.csv", ",mashhad,", ",Mashhad,"), [
        ("violation", "NEW/studies.csv", 2, "city", "The studied city (ckg:studiedCity) is not a city of the graph: "
         "give the id of one in cities.csv (the graph's, or a row of the submission's own), or fix the id. "
         f"{CASE} 'mashhad'?")]),
    (_one_changed("studies.csv", ",mashhad,", ",Yazd,", **{"cities.csv": "id,label_en,label_fa,country,wikidata,source\n"
                                                                        "yazd,Yazd,یزد,IR,Q6397,Example (2024)\n"}), [
        ("violation", "NEW/studies.csv", 2, "city", "The studied city (ckg:studiedCity) is not a city of the graph: "
         "give the id of one in cities.csv (the graph's, or a row of the submission's own), or fix the id. "
         f"{CASE} 'yazd'?")]),
    # and at the column that holds it, of the two that name a partnership's cities
    ({"partnerships.csv": "city_a,city_b,type,start,source\nTabriz,Mashhad,sister-city,2019,Example\n"}, [
        ("violation", "NEW/partnerships.csv", 2, "city_a", "A partnership joins exactly two different cities, each in "
         f"cities.csv: the graph's, or a row of the submission's own. {CASE} 'tabriz'?"),
        ("violation", "NEW/partnerships.csv", 2, "city_b", "A partnership joins exactly two different cities, each in "
         f"cities.csv: the graph's, or a row of the submission's own. {CASE} 'mashhad'?")]),
    (_one_changed("strategy_factors.csv", "SO1,S1,", "SO1,s1,"), [
        ("violation", "NEW/strategy_factors.csv", 2, "factor", "The cited factor is not in factors.csv of this study: "
         f"add it or fix the code. {CASE} 'S1'?")]),
    # the action meant is then listed: no warning that no strategy lists it
    (_one_changed("strategy_actions.csv", ",1,A01,", ",1,a01,"), [
        ("violation", "NEW/strategy_actions.csv", 2, "action", "The action is not in actions.csv of this study: add "
         f"it or fix the id. {CASE} 'A01'?")]),
    # a code that breaks its pattern is one finding, not one more at each row that cites the code meant
    (_one_changed("factors.csv", "S1,strength", "s1,strength"), [
        ("violation", "NEW/factors.csv", 2, "code", "A strength's code is S and its number (S1, S2 …): check the code "
         "or the kind. The row that cites it as 'S1' (strategy_factors.csv line 2) is checked once the code is fixed.")]),
    # nor at the strategy, which then seems to build on nothing and to list no action
    (_one_changed("strategies.csv", "SO1,SO", "so1,SO"), [
        ("violation", "NEW/strategies.csv", 2, "code", "An SO strategy's code is SO and its number (SO1 …). The rows "
         "that cite it as 'SO1' (strategy_actions.csv line 2; strategy_factors.csv lines 2, 3) are checked once the "
         "code is fixed.")]),
    # cited as written, a factor whose code breaks its pattern is still the strength it builds on
    (dict(_one_changed("factors.csv", "S1,strength", "s1,strength"),
          **{"strategy_factors.csv": GOOD_STUDY["strategy_factors.csv"].replace("SO1,S1,", "SO1,s1,")}), [
        ("violation", "NEW/factors.csv", 2, "code", "A strength's code is S and its number (S1, S2 …): check the code "
         "or the kind.")]),
], ids=["city", "own-city", "partners", "factor", "action", "factor-code", "strategy-code", "cited-as-written"])
def test_a_reference_in_another_case_says_what_it_meant_and_a_broken_code_is_one_finding(
        project: Project, tmp_path: Path, files: dict[str, str], expected: list[object]) -> None:
    folder = write(tmp_path / "new-2025", files)
    assert _findings(validate(folder, project=project), folder) == expected


def test_a_reference_in_another_case_to_a_city_of_an_rdf_submission_says_what_it_meant(
        project_copy: Project, tmp_path: Path) -> None:
    from citykg.submit import submit

    (tmp_path / "qom.ttl").write_text(QOM_TTL, encoding="utf-8")
    assert submit(tmp_path / "qom.ttl", project=project_copy, who="Ana").report.conforms
    folder = write(tmp_path / "new-2025", _one_changed("studies.csv", ",mashhad,", ",Qom,"))
    assert [f.message.rsplit(": ", 1)[-1] for f in validate(folder, project=project_copy).findings] == [
        "did you mean 'qom'?"]


def test_a_duplicate_names_the_other_row_as_the_input_names_it(project: Project, tmp_path: Path) -> None:
    folder = tmp_path / "two"
    write(folder / "a", {"studies.csv": GOOD_STUDY["studies.csv"], "factors.csv": FACTORS})
    write(folder / "b", {"factors.csv": FACTORS})
    [duplicate, *_] = [f for f in validate(folder, project=project).findings if "Duplicate" in f.message]
    assert duplicate.file == f"{folder.as_posix()}/b/factors.csv"
    assert f"it is already defined on {folder.as_posix()}/a/factors.csv:2." in duplicate.message
    assert "citykg-input" not in duplicate.message

