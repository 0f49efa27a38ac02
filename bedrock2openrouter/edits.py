"""Surgical edits of infrastructure files: character-span replacements located by a parser.

Each format module proposes `SpanEdit`s (usually deletions) for the statements
its scanner found; `apply_span_edits` applies them one at a time, from the end
of the file backwards, and re-parses after each: an edit after which the file no
longer parses is dropped and reported, the others stay. Everything outside the
spans keeps its bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .findings import Finding, ParseFailure


@dataclass(frozen=True, slots=True)
class SpanEdit:
    start: int  # character offsets into the file's decoded text; [start, end) is replaced
    end: int
    replacement: str
    finding: Finding  # the statement (or action) this edit resolves
    description: str  # one line for the report: "removed the Bedrock statement", ...
    principal: str | None = None  # the role or function the grant belonged to, when known
    wires_secret: bool = False  # --wire-secret put the OpenRouter secret in the grant's place


@dataclass(frozen=True, slots=True)
class EditOutcome:
    text: str
    applied: list[SpanEdit]
    dropped: list[tuple[SpanEdit, str]]  # with the reason: the parse error it caused


def apply_span_edits(text: str, edits: Sequence[SpanEdit], reparse: Callable[[str], object]) -> EditOutcome:
    """Apply non-overlapping edits last to first, keeping only those after which the file still parses."""
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end), reverse=True)
    for later, earlier in zip(ordered, ordered[1:]):
        if earlier.end > later.start:
            raise ValueError(f"overlapping edits at {earlier.start}-{earlier.end} and {later.start}-{later.end}")
    applied: list[SpanEdit] = []
    dropped: list[tuple[SpanEdit, str]] = []
    for edit in ordered:
        candidate = text[: edit.start] + edit.replacement + text[edit.end :]
        try:
            reparse(candidate)
        except ParseFailure as failure:
            dropped.append((edit, failure.message))
            continue
        text = candidate
        applied.append(edit)
    applied.reverse()
    return EditOutcome(text, applied, dropped)
