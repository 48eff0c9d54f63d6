"""Syntax errors: what is wrong, in words, at the line and column pyoxigraph gives."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import Store
from test_sparqltext import TEMPLATES, VOCABULARY

from citykg.iris import PREFIXES
from citykg.sparqlerrors import explain_syntax_error


def explain(query: str) -> str:
    try:
        Store().query(query, prefixes=PREFIXES if any(f"{p}:" in query for p in PREFIXES) else None)
    except SyntaxError as exc:
        return explain_syntax_error(exc, query)
    raise AssertionError(f"{query!r} parses")


@pytest.mark.parametrize(("query", "words"), [
    ("PREFIX ex: <http://x/> SELECT * { ?s ex:a ?o .\n  ?s foo:bar ?o }",
     ["error at 2:6: the prefix foo: is not declared: add PREFIX foo: <…>", "rdfs:", "xsd:"]),
    ("SELECT * WHERE { ?s rfds:label ?o }", ["error at 1:21: the prefix rfds:", "Did you mean rdfs:?"]),
    ("SELECT * WHERE { ?s rdfs:label ?o FILTER(foaf:f(?o)) }", ["error at 1:42: the prefix foaf:"]),
    ("SELEC * WHERE { ?s ?p ?o }", ["error at 1:1: SELEC is not a query form: expected SELECT, CONSTRUCT, ASK "
                                    "or DESCRIBE", "did you mean SELECT?"]),
    ("SELECT * { ?s ?p ?o } LIMIT 99999999999999999999", ["LIMIT is past the largest one pyoxigraph takes, "
                                                          "18446744073709551615: give a smaller LIMIT or none"]),
    ("SELECT * { ?s ?p ?o } OFFSET 18446744073709551616", ["OFFSET is past the largest one", "a smaller OFFSET."]),
    ("ASK {}%", ["error at 1:7: a '%' stands here, which SPARQL has only in the escapes of a prefixed name "
                 "(ex:a%20b): remove it."]),
    ("ASK { ?s ?p %3Fo }", ["error at 1:13: '%3F' is a URL-encoded character ('?'), which SPARQL does not decode"]),
    ("PREFIX ex: <http://x/>\nselct ?s { ?s ?p ?o }", ["error at 2:1: selct is not a query form", "SELECT?"]),
    ("{ ?s ?p ?o }", ["error at 1:1: '{' is not a query form"]),
    ("SELECT * WHERE { <rel> ?p ?o }", ["error at 1:18: the IRI <rel> is relative, and the query has no BASE"]),
    ("SELECT * FROM <g> WHERE { ?s ?p ?o }", ["error at 1:15: the IRI <g> is relative"]),
    ("BASE <rel/> SELECT * WHERE { ?s <p> ?o }", ["error at 1:6: BASE <rel/> is not a full IRI"]),
    ("SELECT * WHERE { ?s ?p <http://x/a b> }", ["error at 1:24: the IRI that starts here is broken"]),
    ('SELECT * WHERE {\n  ?s ?p "x }', ['error at 2:9: the string that starts here is not closed: end it with "']),
    ("SELECT * WHERE { ?s ?p ?o }}", ["error at 1:28: this } closes nothing"]),
    ('SELECT * WHERE { ?s ?p ?o FILTER(?o = "a" }', ["error at 1:43: this } closes the ( at 1:33"]),
    ("SELECT * WHERE { ?s ?p ?o ", ["error at 1:27: the query ends inside the { at 1:16: close it with }."]),
    ("SELECT ?x ?x WHERE { ?x ?p ?o }", ["error at 1:11: SELECT names ?x twice (first at 1:8)"]),
    ('SELECT ("\\uD83D" AS ?x) WHERE {}', ["error at 1:10: \\uD83D is half of a character (a UTF-16 surrogate)"]),
    ('SELECT * WHERE {\n  ?s ?p "caf\\u00e" }', ["error at 2:13: \\u00e is no escape: \\u takes four hexadecimal "
                                                "digits (\\u00E9 is é) and \\U eight"]),
    ('ASK { ?s ?p "\\U00110000" }', ["error at 1:14: \\U00110000 is past the last character, U+10FFFF"]),
    ("SELECT * WHERE { ?s ?p ?o } GROUP ?s", ["error at 1:29: GROUP is followed by BY and what to sort or group by"]),
    ("ASK { FILTER(?x = ) }", ["error at 1:22 (the end of the query): expected one of ABS, AVG, ", ", …"]),
    ("SELECT ?x WHERE { ?x ", ["error at 1:22: the query ends inside the { at 1:17: expected one of '!', '$', "
                               "'(', ':', '<', '?', '^', 'a' or a letter"]),
])
def test_a_syntax_error_says_what_is_wrong_and_where(query: str, words: list[str]) -> None:
    message = explain(query)
    assert message.startswith("The query does not parse: error at "), message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(("query", "message"), [
    ("SELECT * WHERE {\u00a0?s ?p ?o }", "error at 1:17: the query holds U+00A0 (NO-BREAK SPACE) here, which SPARQL "
     "does not read as a space (text copied from a web page or a document often holds one): type a plain space "
     "instead."),
    ("SELECT * WHERE { ?s\u200b ?p ?o }", "error at 1:20: the query holds U+200B (ZERO WIDTH SPACE) here"),
    ("SELECT * WHERE { ?s ?p ?o }\x00", "error at 1:28: the query holds the control character U+0000 here, which "
     "SPARQL allows only inside strings: remove it (an editor may not show it)."),
    ("SELECT * WHERE { ?s ?p \u201cx\u201d }", "error at 1:24: \u201c is a typographic quote, U+201C (LEFT DOUBLE "
     "QUOTATION MARK), which SPARQL does not read as a quote (word processors write them): write strings between "
     "straight quotes, \"…\" or '…'."),
    # inside a string, IRI or comment they are text: the fault is elsewhere
    ('SELECT * WHERE { ?s ?p "\u00a0\x01" # \u201c\n FILTER(?s }', "error at 2:12: this } closes the ( at 2:8"),
], ids=["no-break-space", "zero-width-space", "nul", "curly-quote", "in-strings"])
def test_characters_pasted_text_brings_are_named(query: str, message: str) -> None:
    assert explain(query).startswith(f"The query does not parse: {message}")


@settings(max_examples=300, deadline=None)
@given(template=st.sampled_from(TEMPLATES), glue=st.sampled_from([" ", "", "\n"]),
       edits=st.lists(st.tuples(st.integers(0, 30), st.sampled_from([None, *VOCABULARY, "foo:x", "SELEC", "<r>"])),
                      min_size=1, max_size=4))
def test_every_syntax_error_is_short_plain_and_placed(template: list[str], glue: str,
                                                      edits: list[tuple[int, str | None]]) -> None:
    tokens = list(template)
    for at, token in edits:
        if token is None:
            del tokens[at % len(tokens)]
        else:
            tokens.insert(at % (len(tokens) + 1), token)
    text = glue.join(tokens)
    try:
        Store().query(text, prefixes=PREFIXES)
    except SyntaxError as exc:
        message = explain_syntax_error(exc, text)
        place = re.match(r"The query does not parse: error at (\d+):(\d+)", message)
        assert place is not None, message
        line, column = int(place.group(1)), int(place.group(2))
        assert line <= text.count("\n") + 1 and column <= len(text.split("\n")[line - 1]) + 1, message
        assert len(message) < 400 and "..=" not in message and "\\u{" not in message and "[_]" not in message, message


def test_the_end_of_the_query_is_where_only_spaces_and_comments_follow() -> None:
    message = explain_syntax_error('error at 1:5: expected "{"', 'ASK  <http://x/y> "z"')
    assert message == "The query does not parse: error at 1:5: expected '{'"  # strings and IRIs are text, not blank
    assert explain("SELECT * WHERE { ?s ?p ?o } GROUP BY # why\n").startswith(
        "The query does not parse: error at 2:1 (the end of the query): ")
