"""The syntax facts of one Python module, from one walk over its libcst tree.

libcst's metadata providers answer the same questions, but each one is its own
visitor pass, and together (ParentNodeProvider, PositionProvider, ScopeProvider)
they cost several times the parse. One iterative walk over the nodes' fields
gives parents, the name bindings and reads of every scope, and the calls,
attributes and strings the analysis looks at; positions come from one run of
libcst's code generation that notes only the nodes asked about.

Answers are libcst's: ``parent`` is ParentNodeProvider's, ``position``/``end``
are PositionProvider's, and ``binding_nodes``, ``assignments_of`` and
``qualified_names`` are what ScopeProvider's ``accesses``, ``assignments`` and
``get_qualified_names_for`` give, including its reading of "earlier": a read
sees the bindings of its own scope that come before it in the walk. They differ
only where libcst's answer is wrong Python:

* A read in a function, lambda or comprehension that comes before every binding
  of a local name has no binding (libcst gives the enclosing scope's, which
  Python never consults for a local name). A class body's such read goes to the
  next scope a class body sees (libcst: its direct parent, even a class).
* In ``[... for x in a for y in x if y]`` an inner ``for`` binds ``y`` for its
  own ``if``s and not for its own iterable (libcst: for neither).
* ``:=`` in a comprehension binds in the enclosing function (PEP 572); libcst
  binds it in the comprehension.
* ``match`` capture patterns (``case [x]``, ``*rest``, ``**rest``) bind; the
  keyword of a class pattern (``case P(x=0)``) is no variable. libcst reads both.
* ``nonlocal x`` binds in the nearest enclosing function that has ``x`` (libcst:
  the directly enclosing one).
* After ``import a.b``, the ``a`` of ``a.b.f`` is a read of ``a`` bound by the
  import (libcst records that read as one of the attribute ``a.b``, so the name
  has no binding); qualified names still follow libcst.
* ``Binding.references`` are exactly the reads whose bindings include it
  (libcst also adds some reads that precede a rebinding in a nested scope).
* ``assignments_of`` a target declared ``global``/``nonlocal`` gives the
  bindings where it binds (libcst's scope table for it is empty).
* Names inside string annotations are not resolved; the first argument of
  ``typing.NewType``/``TypeVar`` is read like any other (libcst skips it).
* Decorators of a generic (PEP 695) function are read in the enclosing scope,
  where Python evaluates them (libcst: in the type parameters' scope).
"""

from __future__ import annotations

import builtins
import dataclasses
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from itertools import accumulate

import libcst as cst
from libcst import CSTNode, MaybeSentinel
from libcst._nodes.internal import CodegenState
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodePosition, CodeRange

__all__ = ["Binding", "ModuleSyntax", "Read", "Scope", "iter_nodes"]


class _VisitOrder(dict):
    """Node class -> the fields holding its children, in the order a CSTVisitor visits them.

    That order is the order of the ``visit_*(self, "field", ...)`` calls in the
    class's ``_visit_and_replace_children``, whose field-name constants the
    compiler keeps in first-use order; dataclass field order differs (a
    function's decorators come first in the source, last in its fields).
    """

    def __missing__(self, cls: type) -> tuple[str, ...]:
        names = {field.name for field in dataclasses.fields(cls)}
        constants = cls._visit_and_replace_children.__code__.co_consts
        order = self[cls] = tuple(dict.fromkeys(c for c in constants if c.__class__ is str and c in names))
        return order


class _ReversedVisitOrder(dict):
    """The same fields, last first: what a stack pushes so that the first child pops first.

    With ``syntax_only``, without the fields that hold only layout (whitespace,
    comments, parentheses, commas, operators): no name, call or string is there,
    and they are a good part of every tree.
    """

    def __init__(self, *, syntax_only: bool = False) -> None:
        super().__init__()
        self.syntax_only = syntax_only

    def __missing__(self, cls: type) -> tuple[str, ...]:
        fields = _VISIT_ORDER[cls][::-1]
        order = self[cls] = tuple(field for field in fields if not is_layout_field(field)) if self.syntax_only else fields
        return order


_LAYOUT_FIELDS = frozenset({
    "lpar", "rpar", "comma", "dot", "equal", "semicolon", "colon", "operator", "asynchronous", "newline",
    "leading_lines", "lines_after_decorators", "trailing_whitespace", "header", "footer",
    "lbracket", "rbracket", "lbrace", "rbrace", "first_colon", "second_colon",
})


def is_layout_field(field: str) -> bool:
    """Whether a node's ``field`` holds layout only (whitespace, comments, punctuation, an operator token)."""
    return field in _LAYOUT_FIELDS or field.startswith("whitespace")


_VISIT_ORDER = _VisitOrder()
_PUSH_ORDER = _ReversedVisitOrder()  # every child: `iter_nodes`
_WALK_ORDER = _ReversedVisitOrder(syntax_only=True)  # what the facts are read from


