"""Name the mistake in the shape of a query pyoxigraph refused: the faults people make most.

pyoxigraph reports where it gave up and what its grammar would have taken there, which for a
mistake in a query's shape reads like a riddle: a triple pattern without its closing dot is
"expected OPTIONAL", one without an object "expected one of LATERAL or SERVICE", a comma between
selected variables "expected DISTINCT". :func:`shape_fault` reads the query's tokens up to that
point and names, where it finds one:

- a misspelt keyword in a group (``FILTR(?x)``), or after the pattern (``LIMT 3``);
- a triple pattern with a fourth part (its dot left out), or one that ends before its object;
- in SELECT, a comma, a name without its ``?``, an aggregate without ``( … AS ?name)``;
- FILTER without parentheses around its condition;
- UNION without a group in braces on each side;
- modifiers out of order (``LIMIT 5 ORDER BY ?x``), ORDER or GROUP without BY;
- a variable selected beside an aggregate but not grouped.

It only explains a query that already failed, and says nothing where it is not sure.

Example::

    >>> text = "SELECT * WHERE { ?s ?p ?o ?a ?b ?c }"
    >>> shape_fault(text, 34, "OPTIONAL")[1]  # doctest: +ELLIPSIS
    "?a would be a fourth part of the triple pattern at 1:18 ... end that pattern with ' .' first."
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from citykg.sparqltext import place
from citykg.sparqltokens import tokens

__all__ = ["shape_fault"]

_Token = tuple[str, int, int, str, int]  # kind, start, end, text, weight (see sparqltokens.tokens)
# The parts of a triple pattern: a term, or (an "open" token) a bracket that holds one
_TERMS = frozenset({"var", "iri", "relative", "pname", "bnode", "string", "number"})
_LITERAL_WORDS = frozenset({"a", "true", "false"})
_MODIFIERS = {"GROUP": 0, "HAVING": 1, "ORDER": 2, "LIMIT": 3, "OFFSET": 3}
_AGGREGATES = frozenset({"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"})
_TRIPLE = "a pattern is a subject, a predicate and an object"


def shape_fault(text: str, offset: int, expected: str) -> tuple[int, str] | None:
    """Where and what the mistake in a query's shape is, at or before ``offset`` (where pyoxigraph
    stopped, having ``expected`` what it lists), or ``None`` if none of the usual ones is there.

    :param text: the query, with its ``\\u`` escapes read.
    """
    read = [t for t in tokens(text) if t[0] != "comment"]
    seen = [t for t in read if t[1] <= offset]
    faults: tuple[Callable[[], tuple[int, str] | None], ...] = (  # the first found, in this order
        lambda: _keyword_fault(read, seen), lambda: _pattern_fault(text, seen), lambda: _select_fault(read, seen),
        lambda: _filter_fault(read, seen), lambda: _union_fault(read, seen), lambda: _trailing_fault(read, seen),
        lambda: _modifier_fault(seen), lambda: _grouping_fault(read, expected))
    return next((fault for find in faults if (fault := find()) is not None), None)


@dataclass
class _Group:
    """An open ``{``: the parts of the triple pattern being read in it (``None`` after a keyword
    such as FILTER, until the pattern's end), where it started, and what the next term does."""

    parts: int | None = 0
    start: int = 0
    joins: bool = False  # the next term continues the last part (a path's / or |, a literal's ^^)
    listed: bool = False  # after ";": a pattern may end with its subject alone
    sep: tuple[int, str] | None = None  # the last ";" or "," of the pattern being read


def _pattern_fault(text: str, seen: list[_Token]) -> tuple[int, str] | None:
    """A triple pattern with a fourth part, or one that ends (at ``.`` or ``}``) before its object."""
    stack: list[_Group | None] = []  # None: a bracket that holds no patterns (an expression, a list …)
    values = False
    prev = ("", "")
    for kind, start, end, word, _ in seen:
        group = stack[-1] if stack else None
        if kind == "open":
            term = group is not None and group.parts is not None and word != "{"
            if term:
                fault = _count(text, group, start, word)  # type: ignore[arg-type]
                if fault:
                    return fault
            elif group is not None and word == "{":
                group.parts = None  # OPTIONAL { …, GRAPH ?g { …: the outer pattern starts anew after it
            holds = word == "{" and not values and not text.startswith("|", end)
            stack.append(_Group() if holds else None)
            values = values and word != "{"
        elif kind == "close":
            if group is not None and word == "}" and (fault := _unfinished(text, group)):
                return fault
            if stack:
                stack.pop()
            outer = stack[-1] if stack else None
            if outer is not None and (outer.parts is None or word == "}"):
                outer.parts, outer.listed = 0, False  # after FILTER( … ) or OPTIONAL { … }
        elif group is None:
            values = values or (kind == "word" and word.upper() == "VALUES")
        elif kind in _TERMS or (kind == "word" and word in _LITERAL_WORDS):
            if group.parts is not None and (fault := _count(text, group, start, word)):
                return fault
        elif kind == "word":
            group.parts = None
            values = values or word.upper() == "VALUES"
        elif word in ".;,":
            if word == "." and (fault := _unfinished(text, group)):
                return fault
            if word == ".":
                group.parts, group.listed, group.sep = 0, False, None
            elif group.parts is not None:  # the next part is a predicate (after ;) or an object (after ,)
                group.parts, group.listed = (1, True) if word == ";" else (2, False)
                group.sep = (start, word)
        elif word in ("/", "|") or (word == "^" and (prev[0] == "string" or prev[1] == "^")):
            group.joins = True
        prev = (kind, word)
    return None


def _count(text: str, group: _Group, start: int, word: str) -> tuple[int, str] | None:
    """Count one more part of the pattern being read in ``group``: a fourth one is a fault."""
    if group.parts is None:
        return None
    if group.joins:
        group.joins = False
        return None
    group.parts += 1
    if group.parts == 1:
        group.start, group.listed, group.sep = start, False, None
    if group.parts == 4 and group.sep is not None:
        at, sep = group.sep
        goes_on = "a predicate and an object of the same subject" if sep == ";" else \
            "another object of the same subject and predicate"
        return at, (f"after this {sep} come {goes_on}, but {_cut(word)} starts a pattern of its own: write . "
                    f"instead of {sep} to end the pattern before it.")
    if group.parts == 4:
        return start, (f"{_cut(word)} would be a fourth part of the triple pattern at {place(text, group.start)} "
                       f"({_TRIPLE}): end that pattern with ' .' first.")
    return None


def _unfinished(text: str, group: _Group) -> tuple[int, str] | None:
    """A pattern that ends with a subject alone (not after ``;``) or without its object."""
    if group.parts == 2 and group.sep is not None and group.sep[1] == ",":
        return group.sep[0], "this , announces another object, but none follows: remove it."
    if group.parts == 2 or (group.parts == 1 and not group.listed):
        lacking = "object" if group.parts == 2 else "predicate and no object"
        return group.start, f"the triple pattern that starts here has no {lacking}: {_TRIPLE}."
    return None


def _select_fault(read: list[_Token], seen: list[_Token]) -> tuple[int, str] | None:
    """A comma between what SELECT returns, a name without its ``?``, a function there without
    ``( … AS ?name)``, or an expression in parentheses without ``AS``."""
    depth, selecting, opened, named = 0, False, 0, False
    for i, (kind, start, _, word, _) in enumerate(seen):
        upper = word.upper()
        after = read[i + 1][3] if i + 1 < len(read) else ""
        if kind == "word" and upper == "SELECT":
            selecting, depth = True, 0
        elif not selecting:
            continue
        elif kind == "open":
            if word == "{":
                selecting = False
            depth += 1
            opened, named = (start, False) if depth == 1 else (opened, named)
        elif kind == "close":
            depth -= 1
            if depth == 0 and not named:
                return opened, ("an expression in SELECT names its value with AS: (COUNT(?s) AS ?n); "
                                "this one has no AS.")
        elif depth == 1 and kind == "word" and upper == "AS":
            named = True
        elif depth == 0 and kind == "word" and upper in ("WHERE", "FROM"):
            selecting = False
        elif depth == 0 and word == ",":
            return start, "SELECT lists what it returns with spaces between, not commas: SELECT ?a ?b."
        elif depth == 0 and kind == "word" and after == "(":
            name = "?n" if upper == "COUNT" else f"?{word.lower()}"
            return start, (f"an expression in SELECT goes in parentheses, with a name for its value: "
                           f"({word}(…) AS {name}).")
        elif depth == 0 and kind == "word" and upper not in ("DISTINCT", "REDUCED"):
            return start, f"{_cut(word)} is not a variable: write ?{_cut(word)}."
    return None


# Words a group pattern may hold before "(" or "{"; and those a user most likely meant
_GROUP_WORDS = frozenset({"FILTER", "OPTIONAL", "BIND", "VALUES", "MINUS", "GRAPH", "SERVICE", "UNION", "EXISTS",
                          "NOT", "LATERAL", "SELECT", "WHERE", "DISTINCT", "REDUCED", "A", "TRUE", "FALSE", "UNDEF"})
_MEANT = ("FILTER", "OPTIONAL", "BIND", "VALUES", "MINUS", "GRAPH", "UNION", "EXISTS")
_AFTER_PATTERN = frozenset({"GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC", "LIMIT", "OFFSET", "VALUES", "WHERE"})


def _keyword_fault(read: list[_Token], seen: list[_Token]) -> tuple[int, str] | None:
    """A word in a group, before ``(`` or ``{``, that is no keyword (FILTR): a misspelt one."""
    brackets: list[tuple[str, bool]] = []  # each open bracket, and whether it holds a subquery
    for i, (kind, start, _, word, _) in enumerate(seen):
        if kind == "open":
            brackets.append((word, False))
        elif kind == "close":
            if brackets:
                brackets.pop()
        elif kind == "word" and brackets and brackets[-1][0] == "{":
            upper = word.upper()
            if upper == "SELECT":
                brackets[-1] = ("{", True)  # its modifiers call functions: ORDER BY STR(?x)
            after = read[i + 1][3] if i + 1 < len(read) else ""
            before = read[i - 1][3].upper() if i else ""
            if after in ("(", "{") and upper not in _GROUP_WORDS and before not in ("FILTER", "NOT") \
                    and not brackets[-1][1]:
                close = difflib.get_close_matches(upper, _MEANT, n=1, cutoff=0.6)
                return start, (f"{_cut(word)} is not a keyword of SPARQL" + (f"; did you mean {close[0]}?" if close else
                               ": a group holds triple patterns, FILTER, OPTIONAL, BIND, VALUES, MINUS, GRAPH "
                               "and UNION."))
    return None


def _trailing_fault(read: list[_Token], seen: list[_Token]) -> tuple[int, str] | None:
    """A word after the query's pattern that is none of its modifiers (LIMT 3, or garbage)."""
    depth, after_pattern = 0, False
    for i, (kind, start, _, word, _) in enumerate(seen):
        depth += (kind == "open") - (kind == "close")
        after_pattern = after_pattern or (kind == "close" and word == "}" and depth == 0)
        following = read[i + 1][3] if i + 1 < len(read) else ""
        if depth == 0 and kind == "word" and word.upper() in ("LIMIT", "OFFSET") and not following.isdigit():
            return start, f"{word.upper()} takes a whole number: {word.upper()} 10."
        if after_pattern and depth == 0 and kind == "mark" and word in ";,.":
            return start, (f"{word!r} cannot follow a query's pattern: a query is one statement, with no "
                           "separator after it; remove it (and send another query on its own).")
        if after_pattern and depth == 0 and word.upper() in ("ORDER", "GROUP") and following.upper() != "BY":
            return start, f"{word.upper()} is followed by BY and what to sort or group by: {word.upper()} BY ?x."
        if after_pattern and depth == 0 and kind == "word" and word.upper() not in _AFTER_PATTERN and following != "(":
            close = difflib.get_close_matches(word.upper(), ("GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"),
                                              n=1, cutoff=0.6)
            return start, (f"{_cut(word)} is not one of what may follow a query's pattern: GROUP BY, HAVING, "
                           "ORDER BY, LIMIT, OFFSET, VALUES" + (f"; did you mean {close[0]}?" if close else "."))
    return None


def _filter_fault(read: list[_Token], seen: list[_Token]) -> tuple[int, str] | None:
    """FILTER followed by a variable, a literal or an operator: its condition lacks parentheses."""
    for i, (kind, start, _, word, _) in enumerate(seen):
        if kind == "word" and word.upper() == "FILTER" and i + 1 < len(read):
            after = read[i + 1]
            if after[0] in ("var", "string", "number", "unary") or after[3] in ("!", "<", ">", "="):
                return start, "FILTER takes its condition in parentheses: FILTER(?x > 3)."
    return None


def _union_fault(read: list[_Token], seen: list[_Token]) -> tuple[int, str] | None:
    """UNION without a group in braces before or after it."""
    for i, (kind, start, _, word, _) in enumerate(seen):
        if kind == "word" and word.upper() == "UNION":
            before = read[i - 1][3] if i else ""
            after = read[i + 1][3] if i + 1 < len(read) else ""
            if before != "}" or after != "{":
                return start, "UNION joins two groups, each in braces: { ?s ?p ?o } UNION { ?s ?q ?o }."
    return None


def _modifier_fault(seen: list[_Token]) -> tuple[int, str] | None:
    """GROUP BY, HAVING, ORDER BY, LIMIT and OFFSET after the query's pattern, out of order."""
    depth, latest = 0, ("", -1)
    for kind, start, _, word, _ in seen:
        depth += (kind == "open") - (kind == "close")
        rank = _MODIFIERS.get(word.upper(), -1) if kind == "word" and depth == 0 else -1
        if 0 <= rank < latest[1]:
            return start, (f"{word.upper()}{' BY' if rank in (0, 2) else ''} comes before {latest[0]}: a query's "
                           "modifiers go in the order GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET.")
        if rank >= 0:
            latest = (f"{word.upper()}{' BY' if rank in (0, 2) else ''}", rank)
    return None


def _grouping_fault(read: list[_Token], expected: str) -> tuple[int, str] | None:
    """A variable selected beside an aggregate, which GROUP BY does not name."""
    if "variable that is unbound" not in expected:
        return None
    depth, clause, selected, grouped, aggregate = 0, "", [], set(), ""
    for kind, start, _, word, _ in read:
        upper = word.upper() if kind == "word" else ""
        if kind in ("open", "close"):
            depth += 1 if kind == "open" else -1
            clause = "" if word == "{" and clause == "select" else clause
        elif upper in ("SELECT", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "WHERE"):
            clause = upper.lower() if depth == 0 or upper == "SELECT" else clause
        elif clause == "select" and kind == "var" and depth == 0:
            selected.append((start, word))
        elif clause == "group" and kind == "var":
            grouped.add(word[1:])
        aggregate = aggregate or (upper if upper in _AGGREGATES else "")
    loose = [(start, name) for start, name in selected if name[1:] not in grouped]
    if not (aggregate or grouped) or not loose:
        return None
    start, name = loose[0]
    if not aggregate:
        return start, (f"{name} is selected but not grouped: with GROUP BY, a query selects the variables it "
                       f"groups by and aggregates; add {name} to GROUP BY, or select (SAMPLE({name}) AS {name}1).")
    return start, (f"{name} is selected beside an aggregate ({aggregate}) but not grouped: add GROUP BY {name}, "
                   f"or select an aggregate of it, such as (SAMPLE({name}) AS {name}1).")


def _cut(word: str) -> str:
    return word if len(word) <= 40 else word[:39] + "…"
