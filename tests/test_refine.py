"""Findings said more plainly with their rows at hand (citykg.refine): the column, the id meant, one cause."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from citykg.refine import refine
from citykg.report import Finding, Report, Severity
from citykg.tables import Row, read_tables

ID = "https://w3id.org/citykg/id/"
PARTNERS = "city_a,city_b,type,start,source\ntabriz,atlantis,sister-city,2019,Example\ntabriz,tabriz,twinned,2019,E\n"
FACTORS = "study,code,kind,label_fa,label_en,source_table,source_row\ns,s1,strength,قوت,A strength,Table 1,1\n"
CITES = "study,strategy,factor,source_table,source_row\ns,SO1,S1,Table 2,SO1\ns,SO1,S1x,Table 2,SO1\n"
PARTNER = "A partnership joins exactly two different cities."
CITED = "The cited factor is not in factors.csv of this study."


def _rows(tmp_path: Path, files: dict[str, str]) -> list[Row]:
    folder = tmp_path / "s"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return list(read_tables([folder], root=tmp_path).rows())


def _at(file: str, row: int, column: str, value: str, message: str, shape: str = "ckgsh:S") -> Finding:
    return Finding(Severity.VIOLATION, message, file=file, row=row, column=column, value=value, shape=shape)


def test_a_finding_about_two_columns_names_the_one_that_holds_its_value(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {"partnerships.csv": PARTNERS})
    found = refine([_at("s/partnerships.csv", 2, "city_a/city_b", "atlantis", PARTNER),
                    _at("s/partnerships.csv", 3, "city_a/city_b", "tabriz", PARTNER),  # in both: both
                    _at("s/partnerships.csv", 2, "city_a/city_b", "qom", PARTNER)], rows, set())  # in neither
    assert [f.column for f in found] == ["city_b", "city_a/city_b", "city_a/city_b"]


def test_a_reference_that_differs_from_an_id_only_in_case_says_which_it_meant(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {"partnerships.csv": PARTNERS.replace("atlantis", "Atlantis")})
    finding = _at("s/partnerships.csv", 2, "city_a/city_b", "Atlantis", PARTNER)
    [one] = refine([finding], rows, {ID + "city/atlantis"})
    assert (one.column, one.message) == ("city_b", PARTNER + " Ids and codes match only in the same case: did you "
                                                             "mean 'atlantis'?")
    [two] = refine([finding], rows, {ID + "city/atlantis", ID + "city/ATLANTIS"})
    assert two.message.endswith("did you mean 'ATLANTIS' or 'atlantis'?")
    # a city named exactly is not what the finding is about; another kind of record is no hint
    as_found = replace(finding, column="city_b")
    assert refine([finding], rows, {ID + "city/Atlantis", ID + "city/atlantis"}) == [as_found]
    assert refine([finding], rows, {ID + "country/atlantis"}) == [as_found]


def test_a_key_that_breaks_its_shape_accounts_for_the_citations_missing_it_by_case(tmp_path: Path) -> None:
    rows = _rows(tmp_path, {"factors.csv": FACTORS, "strategy_factors.csv": CITES})
    code = _at("s/factors.csv", 2, "code", "s1", "A strength's code is S and its number.", "ckgsh:StrengthShape")
    found = refine([code, _at("s/strategy_factors.csv", 2, "factor", "S1", CITED),
                    _at("s/strategy_factors.csv", 3, "factor", "S1x", CITED)], rows, {ID + "study/s/factor/s1"})
    assert [f.to_text() for f in Report.of(found).findings] == [
        "s/factors.csv:2: code: violation: A strength's code is S and its number. The row that cites it as 'S1' "
        "(strategy_factors.csv line 2) is checked once the code is fixed. (value: s1) [ckgsh:StrengthShape]",
        "s/strategy_factors.csv:3: factor: violation: The cited factor is not in factors.csv of this study. "
        "(value: S1x) [ckgsh:S]"]
