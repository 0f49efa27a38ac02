"""Render results: the rich table, JSON, SARIF 2.1.0 and the one-line summary.

Analysers return values; this is the only module that turns them into text.
"""

from __future__ import annotations

import json
from itertools import groupby
from urllib.parse import quote

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from . import __version__
from .changeset import FileChange
from .engine import MigrationPlan, ScanResult
from .findings import RULES, FileError, Finding
from .modelmap import NEEDS_ATTENTION, ModelResolution, ModelRow, Price
from .snippets import render

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "note": "cyan"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(result: ScanResult) -> str:
    """The last line of every scan: what was looked at and what is left."""
    counts = result.summary()
    return (
        f"Scanned {_plural(counts['files_scanned'], 'file')}: "
        f"{_plural(counts['findings'], 'finding')} in {_plural(counts['files_with_findings'], 'file')} "
        f"({counts['fixable']} fixable), {_plural(counts['errors'], 'error')}, "
        f"{counts['skipped']} skipped."
    )


def _location(finding: Finding) -> str:
    where = f"{finding.line}:{finding.column}"
    return f"cell {finding.cell} {where}" if finding.cell is not None else where


def render_findings(findings: list[Finding], console: Console) -> None:
    """Findings grouped by file, one table each."""
    for path, group in groupby(findings, key=lambda finding: finding.path):
        table = Table(title=Text(path, style="bold"), title_justify="left", show_edge=False, pad_edge=False,
                      expand=False, box=None, header_style="dim")
        table.add_column("line", justify="right", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("category", no_wrap=True)
        table.add_column("message")
        for finding in group:
            style = _SEVERITY_STYLE.get(finding.severity, "")
            fix = "" if finding.fixable else " [dim](manual)[/dim]"
            table.add_row(_location(finding), f"[{style}]{finding.rule}[/{style}]", finding.category,
                          escape(finding.message) + fix)
        console.print(table)
        console.print()


def render_problems(result: ScanResult, console: Console) -> None:
    """Files that could not be analysed, then files that were skipped."""
    for error in result.errors:
        where = f":{error.line}" if error.line else ""
        console.print(f"[red]error[/red] {escape(error.path)}{where}: could not be analysed: {escape(error.message)}")
    for skipped in result.skipped:
        console.print(f"[dim]skipped {escape(skipped.path)}: {escape(skipped.reason)}[/dim]")


def render_table(result: ScanResult, console: Console) -> None:
    """Findings grouped by file, then errors and skipped files, then the summary."""
    render_findings(result.findings, console)
    render_problems(result, console)
    if not result.findings and not result.errors:
        console.print("No Bedrock dependency found.")
    console.print(summary_line(result), highlight=False)


def to_json(result: ScanResult, changes: list[FileChange] | None = None) -> str:
    """The scan as JSON; with ``changes`` (from `check`), also what `migrate` would change."""
    document: dict[str, object] = {
        "version": __version__,
        "root": str(result.root),
        "findings": [finding.to_dict() for finding in result.findings],
        "errors": [error.to_dict() for error in result.errors],
        "skipped": [{"path": skipped.path, "reason": skipped.reason} for skipped in result.skipped],
        "summary": result.summary(),
    }
    if changes is not None:
        document["changes"] = [{"path": change.path, "kind": change.kind.value} for change in changes]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _artifact(path: str) -> dict[str, str]:
    return {"uri": quote(path, safe="/"), "uriBaseId": "%SRCROOT%"}


def to_sarif(result: ScanResult) -> str:
    """A SARIF 2.1.0 log as GitHub code scanning accepts it: rules with help, relative locations."""
    rules = list(RULES.values())
    index = {rule.code: position for position, rule in enumerate(rules)}
    results = []
    for finding in result.findings:
        region: dict[str, int] = {"startLine": finding.line, "startColumn": finding.column}
        if finding.end_line is not None:
            region["endLine"] = finding.end_line
            if finding.end_column is not None:
                region["endColumn"] = finding.end_column
        results.append({
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": finding.severity,
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(finding.path), "region": region}}],
        })
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{error.path}: could not be analysed: {error.message}"},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(error.path),
                                                **({"region": {"startLine": error.line}} if error.line else {})}}],
        }
        for error in result.errors
    ]
    driver = {
        "name": "bedrock2openrouter",
        "version": __version__,
        "rules": [
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": f"{rule.summary}. {rule.help}"},
                "help": {"text": rule.help, "markdown": f"**{rule.summary}** ({rule.category.value}). {rule.help}"},
                "defaultConfiguration": {"level": rule.severity.value},
                "properties": {"category": rule.category.value, "fixable": rule.fixable},
            }
            for rule in rules
        ],
    }
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": result.root.as_uri() + "/"}},
            "invocations": [{"executionSuccessful": not result.errors, "toolExecutionNotifications": notifications}],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"



