"""Terraform (``.tf`` and ``.tf.json``): Bedrock grants, managed policies, endpoints and Step Functions tasks.

HCL is parsed by python-hcl2 into its raw Lark tree, whose nodes carry exact
character offsets, and converted into the same YAML node classes the other
formats use: a block becomes a mapping spanning ``type … { … }`` (labels nest
as one-key mappings, a repeated block name repeats its key), ``jsonencode(x)``
becomes ``x``, objects and tuples become mappings and sequences, strings keep
their raw text between the quotes, a heredoc keeps its raw body (so JSON inside
it is parsed in place, offsets intact) and any other expression is an opaque
``!hcl`` scalar. ``.tf.json`` is parsed as JSON into the same shape, so one walk
serves both.
"""

from __future__ import annotations

from collections.abc import Iterator

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..findings import Finding, ParseFailure
from ..workspace import SourceFile
from .policy_json import (
    STR_TAG,
    endpoint_findings,
    get,
    is_policy_document,
    items,
    load_nodes,
    load_nodes_at,
    managed_policy_findings,
    mark_at,
    policy_statements,
    span,
    statement_findings,
    task_findings,
    values,
)

OPAQUE_TAG = "!hcl"
_MANAGED_ARN_ATTRIBUTES = ("policy_arn", "policy_arns", "managed_policy_arns")


class RawScalar(ScalarNode):
    """A heredoc body: ``value`` is the source text verbatim from ``start_mark`` on."""


def analyze(source: SourceFile) -> list[Finding]:
    if source.name.lower().endswith(".tf.json"):
        roots = load_nodes(source.text, is_json=True, keys=frozenset({"resource", "data", "locals"}))
    else:
        roots = [parse_hcl(source.text)]
    return [finding for root in roots for finding in _findings(source, root)]


def parse_hcl(text: str) -> MappingNode:
    """The file as nodes; `ParseFailure` with the parser's line and column on a syntax error."""
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as error:
        if isinstance(error, UnexpectedToken):
            found = "end of file" if error.token.type == "$END" else repr(str(error.token).strip() or str(error.token))
        elif isinstance(error, UnexpectedCharacters):
            found = repr(error.char)
        else:
            found = "input"
        line, column = (error.line, error.column) if getattr(error, "line", -1) > 0 else (None, None)
        raise ParseFailure(f"invalid HCL: unexpected {found}", line, column) from None
    except LarkError as error:
        raise ParseFailure(f"invalid HCL: {error}") from None
    return _body(text, tree.children[0], tree)


# -- HCL tree to nodes ----------------------------------------------------------------


def _trees(tree: Tree) -> list[Tree]:
    return [child for child in tree.children if isinstance(child, Tree) and child.data != "new_line_or_comment"]


def _mapping(pairs: list[tuple[Node, Node]], owner: Tree) -> MappingNode:
    return MappingNode("tag:yaml.org,2002:map", pairs, mark_at(owner.meta.start_pos), mark_at(owner.meta.end_pos), True)


def _scalar(tag: str, value: str, start: int, end: int, kind: type[ScalarNode] = ScalarNode) -> ScalarNode:
    return kind(tag, value, mark_at(start), mark_at(end))


def _body(text: str, body: Tree, owner: Tree) -> MappingNode:
    pairs: list[tuple[Node, Node]] = []
    for child in _trees(body):
        if child.data == "attribute":
            pairs.append((_key(text, child.children[0]), _expression(text, child.children[-1])))
        elif child.data == "block":
            *names, inner = _trees(child)
            node: Node = _body(text, inner, child)
            for label in reversed(names[1:]):
                node = _mapping([(_key(text, label), node)], child)
            pairs.append((_key(text, names[0]), node))
    return _mapping(pairs, owner)


def _unwrap(tree: Tree) -> Tree:
    """Through ``expr_term`` wrappers and parentheses to the expression itself."""
    while isinstance(tree, Tree) and tree.data in ("expr_term", "object_elem_key") and len(_trees(tree)) == 1:
        tree = _trees(tree)[0]
    return tree


