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

Removal (`removal_edits`): ``statement`` blocks of an ``aws_iam_policy_document``
and statements of ``jsonencode`` objects and heredoc JSON go like any other
list entry. A policy document that would be left without statements goes only
as the whole ``aws_iam_role_policy`` / ``aws_iam_user_policy`` /
``aws_iam_group_policy`` / ``aws_iam_policy`` resource whose ``policy`` it is,
and only when no ``.tf`` file of the module names that resource; anywhere else
(a data source that other resources read, an ``inline_policy`` block, whose
absence makes Terraform stop managing inline policies, ``locals``) its last
statements stay, reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import hcl2
from lark import Token, Tree
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..edits import SpanEdit
from ..filekinds import is_policy_document
from ..findings import Finding, ParseFailure
from ..parsing import memoised
from ..workspace import SourceFile
from .grants import (
    endpoint_findings,
    managed_policy_findings,
    policy_statements,
    statement_findings,
    task_findings,
)
from .nodes import STR_TAG, get, items, load_nodes, load_nodes_at, mark_at, span, values
from .removal import Scope, grant_removal_edits, statement_scope, trusts_bedrock_caller
from .spans import Dialect, Slot, mentioned_outside, node_end

OPAQUE_TAG = "!hcl"
_MANAGED_ARN_ATTRIBUTES = ("policy_arn", "policy_arns", "managed_policy_arns")
# Resources that exist only to hold the policy document in their ``policy`` argument.
_POLICY_RESOURCES = frozenset({"aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_policy"})
# What an aws_iam_policy_document may keep and still be empty.
_DOCUMENT_HEADER = frozenset({"version", "policy_id"})
_TF_JSON_KEYS = frozenset({"resource", "data", "locals"})
_PRINCIPAL_RE = re.compile(r"(aws_iam_(?:role|user|group))\.([\w-]+)(?:\.\w+)?")


class RawScalar(ScalarNode):
    """A heredoc body: ``value`` is the source text verbatim from ``start_mark`` on."""


def analyze(source: SourceFile) -> list[Finding]:
    if source.name.lower().endswith(".tf.json"):
        roots = load_json(source.text)
    else:
        roots = [parse_hcl(source.text)]
    return [finding for root in roots for finding in _findings(source, root)]


def load_json(text: str) -> list[Node]:
    """A ``.tf.json`` file's documents (only one with Terraform's top-level keys is composed)."""
    return load_nodes(text, is_json=True, keys=_TF_JSON_KEYS)


@memoised("hcl")
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


def _inline_documents(node: Node, expand: Heredocs) -> Iterator[tuple[Node, Dialect]]:
    """Every JSON-shaped policy document (``jsonencode`` object, heredoc JSON) anywhere in the file, with its dialect."""
    if is_policy_document(node):
        yield node, Dialect.HCL
    elif isinstance(node, RawScalar):
        if (parsed := expand(node)) is not None:
            yield from ((document, Dialect.JSON) for document, _ in _inline_documents(parsed, expand))
    elif isinstance(node, MappingNode):
        for _, value in node.value:
            yield from _inline_documents(value, expand)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _inline_documents(item, expand)


class Heredocs:
    """Heredoc bodies parsed as JSON once each, so the documents edited are the ones checked afterwards."""

    def __init__(self) -> None:
        self._parsed: dict[int, tuple[Node, Node | None]] = {}  # the node is kept so its id stays unique

    def __call__(self, node: Node) -> Node | None:
        if not isinstance(node, RawScalar):
            return None
        if id(node) not in self._parsed:
            self._parsed[id(node)] = (node, load_nodes_at(node.value, node.start_mark.index))
        return self._parsed[id(node)][1]


def _findings(source: SourceFile, root: Node) -> list[Finding]:
    documents = _inline_documents(root, Heredocs())
    statements = [statement for document, _ in documents for statement in policy_statements(document)]
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


# -- removal ------------------------------------------------------------------------------


def removal_edits(source: SourceFile, findings: Iterable[Finding]) -> list[SpanEdit]:
    """Deletions of a Terraform file's Bedrock invocation grants (see the module docstring for what goes).

    Grants that may feed a role Step Functions or Bedrock assumes (a state
    machine with Bedrock tasks, a Knowledge Base, an Agent) stay: in a module
    that has such a role, a grant goes only when it traceably belongs to another one.
    """
    if source.name.lower().endswith(".tf.json"):
        roots = load_json(source.text)
        if trusts_bedrock_caller(source.text):
            return []
        scopes = [
            statement_scope(get(body, "statement"), Dialect.JSON)
            for root in roots
            for block_type, body in _blocks(root, "data")
            if block_type == "aws_iam_policy_document"
        ]
        return grant_removal_edits(source, scopes, findings, roots, load_json)
    root = parse_hcl(source.text)
    module = _Module(source, root)
    heredocs = Heredocs()
    scopes: list[Scope | None] = []
    for index, (kind, block) in enumerate(root.value):
        labels, body = _labelled(block)
        address = ".".join(labels if kind.value == "resource" else [kind.value, *labels])
        done: set[int] = set()
        if kind.value == "data" and labels[:1] == ["aws_iam_policy_document"] and module.feeds_only_safe_roles(address):
            scopes.append(_document_scope(body, address))
        elif kind.value == "resource" and labels[:1] and labels[0] in _POLICY_RESOURCES:
            policy = get(body, "policy")
            document, dialect = (heredocs(policy), Dialect.JSON) if isinstance(policy, RawScalar) else (policy, Dialect.HCL)
            if document is not None and is_policy_document(document):
                done.add(id(document))
                role = _role_of(body)
                if module.is_safe_role(role):
                    whole = () if module.names_elsewhere(address, block) else (Slot(root, index, Dialect.HCL, f"resource {address}"),)
                    scopes.append(statement_scope(get(document, "Statement", fold=True), dialect, whole, role or address))
        owner = address if kind.value == "resource" and labels[:1] == ["aws_iam_role"] else None  # inline_policy blocks
        if module.is_safe_role(owner):
            for document, dialect in _inline_documents(block, heredocs):
                if id(document) not in done:
                    scopes.append(statement_scope(get(document, "Statement", fold=True), dialect, (), owner))
    return grant_removal_edits(source, scopes, findings, [root], lambda text: [parse_hcl(text)], heredocs)


