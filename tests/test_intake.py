"""Taking in a submission: canonical files, one checksum for the same input in any wrapping, and
messages that name the files as the user has them."""

from __future__ import annotations

import os
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
CITY, FR = "<https://w3id.org/citykg/id/city/a>", "<https://w3id.org/citykg/id/country/FR>"


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


LINKED = ("{} is a symbolic link; citykg refuses links inside a folder (they can point anywhere). Put the "
          "file or folder it points to in its place, or remove the link.")


def test_links_in_a_folder_are_refused(tmp_path: Path) -> None:
    src = write(tmp_path / "in", {"factors.csv": "x\n"})
    (src / "studies.csv").symlink_to("/etc/passwd")
    with pytest.raises(InputError) as caught:
        receive(src, tmp_path / "work")
    assert str(caught.value) == LINKED.format(f"{src}/studies.csv")


@pytest.mark.parametrize("name", ["new-2025/more", "notes.txt", ".hidden-link"])
def test_a_link_to_a_folder_or_to_any_file_is_refused(tmp_path: Path, name: str) -> None:
    src = write(tmp_path / "in", {"new-2025/factors.csv": "x\n"})
    elsewhere = write(tmp_path / "elsewhere", {"studies.csv": "y\n"})
    (src / name).symlink_to(elsewhere if name.endswith("more") else elsewhere / "studies.csv")
    with pytest.raises(InputError) as caught:
        receive(src, tmp_path / "work")
    assert str(caught.value) == LINKED.format(f"{src}/{name}")


def test_a_file_that_is_not_regular_is_refused(tmp_path: Path) -> None:
    src = write(tmp_path / "in", {"factors.csv": "x\n"})
    os.mkfifo(src / "studies.csv")
    with pytest.raises(InputError) as caught:
        receive(src, tmp_path / "work")
    assert str(caught.value) == f"{src}/studies.csv is not a regular file; citykg copies only regular files."


def test_a_folder_named_like_a_table_is_refused(tmp_path: Path) -> None:
    src = write(tmp_path / "in", {"studies.csv": "x\n", "a.csv/factors.csv": "y\n"})
    with pytest.raises(InputError) as caught:
        receive(src, tmp_path / "work")
    assert str(caught.value) == f"{src}/a.csv is a folder named like a table; citykg reads every *.csv as a table. Rename the folder."


@pytest.mark.parametrize("source", ["folder", "zip"])
def test_tables_only_in_hidden_folders_are_named(tmp_path: Path, source: str) -> None:
    files: dict[str, str | bytes] = {".study/factors.csv": "x\n", ".study/studies.csv": "y\n", "a/.old.csv": "z\n",
                                     ".git/config": "w", "__MACOSX/._factors.csv": "junk"}
    path = write(tmp_path / "in", files) if source == "folder" else tmp_path / "in.zip"
    if source == "zip":
        path.write_bytes(zip_bytes(files))
    with pytest.raises(InputError) as caught:
        receive(path, tmp_path / "work")
    assert str(caught.value) == (f"{path} holds no CSV tables (*.csv). A submission is a folder or zip of tables "
                                 "named as in data/ (see `citykg template`), or an RDF file. It has tables only "
                                 "in hidden files or folders, whose names start with '.' (.study/, a/.old.csv), "
                                 "and citykg skips those: rename them without the '.'.")


# ------------------------------------------------------------------ RDF: what is refused, what is read

