"""The generated runtime helper module (``_openrouter.py``) that migrated code imports."""

from __future__ import annotations

from ..snippets import render
from .tables import template_tables

TEMPLATE = "python/_openrouter.py.j2"


def helper_source(*, compat: bool) -> str:
    """The helper's source: the OpenRouter client, and with ``compat`` the Bedrock-shaped functions."""
    return render(TEMPLATE, compat=compat, tables=template_tables())
