"""ModuleSyntax gives libcst's provider answers: checked against the providers on real code.

Every Python file of the repository (fixtures, tests, the package) and snippets
for each scope rule are analysed both ways (the files' parents come from a
CSTVisitor, the same relation as ParentNodeProvider's, which the snippets use:
the providers are most of this file's time). Where ModuleSyntax deliberately
differs from libcst (see the module docstring of ``syntax.py``), the libcst
answer is first corrected by the same rule, or the affected names are left out
of the comparison and checked by a snippet of their own:

* a read before every binding of a local name (libcst: the enclosing scope's
  bindings): corrected by ``_expected_referents``;
* an inner comprehension clause reading an inner clause's target, ``:=`` in
  a comprehension, match captures and class-pattern keywords, ``nonlocal``
  past the enclosing function, names that root an ``import a.b``, and the
  first argument of ``typing.NewType``/``TypeVar``: left out (``_Deviations``);
* ``Binding.references`` are compared with the inverse of the (corrected)
  referents, which libcst's own references contain.
"""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import (
    Assignment,
    ComprehensionScope,
    FunctionScope,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    ScopeProvider,
)
from libcst.metadata.scope_provider import AnnotationScope

from bedrock2openrouter.python.syntax import ModuleSyntax, iter_nodes

REPO = Path(__file__).resolve().parent.parent
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_COLLECTED = (cst.Call, cst.Attribute, cst.SimpleString, cst.FormattedStringText)
# Nodes that hold only layout: the walk need not reach them (or anything under them).
_LAYOUT = (cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace, cst.Newline, cst.Comment,
           cst.Comma, cst.Dot, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
           cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Colon, cst.Semicolon, cst.AssignEqual, cst.Asynchronous,
           cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp)


def _repository_sources() -> list[tuple[str, bytes]]:
    """(path, bytes) of every Python file, each distinct content once."""
    sources, seen = [], set()
    for folder in ("fixtures", "tests", "bedrock2openrouter"):
        for path in sorted((REPO / folder).rglob("*.py")):
            data = path.read_bytes()
            digest = hashlib.sha1(data).digest()
            if digest not in seen:
                seen.add(digest)
                sources.append((str(path.relative_to(REPO)), data))
    return sources


class _Collector(cst.CSTVisitor):
    """Every node in CSTVisitor order, the calls, attributes and strings among them, and each node's parent.

    The parent is the node being visited when a node's visit starts: the node
    whose ``children`` hold it, which is ParentNodeProvider's definition.
    """

    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []
        self.collected: list[cst.CSTNode] = []
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append(node)
        if isinstance(node, _COLLECTED):
            self.collected.append(node)
        if self._stack:
            self.parents[node] = self._stack[-1]
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


def _ids(nodes) -> set[int]:
    return {id(node) for node in nodes}


def _last_name(expression: cst.BaseExpression) -> str | None:
    """``TypeVar`` of ``typing.TypeVar``."""
    if isinstance(expression, cst.Attribute):
        return expression.attr.value
    return expression.value if isinstance(expression, cst.Name) else None


