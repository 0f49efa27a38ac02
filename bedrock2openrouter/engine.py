"""Walk → analyse (per file, in parallel) → results, or a migration plan.

Every file ends in exactly one of: findings (possibly none), an error that
names the file and why, or a skip with its reason. Nothing escapes as a
traceback: an analyser that crashes on a file is that file's error.
"""

from __future__ import annotations

import ast
import re
import stat
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TypeVar

from .changeset import FileChange
from .config import Settings
from .filekinds import FileKind, grammar_of, is_python_path, kind_of
from .findings import Category, FileError, Finding, ParseFailure, make_finding
from .modelmap import ModelMap
from .python.context import NO_CONTEXT, AnalysisContext
from .python.project import ProjectIndex, build_index
from .workspace import Skipped, SourceFile, UndecodableFile, WalkResult, walk

T = TypeVar("T")

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


@dataclass(slots=True)
class Analysed:
    """One file version as its kind's analyser saw it, with the parse-level facts later passes reuse."""

    source: SourceFile
    kind: FileKind
    result: FileResult
    python: object = None  # the Python analysis (`python.detect.Analysis`), for the rewrite rules
    untraced: list = field(default_factory=list)  # `python.detect.UntracedCall`s, for the project pass


def _analyze_python(source: SourceFile, kind: FileKind, context: AnalysisContext) -> Analysed:
    from .python.detect import analyze_module

    analysis = analyze_module(source, context)
    return Analysed(source, kind, FileResult(source.relpath, analysis.findings), analysis, analysis.untraced)


def _analyze_notebook(source: SourceFile, kind: FileKind, context: AnalysisContext) -> Analysed:
    from .python.notebook import analyze_notebook

    analysis = analyze_notebook(source)
    return Analysed(source, kind, FileResult(source.relpath, analysis.findings, analysis.errors))


def _analyze_javascript(source: SourceFile, kind: FileKind, context: AnalysisContext) -> Analysed:
    from .javascript.detect import analyze
    from .textids import scan_text

    structural = analyze(source) if _MENTIONS_BEDROCK.search(source.text) else []
    return Analysed(source, kind, FileResult(source.relpath, _without_covered_references(structural, scan_text(source))))


def _analyze_infrastructure(source: SourceFile, kind: FileKind, context: AnalysisContext) -> Analysed:
    from .iac import analyze
    from .textids import scan_text

    structural = analyze(source, kind) if _MENTIONS_BEDROCK.search(source.text) else []
    return Analysed(source, kind, FileResult(source.relpath, _without_covered_references(structural, scan_text(source))))


def _analyze_text(source: SourceFile, kind: FileKind, context: AnalysisContext) -> Analysed:
    from .textids import scan_text

    return Analysed(source, kind, FileResult(source.relpath, scan_text(source)))


def _analyze_document(source: SourceFile, kind: FileKind, context: AnalysisContext) -> Analysed:
    return Analysed(source, kind, FileResult(source.relpath))  # prose describes what was: never rewritten


_ANALYSERS: dict[FileKind, Callable[[SourceFile, FileKind, AnalysisContext], Analysed]] = {
    FileKind.PYTHON: _analyze_python,
    FileKind.NOTEBOOK: _analyze_notebook,
    FileKind.TYPESCRIPT: _analyze_javascript,
    FileKind.JAVASCRIPT: _analyze_javascript,
    **{kind: _analyze_infrastructure for kind in FileKind if kind.is_infrastructure},
    FileKind.TEXT: _analyze_text,
    FileKind.DOCUMENT: _analyze_document,
    FileKind.GENERATED: _analyze_document,  # the tool's own output: rewritten by the tool only
}


def _errors_of(source: SourceFile, failure: BaseException) -> list[FileError]:
    """What one file's failure says, as that file's error (never the run's)."""
    relpath = source.relpath
    if isinstance(failure, ParseFailure):
        return [FileError(relpath, failure.message, failure.line, failure.column)]
    if isinstance(failure, UndecodableFile):
        return [FileError(relpath, f"cannot be decoded: {failure}")]
    if isinstance(failure, RecursionError):
        return [FileError(relpath, "too deeply nested to analyse")]
    return [FileError(relpath, f"internal error while analysing: {type(failure).__name__}: {failure}")]


