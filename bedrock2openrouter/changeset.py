"""File changes: the forward diff, the rollback patch, atomic writes, and rollback.

Everything works on bytes, so encodings, byte-order marks and CRLF line endings
pass through untouched: a line is whatever ends in ``\\n``, a ``\\r`` before it
is part of the line. Both diffs are plain unified diffs with ``a/`` and ``b/``
prefixes that ``git apply`` and ``patch -p1`` accept. The rollback patch starts
with a manifest (comment lines both tools skip): for every touched file, the
SHA-256 of the bytes the migration left and of the bytes it found, so that a
rollback can prove nothing drifted before it restores anything.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

MANIFEST_PREFIX = b"# bedrock2openrouter-manifest: "
_CONTEXT = 3


class ChangeKind(StrEnum):
    CREATE = "create"
    MODIFY = "modify"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file: its bytes before (None: the change creates it) and after (None: deletes it)."""

    path: str  # relative, POSIX
    old: bytes | None
    new: bytes | None
    mode: int = 0o644  # permission bits of a created file, or of the file as found

    @property
    def kind(self) -> ChangeKind:
        if self.old is None:
            return ChangeKind.CREATE
        if self.new is None:
            return ChangeKind.DELETE
        return ChangeKind.MODIFY

    def reversed(self) -> FileChange:
        return FileChange(self.path, self.new, self.old, self.mode)


class PatchError(ValueError):
    """A rollback patch that cannot be read or must not be applied; the message says why."""


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


# -- rendering -------------------------------------------------------------------------


def _lines(data: bytes | None) -> list[bytes]:
    return [] if data is None else _split_lf(data)


