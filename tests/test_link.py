"""`citykg link` on a copy of the project, against real SPARQL servers on 127.0.0.1."""

from __future__ import annotations

import csv
import functools
import json
import re
import threading
import time
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_project
from linking import Oxigraph, Scripted, free_port, ok, start_oxigraph, wikidata_dir
from pyoxigraph import RdfFormat, Store, parse

from citykg.build import build
from citykg.cli import cli
from citykg.errors import LinkError
from citykg.link import LINKS_FILE, WIKIDATA_FILE, LinkRun, link, read_records
from citykg.ontology import check_ontology
from citykg.project import Project
from citykg.queries import load_catalogue, run
from citykg.quickstatements import LeftOut, Unreviewed, quickstatements
from citykg.reconcile import Candidate, Decision
from citykg.review import ReviewRow, read_decisions, read_names, write_review
from citykg.submit import SubmitResult
from citykg.wikidata import Client

CKG = "https://w3id.org/citykg/ontology#"
ID = "https://w3id.org/citykg/id/"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
EXTRA_CITIES = """isfahan,Isfahan,اصفهان,IR,,citykg test row
nurabad,Nurabad,نورآباد,IR,,citykg test row
istanbul,Istanbul,استانبول,TR,Q406,citykg test row
atlantis,Atlantis,,IR,,citykg test row
"""
PARTNERSHIPS = """study,city_a,city_b,type,start,end,status,source_table,source_row,source,note
,tabriz,istanbul,twinned,,,,,,https://example.org/tabriz-partners,
,tabriz,mashhad,sister-city,,,,,,https://example.org/tabriz-partners,
,tabriz,mashhad,memorandum,2010,2012,ended,,,https://example.org/memorandum,
"""


def test_project(target: Path) -> Project:
    """A copy of the project with four more cities (two without a QID), two twinnings and a memorandum."""
    project = copy_project(target)
    cities = project.data / "reference" / "cities.csv"
    cities.write_text(cities.read_text(encoding="utf-8") + EXTRA_CITIES, encoding="utf-8")
    (project.data / "reference" / "partnerships.csv").write_text(PARTNERSHIPS, encoding="utf-8")
    return project


test_project.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory, fixture_server: Oxigraph,
           cache: Path) -> tuple[Project, LinkRun, Store]:
    """The test project linked against the fixture server, and built."""
    project = test_project(tmp_path_factory.mktemp("linked") / "project")
    outcome = link(project, client=Client(fixture_server.url, cache=cache))
    result = build(project)
    assert result.report.conforms, result.report.to_text()
    return project, outcome, Store.read_only(str(project.store.resolve()))


def quads(path: Path) -> dict[str, dict[str, set[str]]]:
    """Subject → predicate → objects of an N-Quads file."""
    out: dict[str, dict[str, set[str]]] = {}
    for q in parse(path=path, format=RdfFormat.N_QUADS):
        out.setdefault(q.subject.value, {}).setdefault(q.predicate.value, set()).add(q.object.value)
    return out


def labels(path: Path, subject: str) -> set[tuple[str, str | None]]:
    """The rdfs:label values of a subject in an N-Quads file, with their language tags."""
    return {(q.object.value, getattr(q.object, "language", None)) for q in parse(path=path, format=RdfFormat.N_QUADS)
            if q.subject.value == subject and q.predicate.value == "http://www.w3.org/2000/01/rdf-schema#label"}


def answer(store: Store, project: Project, name: str, **params: str) -> list[tuple[str | None, ...]]:
    result = run(store, load_catalogue(project.queries)[name], params)
    return [tuple(t.value if t is not None else None for t in row) for row in result.rows]


# ------------------------------------------------------------------------- links


def test_records_of_the_project(tmp_path: Path) -> None:
    cities, countries = read_records(test_project(tmp_path / "p"))
    assert [c.ref for c in cities] == ["city/atlantis", "city/isfahan", "city/istanbul", "city/mashhad",
                                       "city/nurabad", "city/tabriz"]
    tabriz = cities[-1]
    assert (tabriz.names, tabriz.country, tabriz.qid, tabriz.labels) == (("Tabriz", "تبریز"), "IR", "Q80053",
                                                                         frozenset({"en", "fa"}))
    assert len(countries) == 57 and all(c.qid for c in countries)


def submitted_city(tmp_path: Path, row: str) -> tuple[Project, SubmitResult]:
    """A built copy of the project and the submission of one row of cities.csv, accepted."""
    from citykg.submit import submit

    project = copy_project(tmp_path / "p")
    build(project)
    contribution = tmp_path / "contribution"
    contribution.mkdir()
    (contribution / "cities.csv").write_text(f"id,label_en,label_fa,country,wikidata,source\n{row}\n",
                                             encoding="utf-8")
    accepted = submit(contribution, project=project, who="Ana")
    assert accepted.report.conforms, accepted.report.to_text()
    return project, accepted


def test_the_cities_of_accepted_submissions_are_linked_too(tmp_path: Path) -> None:
    project, _ = submitted_city(tmp_path, "qom,Qom,قم,IR,,An atlas of Iran")
    cities, _ = read_records(project)
    assert [(c.ref, c.names, c.country) for c in cities if c.ref == "city/qom"] == [("city/qom", ("Qom", "قم"), "IR")]


def test_a_table_qid_whose_item_bears_none_of_the_city_s_names_links_and_warns(
        tmp_path: Path, fixture_server: Oxigraph, cache: Path) -> None:
    # a slip of a digit or a row: Shiraz given Isfahan's item; Qom given its own, and Mazar-i-Sharif's spelling
    project, _ = submitted_city(tmp_path, "shiraz,Shiraz,شیراز,IR,Q42053,An atlas of Iran\n"
                                          "qom,Qom,قم,IR,Q170573,An atlas of Iran\n"
                                          "mazar,Mazar-i-Sharif,,AF,Q130469,An atlas of Afghanistan")
    outcome = link(project, client=Client(fixture_server.url, cache=cache))
    assert {lk.record.ref: lk.match.qid for lk in outcome.links}["city/shiraz"] == "Q42053"  # the data wins
    assert [w for w in outcome.warnings if "none of its names" in w] == [
        "city/shiraz: the data gives Q42053, which the endpoint calls 'Isfahan', none of its names (Shiraz, شیراز); "
        "it is linked as the data says: check the QID (its row's wikidata column)."]


def test_decisions_of_the_run(linked: tuple[Project, LinkRun, Store]) -> None:
    _, outcome, _ = linked
    by = {lk.record.ref: lk.match for lk in outcome.links}
    assert (by["city/tabriz"].method, by["city/tabriz"].qid) == ("identifier", "Q80053")
    assert (by["city/isfahan"].method, by["city/isfahan"].qid) == ("name", "Q42053")
    assert by["city/nurabad"].decision is Decision.AMBIGUOUS
    assert by["city/atlantis"].decision is Decision.NONE
    assert by["country/TR"].qid == "Q43" and by["country/TR"].method == "identifier"
    assert outcome.count(Decision.LINKED) == 4 + 57 and outcome.ambiguous == 1


def test_links_carry_method_score_endpoint_and_date(linked: tuple[Project, LinkRun, Store],
                                                    fixture_server: Oxigraph) -> None:
    project, outcome, _ = linked
    graph = quads(project.graphs / LINKS_FILE)
    isfahan = graph[ID + "link/city/isfahan"]
    assert isfahan[CKG + "linkMethod"] == {"name"} and isfahan[CKG + "linkScore"] == {"89"}
    assert isfahan[CKG + "wikidataItem"] == {"http://www.wikidata.org/entity/Q42053"}
    assert any("label 'Isfahan'@en matches" in c for c in isfahan[RDFS_COMMENT])
    assert graph[ID + "city/isfahan"][CKG + "wikidataId"] == {"Q42053"}
    assert graph[ID + "link/city/tabriz"][CKG + "linkMethod"] == {"identifier"}
    assert CKG + "wikidataId" not in graph.get(ID + "city/tabriz", {})  # the table has it already
    (source,) = isfahan["http://www.w3.org/ns/prov#wasDerivedFrom"]
    assert graph[source][CKG + "endpoint"] == {fixture_server.url}
    assert graph[source][CKG + "retrievedOn"] == {datetime.now(UTC).date().isoformat()}
    assert ID + "link/city/nurabad" not in graph and ID + "link/city/atlantis" not in graph
    assert outcome.retrieved_on.isoformat() in source


def test_runs_are_deterministic_and_resume_from_the_cache(linked: tuple[Project, LinkRun, Store],
                                                          fixture_server: Oxigraph, cache: Path) -> None:
    project, _, _ = linked
    before = {name: (project.graphs / name).read_bytes() for name in (LINKS_FILE, WIKIDATA_FILE)}
    again = link(project, client=Client(fixture_server.url, cache=cache))
    assert again.traffic.requests == 0 and again.traffic.cached > 0
    assert {name: (project.graphs / name).read_bytes() for name in before} == before
    lines = before[WIKIDATA_FILE].decode().splitlines()
    assert len(lines) > 100 and all(line.endswith("<https://w3id.org/citykg/graph/wikidata> .") for line in lines)


# ----------------------------------------------------------------- enrichment


def test_the_linked_build_conforms_and_the_ontology_stays_clean(linked: tuple[Project, LinkRun, Store]) -> None:
    project, _, store = linked
    graphs = {g.value for g in store.named_graphs()}  # type: ignore[union-attr]
    assert {"https://w3id.org/citykg/graph/wikidata", "https://w3id.org/citykg/graph/wikidata-links"} <= graphs
    assert check_ontology(project).findings == ()


