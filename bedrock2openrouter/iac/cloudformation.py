"""CloudFormation and SAM templates, YAML or JSON: Bedrock grants, tasks and endpoints, resource by resource.

Templates are composed, not loaded, so `!Sub`/`!Ref`/`!GetAtt` need no
constructors and every node keeps its position (see `policy_json`).
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node

from ..findings import Finding
from ..workspace import SourceFile
from .policy_json import (
    endpoint_findings,
    get,
    items,
    managed_policy_findings,
    policy_statements,
    span,
    statement_findings,
    task_findings,
    text_value,
)

_SAM_POLICY_HOLDERS = frozenset({"AWS::Serverless::Function", "AWS::Serverless::StateMachine"})
_STATE_MACHINES = frozenset({"AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"})


def is_template(root: Node) -> bool:
    """``AWSTemplateFormatVersion``, or a ``Resources`` mapping with an ``AWS::`` typed resource."""
    if get(root, "AWSTemplateFormatVersion") is not None:
        return True
    resources = get(root, "Resources")
    return isinstance(resources, MappingNode) and any(
        (text_value(get(resource, "Type")) or "").startswith("AWS::") for _, resource in resources.value
    )


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
