"""Name the habits of other languages that a refused query shows: SQL, Turtle, programming.

People write SPARQL with the reflexes of what they write every day, and pyoxigraph, which
knows only SPARQL's grammar, answers with what it would have taken there: ``AND`` between two
conditions is "expected ENCODE_FOR_URI", ``==`` a complaint about the end of the query.
:func:`habit_fault` reads the query's tokens up to where pyoxigraph stopped and names the first
habit it finds, with the SPARQL for it:

- SQL: ``AND``, ``OR``, ``NOT``, ``==``, ``<>``, ``LIKE``, ``NULL``, ``TOP``, ``FROM table``,
  commas in ORDER BY and GROUP BY, ``?x DESC``, ``?s as ?x``, HAVING without parentheses, ``IN``
  without them, a function SPARQL lacks (``STRCONTAINS``);
- Turtle: ``@prefix``, a PREFIX line ending in a dot, a namespace without ``<…>``, ``@en_US``, a
  datatype after one ``^``, commas in VALUES;
- programming: ``//``, ``/*`` and ``--`` comments, Markdown fences, ``1,000``;
- misplaced parts: FILTER or BIND after the pattern, BIND without AS, GROUP_CONCAT with a comma,
  MINUS, EXISTS and OPTIONAL without a group, GRAPH without a name, a SELECT that lists nothing,
  keywords misspelt in the SELECT line (``WHRE``, ``DISTINC``).

It only explains a query that already failed, and says nothing where it is not sure.

Example::

    >>> text = 'SELECT * WHERE { ?s ckg:code ?c FILTER(?c = "W3" AND ?c != "W4") }'
    >>> habit_fault(text, 50)
    (49, 'SPARQL joins conditions with && (and), || (or) and ! (not), not with the word AND.')
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from citykg.sparqltokens import tokens

__all__ = ["habit_fault"]

_Token = tuple[str, int, int, str, int]  # kind, start, end, text, weight (see sparqltokens.tokens)
_OPERANDS = frozenset({"var", "iri", "pname", "string", "number", "close", "lang"})
# The functions and keywords that may stand before "(" in an expression (SPARQL 1.1, RDF 1.2)
_CALLABLE = frozenset({"STR", "LANG", "LANGMATCHES", "LANGDIR", "DATATYPE", "BOUND", "IRI", "URI", "BNODE", "RAND",
    "ABS", "CEIL", "FLOOR", "ROUND", "CONCAT", "STRLEN", "UCASE", "LCASE", "ENCODE_FOR_URI", "CONTAINS", "STRSTARTS",
    "STRENDS", "STRBEFORE", "STRAFTER", "YEAR", "MONTH", "DAY", "HOURS", "MINUTES", "SECONDS", "TIMEZONE", "TZ",
    "NOW", "UUID", "STRUUID", "MD5", "SHA1", "SHA256", "SHA384", "SHA512", "COALESCE", "IF", "STRLANG", "STRLANGDIR",
    "STRDT", "SAMETERM", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "ISTRIPLE", "TRIPLE", "SUBJECT",
    "PREDICATE", "OBJECT", "HASLANG", "HASLANGDIR", "REGEX", "SUBSTR", "REPLACE", "ADJUST", "EXISTS", "NOT", "IN",
    "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT", "DISTINCT", "ASC", "DESC", "SELECT"})
_AGGREGATES = frozenset({"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"})
# Words that stand alone in an expression (or a list in parentheses)
_BARE = frozenset({"AS", "IN", "NOT", "EXISTS", "DISTINCT", "SEPARATOR", "UNDEF", "TRUE", "FALSE", "A", "SELECT",
                   "WHERE", "AND", "OR", "LIKE", "NULL", "IS"})
_SQL_WORDS = {
    "AND": "SPARQL joins conditions with && (and), || (or) and ! (not), not with the word AND.",
    "OR": "SPARQL joins conditions with || (or), && (and) and ! (not), not with the word OR.",
    "LIKE": 'SPARQL has no LIKE: test text with CONTAINS(?label, "Tab"), STRSTARTS(?label, "Tab") or '
            'REGEX(?label, "^tab", "i").',
    "NULL": "SPARQL has no NULL: a variable that matched nothing (in an OPTIONAL) is unbound; test it with "
            "BOUND(?x), or !BOUND(?x) for none.",
    "IS": "SPARQL has no IS NULL: a variable that matched nothing (in an OPTIONAL) is unbound; test it with "
          "!BOUND(?x), or BOUND(?x) for one that did.",
}
_COMMENT = "SPARQL comments start with # and run to the end of the line: write # instead of {}."


@dataclass
class _State:
    """What the tokens read so far have opened: brackets (each with the word before it), the
    clause of the query's own level, and what that clause has seen."""

    brackets: list[tuple[str, str]] = field(default_factory=list)
    clause: str = ""  # SELECT, WHERE, ORDER, GROUP, HAVING … at the query's level
    after_pattern: bool = False  # the WHERE group has closed
    named: list[bool] = field(default_factory=list)  # for each bracket: AS was seen in it
    values: bool = False  # after VALUES, before its block
    prologue: int = 0  # how far a PREFIX line has come: 1 PREFIX, 2 its name (or BASE), 3 its IRI

    @property
    def in_expression(self) -> bool:
        return bool(self.brackets) and self.brackets[-1][0] == "("

    @property
    def in_values(self) -> bool:
        return bool(self.brackets) and self.brackets[-1] == ("{", "VALUES")

    @property
    def top(self) -> bool:
        return not self.brackets


