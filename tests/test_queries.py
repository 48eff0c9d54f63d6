"""Named queries: the catalogue is well formed, and every query gives the papers' answer."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, Variable

from citykg.errors import QueryError, QueryNotFound, QueryParameterError, QuerySyntaxError
from citykg.project import Project
from citykg.queries import check_params, get_query, load_catalogue, run, run_sparql
from citykg.sparqltext import parameters_used

QUERIES = Path(__file__).resolve().parent.parent / "queries"
CATALOGUE = load_catalogue(QUERIES)


def answer(store: Store, name: str, **params: str) -> list[tuple[str | None, ...]]:
    result = run(store, CATALOGUE[name], params)
    assert result.columns == CATALOGUE[name].columns
    return [tuple(t.value if t is not None else None for t in row) for row in result.rows]


def column(store: Store, name: str, col: str, **params: str) -> list[str | None]:
    i = CATALOGUE[name].columns.index(col)
    return [row[i] for row in answer(store, name, **params)]


# ----------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_query_parses_and_has_a_summary(name: str) -> None:
    query = CATALOGUE[name]
    assert query.summary and not query.summary.endswith(".")
    assert query.columns
    Store().query(query.sparql)  # raises SyntaxError if it does not parse


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_query_declares_exactly_the_parameters_it_uses(name: str) -> None:
    query = CATALOGUE[name]
    assert {p.name for p in query.params} == parameters_used(query.sparql)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_query_projects_its_columns_then_its_parameters(name: str) -> None:
    query = CATALOGUE[name]
    projected = [v.value for v in Store().query(query.sparql).variables]  # type: ignore[union-attr]
    params = [p.name for p in query.params if p.name not in query.columns]
    assert projected == list(query.columns) + params


def test_needs_header_names_what_must_run_first() -> None:
    needing = {n: q.needs for n, q in CATALOGUE.items() if q.needs}
    assert needing == {"sister-cities": "citykg link", "partners-in-oic": "citykg link"}
    assert CATALOGUE["sister-cities"].to_dict()["needs"] == "citykg link"
    assert CATALOGUE["tows-matrix"].to_dict()["needs"] is None


def test_an_empty_answer_for_studies_without_what_the_query_reads_says_so(store: Store) -> None:
    # Tabriz's study is a thematic analysis, Mashhad's a SWOT/TOWS one: no answer is not "none unaddressed"
    lacking = {(name, tuple(params.items())): run(store, CATALOGUE[name], params).lacking for name, params in (
        ("unaddressed-factors", {"city": "Tabriz"}), ("tows-matrix", {"city": "تبریز"}),
        ("theme-coverage", {"city": "Mashhad"}), ("themes-by-consensus", {"study": "mashhad-oic"}),
        ("unaddressed-factors", {"city": "Mashhad"}), ("shared-actions", {"study": "mashhad-oic"}),
        ("duplicate-strategy-titles", {"city": "Tabriz", "study": "tabriz-2024"}),
        ("network-memberships", {"city": "Tabriz"}), ("network-memberships", {"city": "Mashhad"}))}
    assert lacking == {
        ("unaddressed-factors", (("city", "Tabriz"),)): "no study of 'Tabriz' has SWOT factors",
        ("tows-matrix", (("city", "تبریز"),)): "no study of 'تبریز' has strategies",
        ("theme-coverage", (("city", "Mashhad"),)): "no study of 'Mashhad' has main themes",
        ("themes-by-consensus", (("study", "mashhad-oic"),)): "study mashhad-oic has no categorized codes",
        ("unaddressed-factors", (("city", "Mashhad"),)): "",  # rows: nothing to explain
        ("shared-actions", (("study", "mashhad-oic"),)): "",
        ("duplicate-strategy-titles", (("city", "Tabriz"), ("study", "tabriz-2024"))): "study tabriz-2024 has no strategies",
        ("network-memberships", (("city", "Tabriz"),)): "no study of 'Tabriz' has memberships in organisations",
        ("network-memberships", (("city", "Mashhad"),)): "",
    }
    about = {n: q.about for n, q in CATALOGUE.items() if q.about}
    assert about["unaddressed-factors"] == ("SWOT factors", "ckg:SwotFactor") and len(about) == 8
    assert about["network-memberships"] == ("memberships in organisations", "org:Membership")


@pytest.mark.parametrize("name", sorted(n for n, q in CATALOGUE.items() if not q.needs))
def test_query_runs_with_its_example(store: Store, name: str) -> None:
    # Queries marked '#+ needs: citykg link' answer from the Wikidata graphs; tests/test_link.py
    # runs their examples on a linked build.
    query = CATALOGUE[name]
    params = dict(pair.split("=", 1) for pair in query.example.split()) if query.example else {}
    assert run(store, query, params).rows, f"{name} with {params} answers nothing"


def test_every_city_parameter_takes_name_or_qid(store: Store) -> None:
    for name, query in CATALOGUE.items():
        if query.param("city") and not any(p.required for p in query.params):
            by_name = answer(store, name, city="mAsHhAd")
            assert by_name == answer(store, name, city="Q121157"), name
            assert answer(store, name, city="مشهد") == by_name, name  # the graph's rdfs:label "مشهد"@fa


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_parameter_doc_says_what_it_takes(name: str) -> None:
    for param in CATALOGUE[name].params:
        if param.type == "city":
            assert "any language" in param.doc and "English name" not in param.doc, (name, param.doc)
        if param.name in ("factor", "strategy"):
            assert param.type == "code", name  # a code parameter of that name takes codes of that kind only


def test_a_city_is_named_by_any_of_its_labels(store: Store) -> None:
    tabriz = answer(store, "themes-by-consensus", city="Tabriz")
    assert tabriz and answer(store, "themes-by-consensus", city="تبریز") == tabriz
    assert answer(store, "themes-by-consensus", city=" TABRIZ ") == tabriz


def test_city_labels_match_as_link_compares_names() -> None:
    ckg, rdfs = "https://w3id.org/citykg/ontology#", "http://www.w3.org/2000/01/rdf-schema#"
    graph, city = NamedNode("https://w3id.org/citykg/graph/t"), NamedNode("https://w3id.org/citykg/id/city/x")
    store = Store()
    for quad in [Quad(city, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), NamedNode(ckg + "City"), graph),
                 Quad(city, NamedNode(rdfs + "label"), Literal("Mazār-e Sharīf", language="tr"), graph),
                 Quad(city, NamedNode(rdfs + "label"), Literal("آبادان", language="fa"), graph)]:
        store.add(quad)
    query = CATALOGUE["sister-cities"]
    decomposed = [unicodedata.normalize("NFD", "MAZĀR-E SHARĪF"), unicodedata.normalize("NFD", "آبادان")]
    assert all(not unicodedata.is_normalized("NFC", spelling) for spelling in decomposed)
    # case, accents, harakat and the Arabic forms of Persian letters do not matter
    for spelling in [*decomposed, "mazār-e sharīf", "mazar-e sharif", "آبادانِ", "ﺁﺑﺎﺩﺍﻥ"]:
        assert run(store, query, {"city": spelling}).rows == []  # resolved: no partners, but no error
    with pytest.raises(QueryParameterError, match="No city 'mazar sharifabad'"):
        run(store, query, {"city": "mazar sharifabad"})


def test_a_city_is_named_as_pasted_from_wikidata_or_the_graph(store: Store) -> None:
    by_qid = answer(store, "themes-by-consensus", city="Q80053")
    assert by_qid
    for pasted in ("wd:Q80053", "http://www.wikidata.org/entity/Q80053", "https://www.wikidata.org/wiki/Q80053",
                   "Q۸۰۰۵۳", "Ｑ８００５３", "https://w3id.org/citykg/id/city/tabriz"):
        assert answer(store, "themes-by-consensus", city=pasted) == by_qid, pasted
    for wrong in ("https://w3id.org/citykg/id/city/atlantis", "wd:Q80053x"):
        with pytest.raises(QueryParameterError, match=f"No city '{wrong}'"):
            answer(store, "themes-by-consensus", city=wrong)


def test_a_city_is_named_by_its_other_names_too() -> None:
    skos = "http://www.w3.org/2004/02/skos/core#"
    graph, city = NamedNode("https://w3id.org/citykg/graph/t"), NamedNode("https://w3id.org/citykg/id/city/gaza")
    store = Store()
    store.add(Quad(city, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                   NamedNode("https://w3id.org/citykg/ontology#City"), graph))
    store.add(Quad(city, NamedNode(skos + "altLabel"), Literal("Gaza City", language="en"), graph))
    assert run(store, CATALOGUE["sister-cities"], {"city": "gaza city"}).rows == []  # resolved: no error


# --------------------------------------------------------------- the answers


def test_strategies_for_factor(store: Store) -> None:
    assert [(r[0], r[2]) for r in answer(store, "strategies-for-factor", factor="W3", city="Mashhad")] == [
        ("WO1", "WO"), ("WO4", "WO"), ("WT1", "WT"), ("WT2", "WT")]
    assert column(store, "strategies-for-factor", "code", factor="s4", city="mashhad") == []
    assert column(store, "strategies-for-factor", "code", factor="T1") == ["ST2"]
    assert column(store, "strategies-for-factor", "code", factor="O9") == ["WO1"]


def test_factors_for_strategy(store: Store) -> None:
    rows = answer(store, "factors-for-strategy", strategy="SO1", city="Mashhad")
    assert [r[0] for r in rows] == ["S1", "S3", "S7", "S8", "S9", "S10", "S11", "S12",
                                    "O2", "O3", "O4", "O5", "O6", "O7", "O8"]
    assert {r[1] for r in rows} == {"strength", "opportunity"}
    assert [(r[0], r[1]) for r in answer(store, "factors-for-strategy", strategy="WO2")] == [
        ("W7", "weakness"), ("O1", "opportunity"), ("O2", "opportunity"), ("O4", "opportunity")]


def test_unaddressed_factors(store: Store) -> None:
    assert answer(store, "unaddressed-factors", city="Mashhad") == [
        ("S4", "strength", "A capable private sector and a business sector organised in bodies such "
         "as the chamber of commerce, traders and guilds, with a high potential to export technical "
         "and engineering services")]
    assert answer(store, "unaddressed-factors", city="Tabriz") == []


def test_shared_actions(store: Store) -> None:
    rows = answer(store, "shared-actions", city="Mashhad")
    assert len(rows) == 22
    assert [(r[0], r[2], r[3]) for r in rows[:6]] == [
        ("A05", "4", "SO1, ST1, ST2, WT1"), ("A19", "4", "SO3, ST1, ST3, WT2"),
        ("A01", "3", "SO1, ST1, WT2"), ("A04", "3", "SO1, SO3, WT2"),
        ("A06", "3", "SO1, ST1, WT2"), ("A18", "3", "SO3, WO1, ST1")]
    assert all(r[2] == "2" for r in rows[6:])
    assert ("A32", "Draw up a vision and a long-term programme for city-diplomacy activities",
            "2", "ST2, WT1") in rows
    assert sum(int(r[2]) for r in rows) == 52  # 52 of the 66 statements name a shared action


def test_tows_matrix(store: Store) -> None:
    assert answer(store, "tows-matrix", city="Mashhad") == [
        ("SO1", "SO", "8", "0", "7", "0"), ("SO2", "SO", "6", "0", "6", "0"),
        ("SO3", "SO", "6", "0", "6", "0"), ("WO1", "WO", "0", "3", "6", "0"),
        ("WO2", "WO", "0", "1", "3", "0"), ("WO3", "WO", "0", "4", "5", "0"),
        ("WO4", "WO", "0", "4", "2", "0"), ("ST1", "ST", "7", "0", "0", "6"),
        ("ST2", "ST", "6", "0", "0", "5"), ("ST3", "ST", "11", "0", "0", "4"),
        ("WT1", "WT", "0", "4", "0", "3"), ("WT2", "WT", "0", "5", "0", "2")]


def test_duplicate_strategy_titles(store: Store) -> None:
    rows = answer(store, "duplicate-strategy-titles", city="Mashhad")
    assert [r[1] for r in rows] == ["ST2, WT1"]
    assert rows[0][0].startswith("Bring the city bodies' international-relations programmes")  # type: ignore[union-attr]


def test_themes_by_consensus(store: Store) -> None:
    rows = answer(store, "themes-by-consensus", city="Tabriz")
    assert len(rows) == 37
    assert [r[3] for r in rows] == sorted((r[3] for r in rows), key=lambda e: -int(e))  # type: ignore[arg-type]
    assert sum(1 for r in rows if r[3] == "22") == 9
    assert rows[0] == ("Cultural diplomacy", "Holding cultural weeks",
                       "Preparing what is needed to hold cultural and art weeks between sister cities",
                       "22", "1")
    last = rows[-1]
    assert (last[0], last[3], last[4]) == ("Cultural diplomacy", "17", "0.773")
    assert {r[4] for r in rows if r[3] == "19"} == {"0.864"}
    assert answer(store, "themes-by-consensus", city="Mashhad") == []


def test_theme_coverage(store: Store) -> None:
    assert answer(store, "theme-coverage", city="Tabriz") == [
        ("Cultural diplomacy", "4", "4", "12", "12"), ("Media diplomacy", "2", "2", "4", "4"),
        ("Scientific-educational diplomacy", "3", "3", "5", "5"),
        ("Sports diplomacy", "2", "2", "4", "4"), ("Tourism diplomacy", "4", "4", "11", "11"),
        ("Religious diplomacy", "2", "2", "6", "1")]


def test_study_summary(store: Store) -> None:
    tabriz = {r[1]: (r[2], r[3]) for r in answer(store, "study-summary", city="Tabriz")}
    assert tabriz == {
        "experts on the panel": ("22", None),
        "initial codes": ("284", None),
        "categorized codes": ("45", "37"),
        "categorized codes, summed over the main themes": ("42", "37"),
        "sub-themes": ("17", "17"),
        "main themes": ("6", "6"),
        "sister cities": ("16", "0"),
    }
    mashhad = answer(store, "study-summary", city="Mashhad")
    summary = {r[1]: (r[2], r[3]) for r in mashhad}
    assert summary["experts on the panel"] == (None, None)
    assert "20 or 22" in next(r[4] for r in mashhad if r[1] == "experts on the panel")  # type: ignore[operator]
    assert summary["member states of Organisation of Islamic Cooperation"] == ("57", "57")
    assert [summary[k][1] for k in ("strengths", "weaknesses", "opportunities", "threats",
                                    "strategies", "distinct actions",
                                    "actions as listed under strategies",
                                    "memberships in organisations")] == [
        "13", "9", "10", "7", "12", "36", "66", "13"]


def test_a_study_that_declares_no_number_of_its_themes_has_them_listed(store: Store) -> None:
    extended = Store()
    extended.load(store.dump(format=RdfFormat.N_QUADS), format=RdfFormat.N_QUADS)
    extended.load("""
        @prefix ckg: <https://w3id.org/citykg/ontology#> . @prefix id: <https://w3id.org/citykg/id/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        id:study\\/isf ckg:studiedCity id:city\\/isfahan ; ckg:identifier "isf" ; a ckg:Study .
        id:city\\/isfahan a ckg:City ; <http://www.w3.org/2000/01/rdf-schema#label> "Isfahan"@en .
        id:t1 a ckg:Theme ; ckg:inStudy id:study\\/isf . id:t2 a ckg:Theme ; ckg:inStudy id:study\\/isf .
        id:s1 a ckg:SubTheme ; ckg:inStudy id:study\\/isf .
        id:n1 ckg:inStudy id:study\\/isf ; ckg:countedQuantity ckg:subthemes ; ckg:declaredValue "3"^^xsd:integer .
        """, format=RdfFormat.TURTLE, to_graph=NamedNode("https://w3id.org/citykg/graph/isf"))
    assert answer(extended, "study-summary", city="Isfahan") == [
        ("isf", "experts on the panel", None, None, None),
        ("isf", "main themes", None, "2", None),
        ("isf", "sub-themes", "3", "1", None),
    ]


def test_network_memberships(store: Store) -> None:
    rows = answer(store, "network-memberships", city="Mashhad")
    assert [(r[0], r[2]) for r in rows] == [
        ("Metropolis", "board member"), ("FMDV", "board member"), ("FMDV", "founding member"),
        ("Metropolis", "regional training centre"), ("FMDV", "regional office"),
        ("UCLG", "role not stated"), ("UN-Habitat", "cooperation partner"),
        ("UNDP", "cooperation partner"), ("Metropolis International Youth Network", "main centre"),
        ("Mayors for Peace", "member"), ("OICC", "role not stated"), ("ICLEI", "role not stated"),
        ("Metropolis International Network of Women", "regional office")]
    assert answer(store, "network-memberships", city="Tabriz") == []


def test_dimensions(store: Store) -> None:
    rows = {r[0]: r for r in answer(store, "dimensions")}
    assert set(rows) == {"cultural", "media", "scientific-educational", "sports", "tourism",
                         "religious", "economic", "social", "political"}
    assert rows["tourism"][2] == "Tourism diplomacy (tabriz-2024)"
    assert rows["economic"][2] is None
    assert rows["economic"][3] == "Economic development (Wang & Amiri (2019), cited in mashhad-oic)"
    assert rows["political"][2:] == (None, None)
    # a scheme without an author (it is optional) keeps its concepts
    copy = Store()
    copy.extend(q for q in store if q.predicate.value != "https://w3id.org/citykg/ontology#author")
    assert dict((r[0], r[3]) for r in answer(copy, "dimensions"))["economic"] == (
        "Economic development (cited in mashhad-oic)")


def test_factor_coverage(store: Store) -> None:
    rows = answer(store, "factor-coverage", city="Mashhad", kind="weakness")
    assert [(r[0], r[3], r[4]) for r in rows] == [
        ("W1", "2", "WO3, WT1"), ("W2", "1", "WT1"), ("W3", "4", "WO1, WO4, WT1, WT2"),
        ("W4", "4", "WO1, WO4, WT1, WT2"), ("W5", "3", "WO1, WO4, WT2"), ("W6", "3", "WO3, WO4, WT2"),
        ("W7", "1", "WO2"), ("W8", "1", "WO3"), ("W9", "2", "WO3, WT2")]
    everything = answer(store, "factor-coverage", city="Mashhad")
    assert len(everything) == 39
    assert everything[3][:2] == ("S4", "strength") and everything[3][3] == "0"


def test_strategy_actions_and_provenance(store: Store) -> None:
    assert [r[1] for r in answer(store, "strategy-actions", strategy="ST2")] == ["A30", "A31", "A32", "A05"]
    assert answer(store, "provenance", code="W3") == [
        ("https://w3id.org/citykg/id/study/mashhad-oic/factor/W3", "mashhad-oic", "Table 2", "3",
         "data/mashhad-oic/factors.csv", "27")]


def test_cities_and_studies(store: Store) -> None:
    assert [(r[0], r[2], r[3], r[4]) for r in answer(store, "cities")] == [
        ("mashhad", "IR", "Q121157", "mashhad-oic"), ("tabriz", "IR", "Q80053", "tabriz-2024")]
    studies = {r[0]: r for r in answer(store, "studies")}
    assert studies["tabriz-2024"][3:5] == ("2024", "22")
    assert studies["mashhad-oic"][3:5] == (None, None)


# ------------------------------------------------------------------ the errors


@pytest.mark.parametrize(("header", "body", "message"), [
    ("#+ param city (city): optional. A city.\n", "SELECT ?x $city $town WHERE { ?x ?p $city }\n",
     r"q.rq: the query uses \$town but the header declares no such parameter"),
    ("#+ param city (city): optional. A city.\n#+ param town (city): optional. A town.\n",
     "SELECT ?x $city WHERE { ?x ?p $city }\n", r"q.rq: the header declares the parameter 'town', which the query"),
    ("#+ param city (city): optional. A city.\n#+ param city (city): optional. A city.\n",
     "SELECT ?x $city WHERE { ?x ?p $city }\n", r"q.rq: the header declares the parameter 'city' twice"),
    ("", "SELECT ?y WHERE { ?y ?p ?o }\n", r"q.rq: the header's column 'x' is not in the SELECT: add \?x to it, or "
     r"drop 'x' from '#\+ columns:'."),
    ("#+ param city (city): optional. A city.\n", "SELECT ?x WHERE { ?x ?p $city }\n",
     r"q.rq: the SELECT does not list the parameter \$city, and citykg can bind a parameter only if it does: add "
     r"\$city after the columns \(SELECT \?code \?label \$city\), or write SELECT \*."),
    ("#+ about: SWOT factors\n", "SELECT ?x WHERE { ?x ?p ?o }\n",
     r"q.rq: write '#\+ about: NAME \(prefix:Class\)', such as '#\+ about: SWOT factors \(ckg:SwotFactor\)', "
     r"with one of the prefixes ckg, dcterms, "),
    ("#+ about: cities (city:City)\n", "SELECT ?x WHERE { ?x ?p ?o }\n", r"q.rq: write '#\+ about: NAME \(prefix:Class\)'"),
])
def test_a_query_file_declares_exactly_its_parameters(tmp_path: Path, header: str, body: str, message: str) -> None:
    (tmp_path / "q.rq").write_text(f"#+ summary: Q\n#+ columns: x\n{header}{body}", encoding="utf-8")
    with pytest.raises(QueryError, match=message):
        load_catalogue(tmp_path)


@pytest.mark.parametrize(("body", "message"), [
    ("SELECT ?x WHERE { ?x ?p }\n", r"q.rq:3: The query does not parse: error at 3:19: the triple pattern that "
     r"starts here has no object"),
    ("ASK { ?x ?p ?o }\n", r"q.rq: it is an ASK, and a named query is a SELECT"),
    ("INSERT DATA { <x:a> <x:b> <x:c> }\n", r"q.rq: it is a SPARQL Update, and a named query is a SELECT"),
    ("SELEC ?x WHERE { ?x ?p ?o }\n", r"q.rq:3: The query does not parse: error at 3:1: SELEC is not a query form: "
                                      r".*did you mean SELECT\?"),
    ("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }\n", r"q.rq: .*SERVICE"),
])
def test_a_query_file_that_is_no_select_is_named_when_loaded(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "q.rq").write_text(f"#+ summary: Q\n#+ columns: x\n{body}", encoding="utf-8")
    with pytest.raises(QueryError, match=message):
        load_catalogue(tmp_path)


def test_unknown_query_suggests_the_closest_name() -> None:
    with pytest.raises(QueryNotFound, match="Did you mean 'strategies-for-factor'"):
        get_query(QUERIES, "strategy-for-factor")


def test_a_value_that_is_not_text_is_named_from_python(store: Store) -> None:
    with pytest.raises(QueryParameterError) as caught:
        run(store, get_query(QUERIES, "strategies-for-factor"), {"factor": 3})  # type: ignore[dict-item]
    assert str(caught.value) == ("factor='3' is of type int: give every value as text (a str), as --param "
                                 "factor=VALUE does ('3', not 3).")


def test_parameter_errors(store: Store) -> None:
    query = CATALOGUE["strategies-for-factor"]
    with pytest.raises(QueryParameterError, match="needs --param factor=VALUE"):
        run(store, query, {"city": "Mashhad"})
    with pytest.raises(QueryParameterError, match="has no parameter 'town'"):
        run(store, query, {"factor": "W3", "town": "Mashhad"})
    with pytest.raises(QueryParameterError, match="Did you mean 'Tabriz'"):
        run(store, query, {"factor": "W3", "city": "Tabrizz"})
    with pytest.raises(QueryParameterError, match="No factor has the code 'W10'"):
        run(store, query, {"factor": "W10"})
    with pytest.raises(QueryParameterError, match="No factor or strategy has the code 'W10'"):
        run(store, CATALOGUE["provenance"], {"code": "W10"})
    with pytest.raises(QueryParameterError, match="is not a code"):
        run(store, query, {"factor": "W3' } ; DROP ALL ; #"})
    with pytest.raises(QueryParameterError, match=r"city='Mashhad\\x00' holds a control character \(U\+0000\)"):
        run(store, query, {"factor": "W3", "city": "Mashhad\x00"})  # (a name's normal form would drop it)


def test_the_cli_and_http_say_how_to_pass_a_missing_parameter() -> None:
    query = CATALOGUE["strategies-for-factor"]
    with pytest.raises(QueryParameterError, match=r"needs \?factor=VALUE: The factor's code"):
        check_params(query, {"city": "Mashhad"}, usage="?{name}=VALUE")
    with pytest.raises(QueryParameterError, match="needs --param factor=VALUE"):
        check_params(query, {})
    # a parameter given is given a value, over HTTP as on the command line
    with pytest.raises(QueryParameterError, match=r"^--param factor= has no value: give --param factor=VALUE"):
        check_params(query, {"factor": " "})
    with pytest.raises(QueryParameterError, match=r"^\?city= has no value: give \?city=VALUE, or leave out"):
        check_params(query, {"factor": "W3", "city": ""}, usage="?{name}=VALUE")


@pytest.mark.parametrize(("name", "params", "message"), [
    ("strategies-for-factor", {"factor": "SO1"}, "SO1 is a strategy, not a factor: see factors-for-strategy."),
    ("strategies-for-factor", {"factor": "wt2", "city": "Mashhad"}, "WT2 is a strategy, not a factor"),
    ("factors-for-strategy", {"strategy": "W3"}, "W3 is a factor, not a strategy: see strategies-for-factor."),
    ("strategy-actions", {"strategy": "s1"}, "S1 is a factor, not a strategy"),
    ("factors-for-strategy", {"strategy": "SO9"}, "No strategy has the code 'SO9'."),
])
def test_a_code_of_the_wrong_kind_is_named_as_such(store: Store, name: str, params: dict[str, str],
                                                    message: str) -> None:
    with pytest.raises(QueryParameterError, match=re.escape(message)):
        run(store, CATALOGUE[name], params)
    assert column(store, "provenance", "record", code="SO1")  # a code parameter takes either kind


def test_a_code_kind_or_study_in_other_digits_or_full_width_forms_is_the_same(store: Store) -> None:
    latin = answer(store, "strategies-for-factor", factor="W3", city="Mashhad")
    assert answer(store, "strategies-for-factor", factor="W۳", city="Mashhad") == latin  # Persian ۳
    assert answer(store, "strategies-for-factor", factor="w٣", city="Mashhad") == latin  # Arabic ٣
    assert answer(store, "strategies-for-factor", factor="Ｗ３\u200c", city="Mashhad") == latin  # full-width, ZWNJ
    assert answer(store, "factor-coverage", kind="ｗｅａｋｎｅｓｓ", study="ＭＡＳＨＨＡＤ-ＯＩＣ") == answer(
        store, "factor-coverage", kind="weakness", study="mashhad-oic")
    assert len(latin) == 4


def test_a_qid_that_two_cities_have_asks_for_an_iri(store: Store) -> None:
    # a submission adds Istanbul, which citykg link had brought as Tabriz's partner, until both run again
    extended = Store()
    extended.load(store.dump(format=RdfFormat.N_QUADS), format=RdfFormat.N_QUADS)
    extended.load("""
        @prefix ckg: <https://w3id.org/citykg/ontology#> . @prefix id: <https://w3id.org/citykg/id/> .
        id:city\\/Q406 a ckg:City ; ckg:wikidataId "Q406" . id:city\\/istanbul a ckg:City ; ckg:wikidataId "Q406" .
        """, format=RdfFormat.TURTLE, to_graph=NamedNode("https://w3id.org/citykg/graph/extra"))
    with pytest.raises(QueryParameterError, match=re.escape(
            "Q406 is the Wikidata id of 2 cities (https://w3id.org/citykg/id/city/Q406, "
            "https://w3id.org/citykg/id/city/istanbul): give one's IRI instead. Where citykg link brought one of them as "
            "a partner, `citykg link` and `citykg build` again make them one city.")):
        run(extended, CATALOGUE["network-memberships"], {"city": "wd:Q406"})
    assert run(extended, CATALOGUE["network-memberships"], {"city": "https://w3id.org/citykg/id/city/istanbul"}).rows == []


def test_a_code_must_be_one_of_the_studies_the_city_or_study_leave(store: Store) -> None:
    query = CATALOGUE["strategies-for-factor"]
    with pytest.raises(QueryParameterError, match=re.escape(
            "W3 is not a factor of the studies of 'tabriz': the study with a factor W3 is mashhad-oic (Mashhad).")):
        run(store, query, {"factor": "W3", "city": "tabriz"})
    with pytest.raises(QueryParameterError, match=re.escape("W3 is not a factor of the study 'tabriz-2024'")):
        run(store, query, {"factor": "W3", "study": "tabriz-2024"})
    with pytest.raises(QueryParameterError, match=re.escape("No study 'mashad-oic' in the graph. Did you mean "
                                                            "'mashhad-oic'? Give a study's id: mashhad-oic, tabriz-2024")):
        run(store, query, {"factor": "W3", "study": "mashad-oic"})
    assert answer(store, "strategies-for-factor", factor="W3", study="MASHHAD-OIC") == answer(
        store, "strategies-for-factor", factor="W3")


@pytest.mark.parametrize(("name", "params"), [
    ("strategies-for-factor", {"factor": "W3"}), ("unaddressed-factors", {}), ("tows-matrix", {}),
    ("theme-coverage", {}), ("themes-by-consensus", {})])
def test_a_study_of_another_city_than_the_one_given_is_refused(store: Store, name: str,
                                                               params: dict[str, str]) -> None:
    # an empty answer would read as "every factor is addressed"
    with pytest.raises(QueryParameterError, match=re.escape(
            "The study 'mashhad-oic' is a study of Mashhad, not of 'Tabriz': give one of the two, or study= a "
            "study of 'Tabriz' (the named query studies lists each study's city).")):
        run(store, CATALOGUE[name], {**params, "city": "Tabriz", "study": "mashhad-oic"})
    assert answer(store, name, **params, city="مشهد", study="mashhad-oic") == answer(store, name, **params,
                                                                                     study="mashhad-oic")


@pytest.mark.parametrize("value", ["--5", "²", "1.5", "0x10", "١٢"])
def test_an_integer_parameter_takes_whole_numbers_only(store: Store, tmp_path: Path, value: str) -> None:
    (tmp_path / "top.rq").write_text("#+ summary: Top\n#+ param n (integer): required. How many.\n"
                                     "#+ columns: x\nSELECT ?x $n WHERE { BIND ($n + 1 AS ?x) }\n", encoding="utf-8")
    query = load_catalogue(tmp_path)["top"]
    with pytest.raises(QueryParameterError, match=re.escape(f"n={value!r} is not a whole number")):
        run(store, query, {"n": value})
    assert run(store, query, {"n": "-5"}).rows[0][0] == Literal(-4)


def test_a_factor_kind_is_checked_and_takes_any_case(store: Store) -> None:
    weaknesses = answer(store, "factor-coverage", city="Mashhad", kind="weakness")
    assert len(weaknesses) == 9
    assert answer(store, "factor-coverage", city="Mashhad", kind="Weakness") == weaknesses
    assert answer(store, "factor-coverage", city="Mashhad", kind="WEAKNESS") == weaknesses
    for value in ["foo", "weaknesses", 'weakness" ) } } SELECT * { ?s ?p ?o']:
        with pytest.raises(QueryParameterError, match="is not a kind of SWOT factor: give strength, weakness, "
                                                      "opportunity or threat"):
            run(store, CATALOGUE["factor-coverage"], {"kind": value})


@pytest.mark.parametrize(("name", "param"), [("tows-matrix", "city"), ("strategies-for-factor", "factor"),
                                             ("factor-coverage", "kind"), ("tows-matrix", None)])
def test_a_huge_value_is_cut_short_in_the_message(store: Store, name: str, param: str | None) -> None:
    huge = "A" * 100_000
    with pytest.raises(QueryParameterError) as caught:  # a huge value, or a huge unknown parameter name
        run(store, CATALOGUE[name], {param: huge} if param else {huge: "x"})
    message = str(caught.value)
    assert len(message) < 500 and "A" * 79 + "…'" in message and "A" * 81 not in message, message


def test_parameters_are_bound_not_pasted(store: Store, tmp_path: Path) -> None:
    # A hostile value for a text parameter is a literal; it matches nothing and breaks nothing.
    (tmp_path / "labelled.rq").write_text(
        "#+ summary: Things with this English label\n#+ param label (text): required. A label.\n"
        "#+ columns: thing\nSELECT ?thing $label WHERE { ?thing rdfs:label $label }\n", encoding="utf-8")
    query = load_catalogue(tmp_path)["labelled"]
    assert run(store, query, {"label": '"Mashhad"@en } ; DROP ALL ; SELECT * { ?s ?p ?o'}).rows == []
    assert len(store) > 0


def test_ad_hoc_queries(store: Store) -> None:
    result = run_sparql(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/citykg/ontology#Strength> }")
    assert result.columns == ("n",) and result.rows[0][0].value == "13"  # type: ignore[union-attr]
    with pytest.raises(QuerySyntaxError, match="does not parse"):
        run_sparql(store, "SELECT ?x WHERE { ?x ")
    with pytest.raises(QuerySyntaxError, match="only a SELECT gives them"):
        run_sparql(store, "ASK { ?s ?p ?o }")


def test_keywords_inside_names_do_not_change_an_ad_hoc_query(store: Store) -> None:
    everything = run_sparql(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0]
    hyphenated = run_sparql(store, "PREFIX ex: <http://x/> SELECT (COUNT(*) AS ?n) "
                                   "{ ?s ?p ?o OPTIONAL { ?s ex:copied-from ?z } }")
    assert hyphenated.rows[0][0] == everything and int(everything.value) > 9000  # type: ignore[union-attr]
    assert run_sparql(store, "PREFIX ex: <http://x/> SELECT ?s WHERE { ?s ex:web-service ?o }").rows == []


class _Unrunnable:
    """A store that fails any query it is asked to run."""

    def query(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the query ran")


@pytest.mark.parametrize(("query", "form"), [
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "a CONSTRUCT query"),
    ("PREFIX ex: <http://x/>\n# a comment\nASK { ?s ?p ?o }", "an ASK query"),
    ("describe <http://x/a>", "a DESCRIBE query"),
])
def test_a_query_of_another_form_is_refused_before_it_runs(query: str, form: str) -> None:
    with pytest.raises(QuerySyntaxError, match=f"^This is {form}, and rows are expected: only a SELECT gives them. "):
        run_sparql(_Unrunnable(), query)  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["SELECT * WHERE " + "{" * 5000 + "}" * 5000,
                                   "SELECT * WHERE { FILTER(" + "(" * 20_000 + "1" + ")" * 20_000 + ") }",
                                   "SELECT * WHERE { FILTER(" + "!" * 50_000 + "true) }"])
def test_a_query_nested_too_deeply_is_refused_before_it_runs(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match=r"^The query nests \d+ levels deep \(at 1:\d+\); citykg accepts at most"):
        run_sparql(_Unrunnable(), query)  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["SELECT ?o WHERE { ?s foaf:name ?o }", "SELEC ?o WHERE { ?s ?p ?o }",
                                   "SELECT ?o WHERE { <rel> ?p ?o }", "SELECT ?o WHERE { ?s ?p ?o "])
def test_an_ad_hoc_query_that_does_not_parse_says_what_the_server_says(query: str) -> None:
    from citykg.evaluate import SparqlJob, evaluate

    with pytest.raises(QuerySyntaxError) as caught:
        run_sparql(Store(), query)
    served = evaluate(Store(), SparqlJob(store="", query=query, results_format="json", graph_format=None, max_rows=1))
    assert str(caught.value) == served.error and "..=" not in served.error


@pytest.mark.parametrize("name", sorted(n for n, q in CATALOGUE.items() if "GROUP_CONCAT" in q.sparql))
def test_concatenations_are_ordered(name: str) -> None:
    # GROUP_CONCAT has no order of its own: a query feeds it from an ordered subquery, so that
    # its answer is the same from one run (and one store) to the next.
    sparql = CATALOGUE[name].sparql
    assert re.search(r"\{\s*SELECT[\s\S]*?ORDER BY[^\n]*\n\s*\}", sparql), name


@pytest.fixture(scope="module")
def two_studies(two_studies_project: Project) -> Store:
    return Store.read_only(str(two_studies_project.store.resolve()))


def test_two_studies_of_one_city_keep_their_own_answers(two_studies: Store) -> None:
    rows = answer(two_studies, "tows-matrix", city="Mashhad")
    assert len(rows) == 13
    assert sorted(r for r in rows if r[0] == "SO1") == [("SO1", "SO", "1", "0", "1", "0"),
                                                        ("SO1", "SO", "8", "0", "7", "0")]
    shared = answer(two_studies, "shared-actions", city="Mashhad")
    assert [r[0] for r in shared][:2] == ["A05", "A19"] and ("A01", "3") in [(r[0], r[2]) for r in shared]
    # SO2 of one study and SO1 of the other share a Persian title, but not a study.
    assert [r[1] for r in answer(two_studies, "duplicate-strategy-titles", city="Mashhad")] == ["ST2, WT1"]
    s1 = [r for r in answer(two_studies, "factor-coverage", city="Mashhad", kind="strength") if r[0] == "S1"]
    assert sorted((r[3], r[4]) for r in s1) == [("1", "SO1"), ("4", "SO1, SO2, SO3, ST3")]
    # study= keeps one study's rows
    assert answer(two_studies, "tows-matrix", city="Mashhad", study="follow-up") == [("SO1", "SO", "1", "0", "1", "0")]
    assert len(answer(two_studies, "tows-matrix", study="mashhad-oic")) == 12
    assert [r[0] for r in answer(two_studies, "factor-coverage", study="follow-up")] == ["S1", "O1"]
    assert answer(two_studies, "shared-actions", study="follow-up") == []
    assert answer(two_studies, "unaddressed-factors", study="follow-up") == []
    assert answer(two_studies, "themes-by-consensus", city="Mashhad", study="mashhad-oic") == []
    assert len(answer(two_studies, "themes-by-consensus", study="tabriz-2024")) == 37


def test_rows_of_several_studies_that_no_column_tells_apart_name_their_studies(two_studies: Store,
                                                                               tmp_path: Path) -> None:
    mixed = run(two_studies, CATALOGUE["tows-matrix"], {"city": "Mashhad"})
    assert mixed.studies == ("follow-up", "mashhad-oic")
    assert run(two_studies, CATALOGUE["tows-matrix"], {}).studies == ("follow-up", "mashhad-oic")
    # one study's rows, or a study given: nothing to name
    assert run(two_studies, CATALOGUE["tows-matrix"], {"city": "Tabriz"}).studies == ()
    assert run(two_studies, CATALOGUE["tows-matrix"], {"study": "follow-up"}).studies == ()
    # a column that says which: nothing to name either
    (tmp_path / "strategies.rq").write_text(
        "#+ summary: Strategies\n#+ param study (study): optional. The study.\n#+ columns: code, study\n"
        "SELECT ?code $study WHERE { ?s a ckg:Strategy ; ckg:code ?code ; ckg:inStudy/ckg:identifier $study }\n",
        encoding="utf-8")
    listed = run(two_studies, load_catalogue(tmp_path)["strategies"], {})
    assert len({row[1] for row in listed.rows}) == 2 and listed.studies == ()


def test_a_second_organisation_with_member_states_repeats_no_count(two_studies: Store) -> None:
    for city in ("Tabriz", "Mashhad"):
        rows = answer(two_studies, "study-summary", city=city)
        assert len(rows) == len(set(rows)), city
    mashhad = {r[1]: (r[2], r[3]) for r in answer(two_studies, "study-summary", city="Mashhad")}
    assert mashhad["member states of Organisation of Islamic Cooperation"] == ("57", "57")


def test_a_code_two_studies_have_needs_the_study(two_studies: Store, tmp_path: Path) -> None:
    message = ("2 studies have a strategy SO1: follow-up (Mashhad); mashhad-oic (Mashhad). Say which: give "
               "study=follow-up or study=mashhad-oic.")
    for params in ({"strategy": "SO1"}, {"strategy": "so1", "city": "Mashhad"}):
        with pytest.raises(QueryParameterError, match=re.escape(message)):
            run(two_studies, CATALOGUE["factors-for-strategy"], params)
    assert answer(two_studies, "factors-for-strategy", strategy="SO1", study="follow-up") == [
        ("S1", "strength", "Religious standing"), ("O1", "opportunity", "Historical ties")]
    assert answer(two_studies, "strategy-actions", strategy="SO1", study="follow-up") == [
        ("1", "A01", "Hold cultural weeks")]
    assert column(two_studies, "provenance", "study", code="S1", study="follow-up") == ["follow-up"]
    with pytest.raises(QueryParameterError, match="2 studies have a code S1"):
        run(two_studies, CATALOGUE["provenance"], {"code": "S1"})
    # a code only one study has needs no more
    assert len(answer(two_studies, "strategies-for-factor", factor="W3")) == 4
    # a query of one's own that takes no study is told how to take one
    (tmp_path / "labels.rq").write_text(
        "#+ summary: Labels\n#+ param code (code): required. A code.\n#+ columns: label\n"
        "SELECT ?label $code WHERE { ?x ckg:code $code ; rdfs:label ?label }\n", encoding="utf-8")
    with pytest.raises(QueryParameterError, match=r"Say which: the query takes no study: add '#\+ param study"):
        run(two_studies, load_catalogue(tmp_path)["labels"], {"code": "SO1"})


def test_themes_by_consensus_lists_codes_of_a_study_without_panel_size_or_order(tmp_path: Path) -> None:
    import csv

    from conftest import copy_project

    from citykg.build import build

    project = copy_project(tmp_path / "project", folders=("reference", "tabriz-2024"))
    for table, column in (("studies.csv", "panel_size"), ("themes.csv", "formation_order")):
        path = project.data / "tabriz-2024" / table
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            row[column] = ""
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    build(project)
    store = Store.read_only(str(project.store.resolve()))
    rows = answer(store, "themes-by-consensus", city="Tabriz")
    assert len(rows) == 37
    assert {r[4] for r in rows} == {None}
    assert rows[0][3] == "22"


def test_a_status_one_source_states_is_kept_beside_a_source_that_states_none() -> None:
    # Wikidata states a twinning without a status; the reference table states the same one ended
    store = Store()
    store.load(b"""@prefix ckg: <https://w3id.org/citykg/ontology#> .
