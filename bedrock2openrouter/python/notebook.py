"""Jupyter notebooks: the code cells, analysed together as the one program they are.

Cells share a namespace (a client made in cell 1 is used in cell 4), so the
code cells are joined into one module, with IPython magics and shell escapes
blanked out line for line, and every finding is mapped back to its cell and
the line within that cell. A cell that does not parse on its own is reported
and left out; the rest of the notebook is still analysed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

from ..findings import FileError, Finding, ParseFailure
from ..parsing import memoised
from ..workspace import SourceFile
from .detect import analyze_code, parse_python

# A line IPython handles itself: %magic, !shell, ?help / obj?, and `x = !cmd` / `x = %magic`.
_MAGIC_LINE = re.compile(r"^\s*(?:[%!?]|\w+\s*=\s*[%!]|[\w.]+\?{1,2}\s*$)")
_CELL_MAGIC = re.compile(r"^\s*%%(\w+)")
# Cell magics whose body is still Python.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})


@dataclass(frozen=True, slots=True)
class NotebookAnalysis:
    findings: list[Finding]
    errors: list[FileError]


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def python_of_cell(source: str) -> str | None:
    """The cell's code with IPython syntax blanked (same line count), or None for a non-Python cell.

    A magic goes as a whole: with the lines its trailing backslashes continue it onto.
    One inside a block leaves ``pass`` at its indentation, so the block still parses.
    """
    lines = source.split("\n")
    first = _CELL_MAGIC.match(lines[0]) if lines else None
    if first is not None:
        if first.group(1) not in _PYTHON_CELL_MAGICS:
            return None  # %%bash, %%sql, %%writefile ...: not Python
        lines[0] = ""
    python: list[str] = []
    continued = False
    for line in lines:
        if continued or _MAGIC_LINE.match(line):
            indent = line[: len(line) - len(line.lstrip())]
            python.append("" if continued or not indent else f"{indent}pass")
            continued = line.rstrip().endswith("\\")
        else:
            python.append(line)
    return "\n".join(python)


@memoised("notebook")
def load_notebook(text: str) -> dict:
    return json.loads(text)


def analyze_notebook(source: SourceFile) -> NotebookAnalysis:
    try:
        notebook = load_notebook(source.text)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError) as error:
        raise ParseFailure(f"not a Jupyter notebook: {error}") from None
    cell_code: dict[int, list[str]] = {}
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            code = python_of_cell(_cell_source(cell))
            if code is not None:
                cell_code[index] = code.split("\n")
    errors: list[FileError] = []
    try:
        findings, origin = _analyze_cells(cell_code, source.relpath)
    except ParseFailure:
        # Only now look at cells one by one: report and drop those that do not parse.
        for index, lines in list(cell_code.items()):
            try:
                parse_python("\n".join(lines))
            except ParseFailure as failure:
                errors.append(FileError(source.relpath, f"cell {index}: {failure.message}", failure.line, failure.column))
                del cell_code[index]
        findings, origin = _analyze_cells(cell_code, source.relpath)
    mapped = []
    for finding in findings:
        cell, line = origin[finding.line - 1]
        mapped.append(replace(finding, line=line, cell=cell, message=f"cell {cell}: {finding.message}"))
    return NotebookAnalysis(mapped, errors)


def _analyze_cells(cell_code: dict[int, list[str]], path: str) -> tuple[list[Finding], list[tuple[int, int]]]:
    """Analyse the cells as one module; also return module line -> (cell, line in cell)."""
    origin = [(index, line) for index, lines in cell_code.items() for line in range(1, len(lines) + 1)]
    module = "\n".join(line for lines in cell_code.values() for line in lines) + "\n"
    findings, _ = analyze_code(module, path)
    return findings, origin
