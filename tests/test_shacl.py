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

from citykg.build import load_ontology, with_superclasses
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
    return check(with_superclasses(quads, ontology), shapes=load_shapes(project.shapes),
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
    typed = {q.object.value for q in with_superclasses(_quads(HERE / "context.ttl"), ontology)
             if q.predicate.value.endswith("#type")}
    missing = {shape for shape, cls in targets.items() if cls not in typed}
    assert missing == set(), "node shapes the valid context never exercises"
