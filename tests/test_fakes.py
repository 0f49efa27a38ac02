"""The fake Bedrock and OpenRouter behave like the real services for real clients,
and equivalent requests get equivalent answers from both (the point of the shared brain)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import boto3
import openai
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .fakes import brain
from .fakes.brain import Conversation, Message, Tool, ToolCall, ToolResult
from .fakes.fixtures import fake_bedrock, fake_openrouter  # noqa: F401
from .fakes.openrouter import FINISH_REASONS
from .fakes.server import RunningFake

BEDROCK_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
OPENROUTER_MODEL = "anthropic/claude-3-haiku"
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
BEDROCK_TOOLS = {
    "tools": [
        {"toolSpec": {"name": "get_weather", "description": "Weather by city", "inputSchema": {"json": WEATHER_SCHEMA}}}
    ]
}
OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {"name": "get_weather", "description": "Weather by city", "parameters": WEATHER_SCHEMA},
    }
]


@pytest.fixture(scope="module")
def bedrock(fake_bedrock: RunningFake) -> Any:  # noqa: F811
    config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=5)
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=fake_bedrock.url,
        region_name="us-east-1",
        aws_access_key_id="AKIAFAKE",
        aws_secret_access_key="fake",
        config=config,
    )


@pytest.fixture(scope="module")
def chat(fake_openrouter: RunningFake) -> openai.OpenAI:  # noqa: F811
    return openai.OpenAI(base_url=fake_openrouter.url, api_key="sk-or-test", max_retries=0, timeout=5)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def anthropic_body(**fields: Any) -> bytes:
    return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, **fields}).encode()


# --- the brain ---------------------------------------------------------------------


def test_brain_echo_with_system_turns_and_sampling() -> None:
    conversation = Conversation(
        messages=[Message("user", "hi"), Message("assistant", "yo"), Message("user", "tell  me\nmore")],
        system="You are a terse bot.",
        temperature=0.7,
        top_p=0.9,
    )
    answer = brain.answer(conversation)
    assert answer.text == "[You are a] (turn 2) you said: tell me more (t=0.7) (top_p=0.9)"
    assert (answer.stop_reason, answer.input_tokens, answer.output_tokens) == ("end_turn", 5 + 1 + 1 + 3, 12)
    assert "".join(answer.pieces()) == answer.text


def test_brain_limits() -> None:
    said = [Message("user", "one two three four")]
    cut = brain.answer(Conversation(said, stop=["three", "two"]))
    assert (cut.text, cut.stop_reason, cut.stop_sequence) == ("you said: one ", "stop_sequence", "two")
    short = brain.answer(Conversation(said, max_tokens=3, stop=["four"]))
    assert (short.text, short.stop_reason, short.output_tokens) == ("you said: one", "max_tokens", 3)
    fits = brain.answer(Conversation(said, max_tokens=6))
    assert (fits.text, fits.stop_reason) == ("you said: one two three four", "end_turn")


def test_brain_tool_rules() -> None:
    tools = [
        Tool("lookup", "", {}),
        Tool("fetch_weather", "", {"properties": {"q": {}, "where": {}}, "required": ["where"]}),
    ]
    ask = Message("user", "What's the weather in New York today?")
    call = brain.answer(Conversation([ask], tools=tools), id_prefix="x_").tool_calls
    assert call == [ToolCall("x_1", "fetch_weather", {"where": "New York"})]
    assert brain.answer(Conversation([ask], tools=tools, tool_choice="none")).tool_calls == []
    assert brain.answer(Conversation([Message("user", "hi")], tools=tools, tool_choice="lookup")).tool_calls == [
        ToolCall("call_1", "lookup", {})
    ]
    history = [
        ask,
        Message("assistant", "", (call[0],)),
        Message("user", "", (), (ToolResult("x_1", " rainy,\n 12 C "),)),
    ]
    done = brain.answer(Conversation(history, tools=tools))
    assert (done.text, done.stop_reason, done.input_tokens) == (
        "The weather in New York is rainy, 12 C",
        "end_turn",
        7 + 5 + 3,
    )
    again = [*history, Message("assistant", done.text), Message("user", "and the weather in Rome")]
    assert brain.answer(Conversation(again, tools=tools)).tool_calls[0].id == "call_2"


def test_brain_check_rejects_orphan_tool_results() -> None:
    orphan = Conversation([Message("user", "", (), (ToolResult("nope", "x"),))])
    assert "does not answer" in (brain.check(orphan) or "")
    unanswered = Conversation(
        [Message("user", "a"), Message("assistant", "", (ToolCall("c", "t", {}),)), Message("user", "b")],
        tools=[Tool("t")],
    )
    assert "without a tool result" in (brain.check(unanswered) or "")


# --- binding, auth, model ids --------------------------------------------------------


def test_servers_bind_to_loopback(fake_bedrock: RunningFake, fake_openrouter: RunningFake) -> None:  # noqa: F811
    for fake in (fake_bedrock, fake_openrouter):
        assert fake.server_address[0] == "127.0.0.1"
        assert fake.url.startswith(f"http://127.0.0.1:{fake.port}")
    assert fake_openrouter.url.endswith("/api/v1")
    assert fake_bedrock.env()["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == fake_bedrock.url
    env = fake_openrouter.env()
    assert (env["OPENROUTER_BASE_URL"], env["OPENROUTER_API_KEY"]) == (fake_openrouter.url, "sk-or-test")


def test_openrouter_requires_a_bearer_key(fake_openrouter: RunningFake) -> None:  # noqa: F811
    body = json.dumps({"model": OPENROUTER_MODEL, "messages": [{"role": "user", "content": "hi"}]}).encode()
    for headers in ({}, {"Authorization": "Bearer "}):
        request = urllib.request.Request(
            f"{fake_openrouter.url}/chat/completions", body, {"Content-Type": "application/json", **headers}
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)
        assert caught.value.code == 401
        assert json.loads(caught.value.read())["error"]["code"] == 401


def test_openrouter_rejects_unknown_model_ids(chat: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        chat.chat.completions.create(model=BEDROCK_MODEL, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 400
    assert caught.value.body == {"message": f"{BEDROCK_MODEL} is not a valid model ID", "code": 400}


@pytest.mark.parametrize("model_id", [OPENROUTER_MODEL, "claude-3-haiku", "Anthropic.Claude"])
def test_bedrock_rejects_non_bedrock_model_ids(bedrock: Any, model_id: str) -> None:
    with pytest.raises(ClientError) as caught:
        bedrock.converse(modelId=model_id, messages=[user("hi")])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    "model_id",
    [
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-v2:1:100k",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    ],
)
def test_bedrock_accepts_bedrock_ids_and_arns(bedrock: Any, model_id: str) -> None:
    assert bedrock.converse(modelId=model_id, messages=[user("hi")])["stopReason"] == "end_turn"


def test_bedrock_requires_a_signature(fake_bedrock: RunningFake) -> None:  # noqa: F811
    request = urllib.request.Request(
        f"{fake_bedrock.url}/model/{BEDROCK_MODEL}/converse", b"{}", {"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 403


def test_bedrock_validates_conversations(bedrock: Any) -> None:
    for messages in ([{"role": "assistant", "content": [{"text": "hi"}]}], [user("a"), user("b")]):
        with pytest.raises(ClientError, match="ValidationException"):
            bedrock.converse(modelId=BEDROCK_MODEL, messages=messages)


# --- Bedrock with boto3 ----------------------------------------------------------------


def test_converse(bedrock: Any, fake_bedrock: RunningFake) -> None:  # noqa: F811
    before = len(fake_bedrock.requests)
    response = bedrock.converse(
        modelId=BEDROCK_MODEL,
        system=[{"text": "You are a helpful assistant."}],
        messages=[user("Hello there")],
        inferenceConfig={"maxTokens": 50, "temperature": 0.2},
        additionalModelRequestFields={"top_k": 5},
    )
    assert response["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": "[You are a] you said: Hello there (t=0.2)"}],
    }
    assert response["stopReason"] == "end_turn"
    assert response["usage"] == {"inputTokens": 7, "outputTokens": 8, "totalTokens": 15}
    assert response["metrics"] == {"latencyMs": 42}
    sent = fake_bedrock.requests[before]
    assert sent.path == f"/model/{BEDROCK_MODEL}/converse"
    assert sent.headers["authorization"] == "AWS4-HMAC-SHA256 <redacted>"
    assert sent.body["inferenceConfig"] == {"maxTokens": 50, "temperature": 0.2}


def test_converse_stream(bedrock: Any) -> None:
    kwargs = {
        "modelId": BEDROCK_MODEL,
        "messages": [user("one two three four five")],
        "inferenceConfig": {"maxTokens": 4},
    }
    events = list(bedrock.converse_stream(**kwargs)["stream"])
    assert [next(iter(e)) for e in events[:2]] == ["messageStart", "contentBlockDelta"]
    assert [next(iter(e)) for e in events[-3:]] == ["contentBlockStop", "messageStop", "metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == bedrock.converse(**kwargs)["output"]["message"]["content"][0]["text"] == "you said: one two"
    assert events[-2]["messageStop"]["stopReason"] == "max_tokens"
    assert events[-1]["metadata"]["usage"] == {"inputTokens": 5, "outputTokens": 4, "totalTokens": 9}


def test_converse_tool_round_trip(bedrock: Any) -> None:
    messages = [user("What is the weather in Paris?")]
    first = bedrock.converse(
        modelId=BEDROCK_MODEL, messages=messages, toolConfig={**BEDROCK_TOOLS, "toolChoice": {"auto": {}}}
    )
    assert first["stopReason"] == "tool_use"
    tool_use = first["output"]["message"]["content"][0]["toolUse"]
    assert tool_use == {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}
    messages += [
        first["output"]["message"],
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"json": {"temp": "20C"}}]}}],
        },
    ]
    second = bedrock.converse(modelId=BEDROCK_MODEL, messages=messages, toolConfig=BEDROCK_TOOLS)
    assert second["output"]["message"]["content"] == [{"text": 'The weather in Paris is {"temp": "20C"}'}]
    assert second["stopReason"] == "end_turn"


def test_converse_stream_tool_use(bedrock: Any) -> None:
    events = list(
        bedrock.converse_stream(modelId=BEDROCK_MODEL, messages=[user("weather in Oslo")], toolConfig=BEDROCK_TOOLS)[
            "stream"
        ]
    )
    start = next(e["contentBlockStart"] for e in events if "contentBlockStart" in e)
    assert start["start"]["toolUse"] == {"toolUseId": "tooluse_1", "name": "get_weather"}
    arguments = "".join(e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e)
    assert json.loads(arguments) == {"city": "Oslo"}
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"


def test_invoke_model_anthropic(bedrock: Any) -> None:
    body = anthropic_body(
        system="Be brief please", messages=[{"role": "user", "content": "Hi, stop here"}], stop_sequences=[", stop"]
    )
    response = bedrock.invoke_model(
        modelId=BEDROCK_MODEL, body=body, contentType="application/json", accept="application/json"
    )
    result = json.loads(response["body"].read())
    assert result["content"] == [{"type": "text", "text": "[Be brief please] you said: Hi"}]
    assert (result["stop_reason"], result["stop_sequence"]) == ("stop_sequence", ", stop")
    assert result["usage"] == {"input_tokens": 6, "output_tokens": 6}


def test_invoke_model_anthropic_tool_use_and_stream(bedrock: Any) -> None:
    tools = [{"name": "get_weather", "description": "", "input_schema": WEATHER_SCHEMA}]
    body = anthropic_body(
        messages=[{"role": "user", "content": [{"type": "text", "text": "weather in Lima"}]}], tools=tools
    )
    result = json.loads(bedrock.invoke_model(modelId=BEDROCK_MODEL, body=body)["body"].read())
    assert result["content"] == [
        {"type": "tool_use", "id": "toolu_bdrk_1", "name": "get_weather", "input": {"city": "Lima"}}
    ]
    stream = bedrock.invoke_model_with_response_stream(
        modelId=BEDROCK_MODEL, body=anthropic_body(messages=[{"role": "user", "content": "hey you"}])
    )
    events = [json.loads(event["chunk"]["bytes"]) for event in stream["body"]]
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text == "you said: hey you"
    assert [e["type"] for e in events][-2:] == ["message_delta", "message_stop"]


@pytest.mark.parametrize(
    ("model_id", "body"),
    [
        (BEDROCK_MODEL, json.dumps({"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 10}).encode()),
        (BEDROCK_MODEL, json.dumps({"anthropic_version": "bedrock-2023-05-31", "messages": []}).encode()),
        ("meta.llama3-8b-instruct-v1:0", anthropic_body(messages=[{"role": "user", "content": "hi"}])),
        (BEDROCK_MODEL, b"not json"),
    ],
)
def test_invoke_model_rejects_other_bodies(bedrock: Any, model_id: str, body: bytes) -> None:
    with pytest.raises(ClientError) as caught:
        bedrock.invoke_model(modelId=model_id, body=body)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


# --- OpenRouter with openai ---------------------------------------------------------------


def test_chat_completion(chat: openai.OpenAI, fake_openrouter: RunningFake) -> None:  # noqa: F811
    before = len(fake_openrouter.requests)
    response = chat.chat.completions.create(
        model=OPENROUTER_MODEL,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": [{"type": "text", "text": "Hello there"}]},
        ],
        max_tokens=50,
        temperature=0.2,
        extra_body={"top_k": 5},
    )
    assert response.choices[0].message.content == "[You are a] you said: Hello there (t=0.2)"
    assert response.choices[0].finish_reason == "stop"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens, response.usage.total_tokens) == (7, 8, 15)
    sent = fake_openrouter.requests[before]
    assert (sent.path, sent.headers["authorization"]) == ("/api/v1/chat/completions", "Bearer <redacted>")
    assert sent.body["model"] == OPENROUTER_MODEL and sent.body["top_k"] == 5


def test_chat_stream_with_usage(chat: openai.OpenAI) -> None:
    stream = chat.chat.completions.create(
        model=OPENROUTER_MODEL,
        messages=[{"role": "user", "content": "one two three four five"}],
        max_completion_tokens=4,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "you said: one two"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 9


def test_chat_tool_round_trip(chat: openai.OpenAI) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = chat.chat.completions.create(
        model=OPENROUTER_MODEL, messages=messages, tools=OPENAI_TOOLS, tool_choice="auto"
    )
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls" and message.content is None
    call = message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "call_1",
        "get_weather",
        {"city": "Paris"},
    )
    messages += [
        message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temp": "20C"})},
    ]
    second = chat.chat.completions.create(model=OPENROUTER_MODEL, messages=messages, tools=OPENAI_TOOLS)
    assert second.choices[0].message.content == 'The weather in Paris is {"temp": "20C"}'
    assert second.choices[0].finish_reason == "stop"


def test_chat_stream_tool_call(chat: openai.OpenAI) -> None:
    stream = chat.chat.completions.create(
        model=OPENROUTER_MODEL,
        messages=[{"role": "user", "content": "weather in Oslo"}],
        tools=OPENAI_TOOLS,
        stream=True,
    )
    deltas = [c.choices[0].delta for c in stream if c.choices]
    calls = [tc for d in deltas for tc in d.tool_calls or []]
    assert (calls[0].id, calls[0].function.name) == ("call_1", "get_weather")
    assert json.loads("".join(tc.function.arguments or "" for tc in calls)) == {"city": "Oslo"}


def test_chat_rejects_orphan_tool_messages(chat: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        chat.chat.completions.create(
            model=OPENROUTER_MODEL, messages=[{"role": "tool", "tool_call_id": "x", "content": "1"}]
        )


# --- the same conversation through both APIs ----------------------------------------------

EQUIVALENT = {
    "plain": (
        {"messages": [user("Hello there")]},
        {"messages": [{"role": "user", "content": "Hello there"}]},
    ),
    "system and sampling": (
        {
            "system": [{"text": "You are"}, {"text": "a pirate."}],
            "messages": [user("Ahoy")],
            "inferenceConfig": {"temperature": 0.9, "topP": 0.5},
        },
        {
            "messages": [{"role": "system", "content": "You are\na pirate."}, {"role": "user", "content": "Ahoy"}],
            "temperature": 0.9,
            "top_p": 0.5,
        },
    ),
    "history": (
        {"messages": [user("Hi"), {"role": "assistant", "content": [{"text": "Hello!"}]}, user("How are you?")]},
        {
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "How are you?"},
            ]
        },
    ),
    "max tokens": (
        {"messages": [user("count one two three")], "inferenceConfig": {"maxTokens": 3}},
        {"messages": [{"role": "user", "content": "count one two three"}], "max_tokens": 3},
    ),
    "stop sequence": (
        {"messages": [user("alpha beta gamma")], "inferenceConfig": {"stopSequences": ["gamma"]}},
        {"messages": [{"role": "user", "content": "alpha beta gamma"}], "stop": "gamma"},
    ),
    "forced tool": (
        {"messages": [user("anything")], "toolConfig": {**BEDROCK_TOOLS, "toolChoice": {"any": {}}}},
        {"messages": [{"role": "user", "content": "anything"}], "tools": OPENAI_TOOLS, "tool_choice": "required"},
    ),
    "tool result": (
        {
            "messages": [
                user("weather in Rome?"),
                {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Rome"}}}],
                },
                {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "hot"}]}}]},
            ],
            "toolConfig": BEDROCK_TOOLS,
        },
        {
            "messages": [
                {"role": "user", "content": "weather in Rome?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "t1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "t1", "content": "hot"},
            ],
            "tools": OPENAI_TOOLS,
        },
    ),
}


@pytest.mark.parametrize("case", EQUIVALENT)
def test_equivalent_requests_get_equivalent_answers(bedrock: Any, chat: openai.OpenAI, case: str) -> None:
    converse_kwargs, chat_kwargs = EQUIVALENT[case]
    b = bedrock.converse(modelId=BEDROCK_MODEL, **converse_kwargs)
    o = chat.chat.completions.create(model=OPENROUTER_MODEL, **chat_kwargs)
    b_text = "".join(block.get("text", "") for block in b["output"]["message"]["content"])
    assert b_text == (o.choices[0].message.content or "")
    assert FINISH_REASONS[b["stopReason"]] == o.choices[0].finish_reason
    assert (b["usage"]["inputTokens"], b["usage"]["outputTokens"], b["usage"]["totalTokens"]) == (
        o.usage.prompt_tokens,
        o.usage.completion_tokens,
        o.usage.total_tokens,
    )
    b_calls = [
        (c["toolUse"]["name"], c["toolUse"]["input"]) for c in b["output"]["message"]["content"] if "toolUse" in c
    ]
    o_calls = [(c.function.name, json.loads(c.function.arguments)) for c in o.choices[0].message.tool_calls or []]
    assert b_calls == o_calls


# --- subprocesses, the way behaviour tests use the fakes --------------------------------------

BEDROCK_PROGRAM = """
import boto3
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
client = boto3.client("bedrock-runtime")
r = client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "ping"}]}], inferenceConfig={"temperature": 0.5})
print(r["output"]["message"]["content"][0]["text"], r["stopReason"], r["usage"]["totalTokens"])
"""

OPENROUTER_PROGRAM = """
import os
from openai import OpenAI
MODEL = "anthropic/claude-3-haiku"
client = OpenAI(base_url=os.environ.get("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1"), api_key=os.environ["OPENROUTER_API_KEY"])
r = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "ping"}], temperature=0.5)
print(r.choices[0].message.content, {"stop": "end_turn"}[r.choices[0].finish_reason], r.usage.total_tokens)
"""


def test_subprocesses_reach_the_fakes_through_env(fake_bedrock: RunningFake, fake_openrouter: RunningFake) -> None:  # noqa: F811
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", program],
            env=os.environ | fake.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for program, fake in ((BEDROCK_PROGRAM, fake_bedrock), (OPENROUTER_PROGRAM, fake_openrouter))
    ]
    outputs = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=60)
        assert run.returncode == 0, stderr
        outputs.append(stdout)
    assert outputs[0] == outputs[1] == "you said: ping (t=0.5) end_turn 5\n"


def test_no_fake_server_errors(fake_bedrock: RunningFake, fake_openrouter: RunningFake) -> None:  # noqa: F811
    assert fake_bedrock.errors == [] and fake_openrouter.errors == []
