"""Query results as SPARQL JSON, CSV, TSV and tables."""

from __future__ import annotations

import csv
import io
import json

import pytest
from pyoxigraph import Literal, NamedNode

from citykg.formats import TRIPLE_FORMATS, Format, neutralise, render, render_boolean, render_triples
from citykg.queries import Result

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

RESULT = Result(
    ("s", "label", "n", "missing"),
    [(NamedNode("https://w3id.org/citykg/id/city/tabriz"), Literal("تبریز", language="fa"), Literal(22), None),
     (NamedNode("https://w3id.org/citykg/id/city/mashhad"), Literal("=cmd|' /C calc'!A0"), Literal("-3.5"), None)],
)


def test_json_is_the_sparql_results_format() -> None:
    doc = json.loads(render(RESULT, Format.JSON))
    assert doc["head"] == {"vars": ["s", "label", "n", "missing"]}
    first, second = doc["results"]["bindings"]
    assert first == {
        "s": {"type": "uri", "value": "https://w3id.org/citykg/id/city/tabriz"},
        "label": {"type": "literal", "value": "تبریز", "xml:lang": "fa"},
        "n": {"type": "literal", "value": "22", "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
    }
    assert second["label"] == {"type": "literal", "value": "=cmd|' /C calc'!A0"}


def test_csv_neutralises_formulas_but_not_numbers() -> None:
    rows = list(csv.reader(io.StringIO(render(RESULT, Format.CSV))))
    assert rows[0] == ["s", "label", "n", "missing"]
    assert rows[2] == ["https://w3id.org/citykg/id/city/mashhad", "'=cmd|' /C calc'!A0", "-3.5", ""]


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-x", "'-x"), ("@A1", "'@A1"),
    ("\tcmd", "'\tcmd"), ("-12", "-12"), ("+3.5e2", "+3.5e2"), ("Tabriz", "Tabriz"), ("", ""),
])
def test_neutralise(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def test_tsv_uses_ntriples_terms() -> None:
    lines = render(RESULT, Format.TSV).splitlines()
    assert lines[0] == "?s\t?label\t?n\t?missing"
    assert lines[1] == ('<https://w3id.org/citykg/id/city/tabriz>\t"تبریز"@fa\t'
                        '"22"^^<http://www.w3.org/2001/XMLSchema#integer>\t')


def test_table_is_aligned_and_counts_rows() -> None:
    lines = render(RESULT, Format.TABLE).splitlines()
    assert lines[0].split() == ["s", "label", "n", "missing"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[-1] == "(2 rows)"
    assert lines[2].index("تبریز") == lines[0].index("label")


def test_an_ask_answer_is_sparql_json_or_a_word() -> None:
    from pyoxigraph import QueryResultsFormat, parse_query_results

    parsed = parse_query_results(render_boolean(True, Format.JSON).encode(), format=QueryResultsFormat.JSON)
    assert bool(parsed) is True
    assert [render_boolean(False, f) for f in (Format.TABLE, Format.CSV, Format.TSV)] == ["false\n"] * 3


@pytest.mark.parametrize("name", sorted(TRIPLE_FORMATS))
def test_triples_are_written_in_each_rdf_format_and_read_back(name: str) -> None:
    from pyoxigraph import Triple, parse

    triples = [Triple(NamedNode("https://w3id.org/citykg/id/city/tabriz"), NamedNode(RDFS_LABEL),
                      Literal("تبریز", language="fa")),
               Triple(NamedNode("https://w3id.org/citykg/id/city/tabriz"), NamedNode(RDFS_LABEL),
                      Literal("Tabriz", language="en"))]
    text = render_triples(triples, name)
    assert text.endswith("\n")
    assert sorted(map(str, parse(text.encode(), format=TRIPLE_FORMATS[name]))) == sorted(map(str, triples))
    if name == "turtle":
        assert "rdfs:label" in text  # citykg's prefixes
