"""Safe unpacking of zips: traversal, links, nested archives and bombs are refused before writing."""

from __future__ import annotations

import io
import re
import stat
import warnings
import zipfile
from pathlib import Path

import pytest
from submitting import zip_bytes

from citykg.archive import Limits, unpack_zip
from citykg.errors import InputError


def entry(name: str, *, mode: int | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    if mode is not None:
        info.external_attr = mode << 16
    return info


def archive_of(*entries: tuple[zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which one test wants
        with zipfile.ZipFile(buffer, "w") as archive:
            for info, data in entries:
                archive.writestr(info, data)
    return buffer.getvalue()


def test_tables_are_extracted_and_other_files_left_out(tmp_path: Path) -> None:
    data = zip_bytes({"s/new/factors.csv": "x\n", "s/new/studies.csv": "y\n", "s/README.md": "hi",
                      "__MACOSX/s/._factors.csv": "junk", "s/.git/config.csv": "hidden", "s/.DS_Store": "x"})
    unpacked = unpack_zip(data, tmp_path, name="up.zip")
    assert unpacked.files == ("s/new/factors.csv", "s/new/studies.csv")
    assert unpacked.ignored == ("s/README.md",)
    assert (tmp_path / "s/new/factors.csv").read_bytes() == b"x\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["factors.csv", "new", "s", "studies.csv"]


@pytest.mark.parametrize("name", ["../evil.csv", "a/../../evil.csv", "/etc/evil.csv", "C:/evil.csv"])
def test_path_traversal_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match=r"points outside the archive \(path traversal\)"):
        unpack_zip(archive_of((entry(name), b"x")), tmp_path / "out", name="up.zip")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.csv").exists()


def test_backslashes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="has a backslash or NUL in its name"):
        unpack_zip(archive_of((entry("..\\evil.csv"), b"x")), tmp_path, name="up.zip")


def test_symbolic_links_are_refused(tmp_path: Path) -> None:
    link = entry("factors.csv", mode=stat.S_IFLNK | 0o777)
    with pytest.raises(InputError, match="is a symbolic link; citykg refuses links in archives"):
        unpack_zip(archive_of((link, b"/etc/passwd")), tmp_path, name="up.zip")
    assert not any(tmp_path.iterdir())


def test_devices_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a regular file"):
        unpack_zip(archive_of((entry("fifo.csv", mode=stat.S_IFIFO | 0o644), b"")), tmp_path, name="up.zip")


@pytest.mark.parametrize("name", ["inner.zip", "tables.tar.gz", "x.7z"])
def test_nested_archives_are_refused_by_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="is itself an archive; citykg refuses nested archives"):
        unpack_zip(archive_of((entry(name), b"x")), tmp_path, name="up.zip")


def test_nested_archives_are_refused_by_content(tmp_path: Path) -> None:
    inner = zip_bytes({"factors.csv": "a\n"})
    with pytest.raises(InputError, match=re.escape("'factors.csv' is itself an archive")):
        unpack_zip(zip_bytes({"factors.csv": inner}), tmp_path, name="up.zip")


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    bomb = zip_bytes({"factors.csv": b"0" * (4 * 2**20)})  # 4 MiB of zeros deflate to ~4 KiB
    with pytest.raises(InputError, match=r"expands \d+ times \(zip bomb\?\)"):
        unpack_zip(bomb, tmp_path, name="up.zip")
    assert not any(tmp_path.iterdir())


def test_a_zip_bomb_is_refused_by_its_total_size(tmp_path: Path) -> None:
    data = zip_bytes({f"t{i}.csv": b"x" * 4000 for i in range(5)}, compress=zipfile.ZIP_STORED)
    with pytest.raises(InputError, match=r"would expand to 0\.0 MiB; citykg accepts at most 0 MiB uncompressed"):
        unpack_zip(data, tmp_path, name="up.zip", limits=Limits(max_total_bytes=10_000))


def test_an_entry_over_the_table_limit_is_refused(tmp_path: Path) -> None:
    data = zip_bytes({"big.csv": b"x" * 5000}, compress=zipfile.ZIP_STORED)
    with pytest.raises(InputError, match=re.escape("would expand to 0.0 MiB; citykg reads tables up to 0 MiB")):
        unpack_zip(data, tmp_path, name="up.zip", limits=Limits(max_file_bytes=1000))


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    data = zip_bytes({f"t{i}.csv": "a\n" for i in range(6)})
    with pytest.raises(InputError, match="has 6 entries; citykg accepts at most 5"):
        unpack_zip(data, tmp_path, name="up.zip", limits=Limits(max_entries=5))


def test_a_large_archive_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="citykg accepts archives up to 0 MiB"):
        unpack_zip(b"PK" + b"x" * 200, tmp_path, name="up.zip", limits=Limits(max_archive_bytes=100))


def test_an_entry_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    data = bytearray(zip_bytes({"factors.csv": b"abcdefgh" * 500}))
    real = (4000).to_bytes(4, "little")
    assert data.count(real) == 2  # the local header and the central directory record
    data[:] = data.replace(real, (40).to_bytes(4, "little"))
    with pytest.raises(InputError, match=re.escape("factors.csv")):
        unpack_zip(bytes(data), tmp_path, name="up.zip")


def test_encrypted_entries_are_refused(tmp_path: Path) -> None:
    data = bytearray(zip_bytes({"factors.csv": "a,b\n"}))
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 6] |= 0x1  # the "encrypted" bit of the general-purpose flags, in both headers
    data[central + 8] |= 0x1
    with pytest.raises(InputError, match="is encrypted; submit the tables without a password"):
        unpack_zip(bytes(data), tmp_path, name="up.zip")


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    data = archive_of((entry("factors.csv"), b"a"), (entry("FACTORS.csv"), b"b"))
    with pytest.raises(InputError, match="appears twice"):
        unpack_zip(data, tmp_path, name="up.zip")


def test_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape("up.zip is not a readable zip archive")):
        unpack_zip(b"this is not a zip file at all", tmp_path, name="up.zip")


def test_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "in.zip"
    path.write_bytes(zip_bytes({"factors.csv": "a\n"}))
    assert unpack_zip(path, tmp_path / "out", name="in.zip").files == ("factors.csv",)