def test_labels_coordinates_population_of_linked_cities(linked: tuple[Project, LinkRun, Store]) -> None:
    project, _, _ = linked
    graph = quads(project.graphs / WIKIDATA_FILE)
    tabriz = graph[ID + "city/tabriz"]
    assert tabriz[CKG + "population"] == {"1424641"}
    assert graph[ID + "city/tabriz/geometry"]["http://www.opengis.net/ont/geosparql#asWKT"] == {"Point(46.2919 38.08)"}
    # Tabriz has its own English and Persian labels in the table: Wikidata's are the same, so no new label
    assert "http://www.w3.org/2000/01/rdf-schema#label" not in tabriz
    isfahan = graph[ID + "city/isfahan"]
    assert isfahan[CKG + "population"] == {"1547164"}


def test_partners_become_cities_with_country_and_provenance(linked: tuple[Project, LinkRun, Store]) -> None:
    project, outcome, _ = linked
    graph = quads(project.graphs / WIKIDATA_FILE)
    gaza = graph[ID + "city/Q47492"]
    assert gaza[CKG + "country"] == {ID + "country/PS"}  # the project's Palestine, by ISO code
    assert gaza["http://www.w3.org/2000/01/rdf-schema#label"] == {"Gaza City", "شهر غزه"}  # en and fa
    assert {o for o in gaza["http://www.w3.org/ns/prov#wasDerivedFrom"]} == \
        graph["https://w3id.org/citykg/graph/wikidata"]["http://www.w3.org/ns/prov#wasDerivedFrom"]
    urumqi = graph[ID + "city/Q16959"]
    assert urumqi[CKG + "country"] == {ID + "country/CN"}
    china = graph[ID + "country/CN"]
    assert (china[CKG + "iso2"], china[CKG + "iso3"], china[CKG + "wikidataId"]) == ({"CN"}, {"CHN"}, {"Q148"})
    # Istanbul is a city of the project (by its QID): the partner is that record, not a new one
    assert ID + "city/Q406" not in graph
    partnership = graph[ID + "partnership/istanbul/tabriz/twinned"]
    assert partnership[CKG + "partnershipType"] == {CKG + "twinningStatement"}
    assert partnership[CKG + "partner"] == {ID + "city/istanbul", ID + "city/tabriz"}
    # every partner that is a place is kept: without an English label, it is labelled in the language it
    # has (Baku and Munich only in German here); without a country with ISO codes, it has none
    baku, munich = graph[ID + "city/Q9248"], graph[ID + "city/Q1726"]
    assert labels(project.graphs / WIKIDATA_FILE, ID + "city/Q9248") == {("Baku", "de")}
    assert labels(project.graphs / WIKIDATA_FILE, ID + "city/Q1726") == {("München", "de")}
    assert CKG + "country" not in baku and CKG + "country" not in munich
    assert baku[CKG + "wikidataId"] == {"Q9248"} and ID + "partnership/Q9248/tabriz/twinned" in graph
    assert outcome.enrichment.skipped == []
    assert set(outcome.enrichment.without_country) == {"Q9248 (Baku)", "Q490 (Mailand)", "Q1726 (München)",
                                                       "Q2028 (Verona)", "Q14314 (Santiago de Compostela)",
                                                       "Q43301 (Fresno)"}
    assert outcome.enrichment.countries == 1 and outcome.enrichment.cities == 15
    assert "15 partner cities (6 with no country known)" in outcome.summary()[0]


EDGE_CITIES = """caceres,Cáceres,,ES,Q15678,citykg test row
madrid,Madrid,,ES,Q2807,citykg test row
gaza,Gaza City,,PS,,citykg test row
konyaalti,Konyaaltı,,IR,Q79857,citykg test row
baku,Baku,,AZ,Q9248,citykg test row
"""


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory, fixture_server: Oxigraph, cache: Path) -> tuple[Project, LinkRun]:
    """A copy of the project with Cáceres (known to the endpoint only by its P190 partners), Madrid
    (not known at all), Gaza City (PS, no QID), Konyaaltı (in TR; the row says IR) and Baku (only
    its P190 partner and a German label), linked.

    Cáceres' partners are Gaza City, Santiago de Compostela (only a German label, no country) and
    three test-only items: an organisation, a place in Iran with only a Persian label, and an item
    the endpoint knows only by its P190 statement."""
    project = copy_project(tmp_path_factory.mktemp("edge") / "project")
    reference = project.data / "reference"
    countries = reference / "countries.csv"
    countries.write_text(countries.read_text(encoding="utf-8") + "ES,ESP,Spain,,Q29,citykg test row\n",
                         encoding="utf-8")
    cities = reference / "cities.csv"
    cities.write_text(cities.read_text(encoding="utf-8") + EDGE_CITIES, encoding="utf-8")
    return project, link(project, client=Client(fixture_server.url, cache=cache))


def test_a_city_known_only_by_its_partners_keeps_its_twinnings(edge: tuple[Project, LinkRun]) -> None:
    project, outcome = edge
    assert ("city/caceres: the endpoint has no labels, type, country, population or coordinates for Q15678, "
            "only its P190 partners (5): their twinnings were added, nothing else was fetched.") in outcome.warnings
    assert not any("knows nothing about Q15678" in w for w in outcome.warnings)
    assert ("city/madrid: the endpoint knows nothing about Q2807; nothing fetched (check that Q2807 is the "
            "city's item).") in outcome.warnings
    assert ('city/baku: the endpoint has no English, Persian or mul label (only "Baku"@de), type, country, '
            "population or coordinates for Q9248, only its P190 partners (1): their twinnings were added, nothing "
            "else was fetched.") in outcome.warnings  # it has a label, in German
    graph = quads(project.graphs / WIKIDATA_FILE)
    assert graph[ID + "city/caceres"][CKG + "twinnedWith"] == {  # the project's Gaza City, and new cities
        ID + "city/gaza", ID + "city/Q14314", ID + "city/Q999999002", ID + "city/Q999999003"}
    assert graph[ID + "partnership/caceres/gaza/twinned"][CKG + "partner"] == {ID + "city/caceres", ID + "city/gaza"}
    assert "http://www.w3.org/2000/01/rdf-schema#label" not in graph[ID + "city/caceres"]
    result = build(project)
    assert result.report.conforms, result.report.to_text()
    store = Store.read_only(str(project.store.resolve()))
    assert answer(store, project, "sister-cities", city="Cáceres") == [
        ("gaza", "Q47492", "Gaza City", "PS", "Wikidata", None),
        ("Q999999003", "Q999999003", "Q999999003", None, "Wikidata", None),  # no label at all: its QID
        ("Q14314", "Q14314", "Santiago de Compostela", None, "Wikidata", None),  # German only, no country
        ("Q999999002", "Q999999002", "شهرک آزمون", "IR", "Wikidata", None),  # Persian only
    ]
    assert [r[2] for r in answer(store, project, "partners-in-oic", city="Cáceres")] == ["شهرک آزمون", "Gaza City"]


def test_a_partner_that_is_no_place_is_left_out_with_the_reason(edge: tuple[Project, LinkRun]) -> None:
    project, outcome = edge
    why = ("Q999999001 (Cáceres Twinning Association): no place: an instance (P31) of Q43229, neither a human "
           "settlement (Q486972) nor an administrative territorial entity (Q56061)")
    assert outcome.enrichment.skipped == [why]
    assert outcome.summary()[0] == f"partners left out, as no places: {why}"
    assert ID + "city/Q999999001" not in quads(project.graphs / WIKIDATA_FILE)


def test_countries_are_compared_by_iso_code(edge: tuple[Project, LinkRun]) -> None:
    project, outcome = edge
    # the countries table gives PS as Q219060; Wikidata puts Gaza City in Q407199, whose P297 is PS
    gaza = {lk.record.ref: lk.match for lk in outcome.links}["city/gaza"]
    assert (gaza.decision, gaza.qid) == (Decision.LINKED, "Q47492")
    assert "in PS" in gaza.candidates[0].reasons
    assert not any(w.startswith("city/gaza:") for w in outcome.warnings)
    assert "city/konyaalti: the data says country IR, Wikidata TR (Q79857)." in outcome.warnings
    graph = quads(project.graphs / WIKIDATA_FILE)
    assert graph[ID + "city/gaza/geometry"]["http://www.opengis.net/ont/geosparql#asWKT"] == {"Point(34.4462 31.5017)"}


def test_sister_cities(linked: tuple[Project, LinkRun, Store]) -> None:
    project, _, store = linked
    rows = answer(store, project, "sister-cities", city="Tabriz")
    assert rows == [
        ("Q9248", "Q9248", "Baku", None, "Wikidata", None),  # Wikidata gives it a German label and no country
        ("Q47492", "Q47492", "Gaza City", "PS", "Wikidata", None),
        ("istanbul", "Q406", "Istanbul", "TR", "Wikidata, data/reference", None),
        ("Q373808", "Q373808", "Khŭjand", "TJ", "Wikidata", None),
        ("Q79857", "Q79857", "Konyaaltı", "TR", "Wikidata", None),
        ("mashhad", "Q121157", "Mashhad", "IR", "data/reference", None),  # the reference tables, not a row's URL
    ]
    assert answer(store, project, "sister-cities", city="Q80053") == rows


def test_partners_in_oic(linked: tuple[Project, LinkRun, Store]) -> None:
    project, _, store = linked
    rows = answer(store, project, "partners-in-oic", city="Mashhad")
    assert [(r[2], r[3]) for r in rows] == [("Mazār-e Sharīf", "AF"), ("Surabaya", "ID"), ("Tabriz", "IR"),
                                            ("Kuala Lumpur", "MY"), ("Karachi", "PK"), ("Lahore", "PK")]
    everyone = {r[2] for r in answer(store, project, "sister-cities", city="Mashhad")}
    assert "Urumqi" in everyone and "Urumqi" not in {r[2] for r in rows}  # China is not an OIC member


