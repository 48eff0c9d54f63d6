"""Where a citykg project keeps its parts.

A project is a folder with ``ontology/``, ``shapes/``, ``queries/`` and ``data/`` (and,
optionally, ``graphs/`` of extra RDF such as reviewed Wikidata links); builds go to ``dist/``.
The folder is, in order: the ``project_dir`` argument, the ``CITYKG_PROJECT`` environment
variable, the current directory or the nearest folder above it that is a project (as git finds
its repository, so that citykg run in ``data/`` or in a submission's folder inside the project
works on that project), else the checkout citykg was installed from.

Example::

    >>> project = Project.locate()
    >>> project.queries.name
    'queries'
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from citykg.errors import ProjectError

__all__ = ["Project"]

_PARTS = ("ontology", "shapes", "queries", "data")


@dataclass(frozen=True)
class Project:
    """The resolved folders of a citykg project."""

    root: Path
    dist: Path

    def command(self, name: str) -> str:
        """How to run ``citykg NAME`` on this project, for messages: with ``--project`` and
        ``--dist`` where citykg would not find this project or its builds without them.

        >>> Project(Path("/p"), Path("/tmp/x")).command("build")
        'citykg --project /p --dist /tmp/x build'
        """
        found = Path(os.environ.get("CITYKG_PROJECT") or _default_root()).resolve()
        builds = Path(os.environ.get("CITYKG_DIST") or self.root / "dist").resolve()
        project = [] if found == self.root else ["--project", str(self.root)]
        dist = [] if builds == self.dist else ["--dist", str(self.dist)]
        return shlex.join(["citykg", *project, *dist, name])

    @property
    def ontology(self) -> Path:
        """The ontology folder (OWL in Turtle)."""
        return self.root / "ontology"

    @property
    def shapes(self) -> Path:
        """The SHACL shapes folder."""
        return self.root / "shapes"

    @property
    def queries(self) -> Path:
        """The named-queries folder."""
        return self.root / "queries"

    @property
    def data(self) -> Path:
        """The source-tables folder, one sub-folder per source."""
        return self.root / "data"

    @property
    def graphs(self) -> Path:
        """Extra RDF graphs kept with the project (``*.nq``, ``*.trig``), such as reviewed links."""
        return self.root / "graphs"

    @property
    def store(self) -> Path:
        """The embedded pyoxigraph store written by ``citykg build``."""
        return self.dist / "store"

    @classmethod
    def locate(cls, project_dir: str | Path | None = None, *, dist: str | Path | None = None) -> Project:
        """Find the project folder and check that it has its parts.

        :param project_dir: the project folder; see the module docstring for the default.
        :param dist: where builds go; defaults to ``CITYKG_DIST`` or ``<project>/dist``.
        :raises ProjectError: if the folder lacks ``ontology/``, ``shapes/``, ``queries/`` or ``data/``.
        """
        root = Path(project_dir or os.environ.get("CITYKG_PROJECT") or _default_root())
        root = root.resolve()
        missing = [part for part in _PARTS if not (root / part).is_dir()]
        if missing:
            raise ProjectError(
                f"{root} is not a citykg project: it has no {', '.join(p + '/' for p in missing)}. "
                "Run citykg from a project checkout or pass --project DIR (or set CITYKG_PROJECT)."
            )
        dist_dir = Path(dist or os.environ.get("CITYKG_DIST") or root / "dist").resolve()
        return cls(root=root, dist=dist_dir)


def _default_root() -> Path:
    here, checkout = Path.cwd(), Path(__file__).resolve().parent.parent
    for candidate in (here, *here.parents, checkout):
        if all((candidate / part).is_dir() for part in _PARTS):
            return candidate
    return here
