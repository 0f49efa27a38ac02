"""B2O102: a Converse call on a migrated client becomes a chat completion.

    response = bedrock.converse(modelId=MODEL, system=[{"text": SYSTEM}],
                                messages=[{"role": "user", "content": [{"text": prompt}]}],
                                inferenceConfig={"maxTokens": 512, "temperature": 0.5})
    print(response["output"]["message"]["content"][0]["text"], response["usage"]["totalTokens"])
    →
    response = bedrock.chat.completions.create(model=MODEL, messages=[
                                {"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                                max_tokens=512, temperature=0.5)
    print(response.choices[0].message.content, response.usage.total_tokens)

Only when every argument is written out in the call and every read of the
response is one `tables` translates; anything else goes through
``bedrock_converse`` (`compat_calls`) and is reported as B2O106.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import libcst as cst

from ..tables import FINISH_REASONS, INFERENCE_CONFIG, TEXT_PATH, USAGE_FIELDS

KIND = "call"
CODE = "B2O102"
DESCRIPTION = "Converse call → chat.completions.create"
METHOD = "converse"
STREAMING = False


def literal(node: cst.BaseExpression) -> object:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Integer):
        return int(node.value)
    return None


def _dict_items(node: cst.BaseExpression) -> dict[str, cst.DictElement] | None:
    """A dict literal with string keys only, by key; None for anything else."""
    if not isinstance(node, cst.Dict):
        return None
    items: dict[str, cst.DictElement] = {}
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return None
        key = literal(element.key)
        if not isinstance(key, str):
            return None
        items[key] = element
    return items


def _single_text(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``[{"text": X}]`` → ``X``."""
    if isinstance(node, cst.List) and len(node.elements) == 1:
        block = _dict_items(node.elements[0].value)
        if block is not None and set(block) == {"text"}:
            return block["text"].value
    return None


def _messages(node: cst.BaseExpression, system: cst.BaseExpression | None) -> cst.List | None:
    """Converse messages written out in the call, as chat messages; None if any is not plain text."""
    if not isinstance(node, cst.List) or not node.elements:
        return None
    elements = []
    for element in node.elements:
        message = _dict_items(element.value)
        if message is None or set(message) != {"role", "content"}:
            return None
        text = _single_text(message["content"].value)
        if text is None:
            return None
        content = message["content"].with_changes(value=text)
        elements.append(element.with_changes(value=element.value.with_changes(
            elements=[content if item is message["content"] else item for item in element.value.elements])))
    if system is not None:
        first = node.elements[0]
        system_message = first.value.with_changes(elements=[
            cst.DictElement(cst.SimpleString('"role"'), cst.SimpleString('"system"'),
                            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            cst.DictElement(cst.SimpleString('"content"'), system),
        ])
        comma = first.comma if isinstance(first.comma, cst.Comma) else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        elements.insert(0, first.with_changes(value=system_message, comma=comma))
    return node.with_changes(elements=elements)


def chain(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> tuple[cst.BaseExpression, tuple]:
    """From ``response``, the longest ``response[k1][k2]...`` chain of literal keys above it, and the keys."""
    keys: list[object] = []
    current = node
    while True:
        parent = parents.get(current)
        if not (isinstance(parent, cst.Subscript) and parent.value is current and len(parent.slice) == 1):
            return current, tuple(keys)
        index = parent.slice[0].slice
        key = literal(index.value) if isinstance(index, cst.Index) else None
        if key is None:
            return current, tuple(keys)
        keys.append(key)
        current = parent


def _response_reads(
    chain_root: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode]
) -> dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] | None:
    """Replacements for one read of a Converse response; None when the read has no provable translation."""
    outer, keys = chain(chain_root, parents)

    def attribute_path(*names: str, choice: bool = False) -> Callable[[cst.CSTNode], cst.CSTNode]:
        def build(updated: cst.CSTNode) -> cst.CSTNode:
            base = updated
            for _ in keys:
                base = base.value
            expression = base
            if choice:
                expression = cst.Subscript(cst.Attribute(expression, cst.Name("choices")),
                                           [cst.SubscriptElement(cst.Index(cst.Integer("0")))])
            for name in names:
                expression = cst.Attribute(expression, cst.Name(name))
            return expression
        return build

    if keys == TEXT_PATH:
        return {outer: attribute_path("message", "content", choice=True)}
    if len(keys) == 2 and keys[0] == "usage" and keys[1] in USAGE_FIELDS:
        return {outer: attribute_path("usage", USAGE_FIELDS[keys[1]])}
    if keys == ("stopReason",):
        comparison = parents.get(outer)
        if not isinstance(comparison, cst.Comparison) or comparison.left is not outer or len(comparison.comparisons) != 1:
            return None
        target = comparison.comparisons[0]
        if not isinstance(target.operator, (cst.Equal, cst.NotEqual)) or literal(target.comparator) not in FINISH_REASONS:
            return None  # stop_sequence has no finish_reason of its own: it would compare equal to end_turn
        finish = FINISH_REASONS[literal(target.comparator)]
        quote = target.comparator.value[0] if isinstance(target.comparator, cst.SimpleString) else '"'
        return {
            outer: attribute_path("finish_reason", choice=True),
            target.comparator: lambda _updated: cst.SimpleString(f"{quote}{finish}{quote}"),
        }
    return None


