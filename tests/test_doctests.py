"""Every example in the package's docstrings runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import citykg

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(m.name for m in pkgutil.iter_modules(citykg.__path__) if m.name not in ("__main__", "cli"))
COMMANDS = sorted(f"cli.{m.name}" for m in pkgutil.iter_modules([str(ROOT / "citykg" / "cli")]))


@pytest.mark.parametrize("name", MODULES + COMMANDS)
def test_docstring_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("CITYKG_PROJECT", raising=False)
    monkeypatch.delenv("CITYKG_DIST", raising=False)
    module = importlib.import_module(f"citykg.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    # the commands' modules need no example (their --help documents them), but those they have run
    assert result.attempted > 0 or name in COMMANDS, f"citykg.{name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) of citykg.{name} failed"
