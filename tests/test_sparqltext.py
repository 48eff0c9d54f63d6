"""What citykg reads in a query's text: here, which queries are lookups the server may answer itself."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyparsing import ParseException
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from citykg.sparqltext import is_lookup

EX = "PREFIX ex: <http://example.org/> "


@pytest.mark.parametrize("query", [
    "SELECT ?label WHERE { <http://example.org/W3> <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
    EX + "SELECT ?o WHERE { ex:a ex:b ?o . } LIMIT 10",
    EX + "select * { ?s a ex:Strategy }",
    EX + "ASK { ex:a ex:b \"x\"@en }",
    EX + "ASK WHERE { ?s ex:count 3 }",
    "BASE <http://example.org/> SELECT ?s ?o { ?s <p> ?o }  # a comment",
    EX + 'SELECT $s { $s ex:code "W3"^^ex:code }',
])
def test_a_single_triple_pattern_is_a_lookup(query: str) -> None:
    assert is_lookup(query)


@pytest.mark.parametrize("query", [
    EX + "SELECT ?o WHERE { ex:a ex:b ?o . ex:a ex:c ?p }",     # two patterns
    EX + "SELECT ?o WHERE { ex:a ex:b ?o ; ex:c ?p }",          # two, with the same subject
    EX + "SELECT ?o WHERE { ex:a ex:b ?o , ?p }",               # two, with the same verb
    EX + "SELECT DISTINCT ?o WHERE { ?s ex:b ?o }",             # reads every row
    EX + "SELECT ?o WHERE { ?s ex:b ?o } ORDER BY ?o",          # reads every row
    EX + "SELECT ?o WHERE { ?s ex:b ?o } OFFSET 100000",        # skips rows it reads
    EX + "SELECT ?o FROM ex:g WHERE { ?s ex:b ?o }",            # a dataset of its own
    EX + "SELECT ?o WHERE { ?s ex:b ?o FILTER (regex(?o, 'x')) }",
    EX + "SELECT ?o WHERE { ?s ex:b/ex:c* ?o }",                # a property path
    EX + "SELECT ?o WHERE { ?s ex:b [ ex:c ?o ] }",             # a blank node with patterns
    EX + "SELECT ?o WHERE { ?s ex:b ?o } VALUES ?s { ex:a }",
    EX + "SELECT (COUNT(*) AS ?n) WHERE { ?s ex:b ?o }",
    EX + "SELECT ?o WHERE { SERVICE <http://127.0.0.1:9/> { ?s ex:b ?o } }",
    EX + "CONSTRUCT WHERE { ?s ex:b ?o }",
    EX + "DESCRIBE ?s WHERE { ?s ex:b ?o }",
    EX + 'SELECT ?o WHERE { ?s ex:b """ } UNION { ?a ?b ?c """ }',
    EX + "SELECT ?o WHERE { ?s ex:b \\u007D UNION { ?a ?b ?o }",   # \u escapes are read first
    EX + "SELECT ?o WHERE { { ?s ex:b ?o } }",
    "SELECT ?o WHERE { ?s ?p ?o }" + " " * 5000,                   # long texts are not read
])
def test_anything_else_is_not_a_lookup(query: str) -> None:
    assert not is_lookup(query)


def _single_pattern(text: str) -> bool:
    """Whether rdflib's parser, independent of citykg's, reads ``text`` as one triple pattern
    with at most a LIMIT (or cannot parse it at all, in which case nothing runs)."""
    try:
        algebra = prepareQuery(text).algebra
    except ParseException:
        return True
    except Exception:  # rdflib fails on some texts pyoxigraph also refuses (undeclared prefixes …)
        return True
    if algebra.name not in ("SelectQuery", "AskQuery") or algebra.get("datasetClause"):
        return False
    part: CompValue = algebra.p
    if part.name == "Slice":
        if part.start:
            return False
        part = part.p
    if part.name == "Project":
        part = part.p
    return bool(part.name == "BGP" and len(part.triples) == 1)


VOCABULARY = ["PREFIX", "ex:", "<http://example.org/>", "BASE", "SELECT", "ASK", "WHERE", "DISTINCT",
              "REDUCED", "*", "?s", "?o", "$x", "ex:a", "<http://example.org/a>", "a", '"x"', '"x"@en',
              '"1"^^ex:t', "1", "2.5", "true", "{", "}", ".", ";", ",", "LIMIT", "OFFSET", "ORDER", "BY",
              "FILTER", "(", ")", "OPTIONAL", "UNION", "MINUS", "FROM", "NAMED", "GRAPH", "VALUES",
              "BIND", "AS", "COUNT", "GROUP", "#", "\n", "/", "|", "^", "+", "?", "[", "]", "_:b", '"""',
              "'''", "'", '"', "\\u007B", "\\", "@en", "^^"]
TEMPLATES = [
    ["PREFIX", "ex:", "<http://example.org/>", "SELECT", "?o", "WHERE", "{", "ex:a", "ex:b", "?o", "}",
     "LIMIT", "5"],
    ["ASK", "{", "?s", "a", "<http://example.org/a>", ".", "}"],
]


@settings(max_examples=400, deadline=None)
@given(template=st.sampled_from(TEMPLATES), glue=st.sampled_from([" ", "", "\n"]),
       edits=st.lists(st.tuples(st.integers(0, 30), st.sampled_from([None, *VOCABULARY])), max_size=4))
def test_whatever_it_calls_a_lookup_is_one_triple_pattern(template: list[str], glue: str,
                                                          edits: list[tuple[int, str | None]]) -> None:
    tokens = list(template)
    for at, token in edits:  # delete (None) or insert tokens anywhere in a lookup
        if token is None:
            del tokens[at % len(tokens)]
        else:
            tokens.insert(at % (len(tokens) + 1), token)
    text = glue.join(tokens)
    if is_lookup(text):
        assert _single_pattern(text), text
