"""citykg template: empty tables with headers, a commented example row, and a README of the columns."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from citykg import template as template_module
from citykg.cli import cli
from citykg.errors import InputError
from citykg.project import Project
from citykg.schema import TABLES
from citykg.tabledocs import describe_tables
from citykg.tables import read_tables
from citykg.template import example_row, write_template
from citykg.validate import validate


def test_every_table_gets_its_header_and_a_comment_row(tmp_path: Path) -> None:
    written = write_template(tmp_path / "t")
    assert [p.name for p in written.files] == [f"{name}.csv" for name in TABLES] + ["README.md"]
    for name, table in TABLES.items():
        rows = list(csv.reader(io.StringIO((tmp_path / "t" / f"{name}.csv").read_text(encoding="utf-8"))))
        assert rows[0] == [c.name for c in table.columns]
        assert len(rows) == 2 and rows[1][0].startswith("#") and len(rows[1]) == len(rows[0])
    readme = (tmp_path / "t" / "README.md").read_text(encoding="utf-8")
    assert readme.endswith(describe_tables()) and "first cell starts with `#` is skipped" in readme


def test_the_reader_skips_the_comment_rows(tmp_path: Path) -> None:
    write_template(tmp_path / "t")
    tables = read_tables([tmp_path / "t"])
    assert list(tables.rows()) == [] and tables.report.findings == ()


def test_uncommented_example_rows_are_read(tmp_path: Path) -> None:
    write_template(tmp_path / "t", tables=["factors", "partnerships"])
    for name in ("factors", "partnerships"):
        path = tmp_path / "t" / f"{name}.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("\n#", "\n"), encoding="utf-8")
    tables = read_tables([tmp_path / "t"])
    assert [(r.table.name, r.line, r.key()) for r in tables.rows()] == [
        ("factors", 2, ("O2",)), ("partnerships", 2, ("mashhad", "tabriz", "sister-city"))]  # a pair: sorted
    assert tables.report.conforms


def test_comment_rows_keep_line_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "factors.csv").write_text(
        "study,code,kind,label_fa,label_en,source_table,source_row\n"
        "# a note for the reader\n"
        "  #x,S1,strength,قوت,A strength,Table 1,1\n"
        "s,S2,strong,قوت,A strength,Table 1,2\n", encoding="utf-8")
    tables = read_tables([folder])
    assert [f.row for f in tables.report.findings] == [4]
    assert [r.line for r in tables.rows()] == [4]


def test_an_untouched_template_holds_no_records(project: Project, tmp_path: Path) -> None:
    write_template(tmp_path / "t")
    report = validate(tmp_path / "t", project=project)
    assert [(f.file, f.severity.value, f.message) for f in report.findings] == [(
        f"{tmp_path}/t/", "violation", "The input holds no records: its tables have no data rows (only headers or '#' "
        "comment rows). Fill in at least one row before submitting it.")]


def test_cells_are_neutralised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(template_module._OVERRIDES, ("cities", "label_en"), "=HYPERLINK(\"http://x\")")
    monkeypatch.setitem(template_module._OVERRIDES, ("cities", "source"), "@SUM(A1)")
    write_template(tmp_path / "t", tables=["cities"])
    row = list(csv.reader(io.StringIO((tmp_path / "t" / "cities.csv").read_text(encoding="utf-8"))))[1]
    assert row[1] == "'=HYPERLINK(\"http://x\")" and row[5] == "'@SUM(A1)"


def test_example_rows_fit_their_columns() -> None:
    for table in TABLES.values():
        row = example_row(table)
        for column, value in zip(table.columns, row, strict=True):
            if column.required:
                assert value or column.name == "study", (table.name, column.name)
            if column.choices and value:
                assert value in column.choices, (table.name, column.name)


def test_nothing_is_overwritten(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "factors.csv").write_text("mine\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("factors.csv exists; citykg template does not overwrite files")):
        write_template(tmp_path / "t")
    assert (tmp_path / "t" / "factors.csv").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["factors.csv"]


def test_unknown_table(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape("Unknown table 'factor'. Did you mean 'factors'?")):
        write_template(tmp_path / "t", tables=["factor"])


def test_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["template", str(tmp_path / "t"), "--table", "cities",
                                      "--table", "partnerships", "--table", "cities"])  # cities once
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [str(tmp_path / "t" / n) for n in
                                          ("cities.csv", "partnerships.csv", "README.md")]
    readme = (tmp_path / "t" / "README.md").read_text(encoding="utf-8")
    assert sorted(re.findall(r"^### `(\w+)\.csv`", readme, flags=re.M)) == ["cities", "partnerships"]  # those written
    again = CliRunner().invoke(cli, ["template", str(tmp_path / "t")])
    assert again.exit_code == 2 and "does not overwrite files" in again.output


@pytest.mark.parametrize("table", ["countries", "organisations"])  # (the example city is a new one)
def test_an_example_qid_is_the_one_the_data_gives_its_record(project: Project, table: str) -> None:
    example = dict(zip((c.name for c in TABLES[table].columns), example_row(TABLES[table]), strict=True))
    key = TABLES[table].key[0]
    with open(project.data / "reference" / f"{table}.csv", encoding="utf-8", newline="") as file:
        record = next(r for r in csv.DictReader(file) if r[key] == example[key])
    assert example["wikidata"] == record["wikidata"]  # Metropolis has none: no one else's QID either
