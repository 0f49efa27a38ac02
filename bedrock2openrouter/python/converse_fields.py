"""The parts of a Converse call that the chat-completion translation cannot carry.

A guardrail, a prompt template's variables, a video or guard-content block: sent
to OpenRouter without them, the call would answer differently and say nothing.
So a call that names one keeps its client on Bedrock, and each part is reported.
Images, PDFs and cache points are translated (in the generated helper). What the
source does not show (``**request``, messages built elsewhere, an image read
from S3) the helper checks at run time, and hands such a request to Bedrock itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from .clients import ClientTracer
from .literals import dict_value
from .tables import CHAT_CONTENT_BLOCKS, CHAT_REQUEST_FIELDS

GUARDRAIL_FIELDS = frozenset({"guardrailConfig"})
CONVERSE_METHODS = frozenset({"converse", "converse_stream"})


def untranslated_parts(call: cst.Call, tracer: ClientTracer) -> list[tuple[cst.CSTNode, str]]:
    """Each request field or content block of ``call`` that has no translation, with its name."""
    parts: list[tuple[cst.CSTNode, str]] = []
    for arg in call.args:
        if arg.keyword is None:
            request = _literal(arg.value, tracer) if arg.star == "**" else None
            if isinstance(request, cst.Dict):
                parts += _dict_parts(request, tracer)
            continue
        parts += _field_parts(arg, arg.keyword.value, arg.value, tracer)
    return parts


def _dict_parts(request: cst.Dict, tracer: ClientTracer) -> Iterator[tuple[cst.CSTNode, str]]:
    """The untranslated parts of a request written as a dict literal (``converse(**request)``)."""
    for element in request.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
            key = element.key.evaluated_value
            if isinstance(key, str):
                yield from _field_parts(element, key, element.value, tracer)


def _field_parts(
    node: cst.CSTNode, name: str, value: cst.BaseExpression, tracer: ClientTracer
) -> Iterator[tuple[cst.CSTNode, str]]:
    if name not in CHAT_REQUEST_FIELDS:
        yield node, name
    elif name == "messages":
        for message in _elements(value, tracer):
            content = dict_value(message, "content")
            yield from _blocks(content, tracer) if content is not None else ()
    elif name == "system":
        yield from _blocks(value, tracer)


def _blocks(value: cst.BaseExpression, tracer: ClientTracer) -> Iterator[tuple[cst.CSTNode, str]]:
    for block in _elements(value, tracer):
        if isinstance(block, cst.Dict):
            for element in block.elements:
                key = element.key if isinstance(element, cst.DictElement) else None
                name = key.evaluated_value if isinstance(key, cst.SimpleString) else None
                if isinstance(name, str) and name not in CHAT_CONTENT_BLOCKS:
                    yield block, f"{name} block"


def _elements(value: cst.BaseExpression, tracer: ClientTracer) -> list[cst.BaseExpression]:
    """The items of a list literal (also one bound to a name in this module); none for anything else."""
    literal = _literal(value, tracer)
    if not isinstance(literal, cst.List | cst.Tuple):
        return []
    return [element.value for element in literal.elements if isinstance(element, cst.Element)]


def _literal(value: cst.BaseExpression, tracer: ClientTracer) -> cst.BaseExpression | None:
    if isinstance(value, cst.Name):
        return tracer.bound_value(value)
    return value
