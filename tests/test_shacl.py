"""The SHACL shapes on valid and invalid examples, with both engines.

``shapes/context.ttl`` is a small valid dataset with a record of every kind; it must give no
finding. Each file of ``shapes/invalid/`` adds broken records and names, in an ``# expect:``
line, the shape that must report them and with which severity.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from citykg.build import load_ontology, with_closure
from citykg.project import Project
from citykg.report import Report, Severity
from citykg.shacl import Engine, check, load_shapes

HERE = Path(__file__).resolve().parent / "shapes"
INVALID = sorted((HERE / "invalid").glob("*.ttl"))
EXPECT = re.compile(r"^# expect: (\S+) (violation|warning)$", re.M)
GRAPH = NamedNode("https://w3id.org/citykg/graph/example")


@cache
def _project() -> Project:
    return Project.locate(Path(__file__).resolve().parent.parent)


def _quads(path: Path) -> list[Quad]:
    return [Quad(t.subject, t.predicate, t.object, GRAPH) for t in parse(path=path, format=RdfFormat.TURTLE)]


def validate(extra: Path | None, engine: Engine) -> Report:
    project = _project()
    ontology = load_ontology(project)
    quads = _quads(HERE / "context.ttl") + (_quads(extra) if extra else [])
    return check(with_closure(quads, ontology), shapes=load_shapes(project.shapes),
                 ontology=ontology, engine=engine)


@pytest.mark.parametrize("engine", list(Engine))
def test_the_valid_context_has_no_finding(engine: Engine) -> None:
    report = validate(None, engine)
    assert report.findings == (), report.to_text()


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_example_is_caught_by_its_shape(path: Path) -> None:
    shape, severity = EXPECT.search(path.read_text(encoding="utf-8")).groups()  # type: ignore[union-attr]
    report = validate(path, Engine.TURBO)
    subjects = {str(q.subject.value) for q in _quads(path)}
    caught = [f for f in report.findings if f.shape == shape and f.severity is Severity(severity)]
    assert caught, f"{shape} did not report {path.name}:\n{report.to_text()}"
    assert any(f.focus in subjects for f in caught)
    assert report.conforms is (severity == "warning")


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_both_engines_agree(path: Path) -> None:
    assert validate(path, Engine.TURBO) == validate(path, Engine.PYSHACL)


def _shapes() -> tuple[set[str], dict[str, str]]:
    """Named shapes of the shapes file, and the target class of each node shape."""
    from rdflib import RDF, Namespace

    sh = Namespace("http://www.w3.org/ns/shacl#")
    graph = load_shapes(_project().shapes).graph
    prefix = "https://w3id.org/citykg/shapes#"
    named = {str(s).replace(prefix, "ckgsh:") for t in (sh.NodeShape, sh.PropertyShape)
             for s in graph.subjects(RDF.type, t) if str(s).startswith(prefix)}
    targets = {str(s).replace(prefix, "ckgsh:"): str(c) for s, c in graph.subject_objects(sh.targetClass)}
    return named, targets


def test_every_shape_has_an_invalid_example() -> None:
    named, _ = _shapes()
    expected = {EXPECT.search(p.read_text(encoding="utf-8")).group(1) for p in INVALID}  # type: ignore[union-attr]
    assert named - expected == set(), "shapes without an invalid example"
    assert expected - named == set(), "examples naming shapes that do not exist"


def test_every_shape_has_a_valid_example() -> None:
    _, targets = _shapes()
    ontology = load_ontology(_project())
    typed = {q.object.value for q in with_closure(_quads(HERE / "context.ttl"), ontology)
             if q.predicate.value.endswith("#type")}
    missing = {shape for shape, cls in targets.items() if cls not in typed}
    assert missing == set(), "node shapes the valid context never exercises"


def test_every_constraint_has_a_plain_message() -> None:
    """Every property shape and SPARQL constraint says in plain words what is wrong, so no finding
    falls back to the engine's own text (``Less than 1 values on <…>``). A shape that has a message
    of its own holds no SPARQL constraint: pySHACL would give its results both messages."""
    from rdflib import Namespace

    sh = Namespace("http://www.w3.org/ns/shacl#")
    graph = load_shapes(_project().shapes).graph
    constraints = {*graph.objects(None, sh.property), *graph.objects(None, sh.sparql)}
    silent = sorted(f"{c} (path {graph.value(c, sh.path)})" for c in constraints if graph.value(c, sh.message) is None)
    assert silent == []
    doubled = sorted(str(s) for s in graph.subjects(sh.sparql, None) if graph.value(s, sh.message) is not None)
    assert doubled == []


def _extra(tmp_path: Path, turtle: str) -> Path:
    """An invalid example written on the fly, with the prefixes of ``context.ttl``."""
    prefixes = "".join(line + "\n" for line in (HERE / "context.ttl").read_text(encoding="utf-8").splitlines()
                       if line.startswith("@"))
    path = tmp_path / "extra.ttl"
    path.write_text(prefixes + turtle, encoding="utf-8")
    return path


@pytest.mark.parametrize("engine", list(Engine))
def test_a_citation_of_the_wrong_kind_names_both_codes_at_the_citing_row(engine: Engine, tmp_path: Path) -> None:
    # SO1 of the context cites the weakness W1: the citation was read from line 9 of its own file
    extra = _extra(tmp_path, """
        <source/t/strategy_factors> a ckg:DataFile ; ckg:path "data/t/strategy_factors.csv" .
        <source/t/strategy_factors/9> a ckg:SourceRow ; ckg:dataFile <source/t/strategy_factors> ;
            ckg:line "9"^^xsd:positiveInteger ; ckg:dataTable "strategy_factors" ; ckg:inStudy <study/t> ;
            ckg:sourceTable "Table 2" ; ckg:sourceRow "SO1" .
        <study/t/citation/SO1/W1> a ckg:FactorCitation ; ckg:citingStrategy <study/t/strategy/SO1> ;
            ckg:citedFactor <study/t/factor/W1> ; ckg:inStudy <study/t> ;
            prov:wasDerivedFrom <source/t/strategy_factors/9> .
        <study/t/strategy/SO1> ckg:buildsOn <study/t/factor/W1> ; ckg:overcomesWeakness <study/t/factor/W1> .
        """)
    assert [f.to_text() for f in validate(extra, engine).findings] == [
        "data/t/strategy_factors.csv:9: factor: violation: SO1 is an SO strategy but builds on weakness W1; "
        "an SO strategy builds on strengths and opportunities only: fix the factor, or make it a WO or WT "
        "strategy. [ckgsh:SOStrategyShape]"]


@pytest.mark.parametrize("engine", list(Engine))
def test_a_city_with_the_id_of_a_partner_citykg_link_brought_is_told_to_link_again(engine: Engine,
                                                                                   tmp_path: Path) -> None:
    # Istanbul (Q406) is a partner city of the context that citykg link brought; a table adds it again
    extra = _extra(tmp_path, """
        <city/istanbul> a ckg:City ; rdfs:label "Istanbul"@en ; ckg:country <country/IR> ; ckg:identifier "istanbul" ;
            ckg:wikidataId "Q406" ; prov:wasDerivedFrom <source/reference/cities/2> .
        """)
    found = sorted((f.focus, f.message) for f in validate(extra, engine).findings if f.shape == "ckgsh:CityQidShape")
    again = "citykg link brought one of them from Wikidata as a partner: run citykg link and citykg build again, " \
            "which make the two one city."
    assert found == [
        ("https://w3id.org/citykg/id/city/Q406", f"Another city, Istanbul (istanbul), has the same Wikidata id Q406: "
                                                 f"a Wikidata item is one place. {again}"),
        ("https://w3id.org/citykg/id/city/istanbul", f"Another city, Istanbul (Q406), has the same Wikidata id Q406: "
                                                     f"a Wikidata item is one place. {again}")]


@pytest.mark.parametrize("engine", list(Engine))
def test_a_relation_no_citation_states_names_the_missing_factor(engine: Engine) -> None:
    report = validate(HERE / "invalid" / "strategy-builds-on-unknown-factor.ttl", engine)
    assert sorted(f.message for f in report.findings if f.shape == "ckgsh:StrategyFactorsShape") == [
        "SO1 builds on O1 (ckg:usesStrength), but the graph has no strength O1: "
        "fix the factor's code or the relation, or add the factor (factors.csv).",
        "WO1 builds on W10 (ckg:overcomesWeakness), but the graph has no weakness W10: "
        "fix the factor's code or the relation, or add the factor (factors.csv)."]


@pytest.mark.parametrize("engine", list(Engine))
def test_a_factor_built_on_by_ckg_buildson_alone_is_told_the_relation_to_state(engine: Engine) -> None:
    # once: not again as a threat the ST strategy lacks
    report = validate(HERE / "invalid" / "strategy-builds-on-a-factor-by-buildson-alone.ttl", engine)
    assert [(f.shape, f.message) for f in report.findings] == [(
        "ckgsh:StrategyFactorsShape",
        "ST2 builds on the threat T1 by ckg:buildsOn alone: state ckg:avoidsThreat T1, the relation of its kind, "
        "instead; citykg adds ckg:buildsOn from it, and the TOWS checks and the tows-matrix query read it.")]


@pytest.mark.parametrize("engine", list(Engine))
def test_a_record_refers_only_to_records_of_its_own_study(engine: Engine) -> None:
    # the example's study u (or t) refers to records of t (or u): each finding names the record, the
    # other study and the fix
    names = ("strategy-builds-on-factor-of-another-study.ttl", "action-of-a-strategy-of-another-study.ttl",
             "concept-in-a-scheme-of-another-study.ttl")
    found = {name: sorted((f.focus.rsplit("/id/", 1)[-1], f.message)
                          for f in validate(HERE / "invalid" / name, engine).findings if f.focus)
             for name in names}
    fix = "Refer to the {} of {} that the source means (add it to that study if it lacks it), or fix the IRI."
    assert found == {
        "strategy-builds-on-factor-of-another-study.ttl": [(
            "study/t/strategy/SO1",
            "The strategy SO1 of the study t refers to S1, a factor of the study u (ckg:usesStrength): a strategy "
            "builds only on factors of its own study. " + fix.format("factor", "t"))],
        "action-of-a-strategy-of-another-study.ttl": [
            ("study/u/action/A1",
             "The action A1 of the study u refers to SO1, a strategy of the study t (ckg:implements): an action "
             "implements the strategies of its own study only. " + fix.format("strategy", "u")),
            ("study/u/statement/SO1/2",
             "The action statement study/u/statement/SO1/2 of the study u refers to SO1, a strategy of the study t "
             "(ckg:statedIn): an action statement lists an action of its study under a strategy of its study. "
             + fix.format("strategy", "u"))],
        "concept-in-a-scheme-of-another-study.ttl": [
            ("study/u",
             "The study u refers to f, a cited scheme of the study t (ckg:citesScheme): a study cites, declares and "
             "codes only records of its own. " + fix.format("cited scheme", "u")),
            ("study/u/concept/f/y",
             "The concept y of the study u refers to f, a scheme of the study t (skos:inScheme): a concept is in a "
             "scheme of its own study. " + fix.format("scheme", "u"))]}


@pytest.mark.parametrize("engine", list(Engine))
def test_relations_to_records_the_graph_lacks_are_reported(engine: Engine) -> None:
    report = validate(HERE / "invalid" / "study-cites-unknown-scheme.ttl", engine)
    id_ = "https://w3id.org/citykg/id/"
    found = sorted((f.shape, f.value or "", re.findall(r"\(ckg:\w+\)", f.message)) for f in report.findings
                   if f.severity is Severity.VIOLATION)
    assert found == [
        ("ckgsh:CityShape", id_ + "country/IR", ["(ckg:twinnedWith)"]),
        ("ckgsh:StudyShape", "", ["(ckg:codebook)"]),  # a second codebook
        ("ckgsh:StudyShape", id_ + "study/t/count/nope", ["(ckg:declares)"]),
        ("ckgsh:StudyShape", id_ + "study/t/scheme/nope", ["(ckg:citesScheme)"]),
        ("ckgsh:StudyShape", id_ + "study/t/theme/a", ["(ckg:codebook)"])]  # not a codebook


@pytest.mark.parametrize("engine", list(Engine))
def test_a_strategy_without_a_kind_of_factor_is_named(engine: Engine) -> None:
    report = validate(HERE / "invalid" / "wo-strategy-without-opportunity.ttl", engine)
    assert [f.message for f in report.findings if f.shape == "ckgsh:WOStrategyShape"] == [
        "WO2 is a WO strategy but builds on no opportunity; a WO strategy builds on at least one weakness "
        "and one opportunity: cite one (O…) in strategy_factors.csv, or fix its type."]


@pytest.mark.parametrize("engine", list(Engine))
def test_a_declared_count_names_what_it_counts(engine: Engine) -> None:
    report = validate(HERE / "invalid" / "declared-count-not-listed.ttl", engine)
    assert [f.message for f in report.findings] == [
        "The study declares 3 codes under sub-theme 'a-1' (Sub-theme), but the tables list 1."]


@pytest.mark.parametrize("engine", list(Engine))
def test_an_unknown_study_is_reported_once_by_the_record(engine: Engine, tmp_path: Path) -> None:
    # The record and the row it was read from both name the study; the record reports it.
    extra = _extra(tmp_path, """
        <source/t/factors/9> a ckg:SourceRow ; ckg:dataFile <source/t/factors> ; ckg:line "9"^^xsd:positiveInteger ;
            ckg:dataTable "partnerships" ; ckg:inStudy <study/nope> ; ckg:sourceTable "Table 1" ; ckg:sourceRow "9" .
        <partnership/mashhad/tabriz/friendship> a ckg:Partnership ; ckg:partner <city/tabriz>, <city/mashhad> ;
            ckg:partnershipType ckg:friendshipCity ; ckg:inStudy <study/nope> ; prov:wasDerivedFrom <source/t/factors/9> .
        """)
    assert [f.to_text() for f in validate(extra, engine).findings] == [
        "data/t/factors.csv:9: study: violation: The study column names a study that does not exist: add it "
        "to studies.csv or fix the id. (value: nope) [ckgsh:PartnershipShape]"]


@pytest.mark.parametrize("engine", list(Engine))
def test_an_action_of_a_statement_of_an_unknown_strategy_is_reported_at_the_statement(
        engine: Engine, tmp_path: Path) -> None:
    extra = _extra(tmp_path, """
        <study/t/statement/XX9/1> a ckg:ActionStatement ; ckg:statedIn <study/t/strategy/XX9> ;
            ckg:statesAction <study/t/action/A1> ; ckg:position "1"^^xsd:positiveInteger ;
            rdfs:label "An action"@en, "اقدام"@fa ; ckg:inStudy <study/t> ; prov:wasDerivedFrom <source/t/factors/2> .
        <study/t/action/A1> ckg:implements <study/t/strategy/XX9> .
        """)
    assert [(f.shape, f.message) for f in validate(extra, engine).findings] == [
        ("ckgsh:ActionStatementShape", "The strategy is not in strategies.csv of this study: add it or fix the code.")]


@pytest.mark.parametrize("engine", list(Engine))
def test_a_citation_of_a_factor_its_strategy_does_not_build_on_says_how_to_add_it(
        engine: Engine, tmp_path: Path) -> None:
    # as an RDF input may state it of a strategy the graph has: the citation, not the relation
    extra = _extra(tmp_path, """
        <study/t/factor/O2> a ckg:Opportunity ; ckg:code "O2" ; rdfs:label "Another"@en, "فرصت دیگر"@fa ;
            ckg:inStudy <study/t> ; prov:wasDerivedFrom <source/t/factors/2> .
        <study/t/citation/SO1/O2> a ckg:FactorCitation ; ckg:citingStrategy <study/t/strategy/SO1> ;
            ckg:citedFactor <study/t/factor/O2> ; ckg:inStudy <study/t> ; prov:wasDerivedFrom <source/t/factors/2> .
        """)
    assert [(f.shape, f.message) for f in validate(extra, engine).findings] == [(
        "ckgsh:CitationRelationShape",
        "SO1 does not build on O2, which this citation says it cites: a factor citation qualifies its strategy's "
        "ckg:exploitsOpportunity. To add a factor to a strategy the graph has, submit it as a row of "
        "strategy_factors.csv (study, strategy, factor, source_table, source_row), which states both; a strategy the "
        "submission adds states ckg:buildsOn and ckg:exploitsOpportunity itself.")]


def _relations_to_citykg_classes() -> list[str]:
    """The ontology's object properties whose range is a citykg class."""
    import rdflib
    from rdflib import OWL, RDF, RDFS

    ckg = "https://w3id.org/citykg/ontology#"
    graph = rdflib.Graph()
    for path in sorted(_project().ontology.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return sorted(str(p) for p in graph.subjects(RDF.type, OWL.ObjectProperty)
                  if str(p).startswith(ckg) and any(str(r).startswith(ckg) for r in graph.objects(p, RDFS.range)))


def test_the_relations_the_ranges_are_checked_for_are_found() -> None:
    found = _relations_to_citykg_classes()
    assert len(found) >= 20 and "https://w3id.org/citykg/ontology#partner" in found


@pytest.mark.parametrize("prop", _relations_to_citykg_classes(), ids=lambda p: p.rsplit("#", 1)[-1])
def test_a_relation_to_a_record_the_graph_lacks_is_reported_whatever_states_it(prop: str, tmp_path: Path) -> None:
    # an RDF input may state any relation of any subject, typed or not: the range is checked all the same
    extra = _extra(tmp_path, f"<thing/x> <{prop}> <thing/nowhere> .\n")
    report = validate(extra, Engine.TURBO)
    caught = [f for f in report.findings if f.severity is Severity.VIOLATION and f.focus and f.focus.endswith("/thing/x")
              and "thing/nowhere" in f"{f.value} {f.message}"]
    assert caught, report.to_text()


@pytest.mark.parametrize("engine", list(Engine))
def test_a_key_may_repeat_in_another_study(engine: Engine, tmp_path: Path) -> None:
    extra = _extra(tmp_path, """
        <study/u> a ckg:Study ; ckg:identifier "u" ; dcterms:title "Another study"@en ; ckg:studiedCity <city/mashhad> ;
            ckg:method "Interviews"@en ; prov:wasDerivedFrom <source/t/factors/2> .
        <study/u/factor/S1> a ckg:Strength ; ckg:code "S1" ; rdfs:label "A strength"@en, "قوت"@fa ;
            ckg:inStudy <study/u> ; prov:wasDerivedFrom <source/t/factors/2> .
        """)
    assert [f.to_text() for f in validate(extra, engine).findings] == []


@pytest.mark.parametrize("engine", list(Engine))
def test_a_source_row_not_read_from_a_table_is_told_in_rdf_terms(engine: Engine, tmp_path: Path) -> None:
    # a source row of an RDF file (no ckg:dataTable): its findings name properties, not columns,
    # and not the file and line it declares; a table's row (line 9) is told in its columns
    extra = _extra(tmp_path, """
        <source/rdf> a ckg:DataFile ; ckg:path "x.ttl" .
        <source/rdf/1> a ckg:SourceRow ; ckg:dataFile <source/rdf> ; ckg:line "1"^^xsd:positiveInteger ;
            ckg:inStudy <study/t> ; ckg:sourceTable "" .
        <source/t/factors/9> a ckg:SourceRow ; ckg:dataFile <source/t/factors> ; ckg:line "9"^^xsd:positiveInteger ;
            ckg:dataTable "factors" ; ckg:inStudy <study/t> ; ckg:sourceTable "" .
        """)
    assert [(f.file, f.row, f.column, f.path, f.message) for f in validate(extra, engine).findings] == [
        (None, None, None, None, "Every source row says where its fact comes from: ckg:inStudy, ckg:sourceTable and "
         "ckg:sourceRow, or a ckg:citation."),
        (None, None, None, "ckg:sourceTable", "Give one ckg:sourceTable: the table, figure or section of the paper."),
        ("data/t/factors.csv", 9, "source_row", None, "Every row says where its fact comes from: study, source_table "
         "and source_row, or a source citation."),
        ("data/t/factors.csv", 9, "source_table", None, "Give one source_table: the table, figure or section of the "
         "paper.")]


@pytest.mark.parametrize("engine", list(Engine))
def test_a_value_of_the_wrong_datatype_not_read_from_a_table_says_which_to_write(engine: Engine,
                                                                                  tmp_path: Path) -> None:
    # 11 is an xsd:integer, and the count an xsd:nonNegativeInteger: an RDF file's record is told
    # how to write it; a table's (of row 2 of factors.csv) is told what its cell should hold
    extra = _extra(tmp_path, """
        <source/rdf> a ckg:DataFile ; ckg:path "x.ttl" .
        <source/rdf/1> a ckg:SourceRow ; ckg:dataFile <source/rdf> ; ckg:line "1"^^xsd:positiveInteger ;
            ckg:citation "Example (2025)" .
        <study/t/code/a-1.3> a ckg:CategorizedCode ; ckg:identifier "a-1.3" ; skos:prefLabel "A code"@en, "کد"@fa ;
            ckg:inStudy <study/t> ; skos:broader <study/t/subtheme/a-1> ; ckg:expertCount 1 ;
            prov:wasDerivedFrom <source/rdf/1> .
        <study/t/code/a-1.4> a ckg:CategorizedCode ; ckg:identifier "a-1.4" ; skos:prefLabel "A code"@en, "کد"@fa ;
            ckg:inStudy <study/t> ; skos:broader <study/t/subtheme/a-1> ; ckg:expertCount 1 ;
            prov:wasDerivedFrom <source/t/factors/2> .
        """)
    assert [(f.row, f.path, f.message) for f in validate(extra, engine).findings if f.shape == "ckgsh:CodeShape"] == [
        (None, "ckg:expertCount", 'ckg:expertCount takes an xsd:nonNegativeInteger, and this value is an xsd:integer: '
         'write "1"^^xsd:nonNegativeInteger.'),
        (2, None, "The number of experts is a whole number, 0 or more.")]
