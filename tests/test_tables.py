"""Reading tables: every problem that keeps a row from becoming RDF is reported where it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from citykg.errors import InputError
from citykg.report import Severity
from citykg.tables import read_tables

HEADER = "study,code,kind,label_fa,label_en,source_table,source_row,note\n"
ROW = "s,S1,strength,قوت,A strength,Table 1,1,\n"


def folder(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    target = tmp_path / "s"
    target.mkdir(exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (target / name).write_bytes(data)
    return target


def messages(tmp_path: Path, files: dict[str, bytes | str]) -> list[str]:
    report = read_tables([folder(tmp_path, files)], root=tmp_path).report
    return [f.to_text() for f in report.findings]


def test_a_good_table_reads_cleanly(tmp_path: Path) -> None:
    tables = read_tables([folder(tmp_path, {"factors.csv": HEADER + ROW})], root=tmp_path)
    assert tables.report.findings == ()
    (row,) = tables.rows("factors")
    assert (row.line, row.get("code"), row.study, row.file.display) == (2, "S1", "s", "s/factors.csv")


def test_lines_count_records_that_span_lines(tmp_path: Path) -> None:
    text = HEADER + 's,S1,strength,قوت,"A strength\nover two lines",Table 1,1,\n' + ROW.replace("S1", "S2")
    rows = list(read_tables([folder(tmp_path, {"factors.csv": text})]).rows())
    assert [r.line for r in rows] == [2, 4]


@pytest.mark.parametrize(("content", "expected"), [
    (HEADER.replace("label_en", "labl_en") + ROW, "Unknown column 'labl_en' in a factors table. Did you mean 'label_en'?"),
    (HEADER.replace(",kind", "") + ROW.replace(",strength", ""), "Required column 'kind' is missing"),
    (HEADER.replace("note", "code") + ROW, "Column 'code' appears twice in the header."),
    (HEADER.replace(",", ";") + ROW.replace(",", ";"), "The header is separated by semicolons"),
    (HEADER.replace(",", "\t") + ROW.replace(",", "\t"), "The header is separated by tabs"),
    (HEADER + "s,S1,strength,قوت\n", "The row has 4 fields but the header has 8."),
    (HEADER + ROW.replace("strength", "strenght"), "'strenght' is not an allowed kind. Did you mean 'strength'?"),
    (HEADER + ROW.replace("S1", ""), "Key column 'code' is empty"),
    (HEADER + ROW.replace("S1", "S 1"), "Key column 'code' 'S 1' is not a valid key"),
    (HEADER + ROW + ROW, "Duplicate factor 'S1': it is already defined on line 2. Keep one of the two rows, or give this one "
     "another code."),
    ("", "The file is empty; a factors table needs at least its header row."),
    ("\n\n", "The file is empty"),
])
def test_problems_are_reported_with_their_place(tmp_path: Path, content: str, expected: str) -> None:
    found = messages(tmp_path, {"factors.csv": content})
    assert any(expected in m for m in found), found
    assert all(m.startswith("s/factors.csv") for m in found)


def test_unknown_table_names_the_closest(tmp_path: Path) -> None:
    found = messages(tmp_path, {"factor.csv": HEADER + ROW})
    assert found and "Unknown table 'factor.csv'" in found[0] and "Did you mean 'factors.csv'?" in found[0]


def test_bom_is_accepted_with_a_note_and_crlf_is_fine(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + (HEADER + ROW).replace("\n", "\r\n").encode("utf-8")
    tables = read_tables([folder(tmp_path, {"factors.csv": data})], root=tmp_path)
    assert [f.severity for f in tables.report.findings] == [Severity.INFO]
    assert "byte-order mark" in tables.report.findings[0].message
    assert next(tables.rows()).get("code") == "S1"


@pytest.mark.parametrize(("data", "expected"), [
    ((HEADER + ROW).encode("cp1256"), "is not UTF-8: byte 0x"),
    ((HEADER + ROW).encode("utf-16"), "is UTF-16"),
    ((HEADER + 's,S1,"strength,x\n').encode(), "line 2: the quoted cell that starts on this line is never closed"),
    (b"a,b\x00,c\n", "contains NUL bytes"),
])
def test_unreadable_files_raise(tmp_path: Path, data: bytes, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        read_tables([folder(tmp_path, {"factors.csv": data})])


def test_cp1256_error_names_the_line(tmp_path: Path) -> None:
    data = HEADER.encode() + ROW.encode("cp1256")
    with pytest.raises(InputError, match="on line 2"):
        read_tables([folder(tmp_path, {"factors.csv": data})])


def test_too_large_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("citykg.tables.MAX_TABLE_BYTES", 100)
    with pytest.raises(InputError, match="citykg reads tables up to"):
        read_tables([folder(tmp_path, {"factors.csv": HEADER + ROW * 5})])


def test_duplicates_across_folders(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    for f in (a, b):
        f.mkdir()
        (f / "factors.csv").write_text(HEADER + ROW, encoding="utf-8")
    found = read_tables([a, b], root=tmp_path).report.findings
    assert [f.to_text() for f in found] == [
        "b/factors.csv:2: code: violation: Duplicate factor 'S1': it is already defined on "
        "a/factors.csv:2. Keep one of the two rows, or give this one another code. [citykg:table-format/duplicate]"]


@pytest.mark.parametrize(("cell", "start"), [
    ("=1+2", "'='"), ("+cmd", "'+'"), ("-2+3", "'-'"), ("@SUM(A1)", "'@'"), ('"\t=1"', r"'\t'"),
    ('"\r=1"', r"'\r'"), (" =1", "'='"), ("-", "'-'"),
])
def test_a_cell_that_a_spreadsheet_reads_as_a_formula_is_a_warning(tmp_path: Path, cell: str, start: str) -> None:
    # the cells citykg's CSV output neutralises (citykg.formats.neutralise), and no others
    tables = read_tables([folder(tmp_path, {"factors.csv": HEADER + ROW.replace(",\n", f",{cell}\n")})])
    (finding,) = tables.report.findings
    assert (finding.severity, finding.row, finding.column) == (Severity.WARNING, 2, "note")
    assert finding.message.startswith(f"The cell starts with {start}, which a spreadsheet reads as a formula")


@pytest.mark.parametrize("cell", ["-5", "+1.5e3", "-0.25", "Tabriz", "a = b", "'=1"])
def test_numbers_and_text_are_not_formulas(tmp_path: Path, cell: str) -> None:
    tables = read_tables([folder(tmp_path, {"factors.csv": HEADER + ROW.replace(",\n", f",{cell}\n")})])
    assert tables.report.findings == ()


@pytest.mark.parametrize(("content", "readable"), [
    (HEADER + ROW, True),
    (HEADER, True),  # a header and no rows: read, and empty
    (HEADER.replace(",", ";") + ROW.replace(",", ";"), False),
    ("x,y\n1,2\n", False),
    ("", False),
])
def test_a_table_whose_rows_cannot_be_read_is_marked(tmp_path: Path, content: str, readable: bool) -> None:
    (source,) = read_tables([folder(tmp_path, {"factors.csv": content})]).sources
    assert [f.readable for f in source.files] == [readable]