<https://w3id.org/citykg/id/city/t> ckg:twinnedWith <x:b>, <x:c> .
<x:p1> a ckg:Partnership ; ckg:partner <https://w3id.org/citykg/id/city/t>, <x:b> ;
       ckg:partnershipType ckg:sisterCity ; ckg:status ckg:statusEnded .
<x:p2> a ckg:Partnership ; ckg:partner <https://w3id.org/citykg/id/city/t>, <x:b> ; ckg:partnershipType ckg:sisterCity .
<x:p3> a ckg:Partnership ; ckg:partner <https://w3id.org/citykg/id/city/t>, <x:c> ; ckg:partnershipType ckg:sisterCity .
""", format=RdfFormat.TURTLE, to_graph=NamedNode("x:g"))
    for p, source in (("x:p1", "x:f1"), ("x:p2", "x:f2"), ("x:p3", "x:f2")):
        store.add(Quad(NamedNode(p), NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom"), NamedNode(source),
                       NamedNode(f"x:g-{source}")))
    rows = store.query(CATALOGUE["sister-cities"].sparql, use_default_graph_as_union=True,
                       substitutions={Variable("city"): NamedNode("https://w3id.org/citykg/id/city/t")})
    status = {row["partner"].value: row["status"] for row in rows}  # type: ignore[union-attr]
    assert status == {"x:b": Literal("ended"), "x:c": None}