def habit_fault(text: str, offset: int) -> tuple[int, str] | None:
    """Where and what the habit of another language is, at or before ``offset`` (where pyoxigraph
    stopped), or ``None`` if none of the usual ones is there.

    :param text: the query, with its ``\\u`` escapes read.
    """
    if re.match(r"\s*query=", text):
        return text.index("query="), ("the text starts with query=, as a web form sends it: remove query= (and, if "
                                      "it holds %20 and the like, decode the rest).")
    if re.match(r"\s*[A-Za-z]+(?:%20|\+)", text) and not re.search(r"\s", text.strip()):
        return 0, "the query is URL-encoded (%20 for a space, %3F for ?): decode it first."
    read = [t for t in tokens(text) if t[0] != "comment"]
    state = _State()
    for i, token in enumerate(read):
        if token[1] > offset:
            break
        before = read[i - 1] if i else ("", -1, -1, "", 0)
        after = read[i + 1] if i + 1 < len(read) else ("", len(text), len(text), "", 0)
        fault = _habit(text, token, before, after, read[i + 2] if i + 2 < len(read) else None, state)
        if fault is not None:
            return fault
        _advance(state, token, before)
    if state.brackets and state.brackets[-1] == ("(", "BIND") and not state.named[-1]:  # it stopped inside
        return offset, "BIND names its value with AS: BIND(UCASE(?label) AS ?upper)."
    return None


