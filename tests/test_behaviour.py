"""Behaviour: a program prints the same before (Bedrock) and after (OpenRouter) its migration.

Each program under fixtures/behaviour is copied, run against the fake Bedrock,
migrated, run against the fake OpenRouter with no way to reach Bedrock, and its
stdout compared. A program whose ``behaviour.json`` says part of it stays on
Bedrock runs after its migration with both services up, and must use each as
it says. The migrated tree must compile, import nothing it does not
use, migrate to itself a second time, and roll back to the original bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bedrock2openrouter.cli import app
from bedrock2openrouter.engine import scan

from .conftest import FIXTURES
from .fakes.fixtures import fake_bedrock, fake_openrouter  # noqa: F401

PROGRAMS = sorted(path for path in (FIXTURES / "behaviour").iterdir() if path.is_dir())
runner = CliRunner()
# After the migration nothing may reach Bedrock: its endpoint points at a closed port.
NO_BEDROCK = {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "none",
              "AWS_SECRET_ACCESS_KEY": "none", "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


def _commands(project: Path) -> list[tuple[list[str], Path]]:
    """``python main.py`` from the project, the same from elsewhere, ``python -m pkg.main`` for packages,
    and each script ``behaviour.json`` names (``also_run``) from its own folder."""
    commands = [([sys.executable, "main.py"], project), ([sys.executable, str(project / "main.py")], project.parent)]
    for package in sorted(project.iterdir()):
        if (package / "__init__.py").is_file() and (package / "main.py").is_file():
            commands.append(([sys.executable, "-m", f"{package.name}.main"], project))
    declared = project / "behaviour.json"
    for script in json.loads(declared.read_text(encoding="utf-8")).get("also_run", []) if declared.is_file() else []:
        commands.append(([sys.executable, Path(script).name], project / Path(script).parent))  # from its own folder
    return commands


def _run(project: Path, environment: dict[str, str]) -> list[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "OPENROUTER_"))}
    env |= environment | {"PYTHONDONTWRITEBYTECODE": "1"}
    outputs = []
    for command, cwd in _commands(project):
        completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
        assert completed.returncode == 0, f"{' '.join(command)} failed:\n{completed.stderr}"
        outputs.append(completed.stdout)
    return outputs


def _expected_after(program: Path) -> dict[str, bool]:
    """What the migrated program reaches: ``behaviour.json`` says when a part stays on Bedrock."""
    declared = program / "behaviour.json"
    after = json.loads(declared.read_text(encoding="utf-8")).get("after", {}) if declared.is_file() else {}
    return {"bedrock": after.get("bedrock", False), "openrouter": after.get("openrouter", True)}


def _tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".bedrock2openrouter" not in path.parts
    }


@pytest.mark.parametrize("program", PROGRAMS, ids=[path.name for path in PROGRAMS])
def test_program_behaves_the_same_after_migration(program: Path, tmp_path: Path, fake_bedrock, fake_openrouter):  # noqa: F811
    project = tmp_path / program.name
    shutil.copytree(program, project)
    original = _tree(project)
    before = _run(project, fake_bedrock.env())
    assert before[0].strip(), "the program printed nothing"

    migrated = runner.invoke(app, ["migrate", str(project)])
    assert migrated.exit_code in (0, 1), migrated.output

    expected = _expected_after(program)
    if expected["bedrock"]:
        # Part of the program stays on Bedrock: both services are up, and each must be used as expected.
        bedrock_calls, openrouter_calls = len(fake_bedrock.requests), len(fake_openrouter.requests)
        after = _run(project, fake_bedrock.env() | fake_openrouter.env())
        assert len(fake_bedrock.requests) > bedrock_calls, "nothing stayed on Bedrock"
        moved = len(fake_openrouter.requests) > openrouter_calls
        assert moved == expected["openrouter"], "OpenRouter use differs from what the program expects"
    else:
        assert not [f for f in scan(project).findings if f.rule == "B2O101"], "a Bedrock client is left"
        after = _run(project, fake_openrouter.env() | NO_BEDROCK)
    assert after == before

    for path in project.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    for declared in [*project.rglob("requirements*.txt"), *project.rglob("pyproject.toml")]:
        assert "openai" in declared.read_text(encoding="utf-8").lower(), f"{declared.name} does not install openai"
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F401,F811,F821",
                           "--output-format", "concise", str(project)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    migrated_tree = _tree(project)
    again = runner.invoke(app, ["migrate", str(project)])
    assert again.exit_code in (0, 1) and "Nothing to change." in again.stdout
    assert _tree(project) == migrated_tree

    if migrated_tree == original:  # everything stayed on Bedrock: nothing to roll back, and no patch written
        assert not (project / ".bedrock2openrouter" / "rollback.patch").exists()
        return
    rolled_back = runner.invoke(app, ["rollback", str(project / ".bedrock2openrouter" / "rollback.patch")])
    assert rolled_back.exit_code == 0, rolled_back.output
    assert _tree(project) == original
