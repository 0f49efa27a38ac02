"""Which expressions in a Python module are boto3 clients, and of which service.

A call counts as Bedrock only when its receiver is traced to a client of the
``bedrock-runtime`` service, so a project's own ``BedrockHelper.invoke_model``
is never mistaken for the SDK. The tracer follows what real code does within
one file: module-level and local assignments, ``self.x`` attributes set in any
method of the class, factory functions (also with the service name as a
parameter), ``with``/``async with`` targets, parameters fed by call sites in the
same file, and ``mypy_boto3`` type annotations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .syntax import Binding, ModuleSyntax

RUNTIME_SERVICE = "bedrock-runtime"
AGENT_RUNTIME_SERVICE = "bedrock-agent-runtime"
# A migrated client that still answers in Bedrock's shape (the generated BedrockRuntimeCompat).
COMPAT_SERVICE = "openrouter-compat"

# Qualified names of functions that create a client from a service name.
_CLIENT_FACTORIES = frozenset({"boto3.client", "boto3.session.Session.client", "aioboto3.client"})
# Method names that create a client on a session object.
_SESSION_METHODS = frozenset({"client", "create_client"})
# mypy_boto3 annotations name the service without any call to trace.
_ANNOTATED_CLIENTS = {
    "BedrockRuntimeClient": RUNTIME_SERVICE,
    "AgentsforBedrockRuntimeClient": AGENT_RUNTIME_SERVICE,
}

_MAX_DEPTH = 12
# Generated callables whose ``bedrock=lambda: ...`` argument makes their fallback Bedrock client.
_FALLBACK_TAKERS = frozenset({"BedrockRuntimeCompat", "openrouter_client"})


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a client comes from: the call that creates it (or a typed parameter), and its service."""

    node: cst.CSTNode
    service: str


def _union(sets: Iterable[frozenset[Origin]]) -> frozenset[Origin]:
    result: frozenset[Origin] = frozenset()
    for found in sets:
        result |= found
    return result

# A binding environment for one factory call: parameter node -> (argument, caller's environment).
Env = dict[cst.Param, tuple[cst.BaseExpression, "Env"]]
_NO_ENV: Env = {}


