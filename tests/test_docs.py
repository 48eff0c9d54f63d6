"""The docs are checked: the README's quick start, commands and queries; data/README.md's tables."""

from __future__ import annotations

import re
from pathlib import Path

from citykg.cli import cli
from citykg.queries import load_catalogue
from citykg.tabledocs import describe_tables

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "citykg serve" in commands[0] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    section = README.split("## Quick start", 1)[1]
    test_command = re.search(r"```sh\n.*?\n(.*?)\s+#", section, re.S).group(1).strip()  # type: ignore[union-attr]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_every_command_is_documented() -> None:
    for name, command in cli.commands.items():
        assert f"citykg {name}" in README, name
        assert command.help, name


def test_every_named_query_is_in_the_readme_catalogue() -> None:
    for name, query in load_catalogue(ROOT / "queries").items():
        row = re.search(rf"^\| `{re.escape(name)}` \|\s*(.*?)\s*\| (.*?) \|$", README, re.M)
        assert row, f"{name} is missing from the README's query table"
        assert [p.strip() for p in row.group(1).split(",") if p.strip()] == [p.name for p in query.params]
        assert [c.strip() for c in row.group(2).split(",")] == list(query.columns)


def test_data_readme_tables_are_in_step_with_the_schema() -> None:
    text = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    generated = text.split("-->\n", 1)[1].split("<!-- /tables -->", 1)[0]
    assert generated == describe_tables(), "regenerate with citykg.tabledocs.describe_tables()"
