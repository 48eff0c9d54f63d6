"""Building: conforming data is written deterministically; bad data never replaces a good build."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from pyoxigraph import Store

from citykg.build import BuildResult, build
from citykg.buildinfo import read_info
from citykg.errors import DataError
from citykg.project import Project
from citykg.report import Severity
from citykg.shacl import Engine, check, load_shapes
from citykg.validate import validate


def test_the_real_data_builds_with_the_papers_gaps_as_warnings(built: tuple[Project, BuildResult]) -> None:
    project, result = built
    assert result.report.conforms
    assert result.graphs == 4
    assert {f.severity for f in result.report.findings} == {Severity.WARNING}
    assert len(result.report.findings) == 6
    store = Store.read_only(str(project.store.resolve()))
    graphs = sorted(g.value for g in store.named_graphs())
    assert graphs == [f"https://w3id.org/citykg/graph/{n}" for n in ("mashhad-oic", "ontology", "reference", "tabriz-2024")]
    assert len(store) == result.quads
    for name in ("citykg.nq", "citykg.trig", "store"):
        assert (project.dist / name).exists()


def test_the_readme_session_shows_the_real_build(built: tuple[Project, BuildResult]) -> None:
    _, result = built
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    session = readme.split("$ citykg build\n", 1)[1].split("\n$ ", 1)[0]
    assert f"citykg: writing {result.quads} quads to " in session
    assert f"\nBuilt {result.quads} quads in {result.graphs} graphs in " in session
    assert f"\n{result.report.summary()}\n" in session


def test_rebuilds_are_byte_identical(built: tuple[Project, BuildResult], tmp_path: Path) -> None:
    project, first = built
    again = build(Project(root=project.root, dist=tmp_path / "dist"))
    assert again.build_id == first.build_id
    for name in ("citykg.nq", "citykg.trig", "current/info.json"):
        assert (tmp_path / "dist" / name).read_bytes() == (project.dist / name).read_bytes()
    assert build(Project(root=project.root, dist=tmp_path / "dist")).unchanged


def test_a_build_writes_its_size_beside_its_store(built: tuple[Project, BuildResult], store: Store,
                                                  tmp_path: Path) -> None:
    project, result = built
    folder = project.dist / "builds" / result.build_id
    info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
    counts = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    graphs = {s["g"].value: int(s["n"].value) for s in counts}  # type: ignore[union-attr]
    assert info == {"build": result.build_id, "quads": len(store), "graphs": graphs}  # as a worker counts
    assert read_info(folder / "store", result.build_id) == {"quads": len(store), "graphs": graphs}
    assert read_info(folder / "store", "another-build") is None  # a copy under another name says nothing
    # a build folder of an older citykg, without the file, gets it when the same build is made again
    dist = tmp_path / "dist"
    shutil.copytree(folder, dist / "builds" / result.build_id)
    (dist / "builds" / result.build_id / "info.json").unlink()
    assert build(Project(root=project.root, dist=dist)).unchanged
    assert (dist / "current" / "info.json").read_bytes() == (folder / "info.json").read_bytes()


def test_a_failing_build_keeps_the_last_good_one(project_copy: Project) -> None:
    good = build(project_copy)
    before = os.readlink(project_copy.dist / "current")
    nquads = (project_copy.dist / "citykg.nq").read_bytes()
    path = project_copy.data / "mashhad-oic" / "strategy_factors.csv"
    path.write_text(path.read_text(encoding="utf-8") + "mashhad-oic,WO2,W10,Table 3,WO2,\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        build(project_copy)
    report = caught.value.report
    assert [f.to_text() for f in report.findings if f.severity is Severity.VIOLATION] == [
        "data/mashhad-oic/strategy_factors.csv:122: factor: violation: The cited factor is not in "
        "factors.csv of this study: add it or fix the code. "
        "(value: W10) [ckgsh:FactorCitationShape]"]
    assert os.readlink(project_copy.dist / "current") == before
    assert (project_copy.dist / "citykg.nq").read_bytes() == nquads
    assert sorted(p.name for p in (project_copy.dist / "builds").iterdir()) == [good.build_id]


def test_a_damaged_build_is_written_again_and_said_to_be_damaged_meanwhile(project_copy: Project) -> None:
    import glob

    from citykg.errors import StoreError
    from citykg.store import open_store

    first = build(project_copy)
    shutil.rmtree(project_copy.dist / "current" / "store")  # a store deleted
    rebuild = f"Run `citykg --project {project_copy.root} build`"  # (not the project citykg would find from here)
    with pytest.raises(StoreError, match=rf"The store of the last build .* is missing. {re.escape(rebuild)}"):
        open_store(project_copy)
    again = build(project_copy)
    assert (again.build_id, again.unchanged) == (first.build_id, False)
    assert len(open_store(project_copy)) == first.quads
    largest = max(glob.glob(str(project_copy.dist / "current" / "store" / "*.sst")), key=os.path.getsize)
    with open(largest, "r+b") as sst:  # a store cut short
        sst.truncate(os.path.getsize(largest) - 100)
    with pytest.raises(StoreError, match=rf"cannot be opened: Corruption: .* {re.escape(rebuild)}, which writes"):
        open_store(project_copy)
    assert not build(project_copy).unchanged
    assert len(open_store(project_copy)) == first.quads
    assert build(project_copy).unchanged  # a sound build is left as it is


def test_a_failing_build_reports_what_validate_reports(project_copy: Project) -> None:
    # a citation that differs from a code only in case: the code it meant, and one finding for it
    path = project_copy.data / "mashhad-oic" / "strategy_factors.csv"
    path.write_text(path.read_text(encoding="utf-8") + "mashhad-oic,WO2,w4,Table 3,WO2,\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        build(project_copy)
    built = [f.to_text() for f in caught.value.report.findings if f.severity is Severity.VIOLATION]
    assert built == ["data/mashhad-oic/strategy_factors.csv:122: factor: violation: The cited factor is not in "
                     "factors.csv of this study: add it or fix the code. Ids and codes match only in the same "
                     "case: did you mean 'W4'? (value: w4) [ckgsh:FactorCitationShape]"]
    validated = validate(project=project_copy)
    assert [f.to_text() for f in validated.findings] == [f.to_text() for f in caught.value.report.findings]


def test_a_strategy_of_an_unknown_study_is_a_violation(project_copy: Project) -> None:
    path = project_copy.data / "mashhad-oic" / "strategies.csv"
    path.write_text(path.read_text(encoding="utf-8") + "mashad-oic,SO9,SO,راهبرد,A strategy,Table 3,SO9,\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        build(project_copy)
    texts = [f.to_text() for f in caught.value.report.findings if f.severity is Severity.VIOLATION]
    assert any(t.startswith("data/mashhad-oic/strategies.csv:14: study: violation: The record must "
                            "belong to exactly one study that exists") for t in texts), texts


def test_both_engines_agree_on_the_real_data(built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    from pyoxigraph import RdfFormat, parse

    quads = [q for q in parse(path=project.dist / "citykg.nq", format=RdfFormat.N_QUADS)
             if q.graph_name.value != "https://w3id.org/citykg/graph/ontology"]
    ontology = [q for q in parse(path=project.dist / "citykg.nq", format=RdfFormat.N_QUADS)
                if q.graph_name.value == "https://w3id.org/citykg/graph/ontology"]
    shapes = load_shapes(project.shapes)
    turbo = check(quads, shapes=shapes, ontology=ontology, engine=Engine.TURBO)
    reference = check(quads, shapes=shapes, ontology=ontology, engine=Engine.PYSHACL)
    assert turbo == reference
    assert len(turbo.findings) == 6


def _failing(project: Project) -> list[str]:
    with pytest.raises(DataError) as caught:
        build(project)
    return [f.to_text() for f in caught.value.report.findings if f.severity is not Severity.WARNING]


def test_a_citation_of_the_wrong_kind_is_reported_where_it_is_cited(project_copy: Project) -> None:
    path = project_copy.data / "mashhad-oic" / "strategy_factors.csv"
    path.write_text(path.read_text(encoding="utf-8") + "mashhad-oic,SO1,W2,Table 3,SO1,\n", encoding="utf-8")
    assert _failing(project_copy) == [
        "data/mashhad-oic/strategy_factors.csv:122: factor: violation: SO1 is an SO strategy but builds on "
        "weakness W2; an SO strategy builds on strengths and opportunities only: fix the factor, or make it "
        "a WO or WT strategy. [ckgsh:SOStrategyShape]"]


def test_a_table_that_cannot_be_read_is_reported_once(project_copy: Project) -> None:
    path = project_copy.data / "mashhad-oic" / "factors.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    assert _failing(project_copy) == [
        "data/mashhad-oic/factors.csv: info: 120 references to factors.csv (in strategy_factors.csv) were not "
        "checked: the table could not be read. Fix it and validate again to check them. [citykg:reference]",
        "data/mashhad-oic/factors.csv:1: violation: The header is separated by semicolons; citykg tables are "
        "comma-separated CSV. Export the sheet as CSV with commas. [citykg:table-format]"]


def test_one_cause_is_one_finding_in_plain_words(project_copy: Project) -> None:
    (project_copy.data / "reference" / "partnerships.csv").write_text(
        "study,city_a,city_b,type,start,source\nno-such-study,mashhad,tabriz,bogus-type,2019,Example\n",
        encoding="utf-8")
    assert _failing(project_copy) == [
        "data/reference/partnerships.csv:2: study: violation: The study column names a study that does not "
        "exist: add it to studies.csv or fix the id. (value: no-such-study) [ckgsh:PartnershipShape]",
        "data/reference/partnerships.csv:2: type: violation: 'bogus-type' is not an allowed type. Allowed: "
        "sister-city, friendship, cooperation-agreement, memorandum, project, twinned. [citykg:table-format]"]
