"""What an IAM statement's actions mean for a Bedrock migration.

Every infrastructure format reduces a statement to its list of action strings
and asks `classify_statement`; the verdict's kind picks the rule (`iac.rules`).
The format modules only locate statements and their spans.
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


INVOCATION_KINDS = frozenset({StatementKind.INVOKE_ONLY, StatementKind.MIXED})  # statements granting model invocation


@dataclass(frozen=True, slots=True)
class StatementVerdict:
    kind: StatementKind
    invoke_actions: tuple[str, ...]  # as written, in order
    other_bedrock_actions: tuple[str, ...]
    marketplace_actions: tuple[str, ...]
    other_actions: tuple[str, ...]
    actions: tuple[str, ...] = ()  # every action, as written, in order

    @property
    def kept_actions(self) -> tuple[str, ...]:
        """The actions that stay when the invocation ones go, in order."""
        return tuple(action for action in self.actions if not is_invoke_action(action))


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
    return StatementVerdict(kind, invoke, other_bedrock, marketplace, other, tuple(actions))
