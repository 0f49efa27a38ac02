"""openai is added to every kind of dependency file in its own style, once, and a file that cannot take it is said."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bedrock2openrouter.changeset import FileChange
from bedrock2openrouter.config import Settings
from bedrock2openrouter.dependencies import DependencyProblem, add_openai
from bedrock2openrouter.engine import plan_migration


def added(tmp_path: Path, name: str, text: str) -> FileChange | DependencyProblem | None:
    path = tmp_path / name
    path.write_bytes(textwrap.dedent(text).encode())
    return add_openai(path, tmp_path)


@pytest.mark.parametrize(("name", "before", "after"), [
    ("pyproject.toml",
     '[project]\nname = "x"\nauthors = [{name = "Ada"}]\ndependencies = [\n    "boto3>=1.34",  # AWS\n]\n',
     ('[project]\nname = "x"\nauthors = [{name = "Ada"}]\ndependencies = [\n    "boto3>=1.34",  # AWS\n'
     '    "openai>=1.30",\n]\n')),
    ("pyproject.toml", "[project]\ndependencies = ['boto3']\n", "[project]\ndependencies = ['boto3', 'openai>=1.30']\n"),
    ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.11"\nboto3 = "^1.34"\n',
     '[tool.poetry.dependencies]\npython = "^3.11"\nboto3 = "^1.34"\nopenai = ">=1.30"\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\r\npython = "^3.11"\r\n',
     '[tool.poetry.dependencies]\r\npython = "^3.11"\r\nopenai = ">=1.30"\r\n'),
    ("Pipfile", '[packages]\nboto3 = "*"\n\n[dev-packages]\npytest = "*"\n',
     '[packages]\nboto3 = "*"\nopenai = ">=1.30"\n\n[dev-packages]\npytest = "*"\n'),
    ("requirements.txt", "-r base.txt\nboto3==1.34.0", "-r base.txt\nboto3==1.34.0\nopenai>=1.30\n"),
    ("environment.yml", "name: app\ndependencies:\n  - python=3.11\n  - pip:\n      - boto3\n",
     "name: app\ndependencies:\n  - python=3.11\n  - pip:\n      - boto3\n      - openai>=1.30\n"),
    ("setup.cfg", "[options]\ninstall_requires =\n    boto3\n", "[options]\ninstall_requires =\n    boto3\n    openai>=1.30\n"),
], ids=["pep621-authors-first", "pep621-literal-quotes", "poetry", "poetry-crlf", "pipfile", "requirements",
        "conda", "setup-cfg"])
def test_openai_is_added_in_the_file_s_own_style(tmp_path: Path, name: str, before: str, after: str):
    change = added(tmp_path, name, before)
    assert isinstance(change, FileChange)
    assert change.new.decode() == after


@pytest.mark.parametrize(("name", "text"), [
    ("pyproject.toml", '[project]\ndependencies = ["boto3", "OpenAI>=1.0"]\n'),
    ("pyproject.toml", '[project]\ndependencies = ["openai[datalib]==1.40"]\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\nOpenAI = "^1"\n'),
    ("requirements.txt", "boto3\nOpenAI==1.2  # another spelling, the same project\n"),
    ("setup.cfg", "[options]\ninstall_requires =\n    openai>=1\n"),
    ("Pipfile", '[packages]\nopenai = "*"\n'),
    ("pyproject.toml", "[tool.ruff]\nline-length = 100\n"),  # no dependencies live here
])
def test_a_file_that_already_has_openai_or_holds_no_dependencies_is_left_alone(tmp_path: Path, name: str, text: str):
    assert added(tmp_path, name, text) is None


@pytest.mark.parametrize(("name", "text", "why"), [
    ("requirements.txt", "boto3==1.34.0 --hash=sha256:abc\n", "--hash"),
    ("pyproject.toml", '[project]\nname = "x"\ndynamic = ["dependencies"]\n', "dynamic"),
    ("pyproject.toml", "[project\nname = 'x'\n", "not valid TOML"),
    ("environment.yml", "name: app\ndependencies:\n  - python=3.11\n", "pip:"),
])
def test_a_file_that_cannot_take_openai_is_reported(tmp_path: Path, name: str, text: str, why: str):
    problem = added(tmp_path, name, text)
    assert isinstance(problem, DependencyProblem) and why in problem.reason


def test_the_problem_is_a_follow_up_of_the_migration(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text("boto3==1.34.0 --hash=sha256:abc\n", encoding="utf-8")
    (tmp_path / "app.py").write_text(
        'import boto3\n\nclient = boto3.client("bedrock-runtime")\n\n\ndef ask(q):\n'
        '    r = client.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0",\n'
        '                        messages=[{"role": "user", "content": [{"text": q}]}])\n'
        '    return r["output"]["message"]["content"][0]["text"]\n', encoding="utf-8")
    plan = plan_migration(tmp_path, Settings(jobs=1))
    (problem,) = [f for f in plan.follow_ups if f.rule == "B2O107"]
    assert problem.path == "requirements.txt" and "--hash" in problem.message
    assert "requirements.txt" not in {change.path for change in plan.changes}
