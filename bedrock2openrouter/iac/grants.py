"""Bedrock grants in IAM statements, and the other infrastructure findings every format shares.

A finding's span is ``[start, end)``: ``line``/``column`` is the first character
of the statement node, ``end_line``/``end_column`` the position just past its
last character, both 1-based (the SARIF convention). The span covers the
statement itself: a YAML ``- `` marker, a separating comma and comments around
it are outside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..findings import Finding, make_finding
from ..workspace import SourceFile
from .nodes import (
    MappingNode,
    Node,
    ScalarNode,
    get,
    items,
    scalar_values,
    span,
    text_value,
)
from .rules import INVOCATION_RULES, MARKETPLACE_RULE, finding_for
from .statements import classify_statement

# Findings that show the file grants (or makes AWS grant) Bedrock access: only then
# is a Marketplace statement there for Bedrock.
_BEDROCK_GRANT_RULES = INVOCATION_RULES | {"B2O604", "B2O605", "B2O305"}
_MANAGED_POLICY_RE = re.compile(r"\bAmazonBedrock\w*")
_RUNTIME_ENDPOINT_RE = re.compile(r"(?:^|\.)bedrock-runtime(?:-fips)?$", re.IGNORECASE)
# A Step Functions optimised Bedrock integration, also inside !Sub / ${partition} ARNs.
_SFN_TASK_RE = re.compile(r"arn:[^\"'\s]*?:states:::bedrock:[A-Za-z]\w*(?:\.\w+)*", re.IGNORECASE)


def finding(source: SourceFile, code: str, start: int, end: int, message: str | None = None) -> Finding:
    line, column = source.position(start)
    end_line, end_column = source.position(end)
    return make_finding(code, source.relpath, line, column, message, end_line=end_line, end_column=end_column)


def node_finding(source: SourceFile, code: str, message: str | None, node: Node) -> Finding:
    return finding(source, code, *span(source, node), message)


def policy_statements(document: Node | None) -> Iterator[Node]:
    """The statement nodes of a policy document (or of a bare ``Statement`` value).

    CloudFormation conditions (``!If [cond, stmt, !Ref AWS::NoValue]`` or
    ``{"Fn::If": [...]}``) are looked through.
    """
    statements = get(document, "Statement", fold=True) if isinstance(document, MappingNode) else document
    for item in items(statements):
        condition = item if item.tag == "!If" else get(item, "Fn::If")
        for statement in items(condition)[1:] if condition is not None else [item]:
            if isinstance(statement, MappingNode):
                yield statement


def statement_actions(statement: Node) -> list[str] | None:
    """The literal actions a statement grants, or None when it is no grant to classify.

    Keys match case-insensitively and with or without ``_``/plural, so IAM JSON
    (``Action``), Terraform policy documents (``actions``) and lower-case
    hand-written YAML all read the same. ``NotAction`` and ``Deny`` statements are
    skipped: removing them would widen, not narrow, access.
    """
    keys = statement_keys(statement)
    if "notaction" in keys or "notactions" in keys:
        return None
    if (text_value(keys.get("effect")) or "").lower() == "deny":
        return None
    actions = keys.get("action", keys.get("actions"))
    if actions is None:
        return None
    return [value for value in map(text_value, items(actions)) if value is not None]


def statement_keys(statement: Node) -> dict[str, Node]:
    """A statement's values by normalised key: ``Action``, ``actions`` and ``not_actions`` all read alike."""
    return {key.value.lower().replace("_", ""): value for key, value in statement.value if isinstance(key, ScalarNode)}


def grant(statement: Node) -> tuple[str, str] | None:
    """Rule code and message for one statement, or None when it grants nothing Bedrock-related.

    A Marketplace-only statement gets B2O603 provisionally; `resolve_marketplace`
    drops it again when the file grants no Bedrock access.
    """
    actions = statement_actions(statement)
    if not actions:
        return None
    return finding_for(classify_statement(actions))


def statement_findings(source: SourceFile, statements: Iterable[Node]) -> list[Finding]:
    """One finding per statement node that grants Bedrock (or Marketplace) actions."""
    return [node_finding(source, *result, statement) for statement in statements if (result := grant(statement))]


def managed_policy_message(values: Iterable[str]) -> str | None:
    """The message for a B2O605 finding when one of ``values`` names an ``AmazonBedrock*`` policy."""
    for value in values:
        if match := _MANAGED_POLICY_RE.search(value):
            return f"AWS managed policy {match.group()} is attached: detach it once nothing uses Bedrock"
    return None


def managed_policy_findings(source: SourceFile, nodes: Iterable[Node]) -> list[Finding]:
    """B2O605 for each node that names an ``AmazonBedrock*`` AWS managed policy."""
    return [
        node_finding(source, "B2O605", message, node)
        for node in nodes
        if (message := managed_policy_message(scalar_values(node)))
    ]


ENDPOINT_MESSAGE = "VPC endpoint for bedrock-runtime: OpenRouter needs outbound internet (NAT) instead"


def is_runtime_endpoint(service_name: str) -> bool:
    """``com.amazonaws.<region>.bedrock-runtime`` (or ``-fips``), however the region is spelled."""
    return _RUNTIME_ENDPOINT_RE.search(service_name) is not None


def endpoint_findings(source: SourceFile, service_name: Node | None) -> list[Finding]:
    """B2O307 when an interface VPC endpoint's service name is ``…bedrock-runtime``."""
    if service_name is None or not any(map(is_runtime_endpoint, scalar_values(service_name))):
        return []
    return [node_finding(source, "B2O307", ENDPOINT_MESSAGE, service_name)]


def task_message(action: str) -> str:
    return f"Step Functions task calls Bedrock directly ({action}): replace it with a Lambda that calls OpenRouter"


def task_findings(source: SourceFile, start: int, end: int) -> list[Finding]:
    """B2O305 for each Bedrock service-integration ARN in ``text[start:end]``.

    A text search, so a definition written as an object, a JSON string, a YAML
    block scalar or a `!Sub` is found the same way, each at its exact place.
    """
    return [
        finding(source, "B2O305", match.start(), match.end(), task_message(match.group().rsplit(":", 1)[1]))
        for match in _SFN_TASK_RE.finditer(source.text, start, end)
    ]


def resolve_marketplace(findings: Iterable[Finding]) -> list[Finding]:
    """Keep Marketplace statements only in a file that also grants Bedrock; sort and deduplicate.

    YAML aliases can reach one node twice, hence the deduplication.
    """
    unique = sorted(set(findings))
    if any(item.rule in _BEDROCK_GRANT_RULES for item in unique):
        return unique
    return [item for item in unique if item.rule != MARKETPLACE_RULE]