def iter_nodes(root: CSTNode) -> Iterator[CSTNode]:
    """Every node under ``root`` (itself first), in the pre-order a CSTVisitor visits them."""
    stack = [root]
    pop, push = stack.pop, stack.append
    push_order = _PUSH_ORDER
    while stack:
        node = pop()
        yield node
        for field in push_order[node.__class__]:
            value = getattr(node, field)
            kind = value.__class__
            if kind is tuple or kind is list:
                stack.extend(reversed(value))
            elif value is not None and kind is not MaybeSentinel:
                push(value)


# -- scopes ------------------------------------------------------------------------------

_MODULE, _CLASS, _FUNCTION, _COMPREHENSION, _ANNOTATION, _BUILTINS = (
    "module", "class", "function", "comprehension", "annotation", "builtins",
)
MODULE_SCOPE = _MODULE  # ``Scope.kind`` of a module's own namespace
# Scopes whose names Python decides at compile time: a local name is never looked up outside.
_FUNCTION_LIKE = frozenset({_FUNCTION, _COMPREHENSION, _ANNOTATION})
_GLOBAL, _NONLOCAL = "global", "nonlocal"
# Reads of a comprehension's element come after all its ``for`` clauses bind.
_AFTER_ALL = 1 << 62


class Binding:
    """One binding of a name: ``node`` is what libcst's ``Assignment.node`` is.

    The target ``Name`` for assignments, ``for``/``with``/``except``/``:=`` and
    comprehension targets; the ``Param``, ``FunctionDef``, ``ClassDef``,
    ``Import`` or ``ImportFrom`` otherwise; ``None`` for a builtin.
    """

    __slots__ = ("index", "name", "node", "references", "scope")

    def __init__(self, name: str, scope: Scope | None, node: CSTNode | None, index: int) -> None:
        self.name = name
        self.scope = scope
        self.node = node
        self.index = index  # how many bindings the scope had completed before this one
        self.references: list[Read] = []  # filled by ModuleSyntax on the first assignments_of

    def __repr__(self) -> str:
        return f"Binding({self.name!r}, {type(self.node).__name__})"


class Read:
    """A ``Name`` that reads a variable: what libcst's ``Access.node`` is."""

    __slots__ = ("node",)

    def __init__(self, node: cst.Name) -> None:
        self.node = node


class Scope:
    """A namespace with Python's lookup rules: class bodies are not seen from nested scopes."""

    __slots__ = ("bindings", "count", "globals", "kind", "leaks", "overwrites", "parent", "prefix")

    def __init__(self, kind: str, parent: Scope | None, name: str | None = None) -> None:
        self.kind = kind
        self.parent = parent
        self.globals: Scope = self if parent is None or kind is _MODULE else parent.globals
        self.bindings: dict[str, list[Binding]] = {}
        self.count = 0  # bindings completed so far: orders reads against bindings
        self.overwrites: dict[str, str] = {}  # name -> "global" / "nonlocal"
        self.leaks = False  # a comprehension whose ``:=`` bound outside it
        # libcst's qualified-name prefix (PEP 3155, plus "<comprehension>").
        above = parent.prefix if parent is not None else ""
        if kind is _FUNCTION:
            parts = (above, name, "<locals>")
        elif kind is _CLASS:
            parts = (above, name)
        elif kind is _COMPREHENSION:
            parts = (above, "<comprehension>")
        else:
            parts = (above,) if kind is _ANNOTATION else ()
        self.prefix = ".".join(part for part in parts if part)

    def seen_from(self, reader: Scope) -> Scope:
        """This scope or the first one above it whose names ``reader`` sees."""
        scope = self
        while scope.kind is _CLASS and not (reader.kind is _ANNOTATION and reader.parent is scope):
            scope = scope.parent
        return scope

    def resolve(self, name: str, reader: Scope) -> list[Binding]:
        """All bindings ``name`` may refer to when read from ``reader`` (libcst ``_resolve_scope_for_access``)."""
        scope = self
        while True:
            kind = scope.kind
            if kind is _BUILTINS:
                found = scope.bindings.get(name)
                if found is None:
                    found = scope.bindings[name] = [Binding(name, scope, None, -1)] if hasattr(builtins, name) else []
                return found
            overwrite = scope.overwrites.get(name)
            if overwrite is not None:
                scope = (scope.globals if overwrite is _GLOBAL else scope.parent).seen_from(reader)
                continue
            found = scope.bindings.get(name)
            if found:
                return found
            scope = scope.parent.seen_from(reader)

    def has(self, name: str) -> bool:
        """Whether ``name`` is bound here or above (libcst ``name in scope``; dotted import names too)."""
        scope = self
        while True:
            if scope.kind is _BUILTINS:
                return hasattr(builtins, name)
            overwrite = scope.overwrites.get(name)
            if overwrite is not None:
                scope = scope.globals if overwrite is _GLOBAL else scope.parent
            elif name in scope.bindings:
                return True
            else:
                scope = scope.parent.seen_from(scope)


# -- the walk ------------------------------------------------------------------------------


class _Increment:
    """Stack marker: the current scope completes a binding (libcst counts on leaving the node)."""


