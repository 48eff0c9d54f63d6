"""Named SPARQL queries: load them from ``queries/*.rq``, bind their parameters, run them.

A named query is one ``.rq`` file; its name is the file name. A header of ``#+`` lines says
what it answers, which parameters it takes and which columns it returns::

    #+ summary: Strategies that cite a SWOT factor
    #+ param factor (code): required. The factor's code as the paper prints it, such as W3.
    #+ param city (city): optional. The city's name in any language, or its Wikidata QID.
    #+ columns: code, label, type
    #+ example: factor=W3 city=Mashhad

Parameters are the variables written with ``$`` in the query (``$factor``); they are bound
with pyoxigraph substitutions, never pasted into the text. Substitution needs the variable in
the query's projection, so a query projects its parameters after its columns; citykg leaves the
parameters that are not also listed as columns out of the answer. An optional parameter left
out stays a free variable and matches everything; a parameter given must have a value. The
types are ``city``, ``study``, ``code``, ``kind``, ``text`` and ``integer``; :mod:`citykg.params`
says what each takes and how it is checked.

Two optional lines explain an empty answer: ``#+ needs: citykg link`` names the command that adds
what the query reads, and ``#+ about: SWOT factors (ckg:SwotFactor)`` the records of a study it
reads (a class under any prefix of :data:`citykg.iris.PREFIXES`), so that an empty answer for a
city whose studies have none of them says so (:attr:`Result.lacking`) rather than seeming to say
that nothing is, say, unaddressed.

Example::

    >>> catalogue = load_catalogue(Path("queries"))
    >>> catalogue["strategies-for-factor"].columns
    ('code', 'label', 'type')
    >>> [p.name for p in catalogue["strategies-for-factor"].params]
    ['factor', 'city', 'study']
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, QueryBoolean, QuerySolutions, Store, Triple, Variable

from citykg.errors import (
    QueryError,
    QueryNotFound,
    QueryParameterError,
    QueryRefused,
    QuerySyntaxError,
    not_utf8,
    quoted,
)
from citykg.iris import PREFIXES, expand
from citykg.params import Param, bind
from citykg.sparqlerrors import explain_syntax_error, raise_unsupported
from citykg.sparqltext import check_query, parameters_used
from citykg.store import damaged

__all__ = ["CLI_PARAM", "NamedQuery", "Result", "catalogue_text", "check_params", "get_query", "load_catalogue",
           "read_query_text", "run", "run_sparql", "unknown_query"]

_HEADER = re.compile(r"^#\+\s*(\w+)(?:\s+(\w+)\s*\((\w+)\))?\s*:\s*(.*)$")
_ABOUT = re.compile(r"(.+?) \(([a-z]+):([A-Za-z]+)\)")
_PARAM_TYPES = ("city", "study", "code", "kind", "text", "integer")  # bound by citykg.params
#: How the command line passes a parameter, for messages; ``citykg serve`` says ``?{name}=VALUE``.
CLI_PARAM = "--param {name}=VALUE"


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
    #: The records of a study the query reads (``#+ about:``): their name and class, such as
    #: ``("SWOT factors", "ckg:SwotFactor")``, or None.
    about: tuple[str, str] | None = None

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
    """The answer to a SELECT query: its column names and rows of RDF terms (None = unbound).

    ``studies`` names the studies the rows of a named query come from when they are of several
    studies and no column says which (a city with two studies, and no ``study`` given); it is
    empty otherwise.
    """

    columns: tuple[str, ...]
    rows: list[tuple[NamedNode | BlankNode | Literal | Triple | None, ...]]
    studies: tuple[str, ...] = ()
    #: Why a named query has no rows where the studies asked about lack what it reads (``#+
    #: about:``), such as "no study of 'Tabriz' has SWOT factors"; empty otherwise.
    lacking: str = ""


def read_query_text(path: Path) -> str:
    """The text of a query file (``-``: standard input), which must be UTF-8.

    :raises QueryError: if the file cannot be read or is not UTF-8.
    """
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        return data.decode("utf-8-sig")
    except OSError as exc:
        raise QueryError(f"Cannot read the query file {path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        what = "The query on standard input" if str(path) == "-" else f"The query file {path}"
        raise QueryError(not_utf8(what, data, exc)) from exc


def parse_query_file(path: Path) -> NamedQuery:
    """Read one ``.rq`` file and its ``#+`` header, and check that its SPARQL is a SELECT that parses.

    :raises QueryError: naming the file (and the line), if the header lacks a summary or columns,
        or is malformed, or the query does not parse or is not a SELECT.
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
    projected = _check_select(path, text)
    _check_params_used(path, [p.name for p in params], text, projected)
    columns = tuple(c.strip() for c in fields["columns"][0].split(",") if c.strip())
    if missing := [c for c in columns if c not in projected]:
        raise QueryError(f"{path}: the header's column {missing[0]!r} is not in the SELECT: add ?{missing[0]} to it, "
                         f"or drop {missing[0]!r} from '#+ columns:'.")
    about = None
    if fields.get("about"):
        found = _ABOUT.fullmatch(fields["about"][0])
        if found is None or found[2] not in PREFIXES:
            raise QueryError(f"{path}: write '#+ about: NAME (prefix:Class)', such as '#+ about: SWOT factors "
                             f"(ckg:SwotFactor)', with one of the prefixes {', '.join(sorted(PREFIXES))}.")
        about = (found[1], f"{found[2]}:{found[3]}")
    return NamedQuery(name=path.stem, summary=fields["summary"][0], description=" ".join(fields.get("description", [])),
                      params=tuple(params), columns=columns, example=(fields.get("example") or [""])[0],
                      sparql=text, path=path, needs=(fields.get("needs") or [""])[0], about=about)


