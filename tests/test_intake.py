"""Taking in a submission: canonical files, one checksum for the same input in any wrapping, and
messages that name the files as the user has them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from submitting import NEW_STUDY, write, zip_bytes

from citykg.cli import cli
from citykg.errors import InputError
from citykg.intake import InputKind, receive, receive_bytes, table_folders
from citykg.project import Project
from citykg.submit import submit_bytes

FACTORS = b"study,code,kind,label_fa,label_en,source_table,source_row\n"


def test_a_folder_and_a_zip_of_it_are_the_same_input(tmp_path: Path) -> None:
    folder = write(tmp_path / "new-2025", dict(NEW_STUDY))
    archive = tmp_path / "study.zip"
    archive.write_bytes(zip_bytes({f"outer/new-2025/{n}": t for n, t in NEW_STUDY.items()}))
    a = receive(folder, tmp_path / "a")
    b = receive(archive, tmp_path / "b")
    assert a.kind is b.kind is InputKind.TABLES
    assert a.files == b.files == tuple(sorted(NEW_STUDY)) and a.id == b.id and len(a.id) == 16
    assert b.unwrapped == "outer/new-2025/" and b.shown("factors.csv") == f"{archive}/outer/new-2025/factors.csv"
    assert table_folders(b.root) == [b.root]


def test_several_studies_keep_one_folder_each(tmp_path: Path) -> None:
    src = write(tmp_path / "in", {"one/factors.csv": "x\n", "two/factors.csv": "y\n", "notes.txt": "z"})
    received = receive(src, tmp_path / "work")
    assert received.files == ("one/factors.csv", "two/factors.csv")
    assert [p.name for p in table_folders(received.root)] == ["one", "two"]


def test_links_in_a_folder_are_refused(tmp_path: Path) -> None:
    src = write(tmp_path / "in", {"factors.csv": "x\n"})
    (src / "studies.csv").symlink_to("/etc/passwd")
    with pytest.raises(InputError, match=r"studies\.csv is a symbolic link or not a regular file"):
        receive(src, tmp_path / "work")


def test_rdf_is_the_same_input_by_file_or_by_body(tmp_path: Path) -> None:
    turtle = b"<https://e.org/s> <https://e.org/p> 1 .\n"
    path = tmp_path / "whatever-name.ttl"
    path.write_bytes(turtle)
    by_file = receive(path, tmp_path / "a")
    (tmp_path / "b").mkdir()
    by_body = receive_bytes(turtle, tmp_path / "b", content_type="text/turtle; charset=utf-8")
    assert by_file.id == by_body.id and by_file.files == ("input.ttl",)
    assert (tmp_path / "a" / "input.ttl").read_bytes() == turtle


def test_unknown_media_types_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the media type 'text/csv' is not one citykg reads"):
        receive_bytes(b"a,b", tmp_path, content_type="text/csv")
    with pytest.raises(InputError, match=r"holds no CSV tables \(\*\.csv\)"):
        receive(write(tmp_path / "empty", {"README.md": "hi"}), tmp_path / "work")


# ------------------------------------------------------------------ messages name the user's files


def test_unreadable_tables_are_named_as_the_user_has_them(project_copy: Project, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    base = ["--project", str(project_copy.root), "-q"]
    write(tmp_path / "enc-latin1", {"factors.csv": FACTORS + "x,S1,strength,x,Café,T,1\n".encode("latin-1")})
    monkeypatch.chdir(tmp_path)  # the folder is given as the user types it: relative
    for command in (["submit", "enc-latin1", "--who", "Ana"], ["validate", "enc-latin1"]):
        result = runner.invoke(cli, [*base, *command])
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.startswith("Error: enc-latin1/factors.csv is not UTF-8: byte 0xe9 on line 2"), \
            result.stderr
    (tmp_path / "new-study.zip").write_bytes(zip_bytes({"new-study/factors.csv": FACTORS + b'x,"S1,strength\n'}))
    result = runner.invoke(cli, [*base, "validate", "new-study.zip"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: new-study.zip/new-study/factors.csv, line 2: the quoted cell "
                                    "that starts on this line is never closed."), result.stderr
    assert not (project_copy.root / "submissions").exists()


def test_an_http_body_is_named_upload(project_copy: Project) -> None:
    body = zip_bytes({"export/factors.csv": FACTORS + b"x,S1," + b"y" * 200_000 + b",a,b,T,1\n"})
    with pytest.raises(InputError) as caught:
        submit_bytes(body, content_type="application/zip", project=project_copy, who="Ana")
    assert str(caught.value).startswith("upload/export/factors.csv, line 2: a cell is longer than 128 KiB, "
                                        "the most citykg reads in one cell."), str(caught.value)
    assert "citykg-input-" not in str(caught.value)


def test_an_upper_case_extension_in_a_folder_is_named_with_the_fix(tmp_path: Path) -> None:
    src = write(tmp_path / "in", {"Factors.CSV": "x\n", "studies.csv": "y\n", "notes.txt": "z"})
    received = receive(src, tmp_path / "work")
    assert received.files == ("studies.csv",) and received.ignored == ("Factors.CSV",)
    only = write(tmp_path / "only", {"sub/Factors.CSV": "x\n"})
    with pytest.raises(InputError, match=r"holds no CSV tables .* Rename sub/Factors\.CSV to factors\.csv\.$"):
        receive(only, tmp_path / "work2")


def test_a_link_named_as_the_input_is_followed_only_into_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    study = write(project / "incoming" / "new-2025", dict(NEW_STUDY))
    (tmp_path / "study").symlink_to(study)
    received = receive(tmp_path / "study", tmp_path / "a", within=(project,))
    assert received.label == f"{tmp_path}/study" and received.files == tuple(sorted(NEW_STUDY))
    elsewhere = write(tmp_path / "elsewhere", dict(NEW_STUDY))
    (project / "link").symlink_to(elsewhere)
    for link, within in ((project / "link", (project,)), (tmp_path / "study", ())):
        with pytest.raises(InputError, match=r"is a symbolic link; citykg follows a link only into the project"):
            receive(link, tmp_path / "b", within=within)
    # Links inside the input are refused even when the input itself may be followed.
    (study / "cities.csv").symlink_to(elsewhere / "factors.csv")
    with pytest.raises(InputError, match=r"cities\.csv is a symbolic link or not a regular file"):
        receive(tmp_path / "study", tmp_path / "c", within=(project,))
