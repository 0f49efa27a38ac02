"""The model table: resolution rules, the packaged data against OpenRouter snapshots, the `models` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bedrock2openrouter.cli import app
from bedrock2openrouter.modelmap import ModelMap, ModelMapError, Resolution

from .conftest import FIXTURES, REPO

runner = CliRunner()
TABLE = ModelMap.load()
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def _snapshot_ids(name: str) -> set[str]:
    document = json.loads((REPO / "tests" / "data" / name).read_text(encoding="utf-8"))
    return {model["id"] for model in document["models"]}


NEWEST = _snapshot_ids("openrouter_models_2026-05.json")
PREVIOUS = _snapshot_ids("openrouter_models_2025-02.json")


# -- the packaged data -------------------------------------------------------------------


def test_every_openrouter_id_and_replacement_exists_in_a_snapshot():
    missing = [
        (row.bedrock_id, target)
        for row in TABLE.rows.values()
        for target in (row.openrouter_id, row.replacement)
        if target is not None and target not in NEWEST | PREVIOUS
    ]
    assert missing == []


def test_live_rows_are_in_the_newest_snapshot_and_retired_rows_have_a_live_replacement():
    for row in TABLE.rows.values():
        if row.openrouter_id is None:
            assert row.status is None and row.replacement is None, row.bedrock_id
        elif row.status == "live":
            assert row.openrouter_id in NEWEST, row.bedrock_id
        else:
            assert row.status == "retired", row.bedrock_id
            assert row.openrouter_id not in NEWEST, row.bedrock_id
            assert row.replacement in NEWEST, row.bedrock_id


def test_table_covers_every_chat_model_of_the_draft_and_records_the_snapshot():
    assert TABLE.snapshot["openrouter"] == "2026-05-15"
    chat = [row for row in TABLE.rows.values() if row.kind == "chat"]
    assert len(chat) >= 100
    assert {"embedding", "image", "rerank", "speech"} <= {row.kind for row in TABLE.rows.values()}
    assert all(row.openrouter_id is None for row in TABLE.rows.values() if row.kind != "chat")


# -- resolution rules ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["us.", "eu.", "apac.", "global.", "jp.", "au.", "ca.", "us-gov."])
def test_every_regional_prefix_strips_to_the_base_model(prefix):
    resolution = TABLE.resolve(prefix + HAIKU)
    assert (resolution.normalized, resolution.status, resolution.openrouter_id) == (
        HAIKU, Resolution.EXACT, "anthropic/claude-3-haiku"
    )


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
        f"arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/{HAIKU}",
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}",
        f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{HAIKU}",
    ],
)
def test_foundation_model_and_inference_profile_arns(arn):
    resolution = TABLE.resolve(arn)
    assert (resolution.normalized, resolution.status) == (HAIKU, Resolution.EXACT)


@pytest.mark.parametrize(
    "kind", ["application-inference-profile", "provisioned-model", "custom-model", "imported-model"]
)
def test_opaque_arns(kind):
    resolution = TABLE.resolve(f"arn:aws:bedrock:us-east-1:123456789012:{kind}/a1b2c3d4e5")
    assert (resolution.status, resolution.openrouter_id, resolution.normalized) == (Resolution.OPAQUE, None, None)
    assert "--model-map" in resolution.note


@pytest.mark.parametrize(
    ("model", "normalized"),
    [
        ("anthropic.claude-3-sonnet-20240229-v1:0:28k", "anthropic.claude-3-sonnet-20240229-v1:0"),
        ("anthropic.claude-v2:1:200k", "anthropic.claude-v2:1"),
        ("us.anthropic.claude-v2:1:200k", "anthropic.claude-v2:1"),
        ("anthropic.claude-instant-v1:2:100k", "anthropic.claude-instant-v1"),
        ("cohere.command-text-v14:7:4k", "cohere.command-text-v14"),
    ],
)
def test_provisioned_throughput_suffixes(model, normalized):
    assert TABLE.resolve(model).normalized == normalized


def test_claude_v2_and_v2_1_are_different_models():
    v2, v2_1 = TABLE.resolve("anthropic.claude-v2"), TABLE.resolve("anthropic.claude-v2:1")
    assert (v2.normalized, v2.row.openrouter_id) == ("anthropic.claude-v2", "anthropic/claude-2.0")
    assert (v2_1.normalized, v2_1.row.openrouter_id) == ("anthropic.claude-v2:1", "anthropic/claude-2.1")
    assert TABLE.resolve("anthropic.claude-v2:3").status is Resolution.UNKNOWN  # no :N is dropped blindly


def test_mistral_v0_2_is_version_0_2():
    resolution = TABLE.resolve("mistral.mistral-7b-instruct-v0:2")
    assert resolution.row.openrouter_id == "mistralai/mistral-7b-instruct-v0.2"


def test_retired_models_use_the_replacement_unless_kept():
    replaced = TABLE.resolve("anthropic.claude-v2:1")
    assert replaced.status is Resolution.REPLACED
    assert replaced.openrouter_id == replaced.row.replacement != replaced.row.openrouter_id
    assert "anthropic/claude-2.1" in replaced.note and replaced.openrouter_id in replaced.note
    kept = TABLE.resolve("anthropic.claude-v2:1", keep_retired=True)
    assert (kept.status, kept.openrouter_id) == (Resolution.EXACT, "anthropic/claude-2.1")


@pytest.mark.parametrize(
    ("model", "normalized"),
    [
        ("anthropic.claude-3-haiku-20240307-v1", HAIKU),  # ":0" missing
        ("openai.gpt-oss-120b", "openai.gpt-oss-120b-1:0"),
        ("anthropic.claude-opus-4-6-v1", "anthropic.claude-opus-4-6-v1"),
    ],
)
def test_documented_version_fallbacks(model, normalized):
    assert TABLE.resolve(model).normalized == normalized


@pytest.mark.parametrize("model", ["anthropic.claude-9-imaginary-v1:0", "example.model", "anthropic.claude"])
def test_unknown_ids(model):
    resolution = TABLE.resolve(model)
    assert (resolution.status, resolution.openrouter_id, resolution.kind) == (Resolution.UNKNOWN, None, None)


def test_models_without_an_equivalent():
    resolution = TABLE.resolve("us.amazon.titan-embed-text-v2:0")
    assert (resolution.status, resolution.kind) == (Resolution.NO_EQUIVALENT, "embedding")


# -- user files --------------------------------------------------------------------------

USER_MAP = """\
models:
  - bedrock_id: anthropic.claude-3-haiku-20240307-v1:0
    openrouter_id: anthropic/claude-haiku-4.5
    match: approximate
    note: We moved to Haiku 4.5.
  - bedrock_id: arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5
    openrouter_id: anthropic/claude-sonnet-4
