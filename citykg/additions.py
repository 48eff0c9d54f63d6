"""What an input may add to the graph: new records only, described in the ontology's terms.

``citykg validate`` and ``citykg submit`` check an input with these rules against the current
graph (the project's data, its accepted submissions and ``graphs/``), and a build checks every
accepted RDF submission with the same function (:func:`check_rdf`), so that they agree:

- a record the graph already has is not defined again: a table row whose record is in the
  graph, whatever made it, or an RDF subject the graph already has, is a duplicate
  (``citykg:input/existing-record``); the one exception in RDF is the ``ckg:twinnedWith``
  shortcut that a new partnership of the same file adds to its two cities;
- an RDF input describes citykg records and nothing else:

  - no subject among citykg's graphs, source files or ontology terms
    (``citykg:input/reserved-subject``; these triples are left out of the graph);
  - every other named subject is a record IRI under ``https://w3id.org/citykg/id/``
    (``citykg:input/foreign-subject``) typed with a class of the ontology
    (``citykg:input/untyped-record``);
  - every blank node hangs from such a record, as its source row does
    (``citykg:input/detached-node``);
  - no source row claims to have been read from citykg's tables: ``ckg:dataTable``, and a
    ``ckg:dataFile`` that is one of citykg's source files, are stated by citykg alone, when it
    reads a table (``citykg:input/table-provenance``);
  - every predicate is a property of the ontology (or ``rdf:type``, ``rdfs:label``,
    ``rdfs:comment``), every class a class of the ontology, and every other ``ckg:`` term one
    the ontology declares (``citykg:input/undeclared-term``);
- no literal holds a control character (U+0000–U+001F but tab, line feed and carriage return;
  U+007F–U+009F), which no label needs and XML cannot carry (``citykg:input/control-character``);
- a submission of tables that has studies of its own (a studies.csv with rows) adds to them, not
  to another study the graph has: a row whose study is one, with no note to say why, is a warning
  (``citykg:input/other-study``), since a slip in a study cell would change a published study;
- a submission's triples all go into its own graph: the graph names of a TriG or JSON-LD input
  are not kept, which a warning says (``citykg:input/named-graphs``).

The findings go into the same report as those of the shapes.

Example::

    >>> from pyoxigraph import Literal
    >>> from citykg.build import load_ontology
    >>> from citykg.project import Project
    >>> vocabulary = Vocabulary.of(load_ontology(Project.locate()))
    >>> qom, evil = NamedNode(RECORDS + "city/qom"), NamedNode("http://evil.example/x")
    >>> quads = [Quad(qom, NamedNode(RDF + "type"), NamedNode(CKG + "City")),
    ...          Quad(qom, NamedNode(CKG + "countryy"), Literal("IR")),
    ...          Quad(evil, NamedNode(CKG + "twinnedWith"), qom)]
    >>> kept, found = check_rdf(quads, file="x.ttl", records={}, vocabulary=vocabulary)
    >>> for f in found:
    ...     print(f.shape, f.value)
    citykg:input/foreign-subject http://evil.example/x
    citykg:input/undeclared-term https://w3id.org/citykg/ontology#countryy
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from citykg.errors import quoted
from citykg.iris import BASE, CKG, OWL, PROV, RDF, RDFS, TWINNING_TYPES, node_key, shorten, study
from citykg.rdfmap import subject_of
from citykg.report import Finding, Severity
from citykg.tables import Row

__all__ = ["EXISTING_RECORD", "RECORDS", "RESERVED", "Vocabulary", "check_rdf", "check_terms", "origin",
           "other_studies", "records", "restated_rows"]

#: Where citykg's records live: an RDF input describes subjects under this prefix only.
RECORDS = BASE + "id/"
#: Subjects no input may describe: citykg's graphs, its source files and its ontology terms.
RESERVED = (BASE + "graph/", BASE + "id/source/", CKG)
_TYPE, _SHORTCUT, _PARTNER, _KIND = RDF + "type", CKG + "twinnedWith", CKG + "partner", CKG + "partnershipType"
_PARTNERSHIP = CKG + "Partnership"
_TABLE, _DATA_FILE = CKG + "dataTable", CKG + "dataFile"
_BUILTIN = frozenset({_TYPE, RDFS + "label", RDFS + "comment"})  # the RDF(S) terms records use
_PROPERTIES = frozenset({OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty",
                         RDF + "Property"})
_RULE = "citykg:input/"
#: The rule of a record an input restates that the graph already has.
EXISTING_RECORD = f"{_RULE}existing-record"
_RESERVED_MESSAGE = ("An RDF submission may not describe citykg's graphs, source files or ontology terms; "
                     "describe records only.")


@dataclass(frozen=True)
class Vocabulary:
    """The terms the ontology declares: its classes, its properties, and every declared term."""

    classes: frozenset[str]
    properties: frozenset[str]
    terms: frozenset[str]

    @classmethod
    def of(cls, ontology: Iterable[Quad]) -> Vocabulary:
        """The vocabulary of the ontology's quads (:func:`citykg.build.load_ontology`)."""
        kinds: dict[str, set[str]] = {}
        for q in ontology:
            if q.predicate.value == _TYPE and isinstance(q.subject, NamedNode):
                kinds.setdefault(q.subject.value, set()).add(_value(q.object))
        classes = {t for t, k in kinds.items() if k & {OWL + "Class", RDFS + "Class"}}
        properties = {t for t, k in kinds.items() if k & _PROPERTIES}
        return cls(frozenset(classes), frozenset(properties) | _BUILTIN, frozenset(kinds) | _BUILTIN)


