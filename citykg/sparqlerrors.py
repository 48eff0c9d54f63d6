"""Explain pyoxigraph's syntax errors: what is wrong in a query, and where, in plain words.

pyoxigraph says where it gave up and lists what it expected there, in its grammar's terms
(``expected one of "(", ['A' ..= 'Z' | …], …``). :func:`explain_syntax_error` finds the usual
faults behind such an error (an undeclared prefix, a misspelt query form, a relative IRI without a
BASE, a string or bracket left open, a bracket that closes nothing, a no-break space or a
typographic quote from pasted text) and says what to do; else it
says what pyoxigraph expected, in words and cut short. ``citykg query`` and ``citykg serve`` give
the same message.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import NamedTuple, NoReturn

from citykg.errors import QuerySyntaxError
from citykg.iris import PREFIXES
from citykg.sparqlhabits import habit_fault
from citykg.sparqlhints import shape_fault
from citykg.sparqlrules import rule_fault
from citykg.sparqltext import (
    ABSOLUTE_IRI,
    PROLOGUE,
    QUERY_FORMS,
    UPDATE_FORMS,
    noise_spans,
    place,
    read_escapes,
    strip_noise,
)
from citykg.sparqltokens import token_pattern
from citykg.sparqltokens import tokens as query_tokens

__all__ = ["explain_syntax_error", "explain_unsupported", "raise_unsupported"]

# pyoxigraph's syntax errors: "error at LINE:COLUMN: expected …", where "…" lists keywords,
# quoted tokens and Rust character classes such as ['A' ..= 'Z' | 'a' ..= 'z' | '\u{00C0}'..].
_SYNTAX = re.compile(r"error at (\d+):(\d+): (?:expected )?(?:one of )?(.*)", re.DOTALL)
_EXPECTED = re.compile(r'"(?:[^"\\]|\\.)*"|\[(?:\'(?:[^\'\\]|\\.)*\'|[^\]\'])*\]|[^,\s][^,]*')
_BASE_BEFORE = re.compile(r"BASE\s*\Z", re.IGNORECASE)
_CLASS_PART = re.compile(r"'((?:[^'\\]|\\.)*)'(\s*\.\.=\s*'(?:[^'\\]|\\.)*')?")
# Characters SPARQL allows nowhere outside strings, IRIs and comments, that pasted text brings:
# control characters, spaces other than U+0020 (no-break, ideographic, zero-width …) and
# typographic quotes.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile("[\u00a0\u2000-\u200b\u2028\u2029\u202f\u205f\u3000]")
_QUOTES = re.compile("[\u00ab\u00bb\u2018-\u201f\u2039\u203a]")


class _Failed(NamedTuple):
    """A query pyoxigraph refused: its text (``\\u`` escapes read), that text without strings,
    IRIs and comments, its tokens, the offset pyoxigraph stopped at, and what it expected there."""

    text: str
    cleaned: str
    tokens: list[re.Match[str]]
    offset: int
    expected: str


_UNKNOWN_FUNCTION = re.compile(r"^The custom function (<[^>]*>) is not supported")


def explain_unsupported(error: RuntimeError) -> str | None:
    """A message for a query pyoxigraph parses but will not run (a function it does not have), or
    ``None`` for any other failure, which is citykg's to fix.

    >>> print(explain_unsupported(RuntimeError("The custom function <http://x/f> is not supported")))
    ... # doctest: +ELLIPSIS
    The query calls the function <http://x/f>, which citykg does not have: use SPARQL 1.1's own functions ...
    """
    found = _UNKNOWN_FUNCTION.match(str(error))
    if not found:
        return None
    return (f"The query calls the function {found.group(1)}, which citykg does not have: use SPARQL 1.1's "
            "own functions (STR, CONCAT, REGEX, YEAR …) and casts to XSD types, such as xsd:integer(?x).")


def raise_unsupported(error: RuntimeError) -> NoReturn:
    """Raise a :class:`~citykg.errors.QuerySyntaxError` for a query pyoxigraph will not run, or
    ``error`` itself for any other failure."""
    message = explain_unsupported(error)
    if message is None:
        raise error
    raise QuerySyntaxError(message) from error


def explain_syntax_error(error: BaseException | str, query: str) -> str:
    """A message for a query pyoxigraph cannot parse, saying what is wrong and where.

    It names an undeclared prefix, a misspelt query form, a relative IRI without a BASE, a
    string or bracket left open, a bracket that closes nothing, or a control character, unusual
    space or typographic quote outside strings, the habits of other languages
    (:mod:`citykg.sparqlhabits`) and the slips in a query's shape (:mod:`citykg.sparqlhints`);
    else it says what pyoxigraph expected, in words and cut short.

    >>> from pyoxigraph import Store
    >>> def explain(text: str) -> str:
    ...     try:
    ...         return str(Store().query(text))
    ...     except SyntaxError as exc:
    ...         return explain_syntax_error(exc, text)
    >>> explain("SELECT * WHERE { ?s foaf:name ?o }")  # doctest: +ELLIPSIS
    'The query does not parse: error at 1:21: the prefix foaf: is not declared: add PREFIX foaf: <…> ...'
    >>> explain("SELEC * WHERE { ?s ?p ?o }")  # doctest: +ELLIPSIS
    'The query does not parse: error at 1:1: SELEC is not a query form: ...; did you mean SELECT?'
    """
    found = _SYNTAX.match(str(error))
    if found is None:
        return f"The query does not parse: {error}"
    escape = _escape_fault(query)
    if escape is not None:  # where pyoxigraph stops is past it, or says nothing of it
        return f"The query does not parse: error at {place(query, escape[0])}: {escape[1]}"
    text = read_escapes(query)
    line, column = int(found.group(1)), int(found.group(2))
    offset = min(sum(len(ln) + 1 for ln in text.split("\n")[:line - 1]) + column - 1, len(text))
    cleaned = strip_noise(text)
    tokens = [t for t in token_pattern().finditer(cleaned) if t.lastgroup != "space"]
    failed = _Failed(text, cleaned, [t for t in tokens if t.start() <= offset], offset, found.group(3))
    for reason in (_character_fault, _habit_fault, _percent_fault, _form_fault, _prefix_fault, _iri_fault,
                   _string_fault, _bracket_fault, _size_fault, _shape_fault, _rule_fault):
        fault = reason(failed)
        if fault is not None:
            return f"The query does not parse: error at {place(text, fault[0])}: {fault[1]}"
    # only spaces and comments follow (strings and IRIs are blanked in ``cleaned``, but are text)
    at_end = all(kind == "comment" for kind, start, *_ in query_tokens(text) if start >= offset)
    end = " (the end of the query)" if at_end else ""
    said = _expected(failed.expected)
    if _LONE_KEYWORD.fullmatch(said):  # "expected OPTIONAL": one word of the grammar, seldom the one meant
        token = next((t for t in reversed(failed.tokens) if t.start() <= offset < t.end()), None)
        here = text[token.start():token.end()] if token else (_WORD_AT.search(text, offset) or [""])[0]
        what = f"{_quote(here, False)} cannot stand here" if here and not at_end else "the query cannot end here"
        said = f"{what}: this is not SPARQL; check this point and the text just before it."
    return f"The query does not parse: error at {line}:{column}{end}: {said}"


_ESCAPE = re.compile(r"\\+([uU])([0-9A-Fa-f]{0,8})")


def _escape_fault(query: str) -> tuple[int, str] | None:
    """A ``\\u`` or ``\\U`` escape, outside comments, that is no character: too few hexadecimal
    digits, half of a UTF-16 surrogate pair, or past U+10FFFF."""
    comments = [(start, end) for kind, start, end, *_ in query_tokens(query) if kind == "comment"]
    for found in _ESCAPE.finditer(query):
        slashes = len(found.group()) - 1 - len(found.group(2))
        at = found.start() + slashes - 1
        if slashes % 2 == 0 or any(start <= at < end for start, end in comments):
            continue  # \\u is a backslash and a u
        size = 4 if found.group(1) == "u" else 8
        digits = found.group(2)[:size]
        escape = f"\\{found.group(1)}{digits}"
        if len(digits) < size:
            return at, (f"{escape} is no escape: \\u takes four hexadecimal digits (\\u00E9 is é) and \\U "
                        "eight; write the character itself, or a backslash in a string as \\\\.")
        code = int(digits, 16)
        if 0xD800 <= code <= 0xDFFF:
            return at, (f"{escape} is half of a character (a UTF-16 surrogate), which SPARQL does not take alone: "
                        "write the character itself, or its \\U escape of eight hexadecimal digits (\\U0001F600 "
                        "for 😀).")
        if code > 0x10FFFF:
            return at, f"{escape} is past the last character, U+10FFFF: check the code."
    return None


def _character_fault(failed: _Failed) -> tuple[int, str] | None:
    """A control character, an unusual space or a typographic quote, at or before the error and
    outside strings, IRIs and comments (where pyoxigraph only says what it expected instead)."""
    head = failed.cleaned[:failed.offset + 1]
    found = [m for m in (p.search(head) for p in (_CONTROL, _SPACE, _QUOTES)) if m is not None]
    if not found:
        return None
    first = min(found, key=lambda m: m.start())
    char = first.group()
    named = f"U+{ord(char):04X} ({unicodedata.name(char, '')})"
    if first.re is _QUOTES:
        return first.start(), (f"{char} is a typographic quote, {named}, which SPARQL does not read as a quote "
                               "(word processors write them): write strings between straight quotes, \"…\" or '…'.")
    if first.re is _SPACE:
        return first.start(), (f"the query holds {named} here, which SPARQL does not read as a space (text "
                               "copied from a web page or a document often holds one): type a plain space instead.")
    return first.start(), (f"the query holds the control character U+{ord(char):04X} here, which SPARQL allows only "
                           "inside strings: remove it (an editor may not show it).")


def _percent_fault(failed: _Failed) -> tuple[int, str] | None:
    """A ``%`` outside a prefixed name, at or before the error: URL-encoding left in, or a stray one."""
    mark = next((t for t in failed.tokens if t.lastgroup == "mark" and t.group() == "%"), None)
    if mark is None:
        return None
    code = failed.cleaned[mark.end():mark.end() + 2]
    if re.fullmatch(r"[0-9A-Fa-f]{2}", code):
        return mark.start(), (f"'%{code}' is a URL-encoded character ({chr(int(code, 16))!r}), which SPARQL does "
                              "not decode: decode the query first (it may have been encoded twice).")
    return mark.start(), ("a '%' stands here, which SPARQL has only in the escapes of a prefixed name "
                          "(ex:a%20b): remove it.")


_SIZE = re.compile(r"The query (limit|offset) should be a non negative integer")
_LARGEST = 2**64 - 1  # pyoxigraph counts rows in 64 bits


def _size_fault(failed: _Failed) -> tuple[int, str] | None:
    """A LIMIT or OFFSET past what pyoxigraph counts to (its grammar takes any integer)."""
    found = _SIZE.search(failed.expected)
    if found is None:
        return None
    word = found[1].upper()
    return failed.offset, (f"{word} is past the largest one pyoxigraph takes, {_LARGEST}: give a smaller "
                           f"{word}" + (" or none (an answer is capped at the row limit anyway)." if word == "LIMIT"
                                        else "."))


def _habit_fault(failed: _Failed) -> tuple[int, str] | None:
    """A habit of SQL, Turtle or programming (see :mod:`citykg.sparqlhabits`)."""
    return habit_fault(failed.text, failed.offset)


def _shape_fault(failed: _Failed) -> tuple[int, str] | None:
    """A mistake in the query's shape (see :mod:`citykg.sparqlhints`)."""
    return shape_fault(failed.text, failed.offset, failed.expected)


