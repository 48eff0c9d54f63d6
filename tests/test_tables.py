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
    (HEADER.replace("label_en", "labl_en") + ROW, "Required column 'label_en' is missing: An English translation. "
                                                  "The header's 'labl_en' is no column of a factors table"),
    (HEADER.replace("note", "nte") + ROW, "Unknown column 'nte' in a factors table. Did you mean 'note'?"),
    (HEADER.replace(",kind", "") + ROW.replace(",strength", ""), "Required column 'kind' is missing"),
    (HEADER.replace("note", "code") + ROW, "Column 'code' appears twice in the header: rename or remove one"),
    (HEADER.replace(",", ";") + ROW.replace(",", ";"), "The header is separated by semicolons"),
    (HEADER.replace(",", "\t") + ROW.replace(",", "\t"), "The header is separated by tabs"),
    (HEADER + "s,S1,strength,قوت\n", "The row has 4 fields but the header has 8."),
    (HEADER + ROW.replace("strength", "strenght"), "'strenght' is not an allowed kind. Did you mean 'strength'?"),
    (HEADER + ROW.replace("S1", ""), "The code is empty, and it is required"),
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


@pytest.mark.parametrize(("header", "fix"), [
    ("a,b,c\n", "The first row reads 'a,b,c'. If it is a row of data, add the header above it; otherwise name the "
                "columns as expected."),
    ("iso2,iso3,source\n", "The first row reads 'iso2,iso3,source'. These are columns of a countries table: is the "
                           "file meant to be countries.csv?"),
    ("", "The first row reads 's,S1,strength,قوت,A strength,Table 1,1,'. If it is a row of data, add the header "
         "above it"),
])
def test_a_header_that_names_no_column_is_one_finding(tmp_path: Path, header: str, fix: str) -> None:
    tables = read_tables([folder(tmp_path, {"factors.csv": header + ROW})], root=tmp_path)
    (finding,) = tables.report.findings  # not one more for each unknown and each missing column
    assert (finding.severity, finding.file, finding.row, finding.column) == (Severity.VIOLATION, "s/factors.csv", 1, None)
    assert finding.message.startswith("No column of the header is a factors column; expected study, code, kind, "
                                      "label_fa, label_en, source_table, source_row, note. " + fix)
    assert [f.readable for f in tables.sources[0].files] == [False]


def test_a_missing_column_is_one_finding_that_covers_its_cells_in_every_row(tmp_path: Path) -> None:
    content = HEADER.replace("label_en", "label_english") + ROW + ROW.replace("S1", "S2")
    tables = read_tables([folder(tmp_path, {"factors.csv": content})], root=tmp_path)
    assert [f.to_text() for f in tables.report.findings] == [
        "s/factors.csv:1: label_en: violation: Required column 'label_en' is missing: An English translation. The "
        "header's 'label_english' is no column of a factors table: if it is 'label_en', rename it. "
        "[citykg:table-format]"]  # one slip, one finding
    missing = tables.report.findings[0]
    assert missing.covers == {("s/factors.csv", 2, "label_en"), ("s/factors.csv", 3, "label_en")}
    (source,) = tables.sources
    assert [(f.readable, f.missing) for f in source.files] == [(True, ("label_en",))]
    assert [r.get("code") for r in source.rows] == ["S1", "S2"]  # the rows are read without it


def test_an_unknown_column_is_not_taken_for_a_column_the_header_has(tmp_path: Path) -> None:
    found = messages(tmp_path, {"factors.csv": HEADER.replace("\n", ",label_english\n") + ROW.replace("\n", ",x\n")})
    assert found == ["s/factors.csv:1: label_english: violation: Unknown column 'label_english' in a factors table. "
                     "[citykg:table-format]"]


def test_a_table_without_a_key_column_is_not_read(tmp_path: Path) -> None:
    tables = read_tables([folder(tmp_path, {"factors.csv": HEADER.replace(",code,", ",id,") + ROW})], root=tmp_path)
    assert [f.message for f in tables.report.findings] == [  # and no "The code is empty" at each row
        "Required column 'code' is missing: Code as printed: S1, W3, O2, T4.",
        "Unknown column 'id' in a factors table."]
    (source,) = tables.sources
    assert source.rows == () and [f.readable for f in source.files] == [False]


def test_a_row_with_the_wrong_number_of_fields_is_kept_aside(tmp_path: Path) -> None:
    content = HEADER + ROW + ROW.replace("S1", "W1").replace("A strength", "A weakness, and more") + "s,W 2,x,y\n"
    tables = read_tables([folder(tmp_path, {"factors.csv": content})], root=tmp_path)
    assert [(f.row, f.message) for f in tables.report.findings] == [
        (3, "The row has 9 fields but the header has 8. Quote cells that contain commas."),
        (4, "The row has 4 fields but the header has 8. Quote cells that contain commas.")]
    (source,) = tables.sources
    assert [r.line for r in source.rows] == [2]
    # the record the row seems to define, by its first cells; not the one whose key is no key
    assert [(r.line, r.study, r.key()) for r in source.skipped] == [(3, "s", ("W1",))]


@pytest.mark.parametrize("name", ["Factors.CSV", "factors.CSV", "Factors.csv", "factor.csv"])
def test_a_table_refused_for_its_name_is_marked_not_read(tmp_path: Path, name: str) -> None:
    tables = read_tables([folder(tmp_path, {name: HEADER + ROW, "strategies.csv": "study,code\n"})], root=tmp_path)
    assert [f.severity for f in tables.report.findings if f.file == f"s/{name}"] == [Severity.VIOLATION]
    refused = [(f.table, f.display, f.readable, f.misnamed) for f in tables.sources[0].files if f.table == "factors"]
    assert refused == [("factors", f"s/{name}", False, True)]
    assert not any(f.misnamed for f in read_tables([folder(tmp_path, {"factors.csv": HEADER})]).sources[0].files)


def test_a_table_left_out_for_its_name_is_marked_not_read_without_a_finding(tmp_path: Path) -> None:
    # as the intake leaves Factors.CSV out of its copy, and reports it itself
    target = folder(tmp_path, {"strategies.csv": "study,code\n"})
    tables = read_tables([target], root=tmp_path, left_out=[target / "Factors.CSV", tmp_path / "x" / "Themes.CSV"])
    assert [(f.table, f.display, f.readable) for f in tables.sources[0].files if f.table != "strategies"] == [
        ("factors", "s/Factors.CSV", False)]
    assert not [f for f in tables.report.findings if "Factors" in f.message]
    # beside the table itself, a file of another name that seems to be it is only reported
    both = read_tables([folder(tmp_path, {"factors.csv": HEADER, "Factors.CSV": HEADER})], root=tmp_path)
    assert [(f.display, f.readable) for f in both.sources[0].files if f.table == "factors"] == [("s/factors.csv", True)]