# -- models -------------------------------------------------------------------------------

_RESOLUTION_STYLE = {"exact": "green", "approximate": "yellow", "replaced": "yellow"}


def _price_text(price: Price | None) -> str:
    if price is None:
        return "unknown"
    parts = [f"${value:,.2f} {label}" for label, value in (("in", price.input), ("out", price.output)) if value is not None]
    return " / ".join(parts)


def _status_markup(status: str) -> str:
    style = _RESOLUTION_STYLE.get(status, "red")
    return f"[{style}]{status}[/{style}]"


def model_resolution_dict(resolution: ModelResolution) -> dict[str, object]:
    data = resolution.to_dict()
    row = resolution.row
    if row is not None and row.context:
        data["context"] = dict(row.context)
    if row is not None and row.price:
        data["price"] = {side: {k: v for k, v in (("input", p.input), ("output", p.output)) if v is not None}
                         for side, p in row.price.items()}
    return data


def render_model_resolution(resolution: ModelResolution, console: Console) -> None:
    """`models show`: the answer, how it was reached, and both sides' context and prices."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    normalized = resolution.normalized or "-"
    if resolution.steps:
        normalized += f"  [dim](stripped: {', '.join(resolution.steps)})[/dim]"
    table.add_row("input", escape(resolution.input))
    table.add_row("normalized", normalized)
    table.add_row("kind", resolution.kind or "-")
    table.add_row("status", _status_markup(resolution.status.value))
    table.add_row("openrouter_id", escape(resolution.openrouter_id or "-"))
    row = resolution.row
    if row is not None:
        for side, model in (("bedrock", row.bedrock_id), ("openrouter", row.openrouter_id)):
            if model is None:
                continue
            context = row.context.get(side)
            context_text = f", context {context:,} tokens" if context else ""
            table.add_row(f"{side} price", f"{_price_text(row.price.get(side))} per 1M tokens{context_text} ({escape(model)})")
    table.add_row("note", escape(resolution.note or "-"))
    console.print(table)


def model_row_dict(row: ModelRow) -> dict[str, object]:
    return {
        "bedrock_id": row.bedrock_id, "kind": row.kind, "openrouter_id": row.openrouter_id,
        "match": row.match, "status": row.status, "replacement": row.replacement, "note": row.note,
    }


def render_model_rows(rows: list[ModelRow], console: Console) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("bedrock_id", "kind", "openrouter_id", "status"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        if row.openrouter_id is None:
            target, status = "-", "no equivalent"
        elif row.status == "retired":
            target, status = f"{row.replacement} (for retired {row.openrouter_id})", "replaced"
        else:
            target, status = row.openrouter_id, row.match or "exact"
        table.add_row(row.bedrock_id, row.kind, escape(target), status)
    console.print(table)
    console.print(f"{_plural(len(rows), 'model')}.", highlight=False)


def render_model_check(pairs: list[tuple[Finding, ModelResolution]], console: Console) -> None:
    """`models check`: every model ID in the tree with its resolution, then what needs a decision."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("location", "model", "status", "openrouter_id"):
        table.add_column(column, no_wrap=column != "model")
    for finding, resolution in pairs:
        table.add_row(f"{finding.path}:{_location(finding)}", escape(resolution.input),
                      _status_markup(resolution.status.value), escape(resolution.openrouter_id or "-"))
    if pairs:
        console.print(table)
    attention = sum(resolution.status in NEEDS_ATTENTION for _, resolution in pairs)
    distinct = len({resolution.input for _, resolution in pairs})
    console.print(
        f"{_plural(len(pairs), 'model reference')} ({distinct} distinct): "
        f"{attention} unknown, opaque or without an OpenRouter equivalent.",
        highlight=False,
    )


# -- migrate and check ---------------------------------------------------------------------