def _rule_fault(failed: _Failed) -> tuple[int, str] | None:
    """A rule of SPARQL that a query in its grammar breaks (see :mod:`citykg.sparqlrules`)."""
    return rule_fault(failed.text, failed.offset)


def _form_fault(failed: _Failed) -> tuple[int, str] | None:
    """The first word after the prologue is not SELECT, CONSTRUCT, ASK or DESCRIBE."""
    start = PROLOGUE.match(failed.cleaned).end()  # type: ignore[union-attr]
    first = next((t for t in token_pattern().finditer(failed.cleaned, start) if t.lastgroup != "space"), None)
    if first is None:
        return start, "the query has no SELECT, CONSTRUCT, ASK or DESCRIBE after its PREFIX and BASE."
    word = first.group().upper() if first.lastgroup == "word" else ""
    if word in (*QUERY_FORMS, *UPDATE_FORMS, "PREFIX", "BASE"):
        return None
    close = difflib.get_close_matches(word, QUERY_FORMS, n=1, cutoff=0.6)
    guess = f"; did you mean {close[0]}?" if close else "."
    return first.start(), (f"{_quote(first.group(), bool(word))} is not a query form: expected SELECT, CONSTRUCT, "
                           f"ASK or DESCRIBE (after any PREFIX and BASE){guess}")


