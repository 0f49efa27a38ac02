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
from .snippets import SnippetFormat

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


class CheckFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    github = "github"


def _plan(path: Path, model_map: Path | None, keep_retired: bool, jobs: int | None, out: Path | None = None,
          remove_iam: bool = True, wire_secret: bool = False):
    """Settings, model table and migration plan for PATH; every bad input exits 2 with one line."""
    from .engine import plan_migration

    settings = _settings_for(path, jobs=jobs)
    table = _load_model_map(model_map or settings.model_map, path)
    extra_exclude = ()
    if out is not None and _is_inside(out, path):
        extra_exclude = ("/" + out.resolve().relative_to(path.resolve()).as_posix() + "/",)
    secret = None
    if wire_secret:
        from .snippets import default_secret_name

        secret = default_secret_name(path.resolve().name)
    return plan_migration(path, settings, table, keep_retired=keep_retired, extra_exclude=extra_exclude,
                          remove_iam=remove_iam, wire_secret=secret)


def _is_inside(inner: Path, outer: Path) -> bool:
    inner, outer = inner.resolve(), outer.resolve()
    return inner != outer and outer in inner.parents


@app.command()
def migrate(
    path: Annotated[Path, typer.Argument(help="Root of the project to migrate.")] = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the diff; write nothing at all.")] = False,
    allow_dirty: Annotated[
        bool, typer.Option("--allow-dirty", help="Migrate even with uncommitted or untracked changes.")
    ] = False,
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Where the diff, rollback patch and reports go.")
    ] = None,
    model_map: ModelMapOption = None,
    keep_retired: Annotated[
        bool, typer.Option("--keep-retired", help="Keep retired OpenRouter models instead of their replacements.")
    ] = False,
    no_iac: Annotated[
        bool, typer.Option("--no-iac", help="Leave infrastructure code (IAM grants) as it is.")
    ] = False,
    wire_secret: Annotated[
        bool, typer.Option("--wire-secret", help="In CDK TypeScript stacks, put the OpenRouter secret where the "
                                                 "Bedrock grant was and pass OPENROUTER_SECRET_ARN to the functions.")
    ] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Parallel worker processes.")] = None,
) -> None:
    """Rewrite the project in place, with a reviewed diff and an exact rollback patch."""
    from .artifacts import DEFAULT_OUT, ArtifactError, apply_plan
    from .changeset import render_diff
    from .report import migration_summary_line, mixed_state_warning, print_diff, render_findings, render_problems
    from .workspace import uncommitted_changes

    out_dir = out if out is not None else path / DEFAULT_OUT
    if not dry_run and not allow_dirty and path.is_dir():
        dirty = uncommitted_changes(path, ignore=out_dir)
        if dirty:
            raise _fail(
                f"{path}: the git work tree has {len(dirty)} uncommitted or untracked "
                f"change{'s' if len(dirty) != 1 else ''} (first: {dirty[0]}); commit or stash them, or pass --allow-dirty"
            )
    if wire_secret and no_iac:
        raise _fail("--wire-secret edits infrastructure code: it cannot go with --no-iac")
    plan = _plan(path, model_map, keep_retired, jobs, out_dir, remove_iam=not no_iac, wire_secret=wire_secret)
    console = _console()
    if dry_run:
        print_diff(render_diff(plan.changes), console)
        follow_ups, errors, changed = plan.follow_ups, plan.errors, len(plan.changes)
    elif not plan.changes:
        follow_ups, errors, changed = plan.follow_ups, plan.errors, 0
    else:
        try:
            result = apply_plan(plan, out_dir)
        except ArtifactError as error:
            raise _fail(str(error)) from None
        follow_ups, errors, changed = result.follow_ups, result.errors, len(result.applied)
    errors_console = _console(sys.stderr) if dry_run else console
    render_findings(follow_ups, errors_console)
    render_problems(plan.scan, errors_console)
    for error in errors[len(plan.errors):]:
        errors_console.print(f"[red]error[/red] {error.path}: {error.message}")
    warning = mixed_state_warning(plan, changed)
    if warning:
        errors_console.print(f"[yellow]{warning}[/yellow]")
    if not dry_run and changed:
        for snippet in result.snippets:
            errors_console.print(f"Wrote {out_dir / snippet.path}: wire it into your {snippet.format} stack "
                                 f"for {snippet.function}, then store the key in {snippet.secret_name} (see report.md).")
        errors_console.print(f"Wrote migration.diff, rollback.patch, report.md and report.json to {out_dir}.")
    elif not dry_run:
        errors_console.print("Nothing to change.")
    errors_console.print(
        migration_summary_line(plan.scan.files_scanned, changed, len(follow_ups), len(errors)), highlight=False
    )
    raise typer.Exit(EXIT_ERROR if errors else EXIT_FOUND if follow_ups or (dry_run and changed) else EXIT_OK)


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="Root of the project to check.")] = Path("."),
    output_format: Annotated[CheckFormat, typer.Option("--format", help="Output format.")] = CheckFormat.table,
    diff: Annotated[bool, typer.Option("--diff", help="Also print the diff `migrate` would apply.")] = False,
    model_map: ModelMapOption = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Parallel worker processes.")] = None,
) -> None:
    """What `migrate` would do, without writing: exit 0 when nothing is left to migrate, 1 when something is."""
    from .changeset import render_diff
    from .report import print_diff, render_table, summary_line, to_github, to_json, to_sarif

    plan = _plan(path, model_map, False, jobs)
    result = plan.scan
    console = _console()
    if diff:
        print_diff(render_diff(plan.changes), console)
    if output_format is CheckFormat.table:
        render_table(result, console)
        if plan.changes:
            console.print(f"{len(plan.changes)} file{'s' if len(plan.changes) != 1 else ''} would change: "
                          "run `bedrock2openrouter migrate`.")
    else:
        renderers = {CheckFormat.json: lambda r: to_json(r, plan.changes), CheckFormat.sarif: to_sarif,
                     CheckFormat.github: lambda r: to_github(r.findings, r.errors)}
        sys.stdout.write(renderers[output_format](result))
        sys.stderr.write(summary_line(result) + "\n")
    pending = result.findings or plan.changes
    raise typer.Exit(EXIT_ERROR if result.errors else EXIT_FOUND if pending else EXIT_OK)


