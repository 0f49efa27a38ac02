"""A cached Node toolchain (TypeScript + aws-cdk-lib) for tests that type-check generated CDK code.

`tsc` is the only honest check that a CDK TypeScript snippet compiles against the
real construct library, so tests install `typescript`, `aws-cdk-lib`, `constructs`
and `@types/node` once into ``<repo>/.cache/node`` (git-ignored) and reuse them.

Usage from a test::

    prefix = node_toolchain()
    if prefix is None:
        pytest.skip("npm is not installed: cannot type-check CDK TypeScript")
    result = tsc_check([stack_file])
    assert result.returncode == 0, result.stdout

Concurrency: the install holds an exclusive file lock (``fcntl`` where available)
and is built in a temporary prefix that is renamed into place, so parallel test
processes (pytest-xdist, two CI jobs on one checkout) never see half an install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache"
NODE_PREFIX = CACHE / "node"

# Major versions only: stable enough to be reproducible, loose enough to get fixes.
PACKAGES = ("typescript@5", "aws-cdk-lib@2", "constructs@10", "@types/node@20")
_MARKER = ".b2o-installed"  # written last; holds PACKAGES, so a changed pin reinstalls
INSTALL_TIMEOUT = 900

TSC_FLAGS = (
    "--noEmit",
    "--strict",
    "--esModuleInterop",
    "--skipLibCheck",
    "--target", "ES2020",
    "--module", "commonjs",
    "--moduleResolution", "node",
    "--pretty", "false",
)

_failure: str | None = None  # one failed install per process is enough


def _npm() -> str | None:
    return shutil.which("npm")


def _node() -> str | None:
    return shutil.which("node")


def _installed(prefix: Path) -> bool:
    """Complete means: our marker with the current pins, tsc and aws-cdk-lib all present."""
    marker = prefix / _MARKER
    modules = prefix / "node_modules"
    return (
        marker.is_file()
        and marker.read_text(encoding="utf-8").split() == list(PACKAGES)
        and (modules / ".bin" / "tsc").exists()
        and (modules / "aws-cdk-lib" / "package.json").is_file()
        and (modules / "constructs" / "package.json").is_file()
    )


@contextmanager
def _install_lock() -> Iterator[None]:
    """Exclusive lock across processes; without fcntl (Windows) the atomic rename still protects us."""
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux/macOS
        yield
        return
    with open(CACHE / "node.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(npm: str) -> None:
    staging = Path(tempfile.mkdtemp(prefix="node-staging-", dir=CACHE))
    try:
        (staging / "package.json").write_text('{"name": "b2o-test-toolchain", "private": true}\n', encoding="utf-8")
        completed = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(staging), *PACKAGES],
            check=False, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
        )
        if completed.returncode != 0:
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
            raise RuntimeError(f"npm install {' '.join(PACKAGES)} failed: " + " | ".join(tail))
        (staging / _MARKER).write_text("\n".join(PACKAGES) + "\n", encoding="utf-8")
        if NODE_PREFIX.exists():  # a stale or broken install: replace it whole
            shutil.rmtree(NODE_PREFIX)
        os.replace(staging, NODE_PREFIX)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def node_toolchain() -> Path | None:
    """The cache prefix holding ``node_modules`` (installing it on first use), or None when npm is absent.

    Raises RuntimeError when npm exists but the install fails (for example, no
    registry): that is a broken environment, not a reason to skip silently.
    """
    global _failure
    npm = _npm()
    if npm is None or _node() is None:
        return None
    if _installed(NODE_PREFIX):
        return NODE_PREFIX
    if _failure is not None:
        raise RuntimeError(_failure)
    with _install_lock():
        if not _installed(NODE_PREFIX):  # another process may have finished while we waited
            try:
                _install(npm)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
                _failure = str(error)
                raise RuntimeError(_failure) from None
    return NODE_PREFIX


def _common_root(files: list[Path]) -> Path:
    return Path(os.path.commonpath([str(f.parent) for f in files]))


def tsc_check(files: list[Path]) -> subprocess.CompletedProcess:
    """Type-check FILES with ``tsc --noEmit --strict`` against the cached aws-cdk-lib.

    The files are copied (keeping their layout relative to their common folder,
    so relative imports between them still resolve) into a temporary folder
    beside a ``node_modules`` link to the cache; that is how Node module
    resolution finds ``aws-cdk-lib`` without touching the caller's tree.
    Diagnostics in ``stdout`` name the original paths. Call ``node_toolchain()``
    first and skip when it returns None.
    """
    prefix = node_toolchain()
    if prefix is None:
        raise RuntimeError("npm is not installed: no TypeScript toolchain (call node_toolchain() and skip first)")
    if not files:
        raise ValueError("tsc_check needs at least one file")
    files = [Path(f).resolve() for f in files]
    modules = prefix / "node_modules"
    root = _common_root(files)
    with tempfile.TemporaryDirectory(prefix="tsc-") as scratch:
        work = Path(scratch)
        (work / "node_modules").symlink_to(modules, target_is_directory=True)
        copies: list[tuple[str, Path]] = []
        for original in files:
            relative = original.relative_to(root)
            target = work / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, target)
            copies.append((relative.as_posix(), original))
        command = [
            _node() or "node", str(modules / "typescript" / "bin" / "tsc"), *TSC_FLAGS,
            "--typeRoots", str(modules / "@types"), "--types", "node",
            *(relative for relative, _ in copies),
        ]
        env = {**os.environ, "NODE_PATH": str(modules)}
        completed = subprocess.run(
            command, check=False, cwd=work, capture_output=True, text=True, env=env, timeout=300
        )
    stdout = completed.stdout
    for relative, original in copies:  # tsc prints paths relative to its cwd: point them back at the originals
        stdout = "\n".join(
            str(original) + line[len(relative):] if line.startswith(relative + "(") else line
            for line in stdout.split("\n")
        )
    return subprocess.CompletedProcess(command, completed.returncode, stdout, completed.stderr)
