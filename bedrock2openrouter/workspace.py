"""Walk a target directory and read its files without losing a byte.

The walk decides which files the analysers ever see: it honours every
``.gitignore`` (also outside a git repository) and the default excludes, never
follows a symlink, skips binaries and oversized files (and says so), and drops
files that cannot mention Bedrock with a byte search before anything parses
them. Text is decoded the way the file declares (BOM, PEP 263 cookie) and kept
with its line endings, so a later rewrite can encode it back exactly.
"""

from __future__ import annotations

import bisect
import codecs
import io
import os
import subprocess
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import pathspec

from .filekinds import is_python_path
from .modelids import PREFILTER_WORDS, may_mention_bedrock

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git/",
    ".hg/",
    ".svn/",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    "site-packages/",
    "node_modules/",
    "cdk.out/",
    ".aws-sam/",
    ".serverless/",
    ".terraform/",
    ".ipynb_checkpoints/",
    "__pycache__/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    "/dist/",
    "/build/",
    ".bedrock2openrouter/",
)
"""Folders that hold installed, generated or tool-owned files, never the user's code.

``dist``/``build`` count only at the top of the target (as in most Python and
Node projects); deeper ones, such as ``src/build/``, are often real code, and a
``.gitignore`` that names them excludes them anyway.
"""

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
_BINARY_SNIFF = 8192

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class UndecodableFile(ValueError):
    """The bytes do not decode in the encoding the file declares."""


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text plus everything needed to turn it back into the very same bytes."""

    text: str
    encoding: str
    bom: bytes
    newline: str
    errors: str = "strict"

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.encoding, self.errors)


def _detect_newline(data: bytes) -> str:
    crlf = data.count(b"\r\n")
    lf = data.count(b"\n") - crlf
    if crlf > lf:
        return "\r\n"
    if lf == 0 and b"\r" in data:
        return "\r"
    return "\n"


def decode_source(data: bytes, *, python: bool = False) -> DecodedText:
    """Decode file bytes the way the file itself declares.

    A BOM wins; Python files then honour their PEP 263 cookie; everything else
    is UTF-8, and bytes that are not UTF-8 are carried through as surrogates so
    that an unknown 8-bit encoding still round-trips byte for byte.
    """
    newline = _detect_newline(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data[len(bom):].decode(encoding), encoding, bom, newline)
            except UnicodeDecodeError as error:
                raise UndecodableFile(f"not valid {encoding} after its byte-order mark: {error.reason}") from None
    if python:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as error:
            raise UndecodableFile(str(error)) from None
        encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        try:
            return DecodedText(data.decode(encoding), encoding, b"", newline)
        except UnicodeDecodeError as error:
            raise UndecodableFile(
                f"not valid {encoding} (byte {error.start}): declare the encoding with a coding cookie"
            ) from None
        except LookupError:
            raise UndecodableFile(f"unknown encoding {encoding!r} in the coding cookie") from None
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", b"", newline)
    except UnicodeDecodeError:
        return DecodedText(data.decode("utf-8", "surrogateescape"), "utf-8", b"", newline, "surrogateescape")


class LineIndex:
    """Turns character offsets into 1-based (line, column) pairs."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        position = text.find("\n")
        while position != -1:
            self._starts.append(position + 1)
            position = text.find("\n", position + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def offset(self, line: int, column: int) -> int:
        """The character offset of a 1-based (line, column)."""
        return self._starts[line - 1] + column - 1




@dataclass(slots=True, eq=False)
class SourceFile:
    """One file of the target, as bytes, decoded on demand."""

    root: Path
    relpath: str  # POSIX, relative to root
    data: bytes
    _decoded: DecodedText | None = field(default=None, repr=False)
    _lines: LineIndex | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.root / self.relpath

    @property
    def name(self) -> str:
        return PurePosixPath(self.relpath).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.relpath).suffix.lower()

    @property
    def decoded(self) -> DecodedText:
        if self._decoded is None:
            self._decoded = decode_source(self.data, python=is_python_path(self.relpath))
        return self._decoded

    @property
    def text(self) -> str:
        return self.decoded.text

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset into ``text``."""
        return self.lines.position(offset)

    def with_data(self, data: bytes) -> SourceFile:
        """The same file with other contents (what a rewrite produced)."""
        return SourceFile(self.root, self.relpath, data)

    def with_text(self, text: str) -> SourceFile:
        """The same file holding ``text``, encoded the way this version is (BOM, encoding, error handling)."""
        decoded = self.decoded
        return SourceFile(self.root, self.relpath, decoded.encode(text), replace(decoded, text=text))


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(slots=True)
class WalkResult:
    files: list[SourceFile]  # files that may mention Bedrock: the only ones parsed
    skipped: list[Skipped]  # files not read, with the reason, for the report
    files_seen: int  # every regular file the walk looked at
    python_paths: list[str] = field(default_factory=list)  # every Python file, read or not: the import graph


class _IgnoreRules:
    """The stack of ignore specs in force for one directory, innermost last.

    Each level keeps two specs: all its patterns, for directories, and those that
    can match a file, for files. A pattern ending in ``/`` matches directories
    only (and the walk never enters one it excludes), so a level made of such
    patterns, like the default excludes, costs a file nothing.
    """

    def __init__(self, specs: Sequence[tuple[str, pathspec.PathSpec, pathspec.PathSpec | None]]) -> None:
        self._specs = specs

    @staticmethod
    def level(base: str, lines: list[str]) -> tuple[str, pathspec.PathSpec, pathspec.PathSpec | None]:
        file_lines = [line for line in lines
                      if line.strip() and not line.startswith("#") and not line.rstrip().endswith("/")]
        file_spec = pathspec.GitIgnoreSpec.from_lines(file_lines) if file_lines else None
        return base, pathspec.GitIgnoreSpec.from_lines(lines), file_spec

    def with_gitignore(self, directory: Path, relative_dir: str) -> _IgnoreRules:
        gitignore = directory / ".gitignore"
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        except OSError:
            return self
        return _IgnoreRules([*self._specs, self.level(relative_dir, lines)])

    def ignored(self, relpath: str, is_dir: bool) -> bool:
        """Git's rule: the innermost spec with an opinion decides."""
        candidate = relpath + "/" if is_dir else relpath
        verdict = False
        for base, dir_spec, file_spec in self._specs:
            spec = dir_spec if is_dir else file_spec
            if spec is None:
                continue
            if base:
                if not candidate.startswith(base + "/"):
                    continue
                local = candidate[len(base) + 1:]
            else:
                local = candidate
            result = spec.check_file(local)
            if result.include is not None:
                verdict = result.include
        return verdict


