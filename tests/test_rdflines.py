"""Findings about an RDF file point at the line where the file writes their record or term."""

from __future__ import annotations

from typing import Any

import pytest
from pyoxigraph import BlankNode, Quad, RdfFormat, parse

from citykg.rdflines import lines_of, locate, place
from citykg.report import Finding, Severity

QOM = "https://w3id.org/citykg/id/city/qom"
TABRIZ = "https://w3id.org/citykg/id/city/tabriz"
COUNTRY = "https://w3id.org/citykg/ontology#country"

# Each names Tabriz as an object (line 3) before it describes it (line 5), and Qom on line 2.
SOURCES = {
    RdfFormat.TURTLE: """@prefix ckg: <https://w3id.org/citykg/ontology#> . @prefix city: <https://w3id.org/citykg/id/city/> .
city:qom a ckg:City ;
    ckg:twinnedWith city:tabriz .

  city:tabriz a ckg:City ; ckg:country <https://w3id.org/citykg/id/country/IR> .
""",
    RdfFormat.N_TRIPLES: f"""# Qom and Tabriz
<{QOM}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/citykg/ontology#City> .
<{QOM}> <https://w3id.org/citykg/ontology#twinnedWith> <{TABRIZ}> .

<{TABRIZ}> <{COUNTRY}> <https://w3id.org/citykg/id/country/IR> .
""",
    RdfFormat.JSON_LD: """{"@context": {"ckg": "https://w3id.org/citykg/ontology#", "city": "https://w3id.org/citykg/id/city/"},
 "@graph": [{"@id": "city:qom", "@type": "ckg:City",
   "ckg:twinnedWith": {"@id": "city:tabriz"}},
  {"@id": "https://w3id.org/citykg/id/other", "ckg:label": "x"},
  {"@id": "https://w3id.org/citykg/id/city/tabriz", "ckg:country": {"@id": "https://w3id.org/citykg/id/country/IR"}}]}
""",
    RdfFormat.RDF_XML: f"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ckg="https://w3id.org/citykg/ontology#">
 <rdf:Description rdf:about="{QOM}">
  <ckg:twinnedWith rdf:resource="{TABRIZ}"/></rdf:Description>
 <!-- Tabriz -->
 <rdf:Description rdf:about="{TABRIZ}"><ckg:country rdf:resource="https://w3id.org/citykg/id/country/IR"/>
 </rdf:Description></rdf:RDF>
""",
}


@pytest.mark.parametrize("fmt", list(SOURCES), ids=lambda f: f.name)
def test_a_record_is_found_where_it_is_a_subject(fmt: RdfFormat) -> None:
    data = SOURCES[fmt].encode()
    assert lines_of(data, fmt, [QOM, TABRIZ, "https://w3id.org/citykg/id/city/none"]) == {QOM: 2, TABRIZ: 5}
    assert lines_of(data, fmt, [TABRIZ], as_subject=False) == {TABRIZ: 3}  # its first mention


def test_a_name_is_matched_whole() -> None:
    data = b"@prefix city: <https://w3id.org/citykg/id/city/> .\ncity:qom-2 a city:X .\ncity:qom a city:X .\n"
    assert lines_of(data, RdfFormat.TURTLE, [QOM]) == {QOM: 3}


def test_a_prefixed_name_with_escapes_is_its_iri() -> None:
    data = (b"@prefix id: <https://w3id.org/citykg/id/> .\nid:city\\/tabriz a id:X .\n"
            b"id:city\\/qom id:p id:city\\/q\\.x .\n")
    assert lines_of(data, RdfFormat.TURTLE, [QOM, TABRIZ, "https://w3id.org/citykg/id/city/q.x"]) == {
        QOM: 3, TABRIZ: 2, "https://w3id.org/citykg/id/city/q.x": 3}  # (an object: where it is named)


def test_relative_iris_resolve_against_the_base() -> None:
    data = b"@base <https://w3id.org/citykg/id/> .\n\n<city/qom> a <City> .\n"
    assert lines_of(data, RdfFormat.TURTLE, [QOM]) == {QOM: 3}


def test_locate_fills_the_line_of_findings_about_the_file_only() -> None:
    data = SOURCES[RdfFormat.TURTLE].encode()
    about_tabriz = Finding(Severity.VIOLATION, "m", file="in.ttl", focus=TABRIZ)
    term = Finding(Severity.VIOLATION, "t", file="in.ttl", value=COUNTRY, shape="citykg:input/undeclared-term",
                   focus=TABRIZ)
    elsewhere = Finding(Severity.VIOLATION, "m", file="other.ttl", focus=TABRIZ)
    placed = Finding(Severity.VIOLATION, "m", file="in.ttl", row=1, focus=TABRIZ)
    blank = Finding(Severity.VIOLATION, "m", file="in.ttl")
    found = locate([about_tabriz, term, elsewhere, placed, blank], data, RdfFormat.TURTLE, file="in.ttl")
    assert [f.row for f in found] == [5, 5, None, 1, None]
    assert found[0].to_text() == "in.ttl:5: violation: m"


@pytest.mark.parametrize("fmt", list(SOURCES), ids=lambda f: f.name)
def test_a_finding_about_a_property_is_found_where_the_record_writes_it(fmt: RdfFormat) -> None:
    data = SOURCES[fmt].encode()
    twinned = Finding(Severity.VIOLATION, "m", file="in.ttl", focus=QOM, path="ckg:twinnedWith")
    unwritten = Finding(Severity.VIOLATION, "m", file="in.ttl", focus=QOM, path="ckg:country")  # only Tabriz's
    inverse = Finding(Severity.VIOLATION, "m", file="in.ttl", focus=QOM, path="^ckg:twinnedWith")
    country = Finding(Severity.VIOLATION, "m", file="in.ttl", focus=TABRIZ, path="ckg:country")
    found = locate([twinned, unwritten, inverse, country], data, fmt, file="in.ttl")
    assert [f.row for f in found] == [3, 2, 2, 5]


ROWS = """@prefix ckg: <https://w3id.org/citykg/ontology#> .
<https://w3id.org/citykg/id/city/qom> a ckg:City ;
    <http://www.w3.org/ns/prov#wasDerivedFrom> _:row .
_:row a ckg:SourceRow ;
    ckg:line 1 ; ckg:dataFile [ a ckg:DataFile ] .
"""


def test_a_blank_node_is_found_by_its_label_or_where_it_is_referred_to() -> None:
    data = ROWS.encode()
    names: dict[str, BlankNode] = {}  # renamed, as a build names a submission's blank nodes

    def renamed(term: Any) -> Any:
        return names.setdefault(term.value, BlankNode(f"s1n{len(names)}")) if isinstance(term, BlankNode) else term

    quads = [Quad(renamed(q.subject), q.predicate, renamed(q.object)) for q in parse(data, format=RdfFormat.TURTLE)]
    labels = {f"_:{b.value}": f"_:{label}" for label, b in names.items()}
    row, data_file = sorted(labels)  # _:row, then the data file written [ … ]
    findings = [Finding(Severity.VIOLATION, "m", file="qom.ttl", row=1, focus=row, path="ckg:line"),  # as declared
                Finding(Severity.VIOLATION, "m", file="in.ttl", focus=row),
                Finding(Severity.VIOLATION, "m", file="in.ttl", focus=data_file, path="ckg:path"),
                Finding(Severity.VIOLATION, "m", file="other.ttl", focus="_:s2n0")]
    found = place(findings, quads, data, RdfFormat.TURTLE, file="in.ttl", labels=labels)
    assert [(f.file, f.row, f.focus) for f in found] == [
        ("in.ttl", 5, "_:row"), ("in.ttl", 4, "_:row"), ("in.ttl", 5, None), ("other.ttl", None, "_:s2n0")]
    assert found[3].to_text() == "other.ttl: violation: m (node: _:s2n0)"
