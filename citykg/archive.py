"""Unpack a zip of CSV tables safely, or refuse it with a message that says why.

A submission may come as a ``.zip``. Before a single byte is written, every entry is checked:

- its name is a relative path inside the archive: no absolute path, no drive letter, no ``..``,
  no backslash, no NUL (path traversal);
- it is a regular file or a folder: no symbolic link, no device, no encrypted entry;
- it is not itself an archive (``.zip``, ``.gz``, ``.tar`` …, by name or by its first bytes);
- the archive holds at most :attr:`Limits.max_entries` entries, each at most
  :attr:`Limits.max_file_bytes` and all together at most :attr:`Limits.max_total_bytes`
  uncompressed, and no large entry expands more than :attr:`Limits.max_ratio` times (zip bombs).

Only then are the ``.csv`` entries extracted, counting the bytes actually inflated (an entry
that lies about its size is refused as well). Other files (a README, ``__MACOSX/``) are left
out and listed in :attr:`Unpacked.ignored`. Problems raise :class:`~citykg.errors.InputError`.

Example::

    >>> import io, tempfile, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("new-study/studies.csv", "id,title_en\\n")
    ...     z.writestr("../evil.csv", "x")
    >>> try:
    ...     unpack_zip(buf.getvalue(), Path(tempfile.mkdtemp()), name="upload.zip")
    ... except InputError as exc:
    ...     print(str(exc)[:54])
    upload.zip: the entry '../evil.csv' points outside the
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from citykg.errors import InputError
from citykg.tables import MAX_TABLE_BYTES

__all__ = ["Limits", "Unpacked", "unpack_zip"]

_ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar", ".zst", ".jar")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf",
                  b"Rar!", b"(\xb5/\xfd")
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """How much an archive may hold; the defaults suit submissions of a few studies."""

    #: Largest archive accepted, compressed.
    max_archive_bytes: int = 50 * 2**20
    #: Most entries (files and folders) in one archive.
    max_entries: int = 1000
    #: Largest single file, uncompressed (the limit of one table).
    max_file_bytes: int = MAX_TABLE_BYTES
    #: Most bytes all files may inflate to together.
    max_total_bytes: int = 100 * 2**20
    #: Highest compression ratio of an entry larger than :attr:`ratio_floor_bytes`.
    max_ratio: int = 100
    #: Entries smaller than this are not held to :attr:`max_ratio` (small CSVs compress well).
    ratio_floor_bytes: int = 2**20


@dataclass(frozen=True)
class Unpacked:
    """What was extracted: relative POSIX paths of the ``.csv`` files, and what was left out."""

    root: Path
    files: tuple[str, ...]
    ignored: tuple[str, ...]


def unpack_zip(source: Path | bytes, dest: Path, *, name: str, limits: Limits | None = None) -> Unpacked:
    """Check every entry of a zip archive, then extract its ``.csv`` files into ``dest``.

    :param source: the archive, as a file or as bytes (an HTTP body).
    :param dest: an empty folder to extract into (a temporary folder of the caller).
    :param name: how to name the archive in messages.
    :param limits: size and count limits; :class:`Limits` by default.
    :return: the extracted files and the ignored entries.
    :raises InputError: if the archive is unreadable or breaks a safety rule; nothing is
        extracted then.
    """
    limits = limits or Limits()
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > limits.max_archive_bytes:
        raise InputError(f"{name} is {size / 2**20:.1f} MiB; citykg accepts archives up to "
                         f"{limits.max_archive_bytes // 2**20} MiB. Submit the studies separately.")
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            wanted, ignored = _check(archive, name, limits)
            files = [_extract(archive, info, member, dest, name, limits) for info, member in wanted]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise InputError(f"{name} is not a readable zip archive ({exc}). Make it again with a "
                         "standard zip tool (deflate or no compression, no password).") from exc
    return Unpacked(dest, tuple(sorted(files)), tuple(sorted(ignored)))


def _check(archive: zipfile.ZipFile, name: str,
           limits: Limits) -> tuple[list[tuple[zipfile.ZipInfo, str]], list[str]]:
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise InputError(f"{name} has {len(infos)} entries; citykg accepts at most "
                         f"{limits.max_entries} (a submission is a few tables).")
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes:
        raise InputError(f"{name} would expand to {total / 2**20:.1f} MiB; citykg accepts at most "
                         f"{limits.max_total_bytes // 2**20} MiB uncompressed (zip bomb?).")
    seen: set[str] = set()
    wanted: list[tuple[zipfile.ZipInfo, str]] = []
    ignored: list[str] = []
    for info in infos:
        member = _member(info.filename, name)
        if member.lower() in seen:
            raise InputError(f"{name}: the entry {info.filename!r} appears twice; citykg refuses "
                             "an archive whose entries could overwrite each other.")
        seen.add(member.lower())
        _check_entry(info, member, name, limits)
        if info.is_dir():
            continue
        leaf = PurePosixPath(member).name
        hidden = any(part.startswith(".") for part in member.split("/"))
        if member.startswith(_JUNK) or leaf in _JUNK or hidden:
            continue
        if member.lower().endswith(_ARCHIVE_SUFFIXES):
            raise InputError(f"{name}: the entry {info.filename!r} is itself an archive; citykg "
                             "refuses nested archives. Put the CSV files in one zip.")
        if member.endswith(".csv"):
            wanted.append((info, member))
        else:
            ignored.append(member)
    return wanted, ignored


def _member(filename: str, name: str) -> str:
    """The entry's path, normalised, or an error if it could escape the target folder."""
    if "\x00" in filename or "\\" in filename:
        raise InputError(f"{name}: the entry {filename!r} has a backslash or NUL in its name; "
                         "citykg refuses the archive (path traversal).")
    path = PurePosixPath(filename)
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")) or ".." in path.parts:
        raise InputError(f"{name}: the entry {filename!r} points outside the archive (path "
                         "traversal); citykg refuses the archive.")
    parts = [p for p in path.parts if p not in (".", "")]
    if not parts:
        raise InputError(f"{name}: an entry has an empty name; citykg refuses the archive.")
    return "/".join(parts) + ("/" if filename.endswith("/") else "")


