"""Serverless Framework configuration: the provider's IAM role, per-function roles and embedded CloudFormation.

Removal (`removal_scopes`): an emptied ``provider.iam.role.statements`` goes with
its key, then ``role`` and ``iam`` if nothing else is left in them (Serverless
then builds its default role); an emptied legacy ``provider.iamRoleStatements``
goes with its key. A function's own ``iamRoleStatements``
(serverless-iam-roles-per-function) is never emptied: without it the function
would fall back to the provider's role, which may grant more.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node

from ..findings import Finding
from ..workspace import SourceFile
from . import cloudformation
from .grants import (
    managed_policy_findings,
    policy_statements,
    statement_findings,
    task_findings,
)
from .nodes import get, index_of, items, span
from .removal import Scope, statement_scope
from .spans import Dialect, Slot


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


def removal_scopes(source: SourceFile, root: Node, dialect: Dialect) -> list[Scope]:
    provider = get(root, "provider")
    iam = get(provider, "iam")
    role = get(iam, "role")
    chain = _chain(dialect, (role, "statements", "provider.iam.role.statements"), (iam, "role", "provider.iam.role"),
                   (provider, "iam", "provider.iam"))
    scopes = [
        statement_scope(get(role, "statements"), dialect, chain, "provider"),
        statement_scope(get(provider, "iamRoleStatements"), dialect,
                        _chain(dialect, (provider, "iamRoleStatements", "provider.iamRoleStatements")), "provider"),
    ]
    functions = get(root, "functions")
    for name, function in functions.value if isinstance(functions, MappingNode) else ():
        scopes.append(statement_scope(get(function, "iamRoleStatements"), dialect, (), f"function {name.value}"))
    for resources in items(get(root, "resources")):
        scopes += cloudformation.resource_scopes(source, get(resources, "Resources"), dialect)
    return [scope for scope in scopes if scope is not None]


def _chain(dialect: Dialect, *levels: tuple[Node | None, str, str]) -> tuple[Slot, ...]:
    """Slots for ``(mapping, key, label)`` levels, innermost first, as far as each key is there."""
    chain: list[Slot] = []
    for mapping, key, label in levels:
        position = index_of(mapping, key)
        if position is None:
            break
        chain.append(Slot(mapping, position, dialect, label))
    return tuple(chain)