def records(quads: Iterable[Quad]) -> dict[str, str]:
    """The records of a graph, each with the graph that first types it: typed subjects under
    :data:`RECORDS`, other than source files and rows."""
    out: dict[str, str] = {}
    for q in quads:
        s = q.subject
        if (q.predicate.value == _TYPE and isinstance(s, NamedNode) and s.value.startswith(RECORDS)
                and not s.value.startswith(RESERVED)):
            out.setdefault(s.value, str(q.graph_name.value) if isinstance(q.graph_name, NamedNode) else "")
    return out


def origin(graph: str) -> str:
    """Where a record comes from, for messages: a submission, or a graph by its IRI."""
    prefix = BASE + "graph/submission/"
    return f"submission {graph[len(prefix):]}" if graph.startswith(prefix) else f"the graph <{graph}>"


def restated_rows(rows: Iterable[Row], known: Mapping[str, str], *, skip: set[str]) -> list[Finding]:
    """Rows of an input that define a record the graph already has (``known``, by
    :func:`records`), other than those in ``skip`` (records of tables read with the input, whose
    duplicates :mod:`citykg.tables` reports with their line)."""
    findings = []
    for row in rows:
        iri = subject_of(row)
        if iri in known and iri not in skip:
            key = "/".join(row.key())
            findings.append(Finding(
                Severity.VIOLATION, f"Duplicate {row.table.record} {key!r}: the graph already has this "
                f"record, from {origin(known[iri])}. Leave the row out, or give the new record a key of "
                "its own.", file=row.file.display, row=row.line, column=",".join(row.table.key),
                value=key, shape=EXISTING_RECORD))
    return findings


def other_studies(rows: Sequence[Row], known: Mapping[str, str]) -> list[Finding]:
    """Rows of an input with studies of its own (rows of its studies.csv) that add to another
    study the graph already has (``known``, by :func:`records`, without the input): a warning at
    each one's study cell, unless its note says why. An input with no study of its own adds to
    the graph's studies on purpose (new memberships of a study), and is not warned about.

    :param rows: the rows of the input's tables.
    :param known: the records the graph has, without the input's.
    """
    own = sorted({r.get("id") for r in rows if r.table.name == "studies" and r.get("id")})
    if not own:
        return []
    yours = f"{'is' if len(own) == 1 else 'are'} {', '.join(own)}"
    findings = []
    for row in rows:
        other = row.study
        if row.table.name == "studies" or not other or other in own or study(other) not in known or row.get("note"):
            continue
        findings.append(Finding(
            Severity.WARNING, f"This row adds to the study {other}, which is already in the graph, while this "
            f"submission's own {'study' if len(own) == 1 else 'studies'} {yours} (studies.csv): check the study "
            "column. (Adding to a published study is allowed: then say so in the row's note.)",
            file=row.file.display, row=row.line, column="study", value=other, shape=_RULE + "other-study"))
    return findings


