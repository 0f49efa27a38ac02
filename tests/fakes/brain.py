"""The one deterministic "model" behind both fake services.

The fake Bedrock and the fake OpenRouter each translate their wire format into
the neutral `Conversation` below and ask `answer()`; so a Bedrock program and
its migrated OpenRouter twin get the same text, stop reason and token counts
exactly when they sent the same conversation. Every rule is spelled out here
because behaviour tests are written against them.

Normalisation (done by `merge_turns`, applied before any rule):
  * consecutive messages with the same role are merged into one: texts joined
    with "\\n" (empty texts skipped), tool calls and tool results concatenated.
    (OpenAI `tool` messages arrive as `user` messages carrying tool results, so
    they merge with each other and with a following user text, exactly like
    the toolResult + text blocks of one Bedrock user message.)
  * "last user text": the text of the last user message whose text is not blank
    ("" if there is none); "turns": the number of such user messages.
  * "pending tool results": tool results in that message or any later one
    (all tool results when there is no user text).

Rules, in order:
  1. Tool call. When tools are given, tool_choice is not "none", there are no
     pending tool results, and either the last user text contains
     "weather in <City>" ("weather in" in any case, <City> = one or more
     words each starting with an ASCII capital, e.g. "New York") or
     tool_choice is "required"/a tool name: the answer is ONE tool call.
     Tool: the one named by tool_choice, else the first whose name contains
     "weather" (any case), else the first tool. Arguments: {<arg>: "<City>"},
     or {} when no city was found; <arg> is "city" if the schema has a "city"
     property, else the first `required` name, else the first property, else
     "city". Id: f"{id_prefix}{n}", n = 1 + tool calls already in the
     conversation (the fakes use "tooluse_", "toolu_bdrk_" and "call_").
     Text "", stop_reason "tool_use", output_tokens 5.
  2. Text. With pending tool results (R = text of the last one, whitespace
     collapsed): "The weather in <City> is R" when the last user text names a
     city, else "The tool returned: R". Otherwise the words
       "[<first 3 words of system>]"   when there is a non-blank system text
       "(turn <turns>)"                when turns > 1
       "you said:" <last user text, whitespace runs collapsed to one space>
       "(t=<temperature:g>)"           when a temperature is given
       "(top_p=<top_p:g>)"             when top_p is given
     joined by single spaces, e.g. "[You are terse.] (turn 2) you said: hi (t=0.5)".
  3. Limits. If a stop sequence occurs in the text, the text is cut right
     before the earliest occurrence (nothing stripped): "stop_sequence".
     Then, if the text has more words than max_tokens, it keeps its first
     max_tokens words (no trailing space): "max_tokens". Otherwise "end_turn".
  4. Tokens (a token is a whitespace-separated word): input = words of the
     system text + of every message text + of every tool result text, plus 5
     per tool call in the history; output = words of the answer text, plus 5
     per tool call in the answer.

Reasoning: a conversation that allows reasoning within B tokens (Bedrock's
``thinking.budget_tokens``, OpenRouter's ``reasoning.max_tokens``) gets the
reasoning "(reasoning within B tokens) about: <last user text>" beside its
answer, which is otherwise unchanged.

Prompt cache: the words of everything before the last cache point (system
first, then the messages in order; Bedrock's ``cachePoint`` block, OpenAI's
``cache_control`` on the content part it marks) count as read from the cache:
Bedrock reports them as ``cacheReadInputTokens`` outside ``inputTokens``,
OpenRouter as ``prompt_tokens_details.cached_tokens`` inside ``prompt_tokens``.

Attachments: an image or document in a message reads, in its place among the
message's texts, as "[image/png 8 bytes]" / "[document report.pdf 8 bytes]"
(`attachment_text`): each fake decodes its own wire format (Converse bytes,
OpenAI data URLs), so a lost or altered attachment changes the answer.

Rejected by both fakes (`check`, as HTTP 400 in each API's error format): no
messages; tool_choice without tools, or naming a tool that is not offered; a
tool result whose id matches no earlier tool call; an assistant tool call whose
id has no tool result in the next message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

TOOL_CALL_TOKENS = 5
STOP_REASONS = frozenset({"end_turn", "max_tokens", "stop_sequence", "tool_use"})

_CITY = re.compile(r"(?i:weather\s+in)\s+([A-Z][\w'-]*(?:[ \t]+[A-Z][\w'-]*)*)")
_PIECE = re.compile(r"\s*\S+")


class ToolCall(NamedTuple):
    """A function call the assistant asked for (in history or in an answer)."""

    id: str
    name: str
    arguments: dict[str, Any]


class ToolResult(NamedTuple):
    """What the caller's tool returned, as text (JSON results are json.dumps-ed)."""

    call_id: str
    text: str


