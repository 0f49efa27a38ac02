"""B2O102: Converse calls on a migrated client become chat completions, or answer in Bedrock's shape."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bedrock2openrouter.cli import app
from bedrock2openrouter.python.rules import b2o102_converse

from ..conftest import FIXTURES
from .migrated import (
    assert_fixture_pair,
    assert_rewrites,
    assert_unchanged,
    fixture_cases,
    migrated,
    runner,
)


def test_module_declares_its_method():
    assert (b2o102_converse.CODE, b2o102_converse.KIND, b2o102_converse.METHOD) == ("B2O102", "call", "converse")


def test_stop_reason_comparison_follows_the_finish_reason(tmp_path: Path):
    assert_rewrites(
        """\
        import boto3

        bedrock = boto3.client("bedrock-runtime")


        def truncated(text):
            response = bedrock.converse(modelId="m", messages=[{"role": "user", "content": [{"text": text}]}])
            return response["stopReason"] != 'max_tokens'
        """,
        """\
        from _openrouter import openrouter_client

        bedrock = openrouter_client()


        def truncated(text):
            response = bedrock.chat.completions.create(model="m", messages=[{"role": "user", "content": text}])
            return response.choices[0].finish_reason != 'length'
        """,
        tmp_path,
    )


def test_a_response_that_leaves_the_function_keeps_bedrocks_shape(tmp_path: Path):
    assert_rewrites(
        """\
        import boto3

        bedrock = boto3.client("bedrock-runtime")


        def ask(messages):
            return bedrock.converse(modelId="m", messages=messages)
        """,
        """\
        import boto3
        from _openrouter import bedrock_converse, openrouter_client

        bedrock = openrouter_client(
            bedrock=lambda: boto3.client("bedrock-runtime"),
        )


        def ask(messages):
            return bedrock_converse(bedrock, modelId="m", messages=messages)
        """,
        tmp_path,
    )


def test_a_projects_own_converse_method_is_not_the_sdk(tmp_path: Path):
    assert_unchanged(
        """\
        class Chat:
            def converse(self, modelId, messages):
                return {"output": {"message": {"content": [{"text": "local"}]}}}


        reply = Chat().converse(modelId="m", messages=[])
        """,
        tmp_path,
    )


def test_compat_calls_and_dropped_options_are_reported(tmp_path: Path):
    project = shutil.copytree(FIXTURES / "python" / "B2O102_converse_compat" / "before", tmp_path / "compat")
    result = runner.invoke(app, ["migrate", str(project)])
    assert result.exit_code == 1  # follow-ups: the calls kept Bedrock's response shape
    assert result.stdout.count("B2O106") == 5
    client = runner.invoke(app, ["migrate", str(shutil.copytree(FIXTURES / "python" / "B2O101_client" / "before",
                                                                  tmp_path / "client"))])
    assert "endpoint_url has no OpenRouter equivalent" in client.stdout


@pytest.mark.parametrize("case", fixture_cases("B2O102"), ids=lambda case: case.name)
def test_fixture_pair(case: Path, tmp_path: Path):
    assert_fixture_pair(case, tmp_path)


def test_a_client_error_handler_that_ignores_the_error_also_catches_openai_errors(tmp_path: Path):
    assert_rewrites(
        """\
        import boto3
        from botocore.exceptions import ClientError

        bedrock = boto3.client("bedrock-runtime")


        def ask(text):
            try:
                response = bedrock.converse(modelId="m", messages=[{"role": "user", "content": [{"text": text}]}])
            except ClientError:
                return None
            return response["output"]["message"]["content"][0]["text"]
        """,
        """\
        from botocore.exceptions import ClientError
        from _openrouter import openrouter_client
        from openai import APIError

        bedrock = openrouter_client()


        def ask(text):
            try:
                response = bedrock.chat.completions.create(model="m", messages=[{"role": "user", "content": text}])
            except (ClientError, APIError):
                return None
            return response.choices[0].message.content
        """,
        tmp_path,
    )


def test_a_handler_that_reads_the_client_error_keeps_the_call_in_bedrock_s_shape(tmp_path: Path):
    after = migrated(
        """\
        import boto3
        from botocore.exceptions import ClientError

        bedrock = boto3.client("bedrock-runtime")


        def ask(text):
            try:
                response = bedrock.converse(modelId="m", messages=[{"role": "user", "content": [{"text": text}]}])
            except ClientError as error:
                return error.response["Error"]["Code"]
            return response["output"]["message"]["content"][0]["text"]
        """,
        tmp_path,
    )
    assert "bedrock_converse(bedrock, modelId=" in after and "except ClientError as error:" in after
