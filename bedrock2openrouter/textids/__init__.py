"""Model IDs and model ARNs in the text of any file: found, and rewritten (rules B2O401, B2O402).

Every language reports model references through `reference_finding`, so the
choice of rule (a mappable ID, an ARN, an embedding or image model, an opaque
ARN) and its wording live in one place. The rewrite works from those same
findings, so what `scan` reports is exactly what `migrate` changes: the ID's
characters are replaced where they stand, quotes and everything around them
stay as they were.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..findings import Finding, make_finding
from ..modelids import ModelKind, ModelReference, find_model_references
from ..modelmap import ModelMap, Resolution, packaged_model_map
from ..workspace import SourceFile
from .rules import REWRITABLE_RULES, rule_for

_KIND_RULES = {
    ModelKind.EMBEDDING: "B2O301",
    ModelKind.RERANK: "B2O301",
    ModelKind.IMAGE: "B2O302",
    ModelKind.VIDEO: "B2O302",
    ModelKind.SPEECH: "B2O302",
}


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
    rule = rule_for(reference)
    return rule.CODE, rule.message(reference)


def scan_text(source: SourceFile) -> list[Finding]:
    """Model references anywhere in a text file (comments included: they are cheap to review)."""
    findings = []
    for reference in find_model_references(source.text):
        line, column = source.position(reference.start)
        findings.append(reference_finding(reference, source.relpath, line, column))
    return findings


_REWRITTEN = frozenset({Resolution.EXACT, Resolution.APPROXIMATE, Resolution.REPLACED})


def rewrite_model_ids(
    source: SourceFile, findings: list[Finding], model_map: ModelMap, *, keep_retired: bool = False
) -> tuple[str, list[Finding], list[tuple[Finding, str]]]:
    """The file's text with every mappable model ID replaced, review notes for the inexact ones, and what was replaced.

    IDs the table cannot map (unknown, opaque, no equivalent) stay, and so do their findings.
    """
    text = source.text
    edits: list[tuple[int, int, str]] = []
    replaced: list[tuple[Finding, str]] = []
    notes: list[Finding] = []
    for finding in findings:
        if finding.rule not in REWRITABLE_RULES or finding.subject is None or finding.cell is not None:
            continue
        start = source.lines.offset(finding.line, finding.column)
        end = start + len(finding.subject)
        if text[start:end] != finding.subject:
            continue  # positions and text disagree: never guess where to write
        resolution = model_map.resolve(finding.subject, keep_retired=keep_retired)
        if resolution.status not in _REWRITTEN or resolution.openrouter_id is None:
            continue
        edits.append((start, end, resolution.openrouter_id))
        replaced.append((finding, resolution.openrouter_id))
        if resolution.status is not Resolution.EXACT:
            label = _label_after(text, end)
            beside = f"; the label {label!r} beside it still names the model it was" if label else ""
            notes.append(make_finding(
                "B2O403", finding.path, finding.line, finding.column,
                f"{finding.subject!r} became {resolution.openrouter_id!r} ({resolution.status.value}): "
                f"{resolution.note}{beside}",
            ))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, notes, replaced


# The text of the element an ID is the value of: `<option value="ID">Claude 2</option>`.
_ELEMENT_LABEL = re.compile(r"""["'][^>\n]*>\s*([^<>\n]*?\S)\s*</""")


def _label_after(text: str, end: int) -> str | None:
    """The label shown beside a model ID in markup (an ``<option>``'s text), when the ID is an attribute value."""
    match = _ELEMENT_LABEL.match(text, end)
    return match.group(1) if match else None


def explain_kept(findings: list[Finding], model_map: ModelMap, reason: str | None = None) -> list[Finding]:
    """Follow-ups for model IDs a migration left: say why each stayed and what to do."""
    explained = []
    for finding in findings:
        if finding.rule in REWRITABLE_RULES and finding.subject is not None:
            why = reason or model_map.resolve(finding.subject).note
            finding = replace(finding, message=f"{finding.subject!r} kept: {why}")
        explained.append(finding)
    return explained
