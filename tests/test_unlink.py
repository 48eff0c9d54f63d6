from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_project
from linking import Oxigraph
from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse

from citykg.build import build
from citykg.cli import cli
from citykg.errors import DataError
from citykg.iris import CKG, RDF, submission_graph
from citykg.link import LINKS_FILE, WIKIDATA_FILE, link, stored_links
from citykg.project import Project
from citykg.submit import list_submissions, submit, withdraw
from citykg.unlink import without_records
from citykg.wikidata import Client

ID = "https://w3id.org/citykg/id/"


def _submit(project: Project, folder: Path, tables: dict[str, str]) -> str:
    folder.mkdir()
    for name, text in tables.items():
        (folder / name).write_text(text, encoding="utf-8")
    accepted = submit(folder, project=project, who="Ana")
    assert accepted.report.conforms, accepted.report.to_text()
    return accepted.id


def _quads(path: Path) -> set[Quad]:
    return set(parse(path=path, format=RdfFormat.N_QUADS))


def _named(quads: set[Quad]) -> set[str]:
    return {t.value for q in quads for t in (q.subject, q.object) if isinstance(t, NamedNode)}


def _linked_caceres(tmp_path: Path, client: Client) -> tuple[Project, str]:
    """A built copy of the project with Cáceres and Spain submitted, and linked."""
    project = copy_project(tmp_path / "p")
    build(project)
    # Cáceres (Q15678) twins with Gaza City (Q47492, Tabriz's partner), Santiago de Compostela (Mashhad's) and
    # items no other city has, such as a place in Iran with only a Persian label (Q999999002)
    caceres = _submit(project, tmp_path / "caceres", {
        "countries.csv": "iso2,iso3,label_en,label_fa,wikidata,source\nES,ESP,Spain,,Q29,a submission\n",
        "cities.csv": "id,label_en,label_fa,country,wikidata,source\ncaceres,Cáceres,,ES,Q15678,a submission\n"})
    link(project, client=client)
    assert build(project).report.conforms
    return project, caceres


def test_a_withdrawal_takes_the_links_of_its_records_and_keeps_every_other_decision(
        tmp_path: Path, fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=tmp_path / "cache")
    project, caceres = _linked_caceres(tmp_path, client)
    _submit(project, tmp_path / "nurabad", {
        "cities.csv": "id,label_en,label_fa,country,wikidata,source\nnurabad,Nurabad,نورآباد,IR,,a submission\n"})
    assert link(project, client=client).ambiguous == 1  # Nurabad: two places of that name
    decisions = tmp_path / "decided.csv"
    decisions.write_text("record,decision\ncity/nurabad,Q719764\n", encoding="utf-8")
    link(project, client=client, decisions=decisions)
    assert build(project).report.conforms
    before = _named(_quads(project.graphs / WIKIDATA_FILE))
    assert {ID + "city/caceres", ID + "city/Q999999002", ID + "city/Q14314",
            ID + "partnership/Q47492/caceres/twinned"} <= before

    gone = CliRunner().invoke(cli, ["--project", str(project.root), "submissions", "withdraw", caceres, "--who", "Ana"])
    assert gone.exit_code == 0, gone.output
    assert gone.stderr == ("citykg: the Wikidata links and facts of city/caceres, country/ES left graphs/ with it; "
                           "every other link and decision stays.\n")
    links = stored_links(project)
    assert ID + "city/caceres" not in links and ID + "country/ES" not in links
    assert (links[ID + "city/nurabad"].method, links[ID + "city/nurabad"].qid) == ("reviewed", "Q719764")
    kept = _quads(project.graphs / WIKIDATA_FILE)
    assert not {ID + "city/caceres", ID + "city/Q999999002", ID + "partnership/Q47492/caceres/twinned"} & _named(kept)
    assert {ID + "city/Q14314", ID + "city/Q47492"} <= _named(kept)  # still partners of Mashhad and Tabriz
    assert build(project).report.conforms
    # what is left is what linking the graph without the submission gives, the person's decision included
    left = {name: _quads(project.graphs / name) for name in (LINKS_FILE, WIKIDATA_FILE)}
    assert link(project, client=client).ambiguous == 0
    assert {name: _quads(project.graphs / name) for name in (LINKS_FILE, WIKIDATA_FILE)} == left