def _git_info_exclude(root: Path) -> list[str]:
    try:
        return (root / ".git" / "info" / "exclude").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def walk(
    root: Path,
    *,
    exclude: Iterable[str] = (),
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    respect_gitignore: bool = True,
) -> WalkResult:
    """Every file under ``root`` that may mention Bedrock, plus what was skipped and why.

    ``exclude`` takes extra gitignore-style patterns, relative to ``root``.
    """
    root = root.resolve()
    base_lines = [*DEFAULT_EXCLUDES, *exclude]
    if respect_gitignore:
        base_lines += _git_info_exclude(root)
    rules = _IgnoreRules([_IgnoreRules.level("", base_lines)])
    if respect_gitignore:
        rules = rules.with_gitignore(root, "")
    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    python_paths: list[str] = []
    seen = 0
    root_name = str(root)
    candidates = _git_candidates(root) if respect_gitignore else None
    for relpath, entry, beyond_git in _walk_tree(root, "", rules, skipped, respect_gitignore):
        seen += 1
        if is_python_path(relpath):
            python_paths.append(relpath)
        if candidates is not None and not beyond_git and relpath not in candidates:
            continue  # git read it for us: nothing in it could mention Bedrock
        try:
            if entry.stat(follow_symlinks=False).st_size > max_file_size:
                skipped.append(Skipped(relpath, f"larger than {max_file_size // 1024} KiB, not scanned"))
                continue
            with open(os.path.join(root_name, relpath), "rb") as handle:
                data = handle.read()
        except OSError as error:
            skipped.append(Skipped(relpath, f"cannot be read: {error.strerror or error}"))
            continue
        if not may_mention_bedrock(data):
            continue
        if _is_binary(data):
            skipped.append(Skipped(relpath, "binary file mentions Bedrock, not scanned"))
            continue
        files.append(SourceFile(root, relpath, data))
    return WalkResult(files, skipped, seen, python_paths)


