"""Rewrite one analysed Python module from Bedrock Runtime to OpenRouter, by running `rules.RULES`.

On the parse the analysis made: which clients can move (every use of them is
a method a call rule handles), their creations (the client rule), each call
(its call rule's idiomatic rewrite, else the Bedrock-shaped ``bedrock_<method>``),
then the imports the new code needs and the ones it no longer does, applied
once (`transform`). A client with any use the migration cannot prove (a method
no rule handles, a typed parameter, a receiver shared with another client)
stays on Bedrock, with all its calls, and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import libcst as cst

from ..findings import Finding, make_finding
from .clients import RUNTIME_SERVICE, ClientTracer, ModuleFacts
from .compat_calls import call_replacement, partial_replacement, value_replacement
from .context import AnalysisContext
from .converse_fields import untranslated_parts
from .detect import Analysis
from .error_handlers import (
    OPENAI_ERROR,
    client_error_handlers,
    reads_exception,
    widened,
)
from .model_receivers import calls_sharing_an_id_with_bedrock
from .rules import CALL_RULES, CLIENT_RULE
from .transform import Replacement, add_imports, import_removals, replace_nodes

HELPER_MODULE = "_openrouter"


@dataclass(slots=True)
class PythonRewrite:
    code: str
    module: cst.Module  # the tree ``code`` is printed from
    helper_names: frozenset[str]  # what the code imports from the helper module, which decides its capabilities
    compat_exports: set[str] = field(default_factory=set)  # module-level names that now hold a BedrockRuntimeCompat
    notes: list[Finding] = field(default_factory=list)



def migratable_clients(tracer: ClientTracer, facts: ModuleFacts,
                       staying: frozenset[cst.Call] = frozenset()) -> dict[cst.Call, list[cst.Attribute]]:
    """Client creations that can move to OpenRouter, each with its uses.

    A creation moves when it names the Bedrock Runtime service literally and every
    use of every receiver that may hold it is a Converse call or value whose
    request the translation carries whole (`converse_fields`), and those
    receivers hold nothing else that stays behind. Computed as a fixpoint.
    """
    candidates = {
        call: tracer.uses(call)
        for call in facts.calls
        if call not in staying and tracer.creation_service(call) == RUNTIME_SERVICE and tracer.service_is_literal(call)
    }
    called = {call.func: call for call in facts.calls}
    kept = {use for uses in candidates.values() for use in uses
            if use in called and untranslated_parts(called[use], tracer)}  # a guardrail, an image block, ...
    changed = True
    while changed:
        changed = False
        for creation, uses in list(candidates.items()):
            for use in uses:
                origins = tracer.origins(use.value)
                if (use.attr.value not in CALL_RULES or use in kept
                        or any(origin.node not in candidates for origin in origins)):
                    del candidates[creation]
                    changed = True
                    break
    return candidates


def rewrite_module(analysis: Analysis, path: str, context: AnalysisContext, helper_module: str) -> PythonRewrite | None:
    """The migrated code of one analysed module, or None when nothing in it can move."""
    tracer, facts = analysis.tracer, analysis.facts
    clients = _moving_clients(analysis, context)
    if not clients:
        return None
    replacements: dict[cst.CSTNode, Replacement] = {}
    parents = analysis.syntax.parents
    needed: list[tuple[str, str | None]] = []  # (module, object) imports the new code uses
    rebuilt: list[cst.Call] = []  # the new client creations
    notes: list[Finding] = []
    compat_exports: set[str] = set()
    called = {call.func: call for call in facts.calls}
    for creation, uses in clients.items():
        exported = not _contained(creation, set(uses), analysis.tracer, parents, facts, context) or (
            context.imported_elsewhere and facts.is_module_level(creation))
        indent = _indentation(creation, parents, analysis.module)
        needed.append((helper_module, "openrouter_client"))
        position = analysis.position(creation)
        if exported:
            replacement, dropped = CLIENT_RULE.fix(creation, tracer, compat=indent)
            replacements[creation] = lambda _updated, replacement=replacement: replacement
            rebuilt.append(replacement)
            notes += _dropped_options(dropped, path, position)
            needed.append((helper_module, "BedrockRuntimeCompat"))
            compat_exports.update(facts.module_level_names_of(creation))
            notes.append(make_finding("B2O106", path, *position,
                                      "the client is used where the migration cannot follow it: BedrockRuntimeCompat "
                                      "answers its Converse calls from OpenRouter in Bedrock's shape and hands "
                                      "anything else to Bedrock"))
            continue
        shaped = False  # some call is answered in Bedrock's shape: it may hand a request to Bedrock
        for use in uses:
            call = called.get(use)
            handlers = client_error_handlers(call, parents, tracer) if call is not None else []
            reads = _response_reads_of(call, parents, tracer) if call is not None else None
            if any(reads_exception(handler, analysis.syntax) for handler in handlers):
                reads = None  # the handler reads the ClientError: only the Bedrock-shaped call raises one
            rule = CALL_RULES[use.attr.value]
            idiomatic = (rule.idiomatic_replacements(call, use, parents, reads,
                                                     partial(_loop_variable_reads, tracer=tracer))
                         if reads is not None else None)
            if idiomatic is not None:
                replacements.update(idiomatic)
                for handler in handlers:  # they now also catch what the chat completion raises
                    replacements.setdefault(handler.type, lambda updated: widened(updated))
                    needed.append(OPENAI_ERROR)
                continue
            notes.append(make_finding("B2O106", path, *analysis.position(use),
                                      f"{use.attr.value} answered in Bedrock's shape by bedrock_{use.attr.value}"))
            if call is not None:
                replacements[call] = call_replacement(call, use)
            elif (partial_call := _enclosing_partial(use, parents, tracer)) is not None:
                replacements[partial_call] = partial_replacement(use)
            else:
                replacements[use] = value_replacement(use)
                needed.append(("functools", None))
            needed.append((helper_module, f"bedrock_{use.attr.value}"))
            shaped = True
        replacement, dropped = CLIENT_RULE.fix(creation, tracer, compat=None, fallback=indent if shaped else None)
        replacements[creation] = lambda _updated, replacement=replacement: replacement
        rebuilt.append(replacement)
        notes += _dropped_options(dropped, path, position)
    # Imports only the replaced client creations used (boto3, Config, os for a region...) go if now unused.
    unused = _unused_imports([name for creation in clients for name in _names_in(creation)], tracer, parents,
                             set(clients), {name.value for built in rebuilt for name in _names_in(built)})
    replacements.update(import_removals(unused, parents))
    module = add_imports(replace_nodes(analysis.module, replacements, parents), needed)
    helper_names = frozenset(name for source, name in needed if source == helper_module and name is not None)
    return PythonRewrite(module.code, module, helper_names, compat_exports, notes)


def _dropped_options(dropped: list[str], path: str, position: tuple[int, int]) -> list[Finding]:
    return [make_finding("B2O308", path, *position, f"boto3 option {option} has no OpenRouter equivalent and was dropped")
            for option in dropped]


def _moving_clients(analysis: Analysis, context: AnalysisContext) -> dict[cst.Call, list[cst.Attribute]]:
    """The clients that move, and their uses: `migratable_clients`, less those that share a model ID with
    a call that stays on Bedrock (that ID stays a Bedrock ID, so they stay with it), to a fixpoint."""
    staying: frozenset[cst.Call] = frozenset()
    while True:
        clients = migratable_clients(analysis.tracer, analysis.facts, staying)
        moving = frozenset(use for uses in clients.values() for use in uses)
        conflicted = calls_sharing_an_id_with_bedrock(analysis, context.names_imported_elsewhere, moving)
        held = {creation for creation, uses in clients.items() if conflicted.intersection(uses)}
        if not held:
            return clients
        staying |= held


def _indentation(node: cst.CSTNode, parents, module: cst.Module) -> str:
    """The indentation of the statement that holds ``node``."""
    blocks = []
    current = parents.get(node)
    while current is not None:
        if isinstance(current, cst.IndentedBlock):
            blocks.append(current.indent if current.indent is not None else module.default_indent)
        current = parents.get(current)
    return "".join(blocks)


def _unused_imports(names: list[cst.Name], tracer: ClientTracer, parents, creations: set[cst.Call],
                    kept: set[str]) -> set[cst.ImportAlias]:
    """The import aliases binding ``names`` that nothing reads once the client creations are replaced.

    A read survives outside the creations (the calls that are rewritten keep
    their arguments), or when the new creation kept it (``Config(read_timeout=T)``
    becomes ``timeout=T``: ``kept`` holds the names the new creations read).
    """
    unused: set[cst.ImportAlias] = set()
    for name in names:
        if name.value in kept:
            continue
        for alias, reads in tracer.import_bindings(name):
            if not any(_outside(read, creations, parents) for read in reads):
                unused.add(alias)
    return unused


def _outside(node: cst.CSTNode, replaced: set[cst.CSTNode], parents) -> bool:
    while node is not None:
        if node in replaced:
            return False
        node = parents.get(node)
    return True


def _response_reads_of(call: cst.Call, parents, tracer: ClientTracer) -> list[cst.CSTNode] | None:
    """Where the response of ``call`` is read: the names that read ``response = ...``, or the call itself.

    None when the response cannot be followed: returned, bound to anything but one
    plain name, or that name bound more than once.
    """
    parent = parents.get(call)
    if isinstance(parent, cst.Assign):
        if len(parent.targets) != 1 or not isinstance(parent.targets[0].target, cst.Name):
            return None
        assignments = tracer.assignments_of(parent.targets[0].target)
        if len(assignments) != 1:
            return None
        return [access.node for access in assignments[0].references]
    if isinstance(parent, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.Return, cst.Yield, cst.Lambda)):
        return None
    return [call]


def _names_in(node: cst.CSTNode) -> list[cst.Name]:
    """The root names of every expression in ``node`` (``os`` of ``os.environ.get``)."""
    names: list[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)
            return False  # the attribute's own name is not a variable

        def visit_Arg(self, arg: cst.Arg) -> bool:
            arg.value.visit(self)
            return False  # nor is a keyword

        def visit_Name(self, name: cst.Name) -> None:
            names.append(name)

    node.visit(Collect())
    return names


def _contained(creation: cst.Call, uses: set[cst.Attribute], tracer: ClientTracer, parents, facts: ModuleFacts,
               context: AnalysisContext, depth: int = 0) -> bool:
    """Every way the new client can be reached is a use this module's rewrite covers.

    A client bound to a name or ``self.x`` whose every read is ``client.method``
    (or is passed to a function of this module that only does the same) stays
    here. Returned, stored, passed elsewhere: it escapes, and gets the
    Bedrock-shaped BedrockRuntimeCompat so that code we cannot see keeps working.
    """
    parent = parents.get(creation)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Name):
            assignments = tracer.assignments_of(target)
            if len(assignments) != 1:
                return False
            return all(_read_is_covered(access.node, uses, tracer, parents, facts, depth)
                       for access in assignments[0].references)
        if isinstance(target, cst.Attribute) and target in facts.attribute_class:
            owner, attribute = facts.attribute_class[target], target.attr.value
            reads = [node for node, cls in facts.attribute_class.items()
                     if cls is owner and node.attr.value == attribute and node is not target]
            return all(_read_is_covered(read, uses, tracer, parents, facts, depth) for read in reads)
    if isinstance(parent, cst.Return) and depth < 3:
        # A factory: contained when this module is its only caller and every caller's result is.
        function = next((f for f, returned in facts.returns.items() if parent.value in returned), None)
        if function is None or (context.imported_elsewhere and function in facts.top_level_functions):
            return False
        callers = tracer.callers(function)
        return bool(callers) and all(
            _contained(caller, uses, tracer, parents, facts, context, depth + 1) for caller in callers
        )
    return False


def _read_is_covered(read: cst.CSTNode, uses: set[cst.Attribute], tracer: ClientTracer, parents, facts: ModuleFacts,
                     depth: int) -> bool:
    parent = parents.get(read)
    if isinstance(parent, cst.Attribute) and parent.value is read:
        return parent in uses
    if isinstance(parent, cst.Arg) and depth < 3:
        call = parents.get(parent)
        if isinstance(call, cst.Call) and parent in call.args:
            functions = tracer.functions_called(call)
            return bool(functions) and all(
                _param_is_covered(function, call, parent, uses, tracer, parents, facts, depth) for function in functions
            )
    return False


def _param_is_covered(function: cst.FunctionDef, call: cst.Call, arg: cst.Arg, uses, tracer: ClientTracer, parents,
                      facts: ModuleFacts, depth: int) -> bool:
    from .clients import _all_params, _argument_for_param

    for param in _all_params(function):
        if _argument_for_param(function, call, param) is arg.value:
            assignments = tracer.assignments_of(param.name)
            return len(assignments) == 1 and all(
                _read_is_covered(access.node, uses, tracer, parents, facts, depth + 1)
                for access in assignments[0].references
            )
    return False


def _enclosing_partial(use: cst.Attribute, parents, tracer: ClientTracer) -> cst.Call | None:
    """The ``functools.partial(client.converse, ...)`` call whose first argument is ``use``."""
    arg = parents.get(use)
    call = parents.get(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or not call.args or call.args[0] is not arg or arg.keyword is not None:
        return None
    names = tracer.qualified_names(call.func)
    return call if "functools.partial" in names else None


def _loop_variable_reads(loop: cst.For, tracer: ClientTracer) -> list[cst.CSTNode] | None:
    """The reads of a ``for`` loop's single variable, when it is bound nowhere else in its scope."""
    if not isinstance(loop.target, cst.Name):
        return None
    assignments = tracer.assignments_of(loop.target)
    if len(assignments) != 1:
        return None
    return [access.node for access in assignments[0].references]
