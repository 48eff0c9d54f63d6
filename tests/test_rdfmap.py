"""Rows to RDF: deterministic IRIs, provenance on every record, graphs compared by isomorphism."""

from __future__ import annotations

from pathlib import Path

import rdflib
from rdflib.compare import isomorphic

from citykg.rdfmap import to_quads
from citykg.tables import read_tables


def study_s(kind: str, study: str | None, key: str) -> bool:
    """The study ``s`` the tables of these tests name is in the graph they are read into."""
    return (kind, key) == ("study", "s")


EXPECTED = """
@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix sg: <https://w3id.org/citykg/id/study/s/> .
@prefix src: <https://w3id.org/citykg/id/source/s/> .

<https://w3id.org/citykg/graph/s> a ckg:SourceGraph ; ckg:citykgVersion "0.1.0" ;
    prov:wasDerivedFrom src:factors, src:strategy_factors .
src:factors a ckg:DataFile ; ckg:path "s/factors.csv" ; ckg:sha256 "%(f)s" .
src:strategy_factors a ckg:DataFile ; ckg:path "s/strategy_factors.csv" ; ckg:sha256 "%(sf)s" .

sg:factor\\/W3 a ckg:Weakness ; ckg:inStudy <https://w3id.org/citykg/id/study/s> ; ckg:code "W3" ;
    rdfs:label "ضعف"@fa, "A weakness"@en ; prov:wasDerivedFrom src:factors\\/2 .
src:factors\\/2 a ckg:SourceRow ; ckg:dataTable "factors" ; ckg:dataFile src:factors ;
    ckg:line "2"^^xsd:positiveInteger ; ckg:inStudy <https://w3id.org/citykg/id/study/s> ;
    prov:hadPrimarySource <https://w3id.org/citykg/id/study/s> ;
    ckg:sourceTable "Table 2" ; ckg:sourceRow "3" .

sg:citation\\/WO1\\/W3 a ckg:FactorCitation ; ckg:inStudy <https://w3id.org/citykg/id/study/s> ;
    ckg:citingStrategy sg:strategy\\/WO1 ; ckg:citedFactor sg:factor\\/W3 ; ckg:printedValue "(W3 O1)" ;
    prov:wasDerivedFrom src:strategy_factors\\/2 .
src:strategy_factors\\/2 a ckg:SourceRow ; ckg:dataTable "strategy_factors" ; ckg:dataFile src:strategy_factors ;
    ckg:line "2"^^xsd:positiveInteger ; ckg:inStudy <https://w3id.org/citykg/id/study/s> ;
    prov:hadPrimarySource <https://w3id.org/citykg/id/study/s> ;
    ckg:sourceTable "Table 3" ; ckg:sourceRow "WO1" .
sg:strategy\\/WO1 ckg:buildsOn sg:factor\\/W3 ; ckg:overcomesWeakness sg:factor\\/W3 .
"""


