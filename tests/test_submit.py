"""citykg submit: validate in context, merge atomically, one graph per submission, withdraw."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import NamedNode, Store
from submitting import (
    NEW_STUDY,
    QOM_TTL,
    SHIRAZ_TABLES,
    SHIRAZ_TTL,
    built_copy,
    city_tables,
    rdf_study,
    readme_rdf_example,
    snapshot,
    store_quads,
    write,
    zip_bytes,
)

from citykg.build import build
from citykg.cli import cli
from citykg.errors import DataError, InputError, SubmissionError
from citykg.formats import Format, render
from citykg.iris import submission_graph
from citykg.project import Project
from citykg.queries import load_catalogue, run, run_sparql
from citykg.report import Severity
from citykg.submissions import Status, load_submissions
from citykg.submit import Outcome, list_submissions, submit, validate_input, withdraw
from citykg.validate import validate

PROV = "http://www.w3.org/ns/prov#"


@pytest.fixture()
def built(tmp_path: Path) -> Project:
    """A built copy of the project with the reference tables and one study (a smaller, faster
    context than the whole project; test_bad_input checks against the whole project)."""
    return built_copy(tmp_path / "project", folders=("reference", "tabriz-2024"))


def new_study(tmp_path: Path, name: str = "new-2025") -> Path:
    return write(tmp_path / "in" / name, dict(NEW_STUDY))


def test_who_may_be_a_persian_name_but_not_empty(built: Project, tmp_path: Path) -> None:
    folder = new_study(tmp_path)
    before = snapshot(built.root)
    for who in ("", "   "):
        with pytest.raises(InputError, match="Say who submits the data"):
            submit(folder, project=built, who=who)
    result = CliRunner().invoke(cli, ["--project", str(built.root), "--dist", str(built.dist), "submit", str(folder),
                                      "--who", ""])
    assert result.exit_code == 2 and "Say who submits the data" in result.stderr
    assert snapshot(built.root) == before
    name = "علی\u200cرضا رضایی"  # with the zero-width non-joiner of Persian spelling
    accepted = submit(folder, project=built, who=name)
    meta = json.loads((built.root / "submissions" / accepted.id / "submission.json").read_text(encoding="utf-8"))
    assert accepted.outcome is Outcome.ACCEPTED and meta["who"] == name


def test_a_new_study_is_merged_as_its_own_graph_with_prov(built: Project, tmp_path: Path) -> None:
    folder = new_study(tmp_path)
    before = store_quads(built)
    result = submit(folder, project=built, who="Ana Example <ana@example.org>")
    assert result.outcome is Outcome.ACCEPTED and result.report.conforms
    home = built.root / "submissions" / result.id
    for name, text in NEW_STUDY.items():  # the input exactly as received
        assert (home / name).read_bytes() == text.encode("utf-8")
    meta = json.loads((home / "submission.json").read_text(encoding="utf-8"))
    assert meta["id"] == result.id == meta["sha256"][:16]
    assert meta["who"] == "Ana Example <ana@example.org>" and meta["status"] == "accepted"
    assert meta["files"] == sorted(NEW_STUDY) and meta["citykg_version"] == "0.1.0"
    graph = submission_graph(result.id)
    store = Store.read_only(str(built.store.resolve()))
    answer = run_sparql(store, f"""
        PREFIX prov: <{PROV}> PREFIX ckg: <https://w3id.org/citykg/ontology#>
        SELECT ?who ?when ?sum ?version WHERE {{ GRAPH <{graph}> {{
            <{graph}> prov:wasAttributedTo/<http://www.w3.org/2000/01/rdf-schema#label> ?who ;
                      prov:generatedAtTime ?when ; ckg:sha256 ?sum ; ckg:citykgVersion ?version }} }}""")
    assert [[t.value for t in row if t is not None] for row in answer.rows] == [
        ["Ana Example <ana@example.org>", meta["when"], meta["sha256"], "0.1.0"]]
    added = store_quads(built) - before
    assert added and all(line.endswith(f"<{graph}> .") for line in added)
    # Provenance goes down to the submitted file and line.
    assert any(f'"submissions/{result.id}/factors.csv"' in line for line in added)


def test_the_same_input_twice_is_one_submission(built: Project, tmp_path: Path) -> None:
    folder = new_study(tmp_path)
    first = submit(folder, project=built, who="Ana")
    tree = snapshot(built.root)
    again = submit(folder, project=built, who="Bob")
    assert again.outcome is Outcome.EXISTING and again.id == first.id
    assert snapshot(built.root) == tree
    # The same tables as a zip (wrapped in a folder, as zip tools do) are the same submission.
    archive = tmp_path / "new.zip"
    archive.write_bytes(zip_bytes({f"export/{name}": text for name, text in NEW_STUDY.items()}))
    assert submit(archive, project=built, who="Cy").id == first.id
    assert snapshot(built.root) == tree


def test_a_corrected_copy_of_a_submission_is_told_to_replace_it(built: Project, tmp_path: Path) -> None:
    first = submit(new_study(tmp_path), project=built, who="Ana")
    files = dict(NEW_STUDY)
    files["factors.csv"] = files["factors.csv"].replace("strength,", "strength, ", 1)  # a corrected label, say
    corrected = submit(write(tmp_path / "corrected", files), project=built, who="Ana")
    assert corrected.outcome is Outcome.REJECTED
    duplicates = [f for f in corrected.report.findings if f.shape == "citykg:table-format/duplicate"]
    [note] = [f for f in corrected.report.findings if f.shape == "citykg:input/copy"]
    assert len(duplicates) == 8 and note.severity is Severity.INFO
    assert note.message == (f"8 rows repeat records of submission {first.id}: if this input is a "
                            f"corrected copy of it, withdraw that submission first (citykg submissions withdraw "
                            f"{first.id}), then submit this one.")


def test_a_rejected_submission_writes_nothing(built: Project, tmp_path: Path) -> None:
    files = dict(NEW_STUDY)
    files["strategy_factors.csv"] += "new-2025,SO1,W9,Table 2,SO1\n"
    folder = write(tmp_path / "bad", files)
    tree = snapshot(built.root)
    result = submit(folder, project=built, who="Ana")
    assert result.outcome is Outcome.REJECTED and not result.accepted
    assert any("W9" in (f.value or "") or "factor" in f.message for f in result.report.findings)
    assert all(f.file and f.file.startswith(str(folder)) for f in result.report.findings)
    assert snapshot(built.root) == tree
    assert not (built.root / "submissions").exists()


def test_a_zip_is_reported_with_its_own_names(built: Project, tmp_path: Path) -> None:
    files = dict(NEW_STUDY)
    files["factors.csv"] = files["factors.csv"].replace("strength,", "strong,")
    archive = tmp_path / "study.zip"
    archive.write_bytes(zip_bytes({f"new-2025/{name}": text for name, text in files.items()}))
    report = validate(archive, project=built)
    assert [f.to_text() for f in report.findings if f.column == "kind"] == [
        f"{archive}/new-2025/factors.csv:2: kind: violation: 'strong' is not an allowed kind. "
        "Did you mean 'strength'? Allowed: strength, weakness, opportunity, threat. "
        "[citykg:table-format]"]


def test_files_that_are_not_tables_are_left_out_with_a_warning_but_a_readme_quietly(built: Project,
                                                                                   tmp_path: Path) -> None:
    archive = tmp_path / "filled-template.zip"
    archive.write_bytes(zip_bytes({**{f"new-2025/{name}": text for name, text in NEW_STUDY.items()},
                                   "new-2025/README.md": "# notes\n", "new-2025/notes.txt": "x\n"}))
    report = validate_input(archive, project=built)
    assert [(f.file, f.severity.value) for f in report.findings if f.shape == "citykg:submission"] == [
        (f"{archive}/new-2025/notes.txt", "warning")]
    assert report.conforms


def test_validation_in_context_includes_accepted_submissions(built: Project, tmp_path: Path) -> None:
    result = submit(new_study(tmp_path), project=built, who="Ana")
    # A second input that adds to the accepted study: its references resolve ...
    extra = write(tmp_path / "more" / "new-2025", {
        "factors.csv": "study,code,kind,label_fa,label_en,source_table,source_row\n"
                       "new-2025,T1,threat,تهدید,A threat,Table 1,3\n",
        "strategy_factors.csv": "study,strategy,factor,source_table,source_row\n"
                                "new-2025,SO1,T1,Table 2,SO1\n"})
    report = validate(extra.parent, project=built)
    messages = [f.message for f in report.findings]
    assert not any("not in strategies.csv" in m for m in messages), messages
    # ... and the TOWS rule sees the accepted strategy: an SO strategy may not avoid a threat.
    assert any(m.startswith("SO1 is an SO strategy but builds on threat T1") for m in messages), messages
    # A record the submission already defines is a duplicate.
    dup = write(tmp_path / "dup", {"factors.csv": NEW_STUDY["factors.csv"]})
    texts = [f.message for f in validate(dup, project=built).findings]
    assert f"Duplicate factor 'S1': it is already defined on submissions/{result.id}/factors.csv:2. Keep one of the two rows, " \
        "or give this one another code." in texts


def test_memberships_need_no_study_but_then_a_source(built: Project, tmp_path: Path) -> None:
    tables = {"organisations.csv": "id,kind,label_en,label_fa,acronym,city,parent,wikidata,source\n"
                                   "tabriz-municipality,city-government,Municipality of Tabriz,شهرداری تبریز,,"
                                   "tabriz,,,https://www.tabriz.ir/\n",
              "memberships.csv": "study,member,organisation,role,source,note\n"
                                 ",tabriz-municipality,uclg,member,https://www.uclg.org/members,\n"
                                 ",tabriz-municipality,oicc,board-member,,\n"}
    report = validate_input(write(tmp_path / "bad", tables), project=built)
    assert [(f.file.rsplit("/", 1)[-1], f.row, f.message) for f in report.findings] == [
        ("memberships.csv", 3, "Every row says where its fact comes from: study, source_table and source_row, "
                               "or a source citation.")]
    tables["memberships.csv"] = tables["memberships.csv"].replace(",,\n", ",OICC list of member cities (2024),\n")
    result = submit(write(tmp_path / "good", tables), project=built, who="Ana")
    assert result.outcome is Outcome.ACCEPTED, result.report.to_text()
    store = Store.read_only(str(built.store.resolve()))
    answer = run(store, load_catalogue(built.queries)["network-memberships"], {"city": "Tabriz"})
    assert [(r[0].value, r[2].value) for r in answer.rows] == [("UCLG", "member"), ("OICC", "board member")]


def test_withdraw_removes_exactly_that_submissions_triples(built: Project, tmp_path: Path) -> None:
    before = store_quads(built)
    one = submit(write(tmp_path / "one", city_tables("isfahan")), project=built, who="Ana")
    with_one = store_quads(built)
    two = submit(write(tmp_path / "two", city_tables("shiraz", qid="Q6397")), project=built, who="Bob")
    with_both = store_quads(built)
    graph_one = {q for q in with_both if q.endswith(f"<{submission_graph(one.id)}> .")}
    result = withdraw(one.id[:6], project=built, who="Cy")
    assert result.submission.status is Status.WITHDRAWN
    assert store_quads(built) == with_both - graph_one
    assert with_one - before == graph_one
    # Its files stay, marked withdrawn; the other submission is untouched.
    meta = json.loads((built.root / "submissions" / one.id / "submission.json").read_text(encoding="utf-8"))
    assert meta["status"] == "withdrawn" and [e["action"] for e in meta["history"]] == ["submitted", "withdrawn"]
    assert [s.id for s in load_submissions(built, status=Status.ACCEPTED)] == [two.id]
    with pytest.raises(SubmissionError, match=re.escape(
            f"already withdrawn. To bring it back, submit the same input again (its files are kept in "
            f"{built.root / 'submissions' / one.id})")):
        withdraw(one.id, project=built, who="Cy")
    # Submitting the same input again reinstates it, with the same graph as before.
    again = submit(write(tmp_path / "one-again", city_tables("isfahan")), project=built, who="Di")
    assert again.outcome is Outcome.REINSTATED and again.id == one.id
    assert store_quads(built) == with_both


def test_withdraw_is_refused_when_another_submission_relies_on_it(built: Project, tmp_path: Path) -> None:
    city = submit(write(tmp_path / "city", {"cities.csv": city_tables("yazd")["cities.csv"]}),
                  project=built, who="Ana")
    partner = write(tmp_path / "partner", {"partnerships.csv": city_tables("yazd")["partnerships.csv"]})
    relying = submit(partner, project=built, who="Bob")
    assert relying.outcome is Outcome.ACCEPTED
    tree = snapshot(built.root)
    with pytest.raises(DataError) as caught:
        withdraw(city.id, project=built, who="Cy")
    assert str(caught.value) == (f"Withdrawing {city.id} would leave the graph invalid (submission {relying.id} "
                                 "relies on it; withdraw that first); it stays accepted.")
    # the relying rows, not the project's cities they twin (Tabriz's ckg:twinnedWith follows from that row)
    assert [(f.file, f.row, f.column) for f in caught.value.report.findings] == [
        (f"submissions/{relying.id}/partnerships.csv", 2, "city_b")]
    assert snapshot(built.root) == tree


def test_a_withdrawal_names_the_rdf_submission_that_relies_on_it(built: Project, tmp_path: Path) -> None:
    country = submit(write(tmp_path / "fr", {"countries.csv": "iso2,iso3,label_en,wikidata,source\n"
                                                              "FR,FRA,France,Q142,Example\n"}),
                     project=built, who="Ana")
    paris = tmp_path / "paris.ttl"  # its record cites a row of its own ("paris.ttl", line 1)
    paris.write_text(QOM_TTL.replace("qom", "paris").replace("Qom", "Paris").replace("Q131664", "Q90")
                     .replace("country/IR", "country/FR"), encoding="utf-8")
    relying = submit(paris, project=built, who="Bob")
    assert relying.outcome is Outcome.ACCEPTED, relying.report.to_text()
    with pytest.raises(DataError) as caught:
        withdraw(country.id, project=built, who="Cy")
    assert f"(submission {relying.id} relies on it; withdraw that first)" in str(caught.value)
    (finding,) = caught.value.report.findings  # in the submission's file, at the line describing Paris
    assert (finding.file, finding.row, finding.path) == (f"submissions/{relying.id}/input.ttl", 6, "ckg:country")


def test_unknown_ids_and_ambiguous_prefixes(built: Project) -> None:
    with pytest.raises(SubmissionError, match="No submission 'feedface'"):
        withdraw("feedface", project=built, who="Ana")


def test_an_rdf_submission_builds_the_same_every_time(built: Project, tmp_path: Path) -> None:
    turtle = tmp_path / "qom.ttl"
    turtle.write_text(QOM_TTL, encoding="utf-8")
    result = submit(turtle, project=built, who="Ana")
    assert result.outcome is Outcome.ACCEPTED, result.report.to_text()
    assert (built.root / "submissions" / result.id / "input.ttl").read_bytes() == turtle.read_bytes()
    first = (built.dist / "current" / "citykg.nq").read_bytes()
    assert f"_:s{result.id}n0".encode() in first  # blank nodes named after the submission
    rebuilt = build(built)
    assert rebuilt.unchanged and (built.dist / "current" / "citykg.nq").read_bytes() == first


def _answers(project: Project, name: str, params: dict[str, str]) -> list[tuple[str, ...]]:
    """The rows of a named query over the current build, as the values of their cells."""
    answer = run(Store.read_only(str(project.store.resolve())), load_catalogue(project.queries)[name], params)
    return [tuple(cell.value if cell is not None else "" for cell in row) for row in answer.rows]  # type: ignore[union-attr]


def test_an_rdf_strategy_builds_on_the_factors_its_typed_relations_name(built: Project, tmp_path: Path) -> None:
    # ckg:usesStrength and ckg:exploitsOpportunity only: ckg:buildsOn, their super-property, follows
    turtle = tmp_path / "shiraz.ttl"
    turtle.write_text(SHIRAZ_TTL, encoding="utf-8")
    assert "buildsOn" not in SHIRAZ_TTL
    result = submit(turtle, project=built, who="Ana")
    assert result.outcome is Outcome.ACCEPTED and result.report.findings == (), result.report.to_text()
    city = {"city": "Shiraz"}
    assert _answers(built, "strategies-for-factor", {"factor": "S1", **city}) == [("SO1", "A strategy", "SO")]
    assert _answers(built, "factors-for-strategy", {"strategy": "SO1", **city}) == [
        ("S1", "strength", "A strength"), ("O1", "opportunity", "An opportunity")]
    assert _answers(built, "unaddressed-factors", city) == []
    assert _answers(built, "factor-coverage", city) == [
        ("S1", "strength", "A strength", "1", "SO1"), ("O1", "opportunity", "An opportunity", "1", "SO1")]
    assert _answers(built, "tows-matrix", city) == [("SO1", "SO", "1", "0", "1", "0")]


def test_the_same_facts_as_tables_or_as_rdf_give_the_same_records(built: Project, tmp_path: Path) -> None:
    # the records' own triples but their provenance (the tables add factor citations beside them)
    records = [f"https://w3id.org/citykg/id/{path}" for path in (
        "city/shiraz", "study/shiraz-2025/factor/S1", "study/shiraz-2025/strategy/SO1", "study/shiraz-2025/action/A01",
        "study/shiraz-2025/statement/SO1/1")]

    def described() -> set[tuple[str, str, str]]:
        store = Store.read_only(str(built.store.resolve()))
        return {(q.subject.value, q.predicate.value, q.object.value) for iri in records  # type: ignore[union-attr]
                for q in store.quads_for_pattern(NamedNode(iri), None, None)
                if q.predicate.value != PROV + "wasDerivedFrom"}

    tables = submit(write(tmp_path / "shiraz-2025", dict(SHIRAZ_TABLES)), project=built, who="Ana")
    assert tables.outcome is Outcome.ACCEPTED, tables.report.to_text()
    from_tables = described()
    withdraw(tables.id, project=built, who="Ana")
    turtle = tmp_path / "shiraz.ttl"
    turtle.write_text(SHIRAZ_TTL, encoding="utf-8")
    assert submit(turtle, project=built, who="Ana").outcome is Outcome.ACCEPTED
    from_rdf = described()
    assert from_rdf == from_tables
    assert (records[2], "https://w3id.org/citykg/ontology#buildsOn", records[1]) in from_rdf
    assert (records[0], "https://schema.org/containedInPlace", "https://w3id.org/citykg/id/country/IR") in from_rdf


@pytest.mark.parametrize(("kind", "shortcut"), [
    ("friendshipCity", "<https://w3id.org/citykg/id/city/qom> ckg:twinnedWith <https://w3id.org/citykg/id/city/tabriz> .\n"),
    ("sisterCity", ""),
], ids=["one-direction", "none"])
def test_an_rdf_twinning_twins_both_cities_with_its_shortcut_in_one_direction_or_none(
        built: Project, tmp_path: Path, kind: str, shortcut: str) -> None:
    # ckg:twinnedWith is symmetric, and follows from a twinning partnership, as it does from a row of partnerships.csv
    turtle = tmp_path / "qom.ttl"
    turtle.write_text(QOM_TTL + f"<https://w3id.org/citykg/id/partnership/qom/tabriz/{kind}> a ckg:Partnership ;\n"
                      "    ckg:partner <https://w3id.org/citykg/id/city/qom>, <https://w3id.org/citykg/id/city/tabriz> ;\n"
                      f"    ckg:partnershipType ckg:{kind} ; prov:wasDerivedFrom _:row .\n{shortcut}", encoding="utf-8")
    result = submit(turtle, project=built, who="Ana")
    assert result.outcome is Outcome.ACCEPTED and result.report.findings == (), result.report.to_text()
    source = f"submissions/{result.id}"
    assert _answers(built, "sister-cities", {"city": "Tabriz"}) == [("qom", "Q131664", "Qom", "IR", source, "")]
    assert _answers(built, "sister-cities", {"city": "Qom"}) == [("tabriz", "Q80053", "Tabriz", "IR", source, "")]


def test_a_trig_submissions_graph_names_are_not_kept_and_a_warning_says_so(built: Project, tmp_path: Path) -> None:
    prefixes, body = QOM_TTL.split("<https://w3id.org/citykg/id/city/qom>", 1)
    trig = tmp_path / "qom.trig"
    trig.write_text(f"{prefixes}<https://e.org/mine> {{ <https://w3id.org/citykg/id/city/qom>{body} }}\n",
                    encoding="utf-8")
    expected = [("warning", "The input names 1 graph (<https://e.org/mine>); citykg keeps a submission's triples "
                 "in one graph of its own, so these names are not kept. Send the triples without graph names "
                 "(Turtle) to silence this.")]
    assert [(f.severity.value, f.message) for f in validate(trig, project=built).findings] == expected
    result = submit(trig, project=built, who="Ana")
    assert result.outcome is Outcome.ACCEPTED
    assert [(f.severity.value, f.message) for f in result.report.findings] == expected
    graphs = {q.graph_name for q in Store.read_only(str(built.store.resolve())).quads_for_pattern(
        NamedNode("https://w3id.org/citykg/id/city/qom"), None, None)}
    assert graphs == {NamedNode(submission_graph(result.id))}


def test_an_rdf_literal_with_a_control_character_is_refused(built: Project, tmp_path: Path) -> None:
    turtle = tmp_path / "qom.ttl"
    turtle.write_text(QOM_TTL.replace('"Qom"@en', '"Q\\u0001om"@en'), encoding="utf-8")
    tree = snapshot(built.root)
    result = submit(turtle, project=built, who="Ana")
    assert result.outcome is Outcome.REJECTED
    assert [(f.message, f.value, f.row) for f in result.report.findings] == [(
        "The value of rdfs:label holds the control character U+0001, which no text needs and XML cannot carry. "
        "Remove it (an editor's 'show invisibles' finds it).", "'Q\\x01om'", 5)]
    assert snapshot(built.root) == tree


def test_an_rdf_submission_may_not_describe_citykgs_graphs(built: Project, tmp_path: Path) -> None:
    turtle = tmp_path / "forge.ttl"
    turtle.write_text("<https://w3id.org/citykg/graph/reference> "
                      "<http://www.w3.org/ns/prov#wasAttributedTo> <https://example.org/me> .\n",
                      encoding="utf-8")
    tree = snapshot(built.root)
    result = submit(turtle, project=built, who="Eve")
    assert result.outcome is Outcome.REJECTED
    assert [f.message for f in result.report.findings] == [
        "An RDF submission may not describe citykg's graphs, source files or ontology terms; "
        "describe records only."]
    assert snapshot(built.root) == tree


def test_a_changed_submission_stops_the_build(built: Project, tmp_path: Path) -> None:
    result = submit(new_study(tmp_path), project=built, who="Ana")
    path = built.root / "submissions" / result.id / "factors.csv"
    path.write_text(path.read_text(encoding="utf-8") + "new-2025,S2,strength,قوت,Another,Table 1,3\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        build(built)
    assert any(f"Submission {result.id} changed after it was accepted" in f.message
               for f in caught.value.report.findings)


def test_a_rebuild_keeps_accepted_submissions(built: Project, tmp_path: Path) -> None:
    result = submit(new_study(tmp_path), project=built, who="Ana")
    merged = (built.dist / "current" / "citykg.nq").read_bytes()
    again = build(built)
    assert again.unchanged and again.build_id == result.build_id
    assert (built.dist / "current" / "citykg.nq").read_bytes() == merged


def test_formulas_in_submitted_data_are_neutralised_when_citykg_writes_csv(built: Project,
                                                                           tmp_path: Path) -> None:
    tables = city_tables("bam")
    tables["cities.csv"] = tables["cities.csv"].replace("Bam,", '"=HYPERLINK(""http://x"")",')
    result = submit(write(tmp_path / "formula", tables), project=built, who="Ana")
    assert result.outcome is Outcome.ACCEPTED, result.report.to_text()
    store = Store.read_only(str(built.store.resolve()))
    answer = run_sparql(store, "SELECT ?l WHERE { <https://w3id.org/citykg/id/city/bam> "
                               "<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(lang(?l) = 'en') }")
    assert render(answer, Format.CSV) == 'l\r\n"\'=HYPERLINK(""http://x"")"\r\n'


def test_validate_input_of_an_accepted_zip_says_so(built: Project, tmp_path: Path) -> None:
    result = submit(new_study(tmp_path), project=built, who="Ana")
    archive = tmp_path / "same.zip"
    archive.write_bytes(zip_bytes(dict(NEW_STUDY)))
    report = validate_input(archive, project=built)
    assert [f.message for f in report.findings] == [
        f"This input is already accepted as submission {result.id}; submitting it again changes nothing."]


def test_an_accepted_input_with_a_table_that_is_not_read_beside_it_is_no_repeat(built: Project,
                                                                                tmp_path: Path) -> None:
    first = submit(new_study(tmp_path), project=built, who="Ana")
    again = new_study(tmp_path, "again")  # the same tables, and one that citykg would not read
    (again / "Themes.CSV").write_text("study,id\n", encoding="utf-8")
    texts = [f.to_text() for f in validate_input(again, project=built).findings]
    assert f"{again}/Themes.CSV: violation: Themes.CSV is not read: citykg reads tables named in lower case with " \
        "the extension .csv. Rename it to themes.csv. [citykg:submission]" in texts
    result = submit(again, project=built, who="Ana")
    assert result.outcome is Outcome.REJECTED and result.id == first.id
    assert [s.id for s in load_submissions(built)] == [first.id]


def test_who_is_required(built: Project, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Say who submits the data"):
        submit(new_study(tmp_path), project=built, who="  ")


# ------------------------------------------------------------------ the command line


def test_cli_submit_list_show_withdraw(built: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--project", str(built.root), "-q"]
    folder = new_study(tmp_path)
    out = runner.invoke(cli, [*base, "submit", str(folder), "--who", "Ana", "--format", "json"])
    assert out.exit_code == 0, out.output
    sid = json.loads(out.output)["id"]
    assert (json.loads(out.output)["ok"], json.loads(out.output)["outcome"]) == (True, "accepted")
    bad = write(tmp_path / "bad", {"cities.csv": city_tables("kerman", qid="kerman")["cities.csv"]})
    rejected = runner.invoke(cli, [*base, "submit", str(bad), "--who", "Ana", "-f", "json"])
    assert rejected.exit_code == 1
    answer = json.loads(rejected.stdout)
    assert (answer["ok"], answer["outcome"], answer["exit"]) == (False, "rejected", 1)
    assert answer["error"] == "Rejected: nothing was written. Fix the violations and submit again."
    assert json.loads(out.output).keys() == {"ok", "outcome", "id", "graph", "report"}  # accepted: no error
    listed = runner.invoke(cli, [*base, "submissions", "list"])
    assert listed.exit_code == 0 and sid in listed.output and "accepted" in listed.output
    shown = runner.invoke(cli, [*base, "submissions", "show", sid[:8], "--format", "json"])
    assert json.loads(shown.output)["files"] == sorted(NEW_STUDY)
    assert json.loads(shown.output)["graph"] == submission_graph(sid)
    gone = runner.invoke(cli, [*base, "submissions", "withdraw", sid, "--who", "Bob"])
    assert gone.exit_code == 0 and f"Withdrew submission {sid}" in gone.output
    missing = runner.invoke(cli, [*base, "submissions", "show", "0000ffff"])
    assert missing.exit_code == 2 and "No submission '0000ffff'" in missing.output


def test_cli_withdraw_answers_json_and_a_refusal_carries_its_report(built: Project, tmp_path: Path) -> None:
    city = submit(write(tmp_path / "city", {"cities.csv": city_tables("yazd")["cities.csv"]}),
                  project=built, who="Ana")
    partner = write(tmp_path / "partner", {"partnerships.csv": city_tables("yazd")["partnerships.csv"]})
    relying = submit(partner, project=built, who="Bob")
    base = ["--project", str(built.root), "-q", "submissions", "withdraw", "--who", "Cy", "--format", "json"]
    refused = CliRunner().invoke(cli, [*base, city.id])
    answer = json.loads(refused.stdout)
    assert (refused.exit_code, answer["ok"], answer["exit"]) == (1, False, 1)
    assert f"submission {relying.id} relies on it" in answer["error"]
    assert answer["report"]["conforms"] is False and answer["report"]["findings"]
    gone = CliRunner().invoke(cli, [*base, relying.id])
    answer = json.loads(gone.stdout)
    assert gone.exit_code == 0 and answer["ok"] is True
    assert (answer["submission"]["id"], answer["submission"]["status"]) == (relying.id, "withdrawn")
    assert answer["submission"]["graph"] == submission_graph(relying.id) and answer["build"]


def test_cli_exit_codes(built: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--project", str(built.root), "-q"]
    bad = write(tmp_path / "bad", {"factors.csv": "study,code,kind,label_fa,label_en,source_table,source_row\n"
                                                  "nope,S1,strength,قوت,A strength,Table 1,1\n"})
    rejected = runner.invoke(cli, [*base, "submit", str(bad), "--who", "Ana"])
    assert rejected.exit_code == 1 and "Rejected: nothing was written." in rejected.output
    unreadable = tmp_path / "broken.zip"
    unreadable.write_bytes(b"PK\x03\x04 not really")
    result = runner.invoke(cli, [*base, "submit", str(unreadable), "--who", "Ana"])
    assert result.exit_code == 2 and "is not a readable zip archive" in result.output


def test_validate_and_submit_take_a_folder_alike(built: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--project", str(built.root), "-q"]
    folder = new_study(tmp_path)
    sid = submit(folder, project=built, who="Ana").id
    checked = runner.invoke(cli, [*base, "validate", str(folder)])  # no duplicates of itself
    assert checked.exit_code == 0, checked.output
    assert f"already accepted as submission {sid}" in checked.stdout
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(folder)
    for path in (tmp_path / "empty", tmp_path / "link"):
        answers = [runner.invoke(cli, [*base, *command, str(path), *who])
                   for command, who in ((["validate"], []), (["submit"], ["--who", "Bo"]))]
        assert [(a.exit_code, a.stderr) for a in answers] == [(2, answers[0].stderr)] * 2
        assert str(path) in answers[0].stderr


def test_a_stray_folder_in_submissions_is_ignored_with_a_note(built: Project, tmp_path: Path) -> None:
    sid = submit(new_study(tmp_path), project=built, who="Ana").id
    (built.root / "submissions" / "junk").mkdir()
    runner = CliRunner()
    listed = runner.invoke(cli, ["--project", str(built.root), "-q", "submissions", "list"])
    assert listed.exit_code == 0 and sid in listed.stdout and "(1 submission)" in listed.stdout
    assert listed.stderr.count("ignoring submissions/junk: not a submission") == 1
    assert build(built).unchanged and (built.root / "submissions" / "junk").is_dir()
    # A renamed submission is not ignored (its graph would vanish): the message says how to fix it.
    (built.root / "submissions" / sid).rename(built.root / "submissions" / "study")
    with pytest.raises(InputError, match=r"submissions/study holds a submission\.json but its name is "
                                         r"not a submission id .* Rename it back"):
        list_submissions(built)


def test_ids_in_upper_case_and_too_short_prefixes(built: Project, tmp_path: Path) -> None:
    sid = submit(new_study(tmp_path), project=built, who="Ana").id
    runner = CliRunner()
    base = ["--project", str(built.root), "-q", "submissions", "show"]
    shown = runner.invoke(cli, [*base, sid[:4].upper()])
    assert shown.exit_code == 0 and f"submission  {sid}" in shown.stdout
    short = runner.invoke(cli, [*base, sid[:1]])
    assert short.exit_code == 2
    assert f"No submission '{sid[:1]}': give at least 4 digits of the id (or all 16)." in short.stderr


# ------------------------------------------------------------------ crashes mid-merge

STEPS = ["staged", "built", "journaled", "renamed", "switched"]


@pytest.mark.parametrize("step", STEPS)
def test_a_merge_killed_at_any_step_leaves_all_or_nothing(built: Project, tmp_path: Path, step: str) -> None:
    folder = new_study(tmp_path)
    before = store_quads(built)
    env = {**os.environ, "CITYKG_PAUSE_AT": step, "CITYKG_PROJECT": str(built.root)}
    env.pop("CITYKG_DIST", None)
    with subprocess.Popen([sys.executable, "-m", "citykg", "-q", "submit", str(folder), "--who", "Ana"],
                          env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as proc:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        line = proc.stderr.readline()
        assert line.strip() == f"citykg: paused after {step}" and time.monotonic() < deadline
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    after = store_quads(built)
    accepted = [p.name for p in (built.root / "submissions").iterdir() if not p.name.startswith(".")]
    # The store is as before, or has the whole submission; never a part of it.
    added = after - before
    assert not added or (len(accepted) == 1 and all(q.endswith(f"<{submission_graph(accepted[0])}> .")
                                                     for q in added) and len(added) > 50)
    assert after == before or step == "switched"
    assert accepted == ([] if step in ("staged", "built", "journaled") else [accepted[0]])
    # The next command recovers: staging removed, the note cleared, store and submissions agree.
    subs = list_submissions(built)
    assert [s.id for s in subs] == accepted
    assert not list((built.root / "submissions").glob(".*"))
    assert not (built.dist / ".merge.json").exists()
    assert not list((built.dist / "builds").glob(".build-*"))
    graphs = {g.value for g in Store.read_only(str(built.store.resolve())).named_graphs()
              if isinstance(g, NamedNode)}
    assert {g for g in graphs if "/graph/submission/" in g} == {submission_graph(a) for a in accepted}
    # And submitting again completes the submission (or finds it done).
    again = submit(folder, project=built, who="Ana")
    assert again.outcome in (Outcome.ACCEPTED, Outcome.EXISTING)
    assert (again.outcome is Outcome.EXISTING) == bool(accepted)


# ------------------------------------------------------------------ records the graph already has, whatever made them


def test_a_table_may_not_repeat_a_record_an_rdf_submission_added(built: Project, tmp_path: Path) -> None:
    turtle = tmp_path / "qom.ttl"
    turtle.write_text(readme_rdf_example(), encoding="utf-8")
    rdf = submit(turtle, project=built, who="Ana")
    assert rdf.outcome is Outcome.ACCEPTED, rdf.report.to_text()
    folder = write(tmp_path / "cities", {"cities.csv": 'id,label_en,label_fa,country,wikidata,source\n'
                                                      'qom,Qom,قم,IR,Q131664,"A (2024)"\n'})
    expected = [f"{folder}/cities.csv:2: id: violation: Duplicate city 'qom': the graph already has this record, "
                f"from submission {rdf.id}. Leave the row out, or give the new record a key of its own. "
                "[citykg:input/existing-record]"]
    assert [f.to_text() for f in validate(folder, project=built).findings] == expected
    tree = snapshot(built.root)
    result = submit(folder, project=built, who="Bob")
    assert result.outcome is Outcome.REJECTED and [f.to_text() for f in result.report.findings] == expected
    assert snapshot(built.root) == tree
    # The same record again as RDF is refused too, naming where the graph has it.
    again = tmp_path / "qom-again.ttl"
    again.write_text(QOM_TTL.replace("Example (2024)", "Another (2025)"), encoding="utf-8")
    refused = submit(again, project=built, who="Cy")
    assert refused.outcome is Outcome.REJECTED
    assert [(f.shape, f.value) for f in refused.report.findings] == [
        ("citykg:input/existing-record", "https://w3id.org/citykg/id/city/qom")]
    assert f"from submission {rdf.id}" in refused.report.findings[0].message


def test_validate_and_submit_refuse_a_forged_graph_description_alike(built: Project, tmp_path: Path) -> None:
    sid = submit(new_study(tmp_path), project=built, who="Ana").id
    spoof = tmp_path / "spoof.nt"
    spoof.write_text(f"<https://w3id.org/citykg/graph/submission/{sid}> <http://www.w3.org/ns/prov#wasAttributedTo> "
                     "<https://w3id.org/citykg/id/agent/Mallory> .\n", encoding="utf-8")
    runner = CliRunner()
    base = ["--project", str(built.root), "-q"]
    tree = snapshot(built.root)
    checked = runner.invoke(cli, [*base, "validate", str(spoof)])
    submitted = runner.invoke(cli, [*base, "submit", str(spoof), "--who", "Mallory"])
    assert (checked.exit_code, submitted.exit_code) == (1, 1)
    finding = (f"{spoof}:1: violation: An RDF submission may not describe citykg's graphs, source files or ontology "
               f"terms; describe records only. (value: https://w3id.org/citykg/graph/submission/{sid}) "
               "[citykg:input/reserved-subject]")
    assert checked.stdout.splitlines()[:-1] == submitted.stdout.splitlines()[:-2] == [finding]
    assert snapshot(built.root) == tree


@pytest.mark.parametrize(("triples", "shape"), [
    ('<http://evil.example/x> <http://evil.example/p> "junk" .', "citykg:input/foreign-subject"),
    ("<http://evil.example/x> <https://w3id.org/citykg/ontology#twinnedWith> "
     "<https://w3id.org/citykg/id/city/tabriz> .",
     "citykg:input/foreign-subject"),
], ids=["junk", "foreign-twinning"])
def test_an_rdf_submission_of_foreign_triples_is_rejected(built: Project, tmp_path: Path, triples: str,
                                                          shape: str) -> None:
    path = tmp_path / "foreign.nt"
    path.write_text(triples + "\n", encoding="utf-8")
    tree = snapshot(built.root)
    result = submit(path, project=built, who="Eve")
    assert result.outcome is Outcome.REJECTED
    assert shape in {f.shape for f in result.report.findings}
    assert snapshot(built.root) == tree


def test_a_build_checks_an_accepted_rdf_submission_as_validate_did(built: Project, tmp_path: Path) -> None:
    turtle = tmp_path / "qom.ttl"
    turtle.write_text(QOM_TTL, encoding="utf-8")
    sid = submit(turtle, project=built, who="Ana").id
    # The project's tables gain the same city afterwards: the graph would hold the record twice.
    cities = built.data / "reference" / "cities.csv"
    header = cities.read_text(encoding="utf-8").splitlines()[0].split(",")
    row = {"id": "qom", "label_en": "Qom", "label_fa": "قم", "country": "IR", "wikidata": "Q131664"}
    with cities.open("a", encoding="utf-8") as out:
        out.write(",".join(row.get(column, "") for column in header) + "\n")
    with pytest.raises(DataError) as caught:
        build(built)
    findings = caught.value.report.findings
    assert [(f.file, f.shape, f.value) for f in findings if (f.shape or "").startswith("citykg:input")] == [(f"submissions/{sid}/input.ttl", "citykg:input/existing-record", "https://w3id.org/citykg/id/city/qom")]


_LINE, _FILE = 'ckg:line "1"^^xsd:positiveInteger', 'ckg:dataFile [ a ckg:DataFile ; ckg:path "x.ttl" ]'
_TO_X = "ckg:inStudy <https://w3id.org/citykg/id/study/x>"


@pytest.mark.parametrize(("turtle", "expected"), [
    # a source row of a study that names no table and row of it (and its data file as a blank node)
    (rdf_study(f'{_TO_X} ; {_LINE} ;\n    ckg:dataFile _:file .\n_:file a ckg:DataFile ; ckg:path "x.ttl"'),
     [(8, None, None, "ckgsh:SourceRowShape")]),
    (rdf_study(f'ckg:citation "Example (2025)" ;\n    {_LINE}, "2"^^xsd:positiveInteger ; {_FILE}'),  # two lines
     [(9, "ckg:line", None, "ckgsh:SourceRowShape")]),
    (rdf_study(f'ckg:citation "Example (2025)" ; {_LINE} ;\n    ckg:dataFile [ a ckg:DataFile ]'),  # a file, no path
     [(9, "ckg:path", None, "ckgsh:DataFileShape")]),
    (rdf_study(f'ckg:citation "Example (2025)" ; {_LINE} ; {_FILE}', more=" ckg:expertPanelSize 10 ;"),  # an integer
     [(6, "ckg:expertPanelSize", "10", "ckgsh:StudyShape")]),
], ids=["study-without-table-and-row", "two-lines", "data-file-without-path", "panel-size-of-another-datatype"])
def test_validate_and_submit_find_the_same_in_an_rdf_file(built: Project, tmp_path: Path, turtle: str,
                                                          expected: list[tuple[int, str | None, str | None, str]]
                                                          ) -> None:
    path = tmp_path / "x.ttl"
    path.write_text(turtle, encoding="utf-8")
    tree = snapshot(built.root)
    checked = validate(path, project=built)
    result = submit(path, project=built, who="Ana")
    assert result.outcome is Outcome.REJECTED
    assert checked.findings == result.report.findings  # what submit refuses, validate reports
    # at the line in the file as named, without a blank node's internal id
    assert [(f.file, f.row, f.path, f.value, f.shape) for f in checked.findings] == [
        (str(path), *where) for where in expected]
    assert snapshot(built.root) == tree


def test_validate_and_submit_exit_alike_on_an_rdf_source_row(built: Project, tmp_path: Path) -> None:
    path = tmp_path / "x.ttl"
    path.write_text(rdf_study(f"{_TO_X} ; {_LINE} ; {_FILE}"), encoding="utf-8")
    runner, base = CliRunner(), ["--project", str(built.root), "-q"]
    checked = runner.invoke(cli, [*base, "validate", str(path)])
    submitted = runner.invoke(cli, [*base, "submit", str(path), "--who", "Ana"])
    assert (checked.exit_code, submitted.exit_code) == (1, 1)
    assert checked.stdout.splitlines()[:-1] == submitted.stdout.splitlines()[:-2] != []
    # with a table and a row of the study, as the README says, the same source row is accepted
    path.write_text(rdf_study(f'{_TO_X} ; ckg:sourceTable "Table 1" ; ckg:sourceRow "1" ; {_LINE} ; {_FILE}'),
                    encoding="utf-8")
    assert validate(path, project=built).findings == ()
    assert submit(path, project=built, who="Ana").outcome is Outcome.ACCEPTED


def test_a_withdrawal_names_the_rdf_submission_whose_source_row_relies_on_it(built: Project, tmp_path: Path) -> None:
    study = submit(new_study(tmp_path), project=built, who="Ana")
    qom = tmp_path / "qom.ttl"  # its source row (line 8) cites the new study, which its city does not name
    qom.write_text(QOM_TTL.replace('ckg:citation "Example (2024)"', "ckg:inStudy <https://w3id.org/citykg/id/study/"
                                   'new-2025> ; ckg:sourceTable "Table 1" ; ckg:sourceRow "3"'), encoding="utf-8")
    relying = submit(qom, project=built, who="Bob")
    assert relying.outcome is Outcome.ACCEPTED, relying.report.to_text()
    with pytest.raises(DataError) as caught:
        withdraw(study.id, project=built, who="Cy")
    assert f"(submission {relying.id} relies on it; withdraw that first)" in str(caught.value)
    (finding,) = caught.value.report.findings
    assert (finding.file, finding.row, finding.path, finding.value, finding.shape) == (
        f"submissions/{relying.id}/input.ttl", 8, "ckg:inStudy", "https://w3id.org/citykg/id/study/new-2025",
        "ckgsh:SourceRowStudyShape")


def _walkthrough() -> list[tuple[str, list[str]]]:
    """The README's submission walkthrough: each command with the lines it shows."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```console\n(.*?)```", readme, re.S) if "cp -r examples/new-study" in b)
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:].split("  #")[0].strip(), []))
        else:
            steps[-1][1].append(line)
    return steps