class _Deviations:
    """The names and reads on which ModuleSyntax is documented to differ from libcst."""

    def __init__(self, nodes: list[cst.CSTNode], parents, scopes) -> None:
        self.names: set[str] = set()  # names left out everywhere
        self.extra_reads: set[int] = set()  # reads libcst skips (typing.NewType/TypeVar's first argument)
        self.rebound_roots: set[str] = set()  # "a" of ``import a.b``
        self._parents, self._scopes = parents, scopes
        for node in nodes:
            if isinstance(node, cst.NamedExpr) and self._in_comprehension(node):
                self.names.add(node.target.value)
            elif isinstance(node, (cst.MatchAs, cst.MatchStar)) and node.name is not None:
                self.names.add(node.name.value)
            elif isinstance(node, cst.MatchMapping) and node.rest is not None:
                self.names.add(node.rest.value)
            elif isinstance(node, cst.MatchKeywordElement):
                self.names.add(node.key.value)
            elif isinstance(node, cst.Nonlocal):
                self.names |= self._nonlocal_past_parent(node)
            elif isinstance(node, cst.Import):
                for alias in node.names:
                    if alias.asname is None and isinstance(alias.name, cst.Attribute):
                        root = alias.name
                        while isinstance(root, cst.Attribute):
                            root = root.value
                        self.rebound_roots.add(root.value)
            elif isinstance(node, cst.Call) and node.args and _last_name(node.func) in ("NewType", "TypeVar"):
                qualified = {q.name for q in scopes[node].get_qualified_names_for(node.func)}
                if qualified & {"typing.NewType", "typing.TypeVar"}:
                    self.extra_reads |= _ids(n for n in iter_nodes(node.args[0]) if isinstance(n, cst.Name))

    def _in_comprehension(self, node: cst.CSTNode) -> bool:
        while node is not None and not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            if isinstance(node, _COMPREHENSIONS):
                return True
            node = self._parents.get(node)
        return False

    def _nonlocal_past_parent(self, node: cst.Nonlocal) -> set[str]:
        """Names whose nonlocal binding libcst puts in an enclosing function that has none of its own."""
        declaring = self._scopes[node]
        parent = declaring._next_visible_parent(declaring)
        return {
            item.name.value for item in node.names
            if not any(self._scopes.get(a.node) is parent for a in parent.assignments[item.name.value])
        }

    def skips(self, access) -> bool:
        """Reads left out: deviating names, and inner comprehension clauses reading inner clauses' targets."""
        name = access.node.value
        if name in self.names:
            return True
        return isinstance(access.scope, ComprehensionScope) and name in self._inner_targets_around(access.node)

    def _inner_targets_around(self, node: cst.CSTNode) -> set[str]:
        """The names a comprehension's inner ``for`` clauses bind, if ``node`` is in such a clause's iterable or ifs."""
        inside, child, parent = False, node, self._parents.get(node)
        while parent is not None and not isinstance(parent, _COMPREHENSIONS):
            if isinstance(parent, cst.CompFor) and isinstance(self._parents.get(parent), cst.CompFor):
                inside = inside or child is parent.iter or child in parent.ifs
            child, parent = parent, self._parents.get(parent)
        if not inside or parent is None:
            return set()
        names, clause = set(), parent.for_in.inner_for_in
        while clause is not None:
            names |= {n.value for n in iter_nodes(clause.target) if isinstance(n, cst.Name)}
            clause = clause.inner_for_in
        return names


def _expected_referents(access) -> set[int]:
    """libcst's referents of a read, with a read before every local binding corrected (see the docstring)."""
    scope, name = access.scope, access.node.value
    found = scope._resolve_scope_for_access(name, scope)
    earlier = [a for a in found if a.scope != scope or a._index < access._index]
    referents = access.referents
    if found and not earlier:  # libcst falls back to the enclosing scope
        if isinstance(scope, (FunctionScope, ComprehensionScope, AnnotationScope)):
            referents = ()
        else:
            referents = scope._next_visible_parent(scope)._resolve_scope_for_access(name, scope)
    return _ids(r.node for r in referents if isinstance(r, Assignment))


