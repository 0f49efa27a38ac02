"""B2O601: a statement that grants only model invocation goes, in every infrastructure format."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock2openrouter.engine import scan
from bedrock2openrouter.iac.rules import b2o601_invoke_statement, finding_for, scope
from bedrock2openrouter.iac.statements import classify_statement

from .migrated import assert_fixture_pair, fixture_cases, migrated


def test_module_declares_its_code_and_kind():
    assert b2o601_invoke_statement.CODE == "B2O601"
    verdict = classify_statement(["bedrock:InvokeModel", "bedrock:Converse*"])
    assert finding_for(verdict) == ("B2O601", b2o601_invoke_statement.message(verdict))


def test_the_whole_statement_goes_only_when_every_action_is_a_literal():
    verdict = classify_statement(["bedrock:InvokeModel"])
    assert scope(verdict, granted=True, complete=True) == "statement"
    assert scope(verdict, granted=True, complete=False) == "actions"


@pytest.mark.parametrize("case", fixture_cases("B2O601"), ids=lambda case: case.name)
def test_fixture_pair(case: Path, tmp_path: Path):
    assert_fixture_pair(case, tmp_path)


def test_an_action_from_a_parameter_keeps_the_statement(tmp_path: Path):
    before = """\
        AWSTemplateFormatVersion: "2010-09-09"
        Parameters:
          ExtraAction:
            Type: String
        Resources:
          Policy:
            Type: AWS::IAM::ManagedPolicy
            Properties:
              PolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Action:
                      - bedrock:InvokeModel
                      - !Ref ExtraAction
                    Resource: "*"
        """
    after = migrated(before, tmp_path, "template.yaml")
    assert "bedrock:InvokeModel" not in after
    assert "- !Ref ExtraAction" in after and "Statement:\n          - Effect: Allow" in after


@pytest.mark.parametrize("statement", [
    '{"Effect": "Deny", "Action": "bedrock:InvokeModel", "Resource": "*"}',
    '{"Effect": "Allow", "NotAction": "bedrock:InvokeModel", "Resource": "*"}',
], ids=["deny", "not-action"])
def test_a_statement_that_narrows_access_stays_and_is_not_reported(statement: str, tmp_path: Path):
    policy = f'{{"Version": "2012-10-17", "Statement": [{statement}]}}\n'
    assert migrated(policy, tmp_path, "policy.json") == policy
    assert [finding.rule for finding in scan(tmp_path).findings] == []
