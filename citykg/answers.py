"""Which build the server answers from, and the cache of its answers.

- :class:`StoreWatch` follows ``dist/store`` → ``dist/current`` → ``builds/<id>``: a new build
  (or an accepted submission) switches the link, and the next request sees the new build.
- :class:`AnswerCache` keeps serialized answers by request and build. The store is read-only
  between builds, so an answer stays right until the build changes, which changes the key.
  Its size counts the keys as well as the answers, so that its bound bounds the memory it holds.

Example::

    >>> cache = AnswerCache(max_bytes=10_000)
    >>> cache.put(("build-1", "q"), b"x" * 10, footprint(b"x" * 10))
    >>> cache.get(("build-1", "q"))
    b'xxxxxxxxxx'
    >>> footprint(("build-1", "q")) < cache.size < 1000
    True
"""

from __future__ import annotations

import os
import sys
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from citykg.errors import StoreError

__all__ = ["AnswerCache", "Build", "StoreWatch", "footprint"]

T = TypeVar("T")
#: Bytes of a cache entry besides its key and value: its slot and link in the ordered map, the
#: (value, size) pair and the size (measured on CPython 3.11, rounded up).
_ENTRY = 256


def footprint(obj: object) -> int:
    """The bytes ``obj`` holds in memory: itself, and the items of a tuple or list, recursively.

    >>> footprint(b"x" * 1000) > 1000 and footprint((b"x" * 1000, "y" * 1000)) > 2000
    True
    """
    if isinstance(obj, tuple | list):
        return sys.getsizeof(obj) + sum(footprint(item) for item in obj)
    return sys.getsizeof(obj)


@dataclass(frozen=True)
class Build:
    """The build the server answers from: its id and its store's resolved path."""

    id: str
    store: Path


class StoreWatch:
    """Which build ``path`` leads to, looked up at most every ``interval`` seconds.

    :param path: the store path to follow (``dist/store``, a chain of links to the last build).
    :param interval: seconds between two look-ups of the links (``0``: every request).
    """

    def __init__(self, path: Path, *, interval: float) -> None:
        self.path = path
        self.interval = interval
        self._checked = -1.0e9
        self._build: Build | None = None

    def current(self) -> Build:
        """The build to answer from now.

        :raises StoreError: if ``path`` leads to no store (nothing built yet).
        """
        now = time.monotonic()
        if self._build is None or now - self._checked >= self.interval:
            self._checked = now
            real = Path(os.path.realpath(self.path))
            if not real.is_dir():
                self._build = None
                raise StoreError(f"No graph has been built at {self.path} yet. "
                                 "Run `citykg build` (or restart `citykg serve`, which builds).")
            if self._build is None or self._build.store != real:
                name = real.parent.name if real.name == "store" else real.name
                self._build = Build(id=name, store=real)
        return self._build


class AnswerCache(Generic[T]):
    """A least-recently-used map of answers, bounded by their total size in bytes.

    An entry costs its value's size, as the caller gives it, plus its key's
    (:func:`footprint`) and the map's own share, so :attr:`size` is the memory the cache holds.

    :param max_bytes: the total size kept; ``0`` turns the cache off. An entry over a quarter of
        it is not kept.
    :param max_key_bytes: the largest key kept, in bytes; a request whose key would be larger
        (a long body, query string or ``Accept`` header) is not worth keeping.
    """

    def __init__(self, *, max_bytes: int, max_key_bytes: int = 16_384) -> None:
        self.max_bytes = max_bytes
        self.max_key_bytes = max_key_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()

    def get(self, key: Hashable) -> T | None:
        """The answer kept for ``key``, or ``None``."""
        item = self._items.get(key)
        if item is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return item[0]

    def put(self, key: Hashable, value: T, size: int) -> None:
        """Keep ``value`` (``size`` bytes) for ``key``, dropping the least recently used to fit.

        The entry costs ``size`` plus the key's bytes and the map's share; a key over
        ``max_key_bytes``, or an entry over a quarter of ``max_bytes``, is not kept.
        """
        key_bytes = footprint(key)
        size += key_bytes + _ENTRY
        if key_bytes > self.max_key_bytes or size > self.max_bytes // 4:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= old[1]
        self._items[key] = (value, size)
        self.size += size
        while self.size > self.max_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self.size -= dropped

    def __len__(self) -> int:
        return len(self._items)
