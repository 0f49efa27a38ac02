"""The kind table: what a file is follows from its name, or for structured files from what it holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bedrock2openrouter.config import Settings
from bedrock2openrouter.engine import scan
from bedrock2openrouter.filekinds import FileKind, kind_of

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: invoke
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: bedrock:InvokeModel
                Resource: "*"
"""
AS_JSON = json.dumps(yaml.safe_load(TEMPLATE), indent=2) + "\n"


@pytest.mark.parametrize(("name", "text", "kind"), [
    ("app/chat.py", "", FileKind.PYTHON),
    ("explore.ipynb", "{}", FileKind.NOTEBOOK),
    ("stack.ts", "", FileKind.TYPESCRIPT),
    ("view.tsx", "", FileKind.TYPESCRIPT),
    ("index.mjs", "", FileKind.JAVASCRIPT),
    ("main.tf", "", FileKind.TERRAFORM),
    ("main.tf.json", "{}", FileKind.TERRAFORM),
    ("NOTES.md", "", FileKind.DOCUMENT),
    ("stack.template", TEMPLATE, FileKind.CLOUDFORMATION),
    ("stack.template", AS_JSON, FileKind.CLOUDFORMATION),
    ("infra.json", AS_JSON, FileKind.CLOUDFORMATION),
    ("deploy.yml", "Transform: AWS::Serverless-2016-10-31\nResources: {}\n", FileKind.SAM),
    ("deploy.yml", "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\nResources: {}\n", FileKind.SAM),
    ("anything.yaml", "service: x\nprovider:\n  name: aws\n", FileKind.SERVERLESS),
    ("flow.json", '{"StartAt": "A", "States": {}}', FileKind.STEP_FUNCTIONS),
    ("policy.json", '{"Version": "2012-10-17", "Statement": []}', FileKind.IAM_JSON),
    ("ci.yml", "on: push\njobs: {}\n", FileKind.TEXT),
    ("package.json", '{"name": "x"}', FileKind.TEXT),
    (".env", "MODEL=x\n", FileKind.TEXT),
    ("broken.template", "Resources: [\n", FileKind.CLOUDFORMATION),  # infrastructure by name: its parse error is reported
    ("helm.yaml", "{{ .Values.x }}: [\n", FileKind.TEXT),  # someone else's template language: not ours
])
def test_kind_of(name: str, text: str, kind: FileKind):
    assert kind_of(name, text) is kind


@pytest.mark.parametrize("name, text", [
    ("template.yaml", TEMPLATE), ("stack.template", TEMPLATE), ("stack-json.template", AS_JSON), ("infra.json", AS_JSON),
])
def test_a_template_is_scanned_as_infrastructure_whatever_its_name(tmp_path: Path, name: str, text: str):
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = scan(tmp_path, Settings(jobs=1))
    assert [(f.path, f.rule) for f in result.findings] == [(name, "B2O601")]


def test_an_unparsable_template_is_an_error_not_silence(tmp_path: Path):
    (tmp_path / "stack.template").write_text("Resources:\n  Role: [bedrock\n", encoding="utf-8")
    result = scan(tmp_path, Settings(jobs=1))
    assert [error.path for error in result.errors] == ["stack.template"]