def _prefix_fault(failed: _Failed) -> tuple[int, str] | None:
    """A prefixed name, at or before the error, whose prefix neither the query nor citykg declares."""
    declarations = [(m.start(), m.group(1)) for m in re.finditer(r"(?i:PREFIX)\s*([^\s:]{0,256}):", failed.cleaned)]
    for before, token in zip([None, *failed.tokens], failed.tokens, strict=False):
        prefix = token.group().split(":", 1)[0]
        declaring = before is not None and before.group().upper() == "PREFIX"
        declared = {*PREFIXES, *(name for at, name in declarations if at < token.start())}
        if token.lastgroup == "pname" and prefix not in declared and not declaring and \
                any(name == prefix for _, name in declarations):
            return token.start(), (f"the prefix {prefix}: is declared after this point: PREFIX lines go at the top "
                                   "of the query, before SELECT.")
        if token.lastgroup == "pname" and prefix not in declared and not declaring:
            if before and before.group() == "<" and before.end() == token.start():  # <http://a b>
                return before.start(), ("the IRI that starts here is broken: an IRI holds no space, nor any of "
                                        "<>\"{}|^`\\ (write a space as %20).")
            close = difflib.get_close_matches(prefix, sorted(declared), n=1, cutoff=0.6)
            return token.start(), (f"the prefix {prefix}: is not declared: add PREFIX {prefix}: <…> at the top "
                                   f"(citykg declares {', '.join(p + ':' for p in PREFIXES)} itself)."
                                   + (f" Did you mean {close[0]}:?" if close else ""))
    return None