class _EndComprehension:
    """Stack marker: back to the scope around a comprehension."""

    __slots__ = ("scope",)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope


class _PlanMarker:
    """In a plan, a switch of scope that ``push_plan`` turns into the scope itself."""

    __slots__ = ()


_INCREMENT = _Increment()
_ENCLOSING = _PlanMarker()  # to the current scope's parent
_CURRENT = _PlanMarker()  # back to the current scope


def _plan(cls: type, after: Mapping[str, tuple] | None = None, before: Mapping[str, tuple] | None = None,
          end: tuple = ()) -> tuple:
    """A node's fields in visit order, with markers before or after some of them."""
    items: list = []
    for field in (field for field in _VISIT_ORDER[cls] if not is_layout_field(field)):
        items.extend((before or {}).get(field, ()))
        items.append(field)
        items.extend((after or {}).get(field, ()))
    return (*items, *end)


# ``for x in it``: x is bound before the iterable (libcst), so the body sees it.
_FOR_PLAN = _plan(cst.For, after={"target": (_INCREMENT,)})
# The first ``for`` of a comprehension: its iterable is evaluated in the enclosing scope.
_FIRST_CLAUSE_PLAN = _plan(cst.CompFor, after={"target": (_INCREMENT,), "iter": (_CURRENT,)},
                           before={"iter": (_ENCLOSING,)})
# Later clauses: the target is bound after the iterable, for the clause's ``if``s and beyond.
_INNER_CLAUSE_PLAN = _plan(cst.CompFor, after={"iter": (_INCREMENT,)}, end=(_INCREMENT,))
# ``case pattern if guard:``: the captures are bound for the guard and the body.
_CASE_PLAN = _plan(cst.MatchCase, after={"pattern": (_INCREMENT,)})


def _target_names(target: CSTNode) -> Iterator[cst.Name]:
    """The names an assignment target binds: ``a``, ``a, *b``, ``[a, (b, c)]`` (not ``a.x``, ``a[i]``)."""
    kind = target.__class__
    if kind is cst.Name:
        yield target
    elif kind is cst.Tuple or kind is cst.List:
        for element in target.elements:
            yield from _target_names(element.value)
    elif kind is cst.StarredElement:
        yield from _target_names(target.value)


def _dotted_names(node: CSTNode) -> list[tuple[str, CSTNode]]:
    """libcst's dotted names of an attribute chain, longest first: ``a.b.c``, ``a.b``, ``a``."""
    if node.__class__ is cst.Name:
        return [(node.value, node)]
    value = node.value
    if value.__class__ is cst.Call:
        func = value.func
        return _dotted_names(func) if func.__class__ in (cst.Attribute, cst.Name) else []
    if value.__class__ not in (cst.Attribute, cst.Name):
        return []
    inner = _dotted_names(value)
    return [(f"{inner[0][0]}.{node.attr.value}", node), *inner] if inner else []


