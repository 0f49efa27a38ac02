"""Walk → analyse (per file, in parallel) → results.

Every file ends in exactly one of: findings (possibly none), an error that
names the file and why, or a skip with its reason. Nothing escapes as a
traceback: an analyser that crashes on a file is that file's error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .findings import Category, FileError, Finding, ParseFailure
from .workspace import PYTHON_SUFFIXES, Skipped, SourceFile, UndecodableFile, walk

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


def scan(root: Path, settings: Settings | None = None) -> ScanResult:
    settings = settings or Settings()
    walked = walk(
        root,
        exclude=settings.exclude,
        max_file_size=settings.max_file_size,
        respect_gitignore=settings.respect_gitignore,
    )
    if settings.jobs > 1 and len(walked.files) >= _PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=settings.jobs) as pool:
            results = list(pool.map(analyze_file, walked.files, chunksize=8))
    else:
        results = [analyze_file(source) for source in walked.files]
    findings = sorted(
        (finding for result in results for finding in result.findings),
        key=lambda f: (f.path, f.cell if f.cell is not None else -1, f.line, f.column, f.rule),
    )
    errors = sorted((error for result in results for error in result.errors), key=lambda e: (e.path, e.line or 0))
    return ScanResult(root.resolve(), findings, errors, walked.skipped, walked.files_seen, len(walked.files))
