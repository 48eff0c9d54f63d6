"""Open the embedded pyoxigraph store that ``citykg build`` writes.

Readers open it read-only, so any number of queries and servers can read while a build
prepares the next one (builds switch ``dist/current`` atomically; see :mod:`citykg.build`).

Example::

    >>> from citykg.build import build
    >>> from citykg.project import Project
    >>> project = Project.locate(dist="/tmp/citykg-doctest")
    >>> _ = build(project)
    >>> store = open_store(project)
    >>> len(list(store.named_graphs())) >= 4
    True
"""

from __future__ import annotations

from pyoxigraph import Store

from citykg.errors import StoreError
from citykg.project import Project

__all__ = ["LastStore", "damaged", "open_store"]


def open_store(project: Project) -> Store:
    """The last good build's store, opened read-only.

    :raises StoreError: if nothing has been built yet, or the store cannot be opened.
    """
    path, build = project.store, project.command("build")
    if not path.exists() and (project.dist / "current").is_dir():
        raise StoreError(f"The store of the last build ({path}) is missing. Run `{build}`, which writes it again.")
    if not path.exists():
        raise StoreError(f"No graph has been built in {project.dist} yet. Run `{build}` first.")
    try:
        return Store.read_only(str(path.resolve()))
    except (OSError, RuntimeError) as exc:  # RuntimeError: a damaged store ("Corruption: …")
        raise damaged(f"The store {path} cannot be opened", exc, build=build) from exc


def damaged(what: str, exc: BaseException, *, build: str = "citykg build") -> StoreError:
    """The error of a store that cannot be read, with the fix: ``citykg build`` writes it again."""
    return StoreError(f"{what}: {exc} Run `{build}`, which writes a damaged build again.")


class LastStore:
    """The store of the build the last job named, opened read-only; a job that names another build
    (a newer one) closes it and opens that one.

    >>> import tempfile
    >>> path = tempfile.mkdtemp()
    >>> Store(path).flush()
    >>> stores = LastStore()
    >>> stores.open(path) is stores.open(path)
    True
    """

    def __init__(self) -> None:
        self._path = ""
        self._store: Store | None = None

    def open(self, path: str) -> Store:
        """The store at ``path``, opened once.

        :raises OSError: if it cannot be opened.
        """
        if self._store is None or path != self._path:
            self._store = None  # the last build's store only
            self._store, self._path = Store.read_only(path), path
        return self._store