def test_rows_become_the_expected_graph(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "factors.csv").write_text(
        "study,code,kind,label_fa,label_en,source_table,source_row,note\n"
        "s,W3,weakness,ضعف,A weakness,Table 2,3,\n", encoding="utf-8")
    (folder / "strategy_factors.csv").write_text(
        "study,strategy,factor,source_table,source_row,printed\n"
        "s,WO1,W3,Table 3,WO1,(W3 O1)\n", encoding="utf-8")
    tables = read_tables([folder], root=tmp_path)
    mapped = to_quads(tables, known=study_s)
    assert mapped.report.findings == ()
    sums = {f.table: f.sha256 for f in tables.sources[0].files}
    got = rdflib.Graph()
    for q in mapped.quads:
        assert q.graph_name.value == "https://w3id.org/citykg/graph/s"
    got.parse(data="\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in mapped.quads), format="nt")
    expected = rdflib.Graph().parse(data=EXPECTED % {"f": sums["factors"], "sf": sums["strategy_factors"]},
                                    format="turtle")
    assert isomorphic(got, expected), got.serialize(format="turtle")


def test_mapping_is_deterministic_and_every_record_has_provenance(project: object) -> None:
    root = Path(__file__).resolve().parent.parent
    folders = sorted(p for p in (root / "data").iterdir() if p.is_dir())
    first = to_quads(read_tables(folders, root=root)).quads
    second = to_quads(read_tables(list(reversed(folders)), root=root)).quads
    assert first == second
    derived = {q.subject for q in first if q.predicate.value.endswith("wasDerivedFrom")}
    records = {q.subject for q in first if q.predicate.value.endswith("#type")
               and not q.object.value.endswith(("#SourceRow", "#DataFile", "#SourceGraph",
                                                "#ThematicCodebook", "core#ConceptScheme"))}
    assert records <= derived


def test_unresolvable_subject_of_a_count(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "declared_counts.csv").write_text(
        "study,subject,quantity,value,printed,source_table,source_row,note\n"
        "s,nothing,themes,3,3,Abstract,1,\n", encoding="utf-8")
    mapped = to_quads(read_tables([folder], root=tmp_path), known=study_s)
    assert [f.to_text() for f in mapped.report.findings] == [
        "s/declared_counts.csv:2: subject: violation: 'nothing' is not a theme or subtheme or "
        "organisation of this study or the reference data. [citykg:reference]"]


def test_references_into_a_table_that_cannot_be_read_are_noted_once(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "factors.csv").write_text(  # semicolons: no row can be read
        "study;code;kind;label_fa;label_en;source_table;source_row\ns;W3;weakness;ضعف;A weakness;Table 2;3\n",
        encoding="utf-8")
    (folder / "strategy_factors.csv").write_text(
        "study,strategy,factor,source_table,source_row\ns,WO1,W3,Table 3,WO1\ns,WO1,O1,Table 3,WO1\n",
        encoding="utf-8")
    (folder / "declared_counts.csv").write_text(
        "study,subject,quantity,value,source_table,source_row\ns,nothing,themes,3,Abstract,1\n", encoding="utf-8")
    mapped = to_quads(read_tables([folder], root=tmp_path), known=study_s)
    (unresolved, note) = mapped.report.findings
    assert note.to_text() == (
        "s/factors.csv: info: 2 references to factors.csv (in strategy_factors.csv) were not checked: the "
        "table could not be read. Fix it and validate again to check them. [citykg:reference]")
    assert note.covers == {("s/strategy_factors.csv", 2, "factor"), ("s/strategy_factors.csv", 3, "factor")}
    assert unresolved.message.startswith("'nothing' is not a theme or subtheme or organisation")  # themes.csv is absent
    # the references are mapped as they are
    assert sum(q.predicate.value.endswith("#citedFactor") for q in mapped.quads) == 2


def test_a_studys_own_row_does_not_cite_the_study_as_its_primary_source(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "studies.csv").write_text("id,title_en,city,year,method_en,panel_size,source_table,source_row\n"
                                        "s,A study,tabriz,2024,Interviews,12,Abstract,1\n", encoding="utf-8")
    (folder / "factors.csv").write_text("study,code,kind,label_fa,label_en,source_table,source_row\n"
                                        "s,W3,weakness,ضعف,A weakness,Table 2,3\n", encoding="utf-8")
    quads = to_quads(read_tables([folder], root=tmp_path)).quads
    primary = {q.subject.value.rsplit("/", 2)[-2] for q in quads if q.predicate.value.endswith("#hadPrimarySource")}
    assert primary == {"factors"}  # the factor's row cites the study; the study's own row does not


FACTORS = "study,code,kind,label_fa,label_en,source_table,source_row\n"
CITES = "study,strategy,factor,source_table,source_row\ns,WO1,W3,Table 3,WO1\ns,WO1,W9,Table 3,WO1\n"


def _mapped(tmp_path: Path, files: dict[str, str]) -> tuple[list[str], set[tuple[str, int, str]]]:
    """The texts of the mapper's findings, and the cells they cover."""
    folder = tmp_path / "s"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    report = to_quads(read_tables([folder], root=tmp_path), known=study_s).report
    return [f.to_text() for f in report.findings], {c for f in report.findings for c in f.covers}


def test_references_to_a_row_that_cannot_be_read_are_noted_once_at_it(tmp_path: Path) -> None:
    # W3's row has a field too many: it defines no record, but it is W3's. W9 is in no row.
    texts, covered = _mapped(tmp_path, {
        "factors.csv": FACTORS + "s,W3,weakness,ضعف,A weakness, and more,Table 2,3\n",
        "strategy_factors.csv": CITES,
        "themes.csv": "study,id,label_fa,label_en,source_table,source_row\ns,t1,a,b,c,Table 1,1\n",
        "declared_counts.csv": "study,subject,quantity,value,source_table,source_row\n"
                               "s,t1,subthemes,3,Abstract,1\ns,t2,subthemes,3,Abstract,2\n"})
    assert texts == [
        "s/declared_counts.csv:3: subject: violation: 't2' is not a theme or subtheme or organisation of this "
        "study or the reference data. [citykg:reference]",
        "s/factors.csv:2: info: 1 reference to this row's record (strategy_factors.csv line 2) was not checked: "
        "the row could not be read. Fix it and validate again to check them. [citykg:reference]",
        "s/themes.csv:2: info: 1 reference to this row's record (declared_counts.csv line 2) and 2 declared counts "
        "of the records of themes.csv (declared_counts.csv lines 2, 3) were not checked: the row could not be read. "
        "Fix it and validate again to check them. [citykg:reference]"]
    assert ("s/strategy_factors.csv", 3, "factor") not in covered  # W9: the shapes report it


def test_references_into_a_table_refused_for_its_name_are_noted_once(tmp_path: Path) -> None:
    texts, covered = _mapped(tmp_path, {"Factors.CSV": FACTORS, "strategy_factors.csv": CITES})
    assert texts == [
        "s/Factors.CSV: info: 2 references to factors.csv (in strategy_factors.csv) were not checked: citykg does "
        "not read a file named Factors.CSV, and there is no factors.csv. Rename it to factors.csv and validate "
        "again to check them. [citykg:reference]"]
    assert covered == {("s/strategy_factors.csv", 2, "factor"), ("s/strategy_factors.csv", 3, "factor")}


def test_references_to_records_whose_header_lacks_their_class_are_noted_once(tmp_path: Path) -> None:
    texts, covered = _mapped(tmp_path, {"factors.csv": FACTORS.replace(",kind,", ",sort,")
                                        + "s,W3,weakness,ضعف,A weakness,Table 2,3\n", "strategy_factors.csv": CITES})
    assert texts == [
        "s/factors.csv: info: 1 reference to the records of this table (strategy_factors.csv line 2) was not "
        "checked: its header lacks the column 'kind'. Fix it and validate again to check them. [citykg:reference]"]
    assert ("s/strategy_factors.csv", 3, "factor") not in covered  # W9 is in no row


def test_an_action_that_was_not_read_is_not_made_up(tmp_path: Path) -> None:
    # A01's row has a field too many: strategy_actions.csv refers to it, but says nothing about it
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "actions.csv").write_text("study,id,label_fa,label_en,source_table,source_row\n"
                                        "s,A01,اقدام,An action, and more,Table 2,1\n", encoding="utf-8")
    (folder / "strategy_actions.csv").write_text(
        "study,strategy,position,action,label_fa,label_en,source_table,source_row\n"
        "s,SO1,1,A01,اقدام,An action,Table 2,1\ns,SO1,2,,اقدام,An action,Table 2,1\n", encoding="utf-8")
    quads = to_quads(read_tables([folder], root=tmp_path)).quads
    assert not [q for q in quads if q.predicate.value.endswith("#implements")]
    assert [q.object.value.rsplit("/", 1)[-1] for q in quads if q.predicate.value.endswith("#statesAction")] == ["A01"]


