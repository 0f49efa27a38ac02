"""B2O602: a statement that mixes invocation with other actions keeps the other actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock2openrouter.iac.rules import (
    actions_removed,
    b2o602_mixed_statement,
    finding_for,
    scope,
)
from bedrock2openrouter.iac.statements import classify_statement

from .migrated import assert_fixture_pair, fixture_cases, migrated


def test_module_declares_its_code_and_kind():
    verdict = classify_statement(["logs:PutLogEvents", "bedrock:InvokeModel"])
    assert finding_for(verdict) == ("B2O602", b2o602_mixed_statement.message(verdict))
    assert verdict.kept_actions == ("logs:PutLogEvents",)
    assert actions_removed(["bedrock:InvokeModel"], verdict.kept_actions) == (
        "removed bedrock:InvokeModel from a statement that keeps logs:PutLogEvents")


def test_only_the_bedrock_actions_go_unless_the_rest_is_marketplace():
    assert scope(classify_statement(["logs:PutLogEvents", "bedrock:InvokeModel"]),
                 granted=True, complete=True) == "actions"
    assert scope(classify_statement(["bedrock:InvokeModel", "aws-marketplace:Subscribe"]),
                 granted=True, complete=True) == "statement"
    # Knowledge Base retrieval stays on AWS, so its action keeps the statement.
    assert scope(classify_statement(["bedrock:InvokeModel", "bedrock:Retrieve"]),
                 granted=True, complete=True) == "actions"


@pytest.mark.parametrize("case", fixture_cases("B2O602"), ids=lambda case: case.name)
def test_fixture_pair(case: Path, tmp_path: Path):
    assert_fixture_pair(case, tmp_path)


def test_invocation_with_only_marketplace_beside_it_goes_whole(tmp_path: Path):
    before = """\
        {
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": ["bedrock:InvokeModel", "aws-marketplace:Subscribe"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}
          ]
        }
        """
    after = migrated(before, tmp_path, "policy.json")
    assert "bedrock" not in after and "aws-marketplace" not in after and '"s3:GetObject"' in after


def test_a_knowledge_base_action_stays_beside_the_removed_invocation(tmp_path: Path):
    before = """\
        {
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": ["bedrock:Retrieve", "bedrock:InvokeModel"], "Resource": "*"}
          ]
        }
        """
    after = migrated(before, tmp_path, "policy.json")
    assert '"bedrock:Retrieve"' in after and "InvokeModel" not in after
