from __future__ import annotations

import pytest
from pyoxigraph import Store

from citykg.sparqlrules import rule_fault

REBOUND = ("SPARQL binds a variable once in a group; bind a new name, such as ?x2, or BIND before ?x is "
           "bound.")
SHORT = ("the short form CONSTRUCT WHERE {{ … }} holds triple patterns only, and this is {}: write the long form, "
         "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ … }}, with the triples to return in the first braces.")


def _refused_at(query: str) -> int:
    """Where pyoxigraph stops reading the query (it must refuse it)."""
    try:
        Store().query(query)
    except SyntaxError as exc:
        line, column = (int(n) for n in str(exc).split("error at ", 1)[1].split(":")[:2])
        return sum(len(row) + 1 for row in query.split("\n")[:line - 1]) + column - 1
    raise AssertionError(f"pyoxigraph takes {query!r}")


@pytest.mark.parametrize(("query", "at", "message"), [
    ("SELECT * WHERE { VALUES ?x { 1 } BIND(BNODE() AS ?x) }", 33,
     f"BIND(… AS ?x) binds ?x, which its group binds before it, at 1:25: {REBOUND}"),
    ("SELECT * WHERE { ?s ?p ?x BIND(NOW() AS ?x) }", 26,
     f"BIND(… AS ?x) binds ?x, which its group binds before it, at 1:24: {REBOUND}"),
    ("SELECT * WHERE {\n  OPTIONAL { ?s ?p ?x }\n  BIND(1 AS ?y) BIND(2 AS ?x) }", 57,
     f"BIND(… AS ?x) binds ?x, which its group binds before it, at 2:20: {REBOUND}"),
    ("SELECT * WHERE { BIND(1 AS ?x) BIND(2 AS ?x) }", 31,
     f"BIND(… AS ?x) binds ?x, which its group binds before it, at 1:28: {REBOUND}"),
    ("SELECT ?x (1 AS ?x) WHERE {}", 16,
     "SELECT names ?x twice (first at 1:8): each column has one name; rename one, such as (… AS ?x2), or drop it."),
    ("CONSTRUCT WHERE { ?s ?p ?o FILTER(true) }", 27, SHORT.format("FILTER")),
    ("CONSTRUCT WHERE { ?s ?p ?o . { ?a ?b ?c } }", 29, SHORT.format("a nested group")),
])
def test_a_broken_rule_is_named_where_the_query_breaks_it(query: str, at: int, message: str) -> None:
    assert rule_fault(query, _refused_at(query)) == (at, message)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { FILTER NOT EXISTS { ?s ?p ?x } BIND(1 AS ?x) }",  # EXISTS binds nothing
    "SELECT * WHERE { MINUS { ?s ?p ?x } BIND(1 AS ?x) }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?x = 1) BIND(1 AS ?x) }",  # nor does a FILTER
    "SELECT * WHERE { { ?s ?p ?x } UNION { BIND(1 AS ?x) } }",  # another group
    "SELECT ?x WHERE { BIND(1 AS ?x) } ORDER BY ?x",
    "SELECT (1 AS ?x) (2 AS ?y) WHERE {}",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(true) }",
])
def test_a_query_that_keeps_the_rules_has_no_fault(query: str) -> None:
    Store().query(query)  # it parses
    assert rule_fault(query, len(query)) is None


def test_a_query_refused_before_its_end_is_left_to_the_grammar() -> None:
    query = "SELECT * WHERE { ?s ?p ?x BIND(1 AS ?x) FILTR(?x) . ?a ?b ?c }"
    assert rule_fault(query, _refused_at(query)) is None
