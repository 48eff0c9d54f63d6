"""What citykg reads in a query's text: keywords as SPARQL tokenizes them, and which queries are lookups."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode, Quad, QueryBoolean, Store
from pyparsing import ParseException
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Variable
from serving import Listener

from citykg import sparqltext, sparqltokens
from citykg.errors import QueryRefused, QuerySyntaxError
from citykg.sparqltext import (
    MAX_DEPTH,
    MAX_OPERATORS,
    MAX_PATTERNS,
    QueryCheck,
    check_query,
    is_lookup,
    noise_spans,
    strip_noise,
)

EX = "PREFIX ex: <http://example.org/> "
ROOT = Path(__file__).resolve().parent.parent


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
    "SELECT ?s WHERE { ?s ?s ?s }",                                # a variable twice: every quad is read
    EX + "SELECT ?p WHERE { ex:a ?p ?p } LIMIT 1",                 # every quad of ex:a, for one row
    EX + "ASK { ?s ex:b $s }",                                     # ?s and $s are one variable
])
def test_anything_else_is_not_a_lookup(query: str) -> None:
    assert not is_lookup(query)


def _single_pattern(text: str) -> bool:
    """Whether rdflib's parser, independent of citykg's, reads ``text`` as one triple pattern
    that names no variable twice, with at most a LIMIT (or cannot parse it at all, in which case
    nothing runs)."""
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
    if part.name != "BGP" or len(part.triples) != 1:
        return False
    variables = [term for term in part.triples[0] if isinstance(term, Variable)]
    return len(set(variables)) == len(variables)


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


# -- keywords are read as SPARQL's grammar tokenizes them: never inside a prefixed name

P = "PREFIX ex: <http://example.org/> "


@pytest.mark.parametrize("name", [
    "ex:copied-from", "ex:a.from", "ex:a\\-from", "ex:a%2Dfrom", "ex:from", "ex:a:from", "ex:FROM-x",
    "ex:web-service", "ex:a.service", "ex:a\\-service", "ex:a%2Dservice", "ex:service", "ex:a:SERVICE",
    "_:b-from", "_:b-service", "?from", "?service", '"x"@en-from', '"x"@en-service', "ex:a\\#\\-from",
])
def test_a_keyword_inside_a_name_is_no_keyword(name: str) -> None:
    query = P + f"SELECT (COUNT(*) AS ?n) {{ ?s ?p ?o OPTIONAL {{ ?s ?p {name} }} }}"
    if name.startswith(("?", "_")):
        query = query.replace("?s ?p " + name, name + " ?p ?o")
    assert check_query(query) == QueryCheck(form="SELECT", has_from=False, volatile=False)
    assert answer_count(query, union=True) == 1  # pyoxigraph reads it as a name too: one row, no FROM


@pytest.mark.parametrize("query", [
    "SELECT * FROM <http://example.org/g> { ?s ?p ?o }",
    "select*from<http://example.org/g>{?s ?p ?o}",
    P + "SELECT * FROM ex:g WHERE { ?s ?p ?o }",
    P + "SELECT * FROMex:g { ?s ?p ?o }",                    # pyoxigraph reads "FROM", then ex:g
    "SELECT * \\u0046ROM <http://example.org/g> { ?s ?p ?o }",
    P + "CONSTRUCT { ?s ex:copied-from ?o } FROM NAMED ex:g WHERE { ?s ?p ?o }",
])
def test_from_is_found_wherever_pyoxigraph_reads_it(query: str) -> None:
    assert check_query(query).has_from


# "fromage:", "age:" and "FROM:" are ex:, so "fromage:none" is a name or FROM age:none, as the grammar says
FROMAGE = P + "PREFIX fromage: <http://example.org/> PREFIX age: <http://example.org/> PREFIX FROM: <http://example.org/> "


@pytest.mark.parametrize(("query", "has_from"), [
    ("DESCRIBE fromage:s", False),
    ("DESCRIBE ex:s fromage:s", False),
    ("DESCRIBE FROM:s", False),
    ("DESCRIBE ex:s FROM ex:none", True),
    ("DESCRIBE fromage:s FROM ex:none", True),
    ("DESCRIBE ex:s FROM ex:none fromage:none", True),
    ("DESCRIBE * fromage:none WHERE { ?s ?p ?o }", True),
    ("CONSTRUCT { ?s ?p fromage:o } WHERE { ?s ?p ?o }", False),
    ("CONSTRUCT { ?s ?p ?o } fromage:none WHERE { ?s ?p ?o }", True),
    ("CONSTRUCT { ?s ?p ?o } fromage:none { ?s ?p ?o }", True),
    ("CONSTRUCT fromage:none WHERE { ?s ?p ?o }", True),
    ("SELECT * fromage:none WHERE { ?s ?p ?o }", True),
    ("SELECT * WHERE { ?s ?p ?o } VALUES ?o { fromage:o }", False),
    ("ASK fromage:none { ?s ?p ?o }", True),
])
def test_from_is_a_dataset_clause_only_where_the_grammar_puts_one(query: str, has_from: bool) -> None:
    checked = check_query(FROMAGE + query)
    assert checked.has_from is has_from
    # Over one quad in a named graph: the union of the graphs answers; an empty graph FROM names does not
    assert answer_size(FROMAGE + query, union=not checked.has_from) == (0 if has_from else 1)


def answer_size(query: str, *, union: bool) -> int:
    """Solutions, triples or truth of ``query`` over one quad in a named graph."""
    result = one_quad().query(query, use_default_graph_as_union=union)
    return int(bool(result)) if isinstance(result, QueryBoolean) else len(list(result))  # type: ignore[arg-type]


@pytest.mark.parametrize("query", [
    "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    P + "SELECT * { SERVICEex:a { ?s ?p ?o } }",               # SERVICE, then ex:a
    "PREFIX : <http://127.0.0.1:9/> SELECT * { SERVICE:a { ?s ?p ?o } }",
    "SELECT * { ?s ?p trueSERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",  # true, then SERVICE
    "SELECT * { ?s ?p 1SERVICE<http://127.0.0.1:9/>{ ?s ?p ?o } }",
    "SELECT * { SERVICESILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "PREFIX myservice: <http://127.0.0.1:9/> SELECT * { ?s ?p myservice:a }",  # too close to call
    # no IRI without a BASE: pyoxigraph reads "<", ?b, ")", SERVICE and a comment
    "SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) FILTER(?a<?b)SERVICE#>\n<http://127.0.0.1:9/>{} }",
])
def test_service_is_refused_wherever_pyoxigraph_may_read_it(query: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE is refused"):
        check_query(query)


def test_a_relative_iri_is_an_iri_only_with_a_base() -> None:
    assert check_query("BASE <http://127.0.0.1:9/> SELECT * { ?s <web-service> ?o }").form == "SELECT"
    with pytest.raises(QueryRefused, match=r"Without a BASE, <web-service> is no IRI"):
        check_query("SELECT * { ?s <web-service> ?o }")


def answer_count(query: str, *, union: bool) -> int:
    """Rows of ``query`` over one quad in a named graph: 1 if it reads the union of the graphs."""
    result = one_quad().query(query, use_default_graph_as_union=union)
    return int(next(iter(result))[0].value)  # type: ignore[index, union-attr, arg-type]


def one_quad() -> Store:
    """A store of one quad: ex:s ex:p ex:o in the graph ex:g."""
    store = Store()
    store.add(Quad(NamedNode("http://example.org/s"), NamedNode("http://example.org/p"),
                   NamedNode("http://example.org/o"), NamedNode("http://example.org/g")))
    return store


# Pieces of names with keywords in every place the grammar allows (not "\\#": two make a bad IRI,
# which pyoxigraph tells from a bad name only by where it gives up), and ways to call a SERVICE
KEYWORDISH = ["from", "FROM", "service", "SERVICE", "-", ".", "..", "\\-", "%2D", ":", "_", "1", "a", "\\~", "·", "%"]
SERVICE_OR_NOT = ["", "SERVICE <{url}> {{ }}", "SERVICE SILENT <{url}> {{ }}", "SERVICEex:a {{ }}",
                  "trueSERVICE <{url}> {{ }}", "{{ }} SERVICE ?x {{ }}", "OPTIONAL {{ ?s ex:web-service ?o }}",
                  "?s ?p ex:a.b.SERVICE <{url}> {{ }}"]  # pyoxigraph ends a name at its second run of dots


def local_name(pieces: list[str]) -> str:
    """A local name from pieces, most of them valid: no "-", "." or "·" first, no "." last."""
    return "".join(pieces).lstrip("-.·").rstrip(".") or "x"


@settings(max_examples=500, deadline=None)
@given(local=st.lists(st.sampled_from(KEYWORDISH), min_size=1, max_size=6))
def test_names_end_where_pyoxigraph_ends_them(local: list[str]) -> None:
    name = "ex:" + local_name(local)
    try:
        Store().query(f"PREFIX ex: <http://example.org/> SELECT * {{ ?s ?p {name} }}")
        parses = True
    except SyntaxError:
        parses = False
    token = sparqltokens.token_pattern().match(name)
    assert (token is not None and token.lastgroup == "pname" and token.group() == name) is parses, name


@pytest.fixture(scope="module")
def sink() -> Iterator[Listener]:
    """A TCP listener the queries' SERVICE calls would reach."""
    from serving import listener

    running = listener()
    yield running
    running.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(local=st.lists(st.sampled_from(KEYWORDISH), min_size=1, max_size=6), where=st.sampled_from(["s", "p", "o"]),
       dataset=st.sampled_from(["", "FROM <http://example.org/none>", "FROMex:none", "FROM ex:none"]),
       call=st.sampled_from(SERVICE_OR_NOT))