def _same_run(text: str) -> str:
    """Output with what differs between runs (times, build ids) blanked."""
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", re.sub(r"build [0-9a-f]{16}", "build <id>", text))


def test_the_readme_walkthrough_runs_as_shown(built: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command of README's walkthrough, on examples/new-study, prints what the README shows
    (and nothing more, unless a line "…" stands for the rest); zip is Python's, the other shell
    commands are the system's."""
    monkeypatch.chdir(tmp_path)
    examples = Path(__file__).resolve().parent.parent / "examples"
    steps = _walkthrough()
    assert [c.split()[:2] for c, _ in steps][:3] == [["citykg", "template"], ["cp", "-r"], ["cat", "new-study/strategy_factors.csv"]]
    for command, shown in steps:
        argv = shlex.split(command.replace("examples/", f"{examples}/"))
        if argv[0] == "citykg":
            answer = CliRunner().invoke(cli, ["--project", str(built.root), *argv[1:]])
            assert answer.exception is None or isinstance(answer.exception, SystemExit), answer.output
            printed = answer.stdout
        elif argv[0] == "zip":
            assert argv[1:] == ["-qr", "new-study.zip", "new-study"]
            shutil.make_archive("new-study", "zip", root_dir=tmp_path, base_dir="new-study")
            printed = ""
        else:
            printed = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        lines = _same_run(printed).splitlines()
        if "…" in shown:  # the lines shown, then more
            shown = shown[:shown.index("…")]
            lines = lines[:len(shown)]
        assert lines == [_same_run(line) for line in shown], command


def test_the_projects_own_data_is_not_a_submission(project_copy: Project) -> None:
    build(project_copy)
    with pytest.raises(InputError, match=r"data/mashhad-oic is in the project's own data/, which `citykg build` "
                                         r"builds as it is"):
        submit(project_copy.data / "mashhad-oic", project=project_copy, who="Ana")
    assert not (project_copy.root / "submissions").exists()
    for folder in (project_copy.root / "submissions", project_copy.root):  # nor are those kept, or the project
        with pytest.raises(InputError, match=r"holds the project's submissions/, where citykg keeps the accepted ones: "
                                             r"submit one new folder, zip or RDF file\."):
            submit(folder, project=project_copy, who="Ana")
    assert not (project_copy.root / "submissions").exists()

