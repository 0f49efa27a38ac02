"""Fixture pairs for the Python rewrite rules: what a reviewer sees in the diff, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bedrock2openrouter.cli import app
from bedrock2openrouter.snippets import render

from .conftest import FIXTURES
from .test_migrate import _tree

CASES = sorted(path for path in (FIXTURES / "python").iterdir() if path.is_dir())
runner = CliRunner()


@pytest.mark.parametrize("case", CASES, ids=[path.name for path in CASES])
def test_rule_fixture_migrates_to_its_after_tree(case: Path, tmp_path: Path):
    project = tmp_path / case.name
    shutil.copytree(case / "before", project)
    result = runner.invoke(app, ["migrate", str(project), "--out", str(tmp_path / "out")])
    assert result.exit_code in (0, 1), result.output
    assert _tree(project) == _tree(case / "after")
    again = runner.invoke(app, ["migrate", str(project), "--out", str(tmp_path / "again")])
    assert "Nothing to change." in again.stdout
    for helper in project.rglob("_openrouter.py"):
        text = helper.read_text(encoding="utf-8")
        assert text == render("python/_openrouter.py.j2", compat="def bedrock_converse" in text)


def test_compat_calls_and_dropped_options_are_reported(tmp_path: Path):
    project = tmp_path / "compat"
    shutil.copytree(FIXTURES / "python" / "converse-compat" / "before", project)
    result = runner.invoke(app, ["migrate", str(project)])
    assert result.exit_code == 1  # follow-ups: the calls kept Bedrock's response shape
    assert result.stdout.count("B2O106") == 5
    client = runner.invoke(app, ["migrate", str(shutil.copytree(FIXTURES / "python" / "client" / "before",
                                                                  tmp_path / "client"))])
    assert "endpoint_url has no OpenRouter equivalent" in client.stdout
