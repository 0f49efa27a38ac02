"""B2O602: an IAM statement mixing Bedrock invocation with other actions loses only the Bedrock ones.

    Action: [bedrock:Converse, logs:PutLogEvents]   →   Action: [logs:PutLogEvents]

Marketplace subscription actions beside the invocation ones exist for it: a
statement holding only those two kinds goes whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..statements import StatementKind, StatementVerdict
from . import b2o601_invoke_statement

CODE = "B2O602"
KIND = StatementKind.MIXED
ADVICE = "remove only the Bedrock actions"


def message(verdict: StatementVerdict) -> str:
    return (
        f"IAM statement mixes Bedrock invocation ({', '.join(verdict.invoke_actions)}) with other actions: {ADVICE}"
    )


def scope(verdict: StatementVerdict, *, granted: bool, complete: bool) -> str:
    bedrock_only = not verdict.other_bedrock_actions and not verdict.other_actions
    return "statement" if complete and bedrock_only else "actions"


def statement_removed(verdict: StatementVerdict) -> str:
    return b2o601_invoke_statement.statement_removed(verdict)  # gone whole, it reads as any invocation grant


def actions_removed(removed: Sequence[str], kept: Sequence[str]) -> str:
    return f"removed {', '.join(removed)} from a statement that keeps {', '.join(kept) or 'its other actions'}"
