"""The size of a build, written beside its store: quads, and triples per named graph.

``citykg build`` writes ``info.json`` into each build folder (``dist/builds/<id>/``), beside
``store``; ``/health`` and the service description of ``citykg serve`` read it, so that they never
wait for a query worker (which may all be busy with long queries) to count the store. The file
holds no time, so a build stays byte for byte the same when its data is; it names its build, so a
copy of the folder under another name (or a store changed in place) is not taken at its word. A
build written before this file existed has none: the server then counts in a worker, once.

Example::

    >>> from pyoxigraph import NamedNode, Quad
    >>> g = NamedNode("https://w3id.org/citykg/graph/reference")
    >>> quads = [Quad(NamedNode("http://e.org/s"), NamedNode("http://e.org/p"), NamedNode(f"http://e.org/{n}"), g)
    ...          for n in "ab"]
    >>> print(info_bytes("0123456789abcdef", quads).decode(), end="")
    {"build": "0123456789abcdef", "graphs": {"https://w3id.org/citykg/graph/reference": 2}, "quads": 2}
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode, Quad

__all__ = ["INFO_FILE", "info_bytes", "read_info"]

#: The file of a build folder that holds its size.
INFO_FILE = "info.json"
_MAX_BYTES = 1_048_576  # a larger file is not the one citykg writes


def info_bytes(build_id: str, quads: Iterable[Quad]) -> bytes:
    """The content of ``info.json`` for the build ``build_id`` of ``quads`` (sorted keys, no time).

    The graph sizes are as ``SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g``
    counts them: distinct triples per named graph.
    """
    distinct = set(quads)
    graphs = Counter(q.graph_name.value for q in distinct if isinstance(q.graph_name, NamedNode))
    data = {"build": build_id, "quads": len(distinct), "graphs": dict(sorted(graphs.items()))}
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"


def read_info(store: Path, build_id: str) -> dict[str, Any] | None:
    """The size of the build ``build_id`` whose store is ``store`` (``…/builds/<id>/store``):
    ``{"quads": N, "graphs": {IRI: triples}}``, or ``None`` if its folder has no ``info.json`` of
    that build (an older build, a store served by ``--store``, a file that cannot be read).

    >>> read_info(Path("/nonexistent/store"), "x") is None
    True
    """
    if store.name != "store":
        return None
    try:
        path = store.parent / INFO_FILE
        if path.stat().st_size > _MAX_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("build") != build_id or store.parent.name != build_id:
        return None
    quads, graphs = data.get("quads"), data.get("graphs")
    if not isinstance(quads, int) or not isinstance(graphs, dict) or not all(
            isinstance(k, str) and isinstance(v, int) for k, v in graphs.items()):
        return None
    return {"quads": quads, "graphs": graphs}