class _Comparison:
    """ModuleSyntax and libcst's providers on one module, and every way their answers differ.

    Without ``parent_provider`` the parents are a CSTVisitor's (the same relation,
    for a third of ParentNodeProvider's time: the repository files are many).
    """

    def __init__(self, module: cst.Module, parent_provider: bool = True) -> None:
        self.module = module
        self.syntax = ModuleSyntax(module)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.visited = _Collector()
        module.visit(self.visited)
        self.parents = wrapper.resolve(ParentNodeProvider) if parent_provider else self.visited.parents
        self.scopes = wrapper.resolve(ScopeProvider)
        self.positions = wrapper.resolve(PositionProvider)
        self.nodes = list(iter_nodes(module))
        self.deviations = _Deviations(self.nodes, self.parents, self.scopes)
        self.all_scopes = {scope for scope in self.scopes.values() if scope is not None}
        self.accesses = [a for scope in self.all_scopes for a in scope.accesses if isinstance(a.node, cst.Name)]
        self.libcst_reads = _ids(a.node for a in self.accesses)
        self.my_reads = _ids(self.syntax._reads)  # the walk's reads: no public question lists them all
        # Filled by _binding_problems: read -> the binding nodes expected, reads left out,
        # and reads whose expected bindings are not libcst's own.
        self.expected: dict[int, set[int]] = {}
        self.left_out = self.my_reads - self.libcst_reads
        self.corrected: set[int] = set()

    def problems(self) -> list[str]:
        return [
            *self._parent_problems(), *self._order_problems(), *self._read_problems(),
            *self._binding_problems(), *self._callee_problems(), *self._assignment_problems(),
            *self._position_problems(),
        ]

    def _where(self, node: cst.CSTNode) -> str:
        start = self.positions[node].start
        return f"{start.line}:{start.column} {type(node).__name__} {self.module.code_for_node(node)[:40]!r}"

    def _parent_problems(self) -> list[str]:
        """Every node the walk reaches has libcst's parent, and it reaches every node that is not layout."""
        problems = [f"parent of {self._where(node)}" for node, parent in self.syntax.parents.items()
                    if self.parents.get(node) is not parent]
        problems += [f"no parent for {self._where(node)}" for node in self.parents
                     if node not in self.syntax.parents and not self._in_layout(node)]
        return problems

    def _in_layout(self, node: cst.CSTNode) -> bool:
        while node is not None:
            if isinstance(node, _LAYOUT):
                return True
            node = self.parents.get(node)
        return False

    def _order_problems(self) -> list[str]:
        problems = []
        if [id(n) for n in self.nodes] != [id(n) for n in self.visited.nodes]:
            problems.append("iter_nodes order is not CSTVisitor's")
        for name, found, kinds in (("calls", self.syntax.calls, cst.Call),
                                   ("attributes", self.syntax.attributes, cst.Attribute),
                                   ("strings", self.syntax.strings, (cst.SimpleString, cst.FormattedStringText))):
            if [id(n) for n in found] != [id(n) for n in self.visited.collected if isinstance(n, kinds)]:
                problems.append(f"{name} are not in CSTVisitor order")
        return problems

    def _read_problems(self) -> list[str]:
        """Which Names are reads at all."""
        deviations, problems = self.deviations, []
        for node in self.nodes:
            if not isinstance(node, cst.Name):
                continue
            mine, libcst = id(node) in self.my_reads, id(node) in self.libcst_reads
            allowed = node.value in deviations.names or id(node) in deviations.extra_reads or (
                mine and node.value in deviations.rebound_roots)
            if mine != libcst and not allowed:
                problems.append(f"{self._where(node)} is {'' if mine else 'not '}a read")
        return problems

    def _binding_problems(self) -> list[str]:
        """binding_nodes of every read, and the qualified names of reads."""
        syntax, problems = self.syntax, []
        for access in self.accesses:
            node = access.node
            if self.deviations.skips(access):
                self.left_out.add(id(node))
                continue
            self.expected[id(node)] = expected = _expected_referents(access)
            if _ids(syntax.binding_nodes(node)) != expected:
                problems.append(f"binding_nodes of {self._where(node)}")
            if expected != _ids(r.node for r in access.referents if isinstance(r, Assignment)):
                self.corrected.add(id(node))  # libcst's qualified names follow its own referents
                continue
            qualified = {q.name for q in access.scope.get_qualified_names_for(node)}
            mine = syntax.qualified_names(node)
            if mine != qualified:
                problems.append(f"qualified_names of {self._where(node)}: {mine}, libcst: {qualified}")
        return problems

    def _callee_problems(self) -> list[str]:
        """Qualified names of every callee and attribute libcst has a scope for."""
        syntax, deviations, problems = self.syntax, self.deviations, []
        for node in (*(call.func for call in syntax.calls), *syntax.attributes):
            scope = self.scopes.get(node)
            root = node
            while isinstance(root, (cst.Attribute, cst.Call, cst.Subscript)):
                root = root.func if isinstance(root, cst.Call) else root.value
            if scope is None or isinstance(root, cst.Name) and (
                    root.value in deviations.names or id(root) in self.left_out or id(root) in self.corrected):
                continue
            qualified = {q.name for q in scope.get_qualified_names_for(node)}
            mine = syntax.qualified_names(node)
            if mine != qualified:
                problems.append(f"qualified_names of {self._where(node)}: {mine}, libcst: {qualified}")
        return problems

    def _assignment_problems(self) -> list[str]:
        """assignments_of every Name target and parameter, with the references of each binding."""
        reads_of: dict[int, set[int]] = {}
        for read, bindings in self.expected.items():
            for binding in bindings:
                reads_of.setdefault(binding, set()).add(read)
        problems = []
        for scope in self.all_scopes:
            for assignment in scope.assignments:
                if not isinstance(assignment, Assignment) or not isinstance(assignment.node, (cst.Name, cst.Param)):
                    continue
                target = assignment.node if isinstance(assignment.node, cst.Name) else assignment.node.name
                if target.value in self.deviations.names | self.deviations.rebound_roots:
                    continue
                expected = _ids(a.node for a in assignment.scope.assignments[target.value] if isinstance(a, Assignment))
                bindings = self.syntax.assignments_of(target)
                if _ids(b.node for b in bindings) != expected:
                    problems.append(f"assignments_of {self._where(target)}")
                    continue
                problems += [f"references of {self._where(b.node)} (assignments_of {self._where(target)})"
                             for b in bindings
                             if _ids(r.node for r in b.references) - self.left_out != reads_of.get(id(b.node), set())]
        return problems

    def _position_problems(self) -> list[str]:
        """position() and end() of every Name and collected node, after asking positions() in one batch."""
        syntax, positions = self.syntax, self.positions
        collected = [n for n in self.nodes if isinstance(n, _COLLECTED)]
        ranges = syntax.positions([*collected, *(n for n in self.nodes if isinstance(n, cst.Name))])
        problems = [f"positions of {self._where(n)}: {ranges[n]} != {positions[n]}"
                    for n in collected if ranges[n] != positions[n]]
        for node in ranges:
            start, end = positions[node].start, positions[node].end
            if (syntax.position(node), syntax.end(node)) != ((start.line, start.column), (end.line, end.column)):
                problems.append(f"position of {self._where(node)}: {syntax.position(node)}-{syntax.end(node)}")
        return problems


