"""Ad-hoc SPARQL of every form, as ``citykg query --file`` runs it: rows, a yes or no, or triples.

A SELECT answers rows (:class:`citykg.queries.Result`, as :func:`citykg.queries.run_sparql`
gives them), an ASK a boolean, and a CONSTRUCT or DESCRIBE the triples it builds
(:class:`Triples`). :func:`render_any` prints each in a format its form has, as
``citykg query --file`` prints it (:func:`output_format`). The text is checked before it runs, as
the server checks it (:func:`citykg.sparqltext.check_query`: no SPARQL Update, no SERVICE, no
runaway nesting), and the default graph is the union of the named graphs unless the query names
its own (FROM).

Example::

    >>> from pyoxigraph import Store
    >>> store = Store()
    >>> run_any(store, "ASK { ?s ?p ?o }")
    False
    >>> [str(t) for t in run_any(store, "CONSTRUCT { <http://example.org/a> rdfs:label 'A' } WHERE {}").triples]
    ['<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "A"']
    >>> form_of("PREFIX ex: <http://example.org/>  describe ex:a")
    'DESCRIBE'
    >>> render_any(run_any(store, "ASK {}"), "json")
    '{"head": {}, "boolean": true}\\n'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from pyoxigraph import QueryBoolean, Store, Triple

from citykg.errors import QueryError, QueryParameterError, QuerySyntaxError, quoted
from citykg.iris import PREFIXES
from citykg.queries import Result, run_sparql
from citykg.sparqlerrors import explain_syntax_error, raise_unsupported
from citykg.sparqltext import check_query

if TYPE_CHECKING:
    from citykg.formats import Format

__all__ = ["Triples", "form_of", "output_format", "render_any", "run_any"]

_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
# The formats each form's answer prints in, as `citykg query --file --format` names them → as
# citykg.formats names them: rows and an ASK's answer as they are named; triples also as table and json.
_ROW_FORMATS = {name: name for name in ("table", "csv", "tsv", "json")}
_TRIPLE_FORMATS = {"turtle": "turtle", "table": "turtle", "ntriples": "ntriples", "jsonld": "jsonld",
                   "json": "jsonld", "rdfxml": "rdfxml"}


@dataclass(frozen=True)
class Triples:
    """The answer to a CONSTRUCT or DESCRIBE query: its triples, in the order the store gives them."""

    triples: list[Triple]


def form_of(sparql: str) -> str | None:
    """The form of a query (``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``), read without
    running it; ``None`` for an update or a text that is no query.

    :raises QueryRefused: if it calls a SERVICE.
    :raises QuerySyntaxError: if it nests or chains too deeply to run safely.
    """
    checked = check_query(sparql)
    return checked.form if checked.form in _FORMS and not checked.is_update else None


def output_format(form: str, fmt: str | Format) -> str:
    """The format of :mod:`citykg.formats` that prints the answer of a ``form`` query (``SELECT``,
    ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``) in ``fmt``, one of the names ``citykg query --file
    --format`` takes for that form: ``table``, ``csv``, ``tsv`` or ``json`` for rows and an ASK's
    answer; ``turtle`` (or ``table``), ``ntriples``, ``jsonld`` (or ``json``) or ``rdfxml`` for triples.

    :raises QueryParameterError: naming the format, the form and the formats it takes, if the
        form has no such format.

    >>> output_format("CONSTRUCT", "table"), output_format("DESCRIBE", "json"), output_format("ASK", "json")
    ('turtle', 'jsonld', 'json')
    >>> output_format("SELECT", "turtle")
    Traceback (most recent call last):
    ...
    citykg.errors.QueryParameterError: The format 'turtle' does not fit the answer of a SELECT query: its rows \
print as table, csv, tsv or json.
    """
    name = fmt.value if isinstance(fmt, Enum) else fmt
    triples = form in ("CONSTRUCT", "DESCRIBE", "CONSTRUCT or DESCRIBE")
    formats = _TRIPLE_FORMATS if triples else _ROW_FORMATS
    if isinstance(name, str) and name in formats:
        return formats[name]
    article = "an" if form == "ASK" else "a"
    what = ("its triples print as turtle (or table), ntriples, jsonld (or json) or rdfxml" if triples else
            f"its {'answer (true or false) prints' if form == 'ASK' else 'rows print'} as table, csv, tsv or json")
    raise QueryParameterError(f"The format {quoted(str(name))} does not fit the answer of {article} {form} "
                              f"query: {what}.")


def render_any(answer: Result | bool | Triples, fmt: str | Format) -> str:
    """An answer of :func:`run_any` as text, in a format its form has (see :func:`output_format`).

    :raises QueryParameterError: if the answer's form has no format ``fmt``.
    :raises Unrepresentable: (a :class:`~citykg.errors.QueryError`) if the format cannot carry the
        answer, such as a triple term in JSON-LD.

    >>> render_any(Result(("n",), []), "csv")
    'n\\r\\n'
    >>> render_any(Triples([]), "csv")
    Traceback (most recent call last):
    ...
    citykg.errors.QueryParameterError: The format 'csv' does not fit the answer of a CONSTRUCT or DESCRIBE \
query: its triples print as turtle (or table), ntriples, jsonld (or json) or rdfxml.
    """
    from citykg.formats import Format, render, render_boolean, render_triples

    if isinstance(answer, Result):
        return render(answer, Format(output_format("SELECT", fmt)))
    if isinstance(answer, bool):
        return render_boolean(answer, Format(output_format("ASK", fmt)))
    return render_triples(answer.triples, output_format("CONSTRUCT or DESCRIBE", fmt))


def run_any(store: Store, sparql: str) -> Result | bool | Triples:
    """Run an ad-hoc query of any form against ``store``.

    :returns: the rows of a SELECT, the answer of an ASK, the triples of a CONSTRUCT or DESCRIBE.
    :raises QuerySyntaxError: if the text is empty, nests too deeply or does not parse.
    :raises QueryRefused: if it calls a SERVICE or is a SPARQL Update.
    :raises QueryError: if the store fails while the query runs.
    """
    checked = check_query(sparql)
    if checked.is_update or checked.form not in ("ASK", "CONSTRUCT", "DESCRIBE"):
        return run_sparql(store, sparql)  # a SELECT, or the refusal of what is no query
    try:
        answer = store.query(sparql, use_default_graph_as_union=not checked.has_from, prefixes=PREFIXES)
    except SyntaxError as exc:
        raise QuerySyntaxError(explain_syntax_error(exc, sparql)) from exc
    except RuntimeError as exc:
        raise_unsupported(exc)
    if isinstance(answer, QueryBoolean):
        return bool(answer)
    try:
        return Triples(list(answer))
    except OSError as exc:  # pyoxigraph reading the store
        del answer  # here: pyoxigraph complains when another thread drops a query's answer
        raise QueryError(f"The query failed while it ran: {exc}") from exc
