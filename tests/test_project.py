"""A project is found as git finds a repository: here, or in the nearest folder above."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from citykg.errors import ProjectError
from citykg.project import Project

ROOT = Path(__file__).resolve().parent.parent


def _project(folder: Path) -> Path:
    for part in ("ontology", "shapes", "queries", "data"):
        (folder / part).mkdir(parents=True)
    return folder


def test_a_project_is_found_from_a_folder_inside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITYKG_PROJECT", raising=False)
    root = _project(tmp_path / "copy")
    inside = root / "incoming" / "new-study"
    inside.mkdir(parents=True)
    for folder in (root, root / "data", inside):
        monkeypatch.chdir(folder)
        assert Project.locate().root == root.resolve(), folder  # not the checkout citykg runs from


def test_outside_any_project_the_checkout_is_used_and_a_named_folder_must_be_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITYKG_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Project.locate().root == ROOT
    shutil.copytree(ROOT / "queries", tmp_path / "half" / "queries")
    with pytest.raises(ProjectError, match=r"half is not a citykg project: it has no ontology/, shapes/, data/\."):
        Project.locate(tmp_path / "half")