_SOURCES = _repository_sources()


@pytest.mark.parametrize(("path", "source"), _SOURCES, ids=[path for path, _ in _SOURCES])
def test_repository_file_matches_libcst(path: str, source: bytes) -> None:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        pytest.skip("libcst cannot parse it (a fixture of a broken file)")
    assert _Comparison(module, parent_provider=False).problems() == []


def _first(module: cst.Module, kind: type, predicate=lambda node: True, nth: int = 0):
    return [node for node in iter_nodes(module) if isinstance(node, kind) and predicate(node)][nth]


def _names(module: cst.Module, value: str) -> list[cst.Name]:
    return [node for node in iter_nodes(module) if isinstance(node, cst.Name) and node.value == value]


def _analyse(code: str) -> tuple[cst.Module, ModuleSyntax]:
    module = cst.parse_module(textwrap.dedent(code))
    return module, ModuleSyntax(module)


def _bound_by(syntax: ModuleSyntax, name: cst.Name) -> set[int]:
    return _ids(syntax.binding_nodes(name))


# -- the scope rules, each also checked against libcst --------------------------------------------

SNIPPETS = {
    "class scope not seen from methods": """
        x = 1
        class C:
            x = 2
            y = x
            def m(self):
                return x
            z = [x for _ in range(3)]
            w = [_ for _ in [x]]
    """,
    "global and nonlocal": """
        counter = 0
        def bump():
            global counter
            counter += 1
            return counter
        def outer():
            total = 0
            def add(n):
                nonlocal total
                total = total + n
                return total
            return add, total
    """,
    "comprehensions": """
        items = [1, 2]
        x = "outer"
        flat = [y for x in items for y in range(x)]
        pairs = {k: v for k, v in zip(items, items) if k}
        gen = (x for x in x)
        nested = [[z for z in items] for items in [items]]
    """,
    "imports of all forms": """
        import os
        import os.path
        import xml.etree.ElementTree as ET
        import boto3, json as j
        from botocore.config import Config
        from botocore import config as cfg
        from . import sibling
        from .client import make
        from .. import parent_module as pm
        from typing import *
        boto3.client("s3"), boto3.session.Session().client("s3")
        os.path.join("a"), os.getcwd(), ET.parse("f"), j.dumps(1), Config(), cfg.Config()
        sibling.run(), make(), pm.go(), str.join("", []), "".join([]), print(os)
    """,
    "decorators, defaults and annotations": """
        import functools
        default = 1
        def deco(f):
            return f
        @deco
        @functools.lru_cache(maxsize=default)
        def f(a: int = default, /, b=deco, *args: str, c=default, **kwargs) -> deco:
            return a, b, args, c, kwargs, f
        class K:
            @staticmethod
            def s(x=default): return x
            @property
            def p(self): return 1
            @p.setter
            def p(self, value): pass
    """,
    "lambda": """
        n = 1
        f = lambda a, b=n, *c, d=n, **e: (a, b, c, d, e, n, f)
        g = lambda: lambda: n
    """,
    "except, with, for and del": """
        import contextlib
        try:
            pass
        except (ValueError, KeyError) as error:
            print(error)
        with open("a") as handle, contextlib.suppress(Exception) as (left, right):
            handle.read(), left, right
        for i, (j, *k) in enumerate([]):
            print(i, j, k)
        else:
            print(i)
        del handle
        value = 1
        del value
        value += 1
    """,
    "functions in functions": """
        def outer():
            def inner():
                def innermost():
                    return inner
                return innermost()
            class Local:
                def method(self):
                    return Local, outer
            return inner, Local().method()
        outer()
        class Outer:
            class Inner:
                def m(self): pass
            def use(self):
                return Outer.Inner().m()
    """,
    "rebinding and reads before bindings": """
        x = 1
        x = 2
        print(x)
        def f():
            print(len)
            y = 1
            y = y + 1
            return y
        def g():
            for z in range(2):
                z = z + 1
            return z
        class C:
            name = x
            x = name
    """,
    "annotations and strings": """
        from typing import Optional, cast
        import boto3
        client: "boto3.client" = boto3.client("s3")
        other: Optional[int] = cast("int", client)
        def f(c: "BedrockRuntimeClient") -> "Optional[int]":
            return f"{c!r} {other:>{client}}" + 'plain' "joined"
    """,
    "walrus outside comprehensions": """
        if (n := 10) > 5:
            print(n)
        def f(data):
            while (chunk := data.read()):
                print(chunk)
    """,
    "async, except* and class keywords": """
        import asyncio
        class Meta(type): pass
        class A(object, metaclass=Meta):
            x = 1
            global g
            g = x
            def f(self, *, k=x):
                return g, k
        async def main(queue):
            async for item in queue:
                print(item)
            async with asyncio.Lock() as lock:
                await lock.acquire()
            try:
                pass
            except* ValueError as group:
                print(group)
            return [x async for x in queue]
    """,
    "assignment targets": """
        items = []
        (a, b), *c = items
        [d, [e, f]] = items
        for g.h in items: pass
        for items[0] in items: pass
        with open("f") as (i, j): pass
        x: int
        y: int = a
        print(a, b, c, d, e, f, i, j, x, y)
    """,
    "dotted imports": """
        import a.b.c
        import a.b
        a.b.c.d()
        a.b.x()
        a.y()
        print(a)
        def f():
            import q.r
            return q.r.s(), q.t(), (q.r).u()
    """,
    "typing calls": """
        from typing import NewType, TypeVar, cast
        name = "T"
        T = TypeVar(name)
        U = NewType("U", int)
        V = cast(int, name)
    """,
    "loops read later bindings": """
        def f():
            for i in range(3):
                if i:
                    print(total)
                total = i
            return total
    """,
    "match statement": """
        point = (1, 2)
        match point:
            case [0, y] | [y, 0] if y:
                print(y)
            case {"k": value, **others}:
                print(value, others)
            case Point(x=0, y=_) as whole:
                print(whole)
            case str() | None:
                pass
    """,
    "type parameters": """
        class Box[T]:
            item: T
            def get[U: int](self, default: U) -> T | U:
                return self.item
        type Pair[K] = tuple[K, K]
    """,
}


