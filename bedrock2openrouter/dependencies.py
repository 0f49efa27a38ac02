"""Add ``openai`` to the dependency files that deploy migrated code, keeping their formatting.

For each migrated Python file, the nearest folder (its own or above) with a
dependency file gets one new entry in each of them, written the way the entries
already there are written: ``requirements*.txt`` (a line; a file whose
requirements carry ``--hash`` is reported, since a hash cannot be made up),
``pyproject.toml`` (PEP 621 ``[project] dependencies``, Poetry's
``[tool.poetry.dependencies]``; edited with tomlkit, which keeps comments,
quotes and layout), ``Pipfile`` (``[packages]``), ``setup.cfg``
(``install_requires``) and conda's ``environment.yml`` (its ``pip:`` list). A file
that already asks for ``openai`` in any spelling (``OpenAI``, ``openai[datalib]``,
``openai==1.40``) is left alone. A file that declares dependencies in a way this
cannot edit is never skipped silently: it is reported (`DependencyProblem`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import tomlkit
import tomlkit.exceptions
import tomlkit.items

from .changeset import FileChange
from .workspace import decode_source

REQUIREMENT = "openai>=1.30"
VERSION = ">=1.30"
_NAMES = ("pyproject.toml", "Pipfile", "setup.cfg", "environment.yml", "environment.yaml")
# A requirement's project name, as PEP 508 spells it, at the start of an entry.
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True, slots=True)
class DependencyProblem:
    """A dependency file ``openai`` could not be added to, and why."""

    path: str
    reason: str


def dependency_files(root: Path, relpath: str) -> list[Path]:
    """The dependency files nearest to ``relpath``: those of the closest folder that has any."""
    folder = (root / relpath).parent
    while True:
        found = sorted(folder.glob("requirements*.txt"))
        found += [folder / name for name in _NAMES if (folder / name).is_file()]
        if found or folder == root or root not in folder.parents:
            return found
        folder = folder.parent


def add_openai(path: Path, root: Path) -> FileChange | DependencyProblem | None:
    """The change adding ``openai`` to one dependency file; None when it already has it."""
    data = path.read_bytes()
    decoded = decode_source(data)
    relpath = PurePosixPath(path.relative_to(root).as_posix()).as_posix()
    editor = {"pyproject.toml": _pyproject, "Pipfile": _pipfile, "setup.cfg": _setup_cfg}.get(
        path.name, _environment if path.name.startswith("environment.") else _requirements)
    new = editor(decoded.text, decoded.newline)
    if isinstance(new, str) and new != decoded.text:
        return FileChange(relpath, data, decoded.encode(new), path.stat().st_mode & 0o777)
    if isinstance(new, str) or new is None:
        return None
    return DependencyProblem(relpath, new.reason)


class _Cannot:
    """Why a file that declares dependencies cannot take ``openai``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _names_openai(entry: str) -> bool:
    match = _NAME.match(entry.strip().strip("\"'"))
    return match is not None and re.sub(r"[-_.]+", "-", match.group(1)).lower() == "openai"


# -- requirements*.txt ---------------------------------------------------------------------------


def _requirements(text: str, newline: str) -> str | _Cannot:
    lines = text.splitlines()
    if any(_names_openai(line.split("#", 1)[0]) for line in lines):
        return text
    if any("--hash" in line for line in lines):
        return _Cannot("its requirements are pinned with --hash: add openai with its hashes (pip-compile)")
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return text + REQUIREMENT + newline


# -- TOML: pyproject.toml and Pipfile --------------------------------------------------------------


def _pyproject(text: str, newline: str) -> str | _Cannot | None:
    document = _toml(text)
    if isinstance(document, _Cannot):
        return document
    project = document.get("project")
    poetry = document.get("tool", {}).get("poetry", {})
    poetry_dependencies = poetry.get("dependencies") if isinstance(poetry, dict) else None
    listed = list(project.get("dependencies", [])) if isinstance(project, dict) else []
    if any(_names_openai(str(entry)) for entry in listed) or any(
            _names_openai(str(name)) for name in poetry_dependencies or ()):
        return text
    if isinstance(project, dict) and isinstance(project.get("dependencies"), tomlkit.items.Array):
        array = project["dependencies"]
        literal = bool(array) and array[-1].as_string().startswith("'")
        array.append(tomlkit.string(REQUIREMENT, literal=literal))
        return _dumped(document, newline)
    if isinstance(poetry_dependencies, dict):
        poetry_dependencies["openai"] = VERSION
        return _dumped(document, newline)
    if isinstance(project, dict) and "dependencies" in project.get("dynamic", []):
        return _Cannot("[project] declares its dependencies dynamic: add openai where they are read from")
    if isinstance(project, dict):
        project["dependencies"] = [REQUIREMENT]
        return _dumped(document, newline)
    return None  # a tool's settings only: not where this code's dependencies live


def _pipfile(text: str, newline: str) -> str | _Cannot:
    document = _toml(text)
    if isinstance(document, _Cannot):
        return document
    packages = document.get("packages")
    if isinstance(packages, dict) and any(_names_openai(str(name)) for name in packages):
        return text
    if packages is None:
        document["packages"] = tomlkit.table()
        packages = document["packages"]
    packages["openai"] = VERSION
    return _dumped(document, newline)


def _dumped(document: tomlkit.TOMLDocument, newline: str) -> str:
    """The edited document; lines tomlkit adds get the file's own line ending."""
    text = tomlkit.dumps(document)
    return re.sub(r"(?<!\r)\n", newline, text) if newline != "\n" else text


def _toml(text: str) -> tomlkit.TOMLDocument | _Cannot:
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError as error:
        return _Cannot(f"it is not valid TOML ({error})")


# -- setup.cfg ----------------------------------------------------------------------------------------

_INSTALL_REQUIRES = re.compile(r"(?m)^install_requires\s*=[^\n]*(?:\n[ \t]+[^\n]*)*")


def _setup_cfg(text: str, newline: str) -> str | _Cannot | None:
    match = _INSTALL_REQUIRES.search(text)
    if match is None:
        return None if "[options]" not in text else _Cannot("[options] has no install_requires to add openai to")
    block = match.group()
    entries = [line.split("#", 1)[0] for line in block.split("=", 1)[1].splitlines()]
    if any(_names_openai(entry) for entry in entries):
        return text
    lines = block.split("\n")
    continuation = next((line for line in reversed(lines[1:]) if line.strip()), None)
    indent = re.match(r"[ \t]*", continuation).group() if continuation else "    "
    end = match.end()
    if text[end - 1 : end] == "\r":
        end -= 1
    return text[:end] + newline + indent + REQUIREMENT + text[end:]


# -- conda environment.yml ------------------------------------------------------------------------------

_PIP_LIST = re.compile(r"(?m)^(?P<indent>[ \t]*)- pip:[ \t]*\r?\n(?P<items>(?:(?P=indent)[ \t]+- [^\n]*\n?)+)")


def _environment(text: str, newline: str) -> str | _Cannot:
    match = _PIP_LIST.search(text)
    if match is None:
        return _Cannot("it has no `- pip:` list under dependencies to add openai to")
    items = match["items"].splitlines()
    if any(_names_openai(item.strip()[2:].split("#", 1)[0]) for item in items):
        return text
    item_indent = re.match(r"[ \t]*", items[-1]).group()
    end = match.end("items")
    addition = f"{item_indent}- {REQUIREMENT}{newline}"
    if not text[:end].endswith("\n"):
        addition = newline + addition.rstrip("\r\n")
    return text[:end] + addition + text[end:]
