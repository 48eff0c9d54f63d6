"""The habits of SQL, Turtle and programming in a refused query, named with the SPARQL for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Store

from citykg.errors import QuerySyntaxError
from citykg.iris import PREFIXES
from citykg.queries import run_sparql
from citykg.sparqlhabits import habit_fault

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("query", "message"), [
    # SQL
    ('SELECT * WHERE { ?s ckg:code ?c FILTER(?c = "W3" AND ?c != "W4") }', "1:50: SPARQL joins conditions with &&"),
    ('SELECT * WHERE { ?s ckg:code ?c FILTER(?c = "W3" or ?c = "W4") }', "1:50: SPARQL joins conditions with ||"),
    ('SELECT * WHERE { ?s ckg:code ?c FILTER(?c == "W3") }', "1:43: SPARQL compares with a single ="),
    ("SELECT * WHERE { ?s ckg:code ?c FILTER(?c <> 3) }", "1:43: SPARQL writes not equal as !="),
    ('SELECT * WHERE { ?s ckg:code ?c FILTER(NOT CONTAINS(?c, "W")) }', "1:40: SPARQL negates a condition with !"),
    ("SELECT * WHERE { ?s rdfs:label ?l FILTER(?l LIKE '%Tab%') }", "1:45: SPARQL has no LIKE: test text with"),
    ("SELECT * WHERE { OPTIONAL { ?s rdfs:label ?l } FILTER(?l IS NULL) }", "1:58: SPARQL has no IS NULL"),
    ("SELECT TOP 10 ?s WHERE { ?s ?p ?o }", "1:8: SPARQL has no TOP: end the query with LIMIT 10"),
    ("SELECT * FROM cities WHERE name = 'Tabriz'", "1:15: FROM names a graph by its IRI"),
    ("SELECT ?s as ?x WHERE { ?s ?p ?o }", "1:11: SELECT renames in parentheses: SELECT (?s AS ?city)."),
    ("SELECT * WHERE { ?s rdfs:label ?l ; ?p ?o } ORDER BY ?l, ?p", "1:56: ORDER BY lists its keys with spaces"),
    ("SELECT ?s WHERE { ?s ?p ?l } GROUP BY ?s, ?l", "1:41: GROUP BY lists its keys with spaces"),
    ("SELECT * WHERE { ?s rdfs:label ?l } ORDER BY ?l DESC", "1:49: DESC takes its key in parentheses: "
                                                              "ORDER BY DESC(?l)."),
    ("SELECT * WHERE { ?s rdfs:label ?l } ORDER BY DESCENDING(?l)", "1:46: DESCENDING is not a function of "
                                                                    "SPARQL: ORDER BY takes DESC(…)."),
    ("SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s HAVING COUNT(?o) > 2", "1:67: HAVING takes its "
                                                                                        "condition in parentheses"),
    ("SELECT * WHERE { ?s ckg:code ?c FILTER(?c IN 'W3', 'W4') }", "1:43: IN takes its list in parentheses"),
    ("SELECT * WHERE { ?s rdfs:label ?l FILTER(STRCONTAINS(?l, 'x')) }", "1:42: STRCONTAINS is not a function of "
                                                                         "SPARQL; did you mean CONTAINS?"),
    ("SELECT * WHERE { ?s rdfs:label ?l FILTER(?l = Tabriz) }", '1:47: Tabriz is neither a variable nor a value: '
                                                                'write a string in quotes ("Tabriz")'),
    # Turtle
    ("@prefix foaf: <http://xmlns.com/foaf/0.1/> .\nSELECT * WHERE { ?s ?p ?o }", "1:1: SPARQL writes PREFIX "
                                                                                  "without the @"),
    ("PREFIX foaf: <http://xmlns.com/foaf/0.1/> .\nSELECT * WHERE { ?s ?p ?o }", "1:43: a PREFIX or BASE line "
                                                                                 "takes no dot"),
    ("PREFIX foaf <http://xmlns.com/foaf/0.1/>\nSELECT * WHERE { ?s ?p ?o }", "1:8: a prefix's name ends with a "
                                                                              "colon: PREFIX foaf: <…>."),
    ("PREFIX foaf: http://xmlns.com/foaf/0.1/\nSELECT * WHERE { ?s ?p ?o }", "1:14: the namespace goes in angle "
                                                                             "brackets"),
    ("SELECT * WHERE { ?s foaf:name ?n } PREFIX foaf: <http://xmlns.com/foaf/0.1/>", "1:21: the prefix foaf: is "
                                                                                      "declared after this point"),
    ('SELECT * WHERE { ?s rdfs:label "Tabriz"@en_US }', "1:40: a language tag joins its parts with -, not _"),
    ('SELECT * WHERE { ?s ckg:year "2020"^xsd:integer }', '1:36: a datatype follows two carets'),
    ("SELECT * WHERE { ?s ckg:code ?c VALUES ?c { 'W3', 'W4' } }", "1:49: VALUES lists its values with spaces"),
    ("SELECT * WHERE { VALUES ?a ?b { (1 2) } }", "1:18: VALUES puts several variables in parentheses"),
    # programming
    ("SELECT * WHERE { ?s ?p ?o } // all of it", "1:29: SPARQL comments start with # and run to the end of the "
                                                 "line: write # instead of //."),
    ("-- all cities\nSELECT * WHERE { ?s a ckg:City }", "1:1: SPARQL comments start with #"),
    ("```sparql\nSELECT * WHERE { ?s ?p ?o }\n```", "1:1: remove the ``` lines around the query"),
    ("SELECT * WHERE { ?s ckg:population ?p FILTER(?p > 1,000,000) }", "1:51: SPARQL numbers have no thousands "
                                                                       "separators: write 1000000."),
    ("query=SELECT * WHERE { ?s ?p ?o }", "1:1: the text starts with query=, as a web form sends it"),
    ("SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D", "1:1: the query is URL-encoded"),
    ("SELECT ?my-var WHERE { ?s ?p ?o }", "1:8: a variable's name holds letters, digits and _ only: write ?my_var."),
    # misplaced parts
    ("SELECT * WHERE { ?s rdfs:label ?l } FILTER(?l = 'x')", "1:37: FILTER goes inside the braces of WHERE"),
    ("SELECT * WHERE { ?s rdfs:label ?l BIND(UCASE(?l) ?u) }", "BIND names its value with AS"),
    ("SELECT * WHERE { ?s rdfs:label ?l BIND(?u AS UCASE(?l)) }", "1:43: BIND takes the expression first"),
    ("SELECT (GROUP_CONCAT(?l, ', ') AS ?ls) WHERE { ?s rdfs:label ?l }", "1:24: GROUP_CONCAT takes its separator "
                                                                          "after a semicolon"),
    ("SELECT (COUNT(DISTINCT) AS ?n) WHERE { ?s ?p ?o }", "1:15: DISTINCT goes inside an aggregate"),
    ("SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS ?s a ckg:City }", "1:38: EXISTS takes a group in braces"),
    ("SELECT * WHERE { GRAPH { ?s ?p ?o } }", "1:18: GRAPH names the graph before its group"),
    ("SELECT WHERE { ?s ?p ?o }", "1:8: SELECT lists the variables it returns, or * for all"),
    ("SELECT ?s WHRE { ?s ?p ?o }", "1:11: WHRE is not a keyword of SPARQL; did you mean WHERE?"),
    ("SELECT DISTINC ?s WHERE { ?s ?p ?o }", "1:8: DISTINC is not a keyword of SPARQL; did you mean DISTINCT?"),
    ('SELECT * WHERE { ?s rdfs:label ?l FILTER(?l@en = "x") }', "1:44: a language tag goes on a literal, not on "
                                                               "a variable"),
    # the shape of patterns: a ; or , where a . was meant
    ("SELECT * WHERE {\n  ?s a ckg:City ;\n  ?x rdfs:label ?l .\n}", "2:17: after this ; come a predicate and an "
                                                                     "object of the same subject"),
    ("SELECT * WHERE { ?s a ckg:City , }", "1:32: this , announces another object, but none follows"),
])
def test_a_habit_of_another_language_is_named_with_the_sparql_for_it(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        run_sparql(Store(), query)
    assert message in str(caught.value), str(caught.value)
    assert "expected" not in str(caught.value)


VALID = [
    'SELECT ?s WHERE { ?s ckg:code ?c FILTER(?c IN ("W3", "W4") && !CONTAINS(?c, "x") || ?c NOT IN ("S1")) }',
    'SELECT (COUNT(DISTINCT ?s) AS ?n) (GROUP_CONCAT(?c; SEPARATOR=", ") AS ?cs) ?x WHERE { ?s ckg:code ?c ; '
    "ckg:x ?x } GROUP BY ?x HAVING (COUNT(?s) > 2) ORDER BY DESC(?n) ?x ASC(STR(?x)) LIMIT 5 OFFSET 1",
    'SELECT * WHERE { VALUES (?a ?b) { (1 UNDEF) (2 "x") } BIND(IF(BOUND(?a), true, false) AS ?t) '
    "OPTIONAL { ?s ?p ?o } MINUS { ?s a ckg:City } FILTER NOT EXISTS { ?s ?p 3 } FILTER EXISTS { ?s ?p ?o } }",
    'PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nBASE <http://example.org/>\nSELECT ?x WHERE { ?x foaf:name '
    '"a"@en-US , "b"^^xsd:string ; ckg:p 1,2 . ?x ckg:q ?o . FILTER(SUBSTR(?o,1,100) = "x") }',
    "SELECT * WHERE { ?s (ckg:a|ckg:b)/ckg:c* ?o . ?s ^ckg:d ?x . ?s ckg:e? ?y }",
    "SELECT ?s FROM <https://w3id.org/citykg/graph/x> FROM NAMED <https://w3id.org/citykg/graph/y> "
    "WHERE { GRAPH ?g { ?s ?p ?o } }",
    "ASK { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1",
    "DESCRIBE ?s WHERE { ?s ?p ?o }",
    'SELECT ?x WHERE { ?x ?p ?o FILTER(?o > -1 && ?o < 1.5e3 || ?o != "a" && ?o >= 1000) } ORDER BY ASC(?x)',
    "SELECT * { ?s ?p ?o }",
    "select distinct ?s where { ?s a ckg:City } order by ?s",
    "SELECT (?s AS ?city) WHERE { ?s ?p ?o } VALUES ?s { <https://w3id.org/citykg/id/city/tabriz> }",
    "SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 } }",
    'SELECT * WHERE { ?s rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en") && REGEX(?l, "^tab", "i")) } # AND, LIKE',
    "SELECT * WHERE { ?s ?p ?o } # -- a comment // with /* marks",
]


@pytest.mark.parametrize("query", VALID + sorted(p.read_text(encoding="utf-8") for p in (ROOT / "queries").glob("*.rq")))
def test_a_query_that_parses_shows_no_habit(query: str) -> None:
    Store().query(query, prefixes=PREFIXES)  # it parses
    assert habit_fault(query, len(query)) is None
