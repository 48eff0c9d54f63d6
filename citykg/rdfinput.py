"""Read RDF input safely: formats by extension, size limit, and refusal of what is unsafe.

Submissions and ``citykg validate`` read RDF files through :func:`parse_rdf`, which refuses, with
:class:`~citykg.errors.InputError` and a message that names the input and the fix:

- files over :data:`MAX_RDF_BYTES`;
- text that is not UTF-8 (a leading UTF-8 byte-order mark is dropped);
- RDF/XML that declares XML entities (they can expand a few hundred bytes into gigabytes, or
  read local files) or is UTF-16;
- JSON-LD with a remote context: citykg fetches nothing;
- quoted triples (RDF-star, RDF 1.2 triple terms and annotations), at their line where the format
  writes them.

Relative IRIs resolve against :data:`INPUT_BASE`.

Example::

    >>> quads = parse_rdf(b"<https://e.org/s> <https://e.org/p> 1 .", RdfFormat.TURTLE, "a.ttl")
    >>> len(quads), rdf_format_of("study.TTL")
    (1, <RdfFormat Turtle>)
"""

from __future__ import annotations

import re
from pathlib import Path

from pyoxigraph import Quad, RdfFormat, Triple, parse

from citykg.errors import InputError, is_utf16, not_utf8

__all__ = ["BOM", "INPUT_BASE", "MAX_RDF_BYTES", "RDF_SUFFIXES", "parse_rdf", "rdf_format_of", "read_rdf",
           "too_big"]

#: The base IRI relative IRIs in RDF input resolve against.
INPUT_BASE = "https://w3id.org/citykg/input/"
#: RDF files larger than this are refused.
MAX_RDF_BYTES = 20 * 2**20

#: The RDF files citykg reads, by extension.
RDF_SUFFIXES = {".ttl": RdfFormat.TURTLE, ".trig": RdfFormat.TRIG, ".nt": RdfFormat.N_TRIPLES,
                ".nq": RdfFormat.N_QUADS, ".jsonld": RdfFormat.JSON_LD, ".json": RdfFormat.JSON_LD,
                ".rdf": RdfFormat.RDF_XML, ".owl": RdfFormat.RDF_XML}
#: The UTF-8 byte-order mark, dropped from the start of RDF input.
BOM = b"\xef\xbb\xbf"
# How a text format writes a quoted triple: << … >>, <<( … )>> (RDF 1.2) or an annotation {| … |}
_QUOTED = re.compile(r"<<|\{\|")
_CONTEXT_URL = re.compile(r'"@context"\s*:\s*\[?\s*"([^"]*)"')


def rdf_format_of(name: str) -> RdfFormat | None:
    """The RDF format a file name's extension stands for, if any."""
    return RDF_SUFFIXES.get(Path(name).suffix.lower())


def parse_rdf(data: bytes, fmt: RdfFormat, display: str) -> list[Quad]:
    """Parse RDF bytes safely (see the module docstring), without a leading UTF-8 byte-order mark.

    :raises InputError: if the bytes are too large, declare XML entities, do not parse, need a
        remote JSON-LD context, or hold a quoted triple.
    """
    if len(data) > MAX_RDF_BYTES:
        raise InputError(too_big(display, len(data)))
    data = data.removeprefix(BOM)
    if fmt == RdfFormat.RDF_XML:  # (== : pyoxigraph makes a new object for each format it names)
        _refuse_entities(data, display)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if is_utf16(data):
            raise InputError(f"{display} is UTF-16; citykg reads RDF in UTF-8 only. Save it as UTF-8 and try "
                             "again.") from exc
        raise InputError(not_utf8(display, data, exc)) from exc
    try:
        quads = list(parse(data, format=fmt, base_iri=INPUT_BASE))
    except SyntaxError as exc:
        if "LoadDocumentCallback" in exc.msg:  # pyoxigraph would have to fetch a remote context
            raise InputError(_remote_context(data, display)) from exc
        raise InputError(f"{display} is not valid {fmt.name}: {exc.msg}") from exc
    except ValueError as exc:
        raise InputError(f"{display} cannot be read as {fmt.name}: {exc}") from exc
    if any(isinstance(q.subject, Triple) or isinstance(q.object, Triple) for q in quads):
        raise InputError(_quoted_triple(data, fmt, display))
    return quads


def read_rdf(path: Path, fmt: RdfFormat) -> list[Quad]:
    """Read and parse an RDF file safely (:func:`parse_rdf`), refusing it first if too large.

    :raises InputError: if it is too large, unsafe, unreadable or does not parse.
    """
    try:
        size = path.stat().st_size
        if size > MAX_RDF_BYTES:
            raise InputError(too_big(str(path), size))
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc}") from exc
    return parse_rdf(data, fmt, str(path))


def _refuse_entities(data: bytes, display: str) -> None:
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head in (b"\x00<\x00?", b"<\x00?\x00"):
        raise InputError(f"{display} is UTF-16; citykg reads RDF in UTF-8 only. Save it as UTF-8 and try again.")
    if b"<!ENTITY" in data or b"<!entity" in data.lower():
        raise InputError(f"{display} declares XML entities (<!ENTITY …>); citykg refuses them in "
                         "RDF/XML, because they can expand a small file into gigabytes or read "
                         "local files. Write the values out, or send Turtle.")


def _remote_context(data: bytes, display: str) -> str:
    """The message about a JSON-LD document whose context is to be fetched, naming it if it can."""
    url = _CONTEXT_URL.search(data.decode("utf-8", errors="replace"))
    return (f"{display}: citykg does not fetch remote JSON-LD contexts{f' ({url[1]})' if url else ''}: "
            'put the context inline ("@context": {"ckg": "https://w3id.org/citykg/ontology#", …}), or '
            "write full IRIs.")


def _quoted_triple(data: bytes, fmt: RdfFormat, display: str) -> str:
    """The message about a quoted triple, at the line of the first ``<<`` or ``{|`` if the
    format writes one."""
    text = data.decode("utf-8", errors="replace")
    found = None if fmt in (RdfFormat.JSON_LD, RdfFormat.RDF_XML) else _QUOTED.search(text)
    where = f", line {text.count(chr(10), 0, found.start()) + 1}" if found else ""
    return (f"{display}{where}: citykg does not read quoted triples (RDF-star << … >>, RDF 1.2 "
            "<<( … )>> or an annotation {| … |}); a submission states its records in plain triples. "
            "Write the triple itself, and give its source with prov:wasDerivedFrom and a ckg:SourceRow.")


def too_big(label: str, size: int) -> str:
    """The message about an RDF input of ``size`` bytes, over :data:`MAX_RDF_BYTES`."""
    return (f"{label} is {size / 2**20:.1f} MiB; citykg accepts RDF files up to "
            f"{MAX_RDF_BYTES // 2**20} MiB. Split it into several submissions.")
