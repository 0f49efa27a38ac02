"""B2O101: Bedrock Runtime clients become OpenAI SDK clients for OpenRouter."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock2openrouter.python.rules import b2o101_client

from .migrated import (
    assert_fixture_pair,
    assert_rewrites,
    assert_unchanged,
    fixture_cases,
)


def test_module_declares_its_code():
    assert b2o101_client.CODE == "B2O101" and b2o101_client.KIND == "client"


def test_retries_and_timeouts_carry_over_and_unused_imports_go(tmp_path: Path):
    assert_rewrites(
        """\
        import boto3
        from botocore.config import Config

        client = boto3.client("bedrock-runtime", region_name="eu-west-1",
                              config=Config(retries={"max_attempts": 4}, read_timeout=30))


        def ask(text):
            response = client.converse(modelId="m", messages=[{"role": "user", "content": [{"text": text}]}])
            return response["output"]["message"]["content"][0]["text"]
        """,
        """\
        from _openrouter import openrouter_client

        client = openrouter_client(max_retries=3, timeout=30)


        def ask(text):
            response = client.chat.completions.create(model="m", messages=[{"role": "user", "content": text}])
            return response.choices[0].message.content
        """,
        tmp_path,
    )


def test_an_import_the_new_code_still_reads_stays(tmp_path: Path):
    """``os`` fed the client's timeout: it survives in the new call, so its import does too."""
    assert_rewrites(
        """\
        import os
        import boto3
        from botocore.config import Config

        client = boto3.client("bedrock-runtime", config=Config(read_timeout=int(os.environ["TIMEOUT"])))
        reply = client.converse(modelId="m", messages=[{"role": "user", "content": [{"text": "hi"}]}])
        """,
        """\
        import os
        from _openrouter import openrouter_client

        client = openrouter_client(timeout=int(os.environ["TIMEOUT"]))
        reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        """,
        tmp_path,
    )


def test_a_client_with_a_bedrock_shaped_call_keeps_its_original_for_what_openrouter_cannot_answer(tmp_path: Path):
    """Such a call may hand a request to Bedrock (a kept Bedrock ID, a field it cannot carry): the original makes it."""
    assert_rewrites(
        """\
        import boto3

        client = boto3.client("bedrock-runtime", region_name="eu-west-1")


        def ask(messages):
            return client.converse(modelId="m", messages=messages)
        """,
        """\
        import boto3
        from _openrouter import bedrock_converse, openrouter_client

        client = openrouter_client(
            bedrock=lambda: boto3.client("bedrock-runtime", region_name="eu-west-1"),
        )


        def ask(messages):
            return bedrock_converse(client, modelId="m", messages=messages)
        """,
        tmp_path,
    )


def test_a_client_kept_for_invoke_model_is_left_alone(tmp_path: Path):
    assert_unchanged(
        """\
        import json
        import boto3

        client = boto3.client("bedrock-runtime")
        body = client.invoke_model(modelId="anthropic.claude-v2", body=json.dumps({"prompt": "hi"}))
        """,
        tmp_path,
    )


def test_other_services_are_no_concern(tmp_path: Path):
    assert_unchanged('import boto3\n\ns3 = boto3.client("s3")\ns3.list_buckets()\n', tmp_path)


@pytest.mark.parametrize("case", fixture_cases("B2O101"), ids=lambda case: case.name)
def test_fixture_pair(case: Path, tmp_path: Path):
    assert_fixture_pair(case, tmp_path)