@app.command()
def rollback(
    patch: Annotated[
        Optional[Path], typer.Argument(help="The rollback patch [default: ./.bedrock2openrouter/rollback.patch].")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Restore even files changed since the migration.")] = False,
) -> None:
    """Undo a migration from its rollback patch, after checking nothing drifted."""
    from .artifacts import DEFAULT_OUT, ROLLBACK_PATCH
    from .changeset import PatchError, rollback as run_rollback

    patch = patch if patch is not None else Path(DEFAULT_OUT) / ROLLBACK_PATCH
    if not patch.is_file():
        raise _fail(f"{patch}: no such rollback patch")
    try:
        outcome = run_rollback(patch, force=force)
    except PatchError as error:
        raise _fail(f"{patch}: {error}") from None
    if outcome.already_rolled_back:
        print(f"Every file already has its original bytes: nothing to roll back in {outcome.root}.")
        raise typer.Exit(EXIT_OK)
    if outcome.drifted and not force:
        sys.stderr.write(
            f"error: {len(outcome.drifted)} file{'s' if len(outcome.drifted) != 1 else ''} changed since the "
            "migration; nothing was restored (--force restores anyway):\n"
        )
        for path in outcome.drifted:
            sys.stderr.write(f"  {path}\n")
        raise typer.Exit(EXIT_ERROR)
    for path, reason in outcome.failed:
        sys.stderr.write(f"error: {path}: not restored: {reason}\n")
    print(f"Restored {len(outcome.restored)} file{'s' if len(outcome.restored) != 1 else ''} in {outcome.root}"
          + (f" ({len(outcome.drifted)} had changed since the migration)." if outcome.drifted else "."))
    raise typer.Exit(EXIT_ERROR if outcome.failed else EXIT_OK)


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


@app.command()
def snippet(
    output_format: Annotated[
        SnippetFormat, typer.Option("--format", help="The infrastructure format to render.", show_default=False)
    ],
    secret_name: Annotated[
        Optional[str],
        typer.Option("--secret-name", help="The Secrets Manager secret name (default: <project>/openrouter)."),
    ] = None,
    env_var: Annotated[
        Optional[str],
        typer.Option(
            "--env-var",
            help="The variable the snippet sets: the secret's ARN for a function "
            "(default: OPENROUTER_SECRET_ARN); with --ecs, the key itself (default: OPENROUTER_API_KEY).",
        ),
    ] = None,
    function: Annotated[
        Optional[str],
        typer.Option(
            "--function",
            help="The function (or, with --ecs, the task definition or container) to wire: a CDK variable, "
            "a CloudFormation/SAM logical ID, a Terraform resource name or a Serverless function key "
            "(default: chatFunction, chat_function, ChatFunction or chat; with --ecs: chatContainer, "
            "chat_container, ChatTaskDefinition or chat).",
        ),
    ] = None,
    ecs: Annotated[
        bool, typer.Option("--ecs", help="An ECS task: `secrets`/`valueFrom`, read access for the execution role.")
    ] = False,
    create_secret: Annotated[
        bool,
        typer.Option(
            "--create-secret/--import-secret",
            help="Create the (empty) secret in the stack, or import an existing one by name.",
        ),
    ] = False,
    project: Annotated[
        Optional[str], typer.Option("--project", help="Project name for the default secret name (default: this directory's name).")
    ] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the snippet to this file.")] = None,
) -> None:
    """Print the Secrets Manager wiring for one format: the secret, read access for the function's role, its ARN."""
    from .snippets import SnippetError, SnippetFormat, SnippetOptions, render_snippet

    options = SnippetOptions(
        format=SnippetFormat(output_format.value),
        secret_name=secret_name,
        env_var=env_var,
        function=function,
        ecs=ecs,
        create_secret=create_secret,
        project=project if project is not None else Path.cwd().name,
    )
    try:
        text = render_snippet(options)
    except SnippetError as error:
        raise _fail(str(error)) from None
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise _fail(f"{output}: cannot write the snippet: {error.strerror or error}") from None
    sys.stderr.write(f"Wrote the {options.format.value} snippet to {output}.\n")


def main() -> None:
    app()
