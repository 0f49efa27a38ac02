"""B2O601: an IAM statement that grants only Bedrock model invocation goes whole.

    {"Effect": "Allow", "Action": ["bedrock:InvokeModel"], "Resource": "*"}   → removed

When an action is not a literal (``!Ref``, ``${var}``) the statement may grant
more than it shows, so only its invocation literals go.
"""

from __future__ import annotations

from ..statements import StatementKind, StatementVerdict

CODE = "B2O601"
KIND = StatementKind.INVOKE_ONLY
ADVICE = "remove it"


def message(verdict: StatementVerdict) -> str:
    return f"IAM statement grants Bedrock model invocation ({', '.join(verdict.invoke_actions)}): {ADVICE}"


def scope(verdict: StatementVerdict, *, granted: bool, complete: bool) -> str:
    return "statement" if complete else "actions"


def statement_removed(verdict: StatementVerdict) -> str:
    return f"removed IAM statement granting {', '.join(verdict.invoke_actions + verdict.marketplace_actions)}"