def _iri_fault(failed: _Failed) -> tuple[int, str] | None:
    """A relative IRI (no scheme) at or before the error, and no BASE to resolve it against."""
    based = False
    for at, end in noise_spans(failed.text[:failed.offset + 1]):
        iri = failed.text[at:end]
        is_base = _BASE_BEFORE.search(failed.cleaned, max(0, at - 256), at) is not None
        if not iri.startswith("<") or ABSOLUTE_IRI.match(iri):
            based = based or (is_base and iri.startswith("<"))
        elif is_base:
            return at, f"BASE {_quote(iri)} is not a full IRI: give one with a scheme, such as <https://example.org/>."
        elif not based:
            return at, (f"the IRI {_quote(iri)} is relative, and the query has no BASE: write it in full (such "
                        "as <https://w3id.org/citykg/id/city/mashhad>), or declare BASE <…> first.")
    return None


def _string_fault(failed: _Failed) -> tuple[int, str] | None:
    """A quote, at or before the error, that opens a string it never closes on its line."""
    quote = next((t for t in failed.tokens if t.group() in ('"', "'")), None)
    return None if quote is None else (quote.start(), (
        f"the string that starts here is not closed: end it with {quote.group()} on the same line, or write "
        'a string of several lines between """ and """.'))


def _bracket_fault(failed: _Failed) -> tuple[int, str] | None:
    """A bracket, at or before the error, that closes nothing or the wrong one, or one left open."""
    opened: list[re.Match[str]] = []
    for token in failed.tokens:
        if token.lastgroup == "open":
            opened.append(token)
        elif token.lastgroup == "close":
            if not opened:
                return token.start(), f"this {token.group()} closes nothing: remove it, or open it earlier."
            if "{(["["})]".index(token.group())] != opened[-1].group():
                return token.start(), (f"this {token.group()} closes the {opened[-1].group()} at "
                                       f"{place(failed.text, opened[-1].start())}: close that first.")
            opened.pop()
    if opened and not failed.cleaned[failed.offset:].strip():
        closing = "})]"["{([".index(opened[-1].group())]
        fix = f"close it with {closing}" if f'"{closing}"' in failed.expected else _expected(failed.expected)
        return failed.offset, (f"the query ends inside the {opened[-1].group()} at "
                               f"{place(failed.text, opened[-1].start())}: {fix}.")
    return None


