"""What citykg reads in a SPARQL query's text without running it.

:func:`strip_noise` blanks a query's strings, IRIs and comments, so that what is left is syntax:
the ``$`` parameters a named query uses (:func:`parameters_used`), and the keywords the safety
check looks for (:func:`check_query`): a ``SERVICE`` is refused, and the query form tells a
SPARQL Update (refused everywhere) from a query. Both ``citykg query --file`` and ``citykg
serve`` apply the check; the server's query workers also run without network access
(:mod:`citykg.sandbox`), since a text check cannot see every way of writing a query.
:func:`is_lookup` tells the queries whose cost is bounded by the size of their answer (a single
triple pattern), which the server may answer without a worker.

Example::

    >>> check_query("PREFIX ex: <http://example.org/> DELETE WHERE { ?s ?p ?o }").is_update
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from citykg.errors import QueryRefused

__all__ = ["UPDATE_FORMS", "QueryCheck", "check_query", "is_lookup", "parameters_used", "strip_noise"]

# Strings, IRIs and comments, where a keyword or a $ is only text, as SPARQL's grammar delimits
# them: a comment ends at CR or LF, and "\#" (an escaped # in a prefixed name) starts none.
_NOISE = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n\r]|\\.)*"|'
                    r"'(?:[^'\\\n\r]|\\.)*'|<[^<>\"{}|^`\\\s]*>|(?<!\\)#[^\r\n]*")


def strip_noise(sparql: str) -> str:
    """The query with its strings, IRIs and comments blanked: what is left is syntax.

    >>> strip_noise('SELECT * { ?s ?p "SERVICE" } # SERVICE').split()
    ['SELECT', '*', '{', '?s', '?p', '}']
    """
    return _NOISE.sub(" ", sparql)


# SPARQL Update forms, refused everywhere: the graph changes only by `citykg build` and `submit`.
UPDATE_FORMS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
# A bare word: not part of a prefixed name, a variable, a language tag or a longer word.
_WORD = re.compile(r"(?<![\w:?$@])[A-Za-z]+(?![\w:])")
# SPARQL 1.1 reads \uXXXX and \UXXXXXXXX anywhere in a query before parsing it.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PROLOGUE = re.compile(r"\s*(?:(?:BASE|PREFIX\s+[^\s:]*:)\s*)*", re.IGNORECASE)


@dataclass(frozen=True)
class QueryCheck:
    """What :func:`check_query` learnt: the query form, and whether it names a dataset (FROM)."""

    form: str | None
    has_from: bool

    @property
    def is_update(self) -> bool:
        """Whether the query is a SPARQL Update (INSERT, DELETE, LOAD …)."""
        return self.form in UPDATE_FORMS


def check_query(text: str) -> QueryCheck:
    """Apply the safety rules to a query's text, outside its strings, IRIs and comments.

    >>> check_query("SELECT * WHERE { ?s ?p 'SERVICE' }  # SERVICE in a comment")
    QueryCheck(form='SELECT', has_from=False)
    >>> check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    Traceback (most recent call last):
    citykg.errors.QueryRefused: citykg makes no outgoing requests: SERVICE is refused. ...

    :raises QueryRefused: if the query calls a SERVICE.
    """
    cleaned = strip_noise(_CODEPOINT.sub(_unescape, text))
    words = {w.upper() for w in _WORD.findall(cleaned)}
    if "SERVICE" in words:
        raise QueryRefused("citykg makes no outgoing requests: SERVICE is refused. "
                           "Query the other endpoint yourself, or load its data into the graph.")
    first = _WORD.match(cleaned, _PROLOGUE.match(cleaned).end())  # type: ignore[union-attr]
    return QueryCheck(form=first.group(0).upper() if first else None, has_from="FROM" in words)


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code < 0x110000 else match.group(0)


def parameters_used(sparql: str) -> set[str]:
    """The names of the ``$`` variables of a query, outside comments, strings and IRIs.

    >>> sorted(parameters_used('SELECT ?x WHERE { ?x <http://e/$no> "$no" ; ?p $city } # $no'))
    ['city']
    """
    return set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", strip_noise(sparql)))


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
    """Whether a query is a lookup: a SELECT or ASK of a single triple pattern, with no FROM,
    DISTINCT, ORDER BY, OFFSET or anything but a LIMIT after it.

    Such a query does work in proportion to the rows it answers: pyoxigraph reads them from an
    index one by one, so serializing a small answer bounds its cost. The test is on tokens, and
    strict: a query it does not recognise is simply not a lookup.

    >>> is_lookup("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    ...           "SELECT ?label WHERE { <http://example.org/W3> rdfs:label ?label } LIMIT 5")
    True
    >>> is_lookup("ASK { ?s a <http://example.org/Strategy> . }")
    True
    >>> is_lookup("SELECT ?s WHERE { ?s ?p ?o . ?o ?q ?r }"), is_lookup("SELECT DISTINCT ?p { ?s ?p ?o }")
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
    return (subject[0] == "term" and (verb[0] == "term" or verb == ("word", "A"))
            and (value[0] in ("term", "literal") or value == ("word", "TRUE") or value == ("word", "FALSE")))
