"""Named SPARQL queries: load them from ``queries/*.rq``, bind their parameters, run them.

A named query is one ``.rq`` file; its name is the file name. A header of ``#+`` lines says
what it answers, which parameters it takes and which columns it returns::

    #+ summary: Strategies that cite a SWOT factor
    #+ param factor (code): required. The factor's code as the paper prints it, such as W3.
    #+ param city (city): optional. English name in any case, or Wikidata QID.
    #+ columns: code, label, type
    #+ example: factor=W3 city=Mashhad

Parameters are the variables written with ``$`` in the query (``$factor``); they are bound
with pyoxigraph substitutions, never pasted into the text. Substitution needs the variable in
the query's projection, so a query projects its parameters after its columns; citykg leaves the
parameters that are not also listed as columns out of the answer. An optional parameter left
out stays a free variable and matches everything. Types: ``city`` (resolved to the city's IRI from its
English name or QID), ``code`` (a code such as W3 or SO1), ``text`` and ``integer``.

Example::

    >>> catalogue = load_catalogue(Path("queries"))
    >>> catalogue["strategies-for-factor"].columns
    ('code', 'label', 'type')
    >>> [p.name for p in catalogue["strategies-for-factor"].params]
    ['factor', 'city']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Store, Triple, Variable

from citykg.errors import QueryError, QueryNotFound, QueryParameterError, QueryRefused, QuerySyntaxError
from citykg.iris import PREFIXES

__all__ = [
    "UPDATE_FORMS",
    "NamedQuery",
    "Param",
    "QueryCheck",
    "Result",
    "catalogue_text",
    "check_query",
    "get_query",
    "load_catalogue",
    "parameters_used",
    "read_query_text",
    "run",
    "run_sparql",
    "strip_noise",
]

_HEADER = re.compile(r"^#\+\s*(\w+)(?:\s+(\w+)\s*\((\w+)\))?\s*:\s*(.*)$")
_PARAM_TYPES = ("city", "code", "text", "integer")
_CODE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$")
_QID = re.compile(r"^[Qq][1-9][0-9]*$")
# Strings, IRIs and comments, where a keyword or a $ is only text, as SPARQL's grammar delimits
# them: a comment ends at CR or LF, and "\#" (an escaped # in a prefixed name) starts none.
_NOISE = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n\r]|\\.)*"|'
                    r"'(?:[^'\\\n\r]|\\.)*'|<[^<>\"{}|^`\\\s]*>|(?<!\\)#[^\r\n]*")


@dataclass(frozen=True)
class Param:
    """A parameter of a named query."""

    name: str
    type: str
    required: bool
    doc: str


@dataclass(frozen=True)
class NamedQuery:
    """A query loaded from a ``.rq`` file."""

    name: str
    summary: str
    description: str
    params: tuple[Param, ...]
    columns: tuple[str, ...]
    example: str
    sparql: str
    path: Path
    #: What must run before the query has rows to find (``#+ needs:``), such as ``citykg link``.
    needs: str = ""

    def param(self, name: str) -> Param | None:
        """The parameter of that name, if the query has it."""
        return next((p for p in self.params if p.name == name), None)

    def to_dict(self) -> dict[str, object]:
        """The query's entry in the catalogue (``citykg query --list --format json``, ``GET /queries``)."""
        return {
            "name": self.name, "summary": self.summary, "description": self.description,
            "parameters": [{"name": p.name, "type": p.type, "required": p.required, "doc": p.doc}
                           for p in self.params],
            "columns": list(self.columns),
            "example": dict(item.split("=", 1) for item in self.example.split() if "=" in item),
            "needs": self.needs or None,
        }


@dataclass(frozen=True)
class Result:
    """The answer to a SELECT query: its column names and rows of RDF terms (None = unbound)."""

    columns: tuple[str, ...]
    rows: list[tuple[NamedNode | BlankNode | Literal | Triple | None, ...]]


def read_query_text(path: Path) -> str:
    """The text of a query file, which must be UTF-8.

    :raises QueryError: if the file cannot be read or is not UTF-8.
    """
    try:
        data = path.read_bytes()
        return data.decode("utf-8-sig")
    except OSError as exc:
        raise QueryError(f"Cannot read the query file {path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise QueryError(f"The query file {path} is not UTF-8: byte 0x{data[exc.start]:02x} on line {line} "
                         "cannot be decoded. Save it as UTF-8 and try again.") from exc