def check_rdf(quads: Sequence[Quad], *, file: str, records: Mapping[str, str],
              vocabulary: Vocabulary) -> tuple[list[Quad], list[Finding]]:
    """Check the quads of an RDF input against the rules of the module docstring.

    :param quads: the input's quads.
    :param file: the file to name in findings.
    :param records: the records the graph already has (:func:`records` of the graph without the
        input), each with the graph that defines it.
    :param vocabulary: the ontology's terms.
    :return: the quads to add (without those about reserved subjects) and the findings.
    """
    findings: list[Finding] = []
    reserved = {q.subject.value for q in quads if isinstance(q.subject, NamedNode)
                and q.subject.value.startswith(RESERVED)}
    findings += [_finding(_RESERVED_MESSAGE, file, iri, "reserved-subject") for iri in sorted(reserved)]
    kept = [q for q in quads if not (isinstance(q.subject, NamedNode) and q.subject.value in reserved)]
    facts: dict[NamedNode | BlankNode, list[Quad]] = {}
    for q in kept:
        facts.setdefault(q.subject, []).append(q)  # type: ignore[arg-type]
    pairs = _partnerships(facts)
    foreign = set()
    for subject, about in sorted(facts.items(), key=lambda kv: str(kv[0])):
        if isinstance(subject, BlankNode):
            continue
        iri = _value(subject)
        if not isinstance(subject, NamedNode) or not iri.startswith(RECORDS):
            foreign.add(subject)
            findings.append(_finding(
                f"{shorten(iri)} is not a citykg record: an RDF submission describes records whose IRIs "
                f"start with {RECORDS} (such as {RECORDS}city/qom). Mint the record's IRI there, or leave "
                "its triples out.", file, iri, "foreign-subject"))
        elif iri in records:
            findings += _existing(subject, about, pairs, records[iri], file)
        elif not {_value(q.object) for q in about if q.predicate.value == _TYPE} & vocabulary.classes:
            findings.append(_finding(
                "The record has no class of the ontology. Give it an rdf:type the ontology declares, "
                "such as ckg:City or ckg:Partnership.", file, iri, "untyped-record"))
    findings += _detached(facts, file)
    findings += _table_provenance(kept, file)
    findings += _named_graphs(quads, file)
    findings += _control_characters(kept, file)
    findings += check_terms([q for q in kept if q.subject not in foreign], vocabulary, file=file, only_ckg=False)
    return kept, findings


def check_terms(quads: Iterable[Quad], vocabulary: Vocabulary, *, file: str, only_ckg: bool) -> list[Finding]:
    """Terms the ontology does not declare, once each: predicates that are not its properties,
    classes that are not its classes, other ``ckg:`` terms it lacks. With ``only_ckg``, only
    ``ckg:`` terms count (``citykg validate --standalone`` of a build, which has PROV terms)."""
    found: dict[str, tuple[str, str | None]] = {}  # term → (what it should be, a subject using it)
    for q in quads:
        subject = q.subject.value if isinstance(q.subject, NamedNode) else None
        wanted = [(q.predicate.value, "property", vocabulary.properties)]
        if isinstance(q.object, NamedNode):
            if q.predicate.value == _TYPE:
                wanted.append((q.object.value, "class", vocabulary.classes))
            elif q.object.value.startswith(CKG):
                wanted.append((q.object.value, "term", vocabulary.terms))
        for term, what, declared in wanted:
            if term not in declared and (term.startswith(CKG) or not only_ckg):
                found.setdefault(term, (what, subject))
    out = []
    for term, (what, subject) in sorted(found.items()):
        pool = {"property": vocabulary.properties, "class": vocabulary.classes}.get(what, vocabulary.terms)
        near = _near(term, pool)
        hint = f"; did you mean {shorten(near)}?" if near else "."
        out.append(Finding(
            Severity.VIOLATION, f"{shorten(term)} is not a {what} of the ontology (ontology/*.ttl){hint} Use "
            "a term the ontology declares, or declare it there first.", file=file, value=term,
            shape=_RULE + "undeclared-term", focus=subject))
    return out