def _git_candidates(root: Path) -> set[str] | None:
    """The files under ``root`` in which ``git grep`` finds a word the prefilter starts from; None to read them all.

    A fast first sieve for a git work tree whose top is ``root`` (git then ignores
    exactly what the walk ignores): any case, fixed strings, so it is a superset of
    what `may_mention_bedrock` accepts, which still decides on what it lists. Untracked
    files are searched too; nested repositories are not (the walk reads those itself).
    """
    if not (root / ".git").exists():
        return None  # not the top of a work tree: git's ignore rules would start above the walk's
    try:
        words = [argument for word in PREFILTER_WORDS for argument in ("-e", word)]
        found = subprocess.run(["git", "-C", str(root), "grep", "-l", "-z", "-i", "-F", "--untracked", "--no-color",
                                *words, "--", "."], capture_output=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if found.returncode not in (0, 1):  # 1: no file matches
        return None
    return {os.fsdecode(path) for path in found.stdout.split(b"\0") if path}


def _walk_tree(
    root: Path,
    relative_dir: str,
    rules: _IgnoreRules,
    skipped: list[Skipped],
    respect_gitignore: bool,
    beyond_git: bool = False,
) -> Iterator[tuple[str, os.DirEntry, bool]]:
    """(relpath, entry, beyond_git) of every regular file the rules keep; ``beyond_git``: in a nested repository."""
    directory = root / relative_dir if relative_dir else root
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as error:
        skipped.append(Skipped(relative_dir or ".", f"cannot be listed: {error.strerror or error}"))
        return
    if relative_dir and not beyond_git:
        beyond_git = any(entry.name == ".git" for entry in entries)
    for entry in entries:
        relpath = f"{relative_dir}/{entry.name}" if relative_dir else entry.name
        try:  # the directory listing already knows each entry's type: no stat for most of them
            if entry.is_symlink():
                if not _is_within(Path(os.path.realpath(entry.path)), root):
                    skipped.append(Skipped(relpath, "symbolic link to a path outside the target, not followed"))
                continue  # links inside the target: their target is scanned where it lives
            is_dir = entry.is_dir(follow_symlinks=False)
            if not is_dir and not entry.is_file(follow_symlinks=False):
                continue  # sockets, pipes, devices
        except OSError as error:
            skipped.append(Skipped(relpath, f"cannot be read: {error.strerror or error}"))
            continue
        if rules.ignored(relpath, is_dir):
            continue
        if is_dir:
            inner = rules.with_gitignore(Path(entry.path), relpath) if respect_gitignore else rules
            yield from _walk_tree(root, relpath, inner, skipped, respect_gitignore, beyond_git)
        else:
            yield relpath, entry, beyond_git


def _is_within(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def _is_binary(data: bytes) -> bool:
    head = data[:_BINARY_SNIFF]
    if any(head.startswith(bom) for bom, _ in _BOMS[1:]):
        return False  # UTF-16/32 text has NUL bytes by nature
    return b"\x00" in head


def uncommitted_changes(root: Path, ignore: Path | None = None) -> list[str] | None:
    """Paths under ``root`` that git sees as modified or untracked; None outside a git work tree.

    ``ignore`` (the tool's own output folder) does not count.
    """
    try:
        inside = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True, timeout=60
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."],
            capture_output=True, timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if status.returncode != 0:
        return None
    top = Path(subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, timeout=60).stdout.strip())
    entries = status.stdout.split(b"\0")
    paths: list[str] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        if entry[:1] in (b"R", b"C"):
            index += 1  # a rename's second field is the source path
        path = top / os.fsdecode(entry[3:])
        if ignore is not None and (path == ignore or ignore.resolve() in path.resolve().parents):
            continue
        paths.append(os.path.relpath(path, root))
    return paths