def _check_select(path: Path, text: str) -> set[str]:
    """Refuse a query file that is not a SELECT that parses; else the names of what it selects."""
    try:
        checked = check_query(text)
        if checked.is_update or checked.form in ("ASK", "CONSTRUCT", "DESCRIBE"):  # (SELEC: parsed below)
            article = "an" if checked.form == "ASK" else "a"
            form = "a SPARQL Update" if checked.is_update else f"{article} {checked.form}"
            raise QueryError(f"it is {form}, and a named query is a SELECT, which gives rows.")
        solutions = Store().query(text, prefixes=PREFIXES)  # parsed, and run on an empty store
        return {v.value for v in solutions.variables}  # type: ignore[union-attr]
    except SyntaxError as exc:
        explained = explain_syntax_error(exc, text)
        line = re.search(r"error at (\d+):", explained)
        raise QueryError(f"{path}{':' + line.group(1) if line else ''}: {explained}") from exc
    except QueryError as exc:
        raise QueryError(f"{path}: {exc}") from exc


def _check_params_used(path: Path, declared: list[str], text: str, projected: set[str]) -> None:
    twice = sorted({name for name in declared if declared.count(name) > 1})
    if twice:
        raise QueryError(f"{path}: the header declares the parameter {twice[0]!r} twice.")
    used = parameters_used(text)
    if undeclared := sorted(used - set(declared)):
        name = undeclared[0]
        raise QueryError(f"{path}: the query uses ${name} but the header declares no such parameter: "
                         f"add '#+ param {name} (TYPE): optional. What it is.' or write ?{name}.")
    if unused := sorted(set(declared) - used):
        raise QueryError(f"{path}: the header declares the parameter {unused[0]!r}, which the query does not "
                         f"use: write ${unused[0]} in the query or drop the '#+ param' line.")
    if unlisted := [n for n in declared if n not in projected]:  # pyoxigraph binds only what SELECT lists
        name = unlisted[0]
        raise QueryError(f"{path}: the SELECT does not list the parameter ${name}, and citykg can bind a "
                         f"parameter only if it does: add ${name} after the columns (SELECT ?code ?label "
                         f"${name}), or write SELECT *.")


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
        raise unknown_query(name, [p.stem for p in folder.glob("*.rq")])
    return parse_query_file(path)


