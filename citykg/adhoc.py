"""Ad-hoc SPARQL of every form, as ``citykg query --file`` runs it: rows, a yes or no, or triples.

A SELECT answers rows (:class:`citykg.queries.Result`, as :func:`citykg.queries.run_sparql`
gives them), an ASK a boolean, and a CONSTRUCT or DESCRIBE the triples it builds
(:class:`Triples`). :mod:`citykg.formats` prints each. The text is checked before it runs, as
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
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryBoolean, Store, Triple

from citykg.errors import QueryError, QuerySyntaxError
from citykg.iris import PREFIXES
from citykg.queries import Result, run_sparql
from citykg.sparqlerrors import explain_syntax_error, raise_unsupported
from citykg.sparqltext import check_query

__all__ = ["Triples", "form_of", "run_any"]

_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


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
