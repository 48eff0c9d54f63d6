"""Take in a submission as canonical files with a checksum: a folder or zip of tables, or RDF.

A submission is one of:

- a folder, or a ``.zip``, of CSV tables in the format of ``data/`` (any subset of the tables),
  either at its top (one source) or in one folder per study (``new-study/factors.csv``); folders
  that enclose it all (as zip tools make) are unwrapped, so a study's folder and a zip of it are
  the same input;
- one RDF file: Turtle (``.ttl``), TriG, JSON-LD (``.jsonld``, or ``.json`` if it holds
  JSON-LD), N-Triples, N-Quads or RDF/XML. A leading UTF-8 byte-order mark is dropped.

:func:`receive` (a path) and :func:`receive_bytes` (an HTTP body) copy the input into a private
folder, so that it cannot change while it is checked, and compute its checksum: the SHA-256 of
the sorted file paths with their bytes. The submission id is the checksum's first 16 digits, so
the same tables give the same id whether they come as a folder or as a zip. An RDF file is kept
as ``input.<ext>``, so its id depends on its bytes (without a byte-order mark) and format only.

Unsafe input is refused with :class:`~citykg.errors.InputError`: zip path traversal, links,
nested archives and zip bombs (see :mod:`citykg.archive`), links inside a folder (to a file or a
folder), files over the size limits, and RDF that :func:`citykg.rdfinput.parse_rdf` refuses
(XML entities, remote JSON-LD contexts, quoted triples). The one link followed is the input itself, if it points
into the project (:func:`follow_link`). Hidden files and folders (``.study/``) are not read.

Example::

    >>> import tempfile
    >>> work = Path(tempfile.mkdtemp())
    >>> received = receive_bytes(b"<https://e.org/s> <https://e.org/p> 1 .", work,
    ...                          content_type="text/turtle")
    >>> received.kind.value, received.files, len(received.id)
    ('rdf', ('input.ttl',), 16)
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath

from pyoxigraph import RdfFormat

from citykg.archive import Limits, unpack_zip
from citykg.errors import InputError
from citykg.rdfinput import BOM, MAX_RDF_BYTES, RDF_SUFFIXES, parse_rdf, rdf_format_of, too_big

__all__ = ["InputKind", "Received", "checksum", "follow_link", "receive", "receive_bytes", "table_folders"]

_ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/x-zip")


class InputKind(Enum):
    """What a submission holds."""

    TABLES = "tables"
    RDF = "rdf"


@dataclass(frozen=True)
class Received:
    """A submission's files, copied into a private folder, with their checksum."""

    kind: InputKind
    #: The folder that holds exactly :attr:`files`.
    root: Path
    #: Relative POSIX paths, sorted: ``new-study/factors.csv`` or ``input.ttl``.
    files: tuple[str, ...]
    sha256: str
    #: How the input is named in messages: the path or file name it came as.
    label: str
    #: Files of the input that are not read: from a zip, the files that are not ``*.csv``; from
    #: a folder, the tables named ``*.CSV`` (an extension not in lower case).
    ignored: tuple[str, ...] = ()
    #: The enclosing folders that were unwrapped (``new-2025/``), to name files as received.
    unwrapped: str = ""

    def shown(self, name: str) -> str:
        """How to name one of :attr:`files` in messages: as it was in the input."""
        if self.kind is InputKind.RDF:
            return self.label
        return f"{self.label}/{self.unwrapped}{name}"

    @property
    def id(self) -> str:
        """The submission id: the first 16 hexadecimal digits of the checksum."""
        return self.sha256[:16]

    @property
    def rdf_format(self) -> RdfFormat | None:
        """The RDF format of an RDF submission."""
        return rdf_format_of(self.files[0]) if self.kind is InputKind.RDF else None


