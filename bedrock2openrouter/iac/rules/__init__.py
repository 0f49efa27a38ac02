"""The IAM statement rules: which Bedrock grants a migration takes out, and how it says so.

Every format reduces a statement to its action strings and classifies them
(`statements.classify_statement`); the rule for the verdict's kind names the
finding, words it, and decides what of the statement goes (`scope`). The
format adapters only locate statements and spans, and the removal kernels
(`removal`, the CDK layout engine) carry out the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from ..statements import INVOCATION_KINDS, StatementVerdict
from . import (
    b2o601_invoke_statement,
    b2o602_mixed_statement,
    b2o603_marketplace_statement,
    b2o604_other_bedrock_actions,
)

RULES: tuple[ModuleType, ...] = (
    b2o601_invoke_statement,  # a statement that only grants invocation goes whole
    b2o602_mixed_statement,  # one that also grants other actions loses only the invocation ones
    b2o603_marketplace_statement,  # Marketplace statements go with the invocation grants they serve
    b2o604_other_bedrock_actions,  # Knowledge Bases, Agents, Guardrails: reported, never removed
)
_BY_KIND = {rule.KIND: rule for rule in RULES}
MARKETPLACE_RULE = b2o603_marketplace_statement.CODE
# Findings of these rules are grants of model invocation: with one in a file, its
# Marketplace statements exist for Bedrock, and its grants go once nothing calls Bedrock.
INVOCATION_RULES = frozenset(rule.CODE for rule in RULES if rule.KIND in INVOCATION_KINDS)
# A rule that can say what it removed removes: the others only report.
REMOVABLE_RULES = frozenset(rule.CODE for rule in RULES if hasattr(rule, "statement_removed"))


def rule_for(verdict: StatementVerdict) -> ModuleType | None:
    """The rule of a classified statement, or None when it grants nothing Bedrock-related."""
    return _BY_KIND.get(verdict.kind)


def grants_invocation(verdict: StatementVerdict) -> bool:
    return verdict.kind in INVOCATION_KINDS


def finding_for(verdict: StatementVerdict) -> tuple[str, str] | None:
    """The rule code and message of a statement's finding, or None.

    A Marketplace-only statement gets B2O603 provisionally: it is Bedrock's only
    in a file that also grants Bedrock, which `grants.resolve_marketplace` checks.
    """
    rule = rule_for(verdict)
    return (rule.CODE, rule.message(verdict)) if rule is not None else None


def scope(verdict: StatementVerdict, *, granted: bool, complete: bool) -> str | None:
    """What of a statement goes: ``"statement"``, ``"actions"`` (its invocation literals) or None.

    ``complete``: every action is a literal, so the statement grants nothing unseen
    and may go whole. ``granted``: the file grants Bedrock invocation.
    """
    rule = rule_for(verdict)
    decide = getattr(rule, "scope", None)
    return decide(verdict, granted=granted, complete=complete) if decide is not None else None


def statement_removed(verdict: StatementVerdict) -> str:
    """The report line for a statement removed whole."""
    rule = rule_for(verdict)
    assert rule is not None and rule.CODE in REMOVABLE_RULES
    return rule.statement_removed(verdict)


def without_advice(code: str, message: str) -> str:
    """A removable grant's finding message without its advice to remove, for a grant that has to stay."""
    rule = next((rule for rule in RULES if rule.CODE == code), None)
    advice = getattr(rule, "ADVICE", None)
    return message.removesuffix(f": {advice}") if advice else message


def actions_removed(removed: Sequence[str], kept: Sequence[str]) -> str:
    """The report line for invocation actions taken out of a statement that stays."""
    return b2o602_mixed_statement.actions_removed(removed, kept)
