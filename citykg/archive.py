"""Unpack a zip of CSV tables safely, or refuse it with a message that says why.

A submission may come as a ``.zip``. Before a single byte is written, every entry is checked:

- its name is a relative path inside the archive: no absolute path, no drive letter, no ``..``,
  no NUL (path traversal), with ``/`` or ``\\`` between folders;
- it is a regular file or a folder: no symbolic link, no device, no encrypted entry;
- no two entries have the same name, and no file has the name of a folder (``x.csv`` beside
  ``x.csv/factors.csv``): one would overwrite, or block, the other;
- it is not itself an archive (``.zip``, ``.gz``, ``.tar`` …, by name or by its first bytes);
- the archive holds at most :attr:`Limits.max_entries` entries, each at most
  :attr:`Limits.max_file_bytes` and all together at most :attr:`Limits.max_total_bytes`
  uncompressed, and no large entry expands more than :attr:`Limits.max_ratio` times (zip bombs).

Only then are the ``.csv`` entries extracted, counting the bytes actually inflated (an entry
that lies about its size is refused as well), into a staging folder that is removed if any
entry fails, so that nothing is left half-extracted. Other files (a README) are left out and
listed in :attr:`Unpacked.ignored`; hidden files and folders (``.study/``) and the junk of
archivers (``__MACOSX/``, ``.DS_Store``) are skipped, the hidden tables listed in
:attr:`Unpacked.hidden`. Problems, a damaged archive among them, raise
:class:`~citykg.errors.InputError`.

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
import lzma
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
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
# What reading a damaged archive raises: zipfile's own errors, and those of the decompressors
# (zlib, lzma; bz2 raises OSError), of seeking to a bad offset (ValueError) and of a name marked
# UTF-8 that is not (UnicodeDecodeError, a ValueError).
_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError,
            zlib.error, lzma.LZMAError)
_REMAKE = "Make the zip again with a standard zip tool (deflate or no compression, no password)."


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
    #: The files that are not ``*.csv`` (a README), left out.
    ignored: tuple[str, ...]
    #: The hidden folders and files that hold tables (``.study/``, ``.factors.csv``), skipped.
    hidden: tuple[str, ...] = ()


def unpack_zip(source: Path | bytes, dest: Path, *, name: str, limits: Limits | None = None) -> Unpacked:
    """Check every entry of a zip archive, then extract its ``.csv`` files into ``dest``.

    :param source: the archive, as a file or as bytes (an HTTP body).
    :param dest: an empty folder to extract into (a temporary folder of the caller).
    :param name: how to name the archive in messages.
    :param limits: size and count limits; :class:`Limits` by default.
    :return: the extracted files, the ignored entries and the hidden ones that hold tables.
    :raises InputError: if the archive is unreadable, damaged or breaks a safety rule; nothing
        is extracted then (what was, is removed).
    """
    limits = limits or Limits()
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > limits.max_archive_bytes:
        raise InputError(f"{name} is {size / 2**20:.1f} MiB; citykg accepts archives up to "
                         f"{limits.max_archive_bytes // 2**20} MiB. Submit the studies separately.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except UnicodeDecodeError as exc:  # zipfile decodes every name when it opens the archive
        raise InputError(_bad_name(name, exc)) from exc
    except _DAMAGED as exc:
        raise InputError(f"{name} is not a readable zip archive ({exc}). {_REMAKE}") from exc
    with archive:
        wanted, ignored, hidden = _check(archive, name, limits)
        made = not dest.exists()
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=dest))
        try:
            files = [_extract(archive, info, member, staging, name, limits) for info, member in wanted]
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if made:
                shutil.rmtree(dest, ignore_errors=True)
            raise
    for child in staging.iterdir():
        child.rename(dest / child.name)
    staging.rmdir()
    return Unpacked(dest, tuple(sorted(files)), tuple(sorted(ignored)), tuple(sorted(hidden)))


def _bad_name(name: str, exc: UnicodeDecodeError) -> str:
    shown = exc.object.decode("utf-8", errors="replace")
    return (f"{name}: the name of the entry {shown!r} is marked as UTF-8 but is not UTF-8, so citykg "
            "cannot read it. Rename the file (letters, digits, '-', '_') and make the zip again with a "
            "standard zip tool.")


def _check(archive: zipfile.ZipFile, name: str,
           limits: Limits) -> tuple[list[tuple[zipfile.ZipInfo, str]], list[str], list[str]]:
    """The ``.csv`` entries to extract, the other files, and the hidden folders and files that
    hold tables; or an error about the first entry that breaks a rule."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise InputError(f"{name} has {len(infos)} entries; citykg accepts at most "
                         f"{limits.max_entries} (a submission is a few tables).")
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes:
        raise InputError(f"{name} would expand to {total / 2**20:.1f} MiB; citykg accepts at most "
                         f"{limits.max_total_bytes // 2**20} MiB uncompressed (zip bomb?).")
    seen: dict[str, str] = {}  # entry, in lower case → as first named
    wanted: list[tuple[zipfile.ZipInfo, str]] = []
    ignored: list[str] = []
    hidden: set[str] = set()
    members = [(info, _member(info.filename, name)) for info in infos]
    for info, member in members:
        if member.lower() in seen:
            first = seen[member.lower()]
            twice = (f"the entry {info.filename!r} appears twice" if first == info.filename else
                     f"the entries {first!r} and {info.filename!r} name one file (a file system that ignores "
                     "case would keep one)")
            raise InputError(f"{name}: {twice}; citykg refuses an archive whose entries could overwrite each "
                             "other.")
        seen[member.lower()] = info.filename
        _check_entry(info, member, name, limits)
        if member.endswith("/"):  # a folder (its name ends with / or \\)
            continue
        parts = member.split("/")
        if member.startswith(_JUNK) or parts[-1] in _JUNK or parts[-1].startswith("._"):
            continue  # the junk of archivers, and the resource forks of macOS (._factors.csv)
        dot = next((i for i, part in enumerate(parts) if part.startswith(".")), None)
        if dot is not None:
            if member.lower().endswith(".csv"):
                hidden.add("/".join(parts[: dot + 1]) + ("/" if dot < len(parts) - 1 else ""))
            continue
        if member.lower().endswith(_ARCHIVE_SUFFIXES):
            raise InputError(f"{name}: the entry {info.filename!r} is itself an archive; citykg "
                             "refuses nested archives. Put the CSV files in one zip.")
        if member.endswith(".csv"):
            wanted.append((info, member))
        else:
            ignored.append(member)
    _check_folders(members, wanted, name)
    return wanted, ignored, sorted(hidden)


