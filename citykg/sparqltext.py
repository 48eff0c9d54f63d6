"""What citykg reads in a SPARQL query's text without running it.

:func:`strip_noise` blanks a query's strings, IRIs and comments, so that what is left is syntax:
the ``$`` parameters a named query uses (:func:`parameters_used`), and what the safety check
reads (:func:`check_query`): the query form, which tells a SPARQL Update (refused everywhere)
from a query; a ``SERVICE`` call, refused; a ``FROM``; how deeply the query nests and how many
operators it chains, since pyoxigraph overflows its stack (and kills its process) about a
thousand levels down, or a few thousand operators along.
The text is tokenized as SPARQL's grammar does it, so a keyword inside a prefixed name
(``ex:copied-from``, ``ex:web-service``) is no keyword. Both ``citykg query --file`` and
``citykg serve`` apply the check; the server's query workers also run without network access
(:mod:`citykg.sandbox`), since a text check cannot see every way of writing a query.
:func:`is_lookup` (from :mod:`citykg.lookup`) tells the queries whose cost is bounded by the size
of their answer, which the server may answer without a worker. :mod:`citykg.sparqlerrors` reads
pyoxigraph's syntax errors with these tokens.

Example::

    >>> check_query("PREFIX ex: <http://example.org/> DELETE WHERE { ?s ?p ?o }").is_update
    True
    >>> check_query("PREFIX ex: <http://x/> SELECT * { ?s ex:copied-from ?o }").has_from
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from citykg.errors import QueryRefused, QuerySyntaxError
from citykg.lookup import is_lookup

__all__ = ["ABSOLUTE_IRI", "MAX_DEPTH", "MAX_OPERATORS", "MAX_PATTERNS", "NOISE", "PROLOGUE", "QUERY_FORMS", "TOKEN",
           "UPDATE_FORMS", "QueryCheck", "check_query", "is_lookup", "parameters_used", "place", "read_escapes",
           "strip_noise"]

#: How deeply a query may nest braces, brackets, parentheses and unary operators (! - +) inside
#: one another. pyoxigraph overflows its 8 MiB stack at about 900 nested function calls
#: (``STR(STR(…))``), 700 nested ``EXISTS { FILTER(…) }``, 2,200 nested groups or 9,300 ``!``s;
#: the named queries nest 9 levels at most.
MAX_DEPTH = 128
#: How many operators a query may chain: each MINUS, OPTIONAL, BIND, UNION, FILTER, AS, and each
#: binary operator of a path or an expression (| / * && || + -). pyoxigraph nests each in the
#: one before it, and overflows its stack at about 2,600 MINUS, BIND or AS, 6,500 UNION or
#: 6,900 + in one query; the named queries use fewer than 60.
MAX_OPERATORS = 1000
_CHAINING = frozenset({"MINUS", "OPTIONAL", "BIND", "UNION", "FILTER", "AS"})
#: How many triple patterns a query may hold (each ``.``, ``;`` or ``,`` that ends one in a group
#: counts). pyoxigraph plans a group's joins in time that grows steeply with their number: 100
#: patterns about one subject take it 0.8 s before the query runs, 200 take 11 s, and 10,000
#: crash it; the named queries hold 30 at most.
MAX_PATTERNS = 100

#: Strings, IRIs and comments, where a keyword or a $ is only text, as SPARQL's grammar delimits
#: them: a comment ends at CR or LF, and "\#" (an escaped # in a prefixed name) starts none.
NOISE = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n\r]|\\.)*"|'
                    r"'(?:[^'\\\n\r]|\\.)*'|<[^<>\"{}|^`\\\s]*>|(?<!\\)#[^\r\n]*")
#: The start of an IRI with a scheme: one a BASE does not change.
ABSOLUTE_IRI = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:")


def strip_noise(sparql: str, *, kept: list[tuple[int, int]] | None = None) -> str:
    """The query with its strings, IRIs and comments blanked (each character a space, so that
    offsets stay those of the query): what is left is syntax. Given a list ``kept``, an IRI
    without a scheme stays, and its span goes in the list: pyoxigraph reads it as an IRI only if
    the query has a BASE, else as "<" and what follows.

    >>> strip_noise('SELECT * { ?s ?p "SERVICE" } # SERVICE').split()
    ['SELECT', '*', '{', '?s', '?p', '}']
    """
    def blank(match: re.Match[str]) -> str:
        noise = match.group()
        if kept is not None and noise.startswith("<") and not ABSOLUTE_IRI.match(noise):
            kept.append(match.span())
            return noise
        return " " * len(noise)

    return NOISE.sub(blank, sparql)


# SPARQL Update forms, refused everywhere: the graph changes only by `citykg build` and `submit`.
UPDATE_FORMS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
#: The query forms: what a query's first word after its prologue (:data:`PROLOGUE`) may be.
QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
# SPARQL 1.1 reads \uXXXX and \UXXXXXXXX anywhere in a query before parsing it.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
#: A query's BASE and PREFIX declarations (with their IRIs blanked by :func:`strip_noise`).
PROLOGUE = re.compile(r"\s*(?:(?:BASE|PREFIX\s+[^\s:]*:)\s*)*", re.IGNORECASE)

# The tokens of SPARQL's grammar, as pyoxigraph reads them: PN_CHARS_BASE (_LETTER) and PN_CHARS
# (_NAME) make prefixed names, blank nodes and variables; a local name may hold colons,
# %-encodings, \-escapes and one run of dots inside (PN_LOCAL: pyoxigraph reads "ex:a.b.c" as
# "ex:a.b", "." and "c"), so "ex:copied-from" and "ex:a\-from" are one name each.
_LETTER = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c\u200d"
           "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_NAME = _LETTER + "_0-9\u00b7\u0300-\u036f\u203f\u2040\\-"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"[{_LETTER}][{_NAME}]*(?:\\.+[{_NAME}]+)*"
_LOCAL = f"(?:[{_LETTER}_:0-9]|{_PLX})(?:[{_NAME}:]|{_PLX})*(?:\\.+(?:[{_NAME}:]|{_PLX})+)?"
#: One token of a query blanked by :func:`strip_noise`; its group names its kind.
TOKEN = re.compile(
    r"(?P<space>\s+)"
    f"|(?P<bnode>_:[{_LETTER}_0-9][{_NAME}]*(?:\\.+[{_NAME}]+)*)"
    f"|(?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)"
    f"|(?P<var>[?$][{_LETTER}_0-9][{_LETTER}_0-9\u00b7\u0300-\u036f\u203f\u2040]*)"
    r"|(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?:--[A-Za-z]+)?)"
    r"|(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    f"|(?P<word>[{_LETTER}_0-9][{_NAME}]*(?:\\.+[{_NAME}]+)*)"  # all a prefix would take: one scan
    r"|(?P<open>[{(\[])|(?P<close>[})\]])"
    r"|(?P<unary>[!+-](?:\s*[!+-])*)(?!=)"
    r"|(?P<operator>&&|\|\||[|/*])"
    r"|(?P<mark>.)", re.DOTALL)
# pyoxigraph matches a keyword as the start of a word: "SERVICEex:a {…}" calls ex:a, and
# "trueSERVICE" is true, then SERVICE. So a word, or a prefix name, that holds one counts.
_CALL = re.compile(r"SERVICE", re.IGNORECASE)
_DATASET = re.compile(r"FROM", re.IGNORECASE)


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
    >>> check_query("SELECT * WHERE " + "{" * 500 + "}" * 500)
    Traceback (most recent call last):
    citykg.errors.QuerySyntaxError: The query nests 500 levels deep (at 1:144); citykg accepts at most 128. ...

    :raises QueryRefused: if the query calls a SERVICE.
    :raises QuerySyntaxError: if it nests deeper than :data:`MAX_DEPTH`, chains more than
        :data:`MAX_OPERATORS` operators, or holds more than :data:`MAX_PATTERNS` triple patterns.
    """
    text = read_escapes(text)
    relative: list[tuple[int, int]] | None = None if re.search("BASE", text, re.IGNORECASE) else []
    cleaned = strip_noise(text, kept=relative)
    first = TOKEN.match(cleaned, PROLOGUE.match(cleaned).end())  # type: ignore[union-attr]
    form = first.group().upper() if first and first.lastgroup == "word" else None
    depth = deepest = operators = patterns = 0
    too_deep = too_many = too_long = -1
    opened: list[str] = []  # the brackets open at this token
    has_from = after_prefix = False
    # A dataset clause comes after the query form's head and before its WHERE group (a
    # CONSTRUCT's template is a group before it); DESCRIBE's resources may be prefixed names
    # that start with "from", which pyoxigraph reads as names until a FROM or a "*".
    head, template, resources = True, form == "CONSTRUCT", form == "DESCRIBE"
    for token in TOKEN.finditer(cleaned):
        kind = token.lastgroup
        if kind == "space":
            continue
        if kind == "open":
            if depth == 0 and token.group() == "{":
                head, template = head and template, False
            depth += 1
            level = depth
            opened.append(token.group())
        elif kind == "close":
            depth, level = max(depth - 1, 0), 0
            del opened[-1:]
        elif kind == "mark" and token.group() in ".;," and opened and opened[-1] != "(":
            level = 0
            patterns += 1
            if too_long < 0 and patterns > MAX_PATTERNS:
                too_long = token.start()
        elif kind == "unary":
            level = depth + len("".join(token.group().split()))
            operators += token.group().count("+") + token.group().count("-")
        else:
            level = 0
            operators += kind == "operator" or (kind == "word" and token.group().upper() in _CHAINING)
            if kind in ("word", "pname") and not after_prefix:
                name = token.group().split(":", 1)[0]
                if _CALL.search(name):
                    _refuse_service(name, kind, text, relative or [], token.start())
                if depth == 0 and head and _DATASET.search(name) and not (resources and kind == "pname"):
                    has_from = True
                    resources = False
                head = head and not (depth == 0 and token.group().upper() == "WHERE")
            resources = resources and token.group() != "*"
        after_prefix = kind == "word" and token.group().upper() == "PREFIX"
        if level > deepest:
            deepest = level
            if too_deep < 0 and level > MAX_DEPTH:
                too_deep = token.start()
        if too_many < 0 and operators > MAX_OPERATORS:
            too_many = token.start()
    if too_deep >= 0:
        raise QuerySyntaxError(
            f"The query nests {deepest} levels deep (at {place(cleaned, too_deep)}); citykg accepts at "
            f"most {MAX_DEPTH}. Each brace, bracket, parenthesis or ! - + operator inside another is a "
            "level: write the query flatter (one group of patterns rather than groups within groups).")
    if too_many >= 0:
        raise QuerySyntaxError(
            f"The query chains {operators:,} operators (past the limit at {place(cleaned, too_many)}); citykg "
            f"accepts at most {MAX_OPERATORS:,}. Each MINUS, OPTIONAL, BIND, "
            "UNION, FILTER, AS and each | / * && || + - is one: split the query into several, or give long lists "
            "of alternatives as VALUES ?x { … } or FILTER(?x IN (…)).")
    if too_long >= 0:
        raise QuerySyntaxError(
            f"The query holds more than {MAX_PATTERNS} triple patterns (past the limit at "
            f"{place(cleaned, too_long)}); citykg accepts at most {MAX_PATTERNS}, since the time to plan "
            "their joins grows steeply with their number. Split the query into several, or give long lists "
            "of alternatives as VALUES ?x { … }.")
    return QueryCheck(form=form, has_from=has_from)


