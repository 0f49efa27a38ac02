"""What an IAM statement's actions mean for a Bedrock migration.

Every infrastructure format reduces a statement to its list of action strings
and asks `classify_statement`; the answer picks the rule code. The format
modules only locate statements and their spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

# The runtime actions the migrated code no longer needs.
INVOKE_ACTIONS = (
    "bedrock:invokemodel",
    "bedrock:invokemodelwithresponsestream",
    "bedrock:converse",
    "bedrock:conversestream",
)
# Marketplace actions Bedrock needs to enable third-party models on first use.
MARKETPLACE_ACTIONS = (
    "aws-marketplace:viewsubscriptions",
    "aws-marketplace:subscribe",
    "aws-marketplace:unsubscribe",
)


class StatementKind(StrEnum):
    INVOKE_ONLY = "invoke-only"  # every action is a Bedrock invocation grant: remove the statement
    MIXED = "mixed"  # Bedrock invocation plus other actions: remove only the Bedrock ones
    MARKETPLACE = "marketplace"  # only Marketplace subscription actions
    OTHER_BEDROCK = "other-bedrock"  # Bedrock actions that are not invocation (KB, Agents, Guardrails, control plane)
    UNRELATED = "unrelated"


@dataclass(frozen=True, slots=True)
class StatementVerdict:
    kind: StatementKind
    invoke_actions: tuple[str, ...]  # as written, in order
    other_bedrock_actions: tuple[str, ...]
    marketplace_actions: tuple[str, ...]
    other_actions: tuple[str, ...]

    @property
    def rule(self) -> str | None:
        """The rule code of the finding for this statement, if any.

        A Marketplace-only statement gets no rule here: it is a Bedrock grant only
        when the same file also grants Bedrock, which the caller knows.
        """
        return {
            StatementKind.INVOKE_ONLY: "B2O601",
            StatementKind.MIXED: "B2O602",
            StatementKind.OTHER_BEDROCK: "B2O604",
        }.get(self.kind)


def is_invoke_action(action: str) -> bool:
    """``bedrock:InvokeModel``, ``bedrock:Converse*``, ``bedrock:*``, ``bedrock:Invoke*``, …"""
    lowered = action.strip().lower()
    if not lowered.startswith("bedrock:"):
        return False
    return any(fnmatchcase(invoke, lowered) for invoke in INVOKE_ACTIONS)


def is_bedrock_action(action: str) -> bool:
    return action.strip().lower().startswith("bedrock:")


def is_marketplace_action(action: str) -> bool:
    lowered = action.strip().lower()
    return any(fnmatchcase(marketplace, lowered) for marketplace in MARKETPLACE_ACTIONS) and lowered.startswith(
        "aws-marketplace:"
    )


def classify_statement(actions: list[str] | tuple[str, ...]) -> StatementVerdict:
    invoke = tuple(a for a in actions if is_invoke_action(a))
    other_bedrock = tuple(a for a in actions if is_bedrock_action(a) and not is_invoke_action(a))
    marketplace = tuple(a for a in actions if is_marketplace_action(a))
    other = tuple(a for a in actions if not is_bedrock_action(a) and not is_marketplace_action(a))
    if invoke and not other_bedrock and not other and not marketplace:
        kind = StatementKind.INVOKE_ONLY
    elif invoke:
        kind = StatementKind.MIXED
    elif other_bedrock:
        kind = StatementKind.OTHER_BEDROCK
    elif marketplace and not other:
        kind = StatementKind.MARKETPLACE
    else:
        kind = StatementKind.UNRELATED
    return StatementVerdict(kind, invoke, other_bedrock, marketplace, other)


def describe(verdict: StatementVerdict) -> str:
    """The finding message for a statement."""
    if verdict.kind is StatementKind.INVOKE_ONLY:
        return f"IAM statement grants Bedrock model invocation ({', '.join(verdict.invoke_actions)}): remove it"
    if verdict.kind is StatementKind.MIXED:
        return (
            f"IAM statement mixes Bedrock invocation ({', '.join(verdict.invoke_actions)}) with other actions: "
            "remove only the Bedrock actions"
        )
    if verdict.kind is StatementKind.OTHER_BEDROCK:
        return (
            f"IAM statement grants Bedrock actions other than model invocation "
            f"({', '.join(verdict.other_bedrock_actions)}): keep while the code uses them"
        )
    if verdict.kind is StatementKind.MARKETPLACE:
        return (
            f"AWS Marketplace statement ({', '.join(verdict.marketplace_actions)}) exists for Bedrock model access: "
            "remove it"
        )
    return "IAM statement unrelated to Bedrock"
