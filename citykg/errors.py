"""The errors citykg raises.

Every error a user can cause is a :class:`CitykgError`; its message names the object at fault
and the fix. Exceptions of dependencies (rdflib, pyoxigraph, pySHACL, owlready2) are translated
into these classes where citykg calls them, so callers never need to know the dependencies.
The CLI turns them into a one-line message on stderr and the exit code of the class::

    CitykgError                  exit 2 unless stated
    ├── ProjectError             the project folder lacks ontology/, shapes/, queries/ or data/
    ├── InputError               a file cannot be read or parsed (encoding, CSV, RDF syntax)
    ├── DataError                exit 1: the data is readable but invalid; carries the report
    ├── OntologyError            the ontology cannot be loaded or reasoned over
    ├── ShapesError              the SHACL shapes cannot be loaded
    ├── StoreError               no built store, or it is locked or damaged
    └── QueryError               a named or ad-hoc query cannot run
        ├── QueryNotFound        no query of that name
        ├── QueryParameterError  a parameter is missing, unknown or has a bad value
        └── QuerySyntaxError     the SPARQL does not parse

Example::

    >>> from citykg.errors import CitykgError, QueryNotFound
    >>> try:
    ...     raise QueryNotFound("Unknown query 'x'. See `citykg query --list`.")
    ... except CitykgError as exc:
    ...     (exc.exit_code, str(exc))
    (2, "Unknown query 'x'. See `citykg query --list`.")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from citykg.report import Report

__all__ = [
    "CitykgError",
    "DataError",
    "InputError",
    "OntologyError",
    "ProjectError",
    "QueryError",
    "QueryNotFound",
    "QueryParameterError",
    "QuerySyntaxError",
    "ShapesError",
    "StoreError",
]


class CitykgError(Exception):
    """Base of every error citykg reports to a user."""

    #: The process exit code the CLI uses for this error.
    exit_code = 2


class ProjectError(CitykgError):
    """The project folder is missing one of its parts."""


class InputError(CitykgError):
    """An input file cannot be read or parsed."""


class DataError(CitykgError):
    """The data can be read but does not conform; ``report`` lists every problem."""

    exit_code = 1

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


class OntologyError(CitykgError):
    """The ontology cannot be loaded or is inconsistent."""


class ShapesError(CitykgError):
    """The SHACL shapes cannot be loaded."""


class StoreError(CitykgError):
    """The store is missing, locked by another process, or damaged."""


class QueryError(CitykgError):
    """A query cannot run."""


class QueryNotFound(QueryError):
    """No named query has that name."""


class QueryParameterError(QueryError):
    """A query parameter is missing, unknown, or has a value that cannot be used."""


class QuerySyntaxError(QueryError):
    """The SPARQL text does not parse."""
