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


def test_a_label_that_names_the_old_model_is_reported_when_the_model_changes(tmp_path: Path):
    from bedrock2openrouter.config import Settings
    from bedrock2openrouter.engine import plan_migration

    (tmp_path / "picker.vue").write_text(
        '<template>\n  <select>\n'
        '    <option value="anthropic.claude-3-5-sonnet-20240620-v1:0">Claude 3.5 Sonnet</option>\n'
        '    <option value="anthropic.claude-3-haiku-20240307-v1:0">Claude 3 Haiku</option>\n'
        '  </select>\n</template>\n', encoding="utf-8")
    notes = {f.line: f.message for f in plan_migration(tmp_path, Settings(jobs=1)).follow_ups if f.rule == "B2O403"}
    assert "the label 'Claude 3.5 Sonnet' beside it still names the model it was" in notes[3]
    assert 4 not in notes  # an exact mapping: the label still names the model
