"""Model IDs and model ARNs in the text of any file.

Every language reports model references through `reference_finding`, so the
choice of rule (a mappable ID, an ARN, an embedding or image model, an opaque
ARN) and its wording live in one place.
"""

from __future__ import annotations

from .findings import Finding, make_finding
from .modelids import ModelKind, ModelReference, find_model_references
from .modelmap import packaged_model_map
from .workspace import SourceFile

_KIND_RULES = {
    ModelKind.EMBEDDING: "B2O301",
    ModelKind.RERANK: "B2O301",
    ModelKind.IMAGE: "B2O302",
    ModelKind.VIDEO: "B2O302",
    ModelKind.SPEECH: "B2O302",
}

# Documentation describes what was; rewriting it would only confuse its readers.
DOCUMENT_SUFFIXES = frozenset({".md", ".mdx", ".markdown", ".rst", ".adoc"})


def reference_finding(
    reference: ModelReference, path: str, line: int, column: int, *, cell: int | None = None
) -> Finding:
    """The finding for one model ID or ARN found at ``line``/``column`` of ``path``."""
    rule, message = _rule_and_message(reference)
    return make_finding(rule, path, line, column, message, cell=cell, subject=reference.text)


def _rule_and_message(reference: ModelReference) -> tuple[str, str]:
    if reference.is_opaque:
        return "B2O306", (
            f"{reference.arn_type} ARN {reference.text!r} hides which model it runs: map it in a --model-map file"
        )
    assert reference.model_id is not None
    kind = ModelKind(packaged_model_map().kind_of(reference.model_id))
    if kind in _KIND_RULES:
        return _KIND_RULES[kind], f"{kind.value} model {reference.model_id!r} has no OpenRouter equivalent: keep it on Bedrock"
    if reference.is_arn:
        return "B2O402", f"Bedrock {reference.arn_type} ARN for {reference.model_id!r}"
    return "B2O401", f"Bedrock model ID {reference.model_id!r}"


def scan_text(source: SourceFile) -> list[Finding]:
    """Model references anywhere in a text file (comments included: they are cheap to review)."""
    findings = []
    for reference in find_model_references(source.text):
        line, column = source.position(reference.start)
        findings.append(reference_finding(reference, source.relpath, line, column))
    return findings