def _finding(message: str, file: str, iri: str, rule: str) -> Finding:
    return Finding(Severity.VIOLATION, message, file=file, value=iri, shape=_RULE + rule, focus=iri)


def _partnerships(facts: Mapping[NamedNode | BlankNode, list[Quad]]) -> set[frozenset[str]]:
    """The pairs of cities of the twinnings an input adds (partnerships of a twinning type: a
    cooperation agreement makes no twins)."""
    pairs = set()
    for about in facts.values():
        if (any(q.predicate.value == _TYPE and _value(q.object) == _PARTNERSHIP for q in about)
                and any(q.predicate.value == _KIND and _value(q.object) in TWINNING_TYPES for q in about)):
            pairs.add(frozenset(_value(q.object) for q in about if q.predicate.value == _PARTNER))
    return pairs


def _existing(subject: NamedNode, about: list[Quad], pairs: set[frozenset[str]], graph: str,
              file: str) -> list[Finding]:
    """Statements about a record the graph has: refused, but for a new partnership's shortcut."""
    refused = [q for q in about if not (q.predicate.value == _SHORTCUT
                                         and frozenset({subject.value, _value(q.object)}) in pairs)]
    if not refused:
        return []
    shortcut = all(q.predicate.value == _SHORTCUT for q in refused)
    fix = ("A ckg:twinnedWith shortcut on it comes with the new twinning of its two cities: a ckg:Partnership "
           "of both (ckg:partner) of type ckg:sisterCity, ckg:friendshipCity or ckg:twinningStatement. Add that "
           "partnership, or leave the shortcut out: citykg adds it to a twinning." if shortcut else
           "Correct an existing record where it is defined, or give a new one its own IRI.")
    return [_finding(f"The graph already has this record (from {origin(graph)}): an RDF submission adds "
                     f"new records only. {fix}", file, subject.value, "existing-record")]


def _detached(facts: Mapping[NamedNode | BlankNode, list[Quad]], file: str) -> list[Finding]:
    """Blank nodes no named subject reaches, once per detached group (at the nodes nothing refers
    to). A named subject that breaks a rule is reported itself; its blank nodes are not."""
    roots = [s for s in facts if isinstance(s, NamedNode)]
    seen: set[NamedNode | BlankNode] = set(roots)
    todo: list[NamedNode | BlankNode] = list(roots)
    while todo:
        for q in facts.get(todo.pop(), ()):
            if isinstance(q.object, BlankNode) and q.object not in seen:
                seen.add(q.object)
                todo.append(q.object)
    detached = [b for b in facts if isinstance(b, BlankNode) and b not in seen]
    inner = {q.object for b in detached for q in facts[b] if isinstance(q.object, BlankNode) and q.object != b}
    tops = [b for b in detached if b not in inner] or detached[:1]  # a cycle: name one of its nodes
    out = []
    for b in tops:
        predicates = ", ".join(sorted({shorten(q.predicate.value) for q in facts[b]}))
        out.append(Finding(Severity.VIOLATION, f"A blank node that no record refers to ({predicates}): it "
                           "describes nothing. Refer to it from a record (as prov:wasDerivedFrom _:row), or "
                           "leave it out.", file=file, shape=_RULE + "detached-node"))
    return out


