"""B2O103: ConverseStream calls whose loop reads only text deltas become streamed chat completions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock2openrouter.python.rules import b2o103_converse_stream

from .migrated import assert_fixture_pair, assert_rewrites, fixture_cases

_BEFORE = """\
    import boto3

    bedrock = boto3.client("bedrock-runtime")


    def stream(text):
        response = bedrock.converse_stream(modelId="m", messages=[{"role": "user", "content": [{"text": text}]}])
        for event in response["stream"]:
            if "contentBlockDelta" in event:
                print(event["contentBlockDelta"]["delta"]["text"], end="")
    {extra}"""


def test_module_declares_its_method():
    assert (b2o103_converse_stream.CODE, b2o103_converse_stream.METHOD) == ("B2O103", "converse_stream")


def test_a_text_delta_loop_becomes_a_loop_over_chunks(tmp_path: Path):
    assert_rewrites(
        _BEFORE.replace("{extra}", ""),
        """\
        from _openrouter import openrouter_client

        bedrock = openrouter_client()


        def stream(text):
            response = bedrock.chat.completions.create(model="m", messages=[{"role": "user", "content": text}], stream=True)
            for event in response:
                if event.choices and event.choices[0].delta.content:
                    print(event.choices[0].delta.content, end="")
        """,
        tmp_path,
    )


def test_a_loop_that_reads_the_stop_event_keeps_bedrocks_events(tmp_path: Path):
    before = _BEFORE.replace("{extra}", """        elif "messageStop" in event:
                print(event["messageStop"]["stopReason"])
""")
    after = before.replace("import boto3\n", "import boto3\n    from _openrouter import bedrock_converse_stream, openrouter_client\n")
    after = after.replace('boto3.client("bedrock-runtime")',
                          'openrouter_client(\n        bedrock=lambda: boto3.client("bedrock-runtime"),\n    )')
    after = after.replace("bedrock.converse_stream(", "bedrock_converse_stream(bedrock, ")
    assert_rewrites(before, after, tmp_path)


@pytest.mark.parametrize("case", fixture_cases("B2O103"), ids=lambda case: case.name)
def test_fixture_pair(case: Path, tmp_path: Path):
    assert_fixture_pair(case, tmp_path)
