"""What citykg reads in a SPARQL query's text without running it.

:func:`strip_noise` blanks a query's strings, IRIs and comments, so that what is left is syntax:
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
from collections.abc import Iterator
from dataclasses import dataclass

from citykg.errors import QueryRefused, QuerySyntaxError
from citykg.lookup import is_lookup

__all__ = ["ABSOLUTE_IRI", "MAX_DEPTH", "MAX_OPERATORS", "MAX_PATTERNS", "NOISE", "PROLOGUE", "QUERY_FORMS", "TOKEN",
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
#: How many triple patterns a query may hold: each ``.``, ``;`` or ``,`` that ends one in a group,
#: each ``/`` of a property path, each ``[…]`` and ``<<…>>``, two for each item of a collection
#: ``(…)`` (rdf:first and rdf:rest), and one for each group a group joins to the rest (``{…}``,
#: OPTIONAL, GRAPH, LATERAL, VALUES, a subquery; not a group's first, nor UNION's, MINUS's or
#: EXISTS's, which pyoxigraph does not plan as joins). pyoxigraph plans a group's joins in time
#: that grows steeply with their number: 100 patterns or groups take it 0.5 s before the query
#: runs, 200 take 7 s (400 OPTIONALs 6 s), and 10,000 crash it; the named queries hold 57 at most.
MAX_PATTERNS = 100

# What follows the opening of a string, an IRI or a comment, as pyoxigraph reads it (a long string
# holds its quote once or twice in a row); possessive quantifiers: no scan ever steps back.
_BODIES = {
    "'''": r"(?:[^'\\]++|\\[\s\S]|''?(?!'))*+",
    '"""': r'(?:[^"\\]++|\\[\s\S]|""?(?!"))*+',
    "'": r"(?:[^'\\\n\r]++|\\[^\n\r])*+",
    '"': r'(?:[^"\\\n\r]++|\\[^\n\r])*+',
    "<": r'(?:[^\x00-\x20<>"{}|^`\\]++|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+',
    "#": r"[^\r\n]*+",
}
_ENDS = {opener: re.compile(body) for opener, body in _BODIES.items()}
#: One string, IRI or comment, as SPARQL's grammar delimits them (a comment ends at CR or LF). It
#: cannot tell a "<" that means less than, or a quote in a name (``ex:a\'``), and reads an unclosed
#: string anew from each quote: :func:`noise_spans` reads a whole query as pyoxigraph does, once.
NOISE = re.compile("|".join(f"{re.escape(q)}{_BODIES[q]}{re.escape(q)}" for q in ("'''", '"""', "'", '"'))
                   + f"|<{_BODIES['<']}>|(?<!\\\\)#{_BODIES['#']}")
#: The start of an IRI with a scheme: one a BASE does not change.
ABSOLUTE_IRI = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:")


def strip_noise(sparql: str, *, kept: list[tuple[int, int]] | None = None) -> str:
    """The query with its strings, IRIs and comments blanked (each character a space, so that
    offsets stay those of the query): what is left is syntax. Given a list ``kept``, an IRI
    without a scheme stays, and its span goes in the list: pyoxigraph reads it as an IRI only if
    the query has a BASE. A quote that opens no string (none closes it) stays.

    >>> strip_noise('SELECT * { ?s ?p "SERVICE" } # SERVICE').split()
    ['SELECT', '*', '{', '?s', '?p', '}']
    >>> strip_noise("PREFIX ex: <http://e/> SELECT * { ?s ?p ex:a\\\\' } # '").split()
    ['PREFIX', 'ex:', 'SELECT', '*', '{', '?s', '?p', "ex:a\\\\'", '}']
    """
    pieces: list[str] = []
    done = 0
    for kind, start, end, _, _ in _tokens(sparql, based=kept is None):
        if kind == "relative" and kept is not None:
            kept.append((start, end))
        elif kind in _NOISE:
            pieces += (sparql[done:start], " " * (end - start))
            done = end
    return "".join(pieces) + sparql[done:]


def noise_spans(sparql: str) -> list[tuple[int, int]]:
    """The (start, end) of each string, IRI and comment of a query, as pyoxigraph reads them.

    >>> q = "SELECT * { ?s ?p ?o FILTER(?o<?p) } # <x>"
    >>> [q[start:end] for start, end in noise_spans(q)]
    ['# <x>']
    """
    return [(start, end) for kind, start, end, _, _ in _tokens(sparql) if kind in _NOISE]


# SPARQL Update forms, refused everywhere: the graph changes only by `citykg build` and `submit`.
UPDATE_FORMS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
#: The query forms: what a query's first word after its prologue (:data:`PROLOGUE`) may be.
QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
# SPARQL 1.1 reads \uXXXX and \UXXXXXXXX anywhere in a query before parsing it; pyoxigraph in strings and IRIs.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
#: A query's BASE and PREFIX declarations (with their IRIs blanked by :func:`strip_noise`).
PROLOGUE = re.compile(r"\s*(?:(?:BASE|PREFIX\s+[^\s:]*:)\s*)*", re.IGNORECASE)

