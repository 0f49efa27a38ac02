"""The generated helper's Converse translation: what it carries to OpenRouter, and what it leaves to Bedrock."""

from __future__ import annotations

import base64
import json
import importlib.util
from types import SimpleNamespace

import pytest

from bedrock2openrouter.python.helper import helper_source

MODEL = "anthropic/claude-3.5-haiku"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def helper(tmp_path_factory):
    path = tmp_path_factory.mktemp("helper") / "_openrouter.py"
    path.write_text(helper_source({"converse-shapes"}), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("_openrouter_translation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _user(*blocks):
    return [{"role": "user", "content": list(blocks)}]


def test_an_image_becomes_a_data_url_part(helper):
    request = {"modelId": MODEL, "messages": _user({"text": "What is this?"},
                                                   {"image": {"format": "png", "source": {"bytes": PNG}}})}
    assert not helper.needs_bedrock(request)
    (message,) = helper._chat_request(**request)["messages"]
    assert message["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()}},
    ]


def test_a_pdf_becomes_a_file_part_and_a_cache_point_marks_the_part_before_it(helper):
    request = {"modelId": MODEL, "messages": _user(
        {"document": {"format": "pdf", "name": "report", "source": {"bytes": b"%PDF-1.7"}}},
        {"cachePoint": {"type": "default", "ttl": "1h"}},
        {"text": "Summarise it."},
    )}
    (message,) = helper._chat_request(**request)["messages"]
    file_part, text_part = message["content"]
    assert file_part["file"]["filename"] == "report.pdf"
    assert file_part["file"]["file_data"].startswith("data:application/pdf;base64,")
    assert file_part["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert text_part == {"type": "text", "text": "Summarise it."}


@pytest.mark.parametrize("request_", [
    {"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "messages": _user({"text": "hi"})},  # a kept Bedrock ID
    {"modelId": MODEL, "messages": _user({"text": "hi"}), "guardrailConfig": {"guardrailIdentifier": "g"}},
    {"modelId": MODEL, "messages": _user({"text": "hi"}), "promptVariables": {"x": {"text": "y"}}},
    {"modelId": MODEL, "messages": _user({"image": {"format": "png", "source": {"s3Location": {"uri": "s3://b/k"}}}})},
    {"modelId": MODEL, "messages": _user({"document": {"format": "docx", "name": "d", "source": {"bytes": b"x"}}})},
    {"modelId": MODEL, "messages": _user({"guardContent": {"text": {"text": "hi"}}})},
], ids=["bedrock-id", "guardrail", "prompt-variables", "s3-image", "docx", "guard-content"])
def test_what_the_chat_request_cannot_carry_goes_to_bedrock(helper, request_):
    assert helper.needs_bedrock(request_)


def test_usage_leaves_cached_tokens_out_of_input_tokens(helper):
    usage = SimpleNamespace(prompt_tokens=120, completion_tokens=8, total_tokens=128,
                            prompt_tokens_details=SimpleNamespace(cached_tokens=100, cache_write_tokens=0))
    assert helper._usage(usage) == {"inputTokens": 20, "outputTokens": 8, "totalTokens": 128,
                                    "cacheReadInputTokens": 100, "cacheWriteInputTokens": 0}
    plain = SimpleNamespace(prompt_tokens=12, completion_tokens=3, total_tokens=15, prompt_tokens_details=None)
    assert helper._usage(plain) == {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15}


@pytest.mark.parametrize(("finish", "native", "expected"), [
    ("length", "model_context_window_exceeded", "model_context_window_exceeded"),
    ("content_filter", None, "content_filtered"),
    ("tool_calls", None, "tool_use"),
    ("stop", "guardrail_intervened", "guardrail_intervened"),
])
def test_every_bedrock_stop_reason_survives(helper, finish, native, expected):
    assert helper._stop_reason(SimpleNamespace(finish_reason=finish, native_finish_reason=native)) == expected


def test_an_openrouter_error_is_raised_as_the_client_error_bedrock_raises(helper):
    from botocore.exceptions import ClientError

    error = SimpleNamespace(status_code=429, message="Rate limit exceeded")
    raised = helper._client_error(error, "Converse", lambda: (_ for _ in ()).throw(RuntimeError("no region")))
    assert isinstance(raised, ClientError)
    assert raised.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate limit exceeded"}
    assert raised.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_a_thinking_budget_becomes_openrouter_reasoning_and_other_fields_pass_through(helper):
    request = {"modelId": MODEL, "messages": _user({"text": "Think."}),
               "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}, "top_k": 40}}
    assert helper._chat_request(**request)["extra_body"] == {"reasoning": {"max_tokens": 2048}, "top_k": 40}
    nova = {"modelId": MODEL, "messages": _user({"text": "Think."}), "additionalModelRequestFields": {
        "reasoningConfig": {"type": "enabled", "maxReasoningEffort": "high"}}}
    assert helper._chat_request(**nova)["extra_body"] == {"reasoning": {"effort": "high"}}


def test_the_reasoning_comes_back_first_as_bedrock_returns_it(helper):
    message = SimpleNamespace(content="42", tool_calls=None, reasoning="Six times seven.")
    choice = SimpleNamespace(message=message, finish_reason="stop", native_finish_reason=None)
    usage = SimpleNamespace(prompt_tokens=5, completion_tokens=9, total_tokens=14, prompt_tokens_details=None)
    client = SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(
        create=lambda **_: SimpleNamespace(choices=[choice], usage=usage))))
    request = {"modelId": MODEL, "messages": _user({"text": "6*7?"}),
               "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}}}
    answer = helper.bedrock_converse(client, **request)
    assert answer["output"]["message"]["content"] == [
        {"reasoningContent": {"reasoningText": {"text": "Six times seven."}}}, {"text": "42"}]
    plain = helper.bedrock_converse(client, modelId=MODEL, messages=_user({"text": "6*7?"}))
    assert plain["output"]["message"]["content"] == [{"text": "42"}]


def test_a_history_holding_an_earlier_answer_s_reasoning_still_goes_to_openrouter(helper):
    history = [*_user({"text": "6*7?"}),
               {"role": "assistant", "content": [{"reasoningContent": {"reasoningText": {"text": "Six sevens."}}},
                                                 {"text": "42"}]},
               *_user({"text": "And 6*8?"})]
    request = {"modelId": MODEL, "messages": history}
    assert not helper.needs_bedrock(request)
    assert [m["content"] for m in helper._chat_request(**request)["messages"]] == ["6*7?", "42", "And 6*8?"]


def test_structured_output_becomes_a_strict_json_schema_response_format(helper):
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    request = {"modelId": MODEL, "messages": _user({"text": "Who?"}), "outputConfig": {"textFormat": {
        "type": "json_schema", "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "person"}}}}}
    assert not helper.needs_bedrock(request)
    assert helper._chat_request(**request)["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "person", "strict": True, "schema": schema}}
    other = {"modelId": MODEL, "messages": _user({"text": "Who?"}), "outputConfig": {"textFormat": {"type": "grammar"}}}
    assert helper.needs_bedrock(other)
