"""Mistakes in a query's shape are named where pyoxigraph only lists what it expected, and a
query that parses is never said to have one."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import Store
from test_sparqltext import TEMPLATES

from citykg.iris import PREFIXES
from citykg.sparqlerrors import explain_syntax_error
from citykg.sparqlhints import shape_fault

QUERIES = Path(__file__).resolve().parent.parent / "queries"
TRIPLE = "(a pattern is a subject, a predicate and an object)"


def explain(query: str) -> str:
    try:
        Store().query(query, prefixes=PREFIXES)
    except SyntaxError as exc:
        return explain_syntax_error(exc, query).removeprefix("The query does not parse: ")
    raise AssertionError(f"{query!r} parses")


@pytest.mark.parametrize(("query", "message"), [
    ("SELECT * WHERE { ?s ?p ?o ?a ?b ?c }",
     f"error at 1:27: ?a would be a fourth part of the triple pattern at 1:18 {TRIPLE}: end that pattern with "
     "' .' first."),
    ('SELECT * WHERE { ?s rdfs:label "x"@en ?s ?p ?o }', "error at 1:39: ?s would be a fourth part of the triple "
     "pattern at 1:18"),
    ("SELECT * WHERE { ?s ?p }", "error at 1:18: the triple pattern that starts here has no object: a pattern is "
     "a subject, a predicate and an object."),
    ("SELECT * WHERE { ?a ?p ?b FILTER NOT EXISTS { ?a ?q } }", "error at 1:47: the triple pattern that starts "
     "here has no object"),
    ("SELECT * WHERE { ?s ?p ?o ; . ?x }", "error at 1:31: the triple pattern that starts here has no predicate "
     "and no object"),
    ("SELECT ?a, ?b WHERE { ?a ?p ?b }",
     "error at 1:10: SELECT lists what it returns with spaces between, not commas: SELECT ?a ?b."),
    ("SELECT ?a COUNT(?b) WHERE { ?a ?p ?b } GROUP BY ?a",
     "error at 1:11: an expression in SELECT goes in parentheses, with a name for its value: (COUNT(…) AS ?n)."),
    ("SELECT * WHERE { ?a ?p ?b FILTER ?b > 3 }",
     "error at 1:27: FILTER takes its condition in parentheses: FILTER(?x > 3)."),
    ("SELECT * WHERE { ?a ?p ?b UNION { ?a ?q ?c } }",
     "error at 1:27: UNION joins two groups, each in braces: { ?s ?p ?o } UNION { ?s ?q ?o }."),
    ("SELECT * WHERE { ?a ?p ?b } LIMIT 5 ORDER BY ?a", "error at 1:37: ORDER BY comes before LIMIT: a query's "
     "modifiers go in the order GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET."),
    ("SELECT ?a ?c (COUNT(*) AS ?n) WHERE { ?a ?p ?c } GROUP BY ?a", "error at 1:11: ?c is selected beside an "
     "aggregate (COUNT) but not grouped: add GROUP BY ?c, or select an aggregate of it, such as (SAMPLE(?c) AS ?c1)."),
    ("SELECT ?s ?p WHERE { ?s ?p ?o } GROUP BY ?s", "error at 1:11: ?p is selected but not grouped: with GROUP BY, "
     "a query selects the variables it groups by and aggregates; add ?p to GROUP BY, or select (SAMPLE(?p) AS ?p1)."),
    ("SELECT * WHERE { ?s ?p ?o }\nLIMT 3", "error at 2:1: LIMT is not one of what may follow a query's pattern: "
     "GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET, VALUES; did you mean LIMIT?"),
    ("ASK { ?s ?p ?o } garbage", "error at 1:18: garbage is not one of what may follow a query's pattern"),
    ("ASK { } ; <http://127.0.0.1:8799/x.nt> <http://x/y>", "error at 1:9: ';' cannot follow a query's pattern: a "
     "query is one statement, with no separator after it; remove it (and send another query on its own)."),
    ("ASK {} LIMIT 'x'", "error at 1:8: LIMIT takes a whole number: LIMIT 10."),
    ("SELECT * {} ORDER", "error at 1:13: ORDER is followed by BY and what to sort or group by: ORDER BY ?x."),
    ("SELECT s WHERE { ?s ?p ?o }", "error at 1:8: s is not a variable: write ?s."),
    ("SELECT (COUNT(?s) ?n) WHERE { ?s ?p ?o }", "error at 1:8: an expression in SELECT names its value with AS: "
     "(COUNT(?s) AS ?n); this one has no AS."),
    ("SELECT * WHERE { ?s ?p ?o FILTR(?s) }", "error at 1:27: FILTR is not a keyword of SPARQL; did you mean FILTER?"),
    ("SELECT * WHERE { ?s ?p ?o OPTIONL { ?s ?q ?r } }", "error at 1:27: OPTIONL is not a keyword of SPARQL; did "
     "you mean OPTIONAL?"),
], ids=["fourth-part", "after-a-literal", "no-object", "in-exists", "subject-alone", "comma", "bare-aggregate",
        "filter", "union", "modifiers", "grouping", "grouping-alone", "misspelt-modifier", "garbage", "separator", "limit", "order-without-by",
        "no-question-mark", "no-as", "misspelt-filter", "misspelt-optional"])
def test_a_mistake_in_the_shape_is_named(query: str, message: str) -> None:
    assert explain(query).startswith(message)


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?a ?p "1"^^xsd:integer, "y"@en ; ?q [ ?r ?s ] ; ?u (1 2) . FILTER(?a) ?a ^rdfs:label/'
    "rdfs:comment ?c OPTIONAL { ?a ?p ?b } ?x ?y ?z ; }",
    "SELECT ?a (COUNT(*) AS ?n) WHERE { VALUES ?x { 1 2 3 4 } { SELECT ?a WHERE { ?a ?p ?b } } BIND(1 AS ?k) "
    "?a !(rdf:type|rdfs:label)+ ?o } GROUP BY ?a ORDER BY ?a LIMIT 1 OFFSET 2",
    "CONSTRUCT { ?s ?p ?o . ?o ?p ?s } WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } MINUS { ?s a ?c } }",
    "SELECT ?x WHERE { { SELECT ?x (MAX(?o) AS ?m) WHERE { ?x ?p ?o FILTER regex(STR(?o), 'a') FILTER NOT EXISTS "
    "{ ?x a ?c } } GROUP BY ?x HAVING (COUNT(*) > 1) ORDER BY DESC(?m) STR(?x) } } ORDER BY ASC(?x) LIMIT 1",
    *(" ".join(template) for template in TEMPLATES),
    *(path.read_text(encoding="utf-8") for path in sorted(QUERIES.glob("*.rq"))),
], ids=lambda q: q.split("\n", 1)[0][:40])
def test_a_query_that_parses_has_no_fault(query: str) -> None:
    Store().query(query.replace("$", "?"), prefixes=PREFIXES)  # it parses (named queries' $params too)
    assert shape_fault(query, len(query), "") is None


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("{}()[]<>.;,?$:\"'^/|!# \naxFILTERUNIONSELCTGOBYM1")), max_size=80),
       at=st.integers(0, 80))
def test_any_text_gets_a_placed_fault_or_none(text: str, at: int) -> None:
    fault = shape_fault(text, at, "The SELECT contains a variable that is unbound")
    assert fault is None or (0 <= fault[0] <= len(text) and fault[1].endswith("."))