def test_partner_discrepancies(linked: tuple[Project, LinkRun, Store]) -> None:
    project, _, store = linked
    rows = answer(store, project, "partner-discrepancies", city="Tabriz")
    assert ("16 sister cities declared, 0 named", "tabriz-2024", "tabriz-2024 (no list)") in rows
    assert ("Mashhad", "data/reference", "Wikidata") in rows
    assert ("Gaza City", "Wikidata", "tabriz-2024") in rows
    assert ("Baku", "Wikidata", "tabriz-2024") in rows  # a partner Wikidata labels in German only
    assert ("Istanbul", "data/reference", "tabriz-2024") in rows
    assert not any(r[0] == "Istanbul" and r[2] == "Wikidata" for r in rows)
    # the reference tables state twinnings but are no list of Tabriz's: nothing is missing from them
    assert not any(r[2] == "data/reference" for r in rows)
    # a source is a study, Wikidata or a data folder; never a row's citation (a memorandum's, or any)
    assert not any("https://" in f"{r[1]} {r[2]}" for r in rows)
    assert len(rows) == 9, rows


def test_after_link_an_empty_answer_gets_no_hint_to_run_link(linked: tuple[Project, LinkRun, Store]) -> None:
    project, _, _ = linked
    result = CliRunner().invoke(cli, ["--project", str(project.root), "--dist", str(project.dist), "query",
                                      "sister-cities", "-p", "city=Atlantis"])
    assert result.exit_code == 0 and result.stdout.endswith("(0 rows)\n")
    assert "run `citykg link`" not in result.stderr


def test_queries_that_need_a_linked_build_run_with_their_examples(linked: tuple[Project, LinkRun, Store]) -> None:
    project, _, store = linked
    needing = {n: q for n, q in load_catalogue(project.queries).items() if "#+ needs: citykg link" in q.sparql}
    assert set(needing) == {"sister-cities", "partners-in-oic"}
    for name, query in needing.items():
        params = dict(pair.split("=", 1) for pair in query.example.split())
        assert run(store, query, params).rows, name


def test_the_core_data_alone_reports_the_declared_count(store: Store, project: Project) -> None:
    assert answer(store, project, "partner-discrepancies", city="Tabriz") == [
        ("16 sister cities declared, 0 named", "tabriz-2024", "tabriz-2024 (no list)")]


def _built_with_partnerships(tmp_path: Path, rows: str) -> tuple[Project, Store]:
    """The test project with these rows as its partnerships table, built (and conforming)."""
    project = test_project(tmp_path / "p")
    (project.data / "reference" / "partnerships.csv").write_text(
        "study,city_a,city_b,type,start,end,status,source_table,source_row,source,note\n" + rows, encoding="utf-8")
    result = build(project)
    assert result.report.conforms, result.report.to_text()
    return project, Store.read_only(str(project.store.resolve()))


def test_a_study_that_names_some_of_its_sister_cities_has_a_partial_list(tmp_path: Path) -> None:
    project, store = _built_with_partnerships(tmp_path, "tabriz-2024,tabriz,istanbul,sister-city,,,,text,p. 4,,\n"
                                                        "tabriz-2024,tabriz,mashhad,sister-city,,,,text,p. 4,,\n")
    assert answer(store, project, "partner-discrepancies", city="Tabriz") == [
        ("16 sister cities declared, 2 named", "tabriz-2024", "tabriz-2024 (partial list)")]


def test_only_the_lists_of_a_citys_partners_miss_one(tmp_path: Path) -> None:
    # the Tabriz study also names a twinning of Mashhad's: it is no list of Mashhad's partners, nor
    # is that partner one of the sister cities it counts for Tabriz
    project, store = _built_with_partnerships(tmp_path, "tabriz-2024,tabriz,isfahan,sister-city,,,,text,p. 4,,\n"
                                                        "tabriz-2024,mashhad,istanbul,sister-city,,,,text,p. 5,,\n"
                                                        ",mashhad,isfahan,sister-city,,,,,,https://example.org/m,\n")
    assert answer(store, project, "partner-discrepancies", city="Tabriz") == [
        ("16 sister cities declared, 1 named", "tabriz-2024", "tabriz-2024 (partial list)")]
    assert answer(store, project, "partner-discrepancies", city="Mashhad") == []


def test_one_table_is_one_source_whatever_its_rows_cite(tmp_path: Path) -> None:
    project, store = _built_with_partnerships(tmp_path, ",tabriz,mashhad,sister-city,,2015,ended,,,https://example.org/twinning,\n"
                                                        ",tabriz,istanbul,sister-city,,,active,,,https://example.org/t2,\n"
                                                        ",tabriz,isfahan,friendship,,,,,,https://example.org/t3,\n")
    # the three rows are one source, the reference tables: they never disagree with each other
    assert answer(store, project, "partner-discrepancies", city="Tabriz") == [
        ("Isfahan", "data/reference", "tabriz-2024"),
        ("Istanbul", "data/reference", "tabriz-2024"),
        ("Mashhad", "data/reference", "tabriz-2024"),
        ("16 sister cities declared, 0 named", "tabriz-2024", "tabriz-2024 (no list)"),
    ]
    assert answer(store, project, "sister-cities", city="Tabriz") == [  # an ended twinning is listed as such
        ("isfahan", None, "Isfahan", "IR", "data/reference", None),
        ("istanbul", "Q406", "Istanbul", "TR", "data/reference", "active"),
        ("mashhad", "Q121157", "Mashhad", "IR", "data/reference", "ended, until 2015")]


# ------------------------------------------------------------ review and decisions


def test_decisions_are_applied_and_kept(tmp_path: Path, fixture_server: Oxigraph, cache: Path) -> None:
    project = test_project(tmp_path / "p")
    client = Client(fixture_server.url, cache=cache)
    first = link(project, client=client)
    with first.review.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["record"], r["decision"]) for r in rows] == [("city/nurabad", "")]
    assert "Q720657 Nurabad (IR) 87" in rows[0]["candidates"] and "Q719764" in rows[0]["candidates"]
    rows[0]["decision"] = "Q719764"
    rows.append({**rows[0], "record": "city/atlantis", "decision": "none"})
    rows.append({**rows[0], "record": "city/elsewhere", "decision": "Q1"})
    decisions = tmp_path / "decided.csv"
    with decisions.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    second = link(project, client=client, decisions=decisions)
    by = {lk.record.ref: lk.match for lk in second.links}
    assert (by["city/nurabad"].method, by["city/nurabad"].qid) == ("reviewed", "Q719764")
    assert [c.reasons for c in by["city/nurabad"].candidates] == [("decided by a person",)]
    assert (by["city/atlantis"].method, by["city/atlantis"].decision) == ("reviewed", Decision.NONE)
    assert any("no record 'city/elsewhere'" in w for w in second.warnings)
    assert second.ambiguous == 0
    third = link(project, client=client)  # no --decisions: the links graph keeps them
    by = {lk.record.ref: lk.match for lk in third.links}
    assert (by["city/nurabad"].method, by["city/nurabad"].qid) == ("reviewed", "Q719764")
    assert by["city/atlantis"].method == "reviewed"
    graph = quads(project.graphs / LINKS_FILE)
    assert graph[ID + "city/nurabad"][CKG + "wikidataId"] == {"Q719764"}
    assert CKG + "wikidataItem" not in graph[ID + "link/city/atlantis"]
    assert graph[ID + "link/city/nurabad"][RDFS_COMMENT] == {"decided by a person"}
    assert graph[ID + "link/city/tabriz"][RDFS_COMMENT] == {"QID given"}  # each reason once
    assert build(project).report.conforms


def test_a_review_file_with_unapplied_decisions_is_never_overwritten(tmp_path: Path, fixture_server: Oxigraph,
                                                                      cache: Path) -> None:
    project = test_project(tmp_path / "p")
    client = Client(fixture_server.url, cache=cache)
    review = link(project, client=client).review
    review.write_text(review.read_text(encoding="utf-8").replace(",,", ",Q719764,", 1), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in project.graphs.iterdir()}
    with pytest.raises(LinkError, match=r"holds 1 decision\(s\) that were not applied.*--decisions"):
        link(project, client=client)
    assert "Q719764" in review.read_text(encoding="utf-8")  # kept, and so is graphs/
    assert {p.name: p.read_bytes() for p in project.graphs.iterdir()} == before
    applied = link(project, client=client, decisions=review)
    assert {lk.record.ref: lk.match.qid for lk in applied.links}["city/nurabad"] == "Q719764"


def test_a_decision_for_a_qid_another_record_has_is_ignored(tmp_path: Path, fixture_server: Oxigraph,
                                                             cache: Path) -> None:
    project = test_project(tmp_path / "p")
    decisions = tmp_path / "decided.csv"
    decisions.write_text("record,decision\ncity/atlantis,none\ncity/nurabad,Q80053\ncity/atlantis,none\n"
                         "city/isfahan,none\ncity/isfahan,Q42053\n", encoding="utf-8")  # Q80053: Tabriz's item
    run_ = link(project, client=Client(fixture_server.url, cache=cache), decisions=decisions)
    assert any("Q80053 is already the Wikidata item of city/tabriz" in w for w in run_.warnings)
    assert [w for w in run_.warnings if "a second decision" in w] == [  # the same decision twice is no conflict
        f"{decisions}:6: a second decision for 'city/isfahan' (line 5 decides otherwise); the last one is kept."]
    assert {lk.record.ref: lk.match.method for lk in run_.links}["city/nurabad"] != "reviewed"


