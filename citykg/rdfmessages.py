"""Messages for findings about records read from RDF: in RDF terms, not the tables' columns.

A record that citykg did not read from a table (one of an RDF submission, or of ``graphs/``) has
no cells, and its author writes triples. :func:`rdf_message` words a shape's result about such a
record for that author (:mod:`citykg.shacl` asks it): a shape or a constraint with a
``ckgsh:rdfMessage`` gives that in place of its ``sh:message``, which may name the columns of a
table (``source_table``) where this names properties (``ckg:sourceTable``). Other results keep
the shape's message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from citykg.iris import BASE, SH

if TYPE_CHECKING:
    import rdflib

__all__ = ["RDF_MESSAGE", "rdf_message"]

#: The annotation of a shape or constraint that words its results about records read from RDF.
RDF_MESSAGE = BASE + "shapes#rdfMessage"


def rdf_message(result: Any, results: rdflib.Graph, shapes: rdflib.Graph) -> str | None:
    """The message of a SHACL ``result`` about a record read from RDF, if it has one of its own
    (see the module docstring); None: the shape's."""
    import rdflib

    sh = rdflib.Namespace(SH)

    def about(node: Any, predicate: Any) -> Any:  # the shapes' triple, or its copy in the results
        if node is None:
            return None
        found = shapes.value(node, predicate)
        return found if found is not None else results.value(node, predicate)

    worded = rdflib.URIRef(RDF_MESSAGE)
    message = about(results.value(result, sh.sourceConstraint), worded)
    message = message if message is not None else about(results.value(result, sh.sourceShape), worded)
    return str(message) if message is not None else None
