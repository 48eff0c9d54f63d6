"""Bind a named query's parameters: check each value a user gives and turn it into an RDF term.

Types (``#+ param NAME (TYPE)``):

- ``city``: one of the city's labels or other names (``skos:altLabel``) in any language, compared
  as ``citykg link`` compares names (case, accents, harakat ignored; ی/ي the same letter), or its
  Wikidata QID (also as ``wd:Q…`` or an entity IRI), or its IRI; bound to the city's IRI;
- ``study``: a study's id, such as ``mashhad-oic``; bound to the id (a literal);
- ``code``: a factor's or strategy's code in the graph, in any case; a parameter named ``factor``
  or ``strategy`` takes codes of that kind only. Codes are the papers' own, so two studies may
  both have an SO1: a code must name one record of the studies the other parameters leave (the
  city's, or the one ``study`` names), else the message lists the studies that have it;
- ``kind``: strength, weakness, opportunity or threat, in any case;
- ``text`` and ``integer``.

Example::

    >>> from pathlib import Path
    >>> from citykg.queries import NamedQuery
    >>> query = NamedQuery("q", "Numbers", "", (Param("n", "integer", True, "A number."),), ("x",), "",
    ...                    "SELECT ?x $n WHERE {}", Path("q.rq"))
    >>> bind(Store(), query, {"n": " 12 "})[Variable("n")].value
    '12'
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Store, Variable

from citykg.errors import QueryParameterError, quoted
from citykg.iris import BASE, CKG, PREFIXES, RDF, pasted_qid
from citykg.names import normalise, plain

if TYPE_CHECKING:
    from citykg.queries import NamedQuery

__all__ = ["Param", "bind"]

_CODE_KINDS = ("factor", "strategy")  # the code parameters of these names take a code of that kind
_KINDS = ("strength", "weakness", "opportunity", "threat")
_CODE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$")
_TYPE, _CITY = NamedNode(RDF + "type"), NamedNode(CKG + "City")
_INTEGER = re.compile(r"^-?[0-9]+$", re.ASCII)


@dataclass(frozen=True)
class Param:
    """A parameter of a named query, as its ``#+ param`` header line declares it."""

    name: str
    type: str
    required: bool
    doc: str


@dataclass(frozen=True, order=True)
class _Home:
    """A study that has a record of a code: the record's kind, the study's id, its city."""

    study: str
    kind: str
    city: str  # the city's IRI
    city_name: str  # its English label, for messages


def bind(store: Store, query: NamedQuery, params: Mapping[str, str]) -> dict[Variable, NamedNode | Literal]:
    """The terms of the parameters a user gave (blank ones are left out), checked against the graph.

    :raises QueryParameterError: naming the value and what the parameter takes.
    """
    terms: dict[Variable, NamedNode | Literal] = {}
    codes: list[tuple[Param, str, list[_Home]]] = []
    for param in query.params:
        value = params.get(param.name, "").strip()
        if not value:
            continue
        if control := next((c for c in value if unicodedata.category(c) == "Cc"), None):
            raise QueryParameterError(f"{param.name}={quoted(value)} holds a control character (U+{ord(control):04X}), "
                                      "which no name or code has: remove it.")
        if param.type == "code":
            code, homes = _code(store, param, value)
            codes.append((param, code, homes))
            terms[Variable(param.name)] = Literal(code)
        else:
            terms[Variable(param.name)] = _term(store, param, value)
    city_param = next((p for p in query.params if p.type == "city" and Variable(p.name) in terms), None)
    study_param = next((p for p in query.params if p.type == "study"), None)
    city = (terms[Variable(city_param.name)].value, params[city_param.name].strip()) if city_param else None
    given = Variable(study_param.name) if study_param else None
    study = terms[given].value if given in terms else None
    if city is not None and study is not None:
        _same_city(store, study, city, study_param=study_param.name if study_param else "study")
    for param, code, homes in codes:
        _one_study(param, code, homes, city=city, study=study,
                   study_param=study_param.name if study_param else None)
    return terms


