"""Building: conforming data is written deterministically; bad data never replaces a good build."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pyoxigraph import Store

from citykg.build import BuildResult, build
from citykg.errors import DataError
from citykg.project import Project
from citykg.report import Severity
from citykg.shacl import Engine, check, load_shapes


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


def test_rebuilds_are_byte_identical(built: tuple[Project, BuildResult], tmp_path: Path) -> None:
    project, first = built
    again = build(Project(root=project.root, dist=tmp_path / "dist"))
    assert again.build_id == first.build_id
    for name in ("citykg.nq", "citykg.trig"):
        assert (tmp_path / "dist" / name).read_bytes() == (project.dist / name).read_bytes()
    assert build(Project(root=project.root, dist=tmp_path / "dist")).unchanged


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
