"""Reading Python literals the source writes out: what a rule may rely on without running the code."""

from __future__ import annotations

import libcst as cst


def dict_value(node: cst.BaseExpression, key: str) -> cst.BaseExpression | None:
    """The value written for the string ``key`` in a dict literal; None for anything else."""
    elements = node.elements if isinstance(node, cst.Dict) else ()
    return next((element.value for element in elements if isinstance(element, cst.DictElement)
                 and isinstance(element.key, cst.SimpleString) and element.key.evaluated_value == key), None)
