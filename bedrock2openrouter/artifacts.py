"""Apply a migration plan and leave its record: diff, rollback patch, reports.

The order protects the user's bytes: the rollback patch for the whole plan is
written before the first file changes, so even an interrupted run can be undone;
once the files are written, every artifact is rewritten for what was really
applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .changeset import FileChange, apply_changes, render_diff, render_rollback_patch, write_atomically
from .engine import MigrationPlan, sorted_findings
from .findings import FileError, Finding
from .report import render_report_json, render_report_markdown

DEFAULT_OUT = ".bedrock2openrouter"
ROLLBACK_PATCH = "rollback.patch"


class ArtifactError(RuntimeError):
    """The output folder cannot take this run's record; nothing was changed."""


@dataclass(frozen=True, slots=True)
class WrittenSnippet:
    path: str  # relative to the output folder
    format: str
    function: str  # the function or role it wires, as detected in the removed grants
    secret_name: str
    sources: tuple[str, ...]  # the infrastructure files it is for


@dataclass(slots=True)
class AppliedMigration:
    applied: list[FileChange]
    follow_ups: list[Finding]
    errors: list[FileError]  # the plan's analysis errors plus files that could not be written
    out: Path
    snippets: list[WrittenSnippet]


def apply_plan(plan: MigrationPlan, out: Path) -> AppliedMigration:
    root = plan.scan.root
    patch = out / ROLLBACK_PATCH
    if patch.exists():
        raise ArtifactError(
            f"{patch} holds the rollback patch of an earlier migration: run `bedrock2openrouter rollback {patch}` "
            "first, or move it away, or pass --out"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_atomically(patch, render_rollback_patch(plan.changes, root))
    except OSError as error:
        raise ArtifactError(f"{out}: cannot write the rollback patch: {error.strerror or error}") from None
    applied, failed = apply_changes(root, plan.changes)
    errors = plan.errors + [FileError(path, reason) for path, reason in failed]
    unchanged = {path for path, _ in failed}  # what is left there is what was there
    follow_ups = sorted_findings(
        [f for f in plan.follow_ups if f.path not in unchanged] + [f for f in plan.scan.findings if f.path in unchanged]
    )
    write_atomically(patch, render_rollback_patch(applied, root))
    applied_paths = {change.path for change in applied}
    removed = [(path, edit) for path, edit in plan.iam_edits if path in applied_paths]
    snippets = write_snippets(root, removed, out / "snippets")
    write_atomically(out / "migration.diff", render_diff(applied))
    relative_patch = _display_path(patch, root)
    write_atomically(out / "report.md", render_report_markdown(plan, applied, follow_ups, errors, relative_patch, removed, snippets).encode("utf-8"))
    write_atomically(out / "report.json", render_report_json(plan, applied, follow_ups, errors, removed, snippets).encode("utf-8"))
    return AppliedMigration(applied, follow_ups, errors, out, snippets)


def write_snippets(root: Path, removed: list, folder: Path) -> list[WrittenSnippet]:
    """One Secrets Manager snippet per infrastructure format whose Bedrock grants were removed."""
    from .snippets import options_for, render_snippet, snippet_format_for, file_name

    by_format: dict = {}
    wired = {path for path, edit in removed if edit.wires_secret}
    for path, edit in removed:
        if path in wired:
            continue  # --wire-secret already put the secret into this stack
        fmt = snippet_format_for(path, (root / path).read_text(encoding="utf-8", errors="replace"))
        if fmt is not None:
            principals, sources = by_format.setdefault(fmt, ([], []))
            if edit.principal:
                principals.append(edit.principal)
            if path not in sources:
                sources.append(path)
    written = []
    for fmt, (principals, sources) in sorted(by_format.items()):
        options = options_for(fmt, principals[0] if principals else None, root.name)
        target = folder / file_name(fmt)
        write_atomically(target, render_snippet(options).encode("utf-8"))
        written.append(WrittenSnippet(f"snippets/{target.name}", fmt.value, options.function, options.secret_name,
                                      tuple(sources)))
    return written


def _display_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