class _Walk:
    """One pre-order pass over a module that records everything ``ModuleSyntax`` answers from."""

    def __init__(self, syntax: ModuleSyntax) -> None:
        self.syntax = syntax
        self.parents = syntax._parents
        self.declared = syntax._declared
        self.reads = syntax._reads
        self.scope = syntax._globals
        self.stack: list = [syntax.module]
        self.nonlocal_bindings: list[tuple[Binding, Scope, dict[Scope, int]]] = []

    def run(self) -> None:
        # push_children, inlined: this loop is most of what a ModuleSyntax costs.
        stack = self.stack
        pop, push = stack.pop, stack.append
        parents = self.parents
        handlers = _HANDLERS
        push_order = _WALK_ORDER
        while stack:
            node = pop()
            cls = node.__class__
            handler = handlers.get(cls)
            if handler is not None:
                handler(self, node)
                continue
            for field in push_order[cls]:
                value = getattr(node, field)
                kind = value.__class__
                if kind is tuple or kind is list:
                    for child in reversed(value):
                        parents[child] = node
                        push(child)
                elif value is not None and kind is not MaybeSentinel:
                    parents[value] = node
                    push(value)
        self._place_nonlocal_bindings()

    # pushing children ---------------------------------------------------------------------
    def push_children(self, node: CSTNode) -> None:
        stack, parents = self.stack, self.parents
        for field in _WALK_ORDER[node.__class__]:
            value = getattr(node, field)
            kind = value.__class__
            if kind is tuple or kind is list:
                for child in reversed(value):
                    parents[child] = node
                    stack.append(child)
            elif value is not None and kind is not MaybeSentinel:
                parents[value] = node
                stack.append(value)

    def push_scoped(self, node: CSTNode, scopes: Mapping[str, Scope]) -> None:
        """Push the children so that each field is walked in ``scopes[field]`` (default: the current scope)."""
        stack, parents, here = self.stack, self.parents, self.scope
        later = here  # the scope of what was pushed last, which pops right after what is pushed next
        for field in _WALK_ORDER[node.__class__]:
            value = getattr(node, field)
            kind = value.__class__
            if kind is tuple or kind is list:
                if not value:
                    continue
                children = reversed(value)
            elif value is not None and kind is not MaybeSentinel:
                children = (value,)
            else:
                continue
            scope = scopes.get(field, here)
            if scope is not later:
                stack.append(later)
                later = scope
            for child in children:
                parents[child] = node
                stack.append(child)
        if later is not here:
            stack.append(later)

    def push_plan(self, node: CSTNode, plan: tuple) -> None:
        entries: list = []
        parents = self.parents
        for item in plan:
            if item.__class__ is str:
                value = getattr(node, item)
                kind = value.__class__
                if kind is tuple or kind is list:
                    for child in value:
                        parents[child] = node
                        entries.append(child)
                elif value is not None and kind is not MaybeSentinel:
                    parents[value] = node
                    entries.append(value)
            elif item is _ENCLOSING:
                entries.append(self.scope.parent)
            elif item is _CURRENT:
                entries.append(self.scope)
            else:
                entries.append(item)
        entries.reverse()
        self.stack.extend(entries)

    # bindings -----------------------------------------------------------------------------
    def bind(self, scope: Scope, name: str, node: CSTNode) -> Binding:
        overwrite = scope.overwrites.get(name)
        if overwrite is _NONLOCAL:
            binding = Binding(name, None, node, -1)
            counts, above = {}, scope.parent
            while above is not None:
                counts[above] = above.count
                above = above.parent
            self.nonlocal_bindings.append((binding, scope, counts))
            return binding
        if overwrite is _GLOBAL:
            scope = scope.globals
        binding = Binding(name, scope, node, scope.count)
        found = scope.bindings.get(name)
        if found is None:
            scope.bindings[name] = [binding]
        else:
            found.append(binding)
        return binding

    def bind_target(self, target: CSTNode, scope: Scope | None = None) -> None:
        if scope is None:
            scope = self.scope
        for name in _target_names(target):
            self.declared[name] = self.bind(scope, name.value, name)

    def _place_nonlocal_bindings(self) -> None:
        """``nonlocal x`` binds in the nearest enclosing function with ``x`` of its own; known only at the end."""
        for binding, declaring, counts in self.nonlocal_bindings:
            first = declaring.parent.seen_from(declaring)
            scope = first
            while scope.kind in _FUNCTION_LIKE:
                overwrite = scope.overwrites.get(binding.name)
                if overwrite is _GLOBAL:
                    break
                if overwrite is None and binding.name in scope.bindings:
                    break
                scope = scope.parent.seen_from(declaring)
            else:
                scope = first  # no enclosing function binds it (a SyntaxError): libcst's choice
            if scope.overwrites.get(binding.name) is _GLOBAL:
                scope = scope.globals
            binding.scope, binding.index = scope, counts[scope]
            scope.bindings.setdefault(binding.name, []).append(binding)

    # handlers (one per node class that affects scopes or is collected) -----------------------
    def on_name(self, node: cst.Name) -> None:
        if node not in self.declared:
            scope = self.scope
            self.reads[node] = (scope, scope.count)
        if node.lpar:
            self.push_children(node)

    def on_attribute(self, node: cst.Attribute) -> None:
        self.syntax.attributes.append(node)
        self.declared[node.attr] = None
        self.push_children(node)

    def on_call(self, node: cst.Call) -> None:
        self.syntax.calls.append(node)
        self.push_children(node)

    def on_string(self, node: cst.SimpleString | cst.FormattedStringText) -> None:
        self.syntax.strings.append(node)
        self.push_children(node)

    def on_return(self, node: cst.Return) -> None:
        self.syntax.sites.append(node)
        self.push_children(node)

    def on_arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.declared[node.keyword] = None
        self.push_children(node)

    def on_function(self, node: cst.FunctionDef) -> None:
        self._define(node, _FUNCTION, outer_fields=("type_parameters", "returns"), inner_fields=("params", "body"))

    def on_class(self, node: cst.ClassDef) -> None:
        self._define(node, _CLASS, outer_fields=("type_parameters", "bases", "keywords"), inner_fields=("body",))

    def _define(self, node: cst.FunctionDef | cst.ClassDef, kind: str, outer_fields: tuple[str, ...],
                inner_fields: tuple[str, ...]) -> None:
        """A ``def`` or ``class``: its name binds here; its body (and a function's parameters) get a scope."""
        self.syntax.sites.append(node)
        here = self.scope
        self.declared[node.name] = self.bind(here, node.name.value, node)
        outer = here if node.type_parameters is None else Scope(_ANNOTATION, here)
        inner = Scope(kind, outer, node.name.value)
        self.stack.append(_INCREMENT)
        self.push_scoped(node, {**dict.fromkeys(outer_fields, outer), **dict.fromkeys(inner_fields, inner)})

    def on_lambda(self, node: cst.Lambda) -> None:
        inner = Scope(_FUNCTION, self.scope)
        self.push_scoped(node, {"params": inner, "body": inner})

    def on_param(self, node: cst.Param) -> None:
        here = self.scope
        self.declared[node.name] = self.bind(here, node.name.value, node)
        if node.annotation is None and node.default is None:
            self.push_children(node)
        else:  # annotations and defaults are evaluated where the function is defined
            self.push_scoped(node, {"annotation": here.parent, "default": here.parent})

    def on_type_alias(self, node: cst.TypeAlias) -> None:
        here = self.scope
        self.declared[node.name] = self.bind(here, node.name.value, node)
        inner = Scope(_ANNOTATION, here)
        self.stack.append(_INCREMENT)
        self.push_scoped(node, {"type_parameters": inner, "value": inner})

    def on_type_parameter(self, node: cst.TypeVar | cst.TypeVarTuple | cst.ParamSpec) -> None:
        self.declared[node.name] = self.bind(self.scope, node.name.value, node)
        self.stack.append(_INCREMENT)
        self.push_children(node)

    def on_comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) -> None:
        inner = Scope(_COMPREHENSION, self.scope)
        inner.count = _AFTER_ALL  # the element comes first in the source, last in evaluation
        self.stack.append(_EndComprehension(inner))
        self.push_children(node)
        self.stack.append(inner)

    def on_end_comprehension(self, end: _EndComprehension) -> None:
        outer = self.scope = end.scope.parent
        if end.scope.leaks:  # its ``:=`` bindings are complete now, for what follows outside
            if outer.kind is _COMPREHENSION:
                outer.leaks = True
            else:
                outer.count += 1

    def on_comp_for(self, node: cst.CompFor) -> None:
        scope = self.scope
        first = self.parents[node].__class__ is not cst.CompFor
        if first:
            scope.count = 0
        self.bind_target(node.target)
        self.push_plan(node, _FIRST_CLAUSE_PLAN if first else _INNER_CLAUSE_PLAN)

    def on_for(self, node: cst.For) -> None:
        self.bind_target(node.target)
        self.push_plan(node, _FOR_PLAN)

    def on_assign(self, node: cst.Assign) -> None:
        self.syntax.sites.append(node)
        for target in node.targets:
            self.bind_target(target.target)
        self.stack.append(_INCREMENT)
        self.push_children(node)

    def on_single_target(self, node: cst.AnnAssign | cst.AugAssign) -> None:
        self.syntax.sites.append(node)
        self.bind_target(node.target)
        self.stack.append(_INCREMENT)
        self.push_children(node)

    def on_walrus(self, node: cst.NamedExpr) -> None:
        self.syntax.sites.append(node)
        scope = self.scope
        if scope.kind is _COMPREHENSION:
            scope.leaks = True
            while scope.kind is _COMPREHENSION:
                scope = scope.parent
        self.bind_target(node.target, scope)
        self.stack.append(_INCREMENT)
        self.push_children(node)

    def on_as_name(self, node: cst.AsName) -> None:
        if self.parents[node].__class__ is not cst.ImportAlias:  # an import binds its own names
            self.bind_target(node.name)
            self.stack.append(_INCREMENT)
        self.push_children(node)

    def on_binding_container(self, node: cst.WithItem | cst.Parameters) -> None:
        self.syntax.sites.append(node)
        self.stack.append(_INCREMENT)
        self.push_children(node)

    def on_import(self, node: cst.Import | cst.ImportFrom) -> None:
        declared, scope = self.declared, self.scope
        for part in iter_nodes(node):
            if part.__class__ is cst.Name:
                declared[part] = None
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                if alias.asname is not None:
                    key = alias.asname.name
                    names = [key.value]
                else:
                    dotted = _dotted_names(alias.name)
                    names, key = [name for name, _ in dotted], dotted[-1][1]
                    if len(names) > 1:
                        self.syntax._dotted_roots.add(names[-1])
                for name in names:
                    binding = self.bind(scope, name, node)
                declared[key] = binding  # the plain name, bound last
        scope.count += 1
        self.push_children(node)

    def on_declaration(self, node: cst.Global | cst.Nonlocal) -> None:
        scope, kind = self.scope, _GLOBAL if node.__class__ is cst.Global else _NONLOCAL
        for item in node.names:
            self.declared[item.name] = None
            if scope.kind is not _MODULE:
                scope.overwrites[item.name.value] = kind
        scope.count += 1
        self.push_children(node)

    def on_capture(self, node: cst.MatchAs | cst.MatchStar) -> None:
        if node.name is not None:
            self.bind_target(node.name)
        self.push_children(node)

    def on_mapping_pattern(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self.bind_target(node.rest)
        self.push_children(node)

    def on_keyword_pattern(self, node: cst.MatchKeywordElement) -> None:
        self.declared[node.key] = None
        self.push_children(node)

    def on_case(self, node: cst.MatchCase) -> None:
        self.push_plan(node, _CASE_PLAN)

    # stack markers
    def on_scope(self, scope: Scope) -> None:
        self.scope = scope

    def on_increment(self, _marker: _Increment) -> None:
        self.scope.count += 1


_HANDLERS = {
    cst.Name: _Walk.on_name,
    cst.Attribute: _Walk.on_attribute,
    cst.Call: _Walk.on_call,
    cst.SimpleString: _Walk.on_string,
    cst.FormattedStringText: _Walk.on_string,
    cst.Arg: _Walk.on_arg,
    cst.Return: _Walk.on_return,
    cst.FunctionDef: _Walk.on_function,
    cst.ClassDef: _Walk.on_class,
    cst.Lambda: _Walk.on_lambda,
    cst.Param: _Walk.on_param,
    cst.TypeAlias: _Walk.on_type_alias,
    cst.TypeVar: _Walk.on_type_parameter,
    cst.TypeVarTuple: _Walk.on_type_parameter,
    cst.ParamSpec: _Walk.on_type_parameter,
    cst.ListComp: _Walk.on_comprehension,
    cst.SetComp: _Walk.on_comprehension,
    cst.GeneratorExp: _Walk.on_comprehension,
    cst.DictComp: _Walk.on_comprehension,
    cst.CompFor: _Walk.on_comp_for,
    cst.For: _Walk.on_for,
    cst.Assign: _Walk.on_assign,
    cst.AnnAssign: _Walk.on_single_target,
    cst.AugAssign: _Walk.on_single_target,
    cst.NamedExpr: _Walk.on_walrus,
    cst.AsName: _Walk.on_as_name,
    cst.WithItem: _Walk.on_binding_container,
    cst.Parameters: _Walk.on_binding_container,
    cst.Import: _Walk.on_import,
    cst.ImportFrom: _Walk.on_import,
    cst.Global: _Walk.on_declaration,
    cst.Nonlocal: _Walk.on_declaration,
    cst.MatchAs: _Walk.on_capture,
    cst.MatchStar: _Walk.on_capture,
    cst.MatchMapping: _Walk.on_mapping_pattern,
    cst.MatchKeywordElement: _Walk.on_keyword_pattern,
    cst.MatchCase: _Walk.on_case,
    Scope: _Walk.on_scope,
    _Increment: _Walk.on_increment,
    _EndComprehension: _Walk.on_end_comprehension,
}


# -- positions ------------------------------------------------------------------------------

_NEWLINE = re.compile(r"\r\n?|\n")  # PositionProvider's


class _Unrecorded:
    """The context of a syntactic position nobody asked for."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


_UNRECORDED = _Unrecorded()


class _SyntacticSpan:
    """PositionProvidingCodegenState.record_syntactic_position, in token indices."""

    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(self, state: _PositionState, node: CSTNode, start_node: CSTNode | None,
                 end_node: CSTNode | None) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = len(self.state.tokens)

    def __exit__(self, *exc_info: object) -> None:
        spans = self.state.spans
        start = spans[self.start_node][0] if self.start_node is not None else self.start
        end = spans[self.end_node][1] if self.end_node is not None else len(self.state.tokens)
        spans[self.node] = (start, end)


class _AllPlaced(Exception):
    """Every node asked about has its span: the rest of the module need not be generated."""


class _PositionState(CodegenState):
    """libcst's code generation noting, for the wanted nodes only, the token indices where they start and end.

    The same bookkeeping as PositionProvidingCodegenState (a syntactic position
    wins over the whitespace-inclusive one, and may be hoisted from a child), but
    lines and columns are worked out afterwards for the wanted nodes alone.
    """

    __slots__ = ("left", "spans", "starts", "wanted")

    def __init__(self, module: cst.Module, wanted: set[CSTNode]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.wanted = {id(node) for node in wanted}  # ids: a CSTNode's own __hash__ is Python code
        self.left = set(self.wanted)  # asked for and not yet ended: the generation stops once none is
        self.starts: dict[int, int] = {}
        self.spans: dict[CSTNode, tuple[int, int]] = {}

    def before_codegen(self, node: CSTNode) -> None:
        key = id(node)
        if key in self.wanted:
            self.starts[key] = len(self.tokens)

    def after_codegen(self, node: CSTNode) -> None:
        key = id(node)
        if key in self.wanted:
            if node not in self.spans:
                self.spans[node] = (self.starts[key], len(self.tokens))
            left = self.left
            left.discard(key)
            if not left:
                raise _AllPlaced

    def record_syntactic_position(self, node: CSTNode, *, start_node: CSTNode | None = None,
                                  end_node: CSTNode | None = None):
        if id(node) not in self.wanted:
            return _UNRECORDED
        if start_node is not None:
            self.wanted.add(id(start_node))
        if end_node is not None:
            self.wanted.add(id(end_node))
        return _SyntacticSpan(self, node, start_node, end_node)

    def pop_trailing_newline(self) -> None:
        """Keep the module's last newline: token indices stay indices into ``tokens``."""


# -- the facts --------------------------------------------------------------------------------


class ModuleSyntax:
    """Parents, scopes, positions and the calls, attributes and strings of one module.

    ``calls``, ``attributes`` and ``strings`` (``SimpleString`` and
    ``FormattedStringText``) are in the order a CSTVisitor visits them.
    """

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.calls: list[cst.Call] = []
        self.attributes: list[cst.Attribute] = []
        self.strings: list[cst.SimpleString | cst.FormattedStringText] = []
        # defs, classes, assignments, walruses, with items, parameter lists and returns: where values get names
        self.sites: list[CSTNode] = []
        self._parents: dict[CSTNode, CSTNode] = {}
        self._reads: dict[cst.Name, tuple[Scope, int]] = {}  # read -> (its scope, that scope's count then)
        self._declared: dict[cst.Name, Binding | None] = {}  # names that are not reads -> what they bind
        self._dotted_roots: set[str] = set()  # "a" of every ``import a.b``
        self._builtins = Scope(_BUILTINS, None)
        self._globals = Scope(_MODULE, self._builtins)
        self._referents: dict[cst.Name, list[Binding]] = {}
        self._references_known = False
        self._spans: dict[CSTNode, tuple[int, int]] = {}  # node -> indices of its first and next token
        self._offsets: list[int] | None = None  # token index -> character offset
        self._line_starts: list[int] = []  # character offsets where lines start
        self._token_positions: dict[int, tuple[int, int]] = {}
        _Walk(self).run()

    # parents ---------------------------------------------------------------------------------
    @property
    def parents(self) -> Mapping[CSTNode, CSTNode]:
        """Every node but the module -> its parent (ParentNodeProvider)."""
        return self._parents

    def parent(self, node: CSTNode) -> CSTNode | None:
        """The node whose child ``node`` is; None for the module."""
        return self._parents.get(node)

    # names -----------------------------------------------------------------------------------
    def binding_nodes(self, name: cst.Name) -> list[CSTNode]:
        """The nodes that bind ``name`` where it is read (none when it is not a read, or a builtin)."""
        if name not in self._reads:
            return []
        builtins_scope = self._builtins
        return [binding.node for binding in self._referents_of(name) if binding.scope is not builtins_scope]

    def assignments_of(self, target: cst.Name) -> list[Binding]:
        """Every binding of ``target``'s name in the scope it binds (or, for a read, is read from).

        A name bound twice cannot be followed; each binding's ``references`` are its reads.
        """
        binding = self._declared.get(target)
        if binding is not None:
            found = binding.scope.bindings[binding.name]
        elif target in self._reads:
            scope = self._reads[target][0]
            found = scope.resolve(target.value, scope)
        else:
            return []
        if found and found[0].scope is self._builtins:
            return []
        self._know_references()
        return list(found)

    def qualified_names(self, node: CSTNode) -> set[str]:
        """libcst's ``scope.get_qualified_names_for(node)``, names only, for an expression.

        Computed per question from the bindings: only callees are ever asked about.
        """
        access = self._access_at(node)
        if access is not None:
            scope, index, name = access
            return {qualified for binding in self._resolve_read(scope, index, name)
                    for qualified in _qualified_names(binding, binding.name)}
        full_name = get_full_name_for_node(node)
        if full_name is None:
            return set()
        scope = self._scope_of(node)
        prefix = full_name
        while prefix:
            if scope.has(prefix):
                return {qualified for binding in scope.resolve(prefix, scope)
                        for qualified in _qualified_names(binding, full_name)}
            prefix = prefix.rpartition(".")[0]
        return set()

    def _referents_of(self, name: cst.Name) -> list[Binding]:
        found = self._referents.get(name)
        if found is None:
            scope, index = self._reads[name]
            found = self._referents[name] = self._resolve_read(scope, index, name.value)
        return found

    def _resolve_read(self, scope: Scope, index: int, name: str) -> list[Binding]:
        """The bindings a read of ``name`` at ``index`` in ``scope`` may see (libcst ``record_assignments``)."""
        found = scope.resolve(name, scope)
        earlier = [binding for binding in found if binding.scope is not scope or binding.index < index]
        if earlier or not found:
            return earlier
        # Every binding of the name in this scope comes later.
        if scope.kind in _FUNCTION_LIKE:
            return []  # a local name: unbound here
        return scope.parent.seen_from(scope).resolve(name, scope)

    def _know_references(self) -> None:
        """Fill every ``Binding.references``: the inverse of every read's bindings, needed by few questions."""
        if self._references_known:
            return
        self._references_known = True
        builtins_scope = self._builtins
        for name in self._reads:
            read = Read(name)
            for binding in self._referents_of(name):
                if binding.scope is not builtins_scope:
                    binding.references.append(read)

    def _access_at(self, node: CSTNode) -> tuple[Scope, int, str] | None:
        """(scope, index, name) of the read libcst records with ``node`` as its node, if there is one.

        That is a read Name; but after ``import a.b`` libcst records the ``a`` of
        ``a.b.c`` as a read of ``a.b``, with the attribute ``a.b`` as its node.
        """
        root = node
        while root.__class__ is cst.Attribute:
            root = root.value
        read = self._reads.get(root) if root.__class__ is cst.Name else None
        if read is None:
            return None
        scope, index = read
        recorded, name = root, root.value
        if name in self._dotted_roots:
            recorded, name = self._dotted_read(root, scope)
        return (scope, index, name) if recorded is node else None

    def _dotted_read(self, name: cst.Name, scope: Scope) -> tuple[CSTNode, str]:
        """libcst's node and name for a read: the longest bound dotted name of the attributes around it."""
        outermost = None
        above = self._parents.get(name)
        while above is not None and above.__class__ is not cst.Call:  # libcst starts over inside a call
            if above.__class__ is cst.Attribute:
                outermost = above
            above = self._parents.get(above)
        for dotted, node in _dotted_names(outermost) if outermost is not None else ():
            if scope.has(dotted):
                return node, dotted
        return name, name.value

    def _scope_of(self, node: CSTNode) -> Scope:
        """The scope an expression is evaluated in: its root name's (no root name: names only builtins can bind)."""
        root = node
        while True:
            kind = root.__class__
            if kind is cst.Attribute or kind is cst.Subscript:
                root = root.value
            elif kind is cst.Call:
                root = root.func
            else:
                break
        read = self._reads.get(root) if root.__class__ is cst.Name else None
        return read[0] if read is not None else self._globals

    # positions -------------------------------------------------------------------------------
    def position(self, node: CSTNode) -> tuple[int, int]:
        """(line from 1, column from 0) where ``node`` starts: PositionProvider's ``start``.

        Not known yet, it costs one code generation, which notes the calls,
        attributes and strings too: ask about other nodes in a batch (``positions``).
        """
        return self._at(self._span(node)[0])

    def end(self, node: CSTNode) -> tuple[int, int]:
        """(line from 1, column from 0) just past ``node``: PositionProvider's ``end``."""
        return self._at(self._span(node)[1])

    def positions(self, nodes: Iterable[CSTNode]) -> dict[CSTNode, CodeRange]:
        """PositionProvider's ranges of ``nodes``, from one code generation for those not yet known."""
        nodes = list(nodes)
        self._generate([node for node in nodes if node not in self._spans])
        spans, at = self._spans, self._at
        return {node: CodeRange(CodePosition(*at(spans[node][0])), CodePosition(*at(spans[node][1])))
                for node in nodes}

    def _span(self, node: CSTNode) -> tuple[int, int]:
        found = self._spans.get(node)
        if found is None:
            # A code generation costs the same for one node or many: take along
            # the nodes findings are reported on.
            self._generate([node, *self.calls, *self.attributes, *self.strings])
            found = self._spans[node]
        return found

    def _generate(self, nodes: list[CSTNode]) -> None:
        """Run the code generation once, noting where ``nodes`` start and end (as token indices)."""
        wanted = {node for node in nodes if node not in self._spans}
        if not wanted:
            return
        state = _PositionState(self.module, wanted)
        try:
            self.module._codegen(state)
        except _AllPlaced:
            pass  # the tokens so far are a prefix of every generation's: enough for what was asked
        self._spans.update(state.spans)
        tokens = state.tokens
        if self._offsets is None or len(tokens) + 1 > len(self._offsets):
            self._offsets = list(accumulate(map(len, tokens), initial=0))
            self._line_starts = [0, *(match.end() for match in _NEWLINE.finditer("".join(tokens)))]

    def _at(self, token: int) -> tuple[int, int]:
        """(line, column) where the ``token``-th token starts."""
        found = self._token_positions.get(token)
        if found is None:
            offset = self._offsets[token]
            line = bisect_right(self._line_starts, offset)
            found = self._token_positions[token] = (line, offset - self._line_starts[line - 1])
        return found


def _qualified_names(binding: Binding, full_name: str) -> set[str]:
    """What libcst's Assignment/ImportAssignment/BuiltinAssignment ``get_qualified_names_for`` gives."""
    if binding.scope.kind is _BUILTINS:
        return {f"builtins.{binding.name}"}
    node = binding.node
    if node.__class__ is cst.Import or node.__class__ is cst.ImportFrom:
        return _imported_names(node, full_name)
    prefix = binding.scope.prefix
    return {f"{prefix}.{full_name}" if prefix else full_name}


def _imported_names(node: cst.Import | cst.ImportFrom, full_name: str) -> set[str]:
    """libcst's ImportAssignment.get_qualified_names_for, step by step."""
    module = ""
    if node.__class__ is cst.ImportFrom:
        if node.module is not None:
            module = get_full_name_for_node(node.module) or ""
        if node.relative:
            module = "." * len(node.relative) + module
    results: set[str] = set()
    if isinstance(node.names, cst.ImportStar):
        return results
    for alias in node.names:
        real_name = get_full_name_for_node(alias.name)
        if not real_name:
            continue
        parts = real_name.split(".")
        for length in range(len(parts), 0, -1):
            imported = as_name = ".".join(parts[:length])
            if module.endswith("."):
                imported = f"{module}{imported}"
            elif module:
                imported = f"{module}.{imported}"
            if alias.asname is not None and alias.evaluated_alias is not None:
                as_name = alias.evaluated_alias
            if full_name.startswith(as_name):
                remaining = full_name.split(as_name, 1)[1]
                if remaining and not remaining.startswith("."):
                    continue
                remaining = remaining.lstrip(".")
                results.add(f"{imported}.{remaining}" if remaining else imported)
                break
    return results
