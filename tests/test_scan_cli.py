"""The `scan` command end to end: formats, SARIF validity, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from bedrock2openrouter.cli import app

from .conftest import REPO, SCAN_FIXTURES

SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
runner = CliRunner()


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args])


def test_json_report_has_findings_errors_and_summary():
    result = _scan(str(SCAN_FIXTURES / "python-service"), "--format", "json", "--jobs", "1")
    assert result.exit_code == 2  # two files could not be parsed: never a silent success
    document = json.loads(result.stdout)
    assert set(document) >= {"findings", "errors", "summary"}
    first = document["findings"][0]
    assert set(first) >= {"path", "line", "column", "rule", "category", "severity", "message", "fixable"}
    summary = document["summary"]
    assert summary["findings"] == len(document["findings"])
    assert summary["errors"] == len(document["errors"]) == 2
    assert summary["categories"]["client"] == sum(f["category"] == "client" for f in document["findings"])
    notebook = [f for f in document["findings"] if f["path"].endswith(".ipynb")]
    assert notebook and all("cell" in f for f in notebook)


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(tmp_path: Path):
    out = tmp_path / "scan.sarif"
    result = _scan(str(SCAN_FIXTURES / "python-service"), "--format", "sarif", "--output", str(out), "--jobs", "1")
    assert result.exit_code == 2
    log = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(log, SARIF_SCHEMA)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules)
    for sarif_result in run["results"]:
        assert rules[sarif_result["ruleIndex"]]["id"] == sarif_result["ruleId"]
        assert sarif_result["level"] in {"error", "warning", "note"}
        location = sarif_result["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["region"]["startLine"] >= 1
    assert len(run["invocations"][0]["toolExecutionNotifications"]) == 2
    assert "Scanned" in result.output  # the summary line still reaches the terminal


def test_sarif_validator_rejects_a_broken_log():
    """The schema check above can fail: a log without locations' required fields is refused."""
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": []}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SARIF_SCHEMA)


def test_sarif_uris_are_percent_encoded(tmp_path: Path):
    (tmp_path / "my models").mkdir()
    (tmp_path / "my models" / "ids é.txt").write_text("anthropic.claude-v2\n", encoding="utf-8")
    result = _scan(str(tmp_path), "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.validate(log, SARIF_SCHEMA)
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "my%20models/ids%20%C3%A9.txt"
    )


def test_table_groups_by_file_and_ends_with_the_summary():
    result = _scan(str(SCAN_FIXTURES / "python-service"), "--jobs", "1")
    lines = result.stdout.splitlines()
    assert "lambdas/chat/handler.py" in lines
    assert any("B2O102" in line and "converse()" in line for line in lines)
    assert any(line.startswith("error legacy/broken.py:4") for line in lines)
    assert lines[-1].startswith("Scanned ") and "2 errors" in lines[-1]


@pytest.mark.parametrize(
    ("files", "code"),
    [({"app.py": "print('hi')\n"}, 0), ({"app.py": "M = 'anthropic.claude-v2'\n"}, 1)],
)
def test_exit_codes(tmp_path: Path, files, code):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = _scan(str(tmp_path))
    assert result.exit_code == code
    if code == 0:
        assert "No Bedrock dependency found." in result.stdout
    assert result.stdout.splitlines()[-1].startswith("Scanned 1 file:")


def test_bad_path_is_one_line_and_exit_2(tmp_path: Path):
    result = _scan(str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'missing'}: no such directory"]


def test_bad_pyproject_setting_is_one_line_and_exit_2(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.bedrock2openrouter]\nexcludes = ['x']\n", encoding="utf-8")
    result = _scan(str(tmp_path))
    assert result.exit_code == 2
    assert "unknown setting 'excludes'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_pyproject_exclude_is_honoured(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.bedrock2openrouter]\nexclude = ['vendor/']\n", encoding="utf-8")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.py").write_text("M = 'anthropic.claude-v2'\n", encoding="utf-8")
    assert _scan(str(tmp_path)).exit_code == 0


def test_entry_points_work_as_installed():
    for command in (["bedrock2openrouter", "--help"], [sys.executable, "-m", "bedrock2openrouter", "--help"]):
        if command[0] == "bedrock2openrouter":
            command[0] = str(Path(sys.executable).with_name("bedrock2openrouter"))
        completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert completed.returncode == 0, completed.stderr
        assert "scan" in completed.stdout


def test_wheel_ships_the_templates(tmp_path: Path):
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    (wheel,) = tmp_path.glob("bedrock2openrouter-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "bedrock2openrouter/templates/report.md.j2" in names
    assert "bedrock2openrouter/templates/python/openrouter/client.py.j2" in names
    assert "bedrock2openrouter/templates/snippets/sam.j2" in names
    assert "bedrock2openrouter/model_map.yaml" in names
    assert "bedrock2openrouter/cli.py" in names
