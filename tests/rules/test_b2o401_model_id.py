"""B2O401: Bedrock model IDs in any text file become OpenRouter IDs; the characters around them stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock2openrouter.engine import scan
from bedrock2openrouter.textids.rules import b2o401_model_id

from .migrated import assert_fixture_pair, fixture_cases, migrated


def test_module_declares_its_code():
    assert b2o401_model_id.CODE == "B2O401"


@pytest.mark.parametrize("case", fixture_cases("B2O401"), ids=lambda case: case.name)
def test_fixture_pair(case: Path, tmp_path: Path):
    assert_fixture_pair(case, tmp_path)


def test_a_regional_prefix_is_the_table_s_business(tmp_path: Path):
    assert migrated('MODEL = "eu.anthropic.claude-3-haiku-20240307-v1:0"\n', tmp_path, "models.cfg") == (
        'MODEL = "anthropic/claude-3-haiku"\n')


def test_an_id_the_table_does_not_know_stays_and_is_reported(tmp_path: Path):
    text = 'model: anthropic.claude-9-imaginary-20990101-v1:0\n'
    assert migrated(text, tmp_path, "models.yaml") == text
    (finding,) = scan(tmp_path).findings
    assert (finding.rule, finding.subject) == ("B2O401", "anthropic.claude-9-imaginary-20990101-v1:0")


def test_an_embedding_model_is_not_claimed(tmp_path: Path):
    text = 'EMBEDDINGS=amazon.titan-embed-text-v2:0\n'
    assert migrated(text, tmp_path, ".env") == text
    assert [finding.rule for finding in scan(tmp_path).findings] == ["B2O301"]