def analyse(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> Analysed:
    """One file version through its kind's analyser; any failure becomes that file's error."""
    try:
        kind = kind_of(source.relpath, source.text)
        return _ANALYSERS[kind](source, kind, context)
    except Exception as failure:  # noqa: BLE001 - one bad file must not end the run
        return Analysed(source, FileKind.TEXT, FileResult(source.relpath, errors=_errors_of(source, failure)))


def analyze_file(source: SourceFile, context: AnalysisContext = NO_CONTEXT) -> FileResult:
    """Findings for one file; any failure becomes that file's error, never the run's."""
    return analyse(source, context).result


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
    analysed = _per_file(_scan_file, walked.files, settings.jobs)
    results = [result for result, _ in analysed]
    everything = _every_client_migrated([result.findings for result in results], (s.data for s in walked.files))
    for result, untraced in analysed:
        _drop_served_calls(result.findings, untraced, everything)
    return _scan_result(root, walked, results)


def _scan_file(source: SourceFile) -> tuple[FileResult, list]:
    analysed = analyse(source)
    return analysed.result, analysed.untraced


# The project pass over calls on clients made elsewhere (`python.detect.UntracedCall`). Such a
# call is answered by OpenRouter when its receiver is a name that now holds a BedrockRuntimeCompat,
# or when no Bedrock client is left anywhere and the migrated ones that can leave their module
# answer through BedrockRuntimeCompat. It then no longer counts as a Bedrock call, and its file may
# move on.


def _every_client_migrated(findings: list[list[Finding]], contents: Iterable[bytes]) -> bool:
    """No Bedrock client is left and some module holds a BedrockRuntimeCompat (``contents`` is read only then)."""
    return (not any(f.rule == "B2O101" for found in findings for f in found)
            and any(b"BedrockRuntimeCompat(" in data for data in contents))


def _drop_served_calls(findings: list[Finding], untraced: list, everything_migrated: bool,
                       compat_names: frozenset[str] = frozenset()) -> None:
    """Take (in place) the findings of the calls OpenRouter now answers out of ``findings``."""
    served = {finding for call in untraced if everything_migrated or call.receiver_names & compat_names
              for finding in call.findings}
    if served:
        findings[:] = [finding for finding in findings if finding not in served]


# -- migration ---------------------------------------------------------------------------


_STILL_BEDROCK = frozenset({Category.CLIENT, Category.CALL, Category.FRAMEWORK})
# A guardrail keeps its call on Bedrock whichever client makes it (the helper sends it there);
# Knowledge Bases and Agents run on AWS, and invoke the models they are given there.
_KEPT_ON_BEDROCK = frozenset({"B2O304", "B2O303"})
_UNSERVED_MODELS = frozenset({"B2O301", "B2O302"})
_MIGRATED_NOTES = frozenset({"B2O106"})  # calls that now reach OpenRouter through the compatibility layer


_OPENROUTER, _BEDROCK, _UNKNOWN = "openrouter", "bedrock", "unknown"


def _resolve_receivers(outcome: FileOutcome) -> None:
    """One verdict per model ID, now that the project pass knows which untraced calls OpenRouter answers.

    ``bedrock``: something that stays on Bedrock receives it; ``openrouter``: all
    that receives it moved; ``unknown``: the file cannot tell (the project decides).
    """
    verdicts = {}
    for finding, receivers in outcome.id_receivers.items():
        resolved = {receiver if isinstance(receiver, str) else _BEDROCK if receiver in outcome.current else _OPENROUTER
                    for receiver in receivers}
        verdicts[finding] = (_BEDROCK if _BEDROCK in resolved
                             else _OPENROUTER if resolved == {_OPENROUTER} else _UNKNOWN)
    outcome.id_verdicts = verdicts


def _still_bedrock(finding: Finding) -> bool:
    return ((finding.category in _STILL_BEDROCK and finding.rule not in _MIGRATED_NOTES)
            or finding.rule in _KEPT_ON_BEDROCK
            # an embedding or image model in use (BedrockEmbeddings(...)), not merely named in some text
            or (finding.rule in _UNSERVED_MODELS and finding.subject is None))


@dataclass(slots=True)
class FileOutcome:
    """What migrating one file means: its findings now, its change, and what is left after it.

    The per-file pass fills in the first part (the file as it is, its SDK rewrite,
    the IAM removals it proposes); the project pass decides the rest once.
    """

    path: str
    kind: FileKind = FileKind.TEXT
    findings: list[Finding] = field(default_factory=list)  # of the file as it is
    errors: list[FileError] = field(default_factory=list)
    # after the SDK rewrite (or as it is, when nothing was rewritten)
    text: str | None = None
    current: list[Finding] = field(default_factory=list)
    untraced: list = field(default_factory=list)  # calls on clients made elsewhere, in `current`
    untraced_before: list = field(default_factory=list)  # ... in `findings`
    notes: list[Finding] = field(default_factory=list)
    helper_paths: tuple[str, ...] = ()  # the generated helper modules the migrated file's import may resolve to
    helper_names: frozenset[str] = frozenset()  # ... and what it imports from it
    compat_exports: set[str] = field(default_factory=set)  # qualified names now holding a BedrockRuntimeCompat
    # what receives each model ID of a Python file (`python.model_receivers`)
    id_receivers: dict = field(default_factory=dict)
    id_verdicts: dict = field(default_factory=dict)  # ... one per ID, once the project pass has decided
    proposed_iam_edits: list = field(default_factory=list)  # SpanEdits that would remove its Bedrock IAM grants
    wiring: str | None = None  # what --wire-secret did, when it is part of those edits
    # decided by the project pass
    change: FileChange | None = None
    follow_ups: list[Finding] = field(default_factory=list)
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


def prepare_file(source: SourceFile, index: ProjectIndex, remove_iam: bool = True,
                 wire_secret: str | None = None) -> FileOutcome:
    """The per-file pass: analyse the file once, rewrite its SDK calls on that parse, propose its IAM removals.

    The rewritten version is analysed once more, so what follows works from what
    really remains; a rewrite whose output does not parse is dropped and reported.
    """
    context = index.context(source.relpath) if is_python_path(source.relpath) else NO_CONTEXT
    before = analyse(source, context)
    outcome = FileOutcome(source.relpath, before.kind, before.result.findings, list(before.result.errors))
    if outcome.errors:
        return outcome
    outcome.text, outcome.current = source.text, list(before.result.findings)
    outcome.untraced_before = outcome.untraced = before.untraced
    current, python = source, before.python
    if before.python is not None and any(_still_bedrock(f) for f in outcome.current):
        rewritten = _rewrite_python(before, context, index, outcome)
        if rewritten is None:
            return outcome
        current, python = rewritten
    if python is not None:
        from .python.model_receivers import model_id_receivers

        outcome.id_receivers = model_id_receivers(python, shared=context.names_imported_elsewhere)
    if remove_iam and any(f.category == Category.IAM and f.fixable for f in outcome.current):
        _propose_iam_edits(current, outcome, wire_secret)
    return outcome


def _rewrite_python(before: Analysed, context: AnalysisContext, index: ProjectIndex,
                    outcome: FileOutcome) -> tuple[SourceFile, object] | None:
    """The SDK rewrite of one analysed Python file and its analysis (the file's own when nothing moves).

    None when the rewrite's output had to be dropped.
    """
    from .python.detect import adopt_tree
    from .python.rewriter import rewrite_module

    source = before.source
    place = index.placement(source.relpath)
    rewrite = rewrite_module(before.python, source.relpath, context, place.helper_import)
    if rewrite is None:
        return source, before.python
    candidate = source.with_text(rewrite.code)
    failure = adopt_tree(rewrite.code, rewrite.module)
    if failure is not None:
        outcome.errors = [FileError(source.relpath, f"SDK rewrite dropped: {failure.message}", failure.line)]
        return None
    after = analyse(candidate, context)
    if after.result.errors:
        outcome.errors = [FileError(source.relpath, f"SDK rewrite dropped: {e.message}", e.line)
                          for e in after.result.errors]
        return None
    outcome.text, outcome.current, outcome.untraced = candidate.text, after.result.findings, after.untraced
    outcome.notes += rewrite.notes
    outcome.helper_paths, outcome.helper_names = tuple(index.helper_paths(source.relpath)), rewrite.helper_names
    outcome.compat_exports = {f"{context.module}.{name}" for name in rewrite.compat_exports}
    return candidate, after.python


def _propose_iam_edits(source: SourceFile, outcome: FileOutcome, wire_secret: str | None) -> None:
    """The span edits that would remove the file's Bedrock grants (applied by the project pass, or not)."""
    from .iac import removal_edits_for

    found = removal_edits_for(source, outcome.current)
    if found is None or not found[0]:
        return
    edits = found[0]
    if wire_secret is not None and outcome.kind is FileKind.TYPESCRIPT and grammar_of(source.relpath) == "typescript":
        from .iac.wire_secret import wire_secret_edits

        edits, outcome.wiring = wire_secret_edits(source, edits, wire_secret)
    outcome.proposed_iam_edits = edits


def finish_file(source: SourceFile, outcome: FileOutcome, model_map: ModelMap, *, keep_retired: bool,
                keep_iam: str | None = None, bedrock_left: str | None = None) -> None:
    """The project pass's decisions for one file: its final change and its follow-ups.

    Removes the proposed IAM grants unless ``keep_iam`` says why they stay, then
    rewrites the model IDs that only code now on OpenRouter receives; while
    ``bedrock_left`` (what still calls Bedrock) is set, an ID whose receiver the
    file cannot tell stays, since that code may be what receives it.
    """
    from .textids import explain_kept

    if outcome.errors:
        outcome.follow_ups = outcome.findings
        return
    current = source.with_text(outcome.text) if outcome.text != source.text else source
    findings, notes = outcome.current, list(outcome.notes)
    if keep_iam is None and outcome.proposed_iam_edits:
        removed = _remove_iam_grants(current, outcome)
        if removed is None:
            return
        current, findings, iam_notes = removed
        notes += iam_notes
    reasons = _kept_id_reasons(findings, outcome, bedrock_left)
    held_back = [explain_kept([finding], model_map, why)[0] for finding, why in reasons.items()]
    rest = explain_kept([finding for finding in findings if finding not in reasons], model_map)
    rewritten = _rewrite_model_ids(current, outcome, rest, model_map, keep_retired, held_back)
    if rewritten is None:
        return
    current, follow_ups, id_notes = rewritten
    notes += id_notes
    if current.data != source.data:
        outcome.change = FileChange(source.relpath, source.data, current.data, _mode(source))
        # Environment variables that default to a migrated ID: the deployed value still has to change.
        notes += [f for f in outcome.findings if f.rule == "B2O405" and f not in follow_ups]
    if keep_iam is not None:
        # Bedrock grants stay while code still calls Bedrock: say why on each of them.
        from .iac.rules import without_advice

        follow_ups = [replace(f, message=f"{without_advice(f.rule, f.message)}: kept while {keep_iam}")
                      if f.category == Category.IAM and f.fixable else f for f in follow_ups]
    outcome.follow_ups = follow_ups + notes


def _remove_iam_grants(source: SourceFile, outcome: FileOutcome) -> tuple[SourceFile, list[Finding], list[Finding]] | None:
    """Apply the proposed IAM removals: the edited file, its findings, and notes; None when it had to be dropped."""
    from .edits import apply_span_edits
    from .iac import edit_check

    result = apply_span_edits(source.text, outcome.proposed_iam_edits, edit_check(source, outcome.kind))
    notes = []
    if outcome.wiring is not None:
        anchor = result.applied[0].finding if result.applied else outcome.current[0]
        notes.append(replace(anchor, rule="B2O601", message=f"--wire-secret: {outcome.wiring}", fixable=False))
    notes += [replace(edit.finding, message=f"{edit.finding.message}; not removed: the edit broke the file ({reason})",
                      fixable=False) for edit, reason in result.dropped]
    if not result.applied:
        return source, outcome.current, notes
    candidate = source.with_text(result.text)
    after = analyse(candidate)  # only Python's SDK analysis reads the project context, and it is done by now
    if after.result.errors:
        outcome.errors = [FileError(outcome.path, f"IAM edit dropped: {e.message}", e.line) for e in after.result.errors]
        outcome.follow_ups = outcome.findings
        return None
    outcome.iam_edits = result.applied
    return candidate, after.result.findings, notes


def _kept_id_reasons(findings: list[Finding], outcome: FileOutcome, bedrock_left: str | None) -> dict[Finding, str]:
    """The model ID findings that stay, each with why: who may still send it to Bedrock."""
    from .textids import REWRITABLE_RULES

    file_calls_bedrock = any(_still_bedrock(f) for f in findings)
    reasons = {}
    for finding in findings:
        if finding.rule not in REWRITABLE_RULES:
            continue
        verdict = outcome.id_verdicts.get(finding, _UNKNOWN)
        if verdict == _BEDROCK:
            reasons[finding] = "it reaches a call that stays on Bedrock"
        elif verdict == _UNKNOWN and file_calls_bedrock:
            reasons[finding] = "this file still calls Bedrock, which needs Bedrock IDs"
        elif verdict == _UNKNOWN and bedrock_left:
            reasons[finding] = f"{bedrock_left}, and what receives this ID cannot be told from here"
    return reasons


def _rewrite_model_ids(source: SourceFile, outcome: FileOutcome, findings: list[Finding], model_map: ModelMap,
                       keep_retired: bool, held_back: list[Finding]) -> tuple[SourceFile, list[Finding], list[Finding]] | None:
    """Replace the mappable model IDs of ``findings``: the edited file, what remains of its findings
    (``held_back`` ones included, at their new columns), and review notes.

    A Python file's edits only touch the inside of string literals, which its
    parse already located: an ID with no quote, backslash, brace or line break
    leaves every literal a literal, and anything else is checked by compiling
    the result. The findings they resolve are taken out (columns after them on
    the same line shift). Other files are analysed again, which also proves
    they still parse.
    """
    from .textids import rewrite_model_ids

    text, notes, replaced = rewrite_model_ids(source, findings, model_map, keep_retired=keep_retired)
    if text == source.text:
        return source, sorted_findings(findings + held_back), []
    candidate = source.with_text(text)
    if outcome.kind is FileKind.PYTHON:
        try:
            if any(_LITERAL_BREAKERS.search(new) for _, new in replaced):
                compile(text, outcome.path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            outcome.errors = [FileError(outcome.path, f"model ID rewrite dropped: {error}")]
            outcome.follow_ups = outcome.findings
            return None
        return candidate, _after_replacements(findings + held_back, replaced), notes
    after = analyse(candidate)
    if after.result.errors:
        outcome.errors = [FileError(outcome.path, f"model ID rewrite dropped: {e.message}", e.line)
                          for e in after.result.errors]
        outcome.follow_ups = outcome.findings
        return None
    # Analysed afresh: the IDs that stayed get back the explanations they had (IDs hold no line breaks).
    explained = {(f.rule, f.line, f.subject): f.message for f in findings + held_back}
    return candidate, [replace(f, message=explained.get((f.rule, f.line, f.subject), f.message))
                       for f in after.result.findings], notes


# What could end or change a string literal an ID is written into (f-string braces included).
_LITERAL_BREAKERS = re.compile(r"[\"'\\{}\r\n]")


def _after_replacements(findings: list[Finding], replaced: list[tuple[Finding, str]]) -> list[Finding]:
    """The findings that remain once ``replaced`` (finding, new text) are written, at their new columns."""
    gone = {finding for finding, _ in replaced}
    shifts: dict[int, list[tuple[int, int]]] = {}
    for finding, new in replaced:
        shifts.setdefault(finding.line, []).append((finding.column, len(new) - len(finding.subject or "")))

    def moved(finding: Finding) -> Finding:
        delta = sum(shift for column, shift in shifts.get(finding.line, ()) if column < finding.column)
        return replace(finding, column=finding.column + delta) if delta else finding

    return [moved(finding) for finding in findings if finding not in gone]


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
    """Everything ``migrate`` would do to ``root``, computed without writing anything.

    Pre-pass: the project index (module names, who imports whom). Per file, in
    parallel: `prepare_file`. Project pass, once: which calls OpenRouter now
    answers, which files still call Bedrock, and from that answer the IAM
    removals and model-ID rewrites (`finish_file`).
    """
    settings = settings or Settings()
    model_map = model_map or ModelMap.load(settings.model_map)
    walked = _walk(root, settings, extra_exclude)
    candidates = [source.relpath for source in walked.files if is_python_path(source.relpath)]
    index = build_index(root.resolve(), walked.python_paths, candidates)
    prepare = partial(prepare_file, index=index, remove_iam=remove_iam, wire_secret=wire_secret)
    outcomes = _per_file(prepare, walked.files, settings.jobs)
    compat_names = frozenset(name for outcome in outcomes for name in outcome.compat_exports)
    contents = (source.data if outcome.text is None else outcome.text.encode("utf-8", "surrogateescape")
                for outcome, source in zip(outcomes, walked.files))
    everything = _every_client_migrated([outcome.current for outcome in outcomes], contents)
    for outcome in outcomes:
        _drop_served_calls(outcome.current, outcome.untraced, everything, compat_names)
        _drop_served_calls(outcome.findings, outcome.untraced_before, everything, compat_names)
    for outcome in outcomes:
        _resolve_receivers(outcome)
    remaining = sorted({o.path for o in outcomes
                        if any(_still_bedrock(f) for f in o.current) or _BEDROCK in o.id_verdicts.values()})
    still_calling = (f"{len(remaining)} file{' still calls' if len(remaining) == 1 else 's still call'} Bedrock "
                     f"({', '.join(remaining[:3])}{', ...' if len(remaining) > 3 else ''})") if remaining else None
    keep_iam = "--no-iac is given" if not remove_iam else still_calling
    for outcome, source in zip(outcomes, walked.files):
        kept = keep_iam if outcome.proposed_iam_edits or not remove_iam else None
        finish_file(source, outcome, model_map, keep_retired=keep_retired, keep_iam=kept, bedrock_left=still_calling)
    scanned = _scan_result(root, walked, outcomes)
    changes = [outcome.change for outcome in outcomes if outcome.change is not None]
    dependency_changes, dependency_problems = _dependency_changes(root.resolve(), outcomes)
    changes += _helper_changes(root.resolve(), outcomes) + dependency_changes
    follow_ups = sorted_findings([*(finding for outcome in outcomes for finding in outcome.follow_ups),
                                  *dependency_problems])
    return MigrationPlan(scanned, sorted(changes, key=lambda change: change.path), follow_ups, outcomes)


def _helper_changes(root: Path, outcomes: list[FileOutcome]) -> list[FileChange]:
    """One generated helper module per place migrated files import it from, with what they import from it."""
    from .python.helper import capabilities_for, defined_capabilities, helper_source

    imported: dict[str, set[str]] = {}
    for outcome in outcomes:
        for helper_path in outcome.helper_paths:
            imported.setdefault(helper_path, set()).update(outcome.helper_names)
    changes = []
    for helper_path, names in sorted(imported.items()):
        target = root / helper_path
        existing = target.read_bytes() if target.is_file() else None
        present = defined_capabilities(existing.decode("utf-8", "replace")) if existing is not None else frozenset()
        content = helper_source(capabilities_for(names) | present).encode("utf-8")
        if content != existing:
            changes.append(FileChange(helper_path, existing, content, 0o644))
    return changes


def _dependency_changes(root: Path, outcomes: list[FileOutcome]) -> tuple[list[FileChange], list[Finding]]:
    """``openai`` added where migrated code is installed from, and a follow-up for each file that cannot take it."""
    from .dependencies import DependencyProblem, add_openai, dependency_files

    results: dict[str, FileChange | DependencyProblem | None] = {}
    folders = {PurePosixPath(outcome.path).parent.as_posix(): outcome.path
               for outcome in outcomes if outcome.helper_paths}
    for relpath in folders.values():  # the files of one folder share their dependency files
        for path in dependency_files(root, relpath):
            relative = path.relative_to(root).as_posix()
            if relative not in results:
                results[relative] = add_openai(path, root)
    changes = [result for result in results.values() if isinstance(result, FileChange)]
    problems = [make_finding("B2O107", result.path, 1, 1, f"openai could not be added: {result.reason}")
                for result in results.values() if isinstance(result, DependencyProblem)]
    return changes, problems
