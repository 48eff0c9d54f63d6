"""Which queries are lookups: their cost is bounded by the size of their answer.

A lookup is a SELECT or ASK of a single triple pattern that names no variable twice, with no
FROM, DISTINCT, ORDER BY, OFFSET or anything but a LIMIT after it: pyoxigraph reads its rows
from an index one by one, so serializing a small answer bounds its cost, and ``citykg serve``
may answer it in its own process rather than in a worker (see :mod:`citykg.serve`).
:mod:`citykg.sparqltext` exports :func:`is_lookup` with the rest of what citykg reads in a
query's text.

Example::

    >>> is_lookup("SELECT ?o WHERE { <http://example.org/a> <http://example.org/b> ?o } LIMIT 5")
    True
"""

from __future__ import annotations

import re

__all__ = ["is_lookup"]

# The tokens of a lookup, as SPARQL's grammar reads them; anything else is not a lookup.
_PNAME = r"[A-Za-z][\w.-]*:(?:[\w-][\w.-]*)?(?<!\.)|:(?:[\w-][\w.-]*)?(?<!\.)"
_IRI = r"<[^<>\"{}|^`\\\s]*>"
_LOOKUP_TOKEN = re.compile(
    rf"""\s+|\#[^\r\n]*
    |(?P<term>{_IRI}|{_PNAME}|[?$]\w+)
    |(?P<literal>(?:"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:{_IRI}|{_PNAME}))?
       |[+-]?\d+(?:\.\d+)?)
    |(?P<word>[A-Za-z]+)
    |(?P<mark>[{{}}.*])""", re.VERBOSE)


def _lookup_tokens(text: str) -> list[tuple[str, str]] | None:
    """(kind, text) of every token but blanks and comments; ``None`` at one a lookup cannot have."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _LOOKUP_TOKEN.match(text, position)
        if match is None:
            return None
        position = match.end()
        if match.lastgroup:
            kind, value = match.lastgroup, match.group(0)
            tokens.append(("word", value.upper()) if kind == "word" else (kind, value))
    return tokens


def is_lookup(text: str) -> bool:
    """Whether a query is a lookup: a SELECT or ASK of a single triple pattern that names no
    variable twice, with no FROM, DISTINCT, ORDER BY, OFFSET or anything but a LIMIT after it.

    Such a query does work in proportion to the rows it answers: pyoxigraph reads them from an
    index one by one, so serializing a small answer bounds its cost. A variable named twice
    (``?s ?s ?s``, ``?s ?p $s``) is not: no index reads only the rows where two parts are equal,
    so pyoxigraph reads every row of the other parts' index, however few it keeps. The test is
    on tokens, and strict: a query it does not recognise is simply not a lookup.

    >>> is_lookup("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    ...           "SELECT ?label WHERE { <http://example.org/W3> rdfs:label ?label } LIMIT 5")
    True
    >>> is_lookup("ASK { ?s a <http://example.org/Strategy> . }")
    True
    >>> is_lookup("SELECT ?s WHERE { ?s ?p ?o . ?o ?q ?r }"), is_lookup("SELECT DISTINCT ?p { ?s ?p ?o }")
    (False, False)
    >>> is_lookup("SELECT ?s WHERE { ?s ?s ?s }"), is_lookup("ASK { ?s <http://example.org/b> $s }")
    (False, False)
    """
    if len(text) > 4096 or '"""' in text or "'''" in text or "\\u" in text or "\\U" in text:
        return False
    tokens = _lookup_tokens(text)
    if tokens is None:
        return False
    at = 0
    while tokens[at:at + 1] in ([("word", "BASE")], [("word", "PREFIX")]):  # the prologue
        size = 2 if tokens[at][1] == "BASE" else 3
        if any(kind != "term" for kind, _ in tokens[at + 1:at + size]):
            return False
        at += size
    rest = tokens[at:]
    if rest[:1] == [("word", "SELECT")]:
        end = 1
        while end < len(rest) and (rest[end] == ("mark", "*") or rest[end][1].startswith(("?", "$"))):
            end += 1
        if end == 1:
            return False
        rest = rest[end:]
    elif rest[:1] == [("word", "ASK")]:
        rest = rest[1:]
    else:
        return False
    if rest[:1] == [("word", "WHERE")]:
        rest = rest[1:]
    if rest[-2:-1] == [("word", "LIMIT")] and rest[-1][0] == "literal" and rest[-1][1].isdigit():
        rest = rest[:-2]
    if rest[-2:] == [("mark", "."), ("mark", "}")]:
        rest = rest[:-2] + rest[-1:]
    if len(rest) != 5 or rest[0] != ("mark", "{") or rest[4] != ("mark", "}"):
        return False
    subject, verb, value = rest[1:4]
    variables = [part[1][1:] for part in (subject, verb, value) if part[0] == "term" and part[1][0] in "?$"]
    return (subject[0] == "term" and (verb[0] == "term" or verb == ("word", "A"))
            and (value[0] in ("term", "literal") or value == ("word", "TRUE") or value == ("word", "FALSE"))
            and len(set(variables)) == len(variables))  # ?s and $s are one variable