@pytest.mark.parametrize("code", SNIPPETS.values(), ids=SNIPPETS.keys())
def test_snippet_matches_libcst(code: str) -> None:
    assert _Comparison(cst.parse_module(textwrap.dedent(code))).problems() == []


def test_class_scope_is_not_seen_from_methods() -> None:
    module, syntax = _analyse(SNIPPETS["class scope not seen from methods"])
    module_x, class_x = _names(module, "x")[:2]
    read_in_class, read_in_method, read_in_element, read_in_first_iterable = _names(module, "x")[2:]
    assert _bound_by(syntax, read_in_class) == {id(class_x)}
    assert _bound_by(syntax, read_in_method) == {id(module_x)}
    assert _bound_by(syntax, read_in_element) == {id(module_x)}
    assert _bound_by(syntax, read_in_first_iterable) == {id(class_x)}  # evaluated in the class body


def test_global_and_nonlocal() -> None:
    module, syntax = _analyse(SNIPPETS["global and nonlocal"])
    module_counter = _names(module, "counter")[0]
    bumped, returned = _names(module, "counter")[2:]  # after ``global counter``
    assert {id(b.node) for b in syntax.assignments_of(bumped)} == {id(module_counter), id(bumped)}
    assert _bound_by(syntax, returned) == {id(module_counter), id(bumped)}
    first_total, _, assigned, read, returned_total, outer_total = _names(module, "total")
    assert _bound_by(syntax, read) == {id(first_total), id(assigned)}
    assert _bound_by(syntax, returned_total) == {id(first_total), id(assigned)}
    assert {id(b.node) for b in syntax.assignments_of(assigned)} == {id(first_total), id(assigned)}
    assert _bound_by(syntax, outer_total) == {id(first_total), id(assigned)}