def _habit(text: str, token: _Token, before: _Token, after: _Token, later: _Token | None,
           state: _State) -> tuple[int, str] | None:
    """The habit that ``token`` (between ``before`` and ``after``) shows, if any."""
    kind, start, end, word, _ = token
    upper = word.upper() if kind in ("word", "lang") else ""
    touching = after[1] == end  # the next token follows with no space
    line_start = not text[text.rfind("\n", 0, start) + 1:start].strip()
    if kind == "operator" and word == "/" and touching and after[3] in ("/", "*") and not (
            before[2] == start and before[3].endswith(":")):  # (not the // of http:// in a broken IRI)
        return start, _COMMENT.format(f"{word}{after[3]}")
    if kind == "unary" and word == "--" and line_start:
        return start, _COMMENT.format("--")
    if kind == "mark" and word == "`" and line_start:
        return start, "remove the ``` lines around the query: they are Markdown, not SPARQL."
    if kind == "lang" and upper in ("@PREFIX", "@BASE"):
        return start, (f"SPARQL writes {upper[1:]} without the @ and without a dot at the end of the line "
                       "(that is Turtle): PREFIX foaf: <http://xmlns.com/foaf/0.1/>.")
    if upper in ("PREFIX", "BASE") and kind == "word" and state.clause:
        return start, f"{upper} lines go at the top of the query, before SELECT (or CONSTRUCT, ASK, DESCRIBE)."
    if upper in ("PREFIX", "BASE") and kind == "word":
        return _prologue_fault(upper, after, later)
    if kind == "mark" and word == "." and state.prologue == 3:
        return start, "a PREFIX or BASE line takes no dot at its end (Turtle's lines do): remove it."
    if kind == "mark" and word == "=" and touching and after[3] == "=":
        return start, "SPARQL compares with a single =: FILTER(?code = \"W3\")."
    if kind == "mark" and word == "<" and touching and after[3] == ">":
        return start, "SPARQL writes not equal as !=: FILTER(?code != \"W3\")."
    if state.in_expression and kind == "word" and upper in _SQL_WORDS:
        return start, _SQL_WORDS[upper]
    if state.in_expression and kind == "word" and upper == "NOT" and after[3].upper() not in ("EXISTS", "IN"):
        return start, "SPARQL negates a condition with !, as in !CONTAINS(?label, \"x\"); NOT only comes before " \
                      "EXISTS { … } and IN ( … )."
    if kind == "word" and upper == "DISTINCT" and (after[3] == ")" or after[3].upper() in _AGGREGATES):
        return start, "DISTINCT goes inside an aggregate, before what it counts: (COUNT(DISTINCT ?s) AS ?n)."
    if kind == "word" and upper == "IN" and before[0] in _OPERANDS and after[3] != "(":
        return start, 'IN takes its list in parentheses: ?code IN ("W3", "W4").'
    if state.in_expression and kind == "word" and after[3] != "(" and upper not in _BARE:
        return start, (f"{word} is neither a variable nor a value: write a string in quotes (\"{word}\"), a "
                       f"variable (?{word}) or an IRI (<…> or ckg:{word}).")
    if state.in_values and kind == "var":
        return start, "VALUES holds values (strings, numbers, IRIs, UNDEF), not variables."
    if kind == "word" and after[3] == "(" and upper not in _CALLABLE and (
            state.in_expression or (state.top and state.clause in ("ORDER", "HAVING"))):
        return start, _unknown_function(word, ordering=state.clause == "ORDER" and state.top)
    if state.top:
        fault = _clause_fault(token, before, after, state)
        if fault is not None:
            return fault
    if kind == "mark" and word == "," and state.in_values:
        return start, "VALUES lists its values with spaces between, not commas: VALUES ?code { \"W3\" \"W4\" }."
    if kind == "mark" and word == "," and state.brackets and state.brackets[-1] == ("(", "GROUP_CONCAT"):
        return start, 'GROUP_CONCAT takes its separator after a semicolon: GROUP_CONCAT(?label; SEPARATOR=", ").'
    if kind == "word" and upper == "VALUES" and after[0] == "var" and later is not None and later[0] == "var":
        return start, "VALUES puts several variables in parentheses, and each row too: VALUES (?a ?b) { (1 2) }."
    if kind == "word" and upper in ("MINUS", "EXISTS", "OPTIONAL") and after[3] != "{":
        return start, f"{upper} takes a group in braces: {upper} {{ ?s ?p ?o }}."
    if kind == "word" and upper == "GRAPH" and after[3] == "{":
        return start, "GRAPH names the graph before its group: GRAPH ?g { ?s ?p ?o }, or GRAPH <…> { … }."
    if kind == "word" and upper == "AS" and state.brackets and state.brackets[-1] == ("(", "BIND") \
            and after[0] != "var":
        return start, "BIND takes the expression first, then AS and the variable: BIND(UCASE(?label) AS ?upper)."
    if kind == "close" and word == ")" and state.brackets and state.brackets[-1] == ("(", "BIND") \
            and not state.named[-1]:
        return start, "BIND names its value with AS: BIND(UCASE(?label) AS ?upper)."
    return _literal_fault(text, token, before, after, later, state)