def _refuse_service(name: str, kind: str, text: str, relative: list[tuple[int, int]], at: int) -> None:
    fix = "Query the other endpoint yourself, or load its data into the graph."
    if kind == "pname":
        fix = f"(The prefix {name}: reads as SERVICE to the query engine: rename it.) {fix}"
    for start, end in relative:  # "<a-service>": an IRI only in a query with a BASE, else "<" and SERVICE
        if start < at < end:
            fix = (f"(Without a BASE, {text[start:end][:60]} is no IRI, and its SERVICE reads as one: write the IRI "
                   f"in full.) {fix}")
    raise QueryRefused(f"citykg makes no outgoing requests: SERVICE is refused. {fix}")


def read_escapes(query: str) -> str:
    """The query with its ``\\u`` and ``\\U`` escapes read, as SPARQL reads them before parsing.

    >>> read_escapes("SELECT * { ?s ?p '\\u0041' }")
    "SELECT * { ?s ?p 'A' }"
    """
    return _CODEPOINT.sub(_unescape, query)


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code < 0x110000 else match.group(0)


def place(text: str, offset: int) -> str:
    """``line:column`` of an offset, as pyoxigraph counts them (from 1; lines end at LF).

    >>> place("SELECT *\\nWHERE {", 11)
    '2:3'
    """
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def parameters_used(sparql: str) -> set[str]:
    """The names of the ``$`` variables of a query, outside comments, strings and IRIs.

    >>> sorted(parameters_used('SELECT ?x WHERE { ?x <http://e/$no> "$no" ; ?p $city } # $no'))
    ['city']
    """
    return set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", strip_noise(sparql)))