def test_nonlocal_binds_in_the_function_that_has_the_name() -> None:
    module, syntax = _analyse("""
        def a():
            x = 1
            def b():
                def c():
                    nonlocal x
                    x = 2
                return c
            return x
    """)
    first, _, second, read = _names(module, "x")
    assert {id(b.node) for b in syntax.assignments_of(second)} == {id(first), id(second)}
    assert _bound_by(syntax, read) == {id(first), id(second)}  # libcst: only the first


def test_comprehension_first_iterable_is_evaluated_outside() -> None:
    module, syntax = _analyse(SNIPPETS["comprehensions"])
    module_x = _names(module, "x")[0]
    gen = _first(module, cst.GeneratorExp)
    element_x, target_x, iterable_x = [n for n in iter_nodes(gen) if isinstance(n, cst.Name) and n.value == "x"]
    assert _bound_by(syntax, element_x) == {id(target_x)}
    assert _bound_by(syntax, iterable_x) == {id(module_x)}
    assert syntax.qualified_names(element_x) == {"<comprehension>.x"}


def test_inner_comprehension_clause_binds_for_its_own_conditions() -> None:
    module, syntax = _analyse("""
        groups = [[1], [2]]
        values = [v for vs in groups for v in vs if v]
        odd = [v for v in groups for v in v]
    """)
    element, target, condition = [n for n in _names(module, "v")[:3]]
    assert _bound_by(syntax, condition) == {id(target)}  # libcst: nothing
    assert _bound_by(syntax, element) == {id(target)}
    first_target, _second_target, own_iterable = _names(module, "v")[4:7]
    assert _bound_by(syntax, own_iterable) == {id(first_target)}  # evaluated before ``for v`` binds again


def test_walrus_in_comprehension_binds_in_the_enclosing_function() -> None:
    module, syntax = _analyse("""
        def f(items):
            found = [y for x in items if (y := x * 2)]
            return y, found
        last = [(z := item) for item in range(3)][0]
        print(z)
    """)
    element_y, bound_y, returned_y = _names(module, "y")
    assert _bound_by(syntax, element_y) == {id(bound_y)}
    assert _bound_by(syntax, returned_y) == {id(bound_y)}
    assert [id(b.node) for b in syntax.assignments_of(bound_y)] == [id(bound_y)]
    assert {id(r.node) for r in syntax.assignments_of(bound_y)[0].references} == {id(element_y), id(returned_y)}
    bound_z, printed_z = _names(module, "z")
    assert _bound_by(syntax, printed_z) == {id(bound_z)}
    assert syntax.qualified_names(printed_z) == {"z"}


def test_reads_before_every_local_binding_have_none() -> None:
    module, syntax = _analyse("""
        client = 1
        def f():
            print(client)
            client = 2
            return client
        class C:
            print(client)
            client = 3
    """)
    module_client, read_early, local, returned, class_read, _class_client = _names(module, "client")
    assert _bound_by(syntax, read_early) == set()  # libcst: the module's ``client``
    assert _bound_by(syntax, returned) == {id(local)}
    assert _bound_by(syntax, class_read) == {id(module_client)}  # a class body does look outside
    assert {id(r.node) for r in syntax.assignments_of(module_client)[0].references} == {id(class_read)}


