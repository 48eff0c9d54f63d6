"""What citykg reads in a SPARQL query's text without running it.

:func:`strip_noise` blanks a query's strings, IRIs and comments, so that what is left is syntax:
the ``$`` parameters a named query uses (:func:`parameters_used`), and the keywords the safety
check looks for (:func:`check_query`): a ``SERVICE`` is refused, and the query form tells a
SPARQL Update (refused everywhere) from a query. Both ``citykg query --file`` and ``citykg
serve`` apply the check; the server's query workers also run without network access
(:mod:`citykg.sandbox`), since a text check cannot see every way of writing a query.

Example::

    >>> check_query("PREFIX ex: <http://example.org/> DELETE WHERE { ?s ?p ?o }").is_update
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from citykg.errors import QueryRefused

__all__ = ["UPDATE_FORMS", "QueryCheck", "check_query", "parameters_used", "strip_noise"]

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
