"""The README's before/after example is what the tool really produces."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bedrock2openrouter.cli import app

from .conftest import REPO


def test_readme_python_example_is_the_real_output(tmp_path: Path):
    before, after = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)[:2]
    (tmp_path / "example.py").write_text(before, encoding="utf-8")
    result = CliRunner().invoke(app, ["migrate", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "example.py").read_text(encoding="utf-8") == after


def test_readme_starts_with_the_two_commands():
    head = (REPO / "README.md").read_text(encoding="utf-8").split("---")[0]
    commands = re.findall(r"```bash\n(.*?)\n```", head, re.S)
    assert len(commands) == 2
    assert "migrate --dry-run fixtures/demo/thinktank" in commands[0]
    assert commands[1] in (REPO / ".ci" / "run").read_text(encoding="utf-8")