def unknown_query(name: str, names: Iterable[str], *, listing: str = "`citykg query --list`") -> QueryNotFound:
    """The error for a query name that is not one of ``names``, with the closest one.

    :param listing: where the catalogue is: the command line's by default; ``GET /queries`` over HTTP.
    """
    close = difflib.get_close_matches(name, sorted(names), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return QueryNotFound(f"Unknown query {quoted(name)}.{hint} See {listing}.")


def run(store: Store, query: NamedQuery, params: Mapping[str, str]) -> Result:
    """Run a named query with its parameters bound.

    :param store: the store to query (its default graph is the union of its named graphs).
    :param query: from :func:`get_query`.
    :param params: parameter name → value as the user typed it.
    :raises QueryParameterError: for a missing, unknown or unusable parameter.
    """
    check_params(query, params)
    terms = bind(store, query, params)
    result = _select(store, query.sparql, dict(terms))
    keep = [i for i, c in enumerate(result.columns) if c in query.columns]
    lacking = _lacking(store, query, params, terms) if not result.rows else ""
    return Result(tuple(result.columns[i] for i in keep),
                  [tuple(row[i] for i in keep) for row in result.rows], _mixed(query, params, result), lacking)


_HAS = "ASK { ?x a ?class ; ckg:inStudy ?s . ?s ckg:studiedCity ?city ; ckg:identifier ?study }"


def _lacking(store: Store, query: NamedQuery, params: Mapping[str, str],
             terms: Mapping[Variable, NamedNode | Literal]) -> str:
    """Why the answer is empty, if the studies asked about (of the city or study given, or all)
    have none of the records the query reads (its ``#+ about:``); else ""."""
    if query.about is None:
        return ""
    name, cls = query.about
    given = {p.type: p.name for p in query.params if p.type in ("city", "study") and Variable(p.name) in terms}
    bound = {Variable(kind): terms[Variable(param)] for kind, param in given.items()}
    if store.query(_HAS, use_default_graph_as_union=True, prefixes=PREFIXES,
                   substitutions={Variable("class"): NamedNode(expand(cls)), **bound}):
        return ""
    if "study" in given:
        return f"study {params[given['study']].strip()} has no {name}"
    where = f"of {quoted(params[given['city']].strip())}" if "city" in given else "in the graph"
    return f"no study {where} has {name}"


def _mixed(query: NamedQuery, params: Mapping[str, str], result: Result) -> tuple[str, ...]:
    """The studies of the rows, where there are several and neither a parameter nor a column says which."""
    study = next((p.name for p in query.params if p.type == "study"), None)
    if study is None or study in params or study in query.columns or study not in result.columns:
        return ()
    at = result.columns.index(study)
    ids = sorted({term.value for row in result.rows if isinstance(term := row[at], Literal)})
    return tuple(ids) if len(ids) > 1 else ()


def check_params(query: NamedQuery, params: Mapping[str, str], *, usage: str = CLI_PARAM) -> None:
    """Refuse a parameter the query does not take, one given without a value, and a required one left out.

    :param usage: how a parameter is passed, for the message (``"?{name}=VALUE"`` over HTTP).
    :raises QueryParameterError: naming the parameter and how to pass it.
    """
    unknown = sorted(set(params) - {p.name for p in query.params})
    if unknown:
        known = ", ".join(p.name for p in query.params) or "none"
        raise QueryParameterError(
            f"Query '{query.name}' has no parameter {quoted(unknown[0])} (its parameters: {known}).")
    for param in query.params:
        if param.name in params and not isinstance(params[param.name], str):
            raise QueryParameterError(f"{param.name}={quoted(str(params[param.name]))} is of type "
                                      f"{type(params[param.name]).__name__}: give every value as text (a str), as "
                                      f"{usage.format(name=param.name)} does ('3', not 3).")
        if param.name in params and not params[param.name].strip():
            raise QueryParameterError(
                f"{usage.format(name=param.name).replace('VALUE', '')} has no value: give "
                f"{usage.format(name=param.name)}, or leave out an optional parameter. {param.doc}")
        if param.required and param.name not in params:
            raise QueryParameterError(
                f"Query '{query.name}' needs {usage.format(name=param.name)}: {param.doc}")


def run_sparql(store: Store, sparql: str) -> Result:
    """Run an ad-hoc SELECT query (:func:`citykg.adhoc.run_any` runs every form).

    The default graph is the union of the named graphs, unless the query names its own (FROM).
    The text is checked before it runs (:func:`citykg.sparqltext.check_query`): an ASK,
    CONSTRUCT or DESCRIBE is refused then, not after running.

    :raises QuerySyntaxError: if the text is empty, nests too deeply, does not parse or is not a
        SELECT query.
    :raises QueryRefused: if it calls a SERVICE or is a SPARQL Update.
    """
    if not sparql.strip():
        raise QuerySyntaxError("The query is empty.")
    checked = check_query(sparql)
    if checked.is_update:
        raise QueryRefused("citykg answers queries: SPARQL Update is refused. The graph "
                           "changes with `citykg build` (the tables) and `citykg submit`.")
    if checked.form in ("ASK", "CONSTRUCT", "DESCRIBE"):
        raise QuerySyntaxError(_not_select(checked.form))
    return _select(store, sparql, {}, union=not checked.has_from)


def _not_select(form: str) -> str:
    """The refusal of a query of another form than SELECT, where rows are expected.

    >>> _not_select("ASK")  # doctest: +ELLIPSIS
    'This is an ASK query, and rows are expected: only a SELECT gives them. citykg.adhoc.run_any ...'
    """
    a = "an" if form == "ASK" else "a"
    return (f"This is {a} {form} query, and rows are expected: only a SELECT gives them. "
            "citykg.adhoc.run_any (`citykg query --file`) answers every form.")


def _select(store: Store, sparql: str,
            substitutions: dict[Variable, NamedNode | BlankNode | Literal | Triple], *,
            union: bool = True) -> Result:
    try:
        solutions = store.query(sparql, use_default_graph_as_union=union,
                                substitutions=substitutions or None, prefixes=PREFIXES)
    except SyntaxError as exc:
        raise QuerySyntaxError(explain_syntax_error(exc, sparql)) from exc
    except RuntimeError as exc:
        if str(exc).startswith(("Corruption", "IO error")):  # the store, not the query
            raise damaged("The store cannot be read", exc) from exc
        raise_unsupported(exc)
    if not isinstance(solutions, QuerySolutions):
        # dropped in this thread: pyoxigraph complains on stderr when another thread drops its
        # answers, and `citykg query` runs the query in a thread of its own
        form = "ASK" if isinstance(solutions, QueryBoolean) else "CONSTRUCT or DESCRIBE"
        del solutions
        raise QuerySyntaxError(_not_select(form))
    columns = tuple(v.value for v in solutions.variables)
    try:
        rows = [tuple(s[i] for i in range(len(columns))) for s in solutions]
    except OSError as exc:  # pyoxigraph reading the store, or reaching out for something
        raise QueryError(f"The query failed while it ran: {exc}") from exc
    return Result(columns, rows)
