"""The ontology: consistent under HermiT, and well made (labels, definitions, no punning)."""

from __future__ import annotations

import shutil

import pytest

from citykg.ontology import check_ontology
from citykg.project import Project


def test_java_is_installed_for_the_reasoner() -> None:
    assert shutil.which("java"), "the ontology check needs Java (scripts/setup --dev installs it)"


def test_the_ontology_passes(project: Project) -> None:
    report = check_ontology(project)
    assert report.findings == ()


def append(project: Project, text: str) -> None:
    path = project.ontology / "citykg.ttl"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize(("addition", "message"), [
    ("ckg:Extra a owl:Class .\n", "The term has no English label."),
    ('ckg:Extra a owl:Class ; rdfs:label "extra"@en .\n', "The term has no English definition"),
    ('ckg:Extra a owl:Class, owl:ObjectProperty ; rdfs:label "extra"@en ; skos:definition "x"@en .\n',
     "Punning: the term is declared as class and object property"),
    ('ckg:Extra a owl:Class ; rdfs:label "city"@en ; skos:definition "x"@en .\n',
     "Another term has the same label 'city'."),
    ('ckg:A a owl:Class ; rdfs:label "a"@en ; skos:definition "x"@en ; owl:disjointWith ckg:B .\n'
     'ckg:B a owl:Class ; rdfs:label "b"@en ; skos:definition "x"@en .\n'
     'ckg:C a owl:Class ; rdfs:label "c"@en ; skos:definition "x"@en ; rdfs:subClassOf ckg:A, ckg:B .\n',
     "The class is unsatisfiable"),
])
def test_problems_are_found(project_copy: Project, addition: str, message: str) -> None:
    append(project_copy, addition)
    report = check_ontology(project_copy)
    assert any(message in f.message for f in report.findings), report.to_text()


def test_a_finding_about_a_term_is_at_the_line_that_describes_it(project_copy: Project) -> None:
    path = project_copy.ontology / "citykg.ttl"
    lines = path.read_text(encoding="utf-8").count("\n")
    append(project_copy, '\nckg:Extra a owl:Class ;\n    rdfs:label "extra"@en .\n')
    [finding] = check_ontology(project_copy, reason=False).findings
    assert (finding.file, finding.row, finding.value) == ("ontology/citykg.ttl", lines + 2, "ckg:Extra")
    assert finding.to_text().startswith(f"ontology/citykg.ttl:{lines + 2}: violation: The term has no English "
                                        "definition")


def test_undeclared_terms_used_by_shapes(project_copy: Project) -> None:
    path = project_copy.shapes / "citykg-shapes.ttl"
    path.write_text(path.read_text(encoding="utf-8") +
                    "ckgsh:X a sh:NodeShape ; sh:targetClass ckg:Strenght .\n", encoding="utf-8")
    report = check_ontology(project_copy, reason=False)
    assert [f.message for f in report.findings] == [
        "The term is used by shapes/citykg-shapes.ttl but not declared in the ontology: declare it "
        "with a label and a definition, or fix the name."]
    assert report.findings[0].value == "ckg:Strenght"


def test_an_unsatisfiable_class_is_the_only_one_reported(project_copy: Project) -> None:
    """owl:Nothing, empty by definition, is not reported with it."""
    append(project_copy,
           'ckg:A a owl:Class ; rdfs:label "a"@en ; skos:definition "x"@en ; owl:disjointWith ckg:B .\n'
           'ckg:B a owl:Class ; rdfs:label "b"@en ; skos:definition "x"@en ; rdfs:subClassOf ckg:A .\n')
    report = check_ontology(project_copy)
    assert [(f.message, f.value) for f in report.findings] == [
        ("The class is unsatisfiable: it can have no member.", "ckg:B")], report.to_text()