def _key(text: str, tree: Tree) -> ScalarNode:
    tree = _unwrap(tree)
    start, end = tree.meta.start_pos, tree.meta.end_pos
    value = text[start + 1 : end - 1] if tree.data == "string" else text[start:end]
    return _scalar(STR_TAG, value, start, end)


def _expression(text: str, tree: Tree) -> Node:
    tree = _unwrap(tree)
    start, end = tree.meta.start_pos, tree.meta.end_pos
    if tree.data == "object":
        pairs = [(_key(text, elem.children[0]), _expression(text, elem.children[-1])) for elem in _trees(tree)]
        return _mapping(pairs, tree)
    if tree.data == "tuple":
        children = [_expression(text, child) for child in _trees(tree)]
        return SequenceNode("tag:yaml.org,2002:seq", children, mark_at(start), mark_at(end), True)
    if tree.data == "string":
        return _scalar(STR_TAG, text[start + 1 : end - 1], start, end)
    if tree.data in ("heredoc_template", "heredoc_template_trim"):
        token: Token = tree.children[0]
        body_start = start + token.index("\n") + 1
        body_end = start + token.rstrip("\r\n").rfind("\n") + 1  # the delimiter line starts here
        return _scalar(STR_TAG, text[body_start:body_end], body_start, body_end, RawScalar)
    if tree.data == "function_call" and str(tree.children[0].children[0]) == "jsonencode":
        arguments = next((child for child in _trees(tree) if child.data == "arguments"), None)
        if arguments is not None and _trees(arguments):
            return _expression(text, _trees(arguments)[0])
    return _scalar(OPAQUE_TAG, text[start:end], start, end)


# -- the walk ----------------------------------------------------------------------------


def _blocks(root: Node, kind: str) -> Iterator[tuple[str, Node]]:
    """``(type, body)`` of every ``resource``/``data`` block, in HCL or Terraform JSON shape."""
    for group in values(root, kind):
        for by_type in items(group):
            for type_key, by_name in by_type.value if isinstance(by_type, MappingNode) else ():
                for named in items(by_name):
                    for _, body in named.value if isinstance(named, MappingNode) else ():
                        for block in items(body):
                            yield type_key.value, block


def _document_statements(document: Node) -> Iterator[Node]:
    """``statement`` blocks of an ``aws_iam_policy_document``, ``dynamic "statement"`` content included."""
    for statement in values(document, "statement"):
        yield from items(statement)
    for dynamic in values(document, "dynamic"):
        for block in items(get(dynamic, "statement")):
            yield from items(get(block, "content"))


def _inline_documents(node: Node) -> Iterator[Node]:
    """Every JSON-shaped policy document (``jsonencode`` object, heredoc JSON) anywhere in the file."""
    if is_policy_document(node):
        yield node
    elif isinstance(node, RawScalar):
        if (parsed := load_nodes_at(node.value, node.start_mark.index)) is not None:
            yield from _inline_documents(parsed)
    elif isinstance(node, MappingNode):
        for _, value in node.value:
            yield from _inline_documents(value)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _inline_documents(item)


def _findings(source: SourceFile, root: Node) -> list[Finding]:
    statements = [statement for document in _inline_documents(root) for statement in policy_statements(document)]
    managed: list[Node] = []
    found: list[Finding] = []
    for kind in ("resource", "data"):
        for block_type, body in _blocks(root, kind):
            if kind == "data" and block_type == "aws_iam_policy_document":
                statements += _document_statements(body)
            if kind == "data" and block_type == "aws_iam_policy":
                managed += [node for key in ("arn", "name") for node in values(body, key)]
            managed += [item for key in _MANAGED_ARN_ATTRIBUTES for node in values(body, key) for item in items(node)]
            if block_type == "aws_vpc_endpoint":
                found += endpoint_findings(source, get(body, "service_name"))
            if block_type == "aws_sfn_state_machine" and (definition := get(body, "definition")) is not None:
                found += task_findings(source, *span(source, definition))
    return statement_findings(source, statements) + managed_policy_findings(source, managed) + found