def _split_lf(data: bytes) -> list[bytes]:
    """Split on LF only: a CR belongs to its line (bytes.splitlines would split on it)."""
    lines = data.split(b"\n")
    result = [line + b"\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


def _path_token(prefix: str, path: str) -> bytes:
    # A trailing TAB ends a name with spaces for GNU patch; git strips it too.
    token = f"{prefix}{path}".encode("utf-8", "surrogateescape")
    return token + b"\t" if b" " in token else token


def _hunk_line(marker: bytes, line: bytes) -> bytes:
    if line.endswith(b"\n"):
        return marker + line
    return marker + line + b"\n\\ No newline at end of file\n"


def _range(start: int, count: int) -> str:
    if count == 0:
        return f"{start},0"
    return f"{start + 1}" if count == 1 else f"{start + 1},{count}"


def render_change(change: FileChange) -> bytes:
    """The unified diff of one change, with a ``diff --git`` header."""
    old_lines, new_lines = _lines(change.old), _lines(change.new)
    path = change.path
    out = [b"diff --git " + _path_token("a/", path).rstrip(b"\t") + b" " + _path_token("b/", path).rstrip(b"\t") + b"\n"]
    mode = f"{0o100000 | (change.mode & 0o777):o}".encode()
    if change.kind is ChangeKind.CREATE:
        out.append(b"new file mode " + mode + b"\n")
    elif change.kind is ChangeKind.DELETE:
        out.append(b"deleted file mode " + mode + b"\n")
    if not old_lines and not new_lines:
        return b"".join(out)  # an empty file created or deleted: the header says it all
    out.append(b"--- " + (_path_token("a/", path) if change.old is not None else b"/dev/null") + b"\n")
    out.append(b"+++ " + (_path_token("b/", path) if change.new is not None else b"/dev/null") + b"\n")
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(_CONTEXT):
        first, last = group[0], group[-1]
        old_start, old_end, new_start, new_end = first[1], last[2], first[3], last[4]
        header = f"@@ -{_range(old_start, old_end - old_start)} +{_range(new_start, new_end - new_start)} @@\n"
        out.append(header.encode("ascii"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [_hunk_line(b" ", line) for line in old_lines[i1:i2]]
                continue
            out += [_hunk_line(b"-", line) for line in old_lines[i1:i2]]
            out += [_hunk_line(b"+", line) for line in new_lines[j1:j2]]
    return b"".join(out)


def render_diff(changes: Iterable[FileChange]) -> bytes:
    return b"".join(render_change(change) for change in sorted(changes, key=lambda c: c.path))


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    path: str
    kind: ChangeKind  # of the migration's change
    before: str | None  # SHA-256 of the file as the migration found it (None: it did not exist)
    after: str | None  # SHA-256 as the migration left it (None: it deleted the file)
    mode: int


def render_rollback_patch(changes: Sequence[FileChange], root: Path) -> bytes:
    """The reverse diff of ``changes``, headed by the manifest that rollback verifies."""
    header = {
        "format": 1,
        "root": str(root),
        "files": [
            {"path": c.path, "kind": c.kind.value, "before": sha256(c.old), "after": sha256(c.new), "mode": c.mode}
            for c in sorted(changes, key=lambda c: c.path)
        ],
    }
    lines = [
        b"# Rollback patch written by bedrock2openrouter: undo with `bedrock2openrouter rollback`,\n",
        b"# or `git apply` / `patch -p1` from the project root.\n",
        MANIFEST_PREFIX + json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n",
    ]
    return b"".join(lines) + render_diff(change.reversed() for change in changes)


# -- writing ---------------------------------------------------------------------------


def is_read_only(path: Path) -> bool:
    """Read-only by its permission bits, whoever runs the tool (root included)."""
    try:
        return not (path.stat().st_mode & stat.S_IWUSR)
    except FileNotFoundError:
        return False


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write through a temporary file in the same directory, then rename over the target.

    A reader (or a crash) sees the old bytes or the new ones, never half of each.
    The file keeps its permission bits.
    """
    if mode is None:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".b2o-tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def apply_change(root: Path, change: FileChange) -> None:
    target = safe_path(root, change.path)
    if change.new is None:
        target.unlink()
    else:
        write_atomically(target, change.new, change.mode if change.old is None else None)


def safe_path(root: Path, relative: str) -> Path:
    """``root / relative``, refusing anything that could land outside ``root``."""
    pure = PurePosixPath(relative)
    if not relative or pure.is_absolute() or ".." in pure.parts or "\\" in relative or relative.startswith("~"):
        raise PatchError(f"{relative!r}: path leaves the project")
    root = root.resolve()
    candidate = root.joinpath(*pure.parts)
    resolved = candidate.parent.resolve() / candidate.name
    if candidate.is_symlink() or (resolved != root and root not in resolved.parents):
        raise PatchError(f"{relative!r}: path leaves the project (through a symbolic link)")
    return candidate


# -- reading a rollback patch -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int  # 1-based line where the hunk applies (0 for an empty file)
    old_lines: tuple[bytes, ...]  # context and removed lines, in order
    new_lines: tuple[bytes, ...]  # context and added lines, in order


@dataclass(frozen=True, slots=True)
class FilePatch:
    path: str
    hunks: tuple[Hunk, ...]
    creates: bool  # applying the patch creates the file
    deletes: bool  # applying the patch deletes the file


@dataclass(frozen=True, slots=True)
class RollbackPatch:
    root: Path
    manifest: tuple[ManifestEntry, ...]
    files: dict[str, FilePatch]


def read_rollback_patch(data: bytes) -> RollbackPatch:
    manifest_line = next((line for line in data.split(b"\n") if line.startswith(MANIFEST_PREFIX)), None)
    if manifest_line is None:
        raise PatchError("not a bedrock2openrouter rollback patch (no manifest line)")
    try:
        header = json.loads(manifest_line[len(MANIFEST_PREFIX):])
        manifest = tuple(
            ManifestEntry(entry["path"], ChangeKind(entry["kind"]), entry["before"], entry["after"], int(entry["mode"]))
            for entry in header["files"]
        )
        root = Path(header["root"])
    except (ValueError, KeyError, TypeError) as error:
        raise PatchError(f"the manifest of this rollback patch is damaged: {error}") from None
    files = _parse_unified_diff(data)
    for entry in manifest:
        if entry.path not in files:
            raise PatchError(f"the patch has no diff for {entry.path!r}, which its manifest lists")
    return RollbackPatch(root, manifest, files)


def _parse_unified_diff(data: bytes) -> dict[str, FilePatch]:
    lines = _split_lf(data)
    files: dict[str, FilePatch] = {}
    index = 0

    def path_of(line: bytes, prefix: bytes) -> str:
        name = line.rstrip(b"\n").split(b" ", 1)[1].removesuffix(b"\t")
        if not name.startswith(prefix):
            raise PatchError(f"unexpected file name in patch: {name!r}")
        return name[len(prefix):].decode("utf-8", "surrogateescape")

    while index < len(lines):
        line = lines[index]
        if not line.startswith(b"diff --git "):
            index += 1
            continue
        index += 1
        creates = deletes = False
        old_name = new_name = None
        while index < len(lines) and not lines[index].startswith((b"diff --git ", b"@@")):
            current = lines[index]
            if current.startswith(b"new file mode"):
                creates = True
            elif current.startswith(b"deleted file mode"):
                deletes = True
            elif current.startswith(b"--- "):
                old_name = None if current.startswith(b"--- /dev/null") else path_of(current, b"a/")
            elif current.startswith(b"+++ "):
                new_name = None if current.startswith(b"+++ /dev/null") else path_of(current, b"b/")
            index += 1
        if old_name is None and new_name is None:
            header_path = line.rstrip(b"\n")[len(b"diff --git a/"):].rsplit(b" b/", 1)[0]
            path = header_path.decode("utf-8", "surrogateescape")
        else:
            path = new_name if new_name is not None else old_name  # type: ignore[assignment]
        hunks = []
        while index < len(lines) and lines[index].startswith(b"@@"):
            hunk, index = _parse_hunk(lines, index)
            hunks.append(hunk)
        files[path] = FilePatch(path, tuple(hunks), creates, deletes)
    return files


def _parse_hunk(lines: list[bytes], index: int) -> tuple[Hunk, int]:
    header = lines[index].decode("ascii", "replace")
    try:
        old_range = header.split()[1]
        old_start = int(old_range[1:].split(",")[0])
    except (IndexError, ValueError):
        raise PatchError(f"damaged hunk header: {header.strip()!r}") from None
    index += 1
    old: list[bytes] = []
    new: list[bytes] = []
    last: list[list[bytes]] = []
    while index < len(lines) and lines[index][:1] in (b" ", b"-", b"+", b"\\"):
        line = lines[index]
        marker, body = line[:1], line[1:]
        if marker == b"\\":  # "\ No newline at end of file": the previous line had none
            for target in last:
                target[-1] = target[-1].removesuffix(b"\n")
        else:
            last = [old, new] if marker == b" " else [old] if marker == b"-" else [new]
            for target in last:
                target.append(body)
        index += 1
    return Hunk(old_start, tuple(old), tuple(new)), index


def apply_hunks(data: bytes, hunks: Sequence[Hunk], *, exact: bool = True) -> bytes:
    """Apply hunks to ``data``. Exact: at the recorded lines only; else near them, as patch does."""
    lines = _split_lf(data)
    delta = 0  # how far earlier hunks moved the lines below them
    for hunk in hunks:
        expected = list(hunk.old_lines)
        # "-N,0" inserts after line N; "-N,M" replaces from line N on.
        base = hunk.old_start - 1 if expected else hunk.old_start
        position = base + delta
        if lines[position:position + len(expected)] != expected:
            if exact:
                raise PatchError(f"hunk at line {hunk.old_start} does not match")
            position = _find(lines, expected, position)
        lines[position:position + len(expected)] = list(hunk.new_lines)
        delta = position - base + len(hunk.new_lines) - len(expected)
    return b"".join(lines)


def _find(lines: list[bytes], expected: list[bytes], near: int) -> int:
    for distance in range(len(lines) + 1):
        for position in (near - distance, near + distance):
            if 0 <= position <= len(lines) - len(expected) and lines[position:position + len(expected)] == expected:
                return position
    raise PatchError("the file changed where the migration changed it")


# -- applying and undoing ------------------------------------------------------------------


def apply_changes(root: Path, changes: Sequence[FileChange]) -> tuple[list[FileChange], list[tuple[str, str]]]:
    """Write every change that can be written; a file that cannot is left as it is and named.

    Read-only files are not touched: their permission bits say someone wants them unchanged.
    """
    applied: list[FileChange] = []
    failed: list[tuple[str, str]] = []
    for change in changes:
        try:
            target = safe_path(root, change.path)
            if change.old is not None and is_read_only(target):
                failed.append((change.path, "read-only file, not changed"))
                continue
            found = target.read_bytes() if target.exists() else None
            if found != change.old:
                failed.append((change.path, "changed on disk while the migration ran, not changed"))
                continue
            apply_change(root, change)
        except (OSError, PatchError) as error:
            failed.append((change.path, getattr(error, "strerror", None) or str(error)))
            continue
        applied.append(change)
    return applied, failed


@dataclass(slots=True)
class RollbackOutcome:
    root: Path
    restored: list[str]
    drifted: list[str]  # files whose bytes are no longer what the migration wrote
    failed: list[tuple[str, str]]
    already_rolled_back: bool = False


def project_root_of(patch_path: Path, patch: RollbackPatch) -> Path:
    """The patch's project: the folder above the default output folder, else the recorded root."""
    if patch_path.resolve().parent.name == ".bedrock2openrouter":
        return patch_path.resolve().parent.parent
    return patch.root


def rollback(patch_path: Path, *, force: bool = False) -> RollbackOutcome:
    """Restore every file the migration touched, after proving none drifted (unless forced).

    Nothing is written until every restored file has been computed in memory.
    """
    try:
        data = patch_path.read_bytes()
    except OSError as error:
        raise PatchError(f"{patch_path}: cannot be read: {error.strerror or error}") from None
    patch = read_rollback_patch(data)
    root = project_root_of(patch_path, patch)
    listed = {entry.path for entry in patch.manifest}
    for path in patch.files:
        if path not in listed:
            raise PatchError(f"the patch changes {path!r}, which its manifest does not list")
    targets = {entry.path: safe_path(root, entry.path) for entry in patch.manifest}  # refuses ../ and links out

    current = {path: target.read_bytes() if target.is_file() else None for path, target in targets.items()}
    if all(sha256(current[entry.path]) == entry.before for entry in patch.manifest):
        return RollbackOutcome(root, [], [], [], already_rolled_back=True)
    drifted = [entry.path for entry in patch.manifest if sha256(current[entry.path]) != entry.after]
    if drifted and not force:
        return RollbackOutcome(root, [], drifted, [])

    planned: list[tuple[ManifestEntry, bytes | None]] = []
    failed: list[tuple[str, str]] = []
    for entry in patch.manifest:
        file_patch = patch.files[entry.path]
        if entry.kind is ChangeKind.CREATE:
            planned.append((entry, None))
            continue
        exact = entry.path not in drifted
        try:
            restored = apply_hunks(current[entry.path] or b"", file_patch.hunks, exact=exact)
        except PatchError as error:
            failed.append((entry.path, str(error)))
            continue
        if exact and sha256(restored) != entry.before:
            failed.append((entry.path, "the patch does not lead back to the original bytes"))
            continue
        planned.append((entry, restored))
    for entry, restored in planned:
        target = targets[entry.path]
        if restored is None:
            target.unlink(missing_ok=True)
        else:
            write_atomically(target, restored, entry.mode if not target.exists() else None)
    return RollbackOutcome(root, [entry.path for entry, _ in planned], drifted, failed)