def _check_folders(members: list[tuple[zipfile.ZipInfo, str]], wanted: list[tuple[zipfile.ZipInfo, str]],
                   name: str) -> None:
    """Refuse a file whose name is also a folder of another entry (``x.csv``, ``x.csv/f.csv``), as
    one of the two could not be extracted, and a table in a folder named like a table."""
    files = {member.lower(): info.filename for info, member in members if not member.endswith("/")}
    for info, member in members:
        parts = member.rstrip("/").split("/")
        for n in range(1, len(parts) + member.endswith("/")):
            if (folder := "/".join(parts[:n]).lower()) in files:
                raise InputError(f"{name}: the entry {files[folder]!r} is a file, but the entry "
                                 f"{info.filename!r} makes it a folder too; a file and a folder cannot "
                                 "have the same name. Rename one of them and make the zip again.")
    for info, member in wanted:
        if folder := next((p for p in member.split("/")[:-1] if p.lower().endswith(".csv")), ""):
            raise InputError(f"{name}: the entry {info.filename!r} is in a folder named like a table "
                             f"({folder!r}); citykg reads every *.csv as a table. Rename the folder and "
                             "make the zip again.")


def _member(filename: str, name: str) -> str:
    """The entry's path, normalised, or an error if it could escape the target folder. A
    backslash separates folders, as in the zips some Windows tools write (``data\\factors.csv``)."""
    if "\x00" in filename:
        raise InputError(f"{name}: the entry {filename!r} has a NUL in its name; citykg refuses the archive "
                         "(path traversal).")
    path = PurePosixPath(filename.replace("\\", "/"))
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")) or ".." in path.parts:
        raise InputError(f"{name}: the entry {filename!r} points outside the archive (path "
                         "traversal); citykg refuses the archive.")
    parts = [p for p in path.parts if p not in (".", "")]
    if not parts:
        raise InputError(f"{name}: an entry has an empty name; citykg refuses the archive.")
    return "/".join(parts) + ("/" if filename.endswith(("/", "\\")) else "")


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
    entry = f"{name}: the entry {info.filename!r}"
    target = dest.joinpath(*member.split("/"))
    if not target.resolve().is_relative_to(dest.resolve()):  # belt and braces after _member
        raise InputError(f"{entry} points outside the archive.")
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            for chunk in _chunks(archive, info, entry):
                if written == 0 and chunk.startswith(_ARCHIVE_MAGIC):
                    raise InputError(f"{entry} is itself an archive; citykg refuses nested archives. "
                                     "Put the CSV files in one zip.")
                written += len(chunk)
                if written > min(info.file_size, limits.max_file_bytes):
                    raise InputError(f"{entry} inflates past its declared size; citykg refuses the "
                                     "archive (zip bomb?).")
                out.write(chunk)
    except OSError as exc:  # writing it out: the message names the entry, not citykg's folder
        raise InputError(f"{entry} cannot be extracted ({exc.strerror or exc}). Give it a shorter, "
                         "plain name (letters, digits, '-', '_') and make the zip again.") from exc
    return member


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, entry: str) -> Iterator[bytes]:
    """The entry's bytes, inflated; a damaged entry (bad data, a wrong checksum) is an InputError."""
    try:
        with archive.open(info) as src:
            while chunk := src.read(_CHUNK):
                yield chunk
    except _DAMAGED as exc:
        raise InputError(f"{entry} is damaged and cannot be unpacked ({exc}). {_REMAKE}") from exc
