"""Bedrock IAM grants and Bedrock-only infrastructure in infrastructure code.

`analyze` picks the format from the file name and, for YAML/JSON, from the
content: Terraform, Serverless Framework, CloudFormation/SAM, a Step Functions
(ASL) definition, or a raw IAM policy document. A YAML/JSON file that is none of
these yields nothing. `analyze_cdk_python` is called by the Python scanner with
the module it has already parsed.

Spans: ``line``/``column`` is the first character of the statement (or policy
name, endpoint service name, task ARN) and ``end_line``/``end_column`` the
position just past its last character, all 1-based (SARIF's convention).

`removal_edits` proposes the deletions that take the Bedrock invocation grants
out of the same files (see `spans` and `policy_json.grant_removal_edits`), and
`reparse` is the check `edits.apply_span_edits` runs after each one. An applied
edit resolves its own finding and every finding whose span lies inside it (a
policy removed because all its statements went).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from yaml.nodes import Node

from ..findings import Finding, ParseFailure
from ..workspace import PYTHON_SUFFIXES, SourceFile
from . import cloudformation, policy_json, serverless, terraform
from .cdk_python import analyze_cdk_python
from .edits import SpanEdit
from .policy_json import (
    Scope,
    get,
    load_nodes,
    resolve_marketplace,
    span,
    task_findings,
)
from .spans import Dialect

__all__ = ["analyze", "analyze_cdk_python", "removal_edits", "removal_edits_for", "reparse"]

_YAML_SUFFIXES = (".yaml", ".yml")
_DOCUMENT_SUFFIXES = (".json", ".yaml", ".yml", ".template", ".json.tpl", ".json.tmpl")
# A JSON document is composed (for positions) only when its top level has one of these.
_TOP_LEVEL_KEYS = frozenset({"AWSTemplateFormatVersion", "Resources", "service", "provider", "Statement", "StartAt"})
# Names that are infrastructure whatever they hold: failing to parse them is an error.
_IAC_NAMES = frozenset({*serverless.SERVERLESS_NAMES, "template.yaml", "template.yml", "template.json"})
# Text that marks an unparsable YAML/JSON file as meant to be infrastructure (otherwise it is
# someone else's format, e.g. a Helm template, and simply not ours).
_IAC_MARKERS = re.compile(r"AWSTemplateFormatVersion|AWS::|\bStatement\b|iamRoleStatements|\"StartAt\"|\bStartAt:")


def analyze(source: SourceFile) -> list[Finding]:
    """Findings of one infrastructure file; ``[]`` for anything that is not infrastructure.

    Raises `ParseFailure` for a file that is infrastructure by its name (``.tf``,
    ``serverless.yml``, ``template.yaml``, …) or content but does not parse.
    """
    name = source.name.lower()
    if name.endswith((".tf", ".tf.json")):
        return resolve_marketplace(terraform.analyze(source))
    if not name.endswith(_DOCUMENT_SUFFIXES):
        return []
    is_json = _is_json(source)
    try:
        roots = load_nodes(source.text, is_json=is_json, keys=_TOP_LEVEL_KEYS)
    except ParseFailure:
        templated = name.endswith((".tpl", ".tmpl"))  # Terraform templatefile() input: `${...}` may break JSON
        if not templated and (name in _IAC_NAMES or name.endswith(".template") or _IAC_MARKERS.search(source.text)):
            raise
        return []
    return resolve_marketplace(finding for root in roots for finding in _analyze_document(source, name, root))


def _is_json(source: SourceFile) -> bool:
    name = source.name.lower()
    return name.endswith(".json") or (not name.endswith(_YAML_SUFFIXES) and source.text.lstrip().startswith(("{", "[")))


def _analyze_document(source: SourceFile, name: str, root: Node) -> list[Finding]:
    if serverless.is_serverless(name, root):
        return serverless.analyze(source, root)
    if cloudformation.is_template(root):
        return cloudformation.analyze(source, root)
    if _is_state_machine(root):
        return task_findings(source, *span(source, root))
    if policy_json.is_policy_document(root):
        return policy_json.analyze(source, root)
    return []


def _is_state_machine(root: Node) -> bool:
    """An ASL file (SAM ``DefinitionUri``)."""
    return get(root, "StartAt") is not None and get(root, "States") is not None


# -- removal ---------------------------------------------------------------------------


def removal_edits(source: SourceFile) -> list[SpanEdit]:
    """The deletions that remove one infrastructure file's Bedrock invocation grants; ``[]`` for other files.

    CDK code (``.ts``, ``.py``) is not handled here (see `removal_edits_for`).
    Raises `ParseFailure`, as `analyze` does, for infrastructure that does not parse.
    """
    name = source.name.lower()
    if name.endswith((".tf", ".tf.json")):
        findings = analyze(source)
        return terraform.removal_edits(source, findings) if findings else []
    if not name.endswith(_DOCUMENT_SUFFIXES):
        return []
    findings = analyze(source)
    if not findings:
        return []
    is_json = _is_json(source)
    dialect = Dialect.JSON if is_json else Dialect.YAML
    roots = load_nodes(source.text, is_json=is_json, keys=_TOP_LEVEL_KEYS)
    scopes = [scope for root in roots for scope in _removal_scopes(source, name, root, dialect)]
    return policy_json.grant_removal_edits(source, scopes, findings, roots, partial(load_nodes, is_json=is_json))


def _removal_scopes(source: SourceFile, name: str, root: Node, dialect: Dialect) -> list[Scope]:
    """The policy documents of one YAML/JSON document, read as the format `analyze` read it."""
    if serverless.is_serverless(name, root):
        return serverless.removal_scopes(source, root, dialect)
    if cloudformation.is_template(root):
        return cloudformation.removal_scopes(source, root, dialect)
    if _is_state_machine(root):
        return []
    if policy_json.is_policy_document(root):
        return policy_json.removal_scopes(root, dialect)
    return []


def reparse(source: SourceFile, text: str) -> None:
    """Parse ``text`` (an edit of ``source``) the way the file's format is parsed; `ParseFailure` if it does not."""
    name = source.name.lower()
    if name.endswith(".tf"):
        terraform.parse_hcl(text)
    else:
        load_nodes(text, is_json=name.endswith(".tf.json") or _is_json(source))


def removal_edits_for(source: SourceFile) -> tuple[list[SpanEdit], Callable[[str], None]] | None:
    """The removal edits of any file that can hold IAM grants, with the check to run after each; None for others.

    CDK TypeScript/JavaScript and Python modules are their modules' business
    (`cdk_typescript`, `cdk_python`); everything else is `removal_edits`.
    """
    from ..javascript.parser import SUFFIXES as JS_SUFFIXES
    from . import cdk_python, cdk_typescript

    suffix = source.suffix
    if suffix in JS_SUFFIXES:
        return cdk_typescript.removal_edits(source), partial(cdk_typescript.reparse, suffix=suffix)
    if suffix in PYTHON_SUFFIXES:
        return cdk_python.removal_edits(source), cdk_python.reparse
    name = source.name.lower()
    if not name.endswith((".tf", ".tf.json", *_DOCUMENT_SUFFIXES)):
        return None
    return removal_edits(source), partial(reparse, source)