def test_a_withdrawal_killed_once_the_links_are_left_out_leaves_the_submission_whole(
        tmp_path: Path, fixture_server: Oxigraph) -> None:
    project, caceres = _linked_caceres(tmp_path, Client(fixture_server.url, cache=tmp_path / "cache"))
    env = {**os.environ, "CITYKG_PAUSE_AT": "unlinked", "CITYKG_PROJECT": str(project.root)}
    env.pop("CITYKG_DIST", None)
    with subprocess.Popen([sys.executable, "-m", "citykg", "-q", "submissions", "withdraw", caceres, "--who", "Ana"],
                          env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as proc:
        assert proc.stderr is not None
        assert proc.stderr.readline().strip() == "citykg: paused after unlinked"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    # the next command recovers: the submission is still accepted and in the store, its city now unlinked
    assert [(s.id, s.status.value) for s in list_submissions(project)] == [(caceres, "accepted")]
    assert ID + "city/caceres" not in stored_links(project)
    graphs = {g.value for g in Store.read_only(str(project.store.resolve())).named_graphs()}
    assert submission_graph(caceres) in graphs
    assert withdraw(caceres, project=project, who="Ana").unlinked == ()  # nothing of it is left to unlink


def test_a_graph_file_of_the_project_that_names_its_records_keeps_a_submission(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    build(project)
    ident = _submit(project, tmp_path / "s", {
        "cities.csv": "id,label_en,label_fa,country,wikidata,source\nqom,Qom,قم,IR,Q170573,a submission\n"})
    project.graphs.mkdir(exist_ok=True)
    (project.graphs / "extra.nq").write_text(
        f"<{ID}city/tabriz> <{CKG}twinnedWith> <{ID}city/qom> .\n<{ID}city/qom> <{CKG}twinnedWith> <{ID}city/tabriz> .\n",
        encoding="utf-8")
    assert build(project).report.conforms
    with pytest.raises(DataError, match=rf"Withdrawing {ident} would leave the graph invalid \(graphs/extra.nq names "
                                        r"records it adds: take those statements out, then withdraw it again\)"):
        withdraw(ident, project=project, who="Ana")
    assert (project.graphs / "extra.nq").read_text(encoding="utf-8").count("city/qom") == 2


def test_without_records_drops_what_only_the_records_gone_brought() -> None:
    def q(s: str, p: str, o: str) -> Quad:
        return Quad(NamedNode(ID + s), NamedNode(p), NamedNode(ID + o if not o.startswith("http") else o))

    a = RDF + "type"
    quads = [q("link/city/x", CKG + "linkedRecord", "city/x"), q("link/city/y", CKG + "linkedRecord", "city/y"),
             q("city/x", CKG + "hasGeometry", "city/x/geometry"), q("city/x/geometry", a, "http://g/Geometry"),
             q("city/Q1", a, CKG + "City"), q("city/Q1", CKG + "country", "country/ZZ"),
             q("country/ZZ", a, CKG + "Country"),
             q("city/Q2", a, CKG + "City"), q("city/Q2", CKG + "country", "country/YY"),
             q("country/YY", a, CKG + "Country"),
             q("partnership/Q1/x/twinned", CKG + "partner", "city/Q1"), q("partnership/Q1/x/twinned", CKG + "partner",
                                                                         "city/x"),
             q("partnership/Q2/x/twinned", CKG + "partner", "city/Q2"), q("partnership/Q2/x/twinned", CKG + "partner",
                                                                         "city/x"),
             q("partnership/Q2/y/twinned", CKG + "partner", "city/Q2"), q("partnership/Q2/y/twinned", CKG + "partner",
                                                                         "city/y"),
             q("city/x", CKG + "twinnedWith", "city/Q1"), q("city/Q1", CKG + "twinnedWith", "city/x")]
    kept = without_records(quads, {ID + "city/x"})
    assert kept == [quads[1], *quads[7:10], *quads[14:16]]  # y's link; Q2, a partner of y, with its country
    assert without_records(quads, set()) == quads
