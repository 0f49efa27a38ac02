"""The model-ID rules: which model references `migrate` rewrites through the model table.

A reference the table can serve on OpenRouter (a chat model, named by its ID or
by an ARN that says which model it runs) gets the first rule that claims it;
the others (opaque ARNs, embedding, image and speech models) are reported by
the unsupported-feature rules and never rewritten.
"""

from __future__ import annotations

from types import ModuleType

from ...modelids import ModelReference
from . import b2o401_model_id, b2o402_model_arn

RULES: tuple[ModuleType, ...] = (
    b2o402_model_arn,  # an ARN first: its resource part is itself a model ID
    b2o401_model_id,
)
REWRITABLE_RULES = frozenset(rule.CODE for rule in RULES)


def rule_for(reference: ModelReference) -> ModuleType:
    """The rule of a reference to a chat model."""
    return next(rule for rule in RULES if rule.claims(reference))
