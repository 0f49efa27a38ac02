"""B2O603: a Marketplace statement goes with the invocation grants it served, and only with them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bedrock2openrouter.engine import scan
from bedrock2openrouter.iac.rules import (
    b2o603_marketplace_statement,
    finding_for,
    scope,
)
from bedrock2openrouter.iac.statements import classify_statement

from .migrated import assert_fixture_pair, fixture_cases, migrated

MARKETPLACE = ["aws-marketplace:ViewSubscriptions", "aws-marketplace:Subscribe"]


def test_module_declares_its_code_and_kind():
    verdict = classify_statement(MARKETPLACE)
    assert finding_for(verdict) == ("B2O603", b2o603_marketplace_statement.message(verdict))


def test_it_goes_only_in_a_file_that_grants_invocation():
    verdict = classify_statement(MARKETPLACE)
    assert scope(verdict, granted=True, complete=True) == "statement"
    assert scope(verdict, granted=False, complete=True) is None


@pytest.mark.parametrize("case", fixture_cases("B2O603"), ids=lambda case: case.name)
def test_fixture_pair(case: Path, tmp_path: Path):
    assert_fixture_pair(case, tmp_path)


def test_beside_a_knowledge_base_grant_it_stays_reported(tmp_path: Path):
    policy = """\
        {
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": "bedrock:RetrieveAndGenerate", "Resource": "*"},
            {"Effect": "Allow", "Action": ["aws-marketplace:ViewSubscriptions"], "Resource": "*"}
          ]
        }
        """
    assert migrated(policy, tmp_path, "policy.json") == textwrap.dedent(policy)
    assert sorted(finding.rule for finding in scan(tmp_path).findings) == ["B2O603", "B2O604"]


def test_without_any_bedrock_grant_it_is_not_bedrock_s(tmp_path: Path):
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "aws-marketplace:Subscribe", "Resource": "*"}]}\n'
    assert migrated(policy, tmp_path, "policy.json") == policy
    assert scan(tmp_path).findings == []
