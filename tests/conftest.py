"""Shared fixtures: the real project built once into a temporary dist, and copies to break."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from linking import FIXTURE, Oxigraph, start_oxigraph
from pyoxigraph import Store
from serving import Running, start_server

from citykg.build import BuildResult, build
from citykg.project import Project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project() -> Project:
    """The repository's project, with builds going to a temporary folder."""
    return Project(root=ROOT, dist=ROOT / "dist")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, BuildResult]:
    """The real data built once per test session into a temporary dist."""
    project = Project(root=ROOT, dist=tmp_path_factory.mktemp("dist"))
    return project, build(project)


@pytest.fixture(scope="session")
def store(built: tuple[Project, BuildResult]) -> Iterator[Store]:
    """The built store, opened read-only like `citykg query` opens it."""
    project, _ = built
    yield Store.read_only(str(project.store.resolve()))


def copy_project(target: Path, *, folders: tuple[str, ...] | None = None) -> Project:
    """A writable copy of the project (optionally only some data folders), dist inside it."""
    for part in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / part, target / part)
    (target / "data").mkdir(parents=True)
    for folder in sorted((ROOT / "data").iterdir()):
        if folder.is_dir() and (folders is None or folder.name in folders):
            shutil.copytree(folder, target / "data" / folder.name)
    return Project(root=target, dist=target / "dist")


@pytest.fixture()
def project_copy(tmp_path: Path) -> Project:
    """A throw-away copy of the project to break."""
    return copy_project(tmp_path / "project")


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def fixture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oxigraph]:
    """A real Oxigraph SPARQL server on 127.0.0.1 with the small Wikidata-shaped fixture."""
    server = start_oxigraph([FIXTURE], tmp_path_factory.mktemp("wikidata-fixture"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server(built: tuple[Project, BuildResult], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A real `citykg serve` of the built graph on 127.0.0.1, with every default limit."""
    project, _ = built
    running = start_server(project.dist, tmp_path_factory.mktemp("default-server"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(server: Running) -> Iterator[httpx.Client]:
    """An HTTP client of :func:`server`."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


#: A second study of Mashhad, whose codes (S1, O1, SO1, A01) are also codes of mashhad-oic.
SECOND_STUDY = {
    "studies.csv": "id,title_en,city,year,method_en,panel_size,source_table,source_row\n"
                   "follow-up,A follow-up survey,mashhad,2025,Survey,12,Abstract,1\n",
    "factors.csv": "study,code,kind,label_fa,label_en,source_table,source_row\n"
                   "follow-up,S1,strength,جایگاه مذهبی,Religious standing,Table 1,1\n"
                   "follow-up,O1,opportunity,پیوندهای تاریخی,Historical ties,Table 1,2\n",
    "strategies.csv": "study,code,type,label_fa,label_en,source_table,source_row\n"
                      "follow-up,SO1,SO,توسعه همکاری و استفاده از ظرفیت‌های سازمان‌های بین‌المللی و منطقه‌ای,"
                      "Widen cooperation,Table 3,SO1\n",
    "strategy_factors.csv": "study,strategy,factor,source_table,source_row\n"
                            "follow-up,SO1,S1,Table 3,SO1\nfollow-up,SO1,O1,Table 3,SO1\n",
    "actions.csv": "study,id,label_fa,label_en,source_table,source_row\n"
                   "follow-up,A01,برگزاری هفته‌های فرهنگی,Hold cultural weeks,Table 3,SO1.1\n",
    "strategy_actions.csv": "study,strategy,position,action,label_fa,label_en,source_table,source_row\n"
                            "follow-up,SO1,1,A01,برگزاری هفته‌های فرهنگی,Hold cultural weeks,Table 3,SO1.1\n",
    "organisations.csv": "id,kind,label_en,label_fa,acronym,city,parent,wikidata,source\n"
                         "eco,intergovernmental-organisation,Economic Cooperation Organization,سازمان همکاری اقتصادی,"
                         "ECO,,,,follow-up\n",
    "organisation_members.csv": "organisation,country,status,source,note\neco,IR,member,ECO,\neco,AF,member,ECO,\n",
}


@pytest.fixture(scope="session")
def two_studies_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The project with a second study of Mashhad (:data:`SECOND_STUDY`), built."""
    project = copy_project(tmp_path_factory.mktemp("two-studies"))
    folder = project.data / "follow-up"
    folder.mkdir()
    for name, text in SECOND_STUDY.items():
        (folder / name).write_text(text, encoding="utf-8")
    build(project)
    return project