# The tokens of SPARQL's grammar, as pyoxigraph reads them: PN_CHARS_BASE (_LETTER) and PN_CHARS
# (_NAME) make prefixed names, blank nodes and variables; a local name may hold colons,
# %-encodings, \-escapes and one run of dots inside (PN_LOCAL: pyoxigraph reads "ex:a.b.c" as
# "ex:a.b", "." and "c"), so "ex:copied-from" and "ex:a\-from" are one name each. A number
# ends before a dot no digit follows ("1." is 1, then a dot that ends a triple pattern).
_LETTER = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c\u200d"
           "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_NAME = _LETTER + "_0-9\u00b7\u0300-\u036f\u203f\u2040\\-"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"[{_LETTER}][{_NAME}]*(?:\\.+[{_NAME}]+)*"
_LOCAL = f"(?:[{_LETTER}_:0-9]|{_PLX})(?:[{_NAME}:]|{_PLX})*(?:\\.+(?:[{_NAME}:]|{_PLX})+)?"
_KINDS = {
    "space": r"\s+",
    "bnode": f"_:[{_LETTER}_0-9][{_NAME}]*(?:\\.+[{_NAME}]+)*",
    "pname": f"(?:{_PREFIX})?:(?:{_LOCAL})?",
    "var": f"[?$][{_LETTER}_0-9][{_LETTER}_0-9\u00b7\u0300-\u036f\u203f\u2040]*",
    "lang": r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?:--[A-Za-z]+)?",
    "number": r"(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)[eE][+-]?[0-9]++|[0-9]*+\.[0-9]++|[0-9]++",
    "word": f"[{_LETTER}_0-9][{_NAME}]*(?:\\.+[{_NAME}]+)*",  # all a prefix would take: one scan
    "open": r"[{(\[]", "close": r"[})\]]",
    "unary": r"[!+-](?:\s*[!+-])*(?!=)",
    "operator": r"&&|\|\||[|/*]",
    "mark": ".",
}
#: One token of a query blanked by :func:`strip_noise`; its group names its kind.
TOKEN = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _KINDS.items()), re.DOTALL)
# The same, brackets and the marks that start no other token first: one try for each, not twelve
_LEX = re.compile(r"(?P<punct>[;,=^<>'\"#\\])|(?P<open>[{(\[])|(?P<close>[})\]])|" + "|".join(
    f"(?P<{kind}>{pattern})" for kind, pattern in _KINDS.items() if kind not in ("open", "close")), re.DOTALL)
_NOISE = frozenset({"string", "iri", "comment"})
# What may end an operand in an expression, so that a "<" after it means less than
_OPERAND = frozenset({"var", "pname", "bnode", "number", "lang", "string", "iri", "relative", "close"})
_ITEMS = _OPERAND - {"close", "lang"} | {"open", "word"}  # what a collection holds


def _tokens(text: str, based: bool = True) -> Iterator[tuple[str, int, int, str, int]]:
    """(kind, start, end, text, triple patterns it adds) of each token of a query but spaces, as
    pyoxigraph reads them, once from left to right: :data:`TOKEN`'s kinds, "string", "iri",
    "comment", "open" and "close" for ``<<`` and ``>>``, and "relative" (an IRI without a scheme in
    a query not ``based``). A "<" after an operand in an expression is less than, so the brackets
    open are followed, and what each holds: a group, a VALUES block, a subquery's or the query's
    level, a collection or path, an expression, a ``<<…>>``. A quote that opens no string, and a
    backslash outside a name with what follows it, are marks: pyoxigraph fails there."""
    sorts: list[str] = []  # what each open bracket holds
    items: list[int] = []  # the items of each open bracket, or -1 for a property path
    prev = before = ("", "")
    failed = dict.fromkeys(_ENDS, -1)  # how far a string of each kind was read in vain
    values = False  # after VALUES, before its block
    pos = 0
    while pos < len(text):
        for token in _LEX.finditer(text, pos):
            kind, word = token.lastgroup or "", token.group()
            if kind == "space":
                continue
            (start, stop), sort, weight = token.span(), sorts[-1] if sorts else "query", 0
            end = stop
            if kind == "punct":
                kind = "mark"
                if word in "'\"":
                    end = _string_end(text, start, failed)
                    kind, end = ("mark", start + 1) if end < 0 else ("string", end)
                elif word == "#":
                    kind, end = "comment", _ENDS["#"].match(text, end).end()  # type: ignore[union-attr]
                elif word == "\\":
                    end = min(end + 1, len(text))
                elif word == "<" and not (sort == "expr" and (prev[0] in _OPERAND or prev[1] in ("true", "false"))):
                    if text.startswith("<", end):
                        kind, end = "open", end + 1
                    elif text.startswith(">", iri := _ENDS["<"].match(text, end).end()):  # type: ignore[union-attr]
                        kind, end = "iri" if based or ABSOLUTE_IRI.match(text, start) else "relative", iri + 1
                elif word == ">" and sort == "triple" and text.startswith(">", end):
                    kind, end = "close", end + 1
                word = text[start:end]
            if sort == "list":
                if kind in _ITEMS and items[-1] >= 0:
                    items[-1] += 1
                elif kind == "operator" or (kind == "unary" and "!" in word):
                    items[-1] = -1  # | / * ! make a path, which no collection holds
            if kind == "open":  # a group (but a group's first, UNION's, MINUS's, EXISTS's), [ and << join one
                weight = (prev[1].upper() not in ("{", "UNION", "MINUS", "EXISTS") and bool(sorts) if word == "{"
                          else word != "(" and sort != "expr")
                sorts.append(_opens(word, sort, prev, before, values))
                items.append(0)
                values = values and word != "{"
            elif kind == "close":
                count = items.pop() if items else 0
                weight = 2 * count if sorts and sorts.pop() == "list" and count > 0 else 0
            elif sort == "group":  # a pattern ends, a path joins one more; "true.ex:a" or ".5" may end one
                weight = (word in (".", ";", ",", "/") if kind in ("mark", "operator") else word.startswith(".")
                          if kind == "number" else word.split(":", 1)[0].count(".") if kind in ("word", "pname")
                          else 0)
            elif sort == "list":
                weight = word == "/"
            if kind == "word" and len(word) == 6 and word.upper() in ("VALUES", "SELECT"):
                values = values or word.upper() == "VALUES"
                if prev == ("open", "{") and sort == "group" and word.upper() == "SELECT":
                    sorts[-1] = "query"  # a subquery
            if kind != "comment":
                before, prev = prev, (kind, word)
            yield kind, start, end, word, int(weight)
            if end != stop:
                pos = end
                break
        else:
            return


