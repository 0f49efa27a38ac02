"""Parse TypeScript and JavaScript, and answer what every analyser asks of the tree.

tree-sitter reads UTF-8 bytes and reports byte offsets; findings need 1-based
character columns. `ParsedSource` keeps the bytes it parsed and maps nodes back
to `SourceFile` positions. `Imports` answers "which module does this name come
from", the question that separates the AWS SDK's ``BedrockRuntimeClient`` from a
project class of the same name; every detection asks it through `resolve`.

Name resolution is per file and ignores nested scopes: a binding imported
anywhere in the file counts everywhere in it.
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import NamedTuple

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from ..filekinds import grammar_of
from ..findings import Finding, ParseFailure, make_finding
from ..parsing import memoised
from ..workspace import SourceFile

_DISPLAY_NAMES = {"typescript": "TypeScript", "tsx": "TSX", "javascript": "JavaScript"}

# Wrappers that do not change which value an expression denotes.
_TRANSPARENT = frozenset(
    {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression", "type_assertion"}
)


@cache
def language(grammar: str) -> Language:
    """Load a grammar once per process: every file and every query shares it."""
    if grammar == "javascript":
        return Language(tree_sitter_javascript.language())
    return Language(getattr(tree_sitter_typescript, f"language_{grammar}")())


@cache
def _query(grammar: str, pattern: str) -> Query:
    return Query(language(grammar), pattern)


def parse(source: SourceFile) -> ParsedSource:
    """Parse a file with the grammar its name calls for; a syntax error raises `ParseFailure`."""
    grammar = grammar_of(source.relpath)
    code = source.text.encode("utf-8", "surrogateescape")
    parsed = ParsedSource(source, grammar, code, parse_tree(code, grammar))
    if parsed.tree.root_node.has_error:
        node = _first_error(parsed.tree.root_node)
        snippet = parsed.text(node).strip().split("\n")[0][:30]
        detail = f'missing "{node.type}"' if node.is_missing else f'unexpected "{snippet}"' if snippet else ""
        line, column = parsed.start(node)
        raise ParseFailure(f"{_DISPLAY_NAMES[grammar]} syntax error" + (f": {detail}" if detail else ""), line, column)
    return parsed


@memoised("tree-sitter")
def parse_tree(code: bytes, grammar: str) -> Tree:
    return Parser(language(grammar)).parse(code)


def _first_error(node: Node) -> Node:
    """The first ERROR or MISSING node in document order."""
    while True:
        for child in node.children:
            if child.is_error or child.is_missing:
                return child
            if child.has_error:
                node = child
                break
        else:
            return node


class ParsedSource:
    """A parsed file: its tree, the bytes it was parsed from, and positions in `source` terms."""

    def __init__(self, source: SourceFile, grammar: str, code: bytes, tree: Tree) -> None:
        self.source = source
        self.grammar = grammar
        self.code = code
        self.tree = tree
        self._captures: dict[str, dict[str, list[Node]]] = {}

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @cached_property
    def imports(self) -> Imports:
        return Imports(self)

    def captures(self, pattern: str) -> dict[str, list[Node]]:
        """Run a tree-sitter query over the whole file; queries compile once per grammar, run once per file."""
        if pattern not in self._captures:
            found = QueryCursor(_query(self.grammar, pattern)).captures(self.root)
            # In document order: tree-sitter does not promise one, and every caller reads them in it.
            self._captures[pattern] = {
                name: sorted(nodes, key=lambda node: (node.start_byte, -node.end_byte)) for name, nodes in found.items()
            }
        return self._captures[pattern]

    def text(self, node: Node) -> str:
        return self.code[node.start_byte:node.end_byte].decode("utf-8", "surrogateescape")

    def position(self, byte_offset: int) -> tuple[int, int]:
        """1-based (line, column) of a byte offset, the column counted in characters as `SourceFile.position` does.

        Only the offset's own line is decoded, so positions stay cheap in long non-ASCII files.
        """
        line_start = self.code.rfind(b"\n", 0, byte_offset) + 1
        column = len(self.code[line_start:byte_offset].decode("utf-8", "surrogateescape")) + 1
        return self.code.count(b"\n", 0, byte_offset) + 1, column

    def start(self, node: Node) -> tuple[int, int]:
        return self.position(node.start_byte)

    def end(self, node: Node) -> tuple[int, int]:
        """Position just after the node (exclusive, as SARIF's endColumn)."""
        return self.position(node.end_byte)

    def finding(self, node: Node, rule: str, message: str) -> Finding:
        """A finding spanning ``node``."""
        (line, column), (end_line, end_column) = self.start(node), self.end(node)
        return make_finding(
            rule, self.source.relpath, line, column, message, end_line=end_line, end_column=end_column
        )

    def literal(self, node: Node | None) -> str | None:
        """The value of a string literal (or a template without substitutions), else None."""
        node = unwrap(node)
        if node is None:
            return None
        if node.type == "string" or (
            node.type == "template_string" and not any(c.type == "template_substitution" for c in node.children)
        ):
            return self.text(node)[1:-1]
        return None

    def property(self, obj: Node | None, key: str) -> Node | None:
        """The value of ``key`` in an object literal (``key: v``, ``"key": v``, shorthand ``key``)."""
        obj = unwrap(obj)
        if obj is None or obj.type != "object":
            return None
        for child in obj.named_children:
            if child.type == "pair" and self.key_name(child) == key:
                return child.child_by_field_name("value")
            if child.type == "shorthand_property_identifier" and self.text(child) == key:
                return child
        return None

    def key_name(self, pair: Node) -> str | None:
        key = pair.child_by_field_name("key")
        if key is None:
            return None
        return self.literal(key) if key.type == "string" else self.text(key)


def unwrap(node: Node | None) -> Node | None:
    """Strip parentheses and type assertions (``x as T``, ``x!``) around an expression."""
    while node is not None and node.type in _TRANSPARENT:
        node = node.named_children[0] if node.named_children else None
    return node


def first_argument(call: Node) -> Node | None:
    """The first argument of a call or ``new`` expression."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None or not arguments.named_children:
        return None
    return unwrap(arguments.named_children[0])


class Origin(NamedTuple):
    """A module export: ``name`` is a dotted path inside ``module``, "" for the module itself."""

    module: str
    name: str


class Imports:
    """The bindings a file imports: ES imports, ``import x = require()``, ``require``/``import()`` destructuring."""

    def __init__(self, parsed: ParsedSource) -> None:
        self._parsed = parsed
        self._bindings: dict[str, Origin] = {}
        found = parsed.captures("(import_statement) @import (variable_declarator) @declarator")
        for node in found.get("import", []):
            self._add_import(node)
        for node in found.get("declarator", []):
            self._add_declarator(node)

    def resolve(self, node: Node | None) -> Origin | None:
        """The export an expression names: ``B`` after ``import {A as B}`` → A; ``ns.A`` after ``import * as ns``."""
        node = unwrap(node)
        origin: Origin | None = None
        if node is None:
            pass
        elif node.type == "identifier":
            origin = self._bindings.get(self._parsed.text(node))
        elif node.type == "member_expression":
            base = self.resolve(node.child_by_field_name("object"))
            prop = node.child_by_field_name("property")
            if base is not None and prop is not None:
                origin = _member(base, self._parsed.text(prop))
        return _cdk_submodule(origin) if origin else None

    def callee(self, call: Node) -> Origin | None:
        """The export a ``new X(...)`` or ``X.f(...)`` expression invokes."""
        return self.resolve(call.child_by_field_name("constructor") or call.child_by_field_name("function"))

    def _add_import(self, node: Node) -> None:
        parsed = self._parsed
        module = parsed.literal(node.child_by_field_name("source"))
        for clause in node.named_children:
            if clause.type == "import_require_clause":  # import x = require("m")
                name, string = clause.named_children[0], clause.named_children[-1]
                self._bind(name, Origin(parsed.literal(string) or "", ""))
            if clause.type != "import_clause" or module is None:
                continue
            for part in clause.named_children:
                if part.type in ("identifier", "namespace_import"):  # default import acts as the namespace
                    ident = part if part.type == "identifier" else part.named_children[0]
                    self._bind(ident, Origin(module, ""))
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        name = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias") or name
                        if name is not None:
                            self._bind(alias, Origin(module, parsed.literal(name) or parsed.text(name)))

    def _add_declarator(self, node: Node) -> None:
        origin = self._required(node.child_by_field_name("value"))
        target = node.child_by_field_name("name")
        if origin is None or target is None:
            return
        if target.type == "identifier":
            self._bind(target, origin)
        elif target.type == "object_pattern":
            for part in target.named_children:
                if part.type == "shorthand_property_identifier_pattern":
                    key, local = self._parsed.text(part), part
                elif part.type == "pair_pattern" and (key := self._parsed.key_name(part)) is not None:
                    local = part.child_by_field_name("value")
                else:
                    continue
                self._bind(local, _member(origin, key))

    def _required(self, value: Node | None) -> Origin | None:
        """``require("m")``, ``await import("m")`` and ``require("m").A.B`` as an origin."""
        value = unwrap(value)
        if value is None:
            return None
        if value.type == "await_expression" and value.named_children:
            return self._required(value.named_children[0])
        if value.type == "member_expression":
            base = self._required(value.child_by_field_name("object"))
            prop = value.child_by_field_name("property")
            return _member(base, self._parsed.text(prop)) if base and prop else None
        if value.type == "call_expression":
            function = value.child_by_field_name("function")
            if function is not None and (function.type == "import" or self._parsed.text(function) == "require"):
                module = self._parsed.literal(first_argument(value))
                return Origin(module, "") if module is not None else None
        return None

    def _bind(self, node: Node | None, origin: Origin) -> None:
        if node is not None and node.type in ("identifier", "shorthand_property_identifier_pattern") and origin.module:
            self._bindings[self._parsed.text(node)] = origin


def _member(base: Origin, name: str) -> Origin:
    return Origin(base.module, f"{base.name}.{name}" if base.name else name)


def _cdk_submodule(origin: Origin) -> Origin:
    """``aws-cdk-lib`` + ``aws_iam.X`` is the same export as ``aws-cdk-lib/aws-iam`` + ``X``."""
    if origin.module != "aws-cdk-lib" or not origin.name.startswith("aws_"):
        return origin
    head, _, rest = origin.name.partition(".")
    return Origin(f"aws-cdk-lib/{head.replace('_', '-')}", rest)