def test_imports() -> None:
    module, syntax = _analyse(SNIPPETS["imports of all forms"])
    callee = {module.code_for_node(call.func): syntax.qualified_names(call.func) for call in syntax.calls}
    assert callee["boto3.client"] == {"boto3.client"}
    assert callee["boto3.session.Session"] == {"boto3.session.Session"}
    assert callee["os.path.join"] == {"os.path.join"}
    assert callee["ET.parse"] == {"xml.etree.ElementTree.parse"}
    assert callee["j.dumps"] == {"json.dumps"}
    assert callee["Config"] == {"botocore.config.Config"}
    assert callee["cfg.Config"] == {"botocore.config.Config"}
    assert callee["sibling.run"] == {".sibling.run"}
    assert callee["make"] == {".client.make"}
    assert callee["pm.go"] == {"..parent_module.go"}
    assert callee["str.join"] == {"builtins.str"}  # libcst: a builtin's attributes are the builtin
    assert callee['"".join'] == {"builtins.None"}  # libcst: no name is "None", which builtins has
    imports = [node for node in module.body if isinstance(node.body[0], (cst.Import, cst.ImportFrom))]
    os_read = _names(module, "os")[-1]
    assert _bound_by(syntax, os_read) == {id(imports[0].body[0]), id(imports[1].body[0])}


def test_dotted_import_root_is_a_read_of_the_import() -> None:
    module, syntax = _analyse("""
        import boto3.session
        boto3.session.Session()
    """)
    read = _names(module, "boto3")[-1]
    assert syntax.binding_nodes(read) == [module.body[0].body[0]]  # libcst: none (it reads ``boto3.session``)
    assert syntax.qualified_names(syntax.parent(read)) == {"boto3.session"}


def test_parameters_bind_in_the_function() -> None:
    module, syntax = _analyse(SNIPPETS["decorators, defaults and annotations"])
    function = _first(module, cst.FunctionDef, lambda node: node.name.value == "f")
    params = function.params
    a, b, c = params.posonly_params[0], params.params[0], params.kwonly_params[0]
    returned = function.body.body[0].body[0].value.elements
    assert [syntax.binding_nodes(element.value) for element in returned] == [
        [a], [b], [params.star_arg], [c], [params.star_kwarg], [function]]
    module_default = _names(module, "default")[0]
    for read in _names(module, "default")[1:]:
        assert syntax.binding_nodes(read) == [module_default]
    assert syntax.qualified_names(_first(module, cst.Decorator, nth=1).decorator.func) == {"functools.lru_cache"}
    getter, setter = [n for n in iter_nodes(module) if isinstance(n, cst.FunctionDef) and n.name.value == "p"]
    assert syntax.binding_nodes(setter.decorators[0].decorator.value) == [getter]
    method = _first(module, cst.FunctionDef, lambda node: node.name.value == "s")
    assert syntax.qualified_names(method.name) == set()  # a definition is not a read
    assert [b.node for b in syntax.assignments_of(method.name)] == [method]


def test_function_and_class_qualified_names() -> None:
    module, syntax = _analyse(SNIPPETS["functions in functions"])
    innermost_inner = _names(module, "inner")[1]
    assert syntax.qualified_names(innermost_inner) == {"outer.<locals>.inner"}
    local_read = _names(module, "Local")[1]
    assert syntax.qualified_names(local_read) == {"outer.<locals>.Local"}
    use = _first(module, cst.Call, lambda call: module.code_for_node(call.func) == "Outer.Inner().m")
    assert syntax.qualified_names(use.func) == {"Outer.Inner.m"}


def test_match_captures_bind() -> None:
    module, syntax = _analyse("""
        point = (1, 2)
        match point:
            case [x, *rest] if x:
                print(x, rest)
            case {"k": value, **others}:
                print(value, others)
            case Point(x=0) as whole:
                print(whole)
            case _:
                pass
    """)
    x_capture, guard, printed = _names(module, "x")[:3]
    assert _bound_by(syntax, guard) == {id(x_capture)}
    assert _bound_by(syntax, printed) == {id(x_capture)}
    for name in ("rest", "value", "others", "whole"):
        capture, read = _names(module, name)
        assert _bound_by(syntax, read) == {id(capture)}
    keyword = _names(module, "x")[3]
    assert syntax.binding_nodes(keyword) == [] and keyword not in syntax._reads


