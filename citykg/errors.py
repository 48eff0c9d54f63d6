"""The errors citykg raises.

Every error a user can cause is a :class:`CitykgError`; its message names the object at fault
and the fix. Exceptions of dependencies (rdflib, pyoxigraph, pySHACL, owlready2) are translated
into these classes where citykg calls them, so callers never need to know the dependencies.
:func:`quoted` and :func:`cut` put a user's value into a message, cut short, and
:func:`not_utf8` says where a file that is not UTF-8 first fails. The CLI turns the
errors into a one-line message on stderr and the exit code of the class::

    CitykgError                  exit 2 unless stated
    ├── ProjectError             the project folder lacks ontology/, shapes/, queries/ or data/
    ├── InputError               a file cannot be read or parsed (encoding, CSV, RDF syntax)
    ├── DataError                exit 1: the data is readable but invalid; carries the report
    ├── OntologyError            the ontology cannot be loaded or reasoned over
    ├── ShapesError              the SHACL shapes cannot be loaded
    ├── StoreError               no built store, or it is locked or damaged
    ├── ServeError               the server cannot start (address in use, bad option)
    ├── LinkError                linking to Wikidata cannot go on (bad names or decisions file)
    │   └── EndpointError        the SPARQL endpoint is unreachable, refuses citykg or answers nonsense
    ├── SubmissionError          no submission of that id, or it cannot be withdrawn
    └── QueryError               a named or ad-hoc query cannot run
        ├── QueryNotFound        no query of that name
        ├── QueryParameterError  a parameter is missing, unknown or has a bad value
        ├── QuerySyntaxError     the SPARQL does not parse
        ├── QueryRefused         a safety rule refuses it (a SERVICE call: no outgoing requests)
        └── QueryTimeout         it ran past its time limit and was stopped

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
    "EndpointError",
    "InputError",
    "LinkError",
    "OntologyError",
    "ProjectError",
    "QueryError",
    "QueryNotFound",
    "QueryParameterError",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "ServeError",
    "ShapesError",
    "StoreError",
    "SubmissionError",
    "a_or_an",
    "cut",
    "is_utf16",
    "quoted",
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


class ServeError(CitykgError):
    """The server cannot start: its address is in use, or an option is unusable."""


class SubmissionError(CitykgError):
    """No submission has that id, or the submission cannot be withdrawn or reinstated."""


class LinkError(CitykgError):
    """Linking to Wikidata cannot go on: a names or decisions file is unusable, or a value is."""


class EndpointError(LinkError):
    """The SPARQL endpoint cannot be reached, refuses citykg, or answers with no SPARQL results."""


class QueryError(CitykgError):
    """A query cannot run."""


class QueryNotFound(QueryError):
    """No named query has that name."""


class QueryParameterError(QueryError):
    """A query parameter is missing, unknown, or has a value that cannot be used."""


class QuerySyntaxError(QueryError):
    """The SPARQL text does not parse."""


class QueryRefused(QueryError):
    """A safety rule refuses the query, such as a SERVICE call (citykg makes no outgoing requests)."""


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped."""


def cut(value: str, limit: int = 80) -> str:
    """A user's value for a message, cut to ``limit`` characters.

    >>> cut("A" * 100, limit=5)
    'AAAA…'
    """
    return value if len(value) <= limit else value[: limit - 1] + "…"


def a_or_an(word: str) -> str:
    """The word after its indefinite article, for a message naming a table or a kind.

    >>> a_or_an("factors"), a_or_an("actions")
    ('a factors', 'an actions')
    """
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def quoted(value: str, limit: int = 80) -> str:
    """A user's value quoted for a message, cut to ``limit`` characters.

    >>> quoted("Mashhad"), quoted("A" * 100, limit=5)
    ("'Mashhad'", "'AAAA…'")
    """
    return repr(cut(value, limit))


def is_utf16(data: bytes) -> bool:
    """Whether the bytes look like UTF-16 (as Excel saves "Unicode text"): its byte-order mark, or
    a NUL in every other byte.

    >>> is_utf16("name,country\\n".encode("utf-16")), is_utf16("name,country\\n".encode("utf-16-le"))
    (True, True)
    >>> is_utf16(b"\\n\\n"), is_utf16(b"")
    (False, False)
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    half = len(data) // 2
    return half > 0 and max(data[0::2].count(0), data[1::2].count(0)) >= max(1, half * 3 // 4)


def not_utf8(what: str, data: bytes, exc: UnicodeDecodeError, *, save_as: str = "UTF-8") -> str:
    """The message about ``data`` (read from ``what``) that is not UTF-8: the first byte that fails,
    its line, and how to save the file.

    >>> text = "name\\nمشهد\\n".encode("cp1256")
    >>> try:
    ...     text.decode("utf-8")
    ... except UnicodeDecodeError as exc:
    ...     print(not_utf8("names.csv", text, exc))
    names.csv is not UTF-8: byte 0xe3 on line 2 cannot be decoded. Save it as UTF-8 (not Latin-1 or \
Windows-1256) and try again.
    """
    line = data[: exc.start].count(b"\n") + 1
    return (f"{what} is not UTF-8: byte 0x{data[exc.start]:02x} on line {line} cannot be decoded. "
            f"Save it as {save_as} (not Latin-1 or Windows-1256) and try again.")
