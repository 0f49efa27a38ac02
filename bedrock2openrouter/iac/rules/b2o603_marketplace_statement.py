"""B2O603: an AWS Marketplace statement that served Bedrock model access goes with the invocation grants.

Bedrock needs ``aws-marketplace:Subscribe``/``ViewSubscriptions`` to enable a
third-party model on first use. Such a statement is Bedrock's only in a file
that also grants invocation; elsewhere it is left alone and not reported.
"""

from __future__ import annotations

from ..statements import StatementKind, StatementVerdict

CODE = "B2O603"
KIND = StatementKind.MARKETPLACE
ADVICE = "remove it"


def message(verdict: StatementVerdict) -> str:
    actions = ", ".join(verdict.marketplace_actions)
    return f"AWS Marketplace statement ({actions}) exists for Bedrock model access: {ADVICE}"


def scope(verdict: StatementVerdict, *, granted: bool, complete: bool) -> str | None:
    return "statement" if complete and granted else None


def statement_removed(verdict: StatementVerdict) -> str:
    actions = ", ".join(verdict.marketplace_actions)
    return f"removed AWS Marketplace statement ({actions}) that existed for Bedrock model access"