def test_a_decision_for_an_item_of_the_wrong_kind_is_refused_and_never_exported(
        tmp_path: Path, fixture_server: Oxigraph, cache: Path) -> None:
    project = test_project(tmp_path / "p")
    reference = project.data / "reference"
    countries = reference / "countries.csv"
    countries.write_text(countries.read_text(encoding="utf-8") + "FR,FRA,France,,,citykg test row\n", encoding="utf-8")
    (reference / "partnerships.csv").write_text(
        PARTNERSHIPS + ",tabriz,isfahan,sister-city,,,,,,https://example.org/isfahan,\n", encoding="utf-8")
    decisions = tmp_path / "decided.csv"  # Q142 is France, Q3616 Tehran
    decisions.write_text("record,decision\ncity/isfahan,Q142\ncountry/FR,Q3616\n", encoding="utf-8")
    client = Client(fixture_server.url, cache=cache)
    run_ = link(project, client=client, decisions=decisions)
    by = {lk.record.ref: lk.match for lk in run_.links}
    assert [(by[r].decision, by[r].method, by[r].qid) for r in ("city/isfahan", "country/FR")] == [
        (Decision.AMBIGUOUS, "name", None), (Decision.AMBIGUOUS, "iso-code", None)]
    assert [w for w in run_.warnings if "refused" in w] == [
        "city/isfahan: the decision Q142 is refused: Q142 is a country (ISO 3166-1 FR), not a city. city/isfahan "
        "goes to the review file as ambiguous; decide it there with the QID of a city (or none) and pass the file "
        "back with --decisions.",
        "country/FR: the decision Q3616 is refused: Q3616 (Tehran) is not a country: neither the endpoint gives it "
        "an ISO 3166-1 code (P297) nor does the countries table list it. country/FR goes to the review file as "
        "ambiguous; decide it there with the QID of a country (or none) and pass the file back with --decisions."]
    with run_.review.open(encoding="utf-8") as f:
        review = {row["record"]: row for row in csv.DictReader(f)}
    assert {"city/isfahan", "country/FR"} <= set(review)
    assert "a decision refused: Q142 is a country" in review["city/isfahan"]["note"]
    links = (project.graphs / LINKS_FILE).read_text(encoding="utf-8")
    assert "Q142" not in links and "Q3616" not in links
    assert all("Q142" not in s.line for s in quickstatements(project, client=client).statements)
    # a links file that already holds such a decision (from before it was checked) exports nothing either
    good = tmp_path / "good.csv"
    good.write_text("record,decision\ncity/isfahan,Q42053\n", encoding="utf-8")
    link(project, client=client, decisions=good)
    path = project.graphs / LINKS_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("Q42053", "Q142"), encoding="utf-8")
    found = quickstatements(project, client=client)
    assert all("Q142" not in s.line for s in found.statements) and found.statements
    assert [str(lo) for lo in found.left_out if lo.wrong_kind] == [
        "Isfahan – Tabriz (https://example.org/isfahan) not exported: Isfahan's QID Q142 (city/isfahan) is a "
        "country (ISO 3166-1 FR), not a city"]
    assert any("refuses a decision for an item that is no city" in h for h in found.hints)


def test_a_qid_the_endpoint_does_not_know_is_refused_as_a_decision_and_never_exported(
        tmp_path: Path, fixture_server: Oxigraph, cache: Path) -> None:
    project = test_project(tmp_path / "p")
    reference = project.data / "reference"
    (reference / "partnerships.csv").write_text(
        PARTNERSHIPS + ",tabriz,isfahan,sister-city,,,,,,https://example.org/isfahan,\n", encoding="utf-8")
    decisions = tmp_path / "decided.csv"  # no item has Q88888888; Baku (Q9248) has only a German label
    decisions.write_text("record,decision\ncity/isfahan,Q88888888\ncity/atlantis,Q9248\n", encoding="utf-8")
    client = Client(fixture_server.url, cache=cache)
    run_ = link(project, client=client, decisions=decisions)
    by = {lk.record.ref: lk.match for lk in run_.links}
    assert (by["city/isfahan"].decision, by["city/isfahan"].qid) == (Decision.AMBIGUOUS, None)
    assert (by["city/atlantis"].method, by["city/atlantis"].qid) == ("reviewed", "Q9248")  # known, if barely
    assert [w for w in run_.warnings if "refused" in w] == [
        "city/isfahan: the decision Q88888888 is refused: Q88888888 is unknown to the endpoint (a mistyped QID, "
        "or an item newer than the endpoint's data). city/isfahan goes to the review file as ambiguous; decide it "
        "there with the QID of a city (or none) and pass the file back with --decisions."]
    assert "Q88888888" not in (project.graphs / LINKS_FILE).read_text(encoding="utf-8")
    # the tables' own QID still links (the data wins), but its twinnings are not exported
    cities = reference / "cities.csv"
    cities.write_text(cities.read_text(encoding="utf-8").replace("isfahan,Isfahan,اصفهان,IR,,",
                                                                   "isfahan,Isfahan,اصفهان,IR,Q88888888,"),
                      encoding="utf-8")
    again = link(project, client=client)
    assert {lk.record.ref: lk.match.qid for lk in again.links}["city/isfahan"] == "Q88888888"
    found = quickstatements(project, client=client)
    assert found.statements and all("Q88888888" not in s.line for s in found.statements)
    assert [str(lo) for lo in found.left_out if lo.unknown] == [
        "Isfahan – Tabriz (https://example.org/isfahan) not exported: Isfahan's QID Q88888888 (city/isfahan) is "
        "unknown to the endpoint (a mistyped QID, or an item newer than the endpoint's data)"]
    assert any("QID the endpoint does not know" in h for h in found.hints)


def test_a_decision_beats_a_name_match_which_goes_to_review(tmp_path: Path, fixture_server: Oxigraph,
                                                             cache: Path) -> None:
    project = test_project(tmp_path / "p")
    cities = project.data / "reference" / "cities.csv"
    cities.write_text(cities.read_text(encoding="utf-8") + "qom,Qom,قم,IR,,citykg test row\n", encoding="utf-8")
    decisions = tmp_path / "decided.csv"  # Q42053 is Isfahan's item, which city/isfahan has by a name match
    decisions.write_text("record,decision\ncity/qom,Q42053\ncity/atlantis,Q42053\n", encoding="utf-8")
    client = Client(fixture_server.url, cache=cache)
    run_ = link(project, client=client, decisions=decisions)
    by = {lk.record.ref: lk.match for lk in run_.links}
    assert (by["city/qom"].method, by["city/qom"].qid) == ("reviewed", "Q42053")
    assert (by["city/isfahan"].method, by["city/isfahan"].decision) == ("name", Decision.AMBIGUOUS)
    assert by["city/atlantis"].qid is None
    assert run_.warnings == (
        f"{decisions}:3: Q42053 is already the Wikidata item of city/qom; a place has one item, so this decision "
        "for city/atlantis is ignored.",
        "city/isfahan: its names match Q42053, but Q42053 is the item of city/qom (by a person's decision); a place "
        "has one item, so city/isfahan goes to the review file as ambiguous. Decide it there (a QID or none) and "
        "pass the file back with --decisions.")
    with run_.review.open(encoding="utf-8") as f:
        review = {row["record"]: row for row in csv.DictReader(f)}
    assert sorted(review) == ["city/isfahan", "city/nurabad"] and run_.ambiguous == 2
    assert "Q42053 Isfahan (IR)" in review["city/isfahan"]["candidates"]
    assert "Q42053 is the item of city/qom" in review["city/isfahan"]["note"]
    graph = quads(project.graphs / LINKS_FILE)
    assert [s for s, props in graph.items() if props.get(CKG + "wikidataId") == {"Q42053"}] == [ID + "city/qom"]
    result = build(project)
    assert result.report.conforms and not any("same Wikidata id" in f.message for f in result.report.findings)
    # a table that later gives the item to another record wins over the kept decision, with a warning
    cities.write_text(cities.read_text(encoding="utf-8").replace("isfahan,Isfahan,اصفهان,IR,,",
                                                                   "isfahan,Isfahan,اصفهان,IR,Q42053,"), encoding="utf-8")
    again = link(project, client=client)
    by = {lk.record.ref: lk.match for lk in again.links}
    assert (by["city/isfahan"].method, by["city/isfahan"].qid) == ("identifier", "Q42053")
    assert by["city/qom"].method == "name" and by["city/qom"].qid != "Q42053"
    assert ("city/qom: the reviewed decision Q42053 is ignored: the tables give Q42053 to city/isfahan, and a place "
            "has one item. Decide again in the review file if the name match is wrong.") in again.warnings


def test_two_records_whose_names_match_one_item_both_go_to_review(tmp_path: Path, fixture_server: Oxigraph,
                                                                  cache: Path) -> None:
    project = test_project(tmp_path / "p")
    cities = project.data / "reference" / "cities.csv"
    cities.write_text(cities.read_text(encoding="utf-8") + "esfahan,Isfahan,اصفهان,IR,,citykg test row\n",
                      encoding="utf-8")
    run_ = link(project, client=Client(fixture_server.url, cache=cache))
    by = {lk.record.ref: lk.match for lk in run_.links}
    assert by["city/isfahan"].decision is by["city/esfahan"].decision is Decision.AMBIGUOUS
    assert any(w.startswith("city/esfahan: its names match Q42053, but Q42053 is also the name match of "
                            "city/isfahan;") for w in run_.warnings)
    assert run_.ambiguous == 3


def test_an_unwritable_review_file_leaves_graphs_as_they_were(tmp_path: Path, fixture_server: Oxigraph,
                                                               cache: Path) -> None:
    project = test_project(tmp_path / "p")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    with pytest.raises(LinkError, match="Cannot write the review file"):
        link(project, client=Client(fixture_server.url, cache=cache), review=tmp_path / "a-file" / "review.csv")
    assert not project.graphs.exists() or not any(project.graphs.iterdir())