def _prologue_fault(upper: str, after: _Token, later: _Token | None) -> tuple[int, str] | None:
    """A PREFIX or BASE line written as Turtle has it, or without its colon or angle brackets."""
    if upper == "PREFIX" and after[0] == "word":
        return after[1], f"a prefix's name ends with a colon: PREFIX {after[3]}: <…>."
    if upper == "PREFIX" and after[0] == "pname" and later is not None and later[0] != "iri":
        if later[0] == "pname" and later[3].split(":", 1)[0].lower() in ("http", "https"):
            return later[1], f"the namespace goes in angle brackets: PREFIX {after[3]} <http://…/>."
        if later[3] != "<":
            return later[1], f"PREFIX takes the namespace in angle brackets: PREFIX {after[3]} <http://…/>."
    return None


def _clause_fault(token: _Token, before: _Token, after: _Token, state: _State) -> tuple[int, str] | None:
    """A habit at the query's own level: in its SELECT line, FROM, ORDER BY, GROUP BY, HAVING, or a
    part of a group written after the group."""
    kind, start, _, word, _ = token
    upper = word.upper() if kind == "word" else ""
    if state.clause == "SELECT" and kind == "word":
        if upper == "TOP":
            return start, "SPARQL has no TOP: end the query with LIMIT 10 instead."
        if upper == "AS":
            return start, "SELECT renames in parentheses: SELECT (?s AS ?city)."
        if upper == "WHERE" and before[3].upper() in ("SELECT", "DISTINCT", "REDUCED"):
            return start, "SELECT lists the variables it returns, or * for all: SELECT * WHERE { … }."
        if upper not in ("DISTINCT", "REDUCED", "WHERE", "FROM") and (
                close := difflib.get_close_matches(upper, ("WHERE", "DISTINCT", "REDUCED", "FROM"), n=1, cutoff=0.75)):
            return start, f"{word} is not a keyword of SPARQL; did you mean {close[0]}?"
    if state.clause == "SELECT" and word == ".":
        return start, "the SELECT line ends with no dot: SELECT ?s ?label WHERE { … }."
    if (state.clause == "SELECT" and word in ("?", "$")) or word == "$":
        return start, f"a variable's name follows its {word} with no space: SELECT ?label."
    if state.clause == "SELECT" and word == "{" and before[3].upper() in ("SELECT", "DISTINCT", "REDUCED"):
        return start, "SELECT lists the variables it returns, or * for all: SELECT * WHERE { … }."
    if upper == "FROM" and after[0] == "word" and after[3].upper() != "NAMED":
        return after[1], (f"FROM names a graph by its IRI (FROM <https://w3id.org/citykg/graph/mashhad-oic>), not a "
                          f"table: SPARQL finds {after[3]} in triple patterns, such as "
                          "SELECT * WHERE { ?city a ckg:City }.")
    if state.clause in ("ORDER", "GROUP") and kind == "mark" and word == ",":
        return start, f"{state.clause} BY lists its keys with spaces between, not commas: {state.clause} BY ?a ?b."
    if state.clause == "ORDER" and upper in ("ASC", "DESC") and after[3] != "(":
        key = after[3] if after[0] == "var" else before[3] if before[0] == "var" else "?x"
        return start, f"{upper} takes its key in parentheses: ORDER BY {upper}({key})."
    if state.clause == "HAVING" and before[3].upper() == "HAVING" and word != "(":
        return start, "HAVING takes its condition in parentheses: HAVING (COUNT(?s) > 2)."
    if state.after_pattern and upper in ("FILTER", "BIND", "OPTIONAL", "MINUS"):
        return start, f"{upper} goes inside the braces of WHERE {{ … }}, with the patterns it works on."
    return None


