"""Who receives each model ID a Python module writes: the evidence for rewriting it.

An ID may become an OpenRouter ID only where what receives it talks to
OpenRouter. Within one module the value is followed: as the model argument of
a call; bound to a name (a constant, a local, a parameter default, an
``os.environ.get`` default, a ``self`` attribute) whose every read is followed
in turn. What receives it:

- ``OPENROUTER``: a chat completion, a ``bedrock_converse*`` helper call, or a
  Converse call on a ``BedrockRuntimeCompat``;
- ``BEDROCK``: a Bedrock Runtime call that stays, a Bedrock framework class, an
  Agents or Knowledge Base argument (``foundation_model``, ``modelArn``);
- an untraced call's finding: a Converse call on a client made elsewhere, which
  the project pass finds served by OpenRouter, or not;
- ``UNKNOWN``: anything else (a list, a dict, another module, a function of
  unknown kind). The project decides those: they move only when nothing is
  left on Bedrock.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from ..findings import Finding
from .clients import COMPAT_SERVICE, RUNTIME_SERVICE
from .converse_fields import CONVERSE_METHODS
from .detect import (
    ENVIRONMENT_LOOKUPS,
    FRAMEWORK_CLASSES,
    RUNTIME_CALL_RULES,
    Analysis,
    dotted,
)
from .syntax import MODULE_SCOPE

OPENROUTER = "openrouter"
BEDROCK = "bedrock"
UNKNOWN = "unknown"
# A verdict, the finding of an untraced Converse call whose fate the project pass decides,
# or (while the rewrite decides what moves) a Bedrock call about to move.
Receiver = str | Finding | cst.Attribute

_MODEL_KEYWORDS = frozenset({"model", "modelId"})
# Arguments that name the model of a Bedrock Agent or Knowledge Base: they stay on AWS.
_BEDROCK_KEYWORDS = frozenset({"foundation_model", "foundationModel", "modelArn", "model_arn"})
_HELPER_CALLS = frozenset(f"bedrock_{method}" for method in CONVERSE_METHODS)  # as compat_calls names them
_MAX_DEPTH = 8
# Printing or logging a model ID sends it nowhere: such a read neither allows nor blocks a rewrite.
_SHOWN = "shown"
_DISPLAY_CALLS = frozenset({"print"})
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})


def model_id_receivers(analysis: Analysis, shared: frozenset[str] | None) -> dict[Finding, frozenset[Receiver]]:
    """What receives each model ID finding of the module (B2O401/B2O402 on a plain string).

    ``shared``: the module-level names other modules import from this one (None: any of them).
    """
    follower = _Follower(analysis, shared)
    return {finding: (follower.receivers_of_value(node, 0) - {_SHOWN}) or frozenset({UNKNOWN})
            for finding, node in analysis.finder.id_sources.items()}


def calls_sharing_an_id_with_bedrock(analysis: Analysis, shared: frozenset[str] | None,
                                     moving: frozenset[cst.Attribute]) -> set[cst.Attribute]:
    """Of the Bedrock calls about to move (``moving``), those that receive a model ID a call staying on Bedrock
    also receives: one ID cannot be a Bedrock ID and an OpenRouter ID at once, so their clients stay too.
    """
    follower = _Follower(analysis, shared, moving)
    conflicted: set[cst.Attribute] = set()
    for node in analysis.finder.id_sources.values():
        receivers = follower.receivers_of_value(node, 0)
        if BEDROCK in receivers:
            conflicted |= {receiver for receiver in receivers if isinstance(receiver, cst.Attribute)}
    return conflicted


class _Follower:
    def __init__(self, analysis: Analysis, shared: frozenset[str] | None,
                 moving: frozenset[cst.Attribute] = frozenset()) -> None:
        self.analysis = analysis
        self.syntax = analysis.syntax
        self.parents = analysis.syntax.parents
        self.shared = shared
        self.untraced_calls = analysis.finder.untraced_call_findings
        self.moving = moving  # Bedrock calls the rewrite is about to move: each is its own receiver

    def receivers_of_value(self, node: cst.CSTNode, depth: int, items: bool = False) -> frozenset[Receiver]:
        """Who receives the value of the expression ``node`` (with ``items``, the items of that collection)."""
        if depth > _MAX_DEPTH:
            return frozenset({UNKNOWN})
        parent = self.parents.get(node)
        if items:
            return self._items(node, parent, depth)
        if (isinstance(parent, cst.DictElement) and parent.value is node and isinstance(parent.key, cst.SimpleString)
                and parent.key.evaluated_value in _BEDROCK_KEYWORDS):
            return frozenset({BEDROCK})  # {"modelArn": ...} of a Knowledge Base configuration
        if isinstance(parent, cst.Element | cst.DictElement) and parent.value is node:
            return self.receivers_of_value(self.parents.get(parent), depth + 1, items=True)
        if isinstance(parent, cst.Arg) and parent.value is node:
            return self._argument(parent, depth)
        if isinstance(parent, cst.Assign | cst.AnnAssign) and parent.value is node:
            targets = [parent.target] if isinstance(parent, cst.AnnAssign) else [t.target for t in parent.targets]
            return _union(self._target(target, depth, items) for target in targets)
        if isinstance(parent, cst.Param) and parent.default is node:
            return self._name(parent.name, depth)
        if isinstance(parent, cst.FormattedStringExpression):
            return frozenset({_SHOWN})
        return frozenset({UNKNOWN})

    def _items(self, node: cst.CSTNode, parent: cst.CSTNode | None, depth: int) -> frozenset[Receiver]:
        """Who receives the items of a list or dict: a ``for`` over it, ``table[key]``, ``table.get(key)``."""
        if isinstance(parent, cst.For) and parent.iter is node:
            return self._target(parent.target, depth + 1, False)
        if isinstance(parent, cst.Subscript) and parent.value is node:
            return self.receivers_of_value(parent, depth + 1)
        if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "get":
            call = self.parents.get(parent)
            if isinstance(call, cst.Call) and call.func is parent:
                return self.receivers_of_value(call, depth + 1)
        if isinstance(parent, cst.Assign | cst.AnnAssign) and parent.value is node:
            targets = [parent.target] if isinstance(parent, cst.AnnAssign) else [t.target for t in parent.targets]
            return _union(self._target(target, depth, True) for target in targets)
        return frozenset({UNKNOWN})

    def _argument(self, argument: cst.Arg, depth: int) -> frozenset[Receiver]:
        call = self.parents.get(argument)
        if not isinstance(call, cst.Call):
            return frozenset({UNKNOWN})
        keyword = argument.keyword.value if argument.keyword is not None else None
        callee = dotted(call.func)
        if callee in _DISPLAY_CALLS or callee.rpartition(".")[2] in _LOG_METHODS and "." in callee:
            return frozenset({_SHOWN})
        if keyword is None and callee in ENVIRONMENT_LOOKUPS and argument is not call.args[0]:
            return self.receivers_of_value(call, depth + 1)  # the default flows wherever the lookup does
        if self._is_bedrock_framework(call.func) or keyword in _BEDROCK_KEYWORDS:
            return frozenset({BEDROCK})  # ChatBedrock(model_id=...), an Agent's foundation_model, ...
        if keyword in _MODEL_KEYWORDS:
            return frozenset({self._call(call)})
        parameter = self._parameter(call, argument)
        return self._name(parameter.name, depth + 1) if parameter is not None else frozenset({UNKNOWN})

    def _parameter(self, call: cst.Call, argument: cst.Arg) -> cst.Param | None:
        """The parameter of a function of this module that ``argument`` binds."""
        if not isinstance(call.func, cst.Name):
            return None
        defined = self.syntax.binding_nodes(call.func)
        function = defined[0] if len(defined) == 1 else None
        if not isinstance(function, cst.FunctionDef) or argument.star:
            return None
        parameters = function.params
        if argument.keyword is not None:
            named = [*parameters.posonly_params, *parameters.params, *parameters.kwonly_params]
            return next((p for p in named if p.name.value == argument.keyword.value), None)
        index = call.args.index(argument)
        positional = [*parameters.posonly_params, *parameters.params]
        if any(arg.star or arg.keyword is not None for arg in call.args[:index]) or index >= len(positional):
            return None
        return positional[index]

    def _call(self, call: cst.Call) -> Receiver:
        """Who a call that takes a model argument sends it to."""
        func = call.func
        if isinstance(func, cst.Name):
            return OPENROUTER if func.value in _HELPER_CALLS else UNKNOWN
        if not isinstance(func, cst.Attribute):
            return UNKNOWN
        if dotted(func).endswith("chat.completions.create"):
            return OPENROUTER
        method = func.attr.value
        if method not in RUNTIME_CALL_RULES:
            return UNKNOWN
        if func in self.moving:
            return func
        service = self.analysis.tracer.service_of(func.value)
        if service == COMPAT_SERVICE:
            return OPENROUTER if method in CONVERSE_METHODS else BEDROCK  # the stand-in hands the rest to Bedrock
        if service is None and method in CONVERSE_METHODS:
            return self.untraced_calls.get(func, UNKNOWN)  # served by OpenRouter or not: the project pass says
        return BEDROCK if service in (None, RUNTIME_SERVICE) else UNKNOWN

    def _target(self, target: cst.BaseExpression, depth: int, items: bool) -> frozenset[Receiver]:
        if isinstance(target, cst.Name):
            return self._name(target, depth, items)
        if (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
                and target.value.value == "self"):
            return self._self_attribute(target, depth, items)
        return frozenset({UNKNOWN})

    def _name(self, target: cst.Name, depth: int, items: bool = False) -> frozenset[Receiver]:
        bindings = self.syntax.assignments_of(target)
        if len(bindings) != 1 or not bindings[0].references:
            return frozenset({UNKNOWN})  # rebound, or read where this module cannot see (globals(), an import)
        binding = bindings[0]
        if binding.scope is not None and binding.scope.kind == MODULE_SCOPE and (
                self.shared is None or binding.name in self.shared):
            return frozenset({UNKNOWN})  # a module-level name another module reads
        return _union(self.receivers_of_value(read.node, depth + 1, items) for read in binding.references)

    def _self_attribute(self, target: cst.Attribute, depth: int, items: bool) -> frozenset[Receiver]:
        """``self.model_id = ...``: every ``self.model_id`` read in the class's methods."""
        owner = self._enclosing_class(target)
        if owner is None:
            return frozenset({UNKNOWN})
        reads = [attribute for attribute in self.syntax.attributes
                 if attribute is not target and attribute.attr.value == target.attr.value
                 and isinstance(attribute.value, cst.Name) and attribute.value.value == "self"
                 and self._enclosing_class(attribute) is owner]
        if not reads or any(self._is_store(read) for read in reads):
            return frozenset({UNKNOWN})
        return _union(self.receivers_of_value(read, depth + 1, items) for read in reads)

    def _enclosing_class(self, node: cst.CSTNode) -> cst.ClassDef | None:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, cst.ClassDef):
            current = self.parents.get(current)
        return current

    def _is_store(self, attribute: cst.Attribute) -> bool:
        return isinstance(self.parents.get(attribute), cst.AssignTarget | cst.AugAssign | cst.AnnAssign)

    def _is_bedrock_framework(self, func: cst.BaseExpression) -> bool:
        return any(name.rpartition(".")[2] in FRAMEWORK_CLASSES for name in self.analysis.tracer.qualified_names(func))


def _union(sets: Iterable[frozenset[Receiver]]) -> frozenset[Receiver]:
    found: frozenset[Receiver] = frozenset()
    for receivers in sets:
        found |= receivers
    return found or frozenset({UNKNOWN})  # nothing reads it here: it goes where this module cannot see