"""


def test_user_file_overrides_and_adds_rows(tmp_path: Path):
    user = tmp_path / "models.yaml"
    user.write_text(USER_MAP, encoding="utf-8")
    table = ModelMap.load(user)
    override = table.resolve("us." + HAIKU)
    assert (override.status, override.openrouter_id, override.note) == (
        Resolution.APPROXIMATE, "anthropic/claude-haiku-4.5", "We moved to Haiku 4.5."
    )
    added = table.resolve("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5")
    assert (added.status, added.openrouter_id) == (Resolution.EXACT, "anthropic/claude-sonnet-4")
    assert TABLE.resolve("us." + HAIKU).openrouter_id == "anthropic/claude-3-haiku"  # packaged table untouched


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("models:\n  - bedrock_id: a.b\n    openrouter_id: x/y\n    kind: vision\n",
         "row 1 (a.b): field 'kind' must be one of chat, embedding, image, rerank, speech, not 'vision'"),
        ("models:\n  - openrouter_id: x/y\n", "row 1: field 'bedrock_id' is required"),
        ("models:\n  - bedrock_id: a.b\n    openrouter_id: x/y\n  - bedrock_id: c.d\n    open_router: x/y\n",
         "row 2 (c.d): unknown field 'open_router'"),
        ("models:\n  - bedrock_id: a.b\n    openrouter_id: x/y\n    status: retired\n",
         "row 1 (a.b): field 'replacement' is required when status is retired"),
        ("models:\n  - bedrock_id: a.b\n    openrouter_id: x/y\n    price: {openrouter: {input: cheap}}\n",
         "row 1 (a.b): field 'price' must map"),
        ("models: [\n", "is not valid YAML"),
        ("rows: []\n", "expected a mapping with a 'models' list"),
    ],
)
def test_malformed_user_file_names_the_row_and_field(tmp_path: Path, text, message):
    user = tmp_path / "models.yaml"
    user.write_text(text, encoding="utf-8")
    with pytest.raises(ModelMapError, match=None) as raised:
        ModelMap.load(user)
    assert message in str(raised.value)
    assert str(user) in str(raised.value)


# -- the commands -----------------------------------------------------------------------


def test_models_show_json_for_a_regional_profile_id():
    result = runner.invoke(app, ["models", "show", "us.anthropic.claude-3-5-haiku-20241022-v1:0", "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert {key: document[key] for key in ("input", "normalized", "kind", "status", "openrouter_id")} == {
        "input": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "normalized": "anthropic.claude-3-5-haiku-20241022-v1:0",
        "kind": "chat",
        "status": "exact",
        "openrouter_id": "anthropic/claude-3.5-haiku",
    }
    assert document["note"]
    assert document["price"]["bedrock"] == {"input": 0.8, "output": 4.0}


def test_models_show_json_for_a_foundation_model_arn():
    arn = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
    result = runner.invoke(app, ["models", "show", arn, "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert {key: document[key] for key in ("input", "normalized", "kind", "status", "openrouter_id")} == {
        "input": arn,
        "normalized": "anthropic.claude-3-haiku-20240307-v1:0",
        "kind": "chat",
        "status": "exact",
        "openrouter_id": "anthropic/claude-3-haiku",
    }


def test_models_show_table_prints_both_prices():
    result = runner.invoke(app, ["models", "show", "anthropic.claude-3-haiku-20240307-v1:0"])
    assert result.exit_code == 0
    assert "$0.25 in / $1.25 out per 1M tokens" in result.stdout
    assert "(anthropic/claude-3-haiku)" in result.stdout and "(anthropic.claude-3-haiku-20240307-v1:0)" in result.stdout


def test_models_list_filters_by_kind():
    result = runner.invoke(app, ["models", "list", "--kind", "rerank", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [row["bedrock_id"] for row in rows] == ["amazon.rerank-v1:0", "cohere.rerank-v3-5:0"]
    bad = runner.invoke(app, ["models", "list", "--kind", "vision"])
    assert bad.exit_code == 2 and "--kind must be one of" in bad.stderr


def test_models_check_exit_codes_and_user_map(tmp_path: Path):
    clean = runner.invoke(app, ["models", "check", str(FIXTURES / "demo" / "thinktank")])
    assert clean.exit_code == 0
    assert "12 model references (5 distinct): 0 unknown" in clean.stdout

    (tmp_path / "config.json").write_text(
        '{"model": "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5"}\n',
        encoding="utf-8",
    )
    flagged = runner.invoke(app, ["models", "check", str(tmp_path)])
    assert flagged.exit_code == 1
    assert "opaque" in flagged.stdout

    user = tmp_path / "models.yaml"
    user.write_text(USER_MAP, encoding="utf-8")
    mapped = runner.invoke(app, ["models", "check", str(tmp_path), "--model-map", str(user)])
    assert mapped.exit_code == 0
    (tmp_path / "pyproject.toml").write_text('[tool.bedrock2openrouter]\nmodel_map = "models.yaml"\n', encoding="utf-8")
    assert runner.invoke(app, ["models", "check", str(tmp_path)]).exit_code == 0


def test_malformed_user_file_exits_2_with_one_line(tmp_path: Path):
    user = tmp_path / "models.yaml"
    user.write_text("models:\n  - bedrock_id: a.b\n", encoding="utf-8")
    result = runner.invoke(app, ["models", "show", "a.b", "--model-map", str(user)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: model map {user}: row 1 (a.b): field 'openrouter_id' is required (null when OpenRouter has no equivalent)"
    ]