def _literal_fault(text: str, token: _Token, before: _Token, after: _Token, later: _Token | None,
                   state: _State) -> tuple[int, str] | None:
    """A language tag, datatype or number written as another language has it."""
    kind, start, end, word, _ = token
    touching = after[1] == end
    if kind == "var" and touching and after[0] == "lang":
        return after[1], (f"a language tag goes on a literal, not on a variable: test {word}'s with "
                          f"LANGMATCHES(LANG({word}), \"{after[3][1:]}\").")
    if kind == "var" and touching and after[3] == "-" and later is not None and later[0] == "word" \
            and later[1] == after[2]:
        return start, f"a variable's name holds letters, digits and _ only: write {word}_{later[3]}."
    if kind == "lang" and touching and after[0] == "word" and after[3].startswith("_"):
        return start, f"a language tag joins its parts with -, not _: {word}-{after[3][1:]}."
    if kind == "string" and touching and after[3] == "^" and (later is None or later[3] != "^"
                                                              or later[1] != after[2]):
        return after[1], 'a datatype follows two carets: "2020"^^xsd:integer.'
    if kind == "string" and touching and after[3] == "@":
        return after[1], 'a language tag follows the @ with no space: "Tabriz"@en.'
    if kind == "number" and state.in_expression and before[3] in ("<", ">", "=", "+", "-", "*", "/") and touching \
            and after[3] == "," and later is not None and later[0] == "number" and later[1] == after[2] \
            and len(later[3]) == 3:
        number = re.match(r"[0-9]+(?:,[0-9]{3})+", text[start:])
        digits = number.group().replace(",", "") if number else word + later[3]
        return start, f"SPARQL numbers have no thousands separators: write {digits}."
    return None


def _unknown_function(word: str, *, ordering: bool) -> str:
    if ordering:
        close = difflib.get_close_matches(word.upper(), ("ASC", "DESC"), n=1, cutoff=0.5)
        return f"{word} is not a function of SPARQL: ORDER BY takes " + (f"{close[0]}(…)." if close else
                                                                           "ASC(…) or DESC(…).")
    close = difflib.get_close_matches(word.upper(), sorted(_CALLABLE - {"SELECT", "ASC", "DESC"}), n=1, cutoff=0.6)
    return f"{word} is not a function of SPARQL" + (f"; did you mean {close[0]}?" if close else
                                                    " (see section 17.4 of SPARQL 1.1 for those it has).")


def _advance(state: _State, token: _Token, before: _Token) -> None:
    """Follow the brackets and the query-level clauses past ``token``."""
    kind, _, _, word, _ = token
    upper = word.upper() if kind == "word" else ""
    state.prologue = (1 if upper == "PREFIX" else 2 if upper == "BASE" or (kind == "pname" and state.prologue == 1)
                      else 3 if kind == "iri" and state.prologue == 2 else 0)
    if kind == "open":
        if not state.brackets and word == "{" and state.clause == "SELECT":
            state.clause = "WHERE"  # SELECT * { … }
        opener = "VALUES" if state.values and word == "{" else before[3].upper() if before[0] == "word" else ""
        state.values = state.values and word != "{"
        state.brackets.append((word, opener))
        state.named.append(False)
    elif kind == "close":
        if state.brackets:
            state.brackets.pop()
            state.named.pop()
        if not state.brackets and word == "}" and state.clause in ("WHERE", "SELECT", "ASK", ""):
            state.after_pattern, state.clause = True, "PATTERN"
    elif upper == "AS" and state.named:
        state.named[-1] = True
    elif upper == "VALUES":
        state.values = True
    elif state.top and upper in ("SELECT", "WHERE", "ORDER", "GROUP", "HAVING", "LIMIT", "OFFSET", "VALUES",
                                 "CONSTRUCT", "DESCRIBE", "ASK"):
        state.clause = upper
