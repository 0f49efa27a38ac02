"""Walk → analyse (per file, in parallel) → results, or a migration plan.

Every file ends in exactly one of: findings (possibly none), an error that
names the file and why, or a skip with its reason. Nothing escapes as a
traceback: an analyser that crashes on a file is that file's error.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TypeVar

from .changeset import FileChange
from .config import Settings
from .findings import Category, FileError, Finding, ParseFailure
from .modelmap import ModelMap
from .python.context import NO_CONTEXT, AnalysisContext
from .python.project import ProjectIndex, build_index
from .workspace import PYTHON_SUFFIXES, Skipped, SourceFile, UndecodableFile, WalkResult, walk

T = TypeVar("T")

JS_SUFFIXES = frozenset({".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"})
IAC_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".tf", ".hcl"})

# Below this many files a process pool costs more than it saves.
_PARALLEL_THRESHOLD = 64
_MENTIONS_BEDROCK = re.compile(r"bedrock", re.IGNORECASE)


@dataclass(slots=True)
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


@dataclass(slots=True)
class ScanResult:
    root: Path
    findings: list[Finding]
    errors: list[FileError]
    skipped: list[Skipped]
    files_scanned: int  # every file the walk looked at
    files_parsed: int  # files that passed the byte prefilter and went to an analyser

    @property
    def files_with_findings(self) -> int:
        return len({finding.path for finding in self.findings})

    def summary(self) -> dict[str, object]:
        return {
            "files_scanned": self.files_scanned,
            "files_parsed": self.files_parsed,
            "files_with_findings": self.files_with_findings,
            "findings": len(self.findings),
            "fixable": sum(finding.fixable for finding in self.findings),
            "errors": len(self.errors),
            "skipped": len(self.skipped),
            "categories": {
                category.value: sum(finding.category == category for finding in self.findings) for category in Category
            },
        }


def _analyze_python(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> FileResult:
    from .python.detect import analyze

    return FileResult(source.relpath, analyze(source, context))


def _analyze_notebook(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> FileResult:
    from .python.notebook import analyze_notebook

    analysis = analyze_notebook(source)
    return FileResult(source.relpath, analysis.findings, analysis.errors)


def _analyze_javascript(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> FileResult:
    from .javascript.detect import analyze
    from .textids import scan_text

    structural = analyze(source) if _MENTIONS_BEDROCK.search(source.text) else []
    return FileResult(source.relpath, _without_covered_references(structural, scan_text(source)))


def _analyze_infrastructure(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> FileResult:
    from .iac import analyze
    from .textids import scan_text

    structural = analyze(source) if _MENTIONS_BEDROCK.search(source.text) else []
    return FileResult(source.relpath, _without_covered_references(structural, scan_text(source)))


def _analyze_text(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> FileResult:
    from .textids import DOCUMENT_SUFFIXES, scan_text

    if source.suffix in DOCUMENT_SUFFIXES:
        return FileResult(source.relpath)
    return FileResult(source.relpath, scan_text(source))


def analyzer_for(source: SourceFile) -> Callable[[SourceFile, AnalysisContext], FileResult]:
    suffix = source.suffix
    if suffix in PYTHON_SUFFIXES:
        return _analyze_python
    if suffix == ".ipynb":
        return _analyze_notebook
    if suffix in JS_SUFFIXES:
        return _analyze_javascript
    if suffix in IAC_SUFFIXES:
        return _analyze_infrastructure
    return _analyze_text


def analyze_file(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> FileResult:
    """Findings for one file; any failure becomes that file's error, never the run's."""
    try:
        return analyzer_for(source)(source, context)
    except ParseFailure as failure:
        return FileResult(source.relpath, errors=[FileError(source.relpath, failure.message, failure.line, failure.column)])
    except UndecodableFile as error:
        return FileResult(source.relpath, errors=[FileError(source.relpath, f"cannot be decoded: {error}")])
    except RecursionError:
        return FileResult(source.relpath, errors=[FileError(source.relpath, "too deeply nested to analyse")])
    except Exception as error:  # noqa: BLE001 - one bad file must not end the run
        return FileResult(
            source.relpath, errors=[FileError(source.relpath, f"internal error while analysing: {type(error).__name__}: {error}")]
        )


def _without_covered_references(structural: list[Finding], references: list[Finding]) -> list[Finding]:
    """Model IDs inside an IAM statement belong to that statement: it goes as a whole."""
    spans = [
        (finding.line, finding.column, finding.end_line, finding.end_column or 10**9)
        for finding in structural
        if finding.category == Category.IAM and finding.end_line is not None
    ]

    def covered(finding: Finding) -> bool:
        return any((start_line, start_column) <= (finding.line, finding.column) <= (end_line, end_column)
                   for start_line, start_column, end_line, end_column in spans)

    return structural + [finding for finding in references if not covered(finding)]


def _walk(root: Path, settings: Settings, extra_exclude: tuple[str, ...] = ()) -> WalkResult:
    return walk(
        root,
        exclude=(*settings.exclude, *extra_exclude),
        max_file_size=settings.max_file_size,
        respect_gitignore=settings.respect_gitignore,
    )


def _per_file(function: Callable[[SourceFile], T], files: list[SourceFile], jobs: int) -> list[T]:
    """``function`` over every file, in a process pool when the tree is large enough to gain from one."""
    if jobs > 1 and len(files) >= _PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(function, files, chunksize=8))
    return [function(source) for source in files]


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.cell if f.cell is not None else -1, f.line, f.column, f.rule))


def _sorted_errors(errors: Iterable[FileError]) -> list[FileError]:
    return sorted(errors, key=lambda e: (e.path, e.line or 0))


def _scan_result(root: Path, walked: WalkResult, results: Iterable[FileResult | FileOutcome]) -> ScanResult:
    results = list(results)
    return ScanResult(
        root.resolve(),
        sorted_findings(finding for result in results for finding in result.findings),
        _sorted_errors(error for result in results for error in result.errors),
        walked.skipped,
        walked.files_seen,
        len(walked.files),
    )


def scan(root: Path, settings: Settings | None = None) -> ScanResult:
    settings = settings or Settings()
    walked = _walk(root, settings)
    results = _per_file(analyze_file, walked.files, settings.jobs)
    if any(f.category == Category.CALL for result in results for f in result.findings):
        candidates = [source.relpath for source in walked.files if source.suffix in PYTHON_SUFFIXES]
        index = build_index(root.resolve(), walked.python_paths, candidates)
        analyze = partial(_analyze_in_project, index=index)
        results = _second_pass(index, walked.files, results, [s.data for s in walked.files],
                               [r.findings for r in results], analyze, settings.jobs)
    return _scan_result(root, walked, results)


def _analyze_in_project(source: SourceFile, index: ProjectIndex) -> FileResult:
    context = index.context(source.relpath) if source.suffix in PYTHON_SUFFIXES else NO_CONTEXT
    return analyze_file(source, context)


def _second_pass(index: ProjectIndex, files: list[SourceFile], results: list[T], contents: list[bytes],
                 findings: list[list[Finding]], redo: Callable[[SourceFile], T], jobs: int) -> list[T]:
    """Look again at Converse calls on clients made elsewhere, once the whole project has been seen.

    When no Bedrock client is left anywhere and the migrated ones that can leave
    their module answer through BedrockRuntimeCompat, such a call is served by
    OpenRouter: it no longer counts as a Bedrock call, and its file may move on.
    """
    index.untraced_calls_migrated = (
        not any(f.rule == "B2O101" for found in findings for f in found)
        and any(b"BedrockRuntimeCompat(" in data for data in contents)
    )
    if not (index.untraced_calls_migrated or index.compat_names):
        return results
    again = [i for i, found in enumerate(findings) if any(f.category == Category.CALL and _still_bedrock(f) for f in found)]
    redone = _per_file(redo, [files[i] for i in again], jobs)
    results = list(results)
    for position, result in zip(again, redone):
        results[position] = result
    return results


# -- migration ---------------------------------------------------------------------------


_STILL_BEDROCK = frozenset({Category.CLIENT, Category.CALL, Category.FRAMEWORK})
_MIGRATED_NOTES = frozenset({"B2O106"})  # calls that now reach OpenRouter through the compatibility layer


def _still_bedrock(finding: Finding) -> bool:
    return finding.category in _STILL_BEDROCK and finding.rule not in _MIGRATED_NOTES


@dataclass(slots=True)
class FileOutcome:
    """What migrating one file means: its findings now, its change, and what is left after it."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    change: FileChange | None = None
    follow_ups: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    helper_path: str | None = None  # the generated helper module the migrated file imports
    uses_compat: bool = False  # ... with its Bedrock-shaped functions
    compat_exports: set[str] = field(default_factory=set)  # qualified names now holding a BedrockRuntimeCompat
    iam_edits: list = field(default_factory=list)  # SpanEdits applied: Bedrock IAM grants removed