def checksum(root: Path, files: tuple[str, ...]) -> str:
    """SHA-256 of the files' relative paths and bytes, in path order (the canonical input)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        data = (root / name).read_bytes()
        digest.update(f"{name}\n{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def follow_link(path: Path, *, within: Sequence[Path] = ()) -> Path:
    """``path``, or where it points if it is a symbolic link into one of the folders ``within``
    (the project: ``dist/citykg.trig`` is a link into ``dist/builds/``).

    Only the path named is followed: links inside a folder or zip are refused when it is read.

    :raises InputError: if ``path`` is a link that points elsewhere (or nowhere).
    """
    if not path.is_symlink():
        return path
    target = path.resolve()
    if target.exists() and any(target.is_relative_to(root.resolve()) for root in within):
        return target
    where = f" ({', '.join(str(root) for root in within)})" if within else ""
    raise InputError(f"{path.as_posix()} is a symbolic link; citykg follows a link only into the project"
                     f"{where}, so that an input cannot reach outside it. Give the folder or file it "
                     f"points to ({target}).")


def receive(path: Path, workdir: Path, *, limits: Limits | None = None,
            within: Sequence[Path] = ()) -> Received:
    """Copy a submission from ``path`` (folder, ``.zip`` or RDF file) into ``workdir``.

    :param path: the input; if it is a symbolic link, it is followed only into ``within``
        (:func:`follow_link`), and named as given.
    :param workdir: an empty private folder (created if missing); the caller removes it.
    :param limits: size limits (:class:`citykg.archive.Limits` by default).
    :param within: the folders a link ``path`` may point into (the project and its dist).
    :raises InputError: if the input is missing, unsafe, too large, or not tables or RDF.
    """
    limits = limits or Limits()
    label = path.as_posix()
    workdir.mkdir(parents=True, exist_ok=True)
    path = follow_link(path, within=within)
    if not path.exists():
        raise InputError(f"{label} does not exist.")
    if path.is_dir():
        return _tables(workdir, label, *_copy_folder(path, workdir, label, limits))
    if path.suffix.lower() == ".zip":
        unpacked = unpack_zip(path, workdir, name=label, limits=limits)
        return _tables(workdir, label, unpacked.ignored, unpacked.hidden)
    if path.suffix.lower() == ".csv":
        raise InputError(f"{label} is a single table; give the folder that holds it "
                         f"({path.parent.as_posix()}) so that its references to other tables resolve.")
    fmt = rdf_format_of(path.name)
    if fmt is None:
        which = f"its extension {path.suffix} is neither" if path.suffix else "it has no extension"
        raise InputError(f"{label}: citykg takes a folder or .zip of CSV tables, or an RDF file "
                         f"({', '.join(sorted(RDF_SUFFIXES))}); {which}.")
    if path.stat().st_size > MAX_RDF_BYTES:
        raise InputError(too_big(label, path.stat().st_size))
    return _rdf(path.read_bytes(), fmt, workdir, label, json_file=path.suffix.lower() == ".json")


def receive_bytes(body: bytes, workdir: Path, *, content_type: str, label: str = "upload",
                  limits: Limits | None = None) -> Received:
    """Take a submission from an HTTP body: a zip of tables, or RDF named by its media type.

    :param content_type: the request's ``Content-Type`` (``application/zip``, ``text/turtle``,
        ``application/trig``, ``application/ld+json`` …).
    :raises InputError: if the media type is not one citykg reads, or the body is unsafe.
    """
    media = content_type.split(";")[0].strip().lower()
    workdir.mkdir(parents=True, exist_ok=True)
    if media in _ZIP_TYPES:
        unpacked = unpack_zip(body, workdir, name=label, limits=limits)
        return _tables(workdir, label, unpacked.ignored, unpacked.hidden)
    json_body = media == "application/json"  # JSON-LD, as a .json file is
    fmt = RdfFormat.JSON_LD if json_body else RdfFormat.from_media_type(media) if media else None
    if fmt is None or fmt == RdfFormat.N3:
        raise InputError(f"{label}: the media type {media or '(none)'!r} is not one citykg reads; "
                         "send application/zip (CSV tables) or an RDF type such as text/turtle, "
                         "application/trig or application/ld+json.")
    if body.startswith(b"PK\x03\x04"):
        raise InputError(f"{label} is a zip archive sent as {media}: send it as application/zip.")
    if len(body) > MAX_RDF_BYTES:
        raise InputError(too_big(label, len(body)))
    return _rdf(body, fmt, workdir, label, json_file=json_body)


def table_folders(root: Path) -> list[Path]:
    """The folders of tables in a submission: ``root`` itself, or its sub-folders with tables."""
    if any(root.glob("*.csv")):
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.csv")))


def _rdf(data: bytes, fmt: RdfFormat, workdir: Path, label: str, *, json_file: bool = False) -> Received:
    """Parse RDF, then keep it as ``input.<ext>``, without a byte-order mark (the same RDF with and
    without one is the same input). A ``.json`` file (``json_file``) must hold JSON-LD."""
    data = data.removeprefix(BOM)
    quads = parse_rdf(data, fmt, label)
    if json_file and not quads and b'"@' not in data:
        raise InputError(f"{label} is JSON but not JSON-LD (it has no \"@context\" or \"@id\", and no "
                         "triples); citykg reads a .json file as JSON-LD. Submit RDF (.jsonld, .ttl …) "
                         "or a folder or zip of CSV tables.")
    name = "input." + fmt.file_extension
    (workdir / name).write_bytes(data)
    files = (name,)
    return Received(InputKind.RDF, workdir, files, checksum(workdir, files), label)


def _copy_folder(source: Path, workdir: Path, label: str,
                 limits: Limits) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Copy the CSV files of a folder into ``workdir``; return the tables named ``*.CSV`` (an
    extension not in lower case), which are not read, and the hidden folders and files that hold
    tables (``.study/``), which are skipped. Refuse any link in the folder (but inside hidden
    folders, which are not looked into), a folder named ``*.csv`` and a table that is not a
    regular file, is over the limits or cannot be read."""
    total = count = 0
    misnamed: list[str] = []
    hidden: list[str] = []

    def unreadable(exc: OSError) -> None:
        rel = Path(exc.filename or source).relative_to(source).as_posix()
        raise InputError(f"{label}/{rel} cannot be read ({exc.strerror}).") from exc

    for folder, dirs, names in os.walk(source, onerror=unreadable):  # does not enter linked folders
        for name in sorted(dirs + names):
            path = Path(folder, name)
            rel = path.relative_to(source).as_posix()
            if path.is_symlink():
                raise InputError(f"{label}/{rel} is a symbolic link; citykg refuses links inside a "
                                 "folder (they can point anywhere). Put the file or folder it points "
                                 "to in its place, or remove the link.")
            if name.startswith("."):  # not read; ._x is the junk of macOS
                if not name.startswith("._") and _holds_tables(path):
                    hidden.append(rel + ("/" if name in dirs else ""))
            elif name in dirs and name.lower().endswith(".csv"):
                raise InputError(f"{label}/{rel} is a folder named like a table; citykg reads every "
                                 "*.csv as a table. Rename the folder.")
            elif name in names and name.lower().endswith(".csv") and not name.endswith(".csv"):
                misnamed.append(rel)
            elif name in names and name.endswith(".csv"):
                if not path.is_file():
                    raise InputError(f"{label}/{rel} is not a regular file; citykg copies only regular files.")
                try:
                    size = path.stat().st_size
                    total, count = total + size, count + 1
                    if size > limits.max_file_bytes:
                        raise InputError(f"{label}/{rel} is {size / 2**20:.1f} MiB; citykg reads tables up "
                                         f"to {limits.max_file_bytes // 2**20} MiB. Split it or check that "
                                         "it is the right file.")
                    if total > limits.max_total_bytes or count > limits.max_entries:
                        raise InputError(f"{label} holds more than citykg takes in one submission (at most "
                                         f"{limits.max_entries} tables, {limits.max_file_bytes // 2**20} MiB "
                                         f"each, {limits.max_total_bytes // 2**20} MiB in all).")
                    (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, workdir / rel)
                except OSError as exc:
                    raise InputError(f"{label}/{rel} cannot be copied ({exc.strerror}).") from exc
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # hidden folders are not read
    return tuple(misnamed), tuple(hidden)