def _check_entry(info: zipfile.ZipInfo, member: str, name: str, limits: Limits) -> None:
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        raise InputError(f"{name}: the entry {info.filename!r} is a symbolic link; citykg "
                         "refuses links in archives (they can point anywhere).")
    if mode and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise InputError(f"{name}: the entry {info.filename!r} is not a regular file; citykg "
                         "refuses the archive.")
    if info.flag_bits & 0x1:
        raise InputError(f"{name}: the entry {info.filename!r} is encrypted; submit the tables "
                         "without a password.")
    if info.file_size > limits.max_file_bytes:
        raise InputError(f"{name}: the entry {info.filename!r} would expand to "
                         f"{info.file_size / 2**20:.1f} MiB; citykg reads tables up to "
                         f"{limits.max_file_bytes // 2**20} MiB.")
    if info.file_size > limits.ratio_floor_bytes and \
            info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise InputError(f"{name}: the entry {info.filename!r} expands "
                         f"{info.file_size // max(info.compress_size, 1)} times (zip bomb?); citykg "
                         f"refuses entries that expand more than {limits.max_ratio} times.")


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: str, dest: Path, name: str,
             limits: Limits) -> str:
    target = dest.joinpath(*member.split("/"))
    if not target.resolve().is_relative_to(dest.resolve()):  # belt and braces after _member
        raise InputError(f"{name}: the entry {info.filename!r} points outside the archive.")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with archive.open(info) as src, open(target, "wb") as out:
        while chunk := src.read(_CHUNK):
            if written == 0 and chunk.startswith(_ARCHIVE_MAGIC):
                raise InputError(f"{name}: the entry {info.filename!r} is itself an archive; "
                                 "citykg refuses nested archives. Put the CSV files in one zip.")
            written += len(chunk)
            if written > min(info.file_size, limits.max_file_bytes):
                raise InputError(f"{name}: the entry {info.filename!r} inflates past its "
                                 "declared size; citykg refuses the archive (zip bomb?).")
            out.write(chunk)
    return member