def test_a_byte_order_mark_is_dropped_in_every_rdf_format(tmp_path: Path) -> None:
    turtle = '<https://e.org/s> <https://e.org/p> "1" .\n'
    for suffix, text in ((".ttl", turtle), (".trig", f"<https://e.org/g> {{ {turtle} }}\n"), (".nt", turtle),
                         (".nq", turtle), (".jsonld", '{"@id": "https://e.org/s", "https://e.org/p": 1}'),
                         (".rdf", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                                  'xmlns:e="https://e.org/"><rdf:Description rdf:about="https://e.org/s">'
                                  '<e:p>1</e:p></rdf:Description></rdf:RDF>')):
        write(tmp_path, {f"bom{suffix}": "\ufeff" + text, f"plain{suffix}": text})
        with_bom = receive(tmp_path / f"bom{suffix}", tmp_path / "a" / suffix)
        without = receive(tmp_path / f"plain{suffix}", tmp_path / "b" / suffix)
        assert with_bom.id == without.id, suffix  # kept without the mark: the same input
        assert (with_bom.root / with_bom.files[0]).read_text(encoding="utf-8") == text
    bad = tmp_path / "bad.ttl"
    bad.write_text("\ufeff<https://e.org/s> <https://e.org/p> .\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        receive(bad, tmp_path / "c")  # the column as an editor counts it, without the mark
    assert str(caught.value) == f"{bad} is not valid Turtle: Parser error at line 1 column 37: . is not a valid RDF object"


def test_a_json_file_is_read_as_json_ld(tmp_path: Path) -> None:
    text = '{"@id": "https://e.org/s", "https://e.org/p": 1}'
    write(tmp_path, {"a.json": text, "a.jsonld": text, "plain.json": '{"name": "Qom", "country": "IR"}'})
    as_json = receive(tmp_path / "a.json", tmp_path / "x")
    assert as_json.files == ("input.jsonld",) and as_json.id == receive(tmp_path / "a.jsonld", tmp_path / "y").id
    with pytest.raises(InputError) as caught:
        receive(tmp_path / "plain.json", tmp_path / "z")
    assert str(caught.value) == (f"{tmp_path}/plain.json is JSON but not JSON-LD (it has no \"@context\" or "
                                 "\"@id\", and no triples); citykg reads a .json file as JSON-LD. Submit RDF "
                                 "(.jsonld, .ttl …) or a folder or zip of CSV tables.")


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
    with pytest.raises(InputError) as caught:
        receive(tmp_path / "study", tmp_path / "c", within=(project,))
    assert str(caught.value) == LINKED.format(f"{tmp_path}/study/cities.csv")


def test_over_http_a_clashing_zip_is_an_input_error_named_upload(project_copy: Project) -> None:
    body = zip_bytes({"x.csv": "a\n", "x.csv/factors.csv": "b\n"})  # POST /submissions answers 422 with it
    with pytest.raises(InputError) as caught:
        submit_bytes(body, content_type="application/zip", project=project_copy, who="Ana")
    assert str(caught.value) == ("upload: the entry 'x.csv' is a file, but the entry 'x.csv/factors.csv' makes "
                                 "it a folder too; a file and a folder cannot have the same name. Rename one of "
                                 "them and make the zip again.")
    assert not (project_copy.root / "submissions").exists()


def test_the_cli_refuses_what_crashed_it_with_exit_2(project_copy: Project, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = bytearray(zip_bytes({"factors.csv": FACTORS * 20}))
    damaged[30 + len("factors.csv")] = 0xFF  # the first deflate block, of a reserved type
    write(tmp_path, {"clash.zip": zip_bytes({"x.csv": "a\n", "x.csv/factors.csv": FACTORS}),
                     "name.zip": zip_bytes({"café.csv": "a\n"}).replace("café".encode(), b"caf\xe9\xff"),
                     "damaged.zip": bytes(damaged), "new-study/factors.csv": FACTORS,
                     "star.ttl": f"<< {CITY} <https://e.org/p> {FR} >> <https://e.org/p> {FR} .\n"})
    (tmp_path / "new-study" / "more").symlink_to(write(tmp_path / "elsewhere", {"studies.csv": "y\n"}))
    monkeypatch.chdir(tmp_path)
    for name, start in (("clash.zip", "clash.zip: the entry 'x.csv' is a file"),
                        ("name.zip", "name.zip: the name of the entry 'caf\ufffd\ufffd.csv' is marked as UTF-8"),
                        ("damaged.zip", "damaged.zip: the entry 'factors.csv' is damaged"),
                        ("star.ttl", "star.ttl, line 1: citykg does not read quoted triples"),
                        ("new-study", "new-study/more is a symbolic link; citykg refuses links inside a folder")):
        for command in (["validate", name], ["submit", name, "--who", "Ana"]):
            result = CliRunner().invoke(cli, ["--project", str(project_copy.root), "-q", *command])
            assert result.exit_code == 2 and result.stderr.startswith(f"Error: {start}"), (name, result.stderr)
            assert "Traceback" not in result.stderr and "citykg-input-" not in result.stderr
    assert not (project_copy.root / "submissions").exists()