def _opens(bracket: str, sort: str, prev: tuple[str, str], before: tuple[str, str], values: bool) -> str:
    """What a bracket opened in a ``sort`` of bracket, after the tokens ``before`` and ``prev``, holds."""
    if bracket in ("{", "["):
        return "values" if values and bracket == "{" else "group"
    if bracket == "<<" or prev == ("open", "<<"):
        return "triple"
    if sort == "values" or prev[1].upper() == "VALUES":
        return "values"
    # In a group, "(" opens a collection or a path, but after FILTER, BIND, regex… or a function FILTER calls
    calls = (prev[0] == "word" and prev[1] != "a") or (prev[0] in ("pname", "iri", "relative")
                                                       and before[1].upper() == "FILTER")
    return "list" if sort in ("list", "triple") or (sort == "group" and not calls) else "expr"


def _string_end(text: str, at: int, failed: dict[str, int]) -> int:
    """Where the string a quote at ``at`` opens ends, or -1 if it opens none. ``failed`` holds how
    far a string of each kind was read in vain: a quote of that kind before there, read as part
    of that string, opens none either, so no text is read twice."""
    quote = text[at]
    for opener in (quote * 3, quote) if text.startswith(quote * 3, at) else (quote,):
        if at < failed[opener]:
            continue
        end = _ENDS[opener].match(text, at + len(opener)).end()  # type: ignore[union-attr]
        if text.startswith(opener, end):
            return end + len(opener)
        failed[opener] = end
    return -1


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
    return QueryCheck(form=read.form, has_from=checked.has_from or read.has_from)


def _check(text: str) -> QueryCheck:
    relative: list[tuple[int, int]] = []  # IRIs without a scheme, in a query without a BASE
    depth = deepest = operators = patterns = 0
    too_deep = too_many = too_long = -1
    form, prologue, has_from, after_prefix = None, True, False, False
    # A dataset clause comes after the query form's head and before its WHERE group (a
    # CONSTRUCT's template is a group before it); DESCRIBE's resources may be prefixed names
    # that start with "from", which pyoxigraph reads as names until a FROM or a "*".
    head = template = resources = False
    for kind, start, end, token, weight in _tokens(text, based=re.search("BASE", text, re.IGNORECASE) is not None):
        if kind in _NOISE:
            continue
        if kind == "relative":  # "<a-service>": an IRI only in a query with a BASE, else "<" and SERVICE
            relative.append((start, end))
            for part in TOKEN.finditer(text, start + 1, end - 1):
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
            "of alternatives as VALUES ?x { … } or FILTER(?x IN (…)).")
    if too_long >= 0:
        raise QuerySyntaxError(
            f"The query holds more than {MAX_PATTERNS} triple patterns (past the limit at {place(text, too_long)}); "
            f"citykg accepts at most {MAX_PATTERNS}, counting as one more each group it joins ({{ … }}, OPTIONAL, "
            "GRAPH, VALUES, a subquery), each / of a path, each [ … ] and each item of a ( … ) list, since the "
            "time to plan their joins grows steeply with their number. Split the query into several, or give "
            "long lists of alternatives as VALUES ?x { … }.")
    return QueryCheck(form=form, has_from=has_from)


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