def parse_query_file(path: Path) -> NamedQuery:
    """Read one ``.rq`` file and its ``#+`` header.

    :raises QueryError: if the header lacks a summary or columns, or is malformed.
    """
    text = read_query_text(path)
    fields: dict[str, list[str]] = {}
    params: list[Param] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#+"):
            continue
        match = _HEADER.match(line)
        if not match:
            raise QueryError(f"{path}:{number}: malformed header line {line!r}.")
        key, pname, ptype, value = match.groups()
        if key == "param":
            flag, _, doc = value.partition(".")
            if not pname or ptype not in _PARAM_TYPES or flag.strip() not in ("required", "optional"):
                raise QueryError(
                    f"{path}:{number}: write parameters as '#+ param NAME (TYPE): required|optional. "
                    f"What it is.' with TYPE one of {', '.join(_PARAM_TYPES)}.")
            params.append(Param(pname, ptype, flag.strip() == "required", doc.strip()))
        else:
            fields.setdefault(key, []).append(value.strip())
    for key in ("summary", "columns"):
        if not fields.get(key):
            raise QueryError(f"{path}: the header has no '#+ {key}:' line.")
    return NamedQuery(
        name=path.stem,
        summary=fields["summary"][0],
        description=" ".join(fields.get("description", [])),
        params=tuple(params),
        columns=tuple(c.strip() for c in fields["columns"][0].split(",") if c.strip()),
        example=(fields.get("example") or [""])[0],
        sparql=text,
        path=path,
        needs=(fields.get("needs") or [""])[0],
    )


def load_catalogue(folder: Path) -> dict[str, NamedQuery]:
    """Every named query of a folder, by name."""
    return {q.name: q for q in (parse_query_file(p) for p in sorted(folder.glob("*.rq")))}


def catalogue_text(catalogue: Mapping[str, NamedQuery]) -> str:
    """One line per query: its name, summary and parameters (``…`` required, ``[…]`` optional)."""
    lines = []
    for q in catalogue.values():
        params = " ".join(f"{p.name}={'…' if p.required else '[…]'}" for p in q.params)
        lines.append(f"{q.name:<28} {q.summary}" + (f"  ({params})" if params else "")
                     + (f"  [after {q.needs}]" if q.needs else ""))
    return "\n".join(lines) + "\n"


def get_query(folder: Path, name: str) -> NamedQuery:
    """The named query ``name``.

    :raises QueryNotFound: with the closest names, if there is none of that name.
    """
    path = folder / f"{name}.rq"
    if not path.is_file() or "/" in name or name.startswith("."):
        names = sorted(p.stem for p in folder.glob("*.rq"))
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise QueryNotFound(f"Unknown query '{name}'.{hint} See `citykg query --list`.")
    return parse_query_file(path)


def strip_noise(sparql: str) -> str:
    """The query with its strings, IRIs and comments blanked: what is left is syntax.

    >>> strip_noise('SELECT * { ?s ?p "SERVICE" } # SERVICE').split()
    ['SELECT', '*', '{', '?s', '?p', '}']
    """
    return _NOISE.sub(" ", sparql)