class ModuleFacts:
    """What every later question about bindings needs, read off the syntax walk's binding sites.

    Each site is placed by the definitions around it (its enclosing classes and
    functions, found through its parents), so this costs no walk of its own.
    The calls, attributes and strings come from the same walk.
    """

    def __init__(self, syntax: ModuleSyntax) -> None:
        self.values: dict[cst.CSTNode, cst.BaseExpression] = {}  # bound Name -> value
        self.self_attributes: dict[tuple[cst.ClassDef, str], list[cst.BaseExpression]] = defaultdict(list)
        self.attribute_class: dict[cst.Attribute, cst.ClassDef] = {}
        self.returns: dict[cst.FunctionDef, list[cst.BaseExpression]] = defaultdict(list)
        self.methods: dict[tuple[cst.ClassDef, str], cst.FunctionDef] = {}
        self.param_function: dict[cst.Param, cst.FunctionDef] = {}
        self.top_level_functions: set[cst.FunctionDef] = set()
        self.calls: list[cst.Call] = syntax.calls
        self.module_values: dict[cst.BaseExpression, list[str]] = defaultdict(list)  # value -> module-level names
        self.attributes: list[cst.Attribute] = syntax.attributes
        self.strings: list[cst.SimpleString | cst.FormattedStringText] = syntax.strings
        self._parents = syntax.parents
        self._enclosing: dict[cst.CSTNode, cst.CSTNode | None] = {}
        for site in syntax.sites:
            handle = _SITES.get(site.__class__)
            if handle is not None:
                handle(self, site)
        for attribute in self.attributes:
            if isinstance(attribute.value, cst.Name) and attribute.value.value in ("self", "cls"):
                owner = self._class_around(attribute)
                if owner is not None:
                    self.attribute_class[attribute] = owner

    # where a node is ---------------------------------------------------------------
    def _definition_around(self, node: cst.CSTNode) -> cst.FunctionDef | cst.ClassDef | None:
        """The innermost ``def`` or ``class`` that contains ``node`` (decorators and defaults count as inside)."""
        climbed: list[cst.CSTNode] = []
        parent = self._parents.get(node)
        found: cst.FunctionDef | cst.ClassDef | None = None
        while parent is not None:
            known = self._enclosing.get(parent, _UNKNOWN)
            if known is not _UNKNOWN:
                found = known
                break
            if isinstance(parent, (cst.FunctionDef, cst.ClassDef)):
                found = parent
                break
            climbed.append(parent)
            parent = self._parents.get(parent)
        for passed in climbed:  # every node passed on the way has the same definition around it
            self._enclosing[passed] = found
        return found

    def _class_around(self, node: cst.CSTNode) -> cst.ClassDef | None:
        definition = self._definition_around(node)
        while definition is not None and not isinstance(definition, cst.ClassDef):
            definition = self._definition_around(definition)
        return definition

    # sites ---------------------------------------------------------------------------
    def _function(self, node: cst.FunctionDef) -> None:
        around = self._definition_around(node)
        if isinstance(around, cst.ClassDef):
            self.methods[(around, node.name.value)] = node
        for param in _all_params(node):
            self.param_function[param] = node
        if around is None:
            self.top_level_functions.add(node)

    def _bind(self, site: cst.CSTNode, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.values[target] = value
            if self._definition_around(site) is None:
                self.module_values[value].append(target.value)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value in (
                "self", "cls"):
            owner = self._class_around(site)
            if owner is not None:
                self.self_attributes[(owner, target.attr.value)].append(value)
        elif isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
            if len(target.elements) == len(value.elements):
                for target_element, value_element in zip(target.elements, value.elements):
                    self._bind(site, target_element.value, value_element.value)

    def _assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(node, target.target, node.value)
        around = self._definition_around(node)
        if isinstance(around, cst.ClassDef):
            for target in node.targets:  # class attribute, read later as self.x
                if isinstance(target.target, cst.Name):
                    self.self_attributes[(around, target.target.value)].append(node.value)

    def _annotated(self, node: cst.AnnAssign | cst.AugAssign) -> None:
        if isinstance(node, cst.AnnAssign) and node.value is not None:
            self._bind(node, node.target, node.value)

    def _walrus(self, node: cst.NamedExpr) -> None:
        self._bind(node, node.target, node.value)

    def _with_item(self, node: cst.WithItem | cst.Parameters) -> None:
        if isinstance(node, cst.WithItem) and node.asname is not None:
            self._bind(node, node.asname.name, node.item)

    def _return(self, node: cst.Return) -> None:
        function = self._definition_around(node)
        if isinstance(function, cst.FunctionDef) and node.value is not None:
            self.returns[function].append(node.value)

    def is_module_level(self, value: cst.BaseExpression) -> bool:
        """Whether other modules can reach ``value``: bound to a module-level name or returned by a top-level function."""
        return bool(self.module_level_names_of(value))

    def module_level_names_of(self, value: cst.BaseExpression) -> list[str]:
        names = list(self.module_values.get(value, ()))
        names += [function.name.value for function, returned in self.returns.items()
                  if value in returned and function in self.top_level_functions]
        return names


_UNKNOWN = object()
_SITES = {
    cst.FunctionDef: ModuleFacts._function,
    cst.Assign: ModuleFacts._assign,
    cst.AnnAssign: ModuleFacts._annotated,
    cst.AugAssign: ModuleFacts._annotated,
    cst.NamedExpr: ModuleFacts._walrus,
    cst.WithItem: ModuleFacts._with_item,
    cst.Parameters: ModuleFacts._with_item,
    cst.Return: ModuleFacts._return,
}


class ClientTracer:
    """Answers "is this expression a boto3 client, and for which service?"."""

    def __init__(self, syntax: ModuleSyntax, facts: ModuleFacts) -> None:
        self._syntax = syntax
        self._facts = facts
        self._memo: dict[cst.CSTNode, frozenset[Origin]] = {}
        self._active: set[tuple[int, int]] = set()
        self._callers: dict[cst.FunctionDef, list[cst.Call]] | None = None

    # public API -------------------------------------------------------------
    def creation_service(self, call: cst.Call, env: Env = _NO_ENV) -> str | None:
        """The service name when ``call`` itself creates a client, e.g. ``boto3.client("bedrock-runtime")``."""
        func = call.func
        names = self.qualified_names(func)
        if any(name.rpartition(".")[2] == "BedrockRuntimeCompat" for name in names):
            return COMPAT_SERVICE
        creates = bool(names & _CLIENT_FACTORIES)
        if not creates and isinstance(func, cst.Attribute) and func.attr.value in _SESSION_METHODS:
            creates = True  # session.client(...), aioboto3/aiobotocore sessions alike
        if not creates or self._is_compat_fallback(call):
            return None
        service = _argument(call, 0, "service_name")
        return self.string_value(service, env) if service is not None else None

    def _is_compat_fallback(self, call: cst.Call) -> bool:
        """``BedrockRuntimeCompat(..., bedrock=lambda: <call>)`` (or ``openrouter_client(...)``): the generated
        code's own Bedrock client for what OpenRouter cannot answer, not the program's."""
        parents = self._syntax.parents
        function = parents.get(call)
        argument = parents.get(function) if isinstance(function, cst.Lambda) else None
        if not (isinstance(argument, cst.Arg) and argument.keyword is not None and argument.keyword.value == "bedrock"):
            return False
        stand_in = parents.get(argument)
        return isinstance(stand_in, cst.Call) and any(
            name.rpartition(".")[2] in _FALLBACK_TAKERS for name in self.qualified_names(stand_in.func))

    def origins(self, expr: cst.BaseExpression, env: Env = _NO_ENV) -> frozenset[Origin]:
        """Every client creation ``expr`` may evaluate to, with the service each creates."""
        if not env and expr in self._memo:
            return self._memo[expr]
        key = (id(expr), id(env))
        if key in self._active or len(self._active) > _MAX_DEPTH:
            return frozenset()
        self._active.add(key)
        try:
            found = self._origins(expr, env)
        finally:
            self._active.discard(key)
        if not env:
            self._memo[expr] = found
        return found

    def service_of(self, expr: cst.BaseExpression, env: Env = _NO_ENV) -> str | None:
        """The boto3 service of the client ``expr`` evaluates to, if it can be traced (Bedrock Runtime first)."""
        services = {origin.service for origin in self.origins(expr, env)}
        if RUNTIME_SERVICE in services:
            return RUNTIME_SERVICE
        return min(services) if services else None

    def service_is_literal(self, call: cst.Call) -> bool:
        """The service name is written in this module (a literal or a constant), not passed in by a caller."""
        service = _argument(call, 0, "service_name")
        if isinstance(service, (cst.SimpleString, cst.ConcatenatedString)):
            return True
        return isinstance(service, cst.Name) and all(
            not isinstance(node, cst.Param) for node in self._binding_nodes(service)
        ) and self.string_value(service) is not None

    def assignments_of(self, target: cst.Name) -> list[Binding]:
        """Every binding of ``target``'s name in its scope (a name bound twice cannot be followed)."""
        return self._syntax.assignments_of(target)

    def imports_of(self, name: cst.Name) -> list[tuple[str, str | None, str | None]]:
        """(module, object, alias) of each import that binds ``name`` where it is read."""
        found = []
        for node in self._binding_nodes(name):
            if isinstance(node, cst.Import):
                for alias in node.names:
                    bound = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
                    if bound == name.value:
                        found.append((alias.evaluated_name, None, alias.evaluated_alias))
            elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar) and not node.relative:
                module = get_full_name_for_node(node.module) if node.module is not None else None
                for alias in node.names:
                    if (alias.evaluated_alias or alias.evaluated_name) == name.value and module:
                        found.append((module, alias.evaluated_name, alias.evaluated_alias))
        return found

    def import_bindings(self, name: cst.Name) -> list[tuple[cst.ImportAlias, list[cst.CSTNode]]]:
        """The import aliases that bind ``name`` where it is read (absolute imports), each with every read of it."""
        statements = [node for node in self._syntax.binding_nodes(name) if isinstance(node, (cst.Import, cst.ImportFrom))]
        found = []
        for statement in statements:
            if isinstance(statement.names, cst.ImportStar):
                continue
            if isinstance(statement, cst.ImportFrom) and (statement.relative or statement.module is None):
                continue
            reads = [read.node for binding in self._syntax.assignments_of(name) if binding.node is statement
                     for read in binding.references]
            for alias in statement.names:
                bound = alias.evaluated_alias or (
                    alias.evaluated_name.split(".")[0] if isinstance(statement, cst.Import) else alias.evaluated_name)
                if bound == name.value:
                    found.append((alias, reads))
        return found

    def bound_value(self, name: cst.Name) -> cst.BaseExpression | None:
        """The one value a name is bound to in this module, if there is exactly one."""
        values = [self._facts.values.get(node) for node in self._binding_nodes(name)]
        return values[0] if len(values) == 1 else None

    def string_value(self, expr: cst.BaseExpression, env: Env = _NO_ENV) -> str | None:
        """A string the expression certainly holds: a literal, a constant, a parameter's argument or default."""
        if isinstance(expr, cst.SimpleString):
            value = expr.evaluated_value
            return value if isinstance(value, str) else None
        if isinstance(expr, cst.ConcatenatedString):
            left, right = self.string_value(expr.left, env), self.string_value(expr.right, env)
            return left + right if left is not None and right is not None else None
        if isinstance(expr, cst.Name):
            values = {self._string_of_binding(node, env) for node in self._binding_nodes(expr)}
            return values.pop() if len(values) == 1 else None
        return None

    def functions_called(self, call: cst.Call) -> list[cst.FunctionDef]:
        """The functions of this module that ``call`` may invoke (plain names, ``self.m``, ``Class.m``)."""
        func = call.func
        if isinstance(func, cst.Name):
            return [node for node in self._binding_nodes(func) if isinstance(node, cst.FunctionDef)]
        if isinstance(func, cst.Attribute):
            owner = self._facts.attribute_class.get(func)
            if owner is None and isinstance(func.value, cst.Name):
                owner = next(
                    (node for node in self._binding_nodes(func.value) if isinstance(node, cst.ClassDef)), None
                )
            method = self._facts.methods.get((owner, func.attr.value)) if owner is not None else None
            return [method] if method is not None else []
        return []

    # tracing ---------------------------------------------------------------
    def _origins(self, expr: cst.BaseExpression, env: Env) -> frozenset[Origin]:
        if isinstance(expr, cst.Call):
            service = self.creation_service(expr, env)
            if service is not None:
                return frozenset({Origin(expr, service)})
            return _union(
                self.origins(returned, _bind_arguments(function, expr, env))
                for function in self.functions_called(expr)
                for returned in self._facts.returns.get(function, ())
            )
        if isinstance(expr, cst.Name):
            return _union(self._origins_of_binding(node, env) for node in self._binding_nodes(expr))
        if isinstance(expr, cst.Attribute):
            owner = self._facts.attribute_class.get(expr) or self._class_of_instance(expr.value)
            if owner is None:
                return frozenset()
            return _union(self.origins(value) for value in self._facts.self_attributes.get((owner, expr.attr.value), ()))
        if isinstance(expr, cst.Await):
            return self.origins(expr.expression, env)
        if isinstance(expr, cst.IfExp):
            return self.origins(expr.body, env) | self.origins(expr.orelse, env)
        if isinstance(expr, cst.BooleanOperation):
            return self.origins(expr.left, env) | self.origins(expr.right, env)
        return frozenset()

    def _class_of_instance(self, expr: cst.BaseExpression, depth: int = 0) -> cst.ClassDef | None:
        """The class of this module that ``expr`` is an instance of: ``Chat()``, or a name bound to it."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
            return next((node for node in self._binding_nodes(expr.func) if isinstance(node, cst.ClassDef)), None)
        if isinstance(expr, cst.Name):
            for node in self._binding_nodes(expr):
                value = self._facts.values.get(node)
                owner = self._class_of_instance(value, depth + 1) if value is not None else None
                if owner is not None:
                    return owner
        return None

    def _evaluate_binding(self, node: cst.CSTNode, env: Env, evaluate: Callable, unbound_param: Callable):
        """Evaluate what a binding node holds: a parameter's argument (from ``env``) or an assigned value."""
        if isinstance(node, cst.Param):
            if node in env:
                argument, caller_env = env[node]
                return evaluate(argument, caller_env)
            return unbound_param(node)
        value = self._facts.values.get(node)
        return evaluate(value, env) if value is not None else unbound_param(None)

    def _origins_of_binding(self, node: cst.CSTNode, env: Env) -> frozenset[Origin]:
        def unbound(param: cst.Param | None) -> frozenset[Origin]:
            if param is None:
                return frozenset()
            annotated = self._annotated_service(param)
            return frozenset({Origin(param, annotated)}) if annotated else self._origins_from_callers(param)

        return self._evaluate_binding(node, env, self.origins, unbound)

    def _string_of_binding(self, node: cst.CSTNode, env: Env) -> str | None:
        return self._evaluate_binding(
            node, env, self.string_value,
            lambda param: self.string_value(param.default) if param is not None and param.default is not None else None,
        )

    def _annotated_service(self, param: cst.Param) -> str | None:
        if param.annotation is None:
            return None
        annotation = param.annotation.annotation
        if isinstance(annotation, cst.SimpleString):  # "BedrockRuntimeClient" forward references
            name = annotation.evaluated_value
        else:
            node = annotation.attr if isinstance(annotation, cst.Attribute) else annotation
            name = node.value if isinstance(node, cst.Name) else None
        return _ANNOTATED_CLIENTS.get(name) if isinstance(name, str) else None

    def _origins_from_callers(self, param: cst.Param) -> frozenset[Origin]:
        """A parameter holds whatever the call sites in this module pass for it."""
        function = self._facts.param_function.get(param)
        if function is None:
            return frozenset()
        return _union(
            self.origins(argument)
            for call in self._callers_of().get(function, ())
            if (argument := _argument_for_param(function, call, param)) is not None
        )

    def uses(self, creation: cst.CSTNode) -> list[cst.Attribute]:
        """Every ``x.method`` in the module whose ``x`` may be the client made by ``creation``."""
        return [
            attribute for attribute in self._facts.attributes
            if any(origin.node is creation for origin in self.origins(attribute.value))
        ]

    def callers(self, function: cst.FunctionDef) -> list[cst.Call]:
        """The calls of ``function`` in this module."""
        return list(self._callers_of().get(function, ()))

    def _callers_of(self) -> dict[cst.FunctionDef, list[cst.Call]]:
        if self._callers is None:
            self._callers = defaultdict(list)
            for call in self._facts.calls:
                for function in self.functions_called(call):
                    self._callers[function].append(call)
        return self._callers

    # name resolution -----------------------------------------------------------
    def _binding_nodes(self, name: cst.Name) -> list[cst.CSTNode]:
        """The nodes that bind ``name`` where it is read: targets, params, defs, classes."""
        nodes = self._syntax.binding_nodes(name)
        if not nodes and name in self._facts.values:
            nodes = [name]  # the target itself
        return nodes

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """Qualified names of one expression (``boto3.client``), computed on demand: only callees are asked."""
        return self._syntax.qualified_names(node)


def _all_params(function: cst.FunctionDef) -> list[cst.Param]:
    params = function.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument passed at ``position`` or as ``keyword=``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position].value if len(positional) > position else None


def _argument_for_param(function: cst.FunctionDef, call: cst.Call, param: cst.Param) -> cst.BaseExpression | None:
    params = [*function.params.posonly_params, *function.params.params]
    # A method called as self.m(...) or Class.m(...) does not pass self explicitly.
    if params and params[0].name.value in ("self", "cls") and isinstance(call.func, cst.Attribute):
        params = params[1:]
    position = params.index(param) if param in params else 10_000
    return _argument(call, position, param.name.value)


def _bind_arguments(function: cst.FunctionDef, call: cst.Call, env: Env) -> Env:
    bound: Env = {}
    for param in _all_params(function):
        argument = _argument_for_param(function, call, param)
        if argument is not None:
            bound[param] = (argument, env)
    return bound