def migration_summary_line(files_scanned: int, changed: int, follow_ups: int, errors: int) -> str:
    """The last line of `migrate`: files scanned, changed, follow-ups, errors."""
    return (
        f"Scanned {_plural(files_scanned, 'file')}: changed {changed}, "
        f"{_plural(follow_ups, 'follow-up')}, {_plural(errors, 'error')}."
    )


def print_diff(diff: bytes, console: Console) -> None:
    """Coloured on a terminal; byte for byte otherwise, so the output is itself a valid patch."""
    if not console.is_terminal:
        console.file.flush()
        buffer = getattr(console.file, "buffer", None)
        if buffer is not None:
            buffer.write(diff)
            buffer.flush()
        else:
            console.file.write(diff.decode("utf-8", "replace"))
        return
    styles = ((b"+++", "bold"), (b"---", "bold"), (b"diff --git", "bold"), (b"@@", "cyan"), (b"+", "green"), (b"-", "red"))
    for line in diff.splitlines():
        style = next((style for prefix, style in styles if line.startswith(prefix)), "")
        console.print(Text(line.decode("utf-8", "replace"), style=style), soft_wrap=True)


def render_report_markdown(plan: MigrationPlan, applied: list[FileChange], follow_ups: list[Finding],
                           errors: list[FileError], rollback_patch: str, removed: list, snippets: list) -> str:
    return render(
        "report.md.j2",
        removed=removed,
        snippets=snippets,
        summary_line=migration_summary_line(plan.scan.files_scanned, len(applied), len(follow_ups), len(errors)),
        changes=applied,
        follow_ups=follow_ups,
        errors=errors,
        skipped=plan.scan.skipped,
        rules=RULES,
        rollback_patch=rollback_patch,
        warning=mixed_state_warning(plan, len(applied)),
    )


def render_report_json(plan: MigrationPlan, applied: list[FileChange], follow_ups: list[Finding],
                       errors: list[FileError], removed: list, snippets: list) -> str:
    document = {
        "version": __version__,
        "root": str(plan.scan.root),
        "changes": [{"path": change.path, "kind": change.kind.value} for change in applied],
        "iam_removed": [{"path": path, "line": edit.finding.line, "description": edit.description,
                         "principal": edit.principal} for path, edit in removed],
        "snippets": [{"path": snippet.path, "format": snippet.format, "function": snippet.function,
                      "secret_name": snippet.secret_name, "for": list(snippet.sources)} for snippet in snippets],
        "follow_ups": [finding.to_dict() for finding in follow_ups],
        "errors": [error.to_dict() for error in errors],
        "skipped": [{"path": skipped.path, "reason": skipped.reason} for skipped in plan.scan.skipped],
        "summary": {
            "files_scanned": plan.scan.files_scanned,
            "files_changed": len(applied),
            "follow_ups": len(follow_ups),
            "errors": len(errors),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_github(findings: list[Finding], errors: list[FileError]) -> str:
    """GitHub Actions workflow commands: one annotation per finding and per file error."""
    def escape_data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def escape_property(text: str) -> str:
        return escape_data(text).replace(":", "%3A").replace(",", "%2C")

    levels = {"error": "error", "warning": "warning", "note": "notice"}
    lines = []
    for finding in findings:
        properties = f"file={escape_property(finding.path)},line={finding.line},col={finding.column}"
        if finding.end_line is not None:
            properties += f",endLine={finding.end_line}"
        title = escape_property(f"{finding.rule} {RULES[finding.rule].name}")
        lines.append(f"::{levels[finding.severity]} {properties},title={title}::{escape_data(finding.message)}")
    for error in errors:
        where = f",line={error.line}" if error.line else ""
        lines.append(f"::error file={escape_property(error.path)}{where},title=could not be analysed::"
                     f"{escape_data(error.message)}")
    return "".join(line + "\n" for line in lines)


def mixed_state_warning(plan: MigrationPlan, changed: int) -> str | None:
    """Said whenever the run changed files while Bedrock calls remain: what stays with them, and until when."""
    remaining = plan.still_calling_bedrock
    if not changed or not remaining:
        return None
    return (
        f"Warning: {_plural(len(remaining), 'file')} still {'calls' if len(remaining) == 1 else 'call'} Bedrock "
        f"({', '.join(remaining[:3])}"
        f"{', ...' if len(remaining) > 3 else ''}). Model IDs they may receive stay Bedrock IDs, and Bedrock IAM "
        "grants stay, until they are migrated."
    )