@dataclass(slots=True)
class MigrationPlan:
    scan: ScanResult  # the tree as it is
    changes: list[FileChange]
    follow_ups: list[Finding]  # what a person must still do once the changes are applied
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def errors(self) -> list[FileError]:
        return self.scan.errors

    @property
    def iam_edits(self) -> list[tuple[str, object]]:
        """(path, SpanEdit) of every Bedrock IAM grant the plan removes."""
        return [(outcome.path, edit) for outcome in self.outcomes for edit in outcome.iam_edits]

    @property
    def still_calling_bedrock(self) -> list[str]:
        """Files whose Bedrock calls the plan leaves: IDs changed elsewhere may still be sent to them."""
        return sorted({finding.path for finding in self.follow_ups if _still_bedrock(finding)})


def migrate_file(
    source: SourceFile,
    model_map: ModelMap,
    keep_retired: bool = False,
    index: ProjectIndex | None = None,
    keep_iam: str | None = None,
    wire_secret: str | None = None,
) -> FileOutcome:
    """Rewrite one file: its SDK calls first, then its model IDs.

    Each step's output is analysed again, so follow-ups are whatever really
    remains, and a step whose output would not parse is dropped and reported.
    """
    from .textids import explain_kept, rewrite_model_ids

    is_python = source.suffix in PYTHON_SUFFIXES
    context = index.context(source.relpath) if index is not None and is_python else NO_CONTEXT
    before = analyze_file(source, context)
    outcome = FileOutcome(source.relpath, before.findings, errors=before.errors, follow_ups=before.findings)
    if before.errors:
        return outcome
    current, current_findings, notes = source, before.findings, []
    if keep_iam is None and any(f.category == Category.IAM and f.fixable for f in before.findings):
        removed = _remove_iam_statements(source, wire_secret)
        if removed is not None:
            text, applied, dropped, wiring = removed
            if wiring is not None:
                notes.append(replace(applied[0].finding if applied else before.findings[0],
                                     rule="B2O601", message=f"--wire-secret: {wiring}", fixable=False))
            candidate = source.with_data(source.decoded.encode(text)) if applied else source
            result = analyze_file(candidate, context) if applied else before
            if result.errors:
                outcome.errors = [FileError(source.relpath, f"IAM edit dropped: {e.message}", e.line) for e in result.errors]
                return outcome
            current, current_findings = candidate, result.findings
            outcome.iam_edits = applied
            notes += [replace(edit.finding, message=f"{edit.finding.message}; not removed: the edit broke the file "
                                                     f"({reason})", fixable=False) for edit, reason in dropped]
    if is_python and index is not None and any(_still_bedrock(f) for f in current_findings):
        migrated = _migrate_python(current, context, index)
        if migrated is not None:
            rewrite, helper_path = migrated
            candidate = current.with_data(current.decoded.encode(rewrite.code))
            result = analyze_file(candidate, context)
            if result.errors:
                outcome.errors = [FileError(source.relpath, f"SDK rewrite dropped: {e.message}", e.line) for e in result.errors]
                return outcome
            current, current_findings, notes = candidate, result.findings, notes + list(rewrite.notes)
            outcome.helper_path, outcome.uses_compat = helper_path, rewrite.uses_compat
            outcome.compat_exports = {f"{context.module}.{name}" for name in rewrite.compat_exports}
    if any(_still_bedrock(f) for f in current_findings):
        # A file that still calls Bedrock keeps the Bedrock IDs its calls need.
        follow_ups = explain_kept(current_findings, model_map, "this file still calls Bedrock, which needs Bedrock IDs")
    else:
        text, id_notes = rewrite_model_ids(current, current_findings, model_map, keep_retired=keep_retired)
        if text != current.text:
            candidate = current.with_data(current.decoded.encode(text))
            result = analyze_file(candidate, context)
            if result.errors:
                outcome.errors = [FileError(source.relpath, f"model ID rewrite dropped: {e.message}", e.line)
                                  for e in result.errors]
                return outcome
            current, current_findings, notes = candidate, result.findings, notes + id_notes
        follow_ups = explain_kept(current_findings, model_map)
    if current is not source:
        outcome.change = FileChange(source.relpath, source.data, current.data, _mode(source))
        # Environment variables that default to a migrated ID: the deployed value still has to change.
        notes += [f for f in before.findings if f.rule == "B2O405" and f not in follow_ups]
    if keep_iam is not None:
        # Bedrock grants stay while code still calls Bedrock: say why on each of them.
        follow_ups = [replace(f, message=f"{f.message.removesuffix(': remove it')}: kept while {keep_iam}")
                      if f.category == Category.IAM and f.fixable else f for f in follow_ups]
    outcome.follow_ups = follow_ups + notes
    return outcome


