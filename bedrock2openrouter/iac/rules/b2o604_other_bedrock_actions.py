"""B2O604: Bedrock actions other than model invocation (Knowledge Bases, Agents, Guardrails, control plane).

Those features stay on AWS, so their grants stay; the finding asks for a review.
"""

from __future__ import annotations

from ..statements import StatementKind, StatementVerdict

CODE = "B2O604"
KIND = StatementKind.OTHER_BEDROCK


def message(verdict: StatementVerdict) -> str:
    return (
        f"IAM statement grants Bedrock actions other than model invocation "
        f"({', '.join(verdict.other_bedrock_actions)}): keep while the code uses them"
    )
