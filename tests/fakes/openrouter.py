"""A fake OpenRouter that the `openai` SDK accepts as base_url (`<url>/api/v1`).

  POST /api/v1/chat/completions   JSON or SSE stream (stream=True)
  GET  /api/v1/models             the model ids it accepts

Only the model ids in tests/data/openrouter_models_2026-05.json are accepted,
so a wrong model mapping fails loudly (400). A request without
`Authorization: Bearer <non-empty>` gets 401. Errors are OpenRouter-shaped:
`{"error": {"message": ..., "code": <status>}}`. Answers come from
`brain.answer()`; tool-call ids are "call_<n>". Response ids are derived from
the request body and `created` is fixed, so output is deterministic.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from functools import cache
from pathlib import Path
from typing import Any

from . import brain
from .brain import Answer, Conversation, Message, Tool, ToolCall, ToolResult
from .server import ApiError, Request, Response, RunningFake, serve

MODELS_FILE = Path(__file__).resolve().parents[1] / "data" / "openrouter_models_2026-05.json"
CREATED = 1767225600  # 2026-01-01T00:00:00Z, fixed for determinism
PROVIDER = "FakeProvider"
FINISH_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
_SIMPLE_TOOL_CHOICES = frozenset({"auto", "required", "none"})


@cache
def accepted_models() -> frozenset[str]:
    """The OpenRouter model ids of the 2026-05 snapshot."""
    return frozenset(model["id"] for model in json.loads(MODELS_FILE.read_text(encoding="utf-8"))["models"])


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


# --- request -> Conversation ---------------------------------------------------


def chat_conversation(body: dict[str, Any]) -> Conversation:
    """Translate a chat.completions request body."""
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise bad_request("messages must be a non-empty array")
    system = [_text(m.get("content")) for m in raw_messages if m.get("role") in ("system", "developer")]
    messages = [_message(m) for m in raw_messages if m.get("role") not in ("system", "developer")]
    max_tokens = body.get("max_completion_tokens")
    return Conversation(
        messages=messages,
        system="\n".join(t for t in system if t) or None,
        max_tokens=body.get("max_tokens") if max_tokens is None else max_tokens,
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
        stop=_stop(body.get("stop")),
        tools=[_tool(t) for t in body.get("tools") or []],
        tool_choice=_tool_choice(body.get("tool_choice")),
        reasoning_budget=(body.get("reasoning") or {}).get("max_tokens") if isinstance(body.get("reasoning"), dict) else None,
        cached_words=_cached_words(raw_messages),
    )


def _cached_words(raw_messages: list[dict[str, Any]]) -> int:
    """Words up to and including the last content part marked ``cache_control``: the cached prompt prefix."""
    ordered = sorted(raw_messages, key=lambda m: m.get("role") not in ("system", "developer"))
    words, cached = 0, 0
    for message in ordered:
        content = message.get("content")
        for part in content if isinstance(content, list) else [{"type": "text", "text": content or ""}]:
            if part.get("type") in ("text", "image_url", "file"):
                words += brain.count_words(part["text"] if part["type"] == "text" else _attachment(part))
            if "cache_control" in part:
                cached = words
    return cached


def _message(raw: dict[str, Any]) -> Message:
    role = raw.get("role")
    if role == "user":
        return Message("user", _text(raw.get("content")))
    if role == "assistant":
        calls = tuple(_tool_call(call) for call in raw.get("tool_calls") or [])
        return Message("assistant", _text(raw.get("content")), calls)
    if role == "tool":
        if not raw.get("tool_call_id"):
            raise bad_request("tool messages need a tool_call_id")
        return Message("user", "", (), (ToolResult(raw["tool_call_id"], _text(raw.get("content"))),))
    raise bad_request(f"unknown message role: {role!r}")


def _attachment(part: dict[str, Any]) -> str:
    """An image_url or file part (data URLs) as the text the brain sees: `brain.attachment_text`."""
    if part["type"] == "image_url":
        media_type, data = _data_url(part["image_url"]["url"])
        return brain.attachment_text("image", media_type, data)
    media_type, data = _data_url(part["file"]["file_data"])
    return brain.attachment_text("document", part["file"]["filename"], data)


def _data_url(url: str) -> tuple[str, bytes]:
    header, _, encoded = url.partition(",")
    if not header.startswith("data:") or not header.endswith(";base64"):
        raise bad_request("only base64 data URLs are served by this fake")
    return header[len("data:"):-len(";base64")], base64.b64decode(encoded)


def _text(content: Any) -> str:
    """A string, or the text parts of a content array joined by newlines; other parts are ignored."""
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        return "\n".join(part["text"] if part.get("type") == "text" else _attachment(part)
                         for part in content if part.get("type") in ("text", "image_url", "file"))
    raise bad_request("content must be a string or an array of content parts")


def _tool_call(raw: dict[str, Any]) -> ToolCall:
    function = raw["function"]
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except ValueError:
        raise bad_request(f"tool call {raw.get('id')}: arguments must be a JSON string") from None
    return ToolCall(raw["id"], function["name"], arguments)


def _stop(stop: Any) -> list[str]:
    if stop is None:
        return []
    return [stop] if isinstance(stop, str) else list(stop)


def _tool(raw: dict[str, Any]) -> Tool:
    if raw.get("type") != "function":
        raise bad_request("tools[].type must be 'function'")
    function = raw["function"]
    return Tool(function["name"], function.get("description", ""), function.get("parameters") or {})


def _tool_choice(choice: Any) -> str | None:
    if choice is None or choice in _SIMPLE_TOOL_CHOICES:
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function":
        return choice["function"]["name"]
    raise bad_request(f"invalid tool_choice: {choice!r}")


# --- Answer -> responses ---------------------------------------------------------


def usage(answer: Answer) -> dict[str, Any]:
    found: dict[str, Any] = {
        "prompt_tokens": answer.input_tokens,
        "completion_tokens": answer.output_tokens,
        "total_tokens": answer.total_tokens,
    }
    if answer.cached_tokens:
        found["prompt_tokens_details"] = {"cached_tokens": answer.cached_tokens}
    return found


def _wire_tool_call(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}


def completion(answer: Answer, model: str, completion_id: str) -> dict[str, Any]:
    """The chat.completion response body."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": answer.text if answer.text or not answer.tool_calls else None,
    }
    if answer.tool_calls:
        message["tool_calls"] = [_wire_tool_call(call) for call in answer.tool_calls]
    if answer.reasoning is not None:
        message["reasoning"] = answer.reasoning
    # OpenRouter also passes the provider's own reason on (Anthropic's end_turn / stop_sequence / ...).
    choice = {"index": 0, "message": message, "finish_reason": FINISH_REASONS[answer.stop_reason],
              "native_finish_reason": answer.stop_reason, "logprobs": None}
    return _envelope(completion_id, model, "chat.completion") | {"choices": [choice], "usage": usage(answer)}


