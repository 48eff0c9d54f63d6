"""Name the rule of SPARQL that a well-formed query breaks, where pyoxigraph's error does not.

Some queries are written in SPARQL's grammar but break one of its rules, and pyoxigraph refuses
them at the end of the query with a message about what it expected there, or none. :func:`rule_fault`
finds three such rules and says where the query breaks them:

- a BIND may not bind a variable that its group already binds before it (SPARQL 1.1, 18.2.1);
- SELECT names each of its columns once;
- the short form ``CONSTRUCT WHERE { … }`` holds triple patterns only: no FILTER, OPTIONAL,
  BIND, VALUES, GRAPH, MINUS, UNION or nested group.

It only explains a query that already failed, and says nothing where it is not sure.

Example::

    >>> rule_fault("SELECT * WHERE { ?s ?p ?x BIND(1 AS ?x) }", 41)  # doctest: +ELLIPSIS
    (26, 'BIND(… AS ?x) binds ?x, which its group binds before it, at 1:24: ...')
"""

from __future__ import annotations

from citykg.sparqltext import place
from citykg.sparqltokens import tokens

__all__ = ["rule_fault"]

_Token = tuple[str, int, int, str, int]  # kind, start, end, text, weight (see sparqltokens.tokens)
_NOT_SHORT = frozenset({"FILTER", "OPTIONAL", "BIND", "VALUES", "GRAPH", "MINUS", "UNION", "SERVICE"})


def rule_fault(text: str, offset: int) -> tuple[int, str] | None:
    """Where and what rule of SPARQL the query breaks, if it breaks one of the rules above where
    pyoxigraph stopped (``offset``): at the end of the query, or at the first thing the short
    CONSTRUCT form may not hold; else ``None``.

    :param text: the query, with its ``\\u`` escapes read.
    """
    read = [t for t in tokens(text) if t[0] != "comment"]
    short = _short_construct(read)
    if short is not None and short[0] <= offset:  # pyoxigraph stops there
        return short
    if any(start >= offset for _, start, *_ in read):
        return None  # pyoxigraph stopped before the end: a fault of the grammar, not of these rules
    return _select_twice(text, read) or _rebound(text, read)


def _short_construct(read: list[_Token]) -> tuple[int, str] | None:
    """A keyword or nested group in the short form ``CONSTRUCT WHERE { … }``."""
    words = [(i, t) for i, t in enumerate(read) if t[0] == "word"]
    form = next((n for n, (_, t) in enumerate(words) if t[3].upper() in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")),
                None)
    if form is None or words[form][1][3].upper() != "CONSTRUCT" or form + 1 >= len(words):
        return None
    at, where = words[form + 1]
    if where[3].upper() != "WHERE" or at != words[form][0] + 1:
        return None
    depth = 0
    for kind, start, _, word, _ in read[at + 1:]:
        depth += (kind == "open" and word == "{") - (kind == "close" and word == "}")
        nested = kind == "open" and word == "{" and depth > 1
        if nested or (kind == "word" and word.upper() in _NOT_SHORT and depth >= 1):
            what = "a nested group" if nested else word.upper()
            return start, (f"the short form CONSTRUCT WHERE {{ … }} holds triple patterns only, and this is "
                           f"{what}: write the long form, CONSTRUCT {{ ?s ?p ?o }} WHERE {{ … }}, with the "
                           "triples to return in the first braces.")
        if depth == 0 and kind == "close":
            break
    return None


def _select_twice(text: str, read: list[_Token]) -> tuple[int, str] | None:
    """A column that the outermost SELECT names twice (``SELECT ?x (1 AS ?x)``)."""
    depth, selecting, seen = 0, False, dict[str, int]()
    for i, (kind, start, _, word, _) in enumerate(read):
        if kind == "word" and word.upper() == "SELECT" and depth == 0:
            selecting = True
        elif not selecting:
            continue
        elif (kind == "open" and word == "{") or (kind == "word" and word.upper() in ("WHERE", "FROM") and not depth):
            return None
        elif kind in ("open", "close"):
            depth += 1 if kind == "open" else -1
        elif kind == "var" and (depth == 0 or _after_as(read, i)):
            if word[1:] in seen:
                return start, (f"SELECT names {word} twice (first at {place(text, seen[word[1:]])}): each column "
                               f"has one name; rename one, such as (… AS {word}2), or drop it.")
            seen[word[1:]] = start
    return None


def _after_as(read: list[_Token], i: int) -> bool:
    """Whether the token ``i`` follows AS: the name of an expression's value."""
    return i > 0 and read[i - 1][0] == "word" and read[i - 1][3].upper() == "AS"


def _rebound(text: str, read: list[_Token]) -> tuple[int, str] | None:
    """A BIND to a variable that its group already binds before it: in a pattern, VALUES, an
    earlier BIND or a group nested in it (not in a FILTER or other expression, EXISTS, MINUS or a
    sub-SELECT)."""
    if sum(1 for t in read if t[0] == "word" and t[3].upper() == "SELECT") > 1:
        return None  # a sub-SELECT binds only what it selects: not worth the risk of a wrong answer
    groups: list[tuple[dict[str, int], bool]] = []  # the variables each open group binds; whether it binds them
    parens, binding, values = 0, None, False  # binding: where the BIND being read started, its depth
    for i, (kind, start, _, word, _) in enumerate(read):
        upper = word.upper() if kind == "word" else ""
        if kind == "open" and word == "{":
            before = read[i - 1][3].upper() if i else ""
            groups.append(({}, before not in ("EXISTS", "MINUS")))
            values = False
        elif kind == "close" and word == "}" and groups:
            inner, binds = groups.pop()
            if groups and binds:
                groups[-1] = ({**inner, **groups[-1][0]}, groups[-1][1])
        elif kind in ("open", "close"):
            parens += 1 if kind == "open" else -1
            binding = None if kind == "close" and binding is not None and parens < binding[1] else binding
        elif upper == "BIND":
            binding = (start, parens + 1)
        elif upper == "VALUES":
            values = True
        elif kind == "var" and groups and binding is not None and _after_as(read, i):
            bound = groups[-1][0]
            if word[1:] in bound:
                return binding[0], (f"BIND(… AS {word}) binds {word}, which its group binds before it, at "
                                    f"{place(text, bound[word[1:]])}: SPARQL binds a variable once in a "
                                    f"group; bind a new name, such as {word}2, or BIND before {word} is bound.")
            bound[word[1:]] = start
        elif kind == "var" and groups and (parens == 0 or values):
            groups[-1][0].setdefault(word[1:], start)
    return None
