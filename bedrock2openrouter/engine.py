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
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from .changeset import FileChange
from .config import Settings
from .findings import Category, FileError, Finding, ParseFailure
from .modelmap import ModelMap
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


def _analyze_python(source: SourceFile) -> FileResult:
    from .python.detect import analyze

    return FileResult(source.relpath, analyze(source))


def _analyze_notebook(source: SourceFile) -> FileResult:
    from .python.notebook import analyze_notebook

    analysis = analyze_notebook(source)
    return FileResult(source.relpath, analysis.findings, analysis.errors)


def _analyze_javascript(source: SourceFile) -> FileResult:
    from .javascript.detect import analyze
    from .textids import scan_text

    structural = analyze(source) if _MENTIONS_BEDROCK.search(source.text) else []
    return FileResult(source.relpath, _without_covered_references(structural, scan_text(source)))


def _analyze_infrastructure(source: SourceFile) -> FileResult:
    from .iac import analyze
    from .textids import scan_text

    structural = analyze(source) if _MENTIONS_BEDROCK.search(source.text) else []
    return FileResult(source.relpath, _without_covered_references(structural, scan_text(source)))


def _analyze_text(source: SourceFile) -> FileResult:
    from .textids import DOCUMENT_SUFFIXES, scan_text

    if source.suffix in DOCUMENT_SUFFIXES:
        return FileResult(source.relpath)
    return FileResult(source.relpath, scan_text(source))


def analyzer_for(source: SourceFile) -> Callable[[SourceFile], FileResult]:
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


def analyze_file(source: SourceFile) -> FileResult:
    """Findings for one file; any failure becomes that file's error, never the run's."""
    try:
        return analyzer_for(source)(source)
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
    return _scan_result(root, walked, _per_file(analyze_file, walked.files, settings.jobs))


# -- migration ---------------------------------------------------------------------------


_STILL_BEDROCK = frozenset({Category.CLIENT, Category.CALL, Category.FRAMEWORK})


@dataclass(slots=True)
class FileOutcome:
    """What migrating one file means: its findings now, its change, and what is left after it."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    change: FileChange | None = None
    follow_ups: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


@dataclass(slots=True)
class MigrationPlan:
    scan: ScanResult  # the tree as it is
    changes: list[FileChange]
    follow_ups: list[Finding]  # what a person must still do once the changes are applied

    @property
    def errors(self) -> list[FileError]:
        return self.scan.errors

    @property
    def still_calling_bedrock(self) -> list[str]:
        """Files whose Bedrock calls the plan leaves: IDs changed elsewhere may still be sent to them."""
        return sorted({finding.path for finding in self.follow_ups if finding.category in _STILL_BEDROCK})


def migrate_file(source: SourceFile, model_map: ModelMap, keep_retired: bool = False) -> FileOutcome:
    """Rewrite one file; the new text is analysed again, so follow-ups are whatever really remains."""
    from .textids import explain_kept, rewrite_model_ids

    before = analyze_file(source)
    outcome = FileOutcome(source.relpath, before.findings, errors=before.errors)
    if before.errors:
        outcome.follow_ups = before.findings
        return outcome
    if any(finding.category in _STILL_BEDROCK for finding in before.findings):
        # A file that still calls Bedrock keeps the Bedrock IDs its calls need.
        outcome.follow_ups = explain_kept(before.findings, model_map, "this file still calls Bedrock, which needs Bedrock IDs")
        return outcome
    text, notes = rewrite_model_ids(source, before.findings, model_map, keep_retired=keep_retired)
    if text == source.text:
        outcome.follow_ups = explain_kept(before.findings, model_map)
        return outcome
    new_data = source.decoded.encode(text)
    after = analyze_file(source.with_data(new_data))
    if after.errors:  # a rewrite must never break a file; keep it as it is
        outcome.follow_ups = before.findings
        outcome.errors = [FileError(source.relpath, f"rewrite dropped: {error.message}", error.line) for error in after.errors]
        return outcome
    outcome.change = FileChange(source.relpath, source.data, new_data, _mode(source))
    outcome.follow_ups = explain_kept(after.findings, model_map) + notes
    return outcome


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
) -> MigrationPlan:
    """Everything ``migrate`` would do to ``root``, computed without writing anything."""
    settings = settings or Settings()
    model_map = model_map or ModelMap.load(settings.model_map)
    walked = _walk(root, settings, extra_exclude)
    outcomes = _per_file(partial(migrate_file, model_map=model_map, keep_retired=keep_retired), walked.files, settings.jobs)
    scanned = _scan_result(root, walked, outcomes)
    changes = sorted((outcome.change for outcome in outcomes if outcome.change is not None), key=lambda c: c.path)
    follow_ups = sorted_findings(finding for outcome in outcomes for finding in outcome.follow_ups)
    return MigrationPlan(scanned, changes, follow_ups)
