"""Calls answered in Bedrock's shape: what a call rule falls back to when it cannot prove its rewrite.

    response = bedrock.converse(modelId=MODEL, messages=messages)
    →
    response = bedrock_converse(bedrock, modelId=MODEL, messages=messages)

``bedrock_<method>`` (in the generated helper module) sends the request to
OpenRouter as a chat completion and answers in the Bedrock method's shape, so
every read of the response keeps working wherever the response goes. A call
passed as a value (``run_in_threadpool(bedrock.converse, **args)``) becomes
``functools.partial(bedrock_converse, bedrock)``.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst


def call_replacement(call: cst.Call, use: cst.Attribute) -> Callable[[cst.Call], cst.Call]:
    """``client.converse(...)`` → ``bedrock_converse(client, ...)``, built from the updated call."""

    def replace(updated: cst.Call) -> cst.Call:
        receiver = updated.func.value if isinstance(updated.func, cst.Attribute) else use.value
        if not updated.args:
            return updated.with_changes(func=cst.Name(f"bedrock_{use.attr.value}"), args=[cst.Arg(receiver)])
        # The receiver goes first, separated the way the call separates its own arguments.
        comma = updated.args[0].comma
        if not isinstance(comma, cst.Comma):
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        return updated.with_changes(
            func=cst.Name(f"bedrock_{use.attr.value}"), args=[cst.Arg(receiver, comma=comma), *updated.args]
        )

    return replace


def value_replacement(use: cst.Attribute) -> Callable[[cst.Attribute], cst.Call]:
    """``client.converse`` used as a value → ``functools.partial(bedrock_converse, client)``."""

    def replace(updated: cst.Attribute) -> cst.Call:
        return cst.Call(
            func=cst.Attribute(cst.Name("functools"), cst.Name("partial")),
            args=[cst.Arg(cst.Name(f"bedrock_{use.attr.value}")), cst.Arg(updated.value)],
        )

    return replace


def partial_replacement(use: cst.Attribute) -> Callable[[cst.Call], cst.Call]:
    """``functools.partial(client.converse, ...)`` → ``functools.partial(bedrock_converse, client, ...)``."""

    def replace(updated: cst.Call) -> cst.Call:
        first = updated.args[0]
        receiver = first.value.value if isinstance(first.value, cst.Attribute) else use.value
        comma = first.comma if isinstance(first.comma, cst.Comma) else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        return updated.with_changes(args=[
            first.with_changes(value=cst.Name(f"bedrock_{use.attr.value}"), comma=comma),
            cst.Arg(receiver, comma=first.comma),
            *updated.args[1:],
        ])

    return replace