def _term(store: Store, param: Param, value: str) -> NamedNode | Literal:
    if param.type == "city":
        return _city(store, value)
    if param.type == "study":
        return Literal(_study(store, param, value))
    if param.type == "kind":
        kind = plain(value).lower()
        if kind not in _KINDS:
            raise QueryParameterError(f"{param.name}={quoted(value)} is not a kind of SWOT factor: give "
                                      "strength, weakness, opportunity or threat.")
        return Literal(kind)
    if param.type == "integer":
        if not _INTEGER.match(value):
            raise QueryParameterError(f"{param.name}={quoted(value)} is not a whole number, such as 10 or -3.")
        return Literal(int(value))
    return Literal(value)


_HOMES = """SELECT DISTINCT ?class ?id ?city ?name ?code WHERE {
  ?x ckg:code ?code ; a ?class ; ckg:inStudy ?s .
  ?s ckg:identifier ?id ; ckg:studiedCity ?city .
  OPTIONAL { ?city rdfs:label ?name FILTER (LANG(?name) = "en") }
  VALUES ?class { ckg:SwotFactor ckg:Strategy } }"""


def _code(store: Store, param: Param, value: str) -> tuple[str, list[_Home]]:
    """A code in upper case, with the studies that have a record of it (of the kind the
    parameter's name says: a ``factor`` takes a factor's code, a ``strategy`` a strategy's); it
    may be typed in Persian or Arabic digits or full-width forms (W۳ and Ｗ３ are W3)."""
    typed = plain(value)
    if not _CODE.match(typed):
        raise QueryParameterError(
            f"{param.name}={quoted(value)} is not a code as the papers print them (S1, W3, SO1, WT2).")
    code = typed.upper()
    found: dict[tuple[str, str], _Home] = {}
    for s in store.query(_HOMES, use_default_graph_as_union=True, prefixes=PREFIXES,  # type: ignore[union-attr]
                         substitutions={Variable("code"): Literal(code)}):
        kind = "factor" if s["class"].value.endswith("SwotFactor") else "strategy"
        home = _Home(s["id"].value, kind, s["city"].value, s["name"].value if s["name"] else s["city"].value)
        found[home.study, kind] = min(found.get((home.study, kind), home), home)
    kinds = {home.kind for home in found.values()}
    wanted = param.name if param.name in _CODE_KINDS else "factor or strategy"
    if not kinds:
        raise QueryParameterError(
            f"No {wanted} has the code {code!r}. The named queries factor-coverage (factors) and "
            "tows-matrix (strategies) list the codes in the graph.")
    if param.name in _CODE_KINDS and param.name not in kinds:
        other = "factors-for-strategy" if param.name == "factor" else "strategies-for-factor"
        raise QueryParameterError(f"{code} is a {kinds.pop()}, not a {param.name}: see {other}.")
    return code, sorted(h for h in found.values() if param.name not in _CODE_KINDS or h.kind == param.name)


def _one_study(param: Param, code: str, homes: Sequence[_Home], *, city: tuple[str, str] | None,
               study: str | None, study_param: str | None) -> None:
    """Refuse a code that the city's or the named study has no record of, or that two studies have."""
    wanted = param.name if param.name in _CODE_KINDS else "code"
    left = [h for h in homes if (city is None or h.city == city[0]) and (study is None or h.study == study)]
    studies = sorted({h.study for h in left})
    if not studies:
        scope = f"the study {study!r}" if study else f"the studies of {quoted(city[1]) if city else 'the graph'}"
        where = "; ".join(f"{h.study} ({h.city_name})" for h in homes)
        these = "the study with a {} {} is" if len(homes) == 1 else "the studies with a {} {} are"
        raise QueryParameterError(f"{code} is not a {wanted} of {scope}: {these.format(wanted, code)} {where}.")
    if len(studies) > 1:
        where = "; ".join(f"{h.study} ({h.city_name})" for h in left)
        how = (f"give {' or '.join(f'{study_param}={s}' for s in studies)}" if study_param else
               "the query takes no study: add '#+ param study (study): optional. The study.' to it and write "
               "$study where it names the study")
        raise QueryParameterError(f"{len(studies)} studies have a {wanted} {code}: {where}. Say which: {how}.")


_STUDIES = "SELECT DISTINCT ?id WHERE { ?s a ckg:Study ; ckg:identifier ?id } ORDER BY ?id"
_STUDY_CITY = """SELECT ?city ?name ?id WHERE { ?s a ckg:Study ; ckg:identifier ?id ; ckg:studiedCity ?city .
  OPTIONAL { ?city rdfs:label ?name FILTER (LANG(?name) = "en") } }"""


