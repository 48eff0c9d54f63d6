"""Check the ontology: it loads in owlready2, is consistent under HermiT, and is well made.

The quality checks follow ROBOT's ``report`` with a profile for a SKOS-style ontology:

- every ``ckg:`` class, property and individual has an English label and an English
  ``skos:definition`` (error), and one label per language (error);
- no two terms share a label (warning); labels and definitions have no stray whitespace (warning);
- no punning: no IRI is declared as more than one of class, object property, datatype property,
  annotation property (error);
- every ``ckg:`` term used by the data (the built dataset) or by the shapes is declared (error);
- the ontology has a title, a description and a licence (error).

Reasoning runs HermiT, which needs Java.

Example::

    >>> from citykg.project import Project
    >>> report = check_ontology(Project.locate())
    >>> report.conforms
    True
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse, serialize

from citykg.build import Progress, data_folders, load_ontology
from citykg.errors import OntologyError
from citykg.iris import CKG, DCTERMS, ONTOLOGY_IRI, OWL, RDF, RDFS, SKOS
from citykg.project import Project
from citykg.rdfmap import to_quads
from citykg.report import Finding, Report, Severity
from citykg.tables import read_tables

__all__ = ["check_ontology"]

_KINDS = {OWL + "Class": "class", OWL + "ObjectProperty": "object property",
          OWL + "DatatypeProperty": "datatype property", OWL + "AnnotationProperty": "annotation property"}
_CHECK = "citykg:ontology"


def check_ontology(project: Project, *, reason: bool = True, progress: Progress | None = None) -> Report:
    """Run the reasoner and the quality checks over ``ontology/``.

    :param project: the project.
    :param reason: run HermiT (needs Java); without it, only the quality checks run.
    :param progress: called with a short message at each stage (the CLI prints them to stderr).
    :raises OntologyError: if the ontology cannot be loaded, or Java is missing for the reasoner.
    """
    say = progress or (lambda message: None)
    quads = load_ontology(project)
    terms = {q.subject for q in quads if q.predicate.value == RDF + "type" and _value(q.object) in _KINDS}
    say(f"checking {len(terms)} classes and properties ({len(quads)} triples in ontology/): labels, "
        "definitions, punning, terms the data and shapes use")
    findings = list(_quality(quads))
    findings += _undeclared(quads, project)
    if reason:
        say("reasoning with HermiT")
        findings += _reason(quads)
    return Report.of(_placed(findings, project))


def _placed(findings: list[Finding], project: Project) -> list[Finding]:
    """The findings about a term at the file and line of ``ontology/`` that describes it."""
    from citykg.rdflines import locate

    out = list(findings)
    for path in sorted(project.ontology.glob("*.ttl")):
        shown = f"ontology/{path.name}"
        trial = locate([replace(f, file=shown) if f.file == "ontology/" and f.focus else f for f in out],
                       path.read_bytes(), RdfFormat.TURTLE, file=shown)
        out = [t if f.file == "ontology/" and t.file == shown and t.row is not None else f
               for f, t in zip(out, trial, strict=True)]
    return out


def _by_subject(quads: Iterable[Quad]) -> dict[NamedNode, list[Quad]]:
    out: dict[NamedNode, list[Quad]] = defaultdict(list)
    for q in quads:
        if isinstance(q.subject, NamedNode):
            out[q.subject].append(q)
    return out


def _finding(severity: Severity, term: str, message: str) -> Finding:
    return Finding(severity, message, file="ontology/", value=term.replace(CKG, "ckg:"), shape=_CHECK,
                   focus=term)


def _quality(quads: list[Quad]) -> Iterator[Finding]:
    subjects = _by_subject(quads)
    labels: dict[str, list[str]] = defaultdict(list)
    for subject, facts in sorted(subjects.items(), key=lambda kv: kv[0].value):
        iri = subject.value
        if iri == ONTOLOGY_IRI:
            for p, what in ((DCTERMS + "title", "title"), (DCTERMS + "description", "description"),
                            (DCTERMS + "license", "licence")):
                if not any(q.predicate.value == p for q in facts):
                    yield _finding(Severity.VIOLATION, iri, f"The ontology has no {what}.")
            continue
        types = {_value(q.object) for q in facts if q.predicate.value == RDF + "type"}
        declared = sorted(_KINDS[t] for t in types if t in _KINDS)
        if len(declared) > 1:
            yield _finding(Severity.VIOLATION, iri,
                           f"Punning: the term is declared as {' and '.join(declared)}; owlready2 "
                           "refuses this. Use one IRI per kind of term.")
        if not iri.startswith(CKG):
            continue
        names = [q.object for q in facts if q.predicate.value in (RDFS + "label", SKOS + "prefLabel")]
        english = [n for n in names if isinstance(n, Literal) and n.language == "en"]
        if not english:
            yield _finding(Severity.VIOLATION, iri, "The term has no English label.")
        for lang in {n.language for n in names if isinstance(n, Literal)}:
            if sum(1 for n in names if isinstance(n, Literal) and n.language == lang) > 1:
                yield _finding(Severity.VIOLATION, iri, f"The term has more than one label in '{lang}'.")
        definitions = [q.object for q in facts if q.predicate.value == SKOS + "definition"
                       and isinstance(q.object, Literal)]
        if not any(d.language == "en" for d in definitions):
            yield _finding(Severity.VIOLATION, iri, "The term has no English definition (skos:definition).")
        for text in [*english, *definitions]:
            if text.value != text.value.strip() or "  " in text.value:
                yield _finding(Severity.WARNING, iri, f"Stray whitespace in {text.value!r}.")
        for label in english:
            labels[label.value.lower()].append(iri)
    for name, terms in sorted(labels.items()):
        if len(terms) > 1:
            for iri in terms:
                yield _finding(Severity.WARNING, iri, f"Another term has the same label {name!r}.")


def _undeclared(ontology: list[Quad], project: Project) -> Iterator[Finding]:
    declared = {_value(q.subject) for q in ontology if q.predicate.value == RDF + "type"}
    data = to_quads(read_tables(data_folders(project), root=project.root)).quads
    used: dict[str, str] = {}
    for q in data:
        used.setdefault(q.predicate.value, "the data")
        if q.predicate.value == RDF + "type" and isinstance(q.object, NamedNode):
            used.setdefault(q.object.value, "the data")
    for path in sorted(project.shapes.glob("*.ttl")):
        for t in parse(path=path, format=RdfFormat.TURTLE):
            for term in (t.subject, t.predicate, t.object):
                if isinstance(term, NamedNode):
                    used.setdefault(term.value, f"shapes/{path.name}")
    for iri, where in sorted(used.items()):
        if iri.startswith(CKG) and iri not in declared:
            yield _finding(Severity.VIOLATION, iri, f"The term is used by {where} but not declared "
                           "in the ontology: declare it with a label and a definition, or fix the name.")


def _value(term: object) -> str:
    """The IRI or lexical value of a term."""
    return str(getattr(term, "value", term))


def _reason(quads: list[Quad]) -> list[Finding]:
    if shutil.which("java") is None:
        raise OntologyError("Checking consistency runs the HermiT reasoner, which needs Java. "
                            "Install a Java runtime (Debian: apt install default-jre-headless) "
                            "or pass --no-reason.")
    import owlready2

    with tempfile.TemporaryDirectory(prefix="citykg-owl-") as tmp:
        path = Path(tmp) / "ontology.nt"
        path.write_bytes(serialize((q.triple for q in quads), format=RdfFormat.N_TRIPLES) or b"")
        world = owlready2.World()
        try:
            onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        except Exception as exc:  # owlready2 raises bare exceptions for unloadable OWL
            raise OntologyError(f"owlready2 cannot load the ontology: {exc}") from exc
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return [_finding(Severity.VIOLATION, ONTOLOGY_IRI,
                             "The ontology is inconsistent under HermiT: no model satisfies it.")]
        except owlready2.OwlReadyJavaError as exc:
            raise OntologyError(f"HermiT failed: {str(exc).strip().splitlines()[-1]}") from exc
        # owl:Nothing is empty by definition: HermiT lists it with every class it finds unsatisfiable
        return [_finding(Severity.VIOLATION, cls.iri, "The class is unsatisfiable: it can have no member.")
                for cls in world.inconsistent_classes() if cls.iri != OWL + "Nothing"]
