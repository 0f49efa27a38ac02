"""`migrate` on a Lambda project with its SAM template: code, IAM grants and the secret snippet together."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bedrock2openrouter.cli import app

from .conftest import FIXTURES
from .test_migrate import _tree

CASE = FIXTURES / "migrate" / "lambda-sam"
runner = CliRunner()


def _project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(CASE / "before", tmp_path / "chat-api"))


def test_lambda_and_template_migrate_together_and_a_snippet_is_written(tmp_path: Path):
    project, out = _project(tmp_path), tmp_path / "out"
    result = runner.invoke(app, ["migrate", str(project), "--out", str(out)])
    assert result.exit_code == 1, result.output  # MODEL_ID is set in deployed environments: a follow-up
    assert _tree(project) == _tree(CASE / "after")

    snippet = out / "snippets" / "openrouter-secret-sam.yaml"
    text = snippet.read_text(encoding="utf-8")
    assert "chat-api/openrouter" in text and "ChatFunction" in text and "sk-or-" in text
    lint = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(snippet), str(project / "template.yaml")],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [item["principal"] for item in report["iam_removed"]] == ["ChatFunction", "ChatFunction"]
    assert report["snippets"] == [{"path": "snippets/openrouter-secret-sam.yaml", "format": "sam",
                                   "function": "ChatFunction", "secret_name": "chat-api/openrouter",
                                   "for": ["template.yaml"]}]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "## Bedrock IAM grants removed (2)" in markdown and "aws secretsmanager create-secret" in markdown

    rolled_back = runner.invoke(app, ["rollback", str(out / "rollback.patch")])
    assert rolled_back.exit_code == 0
    assert _tree(project) == _tree(CASE / "before")


def test_no_iac_leaves_the_template_alone(tmp_path: Path):
    project, out = _project(tmp_path), tmp_path / "out"
    result = runner.invoke(app, ["migrate", str(project), "--out", str(out), "--no-iac"])
    assert result.exit_code == 1
    template = (project / "template.yaml").read_text(encoding="utf-8")
    assert "bedrock:InvokeModel" in template and "anthropic/claude-3.5-haiku" in template
    assert "kept while --no-iac is given" in " ".join(result.stdout.split())
    assert not (out / "snippets").exists()


def test_grants_stay_while_code_still_calls_bedrock(tmp_path: Path):
    project, out = _project(tmp_path), tmp_path / "out"
    (project / "src" / "embed.py").write_text(
        "import json\nimport boto3\n\nruntime = boto3.client('bedrock-runtime')\n\n\n"
        "def embed(text):\n    return runtime.invoke_model(modelId='amazon.titan-embed-text-v2:0',"
        " body=json.dumps({'inputText': text}))\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["migrate", str(project), "--out", str(out)])
    assert result.exit_code == 1
    assert "bedrock:InvokeModel" in (project / "template.yaml").read_text(encoding="utf-8")
    assert "kept while 1 file still calls Bedrock (src/embed.py)" in " ".join(result.stdout.split())
    assert "stay Bedrock IDs, and Bedrock IAM grants stay, until they are migrated" in " ".join(result.stdout.split())
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    kept = [f["message"] for f in report["follow_ups"] if f["category"] == "iam" and "kept while" in f["message"]]
    assert kept and not any(": remove" in message for message in kept)  # a kept grant is not also to be removed


WIRE = FIXTURES / "migrate" / "cdk-wire"


def test_wire_secret_puts_the_secret_where_the_bedrock_grant_was(tmp_path: Path):
    from .npm_tools import node_toolchain, tsc_check

    project = Path(shutil.copytree(WIRE / "before", tmp_path / "thinktank"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["migrate", str(project), "--wire-secret", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _tree(project) == _tree(WIRE / "after")
    stack = (project / "cdk" / "lib" / "api-stack.ts").read_text(encoding="utf-8")
    assert stack.count("OPENROUTER_SECRET_ARN: openRouterSecret.secretArn") == 2
    assert 'fromSecretNameV2(this, "OpenRouterSecret", "thinktank/openrouter")' in stack
    assert not (out / "snippets").exists()  # wired in place: no separate snippet to paste
    if node_toolchain() is None:
        import pytest

        pytest.skip("npm is not installed: the wired stack cannot be type-checked")
    checked = tsc_check([project / "cdk" / "lib" / "api-stack.ts"])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_wire_secret_without_a_function_to_wire_says_why(tmp_path: Path):
    project = Path(shutil.copytree(WIRE / "before", tmp_path / "thinktank"))
    stack = project / "cdk" / "lib" / "api-stack.ts"
    stack.write_text(stack.read_text(encoding="utf-8").replace("role: lambdaRole,", ""), encoding="utf-8")
    result = runner.invoke(app, ["migrate", str(project), "--wire-secret", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "no Lambda function of this file uses lambdaRole" in " ".join(result.stdout.split())
    assert "openRouterSecret" not in stack.read_text(encoding="utf-8")
    assert (tmp_path / "out" / "snippets" / "openrouter-secret.ts").is_file()
