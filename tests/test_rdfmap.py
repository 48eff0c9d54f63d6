"""Rows to RDF: deterministic IRIs, provenance on every record, graphs compared by isomorphism."""

from __future__ import annotations

from pathlib import Path

import rdflib
from rdflib.compare import isomorphic

from citykg.rdfmap import to_quads
from citykg.tables import read_tables

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
    mapped = to_quads(tables)
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
    mapped = to_quads(read_tables([folder], root=tmp_path))
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
    mapped = to_quads(read_tables([folder], root=tmp_path))
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
