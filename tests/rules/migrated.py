"""Inline before/after cases for the rule tests: migrate one module in a fresh tree, read it back."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from bedrock2openrouter.cli import app
from bedrock2openrouter.config import Settings
from bedrock2openrouter.engine import plan_migration
from bedrock2openrouter.python.helper import defined_capabilities, helper_source

from ..conftest import FIXTURES
from ..test_migrate import _tree

runner = CliRunner()


def migrated(code: str, tmp_path: Path, name: str = "app.py") -> str:
    """The module as the migration plan would write it (dedented input; unchanged when nothing moves)."""
    source = textwrap.dedent(code)
    (tmp_path / name).write_text(source, encoding="utf-8")
    plan = plan_migration(tmp_path, Settings(jobs=1))
    changed = {change.path: change.new for change in plan.changes}
    return changed[name].decode("utf-8") if name in changed else source


def assert_rewrites(before: str, after: str, tmp_path: Path) -> None:
    assert migrated(before, tmp_path) == textwrap.dedent(after)


def assert_unchanged(code: str, tmp_path: Path) -> None:
    assert migrated(code, tmp_path) == textwrap.dedent(code)


def fixture_cases(code: str) -> list[Path]:
    """The fixture pairs of one rule: ``fixtures/<language>/<code>_*``."""
    return sorted(FIXTURES.glob(f"*/{code}_*"))


def assert_fixture_pair(case: Path, tmp_path: Path) -> None:
    """``before`` migrates to ``after`` byte for byte, and a second run changes nothing."""
    project = tmp_path / case.name
    shutil.copytree(case / "before", project)
    result = runner.invoke(app, ["migrate", str(project), "--out", str(tmp_path / "out")])
    assert result.exit_code in (0, 1), result.output
    assert _tree(project) == _tree(case / "after")
    again = runner.invoke(app, ["migrate", str(project), "--out", str(tmp_path / "again")])
    assert "Nothing to change." in again.stdout
    for helper in project.rglob("_openrouter.py"):
        text = helper.read_text(encoding="utf-8")
        assert text == helper_source(defined_capabilities(text))
