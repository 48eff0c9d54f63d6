"""Safe unpacking of zips: traversal, links, nested archives and bombs are refused before writing."""

from __future__ import annotations

import io
import random
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
    assert unpacked.ignored == ("s/README.md",) and unpacked.hidden == ("s/.git/",)
    assert (tmp_path / "s/new/factors.csv").read_bytes() == b"x\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["factors.csv", "new", "s", "studies.csv"]


@pytest.mark.parametrize("name", ["../evil.csv", "a/../../evil.csv", "/etc/evil.csv", "C:/evil.csv"])
def test_path_traversal_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match=r"points outside the archive \(path traversal\)"):
        unpack_zip(archive_of((entry(name), b"x")), tmp_path / "out", name="up.zip")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.csv").exists()


def test_a_backslash_separates_folders_and_cannot_climb_out(tmp_path: Path) -> None:
    # as Windows PowerShell 5's Compress-Archive writes them
    unpack_zip(archive_of((entry("new-study\\"), b""), (entry("new-study\\factors.csv"), b"x")), tmp_path / "in",
               name="up.zip")
    assert [p.relative_to(tmp_path / "in").as_posix() for p in sorted((tmp_path / "in").rglob("*"))] == [
        "new-study", "new-study/factors.csv"]
    for name in ("..\\evil.csv", "C:\\evil.csv", "\\evil.csv"):
        with pytest.raises(InputError, match="points outside the archive"):
            unpack_zip(archive_of((entry(name), b"x")), tmp_path / "out", name="up.zip")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.csv").exists()


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
    with pytest.raises(InputError, match="^up.zip: the entries 'factors.csv' and 'FACTORS.csv' name one file "
                                         r"\(a file system that ignores case would keep one\); citykg refuses"):
        unpack_zip(data, tmp_path, name="up.zip")
    twice = archive_of((entry("factors.csv"), b"a"), (entry("factors.csv"), b"b"))
    with pytest.raises(InputError, match=r"^up\.zip: the entry 'factors\.csv' appears twice; citykg refuses"):
        unpack_zip(twice, tmp_path, name="up.zip")


@pytest.mark.parametrize("names", [("x.csv", "x.csv/factors.csv"), ("x.csv/factors.csv", "X.csv"), ("x.csv", "x.csv/")])
def test_a_file_and_a_folder_of_the_same_name_are_refused(tmp_path: Path, names: tuple[str, str]) -> None:
    data = archive_of(*((entry(name), b"" if name.endswith("/") else b"a\n") for name in names))
    file, folder = names if not names[0].startswith("x.csv/") else names[::-1]
    with pytest.raises(InputError) as caught:
        unpack_zip(data, tmp_path / "out", name="up.zip")
    assert str(caught.value) == (f"up.zip: the entry {file!r} is a file, but the entry {folder!r} makes it a "
                                 "folder too; a file and a folder cannot have the same name. Rename one of "
                                 "them and make the zip again.")
    assert not (tmp_path / "out").exists()


def test_a_table_in_a_folder_named_like_a_table_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        unpack_zip(zip_bytes({"s/a.csv/factors.csv": "a\n"}), tmp_path / "out", name="up.zip")
    assert str(caught.value) == ("up.zip: the entry 's/a.csv/factors.csv' is in a folder named like a table "
                                 "('a.csv'); citykg reads every *.csv as a table. Rename the folder and make "
                                 "the zip again.")


def test_a_name_marked_utf8_that_is_not_is_refused(tmp_path: Path) -> None:
    data = zip_bytes({"café.csv": "a\n"}).replace("café".encode(), b"caf\xe9\xff")  # the UTF-8 flag stays
    with pytest.raises(InputError) as caught:
        unpack_zip(data, tmp_path / "out", name="up.zip")
    assert str(caught.value) == ("up.zip: the name of the entry 'caf\ufffd\ufffd.csv' is marked as UTF-8 but "
                                 "is not UTF-8, so citykg cannot read it. Rename the file (letters, digits, "
                                 "'-', '_') and make the zip again with a standard zip tool.")
    assert not (tmp_path / "out").exists()


def damaged(compress: int, offset: int, value: int) -> bytes:
    """A zip of a good table and then ``factors.csv``, one byte of whose data is ``value``."""
    data = bytearray(zip_bytes({"a/actions.csv": "x\n", "a/factors.csv": "study,code,kind\n" * 50},
                               compress=compress))
    data[data.find(b"a/factors.csv") + len("a/factors.csv") + offset] = value  # in the local header's data
    return bytes(data)


@pytest.mark.parametrize(("data", "why"), [
    (damaged(zipfile.ZIP_DEFLATED, 0, 0xFF), "Error -3 while decompressing data: invalid block type"),
    (damaged(zipfile.ZIP_STORED, 5, ord("X")), "Bad CRC-32 for file 'a/factors.csv'")], ids=["deflate", "crc"])
def test_a_damaged_entry_is_refused_and_nothing_is_left(tmp_path: Path, data: bytes, why: str) -> None:
    with pytest.raises(InputError) as caught:
        unpack_zip(data, tmp_path / "out", name="up.zip")
    assert str(caught.value) == (f"up.zip: the entry 'a/factors.csv' is damaged and cannot be unpacked ({why}). "
                                 "Make the zip again with a standard zip tool (deflate or no compression, "
                                 "no password).")
    assert not (tmp_path / "out").exists()  # a/actions.csv, extracted before, is removed too
    (tmp_path / "given").mkdir()
    with pytest.raises(InputError):
        unpack_zip(data, tmp_path / "given", name="up.zip")
    assert list((tmp_path / "given").iterdir()) == []


def test_an_entry_that_cannot_be_written_is_named_as_in_the_zip(tmp_path: Path) -> None:
    name = "a" * 300 + ".csv"  # longer than a file name may be
    with pytest.raises(InputError) as caught:
        unpack_zip(zip_bytes({name: "a\n"}), tmp_path / "out", name="up.zip")
    assert str(caught.value) == (f"up.zip: the entry {name!r} cannot be extracted (File name too long). Give it "
                                 "a shorter, plain name (letters, digits, '-', '_') and make the zip again.")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("compress", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_damaged_archives_give_an_input_error_only(tmp_path: Path, compress: int) -> None:
    good = zip_bytes({"a/factors.csv": "study,code,kind\n" * 40, "a/studies.csv": "id\nx\n"}, compress=compress)
    rng = random.Random(compress)
    for n in range(150):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            unpack_zip(bytes(data), tmp_path / str(n), name="up.zip")
        except InputError as exc:
            assert str(exc).startswith("up.zip") and str(tmp_path) not in str(exc)
            assert not (tmp_path / str(n)).exists()


def test_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape("up.zip is not a readable zip archive")):
        unpack_zip(b"this is not a zip file at all", tmp_path, name="up.zip")


def test_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "in.zip"
    path.write_bytes(zip_bytes({"factors.csv": "a\n"}))
    assert unpack_zip(path, tmp_path / "out", name="in.zip").files == ("factors.csv",)
