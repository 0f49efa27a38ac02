"""B2O402: foundation-model and inference-profile ARNs become the OpenRouter ID of the model they name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock2openrouter.engine import scan
from bedrock2openrouter.modelids import find_model_references
from bedrock2openrouter.textids.rules import b2o402_model_arn, rule_for

from .migrated import assert_fixture_pair, fixture_cases, migrated

PROFILE_ARN = "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.meta.llama3-1-70b-instruct-v1:0"


def test_module_declares_its_code_and_claims_arns_that_name_a_model():
    (reference,) = find_model_references(f'"{PROFILE_ARN}"')
    assert rule_for(reference) is b2o402_model_arn
    assert b2o402_model_arn.message(reference) == (
        "Bedrock inference-profile ARN for 'us.meta.llama3-1-70b-instruct-v1:0'")


@pytest.mark.parametrize("case", fixture_cases("B2O402"), ids=lambda case: case.name)
def test_fixture_pair(case: Path, tmp_path: Path):
    assert_fixture_pair(case, tmp_path)


def test_the_whole_arn_is_replaced_and_nothing_around_it(tmp_path: Path):
    after = migrated(f"profile = '{PROFILE_ARN}'  # the shared profile\n", tmp_path, "settings.toml")
    assert after == "profile = 'meta-llama/llama-3.1-70b-instruct'  # the shared profile\n"


def test_an_arn_that_hides_its_model_stays(tmp_path: Path):
    text = '{"model": "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"}\n'
    assert migrated(text, tmp_path, "models.json") == text
    assert [finding.rule for finding in scan(tmp_path).findings] == ["B2O306"]
