"""What the analysis of one Python module needs to know about the rest of the project."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AnalysisContext:
    module: str | None = None  # dotted name of the module, when it lives in a package or import root
    imported_elsewhere: bool = False  # another module of the project imports this one
    # the names other modules import from this one; None when one imports the module itself (any name)
    names_imported_elsewhere: frozenset[str] | None = frozenset()

    def absolute(self, qualified: str) -> str:
        """Resolve a relative qualified name (``.client.client``) against this module's package."""
        if not qualified.startswith(".") or self.module is None:
            return qualified
        level = len(qualified) - len(qualified.lstrip("."))
        package = self.module.split(".")[:-level]
        return ".".join([*package, qualified.lstrip(".")])


NO_CONTEXT = AnalysisContext()