def _table_provenance(quads: Sequence[Quad], file: str) -> list[Finding]:
    """Source rows that claim a table of citykg's data (``ckg:dataTable``, or a ``ckg:dataFile``
    among its source files), once per row and property, at the record derived from the row."""
    derived = {q.object: q.subject.value for q in quads
               if q.predicate.value == PROV + "wasDerivedFrom" and isinstance(q.subject, NamedNode)}
    out, seen = [], set()
    for q in quads:
        table = q.predicate.value == _TABLE
        claimed = table or (q.predicate.value == _DATA_FILE and _value(q.object).startswith(RESERVED))
        if not claimed or (q.subject, q.predicate) in seen:
            continue
        seen.add((q.subject, q.predicate))
        record = q.subject.value if isinstance(q.subject, NamedNode) else derived.get(q.subject)
        fix = ("Leave it out, and cite the source (ckg:citation, or ckg:inStudy, ckg:sourceTable and ckg:sourceRow)."
               if table else 'Name the file you submit instead: ckg:dataFile [ a ckg:DataFile ; ckg:path "…" ].')
        out.append(Finding(
            Severity.VIOLATION, f"The source row states {shorten(q.predicate.value)} {_shown(q.object)}, which "
            f"citykg alone states, of a row it read from {'a table' if table else 'that file'} of its data. {fix}",
            file=file, value=_value(q.object), shape=_RULE + "table-provenance", focus=record))
    return out


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control_characters(quads: Sequence[Quad], file: str) -> list[Finding]:
    """Literals with a control character, once per record and property."""
    out, seen = [], set()
    for q in quads:
        if isinstance(q.object, Literal) and (found := _CONTROL.search(q.object.value)):
            if (q.subject, q.predicate) in seen:
                continue
            seen.add((q.subject, q.predicate))
            out.append(Finding(
                Severity.VIOLATION, f"The value of {shorten(q.predicate.value)} holds the control character "
                f"U+{ord(found[0]):04X}, which no text needs and XML cannot carry. Remove it (an editor's "
                "'show invisibles' finds it).", file=file, value=quoted(q.object.value),
                path=shorten(q.predicate.value), shape=_RULE + "control-character", focus=node_key(q.subject)))
    return out


def _named_graphs(quads: Sequence[Quad], file: str) -> list[Finding]:
    """A warning, once, that the input's named graphs are merged into the submission's graph."""
    names = sorted({_value(q.graph_name) for q in quads if isinstance(q.graph_name, (NamedNode, BlankNode))})
    if not names:
        return []
    shown = ", ".join(f"<{n}>" if "/" in n or ":" in n else f"_:{n}" for n in names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return [Finding(Severity.WARNING, f"The input names {len(names)} graph{'s' if len(names) > 1 else ''} "
                    f"({shown}{more}); citykg keeps a submission's triples in one graph of its own, so these "
                    "names are not kept. Send the triples without graph names (Turtle) to silence this.",
                    file=file, value=names[0], shape=_RULE + "named-graphs")]


def _shown(term: object) -> str:
    """A term as Turtle would write it, shortly: ``<…>`` or a prefixed name, or ``"text"``."""
    return shorten(term.value) if isinstance(term, NamedNode) else f'"{_value(term)}"'


def _value(term: object) -> str:
    """The IRI or lexical value of a term (a quoted triple as its text)."""
    return str(getattr(term, "value", term))


def _near(term: str, pool: Iterable[str]) -> str | None:
    """The declared term a misspelt one most likely meant (same namespace), if any is close."""
    cut = max(term.rfind("#"), term.rfind("/")) + 1
    names = {t[cut:]: t for t in pool if t[:cut] == term[:cut]}
    name = term[cut:]
    exact = [n for n in names if n.lower() == name.lower()]
    # a term cut short (ckg:memorandum for ckg:memorandumOfUnderstanding), if only one starts so
    started = [n for n in names if len(name) >= 4 and n.lower().startswith(name.lower())]
    close = exact or difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.75) or started[:len(started) == 1]
    return names[close[0]] if close else None
