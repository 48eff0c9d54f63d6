"""The IRIs citykg mints, and the namespaces it uses.

IRIs are built from stable keys only (study id, table key, code), so rebuilding the graph from
the same tables gives the same IRIs. Everything citykg mints lives under :data:`BASE`:

- ``{BASE}ontology#Term``                     ontology terms (prefix ``ckg:``)
- ``{BASE}id/study/{study}/{kind}/{key}``     facts of one study (factors, strategies, themes …)
- ``{BASE}id/{kind}/{key}``                   reference entities (cities, countries, organisations)
- ``{BASE}id/source/{folder}/{table}[/{line}]`` data files and their rows (provenance)
- ``{BASE}graph/{name}``                      named graphs, one per source
- ``{BASE}graph/submission/{id}``            the named graph of one accepted data submission

Example::

    >>> study_entity("mashhad-oic", "factor", "W3")
    'https://w3id.org/citykg/id/study/mashhad-oic/factor/W3'
    >>> graph("tabriz-2024")
    'https://w3id.org/citykg/graph/tabriz-2024'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from citykg.names import plain

BASE = "https://w3id.org/citykg/"
CKG = BASE + "ontology#"
ONTOLOGY_IRI = BASE + "ontology"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
GEO = "http://www.opengis.net/ont/geosparql#"
SH = "http://www.w3.org/ns/shacl#"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"

XSD_STRING = XSD + "string"

#: Prefixes used when citykg writes Turtle or TriG and when it runs queries.
PREFIXES: dict[str, str] = {
    "ckg": CKG,
    "dcterms": DCTERMS,
    "geo": GEO,
    "org": ORG,
    "owl": OWL,
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "schema": SCHEMA,
    "skos": SKOS,
    "wd": WD,
    "wdt": WDT,
    "xsd": XSD,
}

#: The named graph that holds the ontology inside the built dataset.
ONTOLOGY_GRAPH = BASE + "graph/ontology"
#: The shared scheme of diplomacy dimensions.
DIMENSION_SCHEME = BASE + "id/scheme/dimensions"


def _segment(key: str) -> str:
    """Percent-encode one path segment (keys are slugs, but a bad key must not break IRIs)."""
    return quote(key, safe="-._~")


def study(study_id: str) -> str:
    """The IRI of a study."""
    return f"{BASE}id/study/{_segment(study_id)}"


def study_entity(study_id: str, kind: str, *keys: str) -> str:
    """The IRI of a record of one study, such as a factor, a strategy or a theme."""
    tail = "/".join(_segment(k) for k in keys)
    return f"{study(study_id)}/{kind}/{tail}"


def codebook(study_id: str) -> str:
    """The IRI of the thematic codebook of a study."""
    return f"{study(study_id)}/codebook"


def entity(kind: str, *keys: str) -> str:
    """The IRI of a reference entity (city, country, organisation, dimension …)."""
    return f"{BASE}id/{kind}/" + "/".join(_segment(k) for k in keys)


#: The partnership types that make two cities twins (``ckg:twinnedWith``, Wikidata's P190).
TWINNING_TYPES = frozenset(CKG + t for t in ("sisterCity", "friendshipCity", "twinningStatement"))


def source_file(folder: str, table: str) -> str:
    """The IRI of a data file (one table of one data folder)."""
    return f"{BASE}id/source/{_segment(folder)}/{_segment(table)}"


def source_row(folder: str, table: str, line: int) -> str:
    """The IRI of one row of a data file, by its line number."""
    return f"{source_file(folder, table)}/{line}"


def graph(name: str) -> str:
    """The IRI of the named graph of one source."""
    return f"{BASE}graph/{_segment(name)}"


def submission_graph(submission_id: str) -> str:
    """The IRI of the named graph of one accepted data submission.

    >>> submission_graph("3f2a9c0d1e4b5a67")
    'https://w3id.org/citykg/graph/submission/3f2a9c0d1e4b5a67'
    """
    return f"{BASE}graph/submission/{_segment(submission_id)}"


def submission_source(submission_id: str, *parts: str) -> str:
    """The IRI prefix of the data files of a submission (``…/id/source/submission/{id}/…``)."""
    return f"{BASE}id/source/submission/" + "/".join(_segment(p) for p in (submission_id, *parts))


def node_key(term: object) -> str | None:
    """How a finding names an RDF node, its ``focus``: an IRI as it is, a blank node as ``_:`` and
    its id; None for anything else (a literal).

    >>> from pyoxigraph import BlankNode, NamedNode
    >>> node_key(BlankNode("row")), node_key(NamedNode("https://w3id.org/citykg/id/city/qom"))
    ('_:row', 'https://w3id.org/citykg/id/city/qom')
    """
    from pyoxigraph import BlankNode, NamedNode

    if isinstance(term, BlankNode):
        return "_:" + term.value
    return term.value if isinstance(term, NamedNode) else None


def term(name: str) -> str:
    """The IRI of an ontology term: ``term('Strength')`` is ``ckg:Strength``."""
    return CKG + name


def is_qid(text: str) -> bool:
    """Whether ``text`` is a Wikidata item id (``Q`` and digits, no leading zero).

    >>> is_qid("Q80053"), is_qid("q80053"), is_qid("Q080053")
    (True, False, False)
    """
    return re.fullmatch(r"Q[1-9][0-9]*", text) is not None


# a QID as pasted: wd:Q…, or a Wikidata entity or page IRI
_PASTED_QID = re.compile(r"(?:wd:|https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/)?([Qq][0-9]+)", re.IGNORECASE)


def pasted_qid(text: str) -> str | None:
    """The QID a name is, as it may be pasted (``Q80053``, ``q80053``, ``wd:Q80053``, the item's
    entity IRI or page URL, in Persian or Arabic digits too), or None if it is no QID.

    >>> pasted_qid("wd:Q80053"), pasted_qid("http://www.wikidata.org/entity/Q80053"), pasted_qid("Tabriz")
    ('Q80053', 'Q80053', None)
    """
    found = _PASTED_QID.fullmatch(plain(text))
    return found[1].upper() if found and is_qid(found[1].upper()) else None


def shorten(iri: str) -> str:
    """Write an IRI as a prefixed name when a known prefix fits, else as ``<iri>``.

    >>> shorten("https://w3id.org/citykg/ontology#Strength")
    'ckg:Strength'
    """
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and "/" not in iri[len(ns):] and "#" not in iri[len(ns):]:
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def expand(name: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """The IRI of a prefixed name (as :func:`shorten` writes it with citykg's ``prefixes``); any
    other text as it is, without ``<>``.

    >>> expand("ckg:Strength")
    'https://w3id.org/citykg/ontology#Strength'
    """
    prefix, _, local = name.partition(":")
    return prefixes[prefix] + local if prefix in prefixes and not local.startswith("//") else name.strip("<>")