def test_check_query_reads_from_and_service_as_pyoxigraph_does(sink: Listener, local: list[str], where: str,
                                                                  dataset: str, call: str) -> None:
    name = "ex:" + local_name(local)
    pattern = {"s": f"{name} ?p ?o", "p": f"?s {name} ?o", "o": f"?s ?p {name}"}[where]
    query = (f"PREFIX ex: <http://example.org/> SELECT (COUNT(*) AS ?n) {dataset} "
             f"WHERE {{ {{ ?s ?p ?o }} UNION {{ OPTIONAL {{ {pattern} }} }} {call.format(url=sink.url)} }}")
    before = len(sink.received)
    try:
        checked = check_query(query)
    except QueryRefused:
        return  # nothing runs
    try:
        count = answer_count(query, union=not checked.has_from)
    except SyntaxError:
        return  # nothing runs
    except OSError:  # a SERVICE call that failed
        count = -1
    # What check_query let through makes no call, and reads the dataset it found: the union of
    # the graphs (two rows), or the empty graph FROM names (one, from the OPTIONAL)
    assert len(sink.received) == before and count == (1 if dataset else 2), query
    assert checked.has_from is bool(dataset), query


# -- nesting: refused past MAX_DEPTH, which real queries never come near and pyoxigraph survives