def _labelled(block: Node) -> tuple[list[str], Node]:
    """A block's labels and body: labels nest as one-key mappings that start where the block does."""
    labels: list[str] = []
    while (
        isinstance(block, MappingNode)
        and len(block.value) == 1
        and isinstance(block.value[0][1], MappingNode)
        and block.value[0][1].start_mark.index == block.start_mark.index
    ):
        labels.append(block.value[0][0].value)
        block = block.value[0][1]
    return labels, block


def _document_scope(body: Node, principal: str) -> Scope:
    """The ``statement`` blocks of an ``aws_iam_policy_document``; it may not be emptied (others read it)."""
    statements = tuple(
        (value, Slot(body, index, Dialect.HCL))
        for index, (key, value) in enumerate(body.value)
        if key.value == "statement" and isinstance(value, MappingNode)
    )
    members = frozenset(index for index, (key, _) in enumerate(body.value) if key.value not in _DOCUMENT_HEADER)
    return Scope(statements, Dialect.HCL, (), principal, members)


def _role_of(body: Node) -> str | None:
    """The role, user or group (``aws_iam_role.x``) a policy resource attaches to, when it names one."""
    for key in ("role", "user", "group"):
        target = get(body, key)
        if target is not None and (match := _PRINCIPAL_RE.fullmatch(target.value)):
            return f"{match.group(1)}.{match.group(2)}"
    return None


class _Module:
    """The Terraform files of one directory: what names a resource, and which roles AWS services assume.

    A module is a directory, so ``depends_on``, an attachment or a ``moved``
    block in a sibling file counts; siblings that cannot be read or parsed count
    as naming nothing and defining nothing.
    """

    def __init__(self, source: SourceFile, root: MappingNode) -> None:
        self._source = source
        self._texts = [source.text]
        try:
            siblings = sorted(path for path in source.path.parent.iterdir() if path.name.endswith((".tf", ".tf.json")))
        except OSError:
            siblings = []
        self._texts += [_read(path) for path in siblings if path.name != source.name]
        self.has_callers = any(map(trusts_bedrock_caller, self._texts))
        self._blocks: dict[str, tuple[str, Node]] = {}
        if self.has_callers:
            for text in self._texts:
                try:
                    tree = root if text is source.text else parse_hcl(text)
                except ParseFailure:
                    continue
                for kind, block in tree.value:
                    labels, _ = _labelled(block)
                    if kind.value in ("resource", "data") and len(labels) == 2:
                        address = ".".join(labels if kind.value == "resource" else [kind.value, *labels])
                        self._blocks[address] = (text, block)

    def names_elsewhere(self, address: str, block: Node) -> bool:
        """True when this file outside ``block``, or a sibling, refers to the resource at ``address``."""
        pattern = _reference(address)
        text = self._source.text
        if mentioned_outside(text, pattern, block.start_mark.index, node_end(text, block)):
            return True
        return any(pattern.search(other) for other in self._texts[1:])

    def is_safe_role(self, role: str | None) -> bool:
        """True when no role of the module trusts Step Functions or Bedrock, or ``role`` is known and is not one."""
        if not self.has_callers:
            return True
        if role is None or role not in self._blocks:
            return False
        region = self._region(role)
        if trusts_bedrock_caller(region):
            return False
        for name in re.findall(r"data\.aws_iam_policy_document\.([\w-]+)", region):  # its assume_role_policy
            document = f"data.aws_iam_policy_document.{name}"
            if document not in self._blocks or trusts_bedrock_caller(self._region(document)):
                return False
        return True

    def feeds_only_safe_roles(self, document: str) -> bool:
        """True when every reader of a policy document is a role policy or role that `is_safe_role`."""
        if not self.has_callers:
            return True
        pattern = _reference(document)
        roles: list[str | None] = []
        for address, (_, block) in self._blocks.items():
            if address != document and pattern.search(self._region(address)):
                kind = address.split(".")[0]
                if kind == "aws_iam_role":
                    roles.append(address)
                elif kind in _POLICY_RESOURCES - {"aws_iam_policy"}:
                    roles.append(_role_of(_labelled(block)[1]))
                else:
                    return False
        return bool(roles) and all(map(self.is_safe_role, roles))

    def _region(self, address: str) -> str:
        text, block = self._blocks[address]
        return text[block.start_mark.index : node_end(text, block)]


def _reference(address: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.]){re.escape(address)}\b")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