def _remove_iam_statements(source: SourceFile, wire_secret: str | None):
    """Remove the Bedrock IAM grants of one infrastructure file: (text, applied, dropped, wiring note), or None.

    With ``wire_secret`` (a secret name), a CDK TypeScript stack gets the secret in the place of its grant.
    """
    from .iac import removal_edits_for
    from .iac.edits import apply_span_edits

    found = removal_edits_for(source)
    if found is None:
        return None
    edits, reparse = found
    if not edits:
        return None
    note = None
    if wire_secret is not None and source.suffix in (".ts", ".mts", ".cts"):
        from .iac.wire_secret import wire_secret_edits

        edits, note = wire_secret_edits(source, edits, wire_secret)
    result = apply_span_edits(source.text, edits, reparse)
    return result.text, result.applied, result.dropped, note


def _migrate_python(source: SourceFile, context: AnalysisContext, index: ProjectIndex):
    from .python.migrate import rewrite_module

    place = index.placements.get(source.relpath)
    if place is None:
        return None
    rewrite = rewrite_module(source.text, source.relpath, context, place.helper_import)
    return (rewrite, place.helper_path) if rewrite is not None else None


def _mode(source: SourceFile) -> int:
    try:
        return stat.S_IMODE(source.path.stat().st_mode)
    except OSError:
        return 0o644