# SPARQL Update forms, refused everywhere: the graph changes only by `citykg build` and `submit`.
UPDATE_FORMS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})
# A bare word: not part of a prefixed name, a variable, a language tag or a longer word.
_WORD = re.compile(r"(?<![\w:?$@])[A-Za-z]+(?![\w:])")
# SPARQL 1.1 reads \uXXXX and \UXXXXXXXX anywhere in a query before parsing it.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PROLOGUE = re.compile(r"\s*(?:(?:BASE|PREFIX\s+[^\s:]*:)\s*)*", re.IGNORECASE)


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

    A text check cannot see every way of writing a query, so ``citykg serve`` also runs queries
    in workers without network access (:mod:`citykg.sandbox`); this check gives the clear message.

    >>> check_query("SELECT * WHERE { ?s ?p 'SERVICE' }  # SERVICE in a comment")
    QueryCheck(form='SELECT', has_from=False)
    >>> check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    Traceback (most recent call last):
    citykg.errors.QueryRefused: citykg makes no outgoing requests: SERVICE is refused. ...

    :raises QueryRefused: if the query calls a SERVICE.
    """
    cleaned = strip_noise(_CODEPOINT.sub(_unescape, text))
    words = {w.upper() for w in _WORD.findall(cleaned)}
    if "SERVICE" in words:
        raise QueryRefused("citykg makes no outgoing requests: SERVICE is refused. "
                           "Query the other endpoint yourself, or load its data into the graph.")
    first = _WORD.match(cleaned, _PROLOGUE.match(cleaned).end())  # type: ignore[union-attr]
    return QueryCheck(form=first.group(0).upper() if first else None, has_from="FROM" in words)


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code < 0x110000 else match.group(0)


def parameters_used(sparql: str) -> set[str]:
    """The names of the ``$`` variables of a query, outside comments, strings and IRIs.

    >>> sorted(parameters_used('SELECT ?x WHERE { ?x <http://e/$no> "$no" ; ?p $city } # $no'))
    ['city']
    """
    return set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", strip_noise(sparql)))


def run(store: Store, query: NamedQuery, params: Mapping[str, str]) -> Result:
    """Run a named query with its parameters bound.

    :param store: the store to query (its default graph is the union of its named graphs).
    :param query: from :func:`get_query`.
    :param params: parameter name → value as the user typed it.
    :raises QueryParameterError: for a missing, unknown or unusable parameter.
    """
    unknown = sorted(set(params) - {p.name for p in query.params})
    if unknown:
        known = ", ".join(p.name for p in query.params) or "none"
        raise QueryParameterError(
            f"Query '{query.name}' has no parameter '{unknown[0]}' (its parameters: {known}).")
    substitutions: dict[Variable, NamedNode | BlankNode | Literal | Triple] = {}
    for param in query.params:
        value = params.get(param.name, "").strip()
        if not value:
            if param.required:
                raise QueryParameterError(
                    f"Query '{query.name}' needs --param {param.name}=VALUE: {param.doc}")
            continue
        substitutions[Variable(param.name)] = _bind(store, query, param, value)
    result = _select(store, query.sparql, substitutions)
    keep = [i for i, c in enumerate(result.columns) if c in query.columns]
    return Result(tuple(result.columns[i] for i in keep),
                  [tuple(row[i] for i in keep) for row in result.rows])


def run_sparql(store: Store, sparql: str) -> Result:
    """Run an ad-hoc SELECT query (``citykg query --file``).

    The default graph is the union of the named graphs, unless the query names its own (FROM).

    :raises QuerySyntaxError: if the text is empty, does not parse or is not a SELECT query.
    :raises QueryRefused: if it calls a SERVICE or is a SPARQL Update.
    """
    if not sparql.strip():
        raise QuerySyntaxError("The query is empty.")
    checked = check_query(sparql)
    if checked.is_update:
        raise QueryRefused("citykg query runs SELECT queries; SPARQL Update is refused. The graph "
                           "changes with `citykg build` (the tables) and `citykg submit`.")
    return _select(store, sparql, {}, union=not checked.has_from)


def _select(store: Store, sparql: str,
            substitutions: dict[Variable, NamedNode | BlankNode | Literal | Triple], *,
            union: bool = True) -> Result:
    try:
        solutions = store.query(sparql, use_default_graph_as_union=union,
                                substitutions=substitutions or None, prefixes=PREFIXES)
    except SyntaxError as exc:
        raise QuerySyntaxError(f"The query does not parse: {exc}") from exc
    if not isinstance(solutions, QuerySolutions):
        raise QuerySyntaxError("citykg query runs SELECT queries; this is an ASK, CONSTRUCT or "
                               "DESCRIBE query. Use `citykg serve` for those.")
    columns = tuple(v.value for v in solutions.variables)
    try:
        rows = [tuple(s[i] for i in range(len(columns))) for s in solutions]
    except OSError as exc:  # pyoxigraph reading the store, or reaching out for something
        raise QueryError(f"The query failed while it ran: {exc}") from exc
    return Result(columns, rows)


def _bind(store: Store, query: NamedQuery, param: Param, value: str) -> NamedNode | Literal:
    if param.type == "city":
        return _city(store, value)
    if param.type == "code":
        if not _CODE.match(value):
            raise QueryParameterError(
                f"{param.name}={value!r} is not a code as the papers print them (S1, W3, SO1, WT2).")
        code = value.upper()
        if not store.query("ASK { ?x ckg:code ?code }", use_default_graph_as_union=True,
                           substitutions={Variable("code"): Literal(code)}, prefixes=PREFIXES):
            raise QueryParameterError(
                f"No factor or strategy has the code {code!r}. See `citykg query unaddressed-factors` "
                "or `citykg query tows-matrix` for the codes in the graph.")
        return Literal(code)
    if param.type == "integer":
        if not value.lstrip("-").isdigit():
            raise QueryParameterError(f"{param.name}={value!r} is not a whole number.")
        return Literal(int(value))
    return Literal(value)


def _city(store: Store, value: str) -> NamedNode:
    """Resolve a city parameter: a Wikidata QID, or an English name in any case."""
    if _QID.match(value):
        pattern = "SELECT DISTINCT ?city ?v WHERE { ?city a ckg:City ; ckg:wikidataId ?v }"
        needle = Literal(value.upper())
    else:
        pattern = ("SELECT DISTINCT ?city ?v WHERE { ?city a ckg:City ; rdfs:label ?l . "
                   "FILTER (LANG(?l) = 'en' && LCASE(STR(?l)) = LCASE(?v)) }")
        needle = Literal(value)
    found = [s["city"] for s in store.query(pattern, use_default_graph_as_union=True,  # type: ignore[union-attr]
                                            substitutions={Variable("v"): needle}, prefixes=PREFIXES)]
    if len(found) == 1 and isinstance(found[0], NamedNode):
        return found[0]
    names = sorted(str(s["l"].value) for s in store.query(  # type: ignore[union-attr]
        "SELECT DISTINCT ?l WHERE { ?s ckg:studiedCity ?c . ?c rdfs:label ?l "
        "FILTER (LANG(?l) = 'en') }", use_default_graph_as_union=True, prefixes=PREFIXES))
    if not found:
        close = difflib.get_close_matches(value.title(), names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise QueryParameterError(
            f"No city {value!r} in the graph.{hint} Studied cities: {', '.join(names)}; "
            "give the English name or a Wikidata QID such as Q121157.")
    raise QueryParameterError(f"{value!r} names {len(found)} cities; use the Wikidata QID instead.")

