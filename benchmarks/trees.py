"""The trees the benchmark measures, written into a directory the caller owns.

Two shapes, because they stress different parts of the tool:

* the service tree: nothing but Bedrock Python modules, every one of them
  rewritten, so the per-file analysis and rewrite dominate;
* the mixed tree: a small Bedrock package, infrastructure templates and
  notebooks drowned in thousands of files that never mention Bedrock, committed
  to git, so the walk, the byte prefilter and memory that must not grow with
  the noise dominate.

Everything is generated from the index of the file, so two runs measure the
same bytes. Non-Bedrock files avoid every spelling the prefilter looks for
("bedrock", "modelId", provider.family model IDs), so they are exactly the
files a good walk drops without parsing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

MODEL_IDS = (
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.amazon.nova-pro-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
)

_HELPERS = "\n".join(f"def helper_{n}(x):\n    return [x * {n} for _ in range(3)]\n" for n in range(40))

# A module client with a model-ID constant, a class that holds its own client,
# a streaming loop that reads only text deltas, and a response that leaves its
# function (only the compatibility layer keeps such callers working).
SERVICE_MODULE = '''\
"""Service {index}: answers questions through Amazon Bedrock."""
import json

import boto3

client = boto3.client("bedrock-runtime", region_name="us-east-1")
MODEL_ID = "{model_id}"


class Assistant{index}:
    def __init__(self):
        self.client = boto3.Session().client("bedrock-runtime")

    def ask(self, prompt: str) -> str:
        response = self.client.converse(
            modelId=MODEL_ID,
            messages=[{{"role": "user", "content": [{{"text": prompt}}]}}],
            inferenceConfig={{"maxTokens": 256, "temperature": 0.2}},
        )
        return response["output"]["message"]["content"][0]["text"]


def stream(prompt: str) -> str:
    response = client.converse_stream(
        modelId=MODEL_ID,
        messages=[{{"role": "user", "content": [{{"text": prompt}}]}}],
    )
    parts = []
    for event in response["stream"]:
        if "contentBlockDelta" in event:
            parts.append(event["contentBlockDelta"]["delta"]["text"])
    return "".join(parts)


def raw(prompt: str) -> dict:
    return client.converse(modelId=MODEL_ID, messages=[{{"role": "user", "content": [{{"text": prompt}}]}}])


def dump(prompt: str) -> str:
    return json.dumps(raw(prompt))

''' + _HELPERS


def service_module(index: int) -> str:
    return SERVICE_MODULE.format(index=index, model_id=MODEL_IDS[index % len(MODEL_IDS)])


def write_service_tree(root: Path, files: int) -> None:
    """``files`` Bedrock service modules, every one of which the migration rewrites."""
    for index in range(files):
        _write(root / f"service_{index:04d}.py", service_module(index))


# -- the mixed tree ---------------------------------------------------------------------

_PACKAGE_MODULES = 6  # Converse service modules inside the package

_SESSION_MODULE = '''\
"""A chat session that keeps its history and its own Bedrock client."""
import boto3

from .settings import DEFAULT_MODEL


class ChatSession:
    def __init__(self, model_id: str = DEFAULT_MODEL):
        self.client = boto3.client("bedrock-runtime")
        self.model_id = model_id
        self.history: list[dict] = []

    def say(self, text: str) -> str:
        self.history.append({"role": "user", "content": [{"text": text}]})
        response = self.client.converse(modelId=self.model_id, messages=self.history,
                                        system=[{"text": "Answer briefly."}])
        reply = response["output"]["message"]["content"][0]["text"]
        self.history.append({"role": "assistant", "content": [{"text": reply}]})
        return reply
'''

_SETTINGS_MODULE = '''\
"""Settings of the assistant package."""
DEFAULT_MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
REGION = "us-east-1"
'''

_HANDLER_MODULE = '''\
"""Lambda entry point: one question, one streamed answer."""
import boto3

from .settings import DEFAULT_MODEL, REGION

runtime = boto3.client("bedrock-runtime", region_name=REGION)


def handler(event, context):
    response = runtime.converse_stream(
        modelId=DEFAULT_MODEL,
        messages=[{"role": "user", "content": [{"text": event["question"]}]}],
    )
    answer = ""
    for chunk in response["stream"]:
        if "contentBlockDelta" in chunk:
            answer += chunk["contentBlockDelta"]["delta"]["text"]
    return {"statusCode": 200, "body": answer}
'''

_SAM_TEMPLATE = '''\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: Assistant API backed by Amazon Bedrock.

Resources:
  AskFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: assistant.handler.handler
      Runtime: python3.12
      CodeUri: src/
      Policies:
        - AWSLambdaBasicExecutionRole
        - Statement:
            - Effect: Allow
              Action:
                - bedrock:InvokeModel
                - bedrock:InvokeModelWithResponseStream
              Resource: !Sub "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/*"
      Events:
        Ask:
          Type: Api
          Properties:
            Path: /ask
            Method: post
'''

_CLOUDFORMATION_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "Batch summariser role",
    "Resources": {
        "SummariserRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}],
                },
                "Policies": [{
                    "PolicyName": "models",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:Converse"],
                             "Resource": "*"},
                            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::reports/*"},
                        ],
                    },
                }],
            },
        },
    },
}

_TERRAFORM_FILE = '''\
resource "aws_iam_role" "assistant" {
  name               = "assistant"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "assistant" {
  statement {
    sid       = "InvokeModels"
    actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    resources = ["arn:aws:bedrock:us-east-1::foundation-model/*"]
  }

  statement {
    sid       = "ReadPrompts"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::prompts/*"]
  }
}

resource "aws_iam_role_policy" "assistant" {
  name   = "assistant"
  role   = aws_iam_role.assistant.id
  policy = data.aws_iam_policy_document.assistant.json
}
'''

_CDK_STACK = '''\
import * as cdk from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

export class AssistantStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const role = new iam.Role(this, "AssistantRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        resources: [`arn:aws:bedrock:${this.region}::foundation-model/*`],
      }),
    );

    new lambda.Function(this, "Ask", {
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: "assistant.handler.handler",
      code: lambda.Code.fromAsset("src"),
      role,
    });
  }
}
'''

_NOTEBOOK_CELLS = (
    (
        '''import boto3

client = boto3.client("bedrock-runtime", region_name="us-east-1")''',
        '''response = client.converse(
    modelId="anthropic.claude-3-haiku-20240307-v1:0",
    messages=[{"role": "user", "content": [{"text": "Hello"}]}],
)
print(response["output"]["message"]["content"][0]["text"])''',
    ),
    (
        '''import boto3

runtime = boto3.client("bedrock-runtime")
MODEL = "us.amazon.nova-pro-v1:0"''',
        '''stream = runtime.converse_stream(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
for event in stream["stream"]:
    if "contentBlockDelta" in event:
        print(event["contentBlockDelta"]["delta"]["text"], end="")''',
    ),
)


def notebook(cells: tuple[str, ...], title: str) -> str:
    """An nbformat 4 notebook: a Markdown title, then one code cell per item of ``cells``."""
    code_cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": code.splitlines(keepends=True)} for code in cells]
    document = {
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": [f"# {title}\n"]}, *code_cells],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1) + "\n"


def notebook_code(text: str) -> str:
    """The code cells of a notebook joined into the one module they form (these notebooks have no magics)."""
    cells = json.loads(text)["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


def write_mixed_tree(root: Path, noise: int) -> None:
    """A realistic repository: a Bedrock package, IaC, notebooks and ``noise`` unrelated files, committed."""
    package = root / "src" / "assistant"
    _write(package / "__init__.py", '"""The assistant package."""\n')
    _write(package / "settings.py", _SETTINGS_MODULE)
    _write(package / "session.py", _SESSION_MODULE)
    _write(package / "handler.py", _HANDLER_MODULE)
    for index in range(_PACKAGE_MODULES):
        _write(package / "services" / f"service_{index}.py", service_module(index))
    _write(package / "services" / "__init__.py", "")
    _write(root / "template.yaml", _SAM_TEMPLATE)
    _write(root / "infra" / "cloudformation" / "summariser.json", json.dumps(_CLOUDFORMATION_TEMPLATE, indent=2) + "\n")
    _write(root / "infra" / "terraform" / "iam.tf", _TERRAFORM_FILE)
    _write(root / "infra" / "cdk" / "lib" / "assistant-stack.ts", _CDK_STACK)
    for index, cells in enumerate(_NOTEBOOK_CELLS):
        _write(root / "notebooks" / f"explore_{index}.ipynb", notebook(cells, f"Exploration {index}"))
    _write(root / ".gitignore", "__pycache__/\n*.pyc\n/dist/\n.env\n")
    add_noise(root, 0, noise)
    _commit(root)


def add_noise(root: Path, start: int, count: int) -> None:
    """Files ``start`` .. ``start + count - 1`` that never mention Bedrock, spread over folders like a real repo."""
    writers = (_noise_python, _noise_typescript, _noise_json, _noise_markdown)
    for index in range(start, start + count):
        relpath, text = writers[index % len(writers)](index)
        _write(root / relpath, text)


def _noise_python(index: int) -> tuple[str, str]:
    functions = "\n\n".join(
        f"def step_{n}(rows: list[dict]) -> list[dict]:\n"
        f"    \"\"\"Stage {n} of pipeline {index}.\"\"\"\n"
        f"    return [{{**row, \"stage\": {n}}} for row in rows if row.get(\"keep\", True)]\n"
        for n in range(12)
    )
    text = f'"""Pipeline {index}: plain data processing."""\nimport itertools\n\n\n{functions}'
    return f"src/pipelines/group_{index // 200:03d}/pipeline_{index:05d}.py", text


def _noise_typescript(index: int) -> tuple[str, str]:
    text = (
        f"export interface Row{index} {{\n  id: number;\n  name: string;\n  tags: string[];\n}}\n\n"
        f"export function render{index}(rows: Row{index}[]): string {{\n"
        "  return rows.map((row) => `${row.id}: ${row.name} [${row.tags.join(\", \")}]`).join(\"\\n\");\n}\n"
    ) * 3
    return f"web/src/components/group_{index // 200:03d}/component_{index:05d}.ts", text


def _noise_json(index: int) -> tuple[str, str]:
    document = {"name": f"fixture-{index}", "version": f"1.{index}.0",
                "rows": [{"id": n, "label": f"row {n}", "enabled": n % 2 == 0} for n in range(20)]}
    return f"data/group_{index // 200:03d}/fixture_{index:05d}.json", json.dumps(document, indent=2) + "\n"


def _noise_markdown(index: int) -> tuple[str, str]:
    text = f"# Note {index}\n\n" + "".join(
        f"## Section {n}\n\nThe service reads rows, filters them and writes a report ({index}.{n}).\n\n"
        for n in range(8)
    )
    return f"docs/group_{index // 200:03d}/note_{index:05d}.md", text


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _commit(root: Path) -> None:
    """A git repository with everything committed, so ``git grep`` searches what the walk walks."""
    identity = ["-c", "user.name=benchmark", "-c", "user.email=benchmark@example.invalid", "-c", "commit.gpgsign=false"]
    for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "benchmark tree"]):
        subprocess.run(["git", "-C", str(root), *command], check=True, capture_output=True)
