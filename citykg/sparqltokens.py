r"""The tokens of a SPARQL query's text, read as pyoxigraph's grammar reads them.

:func:`tokens` reads a query once, from left to right, in time linear in its length whatever it
holds: strings (with their escapes, long strings, unclosed ones), IRIs, comments, prefixed names
(``ex:a\'`` is a name: its quote opens no string), variables, numbers, words and punctuation,
and tells a ``<`` that opens an IRI from one that means "less than" by what the brackets around
it hold. :func:`strip_noise` and :func:`noise_spans` give what :mod:`citykg.sparqltext` checks and
:mod:`citykg.sparqlerrors` explains: the syntax, without the strings, IRIs and comments.

Example::

    >>> query = r'SELECT * { ?s ex:a\' "x" } # c'
    >>> [(kind, query[start:end]) for kind, start, end, *_ in tokens(query) if kind in ("pname", "string")]
    [('pname', "ex:a\\'"), ('string', '"x"')]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

__all__ = ["ABSOLUTE_IRI", "NOISE_KINDS", "noise_spans", "strip_noise", "token_pattern", "tokens"]

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
    for kind, start, end, _, _ in tokens(sparql, based=kept is None):
        if kind == "relative" and kept is not None:
            kept.append((start, end))
        elif kind in NOISE_KINDS:
            pieces += (sparql[done:start], " " * (end - start))
            done = end
    return "".join(pieces) + sparql[done:]


def noise_spans(sparql: str) -> list[tuple[int, int]]:
    """The (start, end) of each string, IRI and comment of a query, as pyoxigraph reads them.

    >>> q = "SELECT * { ?s ?p ?o FILTER(?o<?p) } # <x>"
    >>> [q[start:end] for start, end in noise_spans(q)]
    ['# <x>']
    """
    return [(start, end) for kind, start, end, _, _ in tokens(sparql) if kind in NOISE_KINDS]


# The tokens of SPARQL's grammar, as pyoxigraph reads them: PN_CHARS_BASE (_LETTER) and PN_CHARS
# (_NAME) make prefixed names, blank nodes and variables; a local name may hold colons,
# %-encodings, \-escapes and one run of dots inside (PN_LOCAL: pyoxigraph reads "ex:a.b.c" as
# "ex:a.b", "." and "c"), so "ex:copied-from" and "ex:a\-from" are one name each. A number
# ends before a dot no digit follows ("1." is 1, then a dot that ends a triple pattern).
_LETTERS = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x2FF), (0x370, 0x37D), (0x37F, 0x1FFF),
            (0x200C, 0x200D), (0x2070, 0x218F), (0x2C00, 0x2FEF), (0x3001, 0xD7FF), (0xF900, 0xFDCF),
            (0xFDF0, 0xFFFD), (0x10000, 0xEFFFF))  # PN_CHARS_BASE
_DIGITS, _UNDERSCORE, _COLON, _HYPHEN = ((0x30, 0x39),), ((0x5F, 0x5F),), ((0x3A, 0x3A),), ((0x2D, 0x2D),)
_JOINERS = ((0xB7, 0xB7), (0x300, 0x36F), (0x203F, 0x2040))  # in names, after their first character


def _chars(*sets: tuple[tuple[int, int], ...]) -> str:
    """A character class of the code points in ``sets`` of ranges, written as the negation of the
    others: the same class, which ``re`` compiles three times faster, since it sets a bit for each
    code point a class names (a named query's check then costs no 80 ms of compiling)."""
    gaps, start = [], 0
    for low, high in sorted(r for ranges in sets for r in ranges):
        if low > start:
            gaps.append((start, low - 1))
        start = max(start, high + 1)
    gaps += [(start, 0x10FFFF)] if start <= 0x10FFFF else []
    return "[^" + "".join(f"\\U{low:08x}" + (f"-\\U{high:08x}" if high > low else "") for low, high in gaps) + "]"


_LETTER = _chars(_LETTERS)
_NAME = _chars(_LETTERS, _UNDERSCORE, _DIGITS, _JOINERS, _HYPHEN)  # PN_CHARS
_NAME_COLON = _chars(_LETTERS, _UNDERSCORE, _DIGITS, _JOINERS, _HYPHEN, _COLON)
_FIRST = _chars(_LETTERS, _UNDERSCORE, _DIGITS)  # of a blank node's label, a variable's name or a word
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"{_LETTER}{_NAME}*(?:\\.+{_NAME}+)*"
_LOCAL = (f"(?:{_chars(_LETTERS, _UNDERSCORE, _COLON, _DIGITS)}|{_PLX})(?:{_NAME_COLON}|{_PLX})*"
          f"(?:\\.+(?:{_NAME_COLON}|{_PLX})+)?")
_KINDS = {
    "space": r"\s+",
    "bnode": f"_:{_FIRST}{_NAME}*(?:\\.+{_NAME}+)*",
    "pname": f"(?:{_PREFIX})?:(?:{_LOCAL})?",
    "var": f"[?$]{_FIRST}{_chars(_LETTERS, _UNDERSCORE, _DIGITS, _JOINERS)}*",
    "lang": r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?:--[A-Za-z]+)?",
    "number": r"(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)[eE][+-]?[0-9]++|[0-9]*+\.[0-9]++|[0-9]++",
    "word": f"{_FIRST}{_NAME}*(?:\\.+{_NAME}+)*",  # all a prefix would take: one scan
    "open": r"[{(\[]", "close": r"[})\]]",
    "unary": r"[!+-](?:\s*[!+-])*(?!=)",
    "operator": r"&&|\|\||[|/*]",
    "mark": ".",
}


@functools.cache
def token_pattern() -> re.Pattern[str]:
    """One token of a query blanked by :func:`strip_noise`; its group names its kind (compiled
    when first asked for: only a query that fails, or holds a relative IRI, needs it).

    >>> [m.lastgroup for m in token_pattern().finditer("?s ex:p 1")]
    ['var', 'space', 'pname', 'space', 'number']
    """
    return re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _KINDS.items()), re.DOTALL)


# The same, brackets and the marks that start no other token first: one try for each, not twelve
_LEX = re.compile(r"(?P<punct>[;,=^<>'\"#\\])|(?P<open>[{(\[])|(?P<close>[})\]])|" + "|".join(
    f"(?P<{kind}>{pattern})" for kind, pattern in _KINDS.items() if kind not in ("open", "close")), re.DOTALL)
NOISE_KINDS = frozenset({"string", "iri", "comment"})
# What may end an operand in an expression, so that a "<" after it means less than
_OPERAND = frozenset({"var", "pname", "bnode", "number", "lang", "string", "iri", "relative", "close"})
_ITEMS = _OPERAND - {"close", "lang"} | {"open", "word"}  # what a collection holds


def tokens(text: str, based: bool = True) -> Iterator[tuple[str, int, int, str, int]]:
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
