"""Serverless Framework configuration: the provider's IAM role, per-function roles and embedded CloudFormation."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node

from ..findings import Finding
from ..workspace import SourceFile
from . import cloudformation
from .policy_json import get, items, managed_policy_findings, policy_statements, span, statement_findings, task_findings

SERVERLESS_NAMES = frozenset({"serverless.yml", "serverless.yaml", "serverless.json"})


def is_serverless(name: str, root: Node) -> bool:
    """By file name, or a YAML/JSON document with top-level ``service`` and ``provider``."""
    return name.lower() in SERVERLESS_NAMES or (
        get(root, "service") is not None and isinstance(get(root, "provider"), MappingNode)
    )


def analyze(source: SourceFile, root: Node) -> list[Finding]:
    provider = get(root, "provider")
    role = get(get(provider, "iam"), "role")  # a string when it names an existing role
    statements = [*policy_statements(get(role, "statements")), *policy_statements(get(provider, "iamRoleStatements"))]
    functions = get(root, "functions")
    for _, function in functions.value if isinstance(functions, MappingNode) else ():
        statements += policy_statements(get(function, "iamRoleStatements"))  # serverless-iam-roles-per-function
    managed = items(get(role, "managedPolicies")) + items(get(provider, "iamManagedPolicies"))
    found = statement_findings(source, statements) + managed_policy_findings(source, managed)
    for resources in items(get(root, "resources")):
        found += cloudformation.resources_findings(source, get(resources, "Resources"))
    if (state_machines := get(root, "stepFunctions")) is not None:  # serverless-step-functions plugin
        found += task_findings(source, *span(source, state_machines))
    return found
