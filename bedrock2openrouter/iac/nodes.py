"""YAML, JSON and HCL documents as position-carrying nodes, and how to read them.

Every infrastructure format is reduced to PyYAML nodes (`yaml.compose` reads YAML
and, as a YAML subset, JSON; Terraform converts its HCL tree into the same node
classes), so finding statements, classifying them and editing them is written
once, over one shape.

Positions: a node's ``start_mark.index`` / ``end_mark.index`` are character offsets
into ``SourceFile.text`` (nothing else of a mark is used).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import yaml
import yaml.reader
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..findings import ParseFailure
from ..parsing import memoised
from ..workspace import SourceFile
from .spans import node_end

__all__ = ["MappingNode", "Node", "ScalarNode", "SequenceNode", "STR_TAG", "get", "index_of", "items", "load_nodes",
           "load_nodes_at", "mark_at", "scalar_values", "span", "text_value", "values"]

STR_TAG = "tag:yaml.org,2002:str"
# libyaml's marks count characters too (checked with CRLF and astral characters), and it is ~6x faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# -- parsing -------------------------------------------------------------------


@memoised("yaml")
def load_nodes(text: str, *, is_json: bool = False, keys: frozenset[str] | None = None) -> list[Node]:
    """Every document of a YAML or JSON text as position-carrying nodes.

    JSON is validated by `json` first (its errors are clearer, and it is fast: a
    JSON document whose top level has none of ``keys`` is not composed at all,
    so a big ``package-lock.json`` costs little), then composed by YAML with tabs
    turned into spaces: valid JSON has tabs only between tokens, and the
    replacement keeps every offset.
    """
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ParseFailure(f"invalid JSON: {error.msg}", error.lineno, error.colno) from None
        if keys is not None and not (isinstance(data, dict) and keys & data.keys()):
            return []
        text = text.replace("\t", " ")
    try:
        return [node for node in yaml.compose_all(text, Loader=_LOADER) if node is not None]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(part for part in (error.context, error.problem) if part)
        raise ParseFailure(
            f"invalid {'JSON' if is_json else 'YAML'}: {problem}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except (yaml.reader.ReaderError, UnicodeEncodeError) as error:  # control characters, bytes that are not UTF-8
        offset = error.position if isinstance(error, yaml.reader.ReaderError) else error.start
        line, column = text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
        raise ParseFailure("unreadable character (not UTF-8, or a control character)", line, column) from None
    except yaml.YAMLError as error:
        raise ParseFailure(f"invalid {'JSON' if is_json else 'YAML'}: {error}") from None


def load_nodes_at(text: str, base: int) -> Node | None:
    """One embedded JSON document (a Terraform heredoc) whose text starts at offset ``base``.

    Returns None when the text is not JSON: heredocs may hold anything.
    """
    try:
        nodes = load_nodes(text, is_json=True)
    except ParseFailure:
        return None
    if not nodes:
        return None
    document = copy.deepcopy(nodes[0])  # the parse is memoised: shift a copy of it
    _shift(document, base, set())
    return document


def _shift(node: Node, base: int, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    node.start_mark = mark_at(node.start_mark.index + base)
    node.end_mark = mark_at(node.end_mark.index + base)
    children = node.value if isinstance(node, (MappingNode, SequenceNode)) else ()
    for child in children:
        for part in child if isinstance(child, tuple) else (child,):
            _shift(part, base, seen)


def mark_at(index: int) -> Mark:
    """A mark that carries only the character offset, the one field this package reads."""
    return Mark("", index, 0, 0, None, None)


# -- node access -----------------------------------------------------------------


def get(node: Node | None, key: str, *, fold: bool = False) -> Node | None:
    """The value of ``key`` in a mapping node (case-insensitively with ``fold``), else None."""
    for value in values(node, key, fold=fold):
        return value
    return None


def values(node: Node | None, key: str, *, fold: bool = False) -> Iterator[Node]:
    """Every value of ``key`` in a mapping node: HCL repeats block names as keys."""
    if not isinstance(node, MappingNode):
        return
    wanted = key.lower() if fold else key
    for key_node, value in node.value:
        if isinstance(key_node, ScalarNode) and (key_node.value.lower() if fold else key_node.value) == wanted:
            yield value


def items(node: Node | None) -> list[Node]:
    """A sequence's items; a lone node counts as a one-item list (IAM allows both)."""
    if node is None:
        return []
    return list(node.value) if isinstance(node, SequenceNode) else [node]


def text_value(node: Node | None) -> str | None:
    """The value of a plain string scalar (no `!Ref`/`!Sub`, no HCL expression)."""
    if isinstance(node, ScalarNode) and node.tag == STR_TAG:
        return node.value
    return None


def scalar_values(node: Node | None) -> Iterator[str]:
    """Every scalar value below a node, tagged ones included (`!Sub`, `Fn::Join` pieces); keys excluded."""
    if isinstance(node, ScalarNode):
        yield node.value
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from scalar_values(item)
    elif isinstance(node, MappingNode):
        for _, value in node.value:
            yield from scalar_values(value)


def span(source: SourceFile, node: Node) -> tuple[int, int]:
    """``[start, end)`` character offsets of a node (see `spans.node_end` for where it ends)."""
    return node.start_mark.index, node_end(source.text, node)


def index_of(mapping: Node | None, key: str) -> int | None:
    """The position of ``key`` among a mapping node's entries, else None."""
    if isinstance(mapping, MappingNode):
        for index, (key_node, _) in enumerate(mapping.value):
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return index
    return None
