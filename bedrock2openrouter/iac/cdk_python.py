"""CDK Python stacks: Bedrock grants and Bedrock-only constructs spelled as ``aws_cdk`` calls.

Names are resolved with libcst's `QualifiedNameProvider`, so every import style
(``from aws_cdk import aws_iam as iam``, ``from aws_cdk.aws_iam import
PolicyStatement``, ``import aws_cdk as cdk`` + ``cdk.aws_iam``) reads the same.
Statement arguments are turned into the YAML node shape of `policy_json`, so
classification is the one every other format uses. Positions come from
`PositionProvider`: the call's first character, and just past its last (1-based).
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..findings import Finding, make_finding
from ..workspace import SourceFile
from .policy_json import (
    ENDPOINT_MESSAGE,
    STR_TAG,
    grant,
    is_runtime_endpoint,
    managed_policy_message,
    mark_at,
    resolve_marketplace,
    task_message,
)

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

    def visit_Call(self, node: cst.Call) -> None:
        names = self._names(node.func)
        if names & _STATEMENTS:
            keywords = [(arg.keyword.value, arg.value) for arg in node.args if arg.keyword is not None]
            self._statement(node, self._mapping(keywords))
        elif _STATEMENT_FROM_JSON in names and node.args:
            self._statement(node, self._node(node.args[0].value))
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

    def _statement(self, call: cst.Call, statement: Node) -> None:
        if isinstance(statement, MappingNode) and (result := grant(statement)):
            self._add(result[0], call, result[1])

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

    def _add(self, code: str, node: cst.CSTNode, message: str) -> None:
        where = self.get_metadata(PositionProvider, node)
        self.found.append(
            make_finding(
                code,
                self.source.relpath,
                where.start.line,
                where.start.column + 1,
                message,
                end_line=where.end.line,
                end_column=where.end.column + 1,
            )
        )


def _is_text(expression: cst.BaseExpression) -> bool:
    return isinstance(expression, cst.SimpleString) and isinstance(expression.evaluated_value, str)
