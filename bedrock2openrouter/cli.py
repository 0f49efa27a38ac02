"""The command line: parse flags, call the engine, hand the result to `report`.

Exit codes, the same for every command: 0 nothing to migrate, 1 something to
migrate (or follow-ups left), 2 usage or input errors, including files that
could not be analysed.
"""

from __future__ import annotations

import json
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

    settings = _settings_for(path, exclude=tuple(exclude) if exclude else None, jobs=jobs)
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


models_app = typer.Typer(
    help="The model table: what each Bedrock model becomes on OpenRouter.", no_args_is_help=True
)
app.add_typer(models_app, name="models")

ModelMapOption = Annotated[
    Optional[Path], typer.Option("--model-map", help="A YAML file whose rows override or extend the packaged table.")
]


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def _load_model_map(model_map: Path | None, project: Path = Path(".")):
    from .modelmap import ModelMap, ModelMapError

    try:
        if model_map is None:
            model_map = load_settings(project).model_map if project.is_dir() else None
        return ModelMap.load(model_map)
    except (ModelMapError, ConfigError) as error:
        raise _fail(str(error)) from None


@models_app.command("list")
def models_list(
    kind: Annotated[Optional[str], typer.Option("--kind", help="Only this kind: chat, embedding, image, rerank, speech.")] = None,
    output_format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
    model_map: ModelMapOption = None,
) -> None:
    """Every row of the model table."""
    from .report import model_row_dict, render_model_rows

    kinds = ("chat", "embedding", "image", "rerank", "speech")
    if kind is not None and kind not in kinds:
        raise _fail(f"--kind must be one of {', '.join(kinds)}, not {kind!r}")
    rows = _load_model_map(model_map).rows_of_kind(kind)
    if output_format is ListFormat.json:
        sys.stdout.write(json.dumps([model_row_dict(row) for row in rows], indent=2) + "\n")
    else:
        render_model_rows(rows, _console())


@models_app.command("show")
def models_show(
    model: Annotated[str, typer.Argument(metavar="ID", help="A Bedrock model ID, inference-profile ID or model ARN.")],
    output_format: Annotated[ListFormat, typer.Option("--format", help="Output format.")] = ListFormat.table,
    model_map: ModelMapOption = None,
) -> None:
    """How one Bedrock model ID resolves, with both sides' prices."""
    from .report import model_resolution_dict, render_model_resolution

    resolution = _load_model_map(model_map).resolve(model)
    if output_format is ListFormat.json:
        sys.stdout.write(json.dumps(model_resolution_dict(resolution), indent=2) + "\n")
    else:
        render_model_resolution(resolution, _console())


@models_app.command("check")
def models_check(
    path: Annotated[Path, typer.Argument(help="Directory to scan.")] = Path("."),
    model_map: ModelMapOption = None,
) -> None:
    """Every model ID in a tree with its resolution; exit 1 if any is unknown, opaque or has no equivalent."""
    from .engine import scan as run_scan
    from .modelmap import NEEDS_ATTENTION, resolve_findings
    from .report import render_model_check

    settings = _settings_for(path)
    table = _load_model_map(model_map or settings.model_map, path)
    result = run_scan(path, settings)
    pairs = resolve_findings(result.findings, table)
    console = _console()
    render_model_check(pairs, console)
    for error in result.errors:
        sys.stderr.write(f"error: {error.path}: could not be analysed: {error.message}\n")
    if result.errors:
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(EXIT_FOUND if any(r.status in NEEDS_ATTENTION for _, r in pairs) else EXIT_OK)


def _settings_for(path: Path, **overrides: object):
    """Settings for a command that takes a project directory; a bad path or setting exits 2."""
    if not path.exists():
        raise _fail(f"{path}: no such directory")
    if not path.is_dir():
        raise _fail(f"{path}: not a directory (give the root of a project)")
    try:
        return load_settings(path, **overrides)
    except ConfigError as error:
        raise _fail(str(error)) from None


def _open_output(output: Path):
    try:
        return output.open("w", encoding="utf-8")
    except OSError as error:
        raise _fail(f"{output}: cannot write the report: {error.strerror or error}") from None


def main() -> None:
    app()
