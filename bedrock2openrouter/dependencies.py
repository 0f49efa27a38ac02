"""Add ``openai`` to the dependency files that deploy migrated code, keeping their formatting.

For each migrated Python file, the nearest ``requirements*.txt``, ``pyproject.toml``
(with a ``[project]`` dependencies list) or ``setup.cfg`` (``install_requires``) in
its folder or above it gets one new entry, written in the style of the entries
already there. A file that already names ``openai`` is left alone.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from .changeset import FileChange
from .workspace import decode_source

REQUIREMENT = "openai>=1.30"
_NAMES_OPENAI = re.compile(r"^\s*[\"']?openai\b", re.IGNORECASE | re.MULTILINE)


def dependency_files(root: Path, relpath: str) -> list[Path]:
    """The dependency files nearest to ``relpath``: those of the closest folder that has any."""
    folder = (root / relpath).parent
    while True:
        found = sorted(folder.glob("requirements*.txt"))
        found += [folder / name for name in ("pyproject.toml", "setup.cfg") if (folder / name).is_file()]
        if found or folder == root or root not in folder.parents:
            return found
        folder = folder.parent


def add_openai(path: Path, root: Path) -> FileChange | None:
    data = path.read_bytes()
    decoded = decode_source(data)
    text = decoded.text
    if _NAMES_OPENAI.search(text):
        return None
    if path.name == "pyproject.toml":
        new = _add_to_toml_list(text, decoded.newline)
    elif path.name == "setup.cfg":
        new = _add_to_install_requires(text, decoded.newline)
    else:
        new = _add_requirement_line(text, decoded.newline)
    if new is None or new == text:
        return None
    relpath = PurePosixPath(path.relative_to(root).as_posix()).as_posix()
    return FileChange(relpath, data, decoded.encode(new), path.stat().st_mode & 0o777)


def _add_requirement_line(text: str, newline: str) -> str:
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return text + REQUIREMENT + newline


_TOML_DEPENDENCIES = re.compile(r"(?ms)^\[project\][^\[]*?^dependencies\s*=\s*\[(?P<body>.*?)\]")


def _add_to_toml_list(text: str, newline: str) -> str | None:
    match = _TOML_DEPENDENCIES.search(text)
    if match is None:
        return None
    body = match["body"]
    entries = list(re.finditer(r"(?P<quote>[\"'])(?P<value>[^\"']*)(?P=quote)", body))
    if not entries:
        insert = f'"{REQUIREMENT}"'
        return text[: match.start("body")] + insert + text[match.end("body"):]
    last = entries[-1]
    quote = last["quote"]
    if "\n" in body:
        # One entry per line: copy the last entry's indentation, keep a trailing comma if the list uses one.
        line_start = body.rfind("\n", 0, last.start()) + 1
        indent = body[line_start:last.start()]
        after = body[last.end():]
        trailing_comma = after.lstrip(" \t").startswith(",")
        addition = ("," if not trailing_comma else "") + newline + indent + f"{quote}{REQUIREMENT}{quote}" + (
            "," if trailing_comma else "")
        position = match.start("body") + last.end() + (after.index(",") + 1 if trailing_comma else 0)
        return text[:position] + addition + text[position:]
    position = match.start("body") + last.end()
    return text[:position] + f", {quote}{REQUIREMENT}{quote}" + text[position:]


_INSTALL_REQUIRES = re.compile(r"(?m)^install_requires\s*=[^\n]*(?:\n[ \t]+[^\n]*)*")


def _add_to_install_requires(text: str, newline: str) -> str | None:
    match = _INSTALL_REQUIRES.search(text)
    if match is None:
        return None
    block = match.group()
    lines = block.split("\n")
    continuation = next((line for line in reversed(lines[1:]) if line.strip()), None)
    indent = re.match(r"[ \t]*", continuation).group() if continuation else "    "
    end = match.end()
    if text[end - 1 : end] == "\r":
        end -= 1
    return text[:end] + newline + indent + REQUIREMENT + text[end:]
