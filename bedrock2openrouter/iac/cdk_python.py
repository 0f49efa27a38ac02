"""CDK Python stacks: Bedrock grants and Bedrock-only constructs spelled as ``aws_cdk`` calls.

Names are resolved with libcst's `QualifiedNameProvider`, so every import style
(``from aws_cdk import aws_iam as iam``, ``from aws_cdk.aws_iam import
PolicyStatement``, ``import aws_cdk as cdk`` + ``cdk.aws_iam``) reads the same.
Statement arguments are turned into the YAML node shape of `policy_json`, so
classification is the one every other format uses. Positions come from
`PositionProvider`: the call's first character, and just past its last (1-based).

`removal_edits` locates the same statements' removals with libcst and hands them, as
character offsets, to the layout rules of `cdk_typescript.plan_removals`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..edits import SpanEdit
from ..findings import Finding, make_finding
from ..python.detect import parse_python
from ..workspace import SourceFile
from .cdk_typescript import Removal, construct_named, plan_removals, statement_removal
from .grants import (
    ENDPOINT_MESSAGE,
    grant,
    is_runtime_endpoint,
    managed_policy_message,
    resolve_marketplace,
    statement_actions,
    task_message,
)
from .nodes import STR_TAG, mark_at
from .removal import trusts_bedrock_caller
from .rules import actions_removed, grants_invocation, statement_removed
from .rules import scope as removal_scope
from .statements import StatementVerdict, classify_statement, is_invoke_action

_IAM = "aws_cdk.aws_iam."
# calls whose keyword arguments are a statement's props (``actions=``, ``effect=``, ...)
_STATEMENTS = frozenset(
    _IAM + name
    for name in (
        "PolicyStatement",
        "Grant.add_to_principal",
        "Grant.add_to_principal_or_resource",
        "Grant.add_to_principal_and_resource",
    )
)
_STATEMENT_FROM_JSON = _IAM + "PolicyStatement.from_json"
_MANAGED_POLICY = frozenset(
    _IAM + name for name in ("ManagedPolicy.from_aws_managed_policy_name", "ManagedPolicy.from_managed_policy_arn")
)
_DENY = _IAM + "Effect.DENY"
_BEDROCK_TASK = "aws_cdk.aws_stepfunctions_tasks.BedrockInvokeModel"
_ENDPOINT_SERVICE = "aws_cdk.aws_ec2.InterfaceVpcEndpointAwsService"
_OPAQUE = ScalarNode("!python", "", mark_at(0), mark_at(0))
_POLICY_DOCUMENT = _IAM + "PolicyDocument"
_ROLE = _IAM + "Role"
_STATE_MACHINE = "aws_cdk.aws_stepfunctions.StateMachine"
# methods whose only argument is a statement added to the receiver's (role's) identity policy
_ADD_TO_POLICY = frozenset({"add_to_policy", "add_to_role_policy", "add_to_principal_policy"})


@dataclass(frozen=True, slots=True)
class _Statement:
    """A grant the visitor reported: its call, finding, verdict and ``actions`` value."""

    call: cst.Call
    finding: Finding
    verdict: StatementVerdict
    actions: cst.BaseExpression | None


_WRAPPERS: OrderedDict[int, tuple[cst.Module, MetadataWrapper]] = OrderedDict()


def wrapper_for(module: cst.Module) -> MetadataWrapper:
    """One metadata wrapper per parsed module: the analysis and the removal of a stack resolve its metadata once."""
    found = _WRAPPERS.get(id(module))
    if found is None or found[0] is not module:
        found = _WRAPPERS[id(module)] = (module, MetadataWrapper(module, unsafe_skip_copy=True))
        if len(_WRAPPERS) > 4:
            _WRAPPERS.popitem(last=False)
    return found[1]


def analyze_cdk_python(source: SourceFile, wrapper: MetadataWrapper) -> list[Finding]:
    """Findings of a Python module that imports ``aws_cdk``, from the caller's already-built wrapper."""
    visitor = _CdkVisitor(source)
    wrapper.visit(visitor)
    return resolve_marketplace(visitor.found)


