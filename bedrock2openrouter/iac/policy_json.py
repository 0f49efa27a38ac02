"""Raw IAM policy documents (``{"Version": ..., "Statement": [...]}`` in a JSON or YAML file of their own)."""

from __future__ import annotations

from ..findings import Finding
from ..workspace import SourceFile
from .grants import policy_statements, statement_findings
from .nodes import Node, get
from .removal import Scope, statement_scope
from .spans import Dialect


def analyze(source: SourceFile, root: Node) -> list[Finding]:
    """Findings of a raw IAM policy document (``{"Version": ..., "Statement": [...]}``)."""
    return statement_findings(source, policy_statements(root))


def removal_scopes(root: Node, dialect: Dialect) -> list[Scope]:
    """A raw policy file's statements. It stays a policy: when every statement would go, none does.

    (The findings remain, for a person to delete the file and whatever reads
    it, which the file itself cannot show.)
    """
    scope = statement_scope(get(root, "Statement", fold=True), dialect)
    return [scope] if scope is not None else []