def test_counts_of_records_whose_header_lacks_their_parent_are_noted_once(tmp_path: Path) -> None:
    texts, covered = _mapped(tmp_path, {
        "codes.csv": "study,id,label_fa,label_en,source_table,source_row\ns,c1,کد,A code,Table 1,1\n",
        "declared_counts.csv": "study,subject,quantity,value,source_table,source_row\n"
                               "s,,categorized-codes,3,Abstract,1\ns,,themes,2,Abstract,2\n"})
    assert texts == [
        "s/codes.csv: info: 1 declared count of its records (declared_counts.csv line 2) was not checked: its "
        "header lacks the column 'subtheme'. Fix it and validate again to check them. [citykg:reference]"]
    assert covered == {("s/declared_counts.csv", 2, "value")}  # the count of themes does not depend on codes


def test_a_citation_of_a_factor_in_lower_case_states_the_relation_of_its_letter(tmp_path: Path) -> None:
    # s1's code breaks its shape (a strength's code is S and its number): that is one finding; its
    # strategy still builds on a strength, so it is not also reported as building on none
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "strategy_factors.csv").write_text("study,strategy,factor,source_table,source_row\n"
                                                 "s,SO1,s1,Table 2,SO1\ns,SO1,o2,Table 2,SO1\n", encoding="utf-8")
    quads = to_quads(read_tables([folder], root=tmp_path), known=study_s).quads
    assert sorted((q.predicate.value.rsplit("#", 1)[-1], q.object.value.rsplit("/", 1)[-1]) for q in quads
                  if q.subject.value.endswith("/strategy/SO1")) == [
        ("buildsOn", "o2"), ("buildsOn", "s1"), ("exploitsOpportunity", "o2"), ("usesStrength", "s1")]