def test_a_damaged_cache_entry_is_asked_again(tmp_path: Path, fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=tmp_path / "cache")
    query = "SELECT ?x WHERE { VALUES ?x { 1 } }"
    first = client.select(query)
    entry = next((tmp_path / "cache").rglob("*.json"))
    entry.write_text("{not json", encoding="utf-8")
    again = Client(fixture_server.url, cache=tmp_path / "cache")
    assert again.select(query) == first and again.stats.requests == 1


def test_a_bad_decision_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "decided.csv"
    path.write_text("record,decision\ncity/nurabad,Q719764\ncity/atlantis,maybe\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"decided.csv:3: decision 'maybe' for 'city/atlantis'"):
        read_decisions(path)
    path.write_text("record,decision\ncity/nurabad,wd:Q719764\ncity/x,http://www.wikidata.org/entity/Q80053\n",
                    encoding="utf-8")
    assert [(d.record, d.qid) for d in read_decisions(path)] == [("city/nurabad", "Q719764"), ("city/x", "Q80053")]
    path.write_text("record,choice\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"decided.csv:1: a decisions file is a review file written by `citykg link`: "
                                        r"its header needs the columns 'record' and 'decision'; it has 'record', "
                                        r"'choice'\.$"):
        read_decisions(path)


def test_the_review_file_is_safe_in_a_spreadsheet(tmp_path: Path) -> None:
    candidate = Candidate("Q1", "=HYPERLINK(1)", None, 40, ("label '=HYPERLINK(1)'@en matches",))
    path = tmp_path / "review.csv"
    assert write_review(path, [ReviewRow("city/x", "=cmd|' /C calc'!A0", "@IR", (candidate,))]) == 1
    with path.open(encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert row["name"].startswith("'=") and row["country"] == "'@IR" and row["record"] == "city/x"
    assert path.stat().st_mode & 0o777 == 0o644  # readable as any file written in place, not 0600
    with pytest.raises(LinkError, match="Cannot write the review file"):  # no folder is made for it
        write_review(tmp_path / "no-such-folder" / "review.csv", [])
    assert not (tmp_path / "no-such-folder").exists()


def test_names_files(tmp_path: Path) -> None:
    tsv = tmp_path / "names.tsv"
    tsv.write_text("name\tcountry\tqid\nتبريز\tIR\t\n\t\tQ121157\n\n", encoding="utf-8")
    assert [(q.name, q.country, q.qid) for q in read_names(tsv)] == [("تبريز", "IR", None),
                                                                    ("Q121157", None, "Q121157")]
    countries = tmp_path / "countries.csv"
    countries.write_text("name,country\nTabriz,Iran\nMashhad,IR\nKabul,Q889\nHerat,AFG\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"countries.csv:2: country 'Iran' is neither an ISO 3166-1 code"):
        read_names(countries)
    bad = tmp_path / "bad.csv"
    bad.write_text("city,country\nTabriz,IR\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"bad.csv:1: the header needs a 'name' column"):
        read_names(bad)
    bad.write_bytes("name\nمشهد\n".encode("cp1256"))
    with pytest.raises(LinkError, match=re.escape(f"{bad} is not UTF-8: byte 0xe3 on line 2 cannot be decoded. "
                                                  "Save it as UTF-8 (not Latin-1 or Windows-1256)")):
        read_names(bad)
    pasted = tmp_path / "pasted.csv"  # a QID as a person pastes it: prefixed, as an IRI or a page URL
    pasted.write_text("name,qid\nTabriz,wd:Q80053\nMashhad,https://www.wikidata.org/wiki/Q121157\n", encoding="utf-8")
    assert [q.qid for q in read_names(pasted)] == ["Q80053", "Q121157"]
    bad.write_text("name,qid\nTabriz,80053\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"bad.csv:2: '80053' is not a Wikidata QID"):
        read_names(bad)
    bad.write_text("name,country\nTab\x00riz,IR\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"bad.csv contains NUL bytes; it is not a text CSV or TSV file."):
        read_names(bad)
    # every bad row is named at once (the first ten), and nothing is looked up
    bad.write_text("name,country,qid\nTabriz,IR,\n,IR,\nMashhad,IR,Q1x\n" + ",IR,\n" * 12, encoding="utf-8")
    with pytest.raises(LinkError) as raised:
        read_names(bad)
    lines = str(raised.value).splitlines()
    assert lines[:2] == [f"{bad}:3: the row has no name (nor a QID).", f"{bad}:4: 'Q1x' is not a Wikidata QID such as Q80053."]
    assert lines[10:] == ["… and 4 more rows like these.", "Fix these rows (or delete them) and run again: nothing was looked up."]


def test_quickstatements_for_what_wikidata_lacks(linked: tuple[Project, LinkRun, Store],
                                                 fixture_server: Oxigraph) -> None:
    project, _, _ = linked
    found = quickstatements(project, client=Client(fixture_server.url, cache=None))
    assert [s.line for s in found.statements] == [
        'Q121157\tP190\tQ80053\tS854\t"https://example.org/tabriz-partners"',
        'Q80053\tP190\tQ121157\tS854\t"https://example.org/tabriz-partners"',
    ]  # Tabriz-Istanbul is in Wikidata already
    assert found.left_out == ()


def _linked_with_nurabad(tmp_path: Path, fixture_server: Oxigraph, cache: Path, rows: str) -> tuple[Project, Client]:
    """A project with these partnership rows beside the test project's, linked, with Nurabad decided as Q720657."""
    project = test_project(tmp_path / "p")
    (project.data / "reference" / "partnerships.csv").write_text(PARTNERSHIPS + rows, encoding="utf-8")
    decisions = tmp_path / "decided.csv"
    decisions.write_text("record,decision\ncity/nurabad,Q720657\n", encoding="utf-8")
    client = Client(fixture_server.url, cache=cache)
    link(project, client=client, decisions=decisions)
    return project, client


def test_quickstatements_give_the_start_and_end_of_a_twinning(tmp_path: Path, fixture_server: Oxigraph,
                                                               cache: Path) -> None:
    project, client = _linked_with_nurabad(tmp_path, fixture_server, cache,
                                           ",tabriz,nurabad,sister-city,2001,2015-03,ended,,,https://example.org/nurabad,\n"
                                           ",mashhad,nurabad,twinned,1998-10-05,,active,,,https://example.org/nurabad,\n")
    lines = [s.line for s in quickstatements(project, client=client).statements]
    source = '\tS854\t"https://example.org/nurabad"'
    assert sorted(line for line in lines if "Q720657" in line) == [
        "Q121157\tP190\tQ720657\tP580\t+1998-10-05T00:00:00Z/11" + source,
        "Q720657\tP190\tQ121157\tP580\t+1998-10-05T00:00:00Z/11" + source,
        "Q720657\tP190\tQ80053\tP580\t+2001-00-00T00:00:00Z/9\tP582\t+2015-03-00T00:00:00Z/10" + source,
        "Q80053\tP190\tQ720657\tP580\t+2001-00-00T00:00:00Z/9\tP582\t+2015-03-00T00:00:00Z/10" + source,
    ]
    assert 'Q80053\tP190\tQ121157\tS854\t"https://example.org/tabriz-partners"' in lines  # no dates, none given


def test_quickstatements_leave_out_a_twinning_whose_date_is_none(tmp_path: Path, fixture_server: Oxigraph,
                                                                  cache: Path) -> None:
    project, client = _linked_with_nurabad(tmp_path, fixture_server, cache,
                                           ",tabriz,nurabad,sister-city,,2019-02-29,ended,,,https://example.org/nurabad,\n"
                                           ",mashhad,nurabad,twinned,1998,,,,,https://example.org/nurabad,\n")
    found = quickstatements(project, client=client)
    assert not any("2019-02-29" in s.line or "Q80053\tP190\tQ720657" in s.line for s in found.statements)
    assert "Q121157\tP190\tQ720657\tP580\t+1998-00-00T00:00:00Z/9\tS854\t\"https://example.org/nurabad\"" in [
        s.line for s in found.statements]  # the good row of the same city is exported
    assert [str(lo) for lo in found.left_out] == [
        "Nurabad – Tabriz (https://example.org/nurabad) not exported: data/reference/partnerships.csv:5: end "
        "'2019-02-29' is not a date (February 2019 has 28 days)"]
    assert any(h.startswith("fix the rows named") for h in found.hints)
    assert found.summary().endswith("1 twinning not exported (see the warnings)")


def test_quickstatements_keep_a_reference_as_it_is(tmp_path: Path, fixture_server: Oxigraph, cache: Path) -> None:
    project, client = _linked_with_nurabad(tmp_path, fixture_server, cache,
                                           ',tabriz,nurabad,sister-city,,,,,,"https://example.org/a""b?q=""x""",\n'
                                           ',mashhad,nurabad,twinned,,,,,,"The ""Pact"" of Mashhad",\n')
    found = quickstatements(project, client=client)
    lines = [s.line for s in found.statements if "Q720657" in s.line]
    assert lines == ['Q720657\tP190\tQ80053\tS854\t"https://example.org/a%22b?q=%22x%22"',
                     'Q80053\tP190\tQ720657\tS854\t"https://example.org/a%22b?q=%22x%22"']  # the same resource
    assert [str(lo) for lo in found.left_out] == [
        'Mashhad – Nurabad (The "Pact" of Mashhad) not exported: data/reference/partnerships.csv:6: the reference '
        "'The \"Pact\" of Mashhad' has a double quote, which a QuickStatements V1 string cannot hold (write “ ” or ' "
        "instead)"]


def test_quickstatements_take_the_twinnings_of_submissions_in_rdf_and_tables(tmp_path: Path, fixture_server: Oxigraph,
                                                                           cache: Path) -> None:
    from citykg.submit import submit

    project = test_project(tmp_path / "p")
    build(project)
    turtle = tmp_path / "twin.ttl"  # its source row's data file is a blank node, with the path the file declares
    turtle.write_text("""@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/citykg/id/partnership/istanbul/mashhad/sister-city> a ckg:Partnership ;
    ckg:partner <https://w3id.org/citykg/id/city/mashhad>, <https://w3id.org/citykg/id/city/istanbul> ;
    ckg:partnershipType ckg:sisterCity ; prov:wasDerivedFrom _:row .
_:row a ckg:SourceRow ; ckg:citation "https://example.org/atlas" ; ckg:line "4"^^xsd:positiveInteger ;
    ckg:dataFile [ a ckg:DataFile ; ckg:path "twin.ttl" ] .
""", encoding="utf-8")
    assert submit(turtle, project=project, who="Ana").report.conforms
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "partnerships.csv").write_text('study,city_a,city_b,type,start,end,status,source_table,source_row,source,'
                                             'note\n,mashhad,istanbul,friendship,,,,,,"The ""Pact"" of Mashhad",\n',
                                             encoding="utf-8")
    accepted = submit(tables, project=project, who="Ana")
    found = quickstatements(project, client=Client(fixture_server.url, cache=cache))
    assert {s.line for s in found.statements} >= {'Q121157\tP190\tQ406\tS854\t"https://example.org/atlas"',
                                                   'Q406\tP190\tQ121157\tS854\t"https://example.org/atlas"'}
    assert [str(lo) for lo in found.left_out] == [
        f'Istanbul – Mashhad (The "Pact" of Mashhad) not exported: submissions/{accepted.id}/partnerships.csv:2: the '
        "reference 'The \"Pact\" of Mashhad' has a double quote, which a QuickStatements V1 string cannot hold "
        "(write “ ” or ' instead)"]


def test_quickstatements_name_the_twinnings_left_out(tmp_path: Path, fixture_server: Oxigraph, cache: Path) -> None:
    project = test_project(tmp_path / "p")
    (project.data / "reference" / "partnerships.csv").write_text(
        PARTNERSHIPS + ",tabriz,isfahan,sister-city,,,,,,https://example.org/isfahan,\n"
        ",atlantis,tabriz,friendship,,,,,,https://example.org/atlantis,\n"
        ",nurabad,atlantis,twinned,,,,,,https://example.org/legends,\n", encoding="utf-8")
    client = Client(fixture_server.url, cache=cache)
    before = quickstatements(project, client=client)  # Isfahan has no QID until citykg link links it
    assert len(before.statements) == 2
    assert [str(lo) for lo in before.left_out] == [
        "Atlantis – Nurabad (https://example.org/legends) not exported: Atlantis and Nurabad have no Wikidata QID",
        "Atlantis – Tabriz (https://example.org/atlantis) not exported: Atlantis has no Wikidata QID",
        "Isfahan – Tabriz (https://example.org/isfahan) not exported: Isfahan has no Wikidata QID",
    ]
    assert before.left_out[2] == LeftOut("Isfahan", "Tabriz", "https://example.org/isfahan", ("Isfahan",))
    link(project, client=client)
    # Isfahan is linked by a name match nobody reviewed (it could be the wrong item): still not exported
    after = quickstatements(project, client=client)
    assert len(after.statements) == 2 and not any("Q42053" in s.line for s in after.statements)
    assert after.left_out[2] == LeftOut("Isfahan", "Tabriz", "https://example.org/isfahan", (),
                                        (Unreviewed("Isfahan", "city/isfahan", "Q42053"),))
    result = CliRunner().invoke(cli, ["--project", str(project.root), "link", "--quickstatements", "--endpoint",
                                      fixture_server.url, "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [s.line for s in after.statements]  # stdout: the lines only
    assert result.stderr.splitlines() == [
        "citykg: warning: Atlantis – Nurabad (https://example.org/legends) not exported: Atlantis and Nurabad have "
        "no Wikidata QID",
        "citykg: warning: Atlantis – Tabriz (https://example.org/atlantis) not exported: Atlantis has no Wikidata QID",
        "citykg: warning: Isfahan – Tabriz (https://example.org/isfahan) not exported: Isfahan's QID Q42053 "
        "(city/isfahan) is a name match nobody reviewed",
        "citykg: hint: run `citykg link`, or add the QID to the table (its wikidata column), to export the "
        "twinnings of cities without a QID",
        "citykg: hint: check each name match on Wikidata, then confirm the right ones with `citykg link --decisions "
        "FILE` (FILE: a CSV with the header record,decision and the rows city/isfahan,Q42053), or give the QID in "
        "the table (its wikidata column), to export their twinnings",
        "citykg: 2 P190 statements that Wikidata lacks, with their sources; 3 twinnings not exported (a city "
        "without a checked QID)",
    ]
    # a person confirms the match: now it is exported
    decisions = tmp_path / "decided.csv"
    decisions.write_text("record,decision\ncity/isfahan,Q42053\n", encoding="utf-8")
    link(project, client=client, decisions=decisions)
    reviewed = quickstatements(project, client=client)
    assert 'Q42053\tP190\tQ80053\tS854\t"https://example.org/isfahan"' in [s.line for s in reviewed.statements]
    assert len(reviewed.statements) == 4 and [lo.city for lo in reviewed.left_out] == ["Atlantis", "Atlantis"]


def test_names_files_read_as_a_person_writes_them(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("\n \nname,country\n\nTabriz,ir\n", encoding="utf-8")  # blank lines before the header too
    assert [(q.name, q.country, q.where) for q in read_names(names)] == [("Tabriz", "ir", f"{names}:5")]
    names.write_text("name;country\nTabriz;IR\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"names.csv:1: the header needs a 'name' column .*; it has 'name;country'\. "
                                        r"It looks separated by semicolons: save it with commas \(CSV\) or tabs"):
        read_names(names)
    names.write_text("city;country\nTabriz;IR\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"it has 'city;country'\.$"):  # no hint: no 'name' column either way
        read_names(names)
    names.write_text("name\nTabriz\n" + "ب" * 201 + "\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"names.csv:3: the name 'ب+…' is 201 characters long; no place name is longer "
                                        r"than 200 \(is it the right column\?\)\.\nFix these rows"):
        read_names(names)


def test_names_and_decisions_files_are_read_strictly(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("name,name,country\nTabriz,Tebriz,IR\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"^.*names.csv:1: column 'name' appears twice in the header, so which cell a "
                                        r"row means is unknown: rename or remove one, and run again\.$"):
        read_names(names)
    decided = tmp_path / "decided.csv"
    decided.write_text("record,decision,Decision\ncity/nurabad,Q719764,none\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"decided.csv:1: column 'decision' appears twice in the header"):
        read_decisions(decided)
    # a row of more or fewer fields than the header: every such row, with the fix
    names.write_text("name,country\nTabriz,IR,\nMashhad\nKabul,AF\n", encoding="utf-8")
    with pytest.raises(LinkError) as raised:
        read_names(names)
    assert str(raised.value).splitlines() == [
        f"{names}:2: the row has 3 fields but the header has 2.", f"{names}:3: the row has 1 field but the header has 2.",
        "Give each row one cell per column of the header (quote a cell that contains a comma), and run again."]
    decided.write_text("record,decision\ncity/nurabad,Q719764,Q1\n", encoding="utf-8")
    with pytest.raises(LinkError, match=r"decided.csv:2: the row has 3 fields but the header has 2\."):
        read_decisions(decided)
    # a name of only a zero-width non-joiner, a vowel mark or punctuation is no name
    names.write_text("name,country,qid\n\u200c,IR,\n\u064e,,\n-,IR,\n-,IR,Q80053\nTabriz,IR,\n", encoding="utf-8")
    with pytest.raises(LinkError) as raised:
        read_names(names)
    assert str(raised.value).splitlines() == [
        *(f"{names}:{n}: the name {shown} has no letters or digits (only marks, joiners or punctuation); give the "
          "place's name (or its QID)." for n, shown in ((2, "U+200C ZERO WIDTH NON-JOINER"), (3, "U+064E ARABIC FATHA"),
                                                          (4, "'-'"))),
        "Fix these rows (or delete them) and run again: nothing was looked up."]
    names.write_text("name,country,qid\n-,IR,Q80053\n", encoding="utf-8")  # with a QID, the QID is the query
    assert [(q.name, q.qid) for q in read_names(names)] == [("Q80053", "Q80053")]
    assert CliRunner().invoke(cli, ["link", "--name", "\u200c"]).exit_code == 2


# ------------------------------------------------------------------------- CLI


def test_cli_names_as_json_lines(tmp_path: Path, fixture_server: Oxigraph) -> None:
    names = tmp_path / "names.csv"
    names.write_text("name,country\nتبريز,IR\nNurabad,IR\nAtlantis,\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["link", "--names", str(names), "--format", "json", "--endpoint",
                                      fixture_server.url, "--no-cache"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["name"], d["decision"]) for d in lines] == [("تبريز", "linked"), ("Nurabad", "ambiguous"),
                                                          ("Atlantis", "none")]
    assert lines[0] == {"name": "تبريز", "country": "IR", "decision": "linked",
                        "candidates": [{"qid": "Q80053", "label": "Tabriz", "country": "IR", "score": 89}]}
    assert result.stderr.startswith(f"citykg: reconciling 3 names at {fixture_server.url}\n")
    assert re.search(r"\ncitykg: 1 linked, 1 ambiguous, 1 none; \d+ quer(y|ies) sent, 0 answered from the cache\n$",
                     result.stderr)


def test_cli_tells_of_each_wait_for_the_endpoint() -> None:
    nothing = json.dumps({"head": {"vars": ["item", "label"]}, "results": {"bindings": []}})
    with Scripted([(429, {"Retry-After": "1"}, b"slow down"), ok(nothing)]) as server:
        result = CliRunner().invoke(cli, ["link", "--name", "Atlantis", "--endpoint", server.url, "--no-cache"])
    assert result.exit_code == 0, result.output
    assert f"citykg: {server.url}: HTTP 429 Too Many Requests; retry 1 of 4 in 1 s\n" in result.stderr


def test_cli_one_name_as_a_table(fixture_server: Oxigraph) -> None:
    result = CliRunner().invoke(cli, ["link", "--name", "Mashad", "--country", "IR", "--endpoint",
                                      fixture_server.url, "--no-cache"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == ["name", "decision", "qid", "label", "country", "score", "reasons"]
    assert "Q121157" in result.stdout and "is a spelling of" in result.stdout


@pytest.mark.parametrize("args", [
    ["--name", "Tabriz", "--names", "x.csv"], ["--country", "IR"], ["--name", "Tabriz", "--quickstatements"],
    ["--name", "Tabriz", "--decisions", __file__], ["--format", "xml"], ["--name", ""], ["--name", "  "],
    ["--name", "Tabriz", "--endpoint", "not-a-url"],
])
def test_cli_usage_errors_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["link", *args, "--no-cache"])
    assert result.exit_code == 2


@pytest.mark.parametrize(("url", "why"), [
    ("http://[::1", "is not a well-formed URL (Invalid IPv6 URL)"),
    ("http://", "names no host"),
    ("http://127.0.0.1:abc/query", "has a port that is no number from 1 to 65535"),
    ("http://127.0.0.1:70000/query", "has a port that is no number from 1 to 65535"),
    ("http://h/a b", "has a space or a control character"),
    ("ftp://h/sparql", "is not an http(s) URL"),
    ("http://شهر.ir/sparql", "has a host name in other letters than ASCII"),
])
def test_cli_an_endpoint_url_is_checked_before_anything_is_sent(url: str, why: str) -> None:
    result = CliRunner().invoke(cli, ["link", "--name", "Tabriz", "--endpoint", url, "--no-cache"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"Invalid value for --endpoint (or CITYKG_ENDPOINT): {url!r} {why}" in result.stderr
    assert "Cannot reach" not in result.stderr and "retry" not in result.stderr


@pytest.mark.parametrize("url", ["http://user:s3cret@127.0.0.1:7950/query", "https://s3cret@h/sparql",
                                 "http://user:s3cret@h/a b", "http://user:s3cret@h:abc/query"])
def test_cli_an_endpoint_url_with_credentials_is_refused_without_showing_them(url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["link", "--name", "Tabriz", "--endpoint", url, "--cache", str(tmp_path)])
    assert result.exit_code == 2 and "s3cret" not in result.output + result.stderr
    assert "has a user name or password before its host" in result.stderr
    assert "…@" in result.stderr and "retry" not in result.stderr and not list(tmp_path.iterdir())


def test_cli_a_path_in_other_letters_is_percent_encoded(fixture_server: Oxigraph) -> None:
    url = fixture_server.url.rsplit("/", 1)[0] + "/کوئری"
    result = CliRunner().invoke(cli, ["link", "--name", "Tabriz", "--endpoint", url, "--no-cache"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{fixture_server.url.rsplit('/', 1)[0]}/%DA%A9%D9%88%D8%A6%D8%B1%DB%8C answered HTTP 404" in result.stderr


def test_cli_a_contact_in_other_letters_is_percent_encoded_and_one_with_a_line_break_refused() -> None:
    nothing = json.dumps({"head": {"vars": ["item", "label"]}, "results": {"bindings": []}})
    with Scripted([ok(nothing)]) as server:
        result = CliRunner().invoke(cli, ["link", "--name", "Atlantis", "--endpoint", server.url, "--no-cache"],
                                    env={"CITYKG_CONTACT": " مهدی@example.ir "})
    assert result.exit_code == 0, result.output
    assert "(%D9%85%D9%87%D8%AF%DB%8C@example.ir)" in server.requests[0]["User-Agent"]
    for contact in ("me@example.org\r\nX-Evil: 1", "me@example.org\n"):
        refused = CliRunner().invoke(cli, ["link", "--name", "Atlantis", "--no-cache", "--contact", contact])
        assert refused.exit_code == 2 and "Traceback" not in refused.output
        assert "Invalid value for --contact (or CITYKG_CONTACT)" in refused.stderr
        assert "has a control character (a line break?)" in refused.stderr


def test_cli_names_errors_name_the_file_and_line_and_json_gives_the_country_looked_up(
        tmp_path: Path, fixture_server: Oxigraph) -> None:
    names = tmp_path / "names.csv"
    names.write_text("name,country\nTabriz,ir\nGaza City,Q80053\n", encoding="utf-8")
    base = ["link", "--names", str(names), "--endpoint", fixture_server.url, "--no-cache", "--format", "json"]
    result = CliRunner().invoke(cli, base)
    assert result.exit_code == 2 and json.loads(result.stdout)["error"].startswith(
        f"{names}:3: Q80053 is not a country: neither the project's countries table")  # as JSON, with --format json
    names.write_text("name,country\nTabriz, ir \n", encoding="utf-8")
    result = CliRunner().invoke(cli, base)
    assert result.exit_code == 0 and json.loads(result.stdout)["country"] == "IR"


def test_cli_an_unreachable_endpoint_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["link", "--name", "Tabriz", "--endpoint",
                                      f"http://127.0.0.1:{free_port()}/sparql", "--no-cache", "--timeout", "2"])
    assert result.exit_code == 2 and "Cannot reach" in result.output
    assert "(tried once): [Errno 111] Connection refused" in result.stderr and "retry" not in result.stderr  # at once


def test_cli_an_endpoint_url_that_is_no_sparql_endpoint_says_so(fixture_server: Oxigraph) -> None:
    wrong = fixture_server.url.rsplit("/", 1)[0] + "/nope"
    result = CliRunner().invoke(cli, ["link", "--name", "Tabriz", "--endpoint", wrong, "--no-cache"])
    assert result.exit_code == 2 and "there is no SPARQL endpoint at that URL" in result.stderr
    assert "citykg bug" not in result.stderr


def test_cli_a_web_server_that_takes_no_post_is_no_sparql_endpoint(tmp_path: Path) -> None:
    """A plain web server (python -m http.server) answers a POST with 501: said at once, not retried."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as web:
        thread = threading.Thread(target=web.serve_forever, daemon=True)
        thread.start()
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["link", "--name", "Tabriz", "--no-cache", "--endpoint",
                                          f"http://127.0.0.1:{web.server_address[1]}/"])
        web.shutdown()
    assert result.exit_code == 2 and time.monotonic() - started < 5
    assert "answered HTTP 501 Unsupported method ('POST'): there is no SPARQL endpoint at that URL" in result.stderr
    assert "retry" not in result.stderr and "Try again later" not in result.stderr


def test_cli_an_endpoint_answering_json_nested_too_deep_exits_2() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with Scripted([(200, {"Content-Type": "application/sparql-results+json"}, deep)] * 8) as server:
        result = CliRunner().invoke(cli, ["link", "--name", "Tabriz", "--endpoint", server.url, "--no-cache"])
    assert result.exit_code == 2 and "JSON nested too deep to be a SPARQL SELECT result" in result.stderr
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    assert not isinstance(result.exception, RecursionError)


def test_cli_table_counts_names_and_shows_the_candidates_of_a_name_linked_to_nothing(tmp_path: Path,
                                                                                     fixture_server: Oxigraph) -> None:
    names = tmp_path / "names.csv"
    names.write_text("name,country\nNurabad,IR\nTabriz,IR\nQ999999999,\nIstanbul,IR\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["link", "--names", str(names), "--endpoint", fixture_server.url, "--no-cache"])
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and lines[-1] == "(4 names)"  # five lines: Nurabad has two candidates
    start, end = lines[0].index("qid"), lines[0].index("label")
    cells = {line.split()[0]: (line.split()[1], line[start:end].strip()) for line in lines[2:-1] if line[0] != " "}
    assert cells == {"Nurabad": ("ambiguous", "Q720657"), "Tabriz": ("linked", "Q80053"),
                     "Q999999999": ("none", "Q999999999"), "Istanbul": ("none", "Q406")}  # (Istanbul is in TR)


def test_cli_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    qs = CliRunner().invoke(cli, ["link", "--quickstatements", "-f", "json"])
    assert qs.exit_code == 2 and "--quickstatements prints QuickStatements V1 lines, which have no JSON form: " \
                                  "leave out --format json." in qs.output
    names = tmp_path / "names.csv"
    for encoding in ("utf-16", "utf-16-le"):  # with and without a byte-order mark
        names.write_bytes("name,country\nتبریز,IR\n".encode(encoding))
        result = CliRunner().invoke(cli, ["link", "--names", str(names), "--endpoint", "http://127.0.0.1:9/query"])
        assert result.exit_code == 2 and f"{names} is UTF-16; citykg reads names and decisions files in UTF-8. Save " \
                                         "it as UTF-8 (in Excel, as 'CSV UTF-8'" in result.stderr, encoding
        assert "Latin-1" not in result.stderr


def test_cli_a_qid_in_any_case_is_a_qid(fixture_server: Oxigraph) -> None:
    result = CliRunner().invoke(cli, ["link", "--name", "q80053", "--endpoint", fixture_server.url, "--no-cache",
                                      "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["candidates"][0]["qid"] == "Q80053"
    for pasted in ("wd:Q80053", "http://www.wikidata.org/entity/Q80053"):
        result = CliRunner().invoke(cli, ["link", "--name", pasted, "--endpoint", fixture_server.url, "--no-cache",
                                          "--format", "json"])
        assert result.exit_code == 0 and json.loads(result.stdout)["decision"] == "linked", pasted
        assert json.loads(result.stdout)["candidates"][0]["qid"] == "Q80053", pasted


def test_cli_a_qid_the_endpoint_does_not_know_links_nothing(fixture_server: Oxigraph) -> None:
    result = CliRunner().invoke(cli, ["link", "--name", "Q99999999", "--endpoint", fixture_server.url, "--no-cache",
                                      "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["decision"] == "none"
    table = CliRunner().invoke(cli, ["link", "--name", "Q80053", "--country", "TR", "--endpoint", fixture_server.url,
                                     "--no-cache"])
    assert table.exit_code == 0 and "QID given; it is in IR, not in TR: a person decides" in table.stdout
    assert table.stdout.splitlines()[2].split()[1:3] == ["ambiguous", "Q80053"]  # not linked


def test_cli_a_country_qid_must_name_a_country(fixture_server: Oxigraph) -> None:
    root = Path(__file__).resolve().parent.parent
    base = ["--project", str(root), "link", "--name", "Gaza City", "--endpoint", fixture_server.url, "--no-cache"]
    wrong = CliRunner().invoke(cli, [*base, "--country", "Q80053"])  # Tabriz, a city
    assert wrong.exit_code == 2 and wrong.stdout == ""
    assert ("Q80053 is not a country: neither the project's countries table nor the endpoint gives it an ISO "
            "3166-1 code (P297). Give the country's ISO 3166-1 code (IR or IRN) or its Wikidata QID (Q794).") \
        in wrong.stderr
    assert "Traceback" not in wrong.output
    # the endpoint gives Q219060 no ISO code, but the project's countries table lists it as PS
    right = CliRunner().invoke(cli, [*base, "--country", "Q219060", "--format", "json"])
    assert right.exit_code == 0, right.output
    assert json.loads(right.stdout)["candidates"][0] == {"qid": "Q47492", "label": "Gaza City", "country": "PS",
                                                         "score": 85}


def test_cli_links_the_project(tmp_path: Path, fixture_server: Oxigraph, cache: Path) -> None:
    project = test_project(tmp_path / "p")
    result = CliRunner().invoke(cli, ["--project", str(project.root), "--dist", str(project.dist), "link",
                                      "--endpoint", fixture_server.url, "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    assert "city/nurabad" in result.stdout and "country/IR" not in result.stdout
    assert "1 ambiguous" in result.stderr and "run `citykg build` next" in result.stderr
    assert (project.graphs / LINKS_FILE).is_file() and (project.dist / "wikidata-review.csv").is_file()
    as_json = CliRunner().invoke(cli, ["--project", str(project.root), "--dist", str(project.dist), "link",
                                       "--endpoint", fixture_server.url, "--cache", str(cache), "--format", "json"])
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert as_json.exit_code == 0 and len({line["record"] for line in lines}) == len(lines)
    assert {"record": "city/tabriz", "method": "identifier"}.items() <= next(
        line for line in lines if line["record"] == "city/tabriz").items()
    qs = CliRunner().invoke(cli, ["--project", str(project.root), "link", "--quickstatements", "--endpoint",
                                  fixture_server.url, "--cache", str(cache)])
    assert qs.exit_code == 0 and qs.stdout.count("\tP190\t") == 2


def test_a_city_whose_country_no_one_knows_does_not_stop_the_run(tmp_path: Path, fixture_server: Oxigraph,
                                                                   cache: Path) -> None:
    project = test_project(tmp_path / "p")
    reference = project.data / "reference"
    for table, row in (("countries.csv", "XA,XAA,Testland,,,test"), ("cities.csv", "testville,Istanbul,,XA,,test")):
        (reference / table).write_text((reference / table).read_text(encoding="utf-8") + row + "\n", encoding="utf-8")
    run_ = link(project, client=Client(fixture_server.url, cache=cache))
    by = {lk.record.ref: lk.match for lk in run_.links}
    # a place of another country (Istanbul, TR) is not linked to a city the data puts in XA
    assert by["city/testville"].decision is Decision.NONE
    assert "in TR, not XA" in by["city/testville"].candidates[0].reasons
    assert (by["city/isfahan"].decision, by["city/isfahan"].qid) == (Decision.LINKED, "Q42053")
    assert by["country/XA"].decision is Decision.NONE
    assert [w for w in run_.warnings if "XA" in w] == [
        "city/testville: neither the countries table (with a QID) nor the endpoint knows its country XA, so its names "
        "were looked up in no country, and a place of another country code is not linked to it (none). Give "
        "country/XA its QID in data/reference/countries.csv (its wikidata column)."]


def test_a_city_whose_country_the_tables_lack_is_not_linked_on_its_names_alone(
        tmp_path: Path, fixture_server: Oxigraph, cache: Path) -> None:
    project = test_project(tmp_path / "p")
    reference = project.data / "reference"
    countries = reference / "countries.csv"
    countries.write_text("".join(line for line in countries.read_text(encoding="utf-8").splitlines(keepends=True)
                                 if not line.startswith("KW,")), encoding="utf-8")
    cities = reference / "cities.csv"
    cities.write_text(cities.read_text(encoding="utf-8") + "kuwait,Kuwait City,,KW,,test\nshiraz,Shiraz,,,,test\n",
                      encoding="utf-8")
    run_ = link(project, client=Client(fixture_server.url, cache=cache))
    by = {lk.record.ref: lk.match for lk in run_.links}
    # each name alone is one place's label, which would link it; `citykg build` refuses both rows
    assert (by["city/kuwait"].decision, by["city/kuwait"].candidates[0].qid) == (Decision.AMBIGUOUS, "Q35178")
    assert by["city/kuwait"].reasons[-1] == "not linked on its names alone: its country KW is not in the project's " \
                                            "countries"
    assert (by["city/shiraz"].decision, by["city/shiraz"].candidates[0].qid) == (Decision.AMBIGUOUS, "Q6397066")
    assert [w for w in run_.warnings if w.startswith(("city/kuwait", "city/shiraz"))] == [
        "city/kuwait: its country KW is not in the project's countries (data/reference/countries.csv), so `citykg "
        "build` refuses the city; its names alone do not link it (ambiguous). To fix it, add KW to "
        "data/reference/countries.csv (or correct the city's country), then run `citykg link` again.",
        "city/shiraz: it has no country, so `citykg build` refuses the city; its names alone do not link it "
        "(ambiguous). To fix it, give it its country's ISO 3166-1 alpha-2 code (its country column), then run "
        "`citykg link` again."]
    assert by["city/isfahan"].decision is Decision.LINKED  # a city of a listed country links as before
    review = {row["record"] for row in csv.DictReader(run_.review.read_text(encoding="utf-8").splitlines())}
    assert {"city/kuwait", "city/shiraz"} <= review


def test_a_decision_against_a_country_of_the_tables_warns(tmp_path: Path, fixture_server: Oxigraph,
                                                          cache: Path) -> None:
    project = test_project(tmp_path / "p")
    decisions = tmp_path / "decided.csv"
    decisions.write_text("record,decision\ncountry/IR,Q123\ncountry/TR,none\n", encoding="utf-8")
    run_ = link(project, client=Client(fixture_server.url, cache=cache), decisions=decisions)
    by = {lk.record.ref: lk.match for lk in run_.links}
    assert (by["country/IR"].qid, by["country/IR"].method) == ("Q794", "identifier")
    assert [w for w in run_.warnings if w.startswith("country/")] == [
        "country/IR: the data gives Q794; the reviewed decision Q123 is ignored (fix data/reference/countries.csv if "
        "the data is wrong).",
        "country/TR: the data gives Q43; the reviewed decision none is ignored (fix data/reference/countries.csv if "
        "the data is wrong)."]


# ------------------------------------------------------------ the full data files


def test_linking_against_the_full_wikidata_files(tmp_path: Path) -> None:
    folder = wikidata_dir()
    server = start_oxigraph([folder / f for f in ("places.nt.gz", "countries.nt.gz", "p190-2016.nt.gz")],
                            tmp_path / "full")
    try:
        project = copy_project(tmp_path / "p")
        outcome = link(project, client=Client(server.url, cache=None))
    finally:
        server.stop()
    assert outcome.count(Decision.LINKED) == 2 + 57
    result = build(project)
    assert result.report.conforms
    store = Store.read_only(str(project.store.resolve()))
    # every P190 partner in the files is kept; Baku and Mashhad's five partners in Germany, Italy, Spain and the
    # US have only a German label there, and no country
    tabriz = {r[2] for r in answer(store, project, "sister-cities", city="Tabriz")}
    assert tabriz == {"Baku", "Gaza City", "Istanbul", "Khŭjand", "Konyaaltı"}
    mashhad = answer(store, project, "sister-cities", city="Mashhad")
    assert {r[1] for r in mashhad} == {"Q11462", "Q11739", "Q130469", "Q14314", "Q16959", "Q1726", "Q1865", "Q2028",
                                       "Q43301", "Q490", "Q8660"}
    assert {r[2] for r in mashhad if r[3] is None} == {"Fresno", "Mailand", "München", "Santiago de Compostela",
                                                       "Verona"}
    assert outcome.enrichment.skipped == [] and outcome.enrichment.partnerships == 16
    oic = answer(store, project, "partners-in-oic", city="Mashhad")
    assert {r[1] for r in oic} == {"Q130469", "Q11462", "Q1865", "Q8660", "Q11739"}
    # the study's warning now counts the partners Wikidata gives
    assert any("declares 16 sister cities, but the graph lists 5" in f.message for f in result.report.findings)
