"""A fake Amazon Bedrock Runtime that boto3 talks to via AWS_ENDPOINT_URL_BEDROCK_RUNTIME.

Operations (URIs from botocore's bedrock-runtime service model):
  POST /model/{modelId}/converse                     Converse
  POST /model/{modelId}/converse-stream              ConverseStream (event stream)
  POST /model/{modelId}/invoke                       InvokeModel, Anthropic Messages bodies only
  POST /model/{modelId}/invoke-with-response-stream  InvokeModelWithResponseStream, same bodies
  POST /retrieveAndGenerate                          Knowledge Bases (bedrock-agent-runtime)

Answers come from `brain.answer()`; this module only translates between the
Bedrock wire formats and the neutral conversation. Errors are rest-json:
status code, `x-amzn-errortype` header, `{"message": ...}` body, which boto3
raises as `ClientError` with that code. Tool-use ids are "tooluse_<n>"
(Converse) and "toolu_bdrk_<n>" (Anthropic bodies). A request without an
Authorization header (boto3 signs every call) is refused with 403.

Guardrails: a Converse request with a ``guardrailConfig`` whose last user text
mentions a password is blocked the way a denied topic is: the answer is
`GUARDRAIL_MESSAGE`, stopReason ``guardrail_intervened``, no model tokens. A
migration that loses the guardrail answers such a request instead.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import unquote

from . import brain
from .brain import Answer, Conversation, Message, Tool, ToolCall, ToolResult
from .eventstream import CONTENT_TYPE as EVENTSTREAM
from .eventstream import encode_event
from .server import ApiError, Request, Response, RunningFake, serve

LATENCY_MS = 42  # fixed so that printed metrics are deterministic
GUARDRAIL_MESSAGE = "Sorry, the model cannot answer this question."
_DENIED_TOPIC = re.compile(r"password", re.IGNORECASE)
_ROUTE = re.compile(
    r"^/model/(?P<model>[^/]+)/(?P<operation>converse|converse-stream|invoke|invoke-with-response-stream)$"
)
_MODEL_ID = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::[a-z0-9-]+)*$")
_MODEL_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d{0,12}:[a-z-]+/[A-Za-z0-9.:/_-]+$")
_REGION_PREFIXES = frozenset({"us", "us-gov", "eu", "apac", "ap", "jp", "au", "ca", "global"})
_TOOL_CHOICES = {"auto": "auto", "any": "required"}  # Converse toolChoice key -> neutral
_ANTHROPIC_TOOL_CHOICES = {"auto": "auto", "any": "required", "none": "none"}


def invalid(message: str) -> ApiError:
    """A ValidationException, the error Bedrock gives for any malformed request."""
    return ApiError(400, "ValidationException", message)


# --- model ids -------------------------------------------------------------


def check_model_id(model_id: str) -> None:
    """Accept what looks like a Bedrock model id, inference profile or Bedrock ARN."""
    if not (_MODEL_ID.match(model_id) or _MODEL_ARN.match(model_id)):
        raise invalid(f"The provided model identifier is invalid: {model_id}")


def model_provider(model_id: str) -> str | None:
    """The provider segment ("anthropic" for "us.anthropic.claude-..."); None when an ARN does not say."""
    if model_id.startswith("arn:"):
        return "anthropic" if "anthropic." in model_id else None
    segments = model_id.split(":")[0].split(".")
    return segments[1] if segments[0] in _REGION_PREFIXES and len(segments) > 2 else segments[0]


# --- Converse request -> Conversation -------------------------------------------


def converse_conversation(body: dict[str, Any]) -> Conversation:
    """Translate a Converse/ConverseStream request body."""
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise invalid("messages must be a non-empty list")
    _check_alternation([m.get("role") for m in raw_messages])
    messages = [_converse_message(index, m) for index, m in enumerate(raw_messages)]
    tools, tool_choice = _converse_tools(body.get("toolConfig"))
    if not tools and any(m.tool_calls or m.tool_results for m in messages):
        raise invalid("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
    config = body.get("inferenceConfig") or {}
    return Conversation(
        messages=messages,
        system=_join(block["text"] for block in body.get("system") or [] if "text" in block),
        max_tokens=config.get("maxTokens"),
        temperature=config.get("temperature"),
        top_p=config.get("topP"),
        stop=config.get("stopSequences") or [],
        tools=tools,
        tool_choice=tool_choice,
        reasoning_budget=_thinking_budget(body.get("additionalModelRequestFields")),
        cached_words=_cached_words([*(body.get("system") or []),
                                    *(block for m in raw_messages for block in m.get("content") or [])]),
    )


def _cached_words(blocks: list[dict[str, Any]]) -> int:
    """Words before the last cachePoint block: the prefix Bedrock reads from its prompt cache."""
    words, cached = 0, 0
    for block in blocks:
        if "cachePoint" in block:
            cached = words
        elif "text" in block or "image" in block or "document" in block:
            words += brain.count_words(block["text"] if "text" in block else _attachment(block))
    return cached


def _thinking_budget(fields: Any) -> int | None:
    thinking = fields.get("thinking") if isinstance(fields, dict) else None
    return thinking.get("budget_tokens") if isinstance(thinking, dict) and thinking.get("type") == "enabled" else None


def _check_alternation(roles: list[Any]) -> None:
    if roles[0] != "user":
        raise invalid(
            "A conversation must start with a user message. Try again with a conversation that starts with a user message."
        )
    for previous, role in itertools.pairwise(roles):
        if role not in ("user", "assistant") or role == previous:
            raise invalid(
                "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
            )


def _converse_message(index: int, raw: dict[str, Any]) -> Message:
    content = raw.get("content")
    if not isinstance(content, list) or not content:
        raise invalid(f"messages.{index}.content must be a non-empty list of content blocks")
    texts = [block["text"] if "text" in block else _attachment(block) for block in content
             if "text" in block or "image" in block or "document" in block]
    calls = [_converse_tool_use(block["toolUse"]) for block in content if "toolUse" in block]
    results = [_converse_tool_result(block["toolResult"]) for block in content if "toolResult" in block]
    if (raw["role"] == "user" and calls) or (raw["role"] == "assistant" and results):
        raise invalid(f"messages.{index}: toolUse belongs to assistant messages, toolResult to user messages")
    return Message(raw["role"], _join(texts) or "", tuple(calls), tuple(results))


def _attachment(block: dict[str, Any]) -> str:
    """An image or document block as the text the brain sees: `brain.attachment_text`."""
    kind = "image" if "image" in block else "document"
    item = block[kind]
    data = base64.b64decode(item["source"]["bytes"])
    name = f"image/{item['format']}" if kind == "image" else f"{item.get('name', 'document')}.{item['format']}"
    return brain.attachment_text(kind, name, data)


def _converse_tool_use(block: dict[str, Any]) -> ToolCall:
    return ToolCall(block["toolUseId"], block["name"], block.get("input") or {})


def _converse_tool_result(block: dict[str, Any]) -> ToolResult:
    parts = [
        item["text"] if "text" in item else json.dumps(item["json"])
        for item in block.get("content") or []
        if "text" in item or "json" in item
    ]
    return ToolResult(block["toolUseId"], "\n".join(parts))


def _converse_tools(config: dict[str, Any] | None) -> tuple[list[Tool], str | None]:
    if not config:
        return [], None
    specs = [entry["toolSpec"] for entry in config.get("tools") or [] if "toolSpec" in entry]
    tools = [Tool(s["name"], s.get("description", ""), (s.get("inputSchema") or {}).get("json") or {}) for s in specs]
    choice = config.get("toolChoice") or {}
    if "tool" in choice:
        return tools, choice["tool"]["name"]
    return tools, next((_TOOL_CHOICES[key] for key in choice if key in _TOOL_CHOICES), None)


def _join(texts: Any) -> str | None:
    joined = "\n".join(texts)
    return joined or None


# --- Anthropic Messages body -> Conversation ---------------------------------------


def anthropic_conversation(body: Any) -> Conversation:
    """Translate an InvokeModel body in Anthropic Messages format."""
    if not isinstance(body, dict) or "anthropic_version" not in body:
        raise invalid(
            "Malformed input request: the fake Bedrock only understands Anthropic Messages bodies (anthropic_version), please reformat your input and try again."
        )
    for key in ("max_tokens", "messages"):
        if key not in body:
            raise invalid(
                f"Malformed input request: #: required key [{key}] not found, please reformat your input and try again."
            )
    system = body.get("system")
    if isinstance(system, list):
        system = _join(block["text"] for block in system if block.get("type") == "text")
    tools = [Tool(t["name"], t.get("description", ""), t.get("input_schema") or {}) for t in body.get("tools") or []]
    return Conversation(
        messages=[_anthropic_message(m) for m in body["messages"]],
        system=system or None,
        max_tokens=body["max_tokens"],
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        stop=body.get("stop_sequences") or [],
        tools=tools,
        tool_choice=_anthropic_tool_choice(body.get("tool_choice")),
    )


def _anthropic_message(raw: dict[str, Any]) -> Message:
    content = raw["content"]
    if isinstance(content, str):
        return Message(raw["role"], content)
    texts = [block["text"] for block in content if block.get("type") == "text"]
    calls = [ToolCall(b["id"], b["name"], b.get("input") or {}) for b in content if b.get("type") == "tool_use"]
    results = [
        ToolResult(b["tool_use_id"], _anthropic_text(b.get("content")))
        for b in content
        if b.get("type") == "tool_result"
    ]
    return Message(raw["role"], "\n".join(texts), tuple(calls), tuple(results))


def _anthropic_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(block["text"] for block in content or [] if block.get("type") == "text")


def _anthropic_tool_choice(choice: dict[str, Any] | None) -> str | None:
    if not choice:
        return None
    return choice["name"] if choice.get("type") == "tool" else _ANTHROPIC_TOOL_CHOICES.get(choice.get("type", ""))


# --- Answer -> Bedrock responses -------------------------------------------------


def answer_blocks(answer: Answer) -> list[str | ToolCall]:
    """Content blocks in order: the text (unless a pure tool call), then tool calls."""
    text: list[str | ToolCall] = [answer.text] if answer.text or not answer.tool_calls else []
    return text + list(answer.tool_calls)


def converse_usage(answer: Answer) -> dict[str, int]:
    usage = {
        "inputTokens": answer.input_tokens - answer.cached_tokens,
        "outputTokens": answer.output_tokens,
        "totalTokens": answer.total_tokens,
    }
    if answer.cached_tokens:
        usage |= {"cacheReadInputTokens": answer.cached_tokens, "cacheWriteInputTokens": 0}
    return usage


def converse_result(answer: Answer) -> dict[str, Any]:
    """The Converse response body."""
    content = [
        {"text": block}
        if isinstance(block, str)
        else {"toolUse": {"toolUseId": block.id, "name": block.name, "input": block.arguments}}
        for block in answer_blocks(answer)
    ]
    if answer.reasoning is not None:
        content.insert(0, {"reasoningContent": {"reasoningText": {"text": answer.reasoning, "signature": "sig"}}})
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": answer.stop_reason,
        "usage": converse_usage(answer),
        "metrics": {"latencyMs": LATENCY_MS},
    }


def converse_events(answer: Answer) -> Iterator[tuple[str, dict[str, Any]]]:
    """ConverseStream events: messageStart, content blocks, messageStop, metadata."""
    yield "messageStart", {"role": "assistant"}
    for index, block in enumerate(answer_blocks(answer)):
        if isinstance(block, str):
            for piece in brain.split_pieces(block):
                yield "contentBlockDelta", {"delta": {"text": piece}, "contentBlockIndex": index}
        else:
            yield (
                "contentBlockStart",
                {"start": {"toolUse": {"toolUseId": block.id, "name": block.name}}, "contentBlockIndex": index},
            )
            yield (
                "contentBlockDelta",
                {"delta": {"toolUse": {"input": json.dumps(block.arguments)}}, "contentBlockIndex": index},
            )
        yield "contentBlockStop", {"contentBlockIndex": index}
    yield "messageStop", {"stopReason": answer.stop_reason}
    yield "metadata", {"usage": converse_usage(answer), "metrics": {"latencyMs": LATENCY_MS}}


def anthropic_result(answer: Answer, model_id: str, request_id: str) -> dict[str, Any]:
    """The InvokeModel response body for an Anthropic Messages request."""
    content = [
        {"type": "text", "text": block}
        if isinstance(block, str)
        else {"type": "tool_use", "id": block.id, "name": block.name, "input": block.arguments}
        for block in answer_blocks(answer)
    ]
    return {
        "id": f"msg_bdrk_{request_id}",
        "type": "message",
        "role": "assistant",
        "model": model_id,
        "content": content,
        "stop_reason": answer.stop_reason,
        "stop_sequence": answer.stop_sequence,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
    }


def anthropic_events(answer: Answer, model_id: str, request_id: str) -> Iterator[dict[str, Any]]:
    """Anthropic streaming events, as InvokeModelWithResponseStream carries them."""
    message = anthropic_result(answer, model_id, request_id) | {
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
    }
    message["usage"] = {"input_tokens": answer.input_tokens, "output_tokens": 0}
    yield {"type": "message_start", "message": message}
    for index, block in enumerate(answer_blocks(answer)):
        if isinstance(block, str):
            yield {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
            for piece in brain.split_pieces(block):
                yield {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}
        else:
            start = {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
            yield {"type": "content_block_start", "index": index, "content_block": start}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block.arguments)}
            yield {"type": "content_block_delta", "index": index, "delta": delta}
        yield {"type": "content_block_stop", "index": index}
    stop = {"stop_reason": answer.stop_reason, "stop_sequence": answer.stop_sequence}
    yield {"type": "message_delta", "delta": stop, "usage": {"output_tokens": answer.output_tokens}}
    metrics = {
        "inputTokenCount": answer.input_tokens,
        "outputTokenCount": answer.output_tokens,
        "invocationLatency": LATENCY_MS,
        "firstByteLatency": LATENCY_MS,
    }
    yield {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics}


# --- the service -------------------------------------------------------------------


class FakeBedrock:
    """The app: routing, authentication and model-id checks, then one handler per operation."""

    base_path = ""

    def handle(self, request: Request) -> Response:
        try:
            return self._route(request)
        except ApiError as error:
            return Response.json(error.status, {"message": error.message}, {"x-amzn-errortype": error.code})

    def env(self, url: str) -> dict[str, str]:
        """What a boto3 program needs to reach this fake (dummy credentials, no IMDS)."""
        return {
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url,
            "AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME": url,
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false",
            "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-access-key",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }

    def _route(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/retrieveAndGenerate":
            return self._retrieve_and_generate(request)
        match = _ROUTE.match(request.path) if request.method == "POST" else None
        if match is None:
            raise ApiError(
                404, "UnknownOperationException", f"No Bedrock Runtime operation at {request.method} {request.path}"
            )
        if "authorization" not in request.headers:
            raise ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        model_id = unquote(match["model"])
        check_model_id(model_id)
        try:
            body = request.json()
        except ValueError:
            raise invalid(
                "Malformed input request: the body is not JSON, please reformat your input and try again."
            ) from None
        operation = self._operations()[match["operation"]]
        request_id = str(uuid.UUID(hashlib.sha256(request.path.encode() + request.body).hexdigest()[:32]))
        try:
            return operation(model_id, body, request_id)
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            raise invalid(f"Malformed request: {type(error).__name__}: {error}") from None

    def _retrieve_and_generate(self, request: Request) -> Response:
        """Knowledge Bases' RetrieveAndGenerate: the knowledge base "retrieves" its own id, the model answers.

        The generating model comes as ``modelArn``, which must name a Bedrock model: a
        migration that rewrote it to an OpenRouter ID fails here, as on AWS.
        """
        if "authorization" not in request.headers:
            raise ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        body = request.json()
        config = body["retrieveAndGenerateConfiguration"]["knowledgeBaseConfiguration"]
        check_model_id(config["modelArn"])
        question = body["input"]["text"]
        conversation = Conversation(messages=[Message("user", f"{question} (from {config['knowledgeBaseId']})")])
        answer = _answer(conversation, "tooluse_")
        return Response.json(200, {"output": {"text": answer.text}, "citations": [], "sessionId": "session-1"})

    def _operations(self) -> dict[str, Callable[[str, Any, str], Response]]:
        return {
            "converse": self._converse,
            "converse-stream": self._converse_stream,
            "invoke": self._invoke,
            "invoke-with-response-stream": self._invoke_stream,
        }

    def _converse(self, model_id: str, body: Any, request_id: str) -> Response:
        answer = _guarded(body) or _answer(converse_conversation(body), "tooluse_")
        return Response.json(200, converse_result(answer), {"x-amzn-RequestId": request_id})

    def _converse_stream(self, model_id: str, body: Any, request_id: str) -> Response:
        answer = _answer(converse_conversation(body), "tooluse_")
        events = (encode_event(kind, payload) for kind, payload in converse_events(answer))
        return Response(200, events, {"Content-Type": EVENTSTREAM, "x-amzn-RequestId": request_id})

    def _invoke(self, model_id: str, body: Any, request_id: str) -> Response:
        answer = _answer(_anthropic_for(model_id, body), "toolu_bdrk_")
        headers = {
            "x-amzn-RequestId": request_id,
            "X-Amzn-Bedrock-Input-Token-Count": str(answer.input_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(answer.output_tokens),
            "X-Amzn-Bedrock-Invocation-Latency": str(LATENCY_MS),
        }
        return Response.json(200, anthropic_result(answer, model_id, request_id), headers)

    def _invoke_stream(self, model_id: str, body: Any, request_id: str) -> Response:
        answer = _answer(_anthropic_for(model_id, body), "toolu_bdrk_")
        events = (
            encode_event("chunk", {"bytes": base64.b64encode(json.dumps(event).encode()).decode()})
            for event in anthropic_events(answer, model_id, request_id)
        )
        headers = {
            "Content-Type": EVENTSTREAM,
            "X-Amzn-Bedrock-Content-Type": "application/json",
            "x-amzn-RequestId": request_id,
        }
        return Response(200, events, headers)


def _anthropic_for(model_id: str, body: Any) -> Conversation:
    if model_provider(model_id) not in (None, "anthropic"):
        raise invalid(
            f"Malformed input request: the fake Bedrock serves InvokeModel for Anthropic models only, not {model_id}."
        )
    return anthropic_conversation(body)


def _guarded(body: Any) -> Answer | None:
    """The guardrail's answer when ``body`` asks for a guardrail and touches its denied topic."""
    if not body.get("guardrailConfig"):
        return None
    conversation = converse_conversation(body)
    users = [message.text for message in conversation.messages if message.role == "user" and message.text.strip()]
    if not (users and _DENIED_TOPIC.search(users[-1])):
        return None
    return Answer(GUARDRAIL_MESSAGE, "guardrail_intervened", input_tokens=0, output_tokens=0)


def _answer(conversation: Conversation, id_prefix: str) -> Answer:
    problem = brain.check(conversation)
    if problem:
        raise invalid(problem)
    return brain.answer(conversation, id_prefix=id_prefix)


def running_fake_bedrock() -> AbstractContextManager[RunningFake]:
    """Serve a fake Bedrock Runtime for the duration of a `with` block (no pytest needed)."""
    return serve(FakeBedrock())
