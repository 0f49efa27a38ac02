"""How the Python files of a project see each other: module names, who imports whom, where the helper goes.

Migrated code imports the generated helper module (``_openrouter.py``). It must
import the same way when the file runs as a script and as a module of its
package, and when a Lambda folder is deployed on its own: a file in a package
uses the helper at the top of its package (``from app._openrouter import ...``),
a file outside any package the helper beside it (``from _openrouter import ...``).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .context import AnalysisContext

HELPER_NAME = "_openrouter"


@dataclass(frozen=True, slots=True)
class Placement:
    module: str  # the file's dotted module name
    helper_path: str  # relative POSIX path of the helper module it imports
    helper_import: str  # what it imports the helper as


def placement(root: Path, relpath: str, is_package: Callable[[tuple[str, ...]], bool] | None = None) -> Placement:
    """Module name and helper location of one Python file.

    ``is_package`` answers whether a folder (its path parts) holds ``__init__.py``;
    by default the file system is asked each time.
    """
    is_package = is_package or (lambda directory: (root.joinpath(*directory) / "__init__.py").is_file())
    parts = PurePosixPath(relpath).parts
    directory = parts[:-1]
    # Climb while the folder is a package: the highest package is where imports start.
    top = len(directory)
    while top > 0 and is_package(directory[:top]):
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
    imported: set[str] = field(default_factory=set)  # modules some other project file imports
    # module -> the names other files import from it; None once one imports the module itself
    imported_names: dict[str, set[str] | None] = field(default_factory=dict)
    # file -> folders other files import it from through a namespace package (``services.summary``
    # for ``services/summary.py`` with no ``services/__init__.py``): its helper must resolve there too
    namespace_roots: dict[str, set[str]] = field(default_factory=dict)
    _placements: dict[str, Placement] = field(default_factory=dict)
    _packages: dict[tuple[str, ...], bool] = field(default_factory=dict)  # folder -> holds __init__.py

    def placement(self, relpath: str) -> Placement:
        """Where one Python file sits in its package, asked of the file system once per folder."""
        found = self._placements.get(relpath)
        if found is None:
            found = self._placements[relpath] = placement(self.root, relpath, self._is_package)
        return found

    def _is_package(self, directory: tuple[str, ...]) -> bool:
        found = self._packages.get(directory)
        if found is None:
            found = self._packages[directory] = (self.root.joinpath(*directory) / "__init__.py").is_file()
        return found

    def helper_paths(self, relpath: str) -> list[str]:
        """Every helper module a migrated file needs: beside it (or atop its package), and at each namespace root."""
        place = self.placement(relpath)
        extra = sorted(f"{root}/{HELPER_NAME}.py" if root else f"{HELPER_NAME}.py"
                       for root in self.namespace_roots.get(relpath, ()))
        return [place.helper_path, *(path for path in extra if path != place.helper_path)]

    def context(self, relpath: str) -> AnalysisContext:
        module = self.placement(relpath).module
        names = self.imported_names.get(module, set())
        return AnalysisContext(module, module in self.imported, None if names is None else frozenset(names))

    def record_import(self, module: str, name: str | None) -> None:
        """Another file imports ``name`` from ``module`` (None: the module itself)."""
        self.imported.add(module)
        names = self.imported_names.setdefault(module, set())
        if names is not None:
            if name is None or name == "*":
                self.imported_names[module] = None
            else:
                names.add(name)


def build_index(root: Path, python_paths: list[str], candidates: list[str]) -> ProjectIndex:
    """Which candidate modules other project files import; module names on demand.

    Only files whose bytes name a candidate module are parsed (with ``ast``: fast).
    """
    index = ProjectIndex(root)
    wanted = {index.placement(path).module: (path, None) for path in candidates}
    if not wanted:
        return index
    for path in candidates:
        place = index.placement(path)
        if place.helper_import != HELPER_NAME:
            continue  # in a regular package: imported by its package name
        folders = PurePosixPath(path).parts[:-1]
        for start in range(len(folders)):  # ``a/b/mod.py`` may be imported as ``b.mod`` or ``a.b.mod``
            wanted.setdefault(".".join([*folders[start:], PurePosixPath(path).stem]), (path, "/".join(folders[:start])))
    last_parts = {module.rpartition(".")[2] for module in wanted}
    pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(part.encode()) for part in sorted(last_parts)) + rb")\b")
    root_name = str(root)
    for relpath in python_paths:
        try:
            with open(os.path.join(root_name, relpath), "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if not pattern.search(data):
            continue
        importer = index.placement(relpath).module
        for module, name in _imports(data, importer, relpath.endswith("__init__.py")):
            if module not in wanted or module == importer:
                continue
            path, namespace_root = wanted[module]
            index.record_import(index.placement(path).module, name)
            if namespace_root is not None:
                index.namespace_roots.setdefault(path, set()).add(namespace_root)
    return index


def _imports(data: bytes, importer: str, is_package: bool) -> set[tuple[str, str | None]]:
    """What a file imports: (module, name) for ``from module import name``, (module, None) for the module itself."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return set()
    found: set[tuple[str, str | None]] = set()
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:
                found.add((module, alias.name))
                # ``from pkg import mod`` imports the module pkg.mod itself
                found.add((f"{module}.{alias.name}" if module else alias.name, None))
    return found