def test_type_parameters_have_their_own_scope() -> None:
    module, syntax = _analyse("""
        class Box[T]:
            item: T
            def get[U](self, default: U) -> T | U:
                return self.item
        type Pair[K] = tuple[K, K]
    """)
    t_param, t_in_class, t_in_method = _names(module, "T")
    assert _bound_by(syntax, t_in_class) == {id(syntax.parent(t_param))}
    assert _bound_by(syntax, t_in_method) == {id(syntax.parent(t_param))}
    u_param, u_annotation, u_returned = _names(module, "U")
    assert _bound_by(syntax, u_annotation) == _bound_by(syntax, u_returned) == {id(syntax.parent(u_param))}
    k_param, *k_reads = _names(module, "K")
    assert all(_bound_by(syntax, read) == {id(syntax.parent(k_param))} for read in k_reads)


def test_string_annotations_are_not_resolved() -> None:
    module, syntax = _analyse(SNIPPETS["annotations and strings"])
    client_binding = syntax.assignments_of(_names(module, "client")[0])[0]
    assert all(isinstance(read.node, cst.Name) for read in client_binding.references)


# -- order, parents and positions ----------------------------------------------------------------


def test_iter_nodes_on_a_subtree_is_cstvisitor_order() -> None:
    module, _ = _analyse(SNIPPETS["decorators, defaults and annotations"])
    function = _first(module, cst.FunctionDef, lambda node: node.name.value == "f")
    collector = _Collector()
    function.visit(collector)
    assert [id(n) for n in iter_nodes(function)] == [id(n) for n in collector.nodes]


def test_collected_nodes_are_in_document_order() -> None:
    module, syntax = _analyse("""
        @decorate(first())
        def f(a=second(), *, b: third() = fourth()) -> fifth():
            return sixth(x.y, "s", f"t{u.v}")
        [seventh(i) for i in eighth()]
    """)
    assert [module.code_for_node(call.func) for call in syntax.calls] == [
        "decorate", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
    assert [module.code_for_node(a) for a in syntax.attributes] == ["x.y", "u.v"]
    assert [type(s).__name__ for s in syntax.strings] == ["SimpleString", "FormattedStringText"]


def test_single_positions_match_positionprovider() -> None:
    code = 'import boto3\r\n\r\nclient = (\r\n    boto3.client("s3")  # c\r\n)\r\nx = """a\r\nb""".strip()\r\n'
    module = cst.parse_module(code)
    syntax = ModuleSyntax(module)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    call = syntax.calls[0]
    assert syntax.position(call) == (positions[call].start.line, positions[call].start.column) == (4, 4)
    assert syntax.end(call) == (positions[call].end.line, positions[call].end.column)
    statement = module.body[1]
    assert syntax.position(statement) == (3, 0)  # asked alone: one more code generation
    assert syntax.end(statement) == (positions[statement].end.line, positions[statement].end.column)
    for node in (*syntax.calls, *syntax.attributes, *syntax.strings):
        assert syntax.positions([node])[node] == positions[node]


def test_parent() -> None:
    module, syntax = _analyse("client.converse(modelId=x)\n")
    call = syntax.calls[0]
    assert syntax.parent(call) is module.body[0].body[0]
    assert syntax.parent(module) is None
    assert syntax.parent(call.args[0].keyword) is call.args[0]


def test_positions_asked_early_then_late_match_libcst() -> None:
    """A generation stops once the nodes asked about are placed; asking about later nodes extends it."""
    code = "a = 1\n" + "".join(f"def f{n}(x):\n    return x + {n}\n" for n in range(30)) + "z = call('end')\n"
    module = cst.parse_module(code)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    syntax = ModuleSyntax(module)
    first, last = syntax.strings[0] if syntax.strings else None, syntax.calls[-1]
    top = module.body[0].body[0].value  # the 1 of ``a = 1``
    assert syntax.positions([top])[top] == expected[top]
    assert syntax.position(last) == (expected[last].start.line, expected[last].start.column)
    assert syntax.end(last) == (expected[last].end.line, expected[last].end.column)
    assert syntax.position(first) == (expected[first].start.line, expected[first].start.column)