class Message(NamedTuple):
    """One turn in neutral form; role is "user" or "assistant"."""

    role: str
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()


class Tool(NamedTuple):
    """A tool the caller offers: name, description and JSON schema of its arguments."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = {}  # noqa: RUF012 -- NamedTuple default, never mutated


@dataclass(frozen=True)
class Conversation:
    """A request in neutral form; both fakes build one of these."""

    messages: Sequence[Message]
    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: Sequence[str] = ()
    tools: Sequence[Tool] = ()
    # "auto" | "required" | "none" | a tool name | None (not given)
    tool_choice: str | None = None
    reasoning_budget: int | None = None  # tokens the caller allows for reasoning; None: no reasoning asked
    cached_words: int = 0  # words of the prompt prefix a cache point marks (read from the cache)


@dataclass(frozen=True)
class Answer:
    """What the model "says"; each fake renders it in its own wire format."""

    text: str
    stop_reason: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    stop_sequence: str | None = None
    reasoning: str | None = None  # present when the conversation asked for reasoning
    cached_tokens: int = 0  # of input_tokens, those read from the prompt cache

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def pieces(self) -> list[str]:
        """Stream pieces, one word each with its leading whitespace; they join to `text`."""
        return split_pieces(self.text)


def split_pieces(text: str) -> list[str]:
    """Split text into word pieces that concatenate back to exactly `text`."""
    pieces = _PIECE.findall(text)
    rest = text[len("".join(pieces)) :]
    if rest:
        if pieces:
            pieces[-1] += rest
        else:
            pieces.append(rest)
    return pieces


def count_words(text: str | None) -> int:
    """The fakes' token count: whitespace-separated words."""
    return len(text.split()) if text else 0


def collapse(text: str) -> str:
    """Whitespace runs to one space, so formatting differences do not change answers."""
    return " ".join(text.split())


def merge_turns(messages: Iterable[Message]) -> list[Message]:
    """Merge consecutive same-role messages (see module docstring)."""
    merged: list[Message] = []
    for message in messages:
        if merged and merged[-1].role == message.role:
            last = merged[-1]
            text = "\n".join(t for t in (last.text, message.text) if t)
            merged[-1] = Message(
                last.role,
                text,
                last.tool_calls + tuple(message.tool_calls),
                last.tool_results + tuple(message.tool_results),
            )
        else:
            merged.append(Message(message.role, message.text, tuple(message.tool_calls), tuple(message.tool_results)))
    return merged


def check(conversation: Conversation) -> str | None:
    """Problems both real APIs reject; returns a message, or None when the request is fine."""
    messages = merge_turns(conversation.messages)
    if not messages:
        return "messages must not be empty"
    tool_names = [tool.name for tool in conversation.tools]
    if conversation.tool_choice is not None and not tool_names:
        return "tool_choice is only allowed when tools are specified"
    if (
        conversation.tool_choice not in (None, "auto", "required", "none")
        and conversation.tool_choice not in tool_names
    ):
        return f"tool_choice names an unknown tool: {conversation.tool_choice}"
    known: set[str] = set()
    for index, message in enumerate(messages):
        for result in message.tool_results:
            if result.call_id not in known:
                return f"tool result {result.call_id!r} does not answer any earlier tool call"
        if message.tool_calls:
            following = messages[index + 1] if index + 1 < len(messages) else None
            answered = {r.call_id for r in following.tool_results} if following else set()
            missing = [c.id for c in message.tool_calls if c.id not in answered]
            if missing:
                return f"tool calls without a tool result in the next message: {', '.join(missing)}"
            known.update(c.id for c in message.tool_calls)
    return None