def _expected(listing: str) -> str:
    """pyoxigraph's list of what it expected, in words: keywords and tokens as they are, character
    classes as "a letter" or "a digit", ten at most; or the rule of SPARQL the query breaks.

    >>> _expected("\\"!\\", \\"(\\", ['A' ..= 'Z' | 'a' ..= 'z' | '\\\\u{00C0}'..='\\\\u{00D6}'], [_]")
    "expected one of '!', '(' or a letter"
    """
    items = [item.strip() for item in _EXPECTED.findall(listing)]
    rules = [item for item in items if " " in item and item[0] not in "[\"" and item not in _HIDDEN
             and item != "IRI parsing failed"]
    if rules:  # pyoxigraph says it in a sentence, such as "Duplicated variable name in SELECT"
        return "; ".join(rules) + "."
    names: list[str] = []
    for item in items:
        if item in _HIDDEN:
            continue
        item = "a valid IRI" if item == "IRI parsing failed" else item
        found = [_quote(re.sub(r"\\(.)", r"\1", item[1:-1]), False)] if item.startswith('"') else [item]
        if item.startswith("["):
            found = ["a letter" if char in "Aa" else "a digit" if char == "0" else "" if is_range else
                     _quote(re.sub(r"\\(.)", r"\1", char), False) for char, is_range in _CLASS_PART.findall(item)
                     if not char.startswith("\\u")]
        names.extend(name for name in found if name and name not in names)
    if not names:
        return ("this is not SPARQL, or breaks one of its rules (such as a BIND to a variable its group "
                "already binds): check the text just before this point.")
    if len(names) == 1:
        return f"expected {names[0]}"
    return f"expected one of {', '.join(names[:10])}, …" if len(names) > 10 else \
        f"expected one of {', '.join(names[:-1])} or {names[-1]}"


_HIDDEN = {"[_]", "Prefix not found", "<unreported>"}
_LONE_KEYWORD = re.compile(r"expected [A-Za-z_]+")
_WORD_AT = re.compile(r"[^\s]{1,40}")


def _quote(text: str, plain: bool = True) -> str:
    """A word or an IRI for a message (``plain``), or a token quoted, cut to 60 characters."""
    text = text if len(text) <= 60 else text[:59] + "…"
    return text if plain else repr(text)
