"""How the Python files of a project see each other: module names, who imports whom, where the helper goes.

Migrated code imports the generated helper module (``_openrouter.py``). It must
import the same way when the file runs as a script and as a module of its
package, and when a Lambda folder is deployed on its own: a file in a package
uses the helper at the top of its package (``from app._openrouter import ...``),
a file outside any package the helper beside it (``from _openrouter import ...``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .context import AnalysisContext

HELPER_NAME = "_openrouter"


@dataclass(frozen=True, slots=True)
class Placement:
    module: str  # the file's dotted module name
    helper_path: str  # relative POSIX path of the helper module it imports
    helper_import: str  # what it imports the helper as


def placement(root: Path, relpath: str) -> Placement:
    """Module name and helper location of one Python file."""
    parts = PurePosixPath(relpath).parts
    directory = parts[:-1]
    # Climb while the folder is a package: the highest package is where imports start.
    top = len(directory)
    while top > 0 and (root.joinpath(*directory[:top]) / "__init__.py").is_file():
        top -= 1
    package = directory[top:]
    stem = PurePosixPath(relpath).stem
    module = ".".join([*package, stem]) if stem != "__init__" else ".".join(package)
    if package:
        helper_dir = directory[: top + 1]
        return Placement(module, "/".join([*helper_dir, f"{HELPER_NAME}.py"]), f"{package[0]}.{HELPER_NAME}")
    return Placement(module, "/".join([*directory, f"{HELPER_NAME}.py"]), HELPER_NAME)


@dataclass(slots=True)
class ProjectIndex:
    root: Path
    placements: dict[str, Placement] = field(default_factory=dict)
    imported: set[str] = field(default_factory=set)  # modules some other project file imports

    def context(self, relpath: str) -> AnalysisContext:
        place = self.placements.get(relpath) or placement(self.root, relpath)
        return AnalysisContext(place.module, place.module in self.imported)


def build_index(root: Path, python_paths: list[str], candidates: list[str]) -> ProjectIndex:
    """Module names for every Python file, and which candidate modules others import.

    Only files whose bytes name a candidate module are parsed (with ``ast``: fast).
    """
    index = ProjectIndex(root)
    for relpath in python_paths:
        index.placements[relpath] = placement(root, relpath)
    wanted = {index.placements[path].module for path in candidates if path in index.placements}
    if not wanted:
        return index
    last_parts = {module.rpartition(".")[2] for module in wanted}
    pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(part.encode()) for part in sorted(last_parts)) + rb")\b")
    for relpath in python_paths:
        try:
            data = (root / relpath).read_bytes()
        except OSError:
            continue
        if not pattern.search(data):
            continue
        importer = index.placements[relpath].module
        for module in _imported_modules(data, importer, relpath.endswith("__init__.py")):
            if module in wanted and module != importer:
                index.imported.add(module)
    return index


def _imported_modules(data: bytes, importer: str, is_package: bool) -> set[str]:
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" if module else alias.name for alias in node.names)
    return found
