"""B2O402: a foundation-model or inference-profile ARN becomes the OpenRouter ID of the model it names.

    "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0"   →   "meta-llama/llama-3-8b-instruct"

ARNs that hide the model (application inference profiles, provisioned or custom
models) are not claimed: they are B2O306 until a ``--model-map`` row names them.
"""

from __future__ import annotations

from ...modelids import ModelReference

CODE = "B2O402"


def claims(reference: ModelReference) -> bool:
    return reference.is_arn and not reference.is_opaque


def message(reference: ModelReference) -> str:
    return f"Bedrock {reference.arn_type} ARN for {reference.model_id!r}"
