"""The header of a source table: one finding per problem, naming the column and the fix."""

from __future__ import annotations

from citykg.header import TABLE_FORMAT, check_header, key_columns
from citykg.schema import TABLES

FACTORS = TABLES["factors"]
COLUMNS = [c.name for c in FACTORS.columns]


def found(header: list[str]) -> list[tuple[str | None, str]]:
    return [(f.column, f.message) for f in check_header(header, FACTORS, "factors.csv", 1)]


def test_a_header_of_the_tables_columns_has_no_finding() -> None:
    assert found(COLUMNS) == []
    assert found(list(reversed(COLUMNS))) == []  # columns are found by name, in any order


def test_names_right_but_for_their_case_are_one_finding_that_says_how_to_rename_them() -> None:
    assert found([" Study", "CODE", *COLUMNS[2:]]) == [
        (" Study,CODE", "Column names are lower case, without spaces: rename ' Study' to 'study', 'CODE' to 'code'.")]


def test_a_missing_column_names_the_unknown_one_that_seems_to_be_it() -> None:
    header = [c if c != "label_en" else "label_english" for c in COLUMNS]
    assert found(header) == [  # one slip, one finding
        ("label_en", "Required column 'label_en' is missing: An English translation. The header's 'label_english' "
                     "is no column of a factors table: if it is 'label_en', rename it.")]
    other = [*header, "label_englsh"]  # a second name like it is only unknown
    assert found(other)[0] == ("label_englsh", "Unknown column 'label_englsh' in a factors table. Did you mean "
                                               "'label_en'?")


def test_a_repeated_and_a_nameless_column_are_named() -> None:
    assert [column for column, _ in found([*COLUMNS, "code", ""])] == ["code", ""]
    assert found([*COLUMNS, ""])[0][1] == ("Column 9 of the header has no name (a comma too many?): remove it, or "
                                           "name the column.")


def test_a_header_separated_by_semicolons_is_one_finding() -> None:
    (finding,) = check_header([";".join(COLUMNS)], FACTORS, "factors.csv", 1)
    assert finding.shape == TABLE_FORMAT and finding.message.startswith("The header is separated by semicolons")


def test_the_key_columns_identify_a_record() -> None:
    assert key_columns(FACTORS) == {"study", "code"}
    assert key_columns(TABLES["cities"]) == {"id"}
