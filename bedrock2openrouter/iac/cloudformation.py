"""CloudFormation and SAM templates, YAML or JSON: Bedrock grants, tasks and endpoints, resource by resource.

Templates are composed, not loaded, so `!Sub`/`!Ref`/`!GetAtt` need no
constructors and every node keeps its position (see `nodes`).

Removal (`removal_scopes`): a statement list that empties takes its policy with
it: a SAM ``Policies`` item, an IAM Role/User/Group inline policy, and then the
``Policies`` key once no policy is left; a standalone ``AWS::IAM::Policy`` (or
managed/role policy) resource goes whole, but only when nothing else in the
template names it (``!Ref``, ``DependsOn``, an output), else its last statements
stay. State machines and the roles Step Functions or Bedrock assume keep theirs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..findings import Finding
from ..workspace import SourceFile
from .grants import (
    endpoint_findings,
    managed_policy_findings,
    policy_statements,
    statement_findings,
    task_findings,
)
from .nodes import get, index_of, items, scalar_values, span, text_value
from .removal import Scope, statement_scope, trusts_bedrock_caller
from .spans import Dialect, Slot, mentioned_outside, node_end

_SAM_POLICY_HOLDERS = frozenset({"AWS::Serverless::Function", "AWS::Serverless::StateMachine"})
_STATE_MACHINES = frozenset({"AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"})
# Resources that exist only to hold one policy document: emptied, they go whole.
_POLICY_RESOURCES = frozenset(
    {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy"}
)
_ATTACHMENT_KEYS = ("Roles", "Users", "Groups", "RoleName", "UserName", "GroupName")


def analyze(source: SourceFile, root: Node) -> list[Finding]:
    return resources_findings(source, get(root, "Resources"))


def resources_findings(source: SourceFile, resources: Node | None) -> list[Finding]:
    """Findings of a ``Resources`` mapping; Serverless ``resources.Resources`` comes here too."""
    if not isinstance(resources, MappingNode):
        return []
    found: list[Finding] = []
    for _, resource in resources.value:
        found += _resource_findings(source, text_value(get(resource, "Type")) or "", get(resource, "Properties"))
    return found


def _resource_findings(source: SourceFile, kind: str, properties: Node | None) -> list[Finding]:
    statements: list[Node] = []
    managed = items(get(properties, "ManagedPolicyArns"))
    if kind.startswith("AWS::IAM::"):  # Role/User/Group inline Policies, Policy/ManagedPolicy/RolePolicy documents
        statements += policy_statements(get(properties, "PolicyDocument"))
        for policy in items(get(properties, "Policies")):
            statements += policy_statements(get(policy, "PolicyDocument"))
    if kind in _SAM_POLICY_HOLDERS:  # managed policy names/ARNs, policy documents, SAM policy templates
        for policy in items(get(properties, "Policies")):
            if get(policy, "Statement", fold=True) is None:
                managed.append(policy)  # a name, an ARN (`!Sub`, `Fn::Join`) or a policy template
            else:
                statements += policy_statements(policy)
    found = statement_findings(source, statements) + managed_policy_findings(source, managed)
    if kind == "AWS::EC2::VPCEndpoint":
        found += endpoint_findings(source, get(properties, "ServiceName"))
    if kind in _STATE_MACHINES:
        for key in ("Definition", "DefinitionString"):
            if (definition := get(properties, key)) is not None:
                found += task_findings(source, *span(source, definition))
    return found


# -- removal -----------------------------------------------------------------------------


def removal_scopes(source: SourceFile, root: Node, dialect: Dialect) -> list[Scope]:
    return resource_scopes(source, get(root, "Resources"), dialect)


def resource_scopes(source: SourceFile, resources: Node | None, dialect: Dialect) -> list[Scope]:
    """Every policy document of a ``Resources`` mapping, with what goes when it empties (Serverless too).

    Grants of a state machine, and of a role that Step Functions or Bedrock
    (a Knowledge Base, an Agent) assumes, are left alone: those services keep
    calling Bedrock after the code has moved to OpenRouter.
    """
    if not isinstance(resources, MappingNode):
        return []
    callers = _bedrock_caller_roles(source.text, resources)
    scopes: list[Scope | None] = []
    for index, (key, resource) in enumerate(resources.value):
        logical = key.value
        kind = text_value(get(resource, "Type")) or ""
        properties = get(resource, "Properties")
        if kind in _POLICY_RESOURCES:
            attached = _attached_to(properties)
            if callers and (attached is None or callers.keys() & attached or any(
                _names(source.text, logical, region) for region in callers.values()
            )):
                continue  # it may feed a service role
            whole: tuple[Slot, ...] = ()
            if not _named_elsewhere(source.text, logical, key, resource):
                whole = (Slot(resources, index, dialect, f"resource {logical}"),)
            statements = get(get(properties, "PolicyDocument"), "Statement", fold=True)
            scopes.append(statement_scope(statements, dialect, whole, ", ".join(attached or [logical])))
        elif kind.startswith("AWS::IAM::") and logical not in callers:  # a role, user or group: its inline policies
            scopes += _policies_scopes(properties, dialect, logical, _inline_policy_statements)
        elif kind == "AWS::Serverless::Function":
            scopes += _policies_scopes(properties, dialect, logical, lambda policy: get(policy, "Statement", fold=True))
    return [scope for scope in scopes if scope is not None]


def _bedrock_caller_roles(text: str, resources: MappingNode) -> dict[str, tuple[int, int]]:
    """The IAM roles whose trust policy lets Step Functions or Bedrock assume them, with their spans."""
    roles: dict[str, tuple[int, int]] = {}
    for key, resource in resources.value:
        if text_value(get(resource, "Type")) == "AWS::IAM::Role":
            trust = get(get(resource, "Properties"), "AssumeRolePolicyDocument")
            if any(map(trusts_bedrock_caller, scalar_values(trust))):
                roles[key.value] = (key.start_mark.index, node_end(text, resource))
    return roles


def _inline_policy_statements(policy: Node) -> Node | None:
    return get(get(policy, "PolicyDocument"), "Statement", fold=True)


def _policies_scopes(
    properties: Node | None, dialect: Dialect, logical: str, statements_of: Callable[[Node], Node | None]
) -> list[Scope | None]:
    """The documents of a ``Policies`` list (or SAM's single document): an emptied one leaves the list."""
    position = index_of(properties, "Policies")
    if position is None:
        return []
    policies = properties.value[position][1]
    key = Slot(properties, position, dialect, f"the Policies of {logical}")
    if isinstance(policies, MappingNode):  # SAM: one policy document instead of a list
        return [statement_scope(statements_of(policies), dialect, (key,), logical)]
    if not isinstance(policies, SequenceNode):
        return []
    scopes: list[Scope | None] = []
    for index, policy in enumerate(policies.value):
        statements = statements_of(policy)
        if statements is not None:
            name = text_value(get(policy, "PolicyName"))
            label = f"inline policy {name} of {logical}" if name else f"a policy of {logical}"
            scopes.append(statement_scope(statements, dialect, (Slot(policies, index, dialect, label), key), logical))
    return scopes


def _named_elsewhere(text: str, logical: str, key: Node, resource: Node) -> bool:
    """True when the template mentions the logical ID outside the resource (Ref, GetAtt, Sub, DependsOn, outputs)."""
    return mentioned_outside(text, _logical_id(logical), key.start_mark.index, node_end(text, resource))


def _names(text: str, logical: str, region: tuple[int, int]) -> bool:
    """True when ``text[start:end]`` mentions the logical ID."""
    return _logical_id(logical).search(text, *region) is not None


def _logical_id(logical: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(logical)}(?![A-Za-z0-9])")


def _attached_to(properties: Node | None) -> list[str] | None:
    """The logical IDs of the roles, users and groups a policy resource attaches to; None when one is not a ``Ref``."""
    names: list[str] = []
    for key in _ATTACHMENT_KEYS:
        for item in items(get(properties, key)):
            if isinstance(item, ScalarNode) and item.tag == "!Ref":
                names.append(item.value)
            elif (reference := text_value(get(item, "Ref"))) is not None:
                names.append(reference)
            else:
                return None
    return names