def answer(conversation: Conversation, *, id_prefix: str = "call_") -> Answer:
    """Answer a conversation by the module's rules; `id_prefix` styles tool-call ids per API."""
    messages = merge_turns(conversation.messages)
    input_tokens = count_input_tokens(conversation.system, messages)
    last_index, last_text = _last_user_text(messages)
    pending = [r for m in messages[last_index:] for r in m.tool_results]
    call = _tool_call(conversation, messages, last_text, pending, id_prefix)
    if call is not None:
        return Answer("", "tool_use", [call], input_tokens, TOOL_CALL_TOKENS)
    text = _reply_text(conversation, messages, last_text, pending)
    text, reason, sequence = _apply_limits(text, conversation.stop, conversation.max_tokens)
    reasoning = None
    if conversation.reasoning_budget is not None:
        reasoning = f"(reasoning within {conversation.reasoning_budget} tokens) about: {collapse(last_text)}"
    return Answer(text, reason, [], input_tokens, count_words(text), sequence, reasoning,
                  min(conversation.cached_words, input_tokens))


def count_input_tokens(system: str | None, messages: Iterable[Message]) -> int:
    """Input tokens by rule 4; independent of how turns are split or merged."""
    total = count_words(system)
    for message in messages:
        total += count_words(message.text) + TOOL_CALL_TOKENS * len(message.tool_calls)
        total += sum(count_words(result.text) for result in message.tool_results)
    return total


def find_city(text: str) -> str | None:
    """The <City> of "weather in <City>", or None."""
    match = _CITY.search(text)
    return collapse(match.group(1)) if match else None


def _last_user_text(messages: list[Message]) -> tuple[int, str]:
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.role == "user" and message.text.strip():
            return index, message.text
    return 0, ""


def _tool_call(
    conversation: Conversation,
    messages: list[Message],
    last_text: str,
    pending: list[ToolResult],
    id_prefix: str,
) -> ToolCall | None:
    if not conversation.tools or conversation.tool_choice == "none" or pending:
        return None
    city = find_city(last_text)
    forced = conversation.tool_choice not in (None, "auto")
    if city is None and not forced:
        return None
    tool = _pick_tool(conversation.tools, conversation.tool_choice)
    arguments = {_argument_name(tool.parameters): city} if city else {}
    number = 1 + sum(len(m.tool_calls) for m in messages)
    return ToolCall(f"{id_prefix}{number}", tool.name, arguments)


def _pick_tool(tools: Sequence[Tool], tool_choice: str | None) -> Tool:
    for tool in tools:
        if tool.name == tool_choice:
            return tool
    for tool in tools:
        if "weather" in tool.name.lower():
            return tool
    return tools[0]


def _argument_name(schema: dict[str, Any]) -> str:
    properties = schema.get("properties") or {}
    if "city" in properties:
        return "city"
    required = schema.get("required") or []
    if required:
        return str(required[0])
    return next(iter(properties), "city")


def _reply_text(conversation: Conversation, messages: list[Message], last_text: str, pending: list[ToolResult]) -> str:
    if pending:
        result = collapse(pending[-1].text)
        city = find_city(last_text)
        return f"The weather in {city} is {result}" if city else f"The tool returned: {result}"
    words: list[str] = []
    system_words = (conversation.system or "").split()[:3]
    if system_words:
        words.append("[" + " ".join(system_words) + "]")
    turns = sum(1 for m in messages if m.role == "user" and m.text.strip())
    if turns > 1:
        words.append(f"(turn {turns})")
    words.append("you said:")
    if last_text.strip():
        words.append(collapse(last_text))
    if conversation.temperature is not None:
        words.append(f"(t={float(conversation.temperature):g})")
    if conversation.top_p is not None:
        words.append(f"(top_p={float(conversation.top_p):g})")
    return " ".join(words)


def _apply_limits(text: str, stop: Sequence[str], max_tokens: int | None) -> tuple[str, str, str | None]:
    reason, sequence = "end_turn", None
    hits = [(text.find(s), s) for s in stop if s and s in text]
    if hits:
        index, sequence = min(hits)
        text, reason = text[:index], "stop_sequence"
    if max_tokens is not None and count_words(text) > max_tokens:
        text = "".join(split_pieces(text)[:max_tokens]).rstrip()
        reason, sequence = "max_tokens", None
    return text, reason, sequence


def attachment_text(kind: str, name: str, data: bytes) -> str:
    """How an attached image or document reads in the conversation."""
    return f"[{name} {len(data)} bytes]" if kind == "image" else f"[document {name} {len(data)} bytes]"