def _same_city(store: Store, study: str, city: tuple[str, str], *, study_param: str) -> None:
    """Refuse a study that is not of the city given beside it: the answer would be empty."""
    rows = list(store.query(_STUDY_CITY, use_default_graph_as_union=True, prefixes=PREFIXES,  # type: ignore[arg-type]
                            substitutions={Variable("id"): Literal(study)}))
    if rows and all(r["city"].value != city[0] for r in rows):
        name = rows[0]["name"].value if rows[0]["name"] else rows[0]["city"].value
        raise QueryParameterError(
            f"The study {study!r} is a study of {name}, not of {quoted(city[1])}: give one of the two, or "
            f"{study_param}= a study of {quoted(city[1])} (the named query studies lists each study's city).")


def _study(store: Store, param: Param, value: str) -> str:
    """A study's id, once the graph has the study."""
    ids = [s["id"].value for s in store.query(_STUDIES, use_default_graph_as_union=True,  # type: ignore[union-attr]
                                              prefixes=PREFIXES)]
    if (wanted := plain(value).lower()) in ids:
        return wanted
    close = difflib.get_close_matches(value.lower()[:200], ids, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise QueryParameterError(f"No study {quoted(value)} in the graph.{hint} Give a study's id: "
                              f"{', '.join(ids) or 'there are none'} (the named query studies lists them).")


_CITY_LABELS = "SELECT DISTINCT ?city ?l WHERE { ?city a ckg:City ; rdfs:label|skos:altLabel ?l }"


def _city(store: Store, value: str) -> NamedNode:
    """Resolve a city parameter: a Wikidata QID (``Q80053``, ``wd:Q80053``, its entity IRI, in any
    digits), the city's IRI, or one of the city's labels (or other names) in any language."""
    qid = pasted_qid(value)
    if qid:
        found = [s["city"] for s in store.query(  # type: ignore[union-attr]
            "SELECT DISTINCT ?city ?v WHERE { ?city a ckg:City ; ckg:wikidataId ?v }", use_default_graph_as_union=True,
            substitutions={Variable("v"): Literal(qid)}, prefixes=PREFIXES)]
    elif value.startswith(BASE):
        try:
            node: NamedNode | None = NamedNode(value)
        except ValueError:  # not an IRI (a space in it, say), so no city's
            node = None
        found = [node] if node and next(store.quads_for_pattern(node, _TYPE, _CITY, None), None) else []
    else:
        wanted = normalise(value)
        found = list(dict.fromkeys(s["city"] for s in store.query(  # type: ignore[union-attr]
            _CITY_LABELS, use_default_graph_as_union=True, prefixes=PREFIXES) if normalise(s["l"].value) == wanted))
    if len(found) == 1 and isinstance(found[0], NamedNode):
        return found[0]
    if found and qid:
        raise QueryParameterError(
            f"{qid} is the Wikidata id of {len(found)} cities ({', '.join(sorted(n.value for n in found))}): give "
            "one's IRI instead. Where citykg link brought one of them as a partner, `citykg link` and `citykg build` "
            "again make them one city.")
    if found:
        raise QueryParameterError(f"{quoted(value)} names {len(found)} cities; use the Wikidata QID instead.")
    labels: list[Literal] = [s["l"] for s in store.query(  # type: ignore[union-attr]
        "SELECT DISTINCT ?l WHERE { ?s ckg:studiedCity ?c . ?c rdfs:label ?l }",
        use_default_graph_as_union=True, prefixes=PREFIXES)]
    names = sorted(label.value for label in labels if label.language == "en")
    by_key = {normalise(label.value): label.value for label in sorted(labels, key=lambda t: t.language == "en")}
    close = difflib.get_close_matches(normalise(value[:200]), by_key, n=1)
    hint = f" Did you mean {by_key[close[0]]!r}?" if close else ""
    raise QueryParameterError(
        f"No city {quoted(value)} in the graph.{hint} Studied cities: {', '.join(names)}; "
        "give a city's name in any language, such as Mashhad or مشهد, or its Wikidata QID, such as Q121157.")