class _CdkVisitor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(self, source: SourceFile) -> None:
        super().__init__()
        self.source = source
        self.found: list[Finding] = []
        self.statements: list[_Statement] = []

    def visit_Call(self, node: cst.Call) -> None:
        names = self._names(node.func)
        if names & _STATEMENTS:
            keywords = [(arg.keyword.value, arg.value) for arg in node.args if arg.keyword is not None]
            actions = next((value for key, value in keywords if key == "actions"), None)
            self._statement(node, self._mapping(keywords), actions)
        elif _STATEMENT_FROM_JSON in names and node.args:
            self._statement(node, self._node(node.args[0].value), _json_actions(node.args[0].value))
        elif names & _MANAGED_POLICY:
            if message := managed_policy_message(self._strings(node.args)):
                self._add("B2O605", node, message)
        elif _BEDROCK_TASK in names:
            self._add("B2O305", node, task_message("invokeModel"))
        elif _ENDPOINT_SERVICE in names and any(map(is_runtime_endpoint, self._strings(node.args[:1]))):
            self._add("B2O307", node, ENDPOINT_MESSAGE)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if _ENDPOINT_SERVICE + ".BEDROCK_RUNTIME" in self._names(node):
            self._add("B2O307", node, ENDPOINT_MESSAGE)

    def _statement(self, call: cst.Call, statement: Node, actions: cst.BaseExpression | None) -> None:
        if isinstance(statement, MappingNode) and (result := grant(statement)):
            finding = self._add(result[0], call, result[1])
            verdict = classify_statement(statement_actions(statement) or [])
            self.statements.append(_Statement(call, finding, verdict, actions))

    def _names(self, node: cst.CSTNode) -> set[str]:
        return {name.name for name in self.get_metadata(QualifiedNameProvider, node, set())}

    def _strings(self, args: list[cst.Arg] | tuple[cst.Arg, ...]) -> list[str]:
        return [arg.value.evaluated_value for arg in args if _is_text(arg.value)]

    def _mapping(self, pairs: list[tuple[str, cst.BaseExpression]]) -> MappingNode:
        nodes = [(ScalarNode(STR_TAG, key, mark_at(0), mark_at(0)), self._node(value)) for key, value in pairs]
        return MappingNode("tag:yaml.org,2002:map", nodes, mark_at(0), mark_at(0), True)

    def _node(self, expression: cst.BaseExpression) -> Node:
        """A literal as a node; ``iam.Effect.DENY`` as the string ``Deny``; anything else opaque."""
        if _is_text(expression):
            return ScalarNode(STR_TAG, expression.evaluated_value, mark_at(0), mark_at(0))
        if isinstance(expression, (cst.List, cst.Tuple)):
            elements = [self._node(item.value) for item in expression.elements if isinstance(item, cst.Element)]
            return SequenceNode("tag:yaml.org,2002:seq", elements, mark_at(0), mark_at(0), True)
        if isinstance(expression, cst.Dict):
            pairs = [
                (expression_key.evaluated_value, element.value)
                for element in expression.elements
                if isinstance(element, cst.DictElement) and _is_text(expression_key := element.key)
            ]
            return self._mapping(pairs)
        if _DENY in self._names(expression):
            return ScalarNode(STR_TAG, "Deny", mark_at(0), mark_at(0))
        return _OPAQUE

    def _add(self, code: str, node: cst.CSTNode, message: str) -> Finding:
        where = self.get_metadata(PositionProvider, node)
        finding = make_finding(
            code,
            self.source.relpath,
            where.start.line,
            where.start.column + 1,
            message,
            end_line=where.end.line,
            end_column=where.end.column + 1,
        )
        self.found.append(finding)
        return finding


def _is_text(expression: cst.BaseExpression) -> bool:
    return isinstance(expression, cst.SimpleString) and isinstance(expression.evaluated_value, str)


def _text(expression: cst.BaseExpression) -> str:
    """The value of a string literal (`_is_text` said it is one)."""
    value = expression.evaluated_value if isinstance(expression, cst.SimpleString) else None
    return value if isinstance(value, str) else ""


