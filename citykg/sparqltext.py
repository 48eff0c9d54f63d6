"""What citykg reads in a SPARQL query's text without running it.

:func:`strip_noise` (of :mod:`citykg.sparqltokens`, which reads a query's tokens) blanks a
query's strings, IRIs and comments, so that what is left is syntax:
the ``$`` parameters a named query uses (:func:`parameters_used`), and what the safety check
reads (:func:`check_query`): the query form, which tells a SPARQL Update (refused everywhere)
from a query; a ``SERVICE`` call, refused; a ``FROM``; how deeply the query nests, how many
operators it chains and patterns it joins, since pyoxigraph overflows its stack (and kills its
process) about a thousand levels down or a few thousand operators along, and takes seconds to plan
a few hundred joins. The text is tokenized as pyoxigraph's grammar does it, once from left to
right, in time linear in its length whatever it holds: a keyword inside a prefixed name
(``ex:copied-from``, ``ex:web-service``) is no keyword, a quote in one (``ex:a\\'``) opens no
string, and a ``<`` after an operand in an expression is "less than". Both ``citykg query --file`` and
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
from citykg.sparqltokens import ABSOLUTE_IRI, NOISE_KINDS, noise_spans, strip_noise, token_pattern, tokens

__all__ = ["ABSOLUTE_IRI", "MAX_DEPTH", "MAX_OPERATORS", "MAX_PATTERNS", "PROLOGUE", "QUERY_FORMS",
           "UPDATE_FORMS", "QueryCheck", "check_query", "is_lookup", "noise_spans", "parameters_used", "place",
           "read_escapes", "strip_noise"]

#: How deeply a query may nest braces, brackets, parentheses, ``<<`` and unary operators (! - +)
#: inside one another. pyoxigraph overflows its 8 MiB stack at about 900 nested function calls
#: (``STR(STR(…))``), 700 nested ``EXISTS { FILTER(…) }``, 2,200 nested groups or 9,300 ``!``s;
#: the named queries nest 9 levels at most.
MAX_DEPTH = 128
#: How many operators a query may chain: each MINUS, OPTIONAL, BIND, UNION, FILTER, AS, and each
#: binary operator of a path or an expression (| / * && || + -). pyoxigraph nests each in the
#: one before it, and overflows its stack at about 2,600 MINUS, BIND or AS, 6,500 UNION or
#: 6,900 + in one query; the named queries use fewer than 60.
MAX_OPERATORS = 1000
_CHAINING = frozenset({"MINUS", "OPTIONAL", "BIND", "UNION", "FILTER", "AS"})
# The functions whose value changes from one run of a query to the next
_VOLATILE = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE"})
#: How many triple patterns a query may hold: each ``.``, ``;`` or ``,`` that ends one in a group,
#: each ``/`` of a property path, each ``[…]`` and ``<<…>>``, two for each item of a collection
#: ``(…)`` (rdf:first and rdf:rest), and one for each group a group joins to the rest (``{…}``,
#: OPTIONAL, GRAPH, LATERAL, VALUES, a subquery; not a group's first, nor UNION's, MINUS's or
#: EXISTS's, which pyoxigraph does not plan as joins). pyoxigraph plans a group's joins in time
#: that grows steeply with their number: 100 patterns or groups take it 0.5 s before the query
#: runs, 200 take 7 s (400 OPTIONALs 6 s), and 10,000 crash it; the named queries hold 57 at most.
MAX_PATTERNS = 100

# SPARQL Update forms, refused everywhere: the graph changes only by `citykg build` and `submit`.
UPDATE_FORMS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
#: The query forms: what a query's first word after its prologue (:data:`PROLOGUE`) may be.
QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
# SPARQL 1.1 reads \uXXXX and \UXXXXXXXX anywhere in a query before parsing it; pyoxigraph in strings and IRIs.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
#: A query's BASE and PREFIX declarations (with their IRIs blanked by :func:`strip_noise`).
PROLOGUE = re.compile(r"\s*(?:(?:BASE|PREFIX\s+[^\s:]*:)\s*)*", re.IGNORECASE)

_CALL = re.compile(r"SERVICE", re.IGNORECASE)
_DATASET = re.compile(r"FROM", re.IGNORECASE)


@dataclass(frozen=True)
class QueryCheck:
    """What :func:`check_query` learnt: the query form, whether it names a dataset (FROM), and
    whether its answer changes from one run to the next (it calls NOW, RAND, UUID, STRUUID or
    BNODE), so that no cache may keep it."""

    form: str | None
    has_from: bool
    volatile: bool = False

    @property
    def is_update(self) -> bool:
        """Whether the query is a SPARQL Update (INSERT, DELETE, LOAD …)."""
        return self.form in UPDATE_FORMS


def check_query(text: str) -> QueryCheck:
    """Apply the safety rules to a query's text, outside its strings, IRIs and comments.

    >>> check_query("SELECT * WHERE { ?s ?p 'SERVICE' }  # SERVICE in a comment")
    QueryCheck(form='SELECT', has_from=False, volatile=False)
    >>> check_query("SELECT (NOW() AS ?t) WHERE {}").volatile
    True
    >>> check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    Traceback (most recent call last):
    citykg.errors.QueryRefused: citykg makes no outgoing requests: SERVICE is refused. ...
    >>> check_query("SELECT * WHERE " + "{" * 500 + "}" * 500)
    Traceback (most recent call last):
    citykg.errors.QuerySyntaxError: The query nests 500 levels deep (at 1:144); citykg accepts at most 128. ...
    >>> check_query("SELECT * WHERE { " + "{ ?s ?p ?o } " * 200 + "}")
    Traceback (most recent call last):
    citykg.errors.QuerySyntaxError: The query holds more than 100 triple patterns (past the limit at 1:1331); ...

    A query with ``\\u`` escapes must pass as pyoxigraph reads it (escapes in strings and IRIs)
    and as SPARQL 1.1 does (escapes anywhere, read first).

    :raises QueryRefused: if the query calls a SERVICE.
    :raises QuerySyntaxError: if it nests deeper than :data:`MAX_DEPTH`, chains more than
        :data:`MAX_OPERATORS` operators, or holds more than :data:`MAX_PATTERNS` triple patterns.
    """
    checked = _check(text)
    if "\\u" not in text and "\\U" not in text:
        return checked
    read = _check(read_escapes(text))
    return QueryCheck(form=read.form, has_from=checked.has_from or read.has_from,
                      volatile=checked.volatile or read.volatile)


def _check(text: str) -> QueryCheck:
    relative: list[tuple[int, int]] = []  # IRIs without a scheme, in a query without a BASE
    depth = deepest = operators = patterns = 0
    too_deep = too_many = too_long = -1
    form, prologue, has_from, after_prefix, volatile = None, True, False, False, False
    # A dataset clause comes after the query form's head and before its WHERE group (a
    # CONSTRUCT's template is a group before it); DESCRIBE's resources may be prefixed names
    # that start with "from", which pyoxigraph reads as names until a FROM or a "*".
    head = template = resources = False
    for kind, start, end, token, weight in tokens(text, based=re.search("BASE", text, re.IGNORECASE) is not None):
        if kind in NOISE_KINDS:
            continue
        if kind == "relative":  # "<a-service>": an IRI only in a query with a BASE, else "<" and SERVICE
            relative.append((start, end))
            for part in token_pattern().finditer(text, start + 1, end - 1):
                if part.lastgroup in ("word", "pname") and _CALL.search(name := part.group().split(":", 1)[0]):
                    _refuse_service(name, part.lastgroup, text, relative, part.start())
            continue
        word = token.upper() if kind == "word" else token
        if prologue and not ((kind == "word" and word in ("BASE", "PREFIX")) or (after_prefix and token[-1] == ":")):
            form, prologue = word if kind == "word" else None, False
            head, template, resources = True, word == "CONSTRUCT", word == "DESCRIBE"
        if kind == "open":
            if depth == 0 and token == "{":
                head, template = head and template, False
            depth += 1
            level = depth
        elif kind == "close":
            depth, level = max(depth - 1, 0), 0
        elif kind == "unary":
            level = depth + len("".join(token.split()))
            operators += token.count("+") + token.count("-")
        else:
            level = 0
            operators += kind == "operator" or (kind == "word" and word in _CHAINING)
            volatile = volatile or (kind == "word" and word in _VOLATILE)
            if kind in ("word", "pname") and not after_prefix:
                name = token.split(":", 1)[0]
                if _CALL.search(name):
                    _refuse_service(name, kind, text, relative, start)
                if depth == 0 and head and _DATASET.search(name) and not (resources and kind == "pname"):
                    has_from = True
                    resources = False
                head = head and not (depth == 0 and word == "WHERE")
            resources = resources and token != "*"
        after_prefix = kind == "word" and word == "PREFIX"
        patterns += weight
        if level > deepest:
            deepest = level
            if too_deep < 0 and level > MAX_DEPTH:
                too_deep = start
        if too_many < 0 and operators > MAX_OPERATORS:
            too_many = start
        if too_long < 0 and patterns > MAX_PATTERNS:
            too_long = start
    if too_deep >= 0:
        raise QuerySyntaxError(
            f"The query nests {deepest} levels deep (at {place(text, too_deep)}); citykg accepts at "
            f"most {MAX_DEPTH}. Each brace, bracket, parenthesis or ! - + operator inside another is a "
            "level: write the query flatter (one group of patterns rather than groups within groups).")
    if too_many >= 0:
        raise QuerySyntaxError(
            f"The query chains {operators:,} operators (past the limit at {place(text, too_many)}); citykg "
            f"accepts at most {MAX_OPERATORS:,}. Each MINUS, OPTIONAL, BIND, "
            "UNION, FILTER, AS and each | / * && || + - is one: split the query into several, or give long lists "
            "of alternatives as VALUES ?x { … }, which is also far faster than a long FILTER(?x IN (…)).")
    if too_long >= 0:
        raise QuerySyntaxError(
            f"The query holds more than {MAX_PATTERNS} triple patterns (past the limit at {place(text, too_long)}); "
            f"citykg accepts at most {MAX_PATTERNS}, counting as one more each group it joins ({{ … }}, OPTIONAL, "
            "GRAPH, VALUES, a subquery), each / of a path, each [ … ] and each item of a ( … ) list, since the "
            "time to plan their joins grows steeply with their number. Split the query into several, or give "
            "long lists of alternatives as VALUES ?x { … }.")
    return QueryCheck(form=form, has_from=has_from, volatile=volatile)


def _refuse_service(name: str, kind: str | None, text: str, relative: list[tuple[int, int]], at: int) -> None:
    fix = "Query the other endpoint yourself, or load its data into the graph."
    if kind == "pname":
        fix = f"(The prefix {name}: reads as SERVICE to the query engine: rename it.) {fix}"
    for start, end in relative:
        if start < at < end:
            fix = (f"(Without a BASE, {text[start:end][:60]} is no IRI, and its SERVICE reads as one: write the IRI "
                   f"in full.) {fix}")
    raise QueryRefused(f"citykg makes no outgoing requests: SERVICE is refused. {fix}")


def read_escapes(query: str) -> str:
    """The query with its ``\\u`` and ``\\U`` escapes read, as SPARQL 1.1 reads them before parsing
    (pyoxigraph reads those in strings and IRIs only, as it parses).

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
