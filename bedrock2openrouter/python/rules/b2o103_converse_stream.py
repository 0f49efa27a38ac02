"""B2O103: a ConverseStream call whose loop reads only text deltas becomes a streamed chat completion.

    response = bedrock.converse_stream(modelId=MODEL, messages=[...])
    for event in response["stream"]:
        if "contentBlockDelta" in event:
            print(event["contentBlockDelta"]["delta"]["text"], end="")
    →
    response = bedrock.chat.completions.create(model=MODEL, messages=[...], stream=True)
    for event in response:
        if event.choices and event.choices[0].delta.content:
            print(event.choices[0].delta.content, end="")

The request is translated as B2O102 translates it. Any other read of the
stream goes through ``bedrock_converse_stream`` (`compat_calls`), reported as B2O106.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import libcst as cst

from . import b2o102_converse

KIND = "call"
CODE = "B2O103"
DESCRIPTION = "ConverseStream call → chat.completions.create(stream=True)"
METHOD = "converse_stream"
STREAMING = True


def idiomatic_replacements(call, use, parents, response_reads, loop_variable_reads):
    """The streamed chat-completion rewrite of one ConverseStream call, or None if it cannot be proven."""
    return b2o102_converse.chat_completion(
        call, use, response_reads, lambda read: _stream_reads(read, parents, loop_variable_reads), streaming=True)


def _stream_reads(
    read: cst.CSTNode,
    parents: Mapping[cst.CSTNode, cst.CSTNode],
    loop_variable_reads: Callable[[cst.For], list[cst.CSTNode] | None],
) -> dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] | None:
    """``for event in response["stream"]`` reading only text deltas → ``for event in response`` over chunks.

    Loops that also read messageStop or metadata events stay with bedrock_converse_stream:
    a chunk may carry text and finish_reason at once, which an if/elif over
    events would not expect.
    """
    outer, keys = b2o102_converse.chain(read, parents)
    loop = parents.get(outer)
    if keys != ("stream",) or not isinstance(loop, cst.For) or loop.iter is not outer:
        return None
    variable_reads = loop_variable_reads(loop)
    if variable_reads is None:
        return None
    replacements: dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] = {
        outer: lambda updated: updated.value,  # response["stream"] → response
    }
    for variable in variable_reads:
        target = parents.get(variable)
        comparison = parents.get(target)
        if (isinstance(target, cst.ComparisonTarget) and isinstance(target.operator, cst.In)
                and isinstance(comparison, cst.Comparison) and len(comparison.comparisons) == 1
                and b2o102_converse.literal(comparison.left) == "contentBlockDelta"):
            replacements[comparison] = lambda _updated, name=variable: _delta_test(name)
            continue
        text, keys = b2o102_converse.chain(variable, parents)
        if keys != ("contentBlockDelta", "delta", "text"):
            return None
        replacements[text] = lambda _updated, name=variable: _delta_content(name)
    return replacements


def _delta_content(name: cst.BaseExpression) -> cst.BaseExpression:
    choice = cst.Subscript(cst.Attribute(name, cst.Name("choices")), [cst.SubscriptElement(cst.Index(cst.Integer("0")))])
    return cst.Attribute(cst.Attribute(choice, cst.Name("delta")), cst.Name("content"))


def _delta_test(name: cst.BaseExpression) -> cst.BaseExpression:
    """``"contentBlockDelta" in event`` → ``event.choices and event.choices[0].delta.content``."""
    return cst.BooleanOperation(cst.Attribute(name, cst.Name("choices")), cst.And(), _delta_content(name))