def _json_actions(document: cst.BaseExpression) -> cst.BaseExpression | None:
    """The ``Action`` value of a statement dict (keys folded as `policy_json.statement_actions` folds them)."""
    if not isinstance(document, cst.Dict):
        return None
    for element in document.elements:
        key = element.key if isinstance(element, cst.DictElement) else None
        if key is not None and _text(key).lower().replace("_", "") in ("action", "actions"):
            return element.value
    return None


# -- removal edits ---------------------------------------------------------------------------


def removal_edits(source: SourceFile) -> list[SpanEdit]:
    """Deletions of a CDK Python module's Bedrock invocation grants and the Marketplace statements serving them.

    The rules are `cdk_typescript`'s (`plan_removals`): a statement granting only invocation
    goes whole with its ``x.add_to_role_policy(...)`` line(s) or list item and the ``#`` lines
    above that describe it; a mixed one loses its invocation literals. Raises `ParseFailure`
    when the module does not parse.
    """
    return _PythonRemoval(source, wrapper_for(parse_python(source.text))).edits()


def reparse(text: str) -> None:
    """Parse edited text again; `ParseFailure` on a syntax error."""
    parse_python(text)


class _PythonRemoval:
    """Locates the removals of one module; also the `Syntax` of its tree for `plan_removals`."""

    comment = "#"
    openers = "{[(:"

    def __init__(self, source: SourceFile, wrapper: MetadataWrapper) -> None:
        self.source = source
        self.wrapper = wrapper
        self.visitor = _CdkVisitor(source)
        wrapper.visit(self.visitor)
        self.positions = wrapper.resolve(PositionProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        self.names = wrapper.resolve(QualifiedNameProvider)
        self.constructs = self._constructs()
        callees = {name for call in m.findall(wrapper.module, m.Call()) for name in self._names(call.func)}
        # Step Functions or Bedrock assume a role here, or will: unresolved grantees may be theirs.
        self.callers_here = trusts_bedrock_caller(source.text) or bool(callees & {_STATE_MACHINE, _BEDROCK_TASK})

    def edits(self) -> list[SpanEdit]:
        statements = self.visitor.statements
        granted = any(grants_invocation(statement.verdict) for statement in statements)
        requests: list[tuple[object | None, Removal]] = []
        for statement in statements:
            scope = removal_scope(statement.verdict, granted=granted, complete=_complete(statement.actions))
            found = []
            if scope == "statement":
                found = self._statement(statement)
            elif scope == "actions":
                found = self._actions(statement)
            requests += [request for request in found if not self._bedrock_caller(request[1].principal)]
        return plan_removals(self.source.text, self, requests)

    # -- whose grant

    def _constructs(self) -> dict[str, cst.Call | None]:
        """``name`` / ``self.name`` → the call assigned to it (None when assigned more than once)."""
        bound: dict[str, cst.Call | None] = {}
        for assign in m.findall(self.wrapper.module, m.Assign()):
            if not isinstance(assign, cst.Assign):
                continue
            for target in assign.targets:
                key = "".join(self.wrapper.module.code_for_node(target.target).split())
                value = assign.value
                bound[key] = value if key not in bound and isinstance(value, cst.Call) else None
        return bound

    def _bedrock_caller(self, principal: str | None, depth: int = 0) -> bool:
        """Whether a grant may belong to a role Step Functions or Bedrock assumes: those keep calling Bedrock.

        The rules are `cdk_typescript`'s: a state machine, or a Role whose ``assumed_by`` names
        ``states``/``bedrock``, is one; a construct given a ``role`` is what that role is; a
        grantee this module does not resolve is one when the module shows any such caller.
        """
        construct = self._construct(principal) if principal is not None and depth < 4 else None
        if construct is None:
            return self.callers_here
        names = self._names(construct.func)
        keywords = {arg.keyword.value: arg.value for arg in construct.args if arg.keyword is not None}
        if _STATE_MACHINE in names:
            return True
        if _ROLE in names:
            trust = keywords.get("assumed_by")
            return trust is None or trusts_bedrock_caller(self.wrapper.module.code_for_node(trust))
        role = keywords.get("role")
        code = self.wrapper.module.code_for_node(role) if role is not None else None
        return code is not None and self._bedrock_caller("".join(code.split()), depth + 1)

    def _construct(self, principal: str) -> cst.Call | None:
        """The construct a receiver names: ``lambda_role``, ``self.role``, ``fn.role`` → ``fn``."""
        return construct_named(principal.replace(" ", ""), self.constructs, ("role", "grant_principal"))

    # -- what goes

    def _statement(self, statement: _Statement) -> list[tuple[object | None, Removal]]:
        """The statement where it is used: an ``add_to_policy`` line, a list item, or a single-use name and its use."""
        site: cst.CSTNode = statement.call
        finding, description = statement.finding, statement_removed(statement.verdict)
        companions: list[Removal] = []
        assign = self.parents.get(site)
        if isinstance(assign, cst.Assign):
            used = self._single_use(assign)
            if used is None:
                return []
            line, site = used
            held = f"the assignment to {_target(assign)}"
            companions.append(Removal(line, *self.span(line), [finding], held))
        parent = self.parents.get(site)
        container = self.parents.get(parent) if isinstance(parent, cst.Element) else None
        list_item = (container, parent) if isinstance(container, cst.List) else None
        return statement_removal(self, site, list_item, finding, description, companions)

    def _actions(self, statement: _Statement) -> list[tuple[object | None, Removal]]:
        """The invocation literals of the statement's own ``actions`` list, if something other than a star stays.

        A tuple keeps two members at least: ``("a",)`` would otherwise lose its comma and become a string.
        """
        value = statement.actions
        if not isinstance(value, (cst.List, cst.Tuple)):
            return []
        doomed = [
            element
            for element in value.elements
            if isinstance(element, cst.Element) and _is_text(element.value) and is_invoke_action(_text(element.value))
        ]
        kept = [element for element in value.elements if all(element is not gone for gone in doomed)]
        if not doomed or all(isinstance(element, cst.StarredElement) for element in kept):
            return []
        if isinstance(value, cst.Tuple) and len(kept) < 2:
            return []
        principal = self._principal(statement.call)
        return [
            (value, Removal(element, *self.span(element), [statement.finding],
                            actions_removed([_text(element.value)], statement.verdict.kept_actions), principal))
            for element in doomed
        ]

    def _single_use(self, assign: cst.Assign) -> tuple[cst.SimpleStatementLine, cst.Name] | None:
        """``name = <statement>`` alone on its line, and the one other place ``name`` appears in the module."""
        line = self.parents.get(assign)
        if (
            len(assign.targets) != 1
            or not isinstance(target := assign.targets[0].target, cst.Name)
            or not isinstance(line, cst.SimpleStatementLine)
            or len(line.body) != 1
            or not self._removable_line(line)
        ):
            return None
        uses = [name for name in m.findall(self.wrapper.module, m.Name(target.value)) if name is not target]
        if len(uses) != 1 or not isinstance(uses[0], cst.Name):
            return None
        return line, uses[0]

    def _unit(self, site: cst.CSTNode) -> cst.CSTNode | None:
        """The line ``x.add_to_role_policy(site)`` (or a bare ``iam.Grant.add_to_principal(...)``) in a block."""
        target = site
        argument = self.parents.get(site)
        if isinstance(argument, cst.Arg):
            call = self.parents.get(argument)
            if (
                not isinstance(call, cst.Call)
                or self._receiver(call) is None
                or len(call.args) != 1
                or argument.keyword is not None
                or argument.star
            ):
                return None
            target = call
        elif not isinstance(site, cst.Call):
            return None
        expression = self.parents.get(target)
        line = self.parents.get(expression) if isinstance(expression, cst.Expr) else None
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or not self._removable_line(line):
            return None
        return expression

    def _removable_line(self, line: cst.SimpleStatementLine) -> bool:
        """A statement line of a module or of a block that keeps another statement (an empty block does not parse)."""
        block = self.parents.get(line)
        return isinstance(block, cst.Module) or (isinstance(block, cst.IndentedBlock) and len(block.body) > 1)

    def _receiver(self, call: cst.Call) -> cst.BaseExpression | None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _ADD_TO_POLICY:
            return func.value
        return None

    def _principal(self, site: cst.CSTNode) -> str | None:
        """Whose grant it was: the ``add_to_*policy`` receiver, the ``grantee``, or the name holding the Role."""
        node: cst.CSTNode | None = None
        argument = self.parents.get(site)
        if isinstance(argument, cst.Arg) and isinstance(call := self.parents.get(argument), cst.Call):
            node = self._receiver(call)
        elif isinstance(site, cst.Call) and not isinstance(argument, cst.Element):
            node = next((arg.value for arg in site.args if arg.keyword and arg.keyword.value == "grantee"), None)
        else:
            ancestor = argument
            while ancestor is not None and not isinstance(ancestor, (cst.SimpleStatementLine, cst.Module)):
                if isinstance(ancestor, cst.Call) and _ROLE in self._names(ancestor.func):
                    holder = self.parents.get(ancestor)
                    if isinstance(holder, cst.Assign) and len(holder.targets) == 1:
                        node = holder.targets[0].target
                    break
                ancestor = self.parents.get(ancestor)
        return " ".join(self.wrapper.module.code_for_node(node).split()) if node is not None else None

    def _names(self, node: cst.CSTNode) -> set[str]:
        found = self.names.get(node, set())
        return {name.name for name in (found() if callable(found) else found)}  # resolved lazily, per node

    # -- Syntax

    def members(self, container: object) -> list[object]:
        if isinstance(container, cst.Call):
            return list(container.args)
        assert isinstance(container, (cst.List, cst.Tuple, cst.Dict))
        return list(container.elements)

    def span(self, node: object) -> tuple[int, int]:
        assert isinstance(node, cst.CSTNode)
        where, lines = self.positions[node], self.source.lines
        start, end = where.start, where.end
        return lines.offset(start.line, start.column + 1), lines.offset(end.line, end.column + 1)

    def key(self, node: object) -> object:
        return id(node)

    def depth(self, node: object) -> int:
        count, parent = 0, self.parents.get(node)  # type: ignore[call-overload]
        while parent is not None:
            count, parent = count + 1, self.parents.get(parent)
        return count

    def emptied(self, container: object) -> tuple[object, object, str] | None:
        """``statements=[...]`` → its PolicyDocument's ``inline_policies`` entry → the ``inline_policies`` arg."""
        parent = self.parents.get(container)  # type: ignore[call-overload]
        if isinstance(container, cst.List):
            document = self.parents.get(parent) if isinstance(parent, cst.Arg) else None
            if (
                isinstance(parent, cst.Arg)
                and parent.keyword is not None
                and parent.keyword.value == "statements"
                and isinstance(document, cst.Call)
                and _POLICY_DOCUMENT in self._names(document.func)
                and list(document.args) == [parent]
            ):
                return document, parent, "statements list"
            return None
        if isinstance(container, cst.Call) and _POLICY_DOCUMENT in self._names(container.func):
            entry = parent
            if isinstance(entry, cst.DictElement) and self._inline_policies(self.parents.get(entry)):
                key = _text(entry.key) or self.wrapper.module.code_for_node(entry.key)
                return self.parents.get(entry), entry, f"inline policy {key}"
            return None
        if isinstance(container, cst.Dict) and self._inline_policies(container):
            return self.parents.get(parent), parent, "inline_policies map"
        return None

    def _inline_policies(self, node: cst.CSTNode | None) -> bool:
        argument = self.parents.get(node) if isinstance(node, cst.Dict) else None
        return (
            isinstance(argument, cst.Arg)
            and argument.keyword is not None
            and argument.keyword.value == "inline_policies"
            and isinstance(self.parents.get(argument), cst.Call)
        )


def _complete(actions: cst.BaseExpression | None) -> bool:
    """Whether an actions value is string literals throughout: only then does the statement grant nothing unseen."""
    if isinstance(actions, (cst.List, cst.Tuple)):
        return all(isinstance(element, cst.Element) and _is_text(element.value) for element in actions.elements)
    return actions is not None and _is_text(actions)


def _target(assign: cst.Assign) -> str:
    target = assign.targets[0].target
    return target.value if isinstance(target, cst.Name) else "the name"
