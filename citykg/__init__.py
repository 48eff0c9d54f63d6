"""citykg: a validated knowledge graph of city diplomacy.

The stages of citykg are functions you can call from Python, and verbs of the ``citykg`` CLI:

- :func:`citykg.build.build` reads the source tables, validates them and writes the store;
- :func:`citykg.validate.validate` checks tables or RDF against the SHACL shapes;
- :func:`citykg.queries.run` answers a named query from the store.

Heavy libraries (rdflib, pySHACL, owlready2) are imported only by the functions that need them.
"""

__version__ = "0.1.0"
