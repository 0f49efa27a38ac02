"""Bedrock IAM grants and Bedrock-only infrastructure in infrastructure code.

`analyze` picks the format from the file name and, for YAML/JSON, from the
content: Terraform, Serverless Framework, CloudFormation/SAM, a Step Functions
(ASL) definition, or a raw IAM policy document. A YAML/JSON file that is none of
these yields nothing. `analyze_cdk_python` is called by the Python scanner with
the module it has already parsed.

Spans: ``line``/``column`` is the first character of the statement (or policy
name, endpoint service name, task ARN) and ``end_line``/``end_column`` the
position just past its last character, all 1-based (SARIF's convention).
"""

from __future__ import annotations

import re

from yaml.nodes import Node

from ..findings import Finding, ParseFailure
from ..workspace import SourceFile
from . import cloudformation, policy_json, serverless, terraform
from .cdk_python import analyze_cdk_python
from .policy_json import get, load_nodes, resolve_marketplace, span, task_findings

__all__ = ["analyze", "analyze_cdk_python"]

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
    is_json = name.endswith(".json") or (
        not name.endswith(_YAML_SUFFIXES) and source.text.lstrip().startswith(("{", "["))
    )
    try:
        roots = load_nodes(source.text, is_json=is_json, keys=_TOP_LEVEL_KEYS)
    except ParseFailure:
        templated = name.endswith((".tpl", ".tmpl"))  # Terraform templatefile() input: `${...}` may break JSON
        if not templated and (name in _IAC_NAMES or name.endswith(".template") or _IAC_MARKERS.search(source.text)):
            raise
        return []
    return resolve_marketplace(finding for root in roots for finding in _analyze_document(source, name, root))


def _analyze_document(source: SourceFile, name: str, root: Node) -> list[Finding]:
    if serverless.is_serverless(name, root):
        return serverless.analyze(source, root)
    if cloudformation.is_template(root):
        return cloudformation.analyze(source, root)
    if get(root, "StartAt") is not None and get(root, "States") is not None:  # an ASL file (SAM DefinitionUri)
        return task_findings(source, *span(source, root))
    if policy_json.is_policy_document(root):
        return policy_json.analyze(source, root)
    return []