def plan_migration(
    root: Path,
    settings: Settings | None = None,
    model_map: ModelMap | None = None,
    *,
    keep_retired: bool = False,
    extra_exclude: tuple[str, ...] = (),
    remove_iam: bool = True,
    wire_secret: str | None = None,
) -> MigrationPlan:
    """Everything ``migrate`` would do to ``root``, computed without writing anything."""
    settings = settings or Settings()
    model_map = model_map or ModelMap.load(settings.model_map)
    walked = _walk(root, settings, extra_exclude)
    candidates = [source.relpath for source in walked.files if source.suffix in PYTHON_SUFFIXES]
    index = build_index(root.resolve(), walked.python_paths, candidates)
    migrate = partial(migrate_file, model_map=model_map, keep_retired=keep_retired, index=index,
                      keep_iam=None if remove_iam else "--no-iac is given", wire_secret=wire_secret)
    outcomes = _per_file(migrate, walked.files, settings.jobs)
    index.compat_names = frozenset(name for outcome in outcomes for name in outcome.compat_exports)
    final = [outcome.change.new if outcome.change and outcome.change.new else source.data
             for outcome, source in zip(outcomes, walked.files)]
    outcomes = _second_pass(index, walked.files, outcomes, final, [o.follow_ups for o in outcomes], migrate,
                            settings.jobs)
    remaining = sorted({o.path for o in outcomes if any(_still_bedrock(f) for f in o.follow_ups)})
    edited = [i for i, outcome in enumerate(outcomes) if outcome.iam_edits]
    if remaining and edited:
        reason = (f"{len(remaining)} file{' still calls' if len(remaining) == 1 else 's still call'} Bedrock "
                  f"({', '.join(remaining[:3])}{', ...' if len(remaining) > 3 else ''})")
        redone = _per_file(partial(migrate, keep_iam=reason), [walked.files[i] for i in edited], settings.jobs)
        for position, outcome in zip(edited, redone):
            outcomes[position] = outcome
    scanned = _scan_result(root, walked, outcomes)
    changes = [outcome.change for outcome in outcomes if outcome.change is not None]
    changes += _helper_changes(root.resolve(), outcomes) + _dependency_changes(root.resolve(), outcomes)
    follow_ups = sorted_findings(finding for outcome in outcomes for finding in outcome.follow_ups)
    return MigrationPlan(scanned, sorted(changes, key=lambda change: change.path), follow_ups, outcomes)


def _helper_changes(root: Path, outcomes: list[FileOutcome]) -> list[FileChange]:
    """One generated helper module per place migrated files import it from."""
    from .snippets import render

    compat: dict[str, bool] = {}
    for outcome in outcomes:
        if outcome.helper_path is not None:
            compat[outcome.helper_path] = compat.get(outcome.helper_path, False) or outcome.uses_compat
    changes = []
    for helper_path, needs_compat in sorted(compat.items()):
        target = root / helper_path
        existing = target.read_bytes() if target.is_file() else None
        if existing is not None and needs_compat is False and b"def bedrock_converse" in existing:
            continue  # an earlier run generated the fuller helper: keep it
        content = render("python/_openrouter.py.j2", compat=needs_compat).encode("utf-8")
        if content != existing:
            changes.append(FileChange(helper_path, existing, content, 0o644))
    return changes


def _dependency_changes(root: Path, outcomes: list[FileOutcome]) -> list[FileChange]:
    from .dependencies import add_openai, dependency_files

    changes: dict[str, FileChange] = {}
    for outcome in outcomes:
        if outcome.helper_path is None:
            continue
        for path in dependency_files(root, outcome.path):
            relative = path.relative_to(root).as_posix()
            if relative not in changes:
                change = add_openai(path, root)
                if change is not None:
                    changes[relative] = change
    return list(changes.values())