def _holds_tables(path: Path) -> bool:
    """Whether a file is a table, or a folder holds tables (at its top or one folder down)."""
    return any(path.glob("*.csv")) or any(path.glob("*/*.csv")) if path.is_dir() else path.name.lower().endswith(".csv")


def _tables(root: Path, label: str, ignored: tuple[str, ...] = (), hidden: tuple[str, ...] = ()) -> Received:
    """Check the layout of the tables, unwrap enclosing folders, and compute the checksum.

    Tables in one folder are one source and are kept flat, however many folders enclose them
    (``new-2025/factors.csv`` and ``factors.csv`` are the same input); tables in several
    folders keep one folder per source.
    """
    inner = root
    while not any(inner.glob("*.csv")):
        subs = [p for p in inner.iterdir() if p.is_dir()]
        if len(subs) != 1:
            break
        inner = subs[0]
    files = tuple(sorted(p.relative_to(inner).as_posix() for p in inner.rglob("*.csv")))
    if not files:
        upper = [f for f in ignored if f.lower().endswith(".csv")]
        hint = f" Rename {upper[0]} to {PurePosixPath(upper[0]).name.lower()}." if upper else ""
        if hidden:
            listed = ", ".join(hidden[:3]) + (", …" if len(hidden) > 3 else "")
            hint += (f" It has tables only in hidden files or folders, whose names start with '.' "
                     f"({listed}), and citykg skips those: rename them without the '.'.")
        raise InputError(f"{label} holds no CSV tables (*.csv). A submission is a folder or zip "
                         f"of tables named as in data/ (see `citykg template`), or an RDF file.{hint}")
    deep = [f for f in files if f.count("/") > 1]
    top = [f for f in files if "/" not in f]
    if deep:
        raise InputError(f"{label}: {deep[0]} is nested too deep; put the tables at the top, or "
                         "in one folder per study (new-study/factors.csv).")
    if top and len(top) != len(files):
        raise InputError(f"{label} has tables both at its top ({top[0]}) and in folders "
                         f"({next(f for f in files if '/' in f)}); put them all at the top or "
                         "all in folders, one per study.")
    unwrapped = ""
    if inner != root:
        unwrapped = inner.relative_to(root).as_posix() + "/"
        moved = root / ".unwrapped"
        inner.rename(moved)
        for child in list(root.iterdir()):
            if child != moved:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        for child in list(moved.iterdir()):
            child.rename(root / child.name)
        moved.rmdir()
    return Received(InputKind.TABLES, root, files, checksum(root, files), label, ignored, unwrapped)
