"""Node replacements and import edits applied where they are, not by walking the whole module.

A migrated module changes in a few places: some calls, a client creation,
two or three import lines. libcst's transformers and import visitors walk
every node (the remover with a full scope analysis), which costs several times
the parse. Here a replacement descends only along the path to the nodes that
change, and the imports are edited in the head of the module and on the
import statements themselves, with the same bytes libcst's visitors give (the
fixture pairs prove it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node

Replacement = Callable[[cst.CSTNode], cst.CSTNode | cst.RemovalSentinel]


class _Replace(cst.CSTTransformer):
    """Rebuild the nodes that change, from their updated form, visiting only what leads to them."""

    def __init__(self, replacements: Mapping[cst.CSTNode, Replacement], leads: Callable[[cst.CSTNode], bool]) -> None:
        super().__init__()
        self.replacements = replacements
        self.leads = leads

    def on_visit(self, node: cst.CSTNode) -> bool:
        return self.leads(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        replace = self.replacements.get(original_node)
        return replace(updated_node) if replace is not None else updated_node


def replace_nodes(module: cst.Module, replacements: Mapping[cst.CSTNode, Replacement],
                  parents: Mapping[cst.CSTNode, cst.CSTNode]) -> cst.Module:
    """``module`` with each key of ``replacements`` rebuilt by its function (given its updated form)."""
    on_path: set[cst.CSTNode] = set()
    for node in replacements:
        while node is not None and node not in on_path:
            on_path.add(node)
            node = parents.get(node)
    return module.visit(_Replace(replacements, on_path.__contains__))


def import_removals(unused: Iterable[cst.ImportAlias],
                    parents: Mapping[cst.CSTNode, cst.CSTNode]) -> dict[cst.CSTNode, Replacement]:
    """Replacements (for `replace_nodes`) that take the ``unused`` aliases out of their import statements.

    A statement left with no alias goes, with its line when it was alone there.
    """
    unused = set(unused)

    def prune(updated: cst.CSTNode):
        names = updated.names
        keep = [alias for alias in names if alias not in unused]
        if not keep:
            return cst.RemoveFromParent()
        changes: dict[str, object] = {}
        if isinstance(updated, cst.ImportFrom):
            keep, changes = _keep_comments_of_removed(updated, names, unused)
        if keep[-1] is not names[-1]:
            keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)  # no dangling comma
        return updated.with_changes(names=keep, **changes)

    return {parents[alias]: prune for alias in unused}


def _keep_comments_of_removed(statement: cst.ImportFrom, names, unused) -> tuple[list[cst.ImportAlias], dict]:
    """The kept aliases of a from-import; a removed alias's trailing comment moves to what precedes it."""
    keep: list[cst.ImportAlias] = []
    changes: dict[str, object] = {}
    for alias in names:
        if alias not in unused:
            keep.append(alias)
            continue
        comma = alias.comma
        if not isinstance(comma, cst.Comma):
            continue
        if keep:
            previous = keep[-1]
            if isinstance(previous.comma, cst.Comma):
                previous = previous.with_deep_changes(
                    previous.comma, whitespace_after=_merged(previous.comma.whitespace_after, comma.whitespace_after))
            else:
                previous = previous.with_changes(comma=comma)
            keep[-1] = previous
        elif isinstance(statement.lpar, cst.LeftParen):
            changes["lpar"] = statement.lpar.with_changes(
                whitespace_after=_merged(statement.lpar.whitespace_after, comma.whitespace_after))
    return keep, changes


def _merged(left, right):
    """Whitespace after a kept alias, given the whitespace after a removed one: its comment lines survive."""
    if not isinstance(right, cst.ParenthesizedWhitespace):
        return left
    if not isinstance(left, cst.ParenthesizedWhitespace):
        return right
    return left.with_changes(empty_lines=tuple(line for line in right.empty_lines if line.comment is not None))


_IMPORT_LINE = m.SimpleStatementLine(body=[m.Import() | m.ImportFrom()])
_PREAMBLE = (m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name("__strict__"))])])
             | m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString())]))


def add_imports(module: cst.Module, needed: Iterable[tuple[str, str | None]]) -> cst.Module:
    """``module`` with the ``(module, object)`` imports it lacks, placed as libcst's `AddImportsVisitor` places them.

    Only the module's head counts: the docstring and the imports that open the
    module. A name an opening import already brings is not added again; new names
    from a module an opening ``from`` import already names join it (sorted, in
    front); the rest become new lines after the opening imports (``import x``
    first, then ``from m import a, b``, each sorted), and the first statement
    after them is kept a blank line away.
    """
    body = list(module.body)
    start = 1 if body and m.matches(body[0], _PREAMBLE) else 0
    end = start
    while end < len(body) and m.matches(body[end], _IMPORT_LINE):
        end += 1
    plain = {name for name, obj in needed if obj is None}
    objects: dict[str, set[str]] = {}
    for name, obj in needed:
        if obj is not None:
            objects.setdefault(name, set()).add(obj)
    opening = [line.body[0] for line in body[start:end]]
    for statement in opening:  # what the opening imports already bring
        if isinstance(statement, cst.Import):
            plain -= {alias.evaluated_name for alias in statement.names if alias.asname is None}
        elif (name := _absolute_module(statement)) in objects:
            if isinstance(statement.names, cst.ImportStar):
                del objects[name]
            else:
                objects[name] -= {alias.evaluated_name for alias in statement.names if alias.asname is None}
                if not objects[name]:
                    del objects[name]
    for index, statement in enumerate(opening):  # new names join an opening from-import of their module
        if isinstance(statement, cst.ImportFrom) and not isinstance(statement.names, cst.ImportStar) and (
                name := _absolute_module(statement)) in objects:
            joined = [cst.ImportAlias(cst.Name(obj)) for obj in sorted(objects.pop(name))]
            body[start + index] = body[start + index].with_changes(
                body=[statement.with_changes(names=[*joined, *statement.names])])
    if not plain and not objects:
        return module.with_changes(body=body)
    config = module.config_for_parsing
    new_lines = [cst.parse_statement(f"import {name}", config=config) for name in sorted(plain)]
    new_lines += [cst.parse_statement(f"from {name} import {', '.join(sorted(objs))}", config=config)
                  for name, objs in sorted(objects.items())]
    rest = body[end:]
    if rest and (not rest[0].leading_lines or rest[0].leading_lines[0].comment is not None):
        rest[0] = rest[0].with_changes(leading_lines=(cst.EmptyLine(), *rest[0].leading_lines))
    return module.with_changes(body=[*body[:end], *new_lines, *rest])


def _absolute_module(statement: cst.ImportFrom) -> str | None:
    """The module a from-import names, when it is absolute (a relative one cannot be resolved here)."""
    if statement.relative or statement.module is None:
        return None
    return get_full_name_for_node(statement.module)
