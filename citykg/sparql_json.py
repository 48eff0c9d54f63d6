"""SPARQL SELECT answers in the SPARQL 1.1 Query Results JSON Format, checked before use.

A SPARQL endpoint is another party's program: a blocked client can be answered with HTTP 200
and an error text, a proxy with an HTML page, a broken mirror with JSON of another shape. So
:func:`parse` accepts only a JSON object with ``results.bindings`` as a list, and :func:`rows`
only bindings that map variables to RDF terms (``{"type": "uri", "value": "…"}``), with every
variable the query always binds (:func:`required`); anything else is an
:class:`~citykg.errors.EndpointError` naming the endpoint, never an empty answer or a crash.
:class:`citykg.wikidata.Client` checks every answer so before it uses or caches it.

Example::

    >>> answer = parse(b'{"results": {"bindings": [{"x": {"type": "literal", "value": "ok"}}]}}', "", "E")
    >>> rows(answer, required("SELECT ?x WHERE { ?s ?p ?x }"), "E")
    [{'x': Value(text='ok', lang=None, is_iri=False)}]
    >>> try:
    ...     rows({"results": {"bindings": [{"x": "ok"}]}}, (), "E")
    ... except EndpointError as exc:
    ...     str(exc).split(": ", 1)[1][:40]
    "?x of result 1 is not an RDF term ('ok')"
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from citykg.errors import EndpointError
from citykg.iris import WD

__all__ = ["Rows", "Value", "parse", "qid_of", "required", "rows", "selected"]


def qid_of(value: str) -> str | None:
    """The QID of a Wikidata entity IRI, or None for any other value.

    >>> qid_of("http://www.wikidata.org/entity/Q80053"), qid_of("Tabriz")
    ('Q80053', None)
    """
    if value.startswith(WD) and value[len(WD):][:1] == "Q" and value[len(WD) + 1:].isdigit():
        return value[len(WD):]
    return None


class Value(NamedTuple):
    """One value of an answer: an IRI or a literal's text, with the literal's language if any.

    (A named tuple: answers have hundreds of thousands of values, and tuples are cheap to make.)
    """

    text: str
    lang: str | None = None
    is_iri: bool = False

    @property
    def qid(self) -> str | None:
        """The QID, if the value is a Wikidata entity IRI."""
        return qid_of(self.text) if self.is_iri else None


#: The rows of a SELECT answer: variable name → value; unbound variables are absent.
Rows = list[dict[str, Value]]


def parse(body: bytes, content_type: str, endpoint: str) -> dict[str, Any]:
    """Check that an HTTP 200 body is a SPARQL JSON result, and decode it.

    :raises EndpointError: if it is empty, not JSON, JSON nested too deep to decode, or JSON
        without ``results.bindings``.
    """
    hint = ("The service may be blocking this client (it can answer HTTP 200 with an error text "
            "or nothing): check the User-Agent contact, and try again later.")
    if not body.strip():
        raise EndpointError(f"{endpoint} answered HTTP 200 with an empty body, not SPARQL "
                            f"results. {hint}")
    try:
        answer = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        text = " ".join(body[:160].decode("utf-8", "replace").split())
        raise EndpointError(f"{endpoint} answered HTTP 200 with {content_type or 'no type'} "
                            f"instead of SPARQL JSON: {text!r}. {hint}") from exc
    except RecursionError:  # arrays or objects nested thousands deep, as no SPARQL result is
        raise EndpointError(f"{endpoint} answered HTTP 200 with JSON nested too deep to be a SPARQL SELECT "
                            f"result. {hint}") from None
    if not (isinstance(answer, dict) and isinstance(answer.get("results"), dict)
            and isinstance(answer["results"].get("bindings"), list)):
        raise EndpointError(f"{endpoint} answered HTTP 200 with JSON that is not a SPARQL SELECT "
                            f"result. {hint}")
    return answer


_TERM_TYPES = frozenset({"uri", "literal", "typed-literal", "bnode"})
_SELECTED = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\s*(?:WHERE\b|\{)", re.IGNORECASE | re.DOTALL)
_MAY_LEAVE_UNBOUND = re.compile(r"\b(?:OPTIONAL|UNION|BIND|UNDEF)\b", re.IGNORECASE)
_PROJECTION = re.compile(r"\(|\)|\bAS\s+[?$]\w+|[?$]\w+", re.IGNORECASE)


def required(query: str) -> tuple[str, ...]:
    """The variables every row of ``query`` binds, as far as its text tells: those it selects
    (``?x``, or ``(… AS ?x)``) if it has no OPTIONAL, UNION, BIND or UNDEF, which may leave a
    variable unbound; else none.

    >>> required("SELECT ?item (COUNT(?x) AS ?n) WHERE { ?item ?p ?x } GROUP BY ?item")
    ('item', 'n')
    >>> required("SELECT ?item ?label WHERE { ?item ?p ?x OPTIONAL { ?item ?q ?label } }")
    ()
    """
    return () if _MAY_LEAVE_UNBOUND.search(query) else selected(query)


def selected(query: str) -> tuple[str, ...]:
    """The variables ``query`` selects (``?x``, or ``(… AS ?x)``), bound or not; none for
    ``SELECT *`` or a query that is no SELECT.

    >>> selected("SELECT ?item ?label WHERE { ?item ?p ?x OPTIONAL { ?item ?q ?label } }")
    ('item', 'label')
    """
    found = _SELECTED.search(query)
    if found is None:
        return ()
    depth, names = 0, []
    for token in _PROJECTION.findall(found.group(1)):
        if token in "()":
            depth += 1 if token == "(" else -1
        elif token[:1] not in "?$":  # AS ?x
            names.append(token.split()[-1][1:])
        elif depth == 0:
            names.append(token[1:])
    return tuple(dict.fromkeys(names))


def rows(answer: dict[str, Any], needed: Sequence[str], endpoint: str, variables: Sequence[str] = ()) -> Rows:
    """The rows of a result that :func:`parse` accepted, checked: a head that lists every variable
    of ``variables`` (those the query selects: an answer whose head lists none of them, such as
    ``{"head": {"vars": []}, …}``, answers no such query, though a blocking proxy can send it), and
    each binding an object of RDF terms (of a known type, with a text value), binding every
    variable of ``needed``.

    :raises EndpointError: naming the endpoint and the first fault.
    """
    def malformed(why: str) -> EndpointError:
        return EndpointError(f"{endpoint} answered with a SPARQL result that is not well formed: {why}. The answer "
                             "was not kept; check that --endpoint is a SPARQL 1.1 endpoint, or try again later.")

    head = answer.get("head")
    listed = head.get("vars") if isinstance(head, dict) else None
    absent = [v for v in variables if not isinstance(listed, list) or v not in listed]
    if absent:
        raise malformed(f"its head lists the variables {listed!r}, not ?{absent[0]}, which the query selects "
                        "(a blocking proxy can answer so)" if isinstance(listed, list) else
                        f"it has no head listing its variables (the query selects ?{absent[0]})")
    out: Rows = []
    for n, binding in enumerate(answer["results"]["bindings"], 1):
        if not isinstance(binding, dict):
            raise malformed(f"result {n} is {str(binding)[:60]!r}, not an object of variables")
        row = {}
        for name, term in binding.items():
            if not (isinstance(term, dict) and term.get("type") in _TERM_TYPES and isinstance(term.get("value"), str)
                    and isinstance(term.get("xml:lang", ""), str)):
                raise malformed(f"?{name} of result {n} is not an RDF term ({str(term)[:60]!r})")
            row[name] = Value(term["value"], term.get("xml:lang"), term["type"] == "uri")
        missing = [v for v in needed if v not in row]
        if missing:
            raise malformed(f"result {n} binds no ?{missing[0]}, which the query always binds")
        out.append(row)
    return out
