"""`scan` on the Python service fixture: exact findings for every file, errors, exclusions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock2openrouter.config import Settings
from bedrock2openrouter.engine import scan
from bedrock2openrouter.python.detect import analyze_code
from bedrock2openrouter.python.notebook import python_of_cell

from .conftest import SCAN_FIXTURES, plant_excluded_folders

# (path, line, column, rule, cell) written from reading the fixture files.
EXPECTED = [
    (".env", 2, 10, "B2O401", None),
    (".env", 3, 13, "B2O402", None),
    ("config/models.json", 2, 15, "B2O401", None),
    ("config/models.json", 3, 18, "B2O401", None),
    ("config/models.json", 3, 54, "B2O401", None),
    ("config/models.json", 4, 13, "B2O302", None),  # image model: no OpenRouter equivalent
    ("config/models.yaml", 2, 7, "B2O401", None),
    ("config/models.yaml", 3, 13, "B2O301", None),  # embedding model
    ("config/models.yaml", 4, 9, "B2O301", None),  # rerank model ARN
    ("config/settings.toml", 2, 10, "B2O401", None),
    ("config/settings.toml", 3, 16, "B2O306", None),  # provisioned-model ARN is opaque
    ("ios/AIModel.swift", 4, 26, "B2O401", None),
    ("ios/AIModel.swift", 5, 25, "B2O401", None),
    ("ios/AIModel.swift", 6, 19, "B2O401", None),
    ("ios/AIModel.swift", 7, 22, "B2O401", None),
    ("lambdas/chat/handler.py", 8, 12, "B2O405", None),  # the environment may still say Bedrock
    ("lambdas/chat/handler.py", 8, 40, "B2O401", None),  # default of os.environ.get
    ("lambdas/chat/handler.py", 10, 11, "B2O101", None),  # boto3.client(service_name=...)
    ("lambdas/chat/handler.py", 19, 16, "B2O102", None),
    ("lambdas/summarize/app.py", 5, 11, "B2O101", None),  # boto3.Session(...).client(...)
    ("lambdas/summarize/app.py", 14, 16, "B2O104", None),
    ("lambdas/summarize/app.py", 15, 18, "B2O402", None),
    ("lambdas/summarize/app.py", 22, 16, "B2O105", None),
    ("lambdas/summarize/app.py", 22, 67, "B2O401", None),
    ("legacy/latin1.py", 3, 20, "B2O401", None),  # column counts characters, not latin-1 bytes
    ("notebooks/explore.ipynb", 5, 10, "B2O101", 1),
    ("notebooks/explore.ipynb", 2, 13, "B2O401", 3),
    ("notebooks/explore.ipynb", 3, 12, "B2O102", 3),
    ("notebooks/explore.ipynb", 2, 10, "B2O103", 5),  # client from cell 1, after a shell escape
    ("notebooks/explore.ipynb", 2, 42, "B2O401", 5),
    ("service/chat.py", 5, 41, "B2O401", None),
    ("service/chat.py", 12, 20, "B2O102", None),  # client from another module: known by modelId=
    ("service/chat.py", 18, 20, "B2O103", None),
    ("service/clients.py", 8, 12, "B2O101", None),  # factory whose service name is a parameter
    ("service/frameworks.py", 15, 8, "B2O201", None),
    ("service/frameworks.py", 15, 30, "B2O401", None),
    ("service/frameworks.py", 16, 17, "B2O202", None),
    ("service/frameworks.py", 16, 44, "B2O401", None),
    ("service/frameworks.py", 17, 10, "B2O203", None),  # legacy langchain.llms.Bedrock
    ("service/frameworks.py", 17, 28, "B2O401", None),
    ("service/frameworks.py", 18, 10, "B2O204", None),
    ("service/frameworks.py", 19, 15, "B2O205", None),
    ("service/frameworks.py", 19, 38, "B2O401", None),
    ("service/frameworks.py", 20, 13, "B2O206", None),  # LlamaIndex Bedrock imported under an alias
    ("service/frameworks.py", 20, 33, "B2O401", None),
    ("service/helper.py", 8, 46, "B2O401", None),  # the ID yes, the project's invoke_model no
    ("service/rag.py", 6, 12, "B2O101", None),  # region passed positionally
    ("service/rag.py", 10, 14, "B2O303", None),
    ("service/rag.py", 18, 16, "B2O104", None),
    ("service/rag.py", 18, 47, "B2O301", None),
    ("service/rag.py", 23, 16, "B2O102", None),
    ("service/rag.py", 24, 18, "B2O306", None),
    ("service/rag.py", 26, 9, "B2O304", None),
    ("worker/main.go", 4, 23, "B2O401", None),
]

EXPECTED_ERRORS = [
    ("legacy/broken.py", 4),
    ("notebooks/explore.ipynb", 1),  # cell 4, line 1; the rest of the notebook is still analysed
]


def _as_tuples(findings):
    return sorted((f.path, f.line, f.column, f.rule, f.cell) for f in findings)


def test_python_service_findings_are_exact():
    result = scan(SCAN_FIXTURES / "python-service", Settings(jobs=1))
    assert _as_tuples(result.findings) == sorted(EXPECTED)
    assert sorted((e.path, e.line) for e in result.errors) == EXPECTED_ERRORS
    assert "cell 4" in result.errors[1].message


def test_every_category_rule_and_severity_comes_from_the_registry():
    result = scan(SCAN_FIXTURES / "python-service", Settings(jobs=1))
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["B2O101"].category == "client" and by_rule["B2O101"].fixable
    assert by_rule["B2O102"].category == "call"
    assert by_rule["B2O201"].category == "framework"
    assert by_rule["B2O401"].category == "model-id"
    assert by_rule["B2O303"].category == "unsupported" and not by_rule["B2O303"].fixable
    assert {f.category for f in result.findings} >= {"client", "call", "framework", "model-id", "unsupported"}


def test_parallel_scan_gives_the_same_answer():
    serial = scan(SCAN_FIXTURES / "python-service", Settings(jobs=1))
    from bedrock2openrouter import engine

    threshold = engine._PARALLEL_THRESHOLD
    engine._PARALLEL_THRESHOLD = 1
    try:
        parallel = scan(SCAN_FIXTURES / "python-service", Settings(jobs=2))
    finally:
        engine._PARALLEL_THRESHOLD = threshold
    assert parallel.findings == serial.findings
    assert parallel.errors == serial.errors


def test_excluded_and_ignored_folders_are_never_read(copy_fixture):
    root = copy_fixture("python-service")
    planted = plant_excluded_folders(root)
    result = scan(root, Settings(jobs=1))
    reported = {f.path for f in result.findings} | {e.path for e in result.errors}
    assert not reported & set(planted)
    assert _as_tuples(result.findings) == sorted(EXPECTED)


def _rules(code: str) -> list[tuple[int, str]]:
    findings, _ = analyze_code(code, "example.py")
    return sorted((f.line, f.rule) for f in findings)


def test_project_method_named_like_boto3_is_not_a_call():
    code = (
        "class Bedrock:\n"
        "    def invoke_model(self, prompt, model_id=None):\n"
        "        return prompt\n"
        "helper = Bedrock()\n"
        "helper.invoke_model('hi', model_id='x')\n"
        "helper.converse([])\n"
    )
    assert _rules(code) == []


def test_control_plane_client_is_not_a_runtime_client():
    code = "import boto3\nc = boto3.client('bedrock')\nc.list_foundation_models()\nc.invoke_model(body='{}')\n"
    assert _rules(code) == []


@pytest.mark.parametrize(
    "creation",
    [
        "boto3.client('bedrock-runtime')",
        "boto3.client(service_name='bedrock-runtime', region_name='us-east-1')",
        "boto3.client('bedrock-runtime', 'us-east-1')",
        "boto3.Session(profile_name='dev').client('bedrock-runtime')",
        "boto3.session.Session().client(service_name='bedrock-runtime')",
    ],
)
def test_client_creation_variants(creation):
    code = f"import boto3\nimport boto3.session\nclient = {creation}\nclient.converse(messages=[])\n"
    assert _rules(code) == [(3, "B2O101"), (4, "B2O102")]


def test_session_variable_and_constant_service_name():
    code = (
        "import boto3\n"
        "SERVICE = 'bedrock-runtime'\n"
        "session = boto3.Session()\n"
        "client = session.client(service_name=SERVICE)\n"
        "client.invoke_model(body='{}')\n"
    )
    assert _rules(code) == [(4, "B2O101"), (5, "B2O104")]


def test_factory_called_with_another_service_is_not_bedrock():
    code = (
        "import boto3\n"
        "def make(service='bedrock-runtime'):\n"
        "    return boto3.client(service)\n"
        "s3 = make('s3')\n"
        "s3.converse()\n"
        "br = make()\n"
        "br.converse()\n"
    )
    assert _rules(code) == [(3, "B2O101"), (7, "B2O102")]


def test_client_held_by_a_class_and_passed_to_helpers():
    code = (
        "import boto3\n"
        "from fastapi.concurrency import run_in_threadpool\n"
        "class Chat:\n"
        "    def __init__(self):\n"
        "        self.bedrock = boto3.client('bedrock-runtime')\n"
        "    async def ask(self, args):\n"
        "        return await run_in_threadpool(self.bedrock.converse, **args)\n"
        "def helper(client, body):\n"
        "    return client.invoke_model(body=body)\n"
        "helper(Chat().bedrock, '{}')\n"
    )
    assert _rules(code) == [(5, "B2O101"), (7, "B2O102"), (9, "B2O104")]


def test_typed_parameter_and_async_with():
    code = (
        "import aioboto3\n"
        "from mypy_boto3_bedrock_runtime import BedrockRuntimeClient\n"
        "def ask(client: BedrockRuntimeClient):\n"
        "    return client.converse_stream(messages=[])\n"
        "async def main():\n"
        "    async with aioboto3.Session().client('bedrock-runtime') as rt:\n"
        "        await rt.converse(messages=[])\n"
    )
    assert _rules(code) == [(4, "B2O103"), (6, "B2O101"), (7, "B2O102")]


def test_local_class_shadowing_a_framework_name_is_not_a_framework():
    code = "class ChatBedrock:\n    pass\nChatBedrock()\nfrom langchain_aws import BedrockLLM\nBedrockLLM(model_id='x')\n"
    assert _rules(code) == [(5, "B2O203")]


def test_model_ids_in_fstrings_and_multiline_strings():
    code = 'region = "us"\nmodel = f"{region}.anthropic.claude-3-haiku-20240307-v1:0"\nDOC = """\nUse meta.llama3-8b-instruct-v1:0\n"""\n'
    findings, _ = analyze_code(code, "x.py")
    assert sorted((f.line, f.column, f.rule) for f in findings) == [(2, 20, "B2O404"), (4, 5, "B2O401")]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("%pip install boto3\nimport boto3", "\nimport boto3"),
        ("files = !ls\nx = 1", "\nx = 1"),
        ("%%bash\necho hi", None),
        ("%%time\nx = 1", "\nx = 1"),
        ("obj?\nx = 1", "\nx = 1"),
        # a magic continued with backslashes goes whole, also under a cell magic whose body is Python
        ("%%capture\n!pip install -U boto3 \\\n    langchain-aws \\\n    openai\nimport boto3",
         "\n\n\n\nimport boto3"),
        # inside a block a magic leaves `pass`, so the block still parses
        ("if True:\n    %time run()\nx = 1", "if True:\n    pass\nx = 1"),
    ],
)
def test_ipython_syntax_is_blanked_line_for_line(cell, expected):
    assert python_of_cell(cell) == expected


def test_unreadable_file_is_an_error_not_a_crash(tmp_path: Path):
    (tmp_path / "ok.py").write_text("MODEL = 'anthropic.claude-v2'\n", encoding="utf-8")
    (tmp_path / "bad.py").write_bytes(b"# -*- coding: utf-8 -*-\nMODEL = '\xff anthropic.claude-v2'\n")
    result = scan(tmp_path, Settings(jobs=1))
    assert [(f.path, f.rule) for f in result.findings] == [("ok.py", "B2O401")]
    assert [e.path for e in result.errors] == ["bad.py"]
    assert "utf-8" in result.errors[0].message
