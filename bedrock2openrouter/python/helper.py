"""The generated runtime helper module (``_openrouter.py``) that migrated code imports.

The helper is assembled from one template per capability, in a fixed order,
from the names the rewritten code imports from it: a name belongs to exactly
one capability, and a capability brings the ones it builds on. A helper an
earlier run generated keeps the capabilities it defines, so a later run that
needs fewer never takes away what other files import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from ..snippets import render
from .tables import template_tables


@dataclass(frozen=True, slots=True)
class Capability:
    name: str
    template: str  # under templates/
    exports: tuple[str, ...]  # the names migrated code imports from it
    requires: tuple[str, ...] = ()


CAPABILITIES = (
    Capability("client", "python/openrouter/client.py.j2", ("openrouter_client", "openrouter_api_key")),
    # Converse and ConverseStream answered in Bedrock's shape, and the client stand-in that offers both.
    Capability(
        "converse-shapes",
        "python/openrouter/converse_shapes.py.j2",
        ("bedrock_converse", "bedrock_converse_stream", "BedrockRuntimeCompat"),
        requires=("client",),
    ),
)
_BY_NAME = {capability.name: capability for capability in CAPABILITIES}
_BY_EXPORT = {export: capability for capability in CAPABILITIES for export in capability.exports}


def capabilities_for(names: Iterable[str]) -> frozenset[str]:
    """The capabilities a helper needs so that every one of ``names`` can be imported from it."""
    needed: set[str] = set()
    pending = [_BY_EXPORT[name].name for name in names if name in _BY_EXPORT]
    while pending:
        name = pending.pop()
        if name not in needed:
            needed.add(name)
            pending.extend(_BY_NAME[name].requires)
    return frozenset(needed)


def defined_capabilities(source: str) -> frozenset[str]:
    """The capabilities a helper module already provides: those whose exports it defines at top level."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return frozenset()
    defined = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    return frozenset(
        capability.name for capability in CAPABILITIES if all(export in defined for export in capability.exports)
    )


def helper_source(capabilities: Iterable[str]) -> str:
    """The helper's source with ``capabilities`` (and what they build on), in the table's order."""
    wanted = capabilities_for(name for capability in capabilities for name in _BY_NAME[capability].exports)
    tables = template_tables()
    return "".join(
        render(capability.template, tables=tables, capabilities=wanted)
        for capability in CAPABILITIES
        if capability.name in wanted
    )