def chunks(answer: Answer, model: str, completion_id: str, include_usage: bool) -> Iterator[dict[str, Any]]:
    """chat.completion.chunk objects: role, one per word or tool call, finish, then usage."""
    envelope = _envelope(completion_id, model, "chat.completion.chunk")

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        native = answer.stop_reason if finish_reason else None
        return envelope | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason,
                                        "native_finish_reason": native, "logprobs": None}]}

    yield chunk({"role": "assistant", "content": "" if not answer.tool_calls else None})
    for piece in answer.pieces():
        yield chunk({"content": piece})
    for index, call in enumerate(answer.tool_calls):
        start = {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        yield chunk({"tool_calls": [start]})
        yield chunk({"tool_calls": [{"index": index, "function": {"arguments": json.dumps(call.arguments)}}]})
    yield chunk({}, FINISH_REASONS[answer.stop_reason])
    if include_usage:
        yield envelope | {"choices": [], "usage": usage(answer)}


def _envelope(completion_id: str, model: str, kind: str) -> dict[str, Any]:
    return {"id": completion_id, "object": kind, "created": CREATED, "model": model, "provider": PROVIDER}


def _sse(events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    yield b": OPENROUTER PROCESSING\n\n"  # OpenRouter sends keep-alive comments; clients must skip them
    for event in events:
        yield b"data: " + json.dumps(event).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"


# --- the service -------------------------------------------------------------------


class FakeOpenRouter:
    """The app: authentication, model check, then the chat completion."""

    base_path = "/api/v1"

    def handle(self, request: Request) -> Response:
        try:
            return self._route(request)
        except ApiError as error:
            return Response.json(error.status, {"error": {"message": error.message, "code": error.status}})

    def env(self, url: str) -> dict[str, str]:
        """What a migrated program needs to reach this fake."""
        return {
            "OPENROUTER_BASE_URL": url,
            "OPENROUTER_API_KEY": "sk-or-test",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }

    def _route(self, request: Request) -> Response:
        route = (request.method, request.path.rstrip("/"))
        if route == ("GET", f"{self.base_path}/models"):
            return Response.json(200, {"data": [{"id": model} for model in sorted(accepted_models())]})
        if route != ("POST", f"{self.base_path}/chat/completions"):
            raise ApiError(404, "not_found", f"Not Found: {request.method} {request.path}")
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "unauthorized", "No auth credentials found")
        try:
            body = request.json()
        except ValueError:
            raise bad_request("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        try:
            return self._chat(body, request.body)
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            raise bad_request(f"malformed request: {type(error).__name__}: {error}") from None

    def _chat(self, body: dict[str, Any], raw: bytes) -> Response:
        model = body.get("model")
        if model not in accepted_models():
            raise bad_request(f"{model} is not a valid model ID")
        conversation = chat_conversation(body)
        problem = brain.check(conversation)
        if problem:
            raise bad_request(problem)
        answer = brain.answer(conversation, id_prefix="call_")
        completion_id = "gen-" + hashlib.sha256(raw).hexdigest()[:24]
        if not body.get("stream"):
            return Response.json(200, completion(answer, model, completion_id))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = chunks(answer, model, completion_id, include_usage)
        return Response(200, _sse(events), {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})


def running_fake_openrouter() -> AbstractContextManager[RunningFake]:
    """Serve a fake OpenRouter for the duration of a `with` block (no pytest needed)."""
    return serve(FakeOpenRouter())
