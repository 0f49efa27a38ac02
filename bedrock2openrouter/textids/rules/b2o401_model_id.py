"""B2O401: a Bedrock model ID, wherever it is written, becomes its OpenRouter ID.

    "anthropic.claude-3-haiku-20240307-v1:0"   →   "anthropic/claude-3-haiku"

Regional prefixes (``us.``, ``eu.``, ``global.``) and version suffixes are the
model table's business (`modelmap`); only the ID's characters change.
"""

from __future__ import annotations

from ...modelids import ModelReference

CODE = "B2O401"


def claims(reference: ModelReference) -> bool:
    return not reference.is_arn


def message(reference: ModelReference) -> str:
    return f"Bedrock model ID {reference.model_id!r}"
