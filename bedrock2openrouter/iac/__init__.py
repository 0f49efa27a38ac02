"""Bedrock IAM grants and Bedrock-only infrastructure in infrastructure code.

The file's kind comes from `filekinds` (by name, or for YAML/JSON/``.template``
by content): Terraform, Serverless Framework, CloudFormation/SAM, a Step
Functions (ASL) definition, or a raw IAM policy document. Each document of a
structured file is read as the format it is. CDK code is analysed by its
language's scanner with the tree it has already parsed (`cdk_python`,
`cdk_typescript`).

Spans: ``line``/``column`` is the first character of the statement (or policy
name, endpoint service name, task ARN) and ``end_line``/``end_column`` the
position just past its last character, all 1-based (SARIF's convention).

`removal_edits_for` proposes the deletions that take the Bedrock invocation
grants out of a file (see `spans` and `removal.grant_removal_edits`), with the
check `edits.apply_span_edits` runs after each one. An applied edit resolves its
own finding and every finding whose span lies inside it (a policy removed
because all its statements went).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from yaml.nodes import Node

from ..edits import SpanEdit
from ..filekinds import FileKind, document_kind, documents, is_json, kind_of
from ..findings import Finding
from ..workspace import SourceFile
from . import cloudformation, policy_json, serverless, terraform
from .cdk_python import analyze_cdk_python
from .grants import resolve_marketplace, task_findings
from .nodes import span
from .removal import Scope, grant_removal_edits
from .spans import Dialect

__all__ = ["analyze", "analyze_cdk_python", "edit_check", "removal_edits", "removal_edits_for", "reparse"]


def analyze(source: SourceFile, kind: FileKind | None = None) -> list[Finding]:
    """Findings of one infrastructure file; ``[]`` for anything that is not infrastructure.

    Raises `ParseFailure` for a file that is infrastructure by its name (``.tf``,
    ``serverless.yml``, ``template.yaml``, …) or content but does not parse.
    """
    kind = kind or kind_of(source.relpath, source.text)
    if kind is FileKind.TERRAFORM:
        return resolve_marketplace(terraform.analyze(source))
    if not kind.is_infrastructure:
        return []
    name = source.name.lower()
    roots = documents(source.relpath, source.text)
    return resolve_marketplace(finding for root in roots for finding in _analyze_document(source, name, root))


def _analyze_document(source: SourceFile, name: str, root: Node) -> list[Finding]:
    kind = document_kind(name, root)
    if kind is FileKind.SERVERLESS:
        return serverless.analyze(source, root)
    if kind in (FileKind.CLOUDFORMATION, FileKind.SAM):
        return cloudformation.analyze(source, root)
    if kind is FileKind.STEP_FUNCTIONS:
        return task_findings(source, *span(source, root))
    if kind is FileKind.IAM_JSON:
        return policy_json.analyze(source, root)
    return []


def removal_edits(source: SourceFile, findings: list[Finding] | None = None) -> list[SpanEdit]:
    """The deletions that remove one YAML/JSON/HCL file's Bedrock invocation grants; ``[]`` for other files.

    ``findings`` are the file's own, when its analysis has already been made.
    Raises `ParseFailure`, as `analyze` does, for infrastructure that does not parse.
    """
    kind = kind_of(source.relpath, source.text)
    if not kind.is_infrastructure:
        return []
    findings = analyze(source, kind) if findings is None else findings
    if not findings:
        return []
    if kind is FileKind.TERRAFORM:
        return terraform.removal_edits(source, findings)
    json_text = is_json(source.relpath, source.text)
    dialect = Dialect.JSON if json_text else Dialect.YAML
    roots = documents(source.relpath, source.text)
    name = source.name.lower()
    scopes = [scope for root in roots for scope in _removal_scopes(source, name, root, dialect)]
    return grant_removal_edits(source, scopes, findings, roots, partial(documents, source.relpath))


def _removal_scopes(source: SourceFile, name: str, root: Node, dialect: Dialect) -> list[Scope]:
    """The policy documents of one YAML/JSON document, read as the format `analyze` read it."""
    kind = document_kind(name, root)
    if kind is FileKind.SERVERLESS:
        return serverless.removal_scopes(source, root, dialect)
    if kind in (FileKind.CLOUDFORMATION, FileKind.SAM):
        return cloudformation.removal_scopes(source, root, dialect)
    if kind is FileKind.IAM_JSON:
        return policy_json.removal_scopes(root, dialect)
    return []


def reparse(source: SourceFile, text: str) -> None:
    """Parse ``text`` (an edit of ``source``) the way the file's format is parsed; `ParseFailure` if it does not.

    The very parse the analysis of the edited file makes, so that analysis finds it done.
    """
    name = source.name.lower()
    if name.endswith(".tf.json"):
        terraform.load_json(text)
    elif name.endswith(".tf"):
        terraform.parse_hcl(text)
    else:
        documents(source.relpath, text)


def edit_check(source: SourceFile, kind: FileKind) -> Callable[[str], None]:
    """What `edits.apply_span_edits` runs after each edit of ``source`` (of ``kind``): its own format's parser."""
    from . import cdk_python, cdk_typescript

    if kind in (FileKind.TYPESCRIPT, FileKind.JAVASCRIPT):
        return partial(cdk_typescript.reparse, relpath=source.relpath)
    if kind is FileKind.PYTHON:
        return cdk_python.reparse
    return partial(reparse, source)


def removal_edits_for(
    source: SourceFile, findings: list[Finding] | None = None
) -> tuple[list[SpanEdit], Callable[[str], None]] | None:
    """The removal edits of any file that can hold IAM grants, with the check to run after each; None for others.

    CDK TypeScript/JavaScript and Python modules are their modules' business
    (`cdk_typescript`, `cdk_python`); everything else is `removal_edits`.
    ``findings`` are the file's own, when its analysis has already been made.
    """
    from . import cdk_python, cdk_typescript

    kind = kind_of(source.relpath, source.text)
    if kind in (FileKind.TYPESCRIPT, FileKind.JAVASCRIPT):
        edits = cdk_typescript.removal_edits(source)
    elif kind is FileKind.PYTHON:
        edits = cdk_python.removal_edits(source)
    elif kind.is_infrastructure:
        edits = removal_edits(source, findings)
    else:
        return None
    return edits, edit_check(source, kind)
