"""The command line: parse flags, call the engine, hand the result to `report`.

Exit codes, the same for every command: 0 nothing to migrate, 1 something to
migrate (or follow-ups left), 2 usage or input errors, including files that
could not be analysed.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from . import __version__
from .config import ConfigError, load_settings

EXIT_OK, EXIT_FOUND, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="bedrock2openrouter",
    help="Move a code base from Amazon Bedrock to OpenRouter.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class ScanFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"


def _fail(message: str) -> typer.Exit:
    """One plain line on stderr (no markup, no wrapping), then exit 2."""
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(EXIT_ERROR)


def _console(file=None) -> Console:
    # Plain, wide output when not on a terminal (CI logs, pipes); colour only on a TTY.
    target = file or sys.stdout
    interactive = target.isatty()
    return Console(file=target, width=None if interactive else 160, highlight=False, soft_wrap=not interactive)


def _version(value: bool) -> None:
    if value:
        print(f"bedrock2openrouter {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = None,
) -> None:
    """Move a code base from Amazon Bedrock to OpenRouter."""


@app.command()
def scan(
    path: Annotated[Path, typer.Argument(help="Directory to scan.")] = Path("."),
    output_format: Annotated[ScanFormat, typer.Option("--format", help="Output format.")] = ScanFormat.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    exclude: Annotated[
        Optional[list[str]], typer.Option("--exclude", help="Extra gitignore-style pattern to skip (repeatable).")
    ] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Parallel worker processes.")] = None,
) -> None:
    """List every place the code base depends on Bedrock; change nothing."""
    from .engine import scan as run_scan
    from .report import render_table, summary_line, to_json, to_sarif

    if not path.exists():
        raise _fail(f"{path}: no such directory")
    if not path.is_dir():
        raise _fail(f"{path}: not a directory (scan takes the root of a project)")
    try:
        settings = load_settings(path, exclude=tuple(exclude) if exclude else None, jobs=jobs)
    except ConfigError as error:
        raise _fail(str(error)) from None
    result = run_scan(path, settings)

    if output_format is ScanFormat.table:
        if output is None:
            render_table(result, _console())
        else:
            with _open_output(output) as handle:
                render_table(result, Console(file=handle, width=160, highlight=False, no_color=True))
            print(summary_line(result))
    else:
        text = to_json(result) if output_format is ScanFormat.json else to_sarif(result)
        if output is None:
            sys.stdout.write(text)
        else:
            with _open_output(output) as handle:
                handle.write(text)
        sys.stderr.write(summary_line(result) + "\n")
    raise typer.Exit(EXIT_ERROR if result.errors else EXIT_FOUND if result.findings else EXIT_OK)


def _open_output(output: Path):
    try:
        return output.open("w", encoding="utf-8")
    except OSError as error:
        raise _fail(f"{output}: cannot write the report: {error.strerror or error}") from None


def main() -> None:
    app()