NESTINGS = {  # each nests n levels deep
    "groups": lambda n: "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n,
    "parentheses": lambda n: "SELECT * WHERE { FILTER(" + "(" * (n - 2) + "1" + ")" * (n - 2) + ") }",
    "brackets": lambda n: "SELECT * WHERE { ?s ?p " + "[ ?p " * (n - 1) + "?o" + " ]" * (n - 1) + " }",
    "calls": lambda n: "SELECT * WHERE { BIND(" + "STR(" * (n - 2) + "'a'" + ")" * (n - 2) + " AS ?x) }",
    "exists": lambda n: ("SELECT * WHERE { FILTER(" + "EXISTS { FILTER(" * ((n - 2) // 2) + "true"
                         + ") }" * ((n - 2) // 2) + ") }"),
    "negations": lambda n: "SELECT * WHERE { FILTER(" + "!" * (n - 2) + "true) }",
    "signs": lambda n: "SELECT * WHERE { BIND(" + "- (" * (n - 2) + "1" + ")" * (n - 2) + " AS ?x) }",
}


@pytest.mark.parametrize("kind", sorted(NESTINGS))
def test_a_query_nested_past_the_limit_is_refused_before_it_runs(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparqltext, "MAX_PATTERNS", 10 * MAX_DEPTH)  # 127 nested [ … ] are as many triple patterns
    deepest = NESTINGS[kind](MAX_DEPTH)
    check_query(deepest)
    if kind != "brackets":  # which pyoxigraph takes seconds to parse so deep
        Store().query(deepest)  # deep, and well within what pyoxigraph takes
    with pytest.raises(QuerySyntaxError, match=rf"^The query nests \d+ levels deep \(at 1:\d+\); citykg accepts at "
                                                rf"most {MAX_DEPTH}\. "):
        check_query(NESTINGS[kind](MAX_DEPTH + 2))


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { FILTER(?a != ?b) }",                          # != is no negation
    'SELECT * WHERE { ?s ?p "((((((((((((" } # ((((((((((((',   # nor brackets in strings, comments
    "PREFIX ex: <http://x/> SELECT * { ?s ex:a----------b ?o }",  # nor hyphens in names
    "SELECT * WHERE { ?s ?p 1e-10 }",
])
def test_what_is_no_nesting_does_not_count(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparqltext, "MAX_DEPTH", 2)
    check_query(query)


def test_the_named_queries_nest_far_less_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparqltext, "MAX_DEPTH", MAX_DEPTH // 10)
    for path in sorted((ROOT / "queries").glob("*.rq")):
        check_query(path.read_text(encoding="utf-8"))


def test_pyoxigraph_survives_four_times_the_limit_of_its_costliest_nestings() -> None:
    # The limit keeps a margin: on an 8 MiB stack, pyoxigraph 0.5.13 crashes at about 910 nested
    # calls and 1,400 levels of EXISTS { FILTER( … ) }; a release that needs more stack fails here.
    script = ("import sys; from pyoxigraph import Store\n"
              "for query in sys.stdin.read().split('\\0'):\n    list(Store().query(query))\n")
    queries = "\0".join(NESTINGS[kind](4 * MAX_DEPTH) for kind in ("calls", "exists", "groups"))
    done = subprocess.run([sys.executable, "-c", script], input=queries, text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


# -- chains: refused past MAX_OPERATORS, well before pyoxigraph's stack overflows (at 2,600 and more)

CHAINS = {  # each chains n operators
    "minus": lambda n: "SELECT * { ?s ?p ?o" + " MINUS { ?s <http://x/q> ?o }" * n + " }",
    "optional": lambda n: "SELECT * { ?s ?p ?o" + " OPTIONAL { ?s <http://x/q> ?o }" * n + " }",
    "bind": lambda n: "SELECT * {" + "".join(f" BIND(1 AS ?v{i})" for i in range(n // 2)) + " }",
    "select": lambda n: "SELECT" + "".join(f" (1 AS ?v{i})" for i in range(n)) + " { }",
    "union": lambda n: "SELECT * { " + " UNION ".join(["{ ?s ?p ?o }"] * (n + 1)) + " }",
    "filters": lambda n: "SELECT * { ?s ?p ?o" + " FILTER(?o != 1)" * n + " }",
    "sum": lambda n: "SELECT * { BIND(" + " + ".join(["1"] * (n - 1)) + " AS ?x) }",
    "or": lambda n: "SELECT * { ?s ?p ?o FILTER(" + " || ".join(["?o = 1"] * n) + ") }",
    "alternatives": lambda n: "SELECT * { ?s " + "|".join(["<http://x/p>"] * (n + 1)) + " ?o }",
    "sequence": lambda n: "SELECT * { ?s " + "/".join(["<http://x/p>"] * (n + 1)) + " ?o }",
}


@pytest.mark.parametrize("kind", sorted(CHAINS))
def test_a_query_chaining_past_the_limit_is_refused_before_it_runs(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # 999 OPTIONALs, or a path of 1,000 steps, are also past MAX_PATTERNS (test_every_join_counts_toward_the_pattern_limit)
    monkeypatch.setattr(sparqltext, "MAX_PATTERNS", 10 * MAX_OPERATORS)
    longest = CHAINS[kind](MAX_OPERATORS - 1)
    check_query(longest)
    if kind not in ("optional", "sequence"):  # which take pyoxigraph long to plan, not to overflow
        one_quad().query(longest)  # pyoxigraph takes it in this process: it would die here if not
    with pytest.raises(QuerySyntaxError, match=rf"^The query chains \d,\d+ operators \(past the limit at 1:\d+\); "
                       rf"citykg accepts at most {MAX_OPERATORS:,}\. .* VALUES"):
        check_query(CHAINS[kind](2700))  # which pyoxigraph would take for a crash


# -- triple patterns: refused past MAX_PATTERNS, since planning their joins takes pyoxigraph
#    seconds past a hundred or so, and 10,000 crash it

PATTERNS = {  # each holds n triple patterns
    "flat": lambda n: "SELECT * { " + " ".join(f"?s{i} <http://x/p> ?o{i} ." for i in range(n)) + " }",
    "star": lambda n: "SELECT * { ?s <http://x/p> ?o" + "".join(f" ; <http://x/p{i}> ?o{i}" for i in range(n - 1))
                      + " }",
    "objects": lambda n: "SELECT * { ?s <http://x/p> " + ", ".join(f"?o{i}" for i in range(n)) + " }",
    "template": lambda n: "CONSTRUCT { " + " ".join(f"?s <http://x/p{i}> ?o ." for i in range(n)) + " } { ?s ?p ?o }",
}


@pytest.mark.parametrize("kind", sorted(PATTERNS))
def test_a_query_with_too_many_triple_patterns_is_refused_before_it_runs(kind: str) -> None:
    check_query(PATTERNS[kind](MAX_PATTERNS))
    with pytest.raises(QuerySyntaxError, match=rf"^The query holds more than {MAX_PATTERNS} triple patterns "
                                               r"\(past the limit at 1:\d+\);"):
        check_query(PATTERNS[kind](10_000))


def test_lists_in_values_and_in_are_no_triple_patterns() -> None:
    numbers = ", ".join(map(str, range(5000)))
    check_query(f"SELECT * {{ ?s ?p ?o FILTER(?o IN ({numbers})) VALUES ?x {{ {numbers.replace(',', '')} }} }}")
    check_query("SELECT * { ?s ?p ?o BIND(CONCAT(" + ", ".join(["'a'"] * 5000) + ") AS ?c) }")


# Joins: each group a group joins, each OPTIONAL, GRAPH, VALUES block or subquery, each step of a
# path and each item of a collection adds to what pyoxigraph plans, as a triple pattern does: 200
# groups { ?s <p> ?o } side by side take it 7 s to plan, 400 OPTIONALs 6 s, and 12,000 groups crash it

JOINS = {  # each joins n patterns, or more, which the count of . ; , alone does not see
    "groups": lambda n: "SELECT * WHERE { " + "{ ?s <http://x/p> ?o } " * n + "}",
    "optional": lambda n: "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s <http://x/p> ?o } " * n + "}",
    "graph": lambda n: "SELECT * WHERE { " + "GRAPH ?g { ?s <http://x/p> ?o } " * n + "}",
    "values": lambda n: "SELECT * WHERE { ?s ?p ?o " + "VALUES ?o { 1 } " * n + "}",
    "subqueries": lambda n: "SELECT * WHERE { " + "{ SELECT * { ?s <http://x/p> ?o } } " * n + "}",
    "nested groups": lambda n: "SELECT * WHERE { " + "{ ?s <http://x/p> ?o { ?s <http://x/q> ?o } } " * n + "}",
    "collection": lambda n: "SELECT * WHERE { ?s ?p (" + " ?o" * n + " ) }",
    "sequence": lambda n: "SELECT * WHERE { ?s " + "/".join(["<http://x/p>"] * (n + 1)) + " ?o }",
    "blank nodes": lambda n: "SELECT * WHERE { " + "?s ?p [ <http://x/p> ?o ] , [] ." * n + " }",
    "integer objects": lambda n: "SELECT * WHERE { " + "?s <http://x/p> 1. " * n + "}",  # 1, then .
    "decimal subjects": lambda n: "SELECT * WHERE { ?s ?p ?o " + ".5 ?p ?o " * n + "}",  # ., then 5
}


@pytest.mark.parametrize("kind", sorted(JOINS))
def test_every_join_counts_toward_the_pattern_limit(kind: str) -> None:
    check_query(JOINS[kind](MAX_PATTERNS // 4))
    with pytest.raises(QuerySyntaxError, match=rf"^The query holds more than {MAX_PATTERNS} triple patterns "
                                               r"\(past the limit at 1:\d+\); .* each group it joins"):
        check_query(JOINS[kind](900))  # which hold a worker for its timeout (12,000 groups crash it)


@pytest.mark.parametrize("query", [
    CHAINS["union"](MAX_OPERATORS - 1),  # pyoxigraph plans a UNION, a MINUS or an EXISTS by itself: no join
    CHAINS["minus"](MAX_OPERATORS - 1),
    "SELECT * WHERE { ?s ?p ?o" + " FILTER NOT EXISTS { ?s <http://x/q> ?o }" * 500 + " }",
    "SELECT * WHERE { ?s ?p ?o VALUES (?s ?o) {" + " (<http://x/a> 1)" * 5000 + " } }",  # one block: one join
    "SELECT * WHERE { ?s ?p ?o FILTER(?o IN (" + ", ".join(["<http://x/a>"] * 5000) + ")) }",
    "SELECT * WHERE { ?s (" + "|".join(["<http://x/p>"] * 500) + ") ?o }",  # alternatives, not a collection
    NESTINGS["groups"](MAX_DEPTH),  # a group in a group in a group…: one join each
])
def test_what_pyoxigraph_does_not_join_is_no_pattern(query: str) -> None:
    check_query(query)


def test_the_named_queries_hold_far_fewer_patterns_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparqltext, "MAX_PATTERNS", 60)  # partner-discrepancies.rq holds 54
    for path in sorted((ROOT / "queries").glob("*.rq")):
        check_query(path.read_text(encoding="utf-8"))


# -- strings, IRIs and comments are those pyoxigraph reads, and no more: what citykg hides from the
#    check, it hides because pyoxigraph does

@pytest.mark.parametrize("query", [
    # a quote escaped in a prefixed name (PN_LOCAL_ESC) opens no string
    "PREFIX ex: <http://e/> SELECT * WHERE { VALUES ?q { ex:a\\' } SERVICE <http://127.0.0.1:9/s> {?x ?y ?z} "
    "VALUES ?r { 'x' } }",
    # "<" after an operand in an expression means less than, with a BASE as without
    "BASE <http://x/> SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) FILTER(?a<?b)SERVICE#>\n<http://127.0.0.1:9/>{} }",
    # a long string holds escaped quotes
    "SELECT * WHERE { BIND('''a\\''' ''' AS ?x) SERVICE <http://127.0.0.1:9/> {} BIND('''x''' AS ?y) }",
    # pyoxigraph reads \u0027 in a string as a character of it, not as the string's end
    "SELECT * WHERE { BIND('a\\u0027' AS ?x) SERVICE <http://127.0.0.1:9/> {} BIND(' ' AS ?y) }",
    # a triple term holds terms, not comparisons
    "SELECT * WHERE { ?s ?p ?o FILTER(?o != <<( ?s <http://e/p#x> ?o )>>) SERVICE <http://127.0.0.1:9/> {} }",
])
def test_a_service_no_string_iri_or_comment_hides_is_refused(query: str) -> None:
    with pytest.raises(OSError, match="port 9"):  # pyoxigraph calls the SERVICE (refused at once: port 9)
        list(one_quad().query(query, use_default_graph_as_union=True))  # type: ignore[arg-type]
    with pytest.raises(QueryRefused, match="SERVICE is refused"):
        check_query(query)


def test_a_quote_in_a_prefixed_name_hides_no_nesting() -> None:
    query = "PREFIX ex: <http://e/> SELECT * WHERE { VALUES ?q { ex:a\\' } " + "{" * 20_000 + "}" * 20_000 + " }"
    with pytest.raises(QuerySyntaxError, match=r"^The query nests 20001 levels deep"):
        check_query(query + " VALUES ?r { 'x' }")


@pytest.mark.parametrize(("query", "noise"), [
    ("PREFIX ex: <http://e/> SELECT * { ?s ?p ex:a\\' } # it's", ["<http://e/>", "# it's"]),
    ("SELECT * { ?s ?p ?o FILTER(?o<?p) } # <x>", ["# <x>"]),
    ("SELECT * { ?s ?p ?o FILTER(?o <<http://e/x>) }", ["<http://e/x>"]),
    ("SELECT * { ?s ?p ?o FILTER(STR(?o)<'a'@en) }", ["'a'"]),
    ("SELECT * { ?s ?p ?o FILTER(EXISTS { ?s <http://e/#p> ?o } < true) }", ["<http://e/#p>"]),
    ("SELECT * { ?s ?p (?o <http://e/#p>) }", ["<http://e/#p>"]),  # a collection holds terms
    ("SELECT * { VALUES (?a ?b) { (1 <http://e/#p>) } }", ["<http://e/#p>"]),
    ("SELECT * { ?s ?p <http://e/\\u0061'#> }", ["<http://e/\\u0061'#>"]),
    ("SELECT * { ?s ?p '''a\\''' ''' }", ["'''a\\''' '''"]),
    ("SELECT * { ?s ?p '''a'''' }", ["'''a'''"]),  # a fourth quote opens no string: it is never closed
    ("SELECT * { ?s ?p 'it\\'s' , \"#\" }", ["'it\\'s'", '"#"']),
    ("SELECT * { ?s ?p 'no end }\n# x", ["# x"]),  # no string: pyoxigraph fails at its quote
    ("SELECT * { ?s ?p ?o } \\' 'x'", ["'x'"]),  # nor past a backslash outside a name
])
def test_noise_is_what_pyoxigraph_reads_as_strings_iris_and_comments(query: str, noise: list[str]) -> None:
    assert [query[start:end] for start, end in noise_spans(query)] == noise


# Valid queries built of strings, IRIs and comments that hold quotes, # and < (the noise, whose place
# the builder knows), prefixed names with escapes, comparisons with and without spaces

PIECES = ["'", '"', "\\'", '\\"', "#", "<", ">", "}", "{", "SERVICE", "\\u0027", "\\\\", "(", " ", "\\n", "a"]
IRI_PIECES = ["a", "'", "(", ")", "\\u0061", "/", "!", "$", "&", "*", "+", ",", ";", "=", "~", "%20", "?", "#"]
NAMES = ["ex:a\\'", "ex:a\\#", "ex:a\\(", "ex:b", "ex:a\\;", "ex:a.b", "ex:web-service", "?o", "?x", "1", "1.5", "true"]
Built = list[tuple[str, bool]]  # (text, whether it is noise)


@st.composite
def noise(draw: st.DrawFn, kind: str) -> Built:
    if kind == "iri":
        body = "".join(draw(st.lists(st.sampled_from(IRI_PIECES), max_size=4)))
        return [("<http://e/" + body[:body.find("#") + 1] + body[body.find("#") + 1:].replace("#", "") + ">", True)]
    if kind == "comment":
        return [("#" + "".join(draw(st.lists(st.sampled_from(PIECES), max_size=3))).replace("\\n", ""), True),
                (draw(st.sampled_from(["\n", "\r"])), False)]
    quote = draw(st.sampled_from(["'", '"', "'''", '"""']))
    body = "".join(draw(st.lists(st.sampled_from([p for p in PIECES + [quote[0], "\n"] * (len(quote) // 3)
                                                   if len(quote) == 3 or p != quote]), max_size=5)))
    while quote[0] * 3 in body or body.endswith(quote[0]):
        body = body.replace(quote[0] * 3, quote[0] * 2) + "x" * body.endswith(quote[0])
    return [(quote + body + quote, True)]


@st.composite
def terms(draw: st.DrawFn) -> Built:
    kind = draw(st.sampled_from(["name", "iri", "string"]))
    return [(draw(st.sampled_from(NAMES)), False)] if kind == "name" else draw(noise(kind))


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> Built:
    kind = draw(st.sampled_from(["term", "compare", "call", "exists", "triple"] if depth < 2 else ["term"]))
    if kind == "term":
        return draw(terms())
    if kind == "compare":
        glue = [(draw(st.sampled_from(["", " ", "\n"])), False)]
        return [*draw(expressions(depth + 1)), *glue, (draw(st.sampled_from(["<", "<=", ">", "!=", "+"])), False),
                *glue, *draw(expressions(depth + 1))]
    if kind == "call":
        return [(draw(st.sampled_from(["STR(", "ex:f(", "("])), False), *draw(expressions(depth + 1)), (")", False)]
    if kind == "exists":
        return [("EXISTS { ?s ?p ", False), *draw(terms()), (" }", False)]
    return [("<<( ?s ", False), *draw(noise("iri")), (" ", False), *draw(terms()), (" )>>", False)]


@st.composite
def groups(draw: st.DrawFn) -> Built:
    built: Built = []
    for kind in draw(st.lists(st.sampled_from(["triple", "filter", "bind", "values", "list", "comment", "call"]),
                              min_size=1, max_size=4)):
        if kind == "triple":
            built += [("?s ex:p ", False), *draw(terms()), (" .", False)]
        elif kind in ("filter", "bind"):
            built += [(f"{kind.upper()}(", False), *draw(expressions())]
            built += [(f" AS ?v{len(built)})" if kind == "bind" else ")", False)]
        elif kind == "values":
            built += [("VALUES (?a ?b) { (", False), *draw(terms()), (" ", False), *draw(terms()), (") }", False)]
        elif kind == "list":
            built += [("?s ex:p (", False), *draw(terms()), (" ", False), *draw(terms()), (") .", False)]
        elif kind == "call":
            built += [("FILTER ", False), *draw(noise("iri")), ("(", False), *draw(expressions()), (")", False)]
        else:
            built += draw(noise("comment"))
        built.append((draw(st.sampled_from([" ", "\n", ""])), False))
    return built


@settings(max_examples=400, deadline=None)
@given(based=st.booleans(), body=groups(), call=st.booleans())
def test_noise_is_what_pyoxigraph_reads_in_any_query(based: bool, body: Built, call: bool) -> None:
    built = [("BASE " if based else "", False), ("<http://e/>" if based else "", based), (" PREFIX ex: ", False),
             ("<http://e/>", True), (" SELECT * WHERE { ", False), *body, (" SERVICE " if call else "", False),
             ("<http://127.0.0.1:9/>" if call else "", call), (" { } }", False)]
    text, spans, at = "", [], 0
    for piece, is_noise in built:
        spans += [(at, at + len(piece))] if is_noise else []
        text, at = text + piece, at + len(piece)
    try:
        Store().query(text)
    except SyntaxError:
        return  # nothing runs
    except RuntimeError:  # ex:f is no function pyoxigraph has; the text parses
        pass
    assert noise_spans(text) == spans, text
    if call:
        with pytest.raises(QueryRefused):
            check_query(text)


# -- the check reads any text in time linear in its length: a request body may hold 1 MiB

MEBIBYTE = 1 << 20
HEAD = "SELECT * WHERE { ?s ?p ?o } "
ADVERSARIAL: dict[str, Callable[[int], str]] = {  # each fills n characters
    "escaped quotes": lambda n: HEAD + "\\'" * (n // 2),  # 200 KiB took 127 s, 1 MiB hours
    "escaped double quotes": lambda n: HEAD + '\\"' * (n // 2),
    "a long string never closed": lambda n: HEAD + "'''" + "\\''" * (n // 3),
    "long strings never closed": lambda n: HEAD + '"""a' * (n // 4),
    "quotes and backslashes on many lines": lambda n: HEAD + "'a\\\n\"b\\\n" * (n // 8),
    "< with no >": lambda n: HEAD + "<" * n,
    "<a in an expression": lambda n: "SELECT * WHERE { FILTER(?a" + "<a" * (n // 2) + ") }",
    "#": lambda n: HEAD + "#" * n,
    "quotes in names": lambda n: "PREFIX ex: <http://e/> SELECT * WHERE { VALUES ?q { " + "ex:a\\' " * (n // 7) + "} }",
    "parentheses": lambda n: "SELECT * WHERE { FILTER(" + "(" * n + ") }",
    "names with dots": lambda n: "SELECT * WHERE { " + "a." * (n // 2) + " }",
    "digits": lambda n: "SELECT * WHERE { ?s ?p " + "1" * n + " }",
}


@pytest.mark.parametrize("kind", sorted(ADVERSARIAL))
def test_the_check_reads_a_mebibyte_of_anything_in_linear_time(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = ADVERSARIAL[kind](MEBIBYTE)
    scanned = [0]  # characters read past the opening of a string, an IRI or a comment

    class Counted:
        def __init__(self, pattern: re.Pattern[str]) -> None:
            self.pattern = pattern

        def match(self, text: str, at: int) -> re.Match[str] | None:
            found = self.pattern.match(text, at)
            scanned[0] += found.end() - at if found else 0
            return found

    monkeypatch.setattr(sparqltokens, "_ENDS", {opener: Counted(p) for opener, p in sparqltokens._ENDS.items()})
    started = time.process_time()  # this process's: other work on the machine does not count
    with contextlib.suppress(QueryRefused, QuerySyntaxError):
        check_query(text)
    assert scanned[0] <= 2 * len(text)  # each character read once or twice, whatever follows it
    assert time.process_time() - started < 10  # a second or two; hours before
    assert len(strip_noise(text)) == len(text)
