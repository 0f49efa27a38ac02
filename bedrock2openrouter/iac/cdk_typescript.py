"""CDK TypeScript/JavaScript stacks: Bedrock grants and Bedrock-only constructs, on an existing parse.

Names are resolved with `javascript.parser.Imports`, so ``aws-cdk-lib/aws-iam``,
``{ aws_iam as iam }`` from ``aws-cdk-lib``, ``cdk.aws_iam`` and CDK v1's
``@aws-cdk/aws-iam`` read the same. Statement forms:

- ``new iam.PolicyStatement({ actions: [...] })``;
- ``iam.PolicyStatement.fromJson({ Action: ... })`` and ``iam.Grant.addToPrincipal*({ actions })``;
- policy JSON objects under a ``Statement`` key (``PolicyDocument.fromJson``, ``CfnPolicy``,
  ``CfnRole`` inline policies, plain objects).

Actions may name a ``const`` of the same file (``actions: BEDROCK_ACTIONS`` or a spread of
it); other non-literal elements are ignored. ``Deny`` and ``notActions`` statements are
skipped, as in every other format. Classification, messages and the Marketplace rule come
from `iac.statements` and `iac.policy_json`, shared with the other formats. A finding spans
the whole expression (first character to just past the last), so ARNs inside it belong to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from ..findings import Finding
from ..javascript.parser import Origin, ParsedSource, first_argument, unwrap
from .policy_json import (
    ENDPOINT_MESSAGE,
    is_runtime_endpoint,
    managed_policy_message,
    resolve_marketplace,
    task_message,
)
from .statements import StatementKind, StatementVerdict, classify_statement, describe

_IAM = ("aws-cdk-lib/aws-iam", "@aws-cdk/aws-iam")
_EC2 = ("aws-cdk-lib/aws-ec2", "@aws-cdk/aws-ec2")
_SFN_TASKS = ("aws-cdk-lib/aws-stepfunctions-tasks", "@aws-cdk/aws-stepfunctions-tasks")


def _origins(modules: tuple[str, ...], *names: str) -> frozenset[Origin]:
    return frozenset(Origin(module, name) for module in modules for name in names)


# callees whose first argument is a statement: CDK props (``actions``) or IAM JSON (``Action``)
_CDK_STATEMENTS = _origins(_IAM, "PolicyStatement", "Grant.addToPrincipal", "Grant.addToPrincipalOrResource",
                           "Grant.addToPrincipalAndResource")
_JSON_STATEMENTS = _origins(_IAM, "PolicyStatement.fromJson")
_MANAGED_POLICIES = _origins(_IAM, "ManagedPolicy.fromAwsManagedPolicyName", "ManagedPolicy.fromManagedPolicyArn")
_DENY = _origins(_IAM, "Effect.DENY")
_BEDROCK_TASK = _origins(_SFN_TASKS, "BedrockInvokeModel")
_ENDPOINT_SERVICES = _origins(_EC2, "InterfaceVpcEndpointService", "InterfaceVpcEndpointAwsService")
_RUNTIME_ENDPOINT = _origins(_EC2, "InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME")

_QUERY = """
[(new_expression) (call_expression)] @call
(pair key: [(property_identifier) (string)] @_key value: [(array) (object)] @statements
  (#match? @_key "^[\\"']?Statement[\\"']?$"))
(lexical_declaration "const" (variable_declarator name: (identifier) value: (_))) @const
(member_expression property: (property_identifier) @_property (#eq? @_property "BEDROCK_RUNTIME")) @member
"""


@dataclass(frozen=True, slots=True)
class IamStatement:
    """One statement: the expression a rewrite would edit, and the action literals it grants."""

    node: Node
    actions: tuple[Node, ...]
    verdict: StatementVerdict


def analyze_cdk_typescript(parsed: ParsedSource) -> list[Finding]:
    """Findings of a TS/JS file's CDK code (IAM, Step Functions, VPC endpoints), sorted."""
    found: list[Finding] = []
    for statement in iam_statements(parsed):
        verdict = statement.verdict
        # Marketplace statements provisionally: `resolve_marketplace` keeps them only beside Bedrock grants.
        if code := verdict.rule or ("B2O603" if verdict.kind is StatementKind.MARKETPLACE else None):
            found.append(parsed.finding(statement.node, code, describe(verdict)))
    for call in parsed.captures(_QUERY).get("call", []):
        callee = parsed.imports.callee(call)
        if callee in _MANAGED_POLICIES:
            if message := managed_policy_message(_strings(parsed, _arguments(call))):
                found.append(parsed.finding(call, "B2O605", message))
        elif callee in _BEDROCK_TASK:
            found.append(parsed.finding(call, "B2O305", task_message("invokeModel")))
        elif callee in _ENDPOINT_SERVICES and any(map(is_runtime_endpoint, _strings(parsed, _arguments(call)[:1]))):
            found.append(parsed.finding(call, "B2O307", ENDPOINT_MESSAGE))
    for member in parsed.captures(_QUERY).get("member", []):
        if parsed.imports.resolve(member) in _RUNTIME_ENDPOINT:
            found.append(parsed.finding(member, "B2O307", ENDPOINT_MESSAGE))
    return resolve_marketplace(found)


def iam_statements(parsed: ParsedSource) -> list[IamStatement]:
    """Every Allow statement of the file with literal actions, in document order."""
    found = parsed.captures(_QUERY)
    consts = {
        parsed.text(declarator.child_by_field_name("name")): declarator.child_by_field_name("value")
        for declaration in found.get("const", [])
        for declarator in declaration.named_children
        if declarator.child_by_field_name("name") is not None
    }
    located: list[tuple[Node, Node | None, str]] = []  # (statement, its properties, actions key)
    for call in found.get("call", []):
        callee = parsed.imports.callee(call)
        if callee in _CDK_STATEMENTS or callee in _JSON_STATEMENTS:
            located.append((call, first_argument(call), "actions" if callee in _CDK_STATEMENTS else "Action"))
    for value in found.get("statements", []):
        for item in value.named_children if value.type == "array" else [value]:
            located.append((item, unwrap(item), "Action"))
    statements: list[IamStatement] = []
    for node, properties, key in sorted(located, key=lambda entry: entry[0].start_byte):
        if properties is None or properties.type != "object" or _is_deny(parsed, properties, key):
            continue
        actions = tuple(_action_literals(parsed, parsed.property(properties, key), consts))
        if actions:
            verdict = classify_statement([parsed.literal(action) or "" for action in actions])
            statements.append(IamStatement(node, actions, verdict))
    return statements


def _is_deny(parsed: ParsedSource, properties: Node, key: str) -> bool:
    """A Deny or NotAction statement: removing its Bedrock actions would widen access, not narrow it."""
    cdk = key == "actions"
    if parsed.property(properties, "notActions" if cdk else "NotAction") is not None:
        return True
    effect = parsed.property(properties, "effect" if cdk else "Effect")
    return parsed.imports.resolve(effect) in _DENY or (parsed.literal(effect) or "").lower() == "deny"


def _action_literals(parsed: ParsedSource, value: Node | None, consts: dict[str, Node], depth: int = 0) -> list[Node]:
    """The string literals an actions value is made of, following same-file ``const`` names and spreads."""
    value = unwrap(value)
    if value is None or depth > 8:
        return []
    if parsed.literal(value) is not None:
        return [value]
    if value.type == "identifier" and parsed.text(value) in consts:
        return _action_literals(parsed, consts[parsed.text(value)], consts, depth + 1)
    if value.type == "array":
        elements = (e.named_children[0] if e.type == "spread_element" else e for e in value.named_children)
        return [literal for e in elements for literal in _action_literals(parsed, e, consts, depth + 1)]
    return []


def _arguments(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    return arguments.named_children if arguments is not None else []


def _strings(parsed: ParsedSource, nodes: list[Node]) -> list[str]:
    """The contents of string nodes; a template keeps its ``${...}`` text (a service name ends after it)."""
    return [parsed.text(node)[1:-1] for node in nodes if node.type in ("string", "template_string")]