def idiomatic_replacements(
    call: cst.Call,
    use: cst.Attribute,
    parents: Mapping[cst.CSTNode, cst.CSTNode],
    response_reads: list[cst.CSTNode],
    loop_variable_reads: Callable[[cst.For], list[cst.CSTNode] | None],
) -> dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] | None:
    """The idiomatic chat-completion rewrite of one Converse call, or None if it cannot be proven.

    ``response_reads`` are the nodes that read the response: the names bound to
    it, or the call itself when it is read in place. ``loop_variable_reads``
    gives the reads of a ``for`` loop's variable (streams are read in loops).
    """
    return chat_completion(call, use, response_reads, lambda read: _response_reads(read, parents), streaming=False)


def chat_completion(
    call: cst.Call,
    use: cst.Attribute,
    response_reads: list[cst.CSTNode],
    translate_read: Callable[[cst.CSTNode], dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] | None],
    *,
    streaming: bool,
) -> dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] | None:
    """The call as ``client.chat.completions.create(...)``, with each read of its response translated."""
    request = _chat_arguments(call)
    if request is None:
        return None
    replacements: dict[cst.CSTNode, Callable[[cst.CSTNode], cst.CSTNode]] = {}
    for read in response_reads:
        found = translate_read(read)
        if found is None:
            return None
        replacements.update(found)

    def rewrite_call(updated: cst.Call) -> cst.Call:
        new_args = request(updated.args)
        if streaming:
            new_args.append(cst.Arg(cst.Name("True"), keyword=cst.Name("stream"), equal=_EQUAL))
        # Between arguments, the call's own separator; after the last, what the last had.
        separator = updated.args[0].comma if len(updated.args) > 1 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        new_args = [arg.with_changes(comma=separator) for arg in new_args[:-1]] + [
            new_args[-1].with_changes(comma=updated.args[-1].comma)
        ]
        receiver = updated.func.value if isinstance(updated.func, cst.Attribute) else use.value
        func = cst.Attribute(cst.Attribute(cst.Attribute(receiver, cst.Name("chat")), cst.Name("completions")),
                             cst.Name("create"))
        return updated.with_changes(func=func, args=new_args)

    replacements[call] = rewrite_call
    return replacements


_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def _chat_arguments(call: cst.Call) -> Callable[[Sequence[cst.Arg]], list[cst.Arg]] | None:
    """How to turn the call's Converse arguments into chat-completion arguments, if all are written out."""
    arguments: dict[str, cst.Arg] = {}
    for arg in call.args:
        if arg.keyword is None or arg.star:
            return None
        arguments[arg.keyword.value] = arg
    if not {"modelId", "messages"} <= arguments.keys() or arguments.keys() - {
        "modelId", "messages", "system", "inferenceConfig", "additionalModelRequestFields"
    }:
        return None
    system = None
    if "system" in arguments:
        system = _single_text(arguments["system"].value)
        if system is None:
            return None
    messages = _messages(arguments["messages"].value, system)
    if messages is None:
        return None
    inference: dict[str, cst.DictElement] = {}
    if "inferenceConfig" in arguments:
        inference = _dict_items(arguments["inferenceConfig"].value)
        if inference is None or inference.keys() - INFERENCE_CONFIG.keys():
            return None

    def translate(args: Sequence[cst.Arg]) -> list[cst.Arg]:
        new_args: list[cst.Arg] = []
        for arg in args:
            name = arg.keyword.value
            if name == "modelId":
                new_args.append(arg.with_changes(keyword=cst.Name("model")))
            elif name == "messages":
                new_args.append(arg.with_changes(value=messages))
            elif name == "inferenceConfig":
                for key, element in inference.items():
                    new_args.append(arg.with_changes(keyword=cst.Name(INFERENCE_CONFIG[key]), value=element.value))
            elif name == "additionalModelRequestFields":
                new_args.append(arg.with_changes(keyword=cst.Name("extra_body")))
        return new_args

    return translate


