"""The walk: ignore rules, links, binaries, sizes, names, and byte-exact decoding."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bedrock2openrouter.workspace import decode_source, walk

MENTION = "client = 'bedrock-runtime'\n"


def _write(root: Path, relative: str, text: str = MENTION) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _walked(root: Path, **options) -> list[str]:
    return [source.relpath for source in walk(root, **options).files]


def test_nested_gitignore_negation_and_anchoring_outside_a_git_repo(tmp_path: Path):
    _write(tmp_path, ".gitignore", "*.gen.py\n/out/\n")
    _write(tmp_path, "a.gen.py")
    _write(tmp_path, "out/x.py")
    _write(tmp_path, "src/out/y.py")  # /out/ is anchored to the top
    _write(tmp_path, "src/.gitignore", "!keep.gen.py\nlocal/\n")
    _write(tmp_path, "src/keep.gen.py")
    _write(tmp_path, "src/local/z.py")
    _write(tmp_path, "src/main.py")
    assert _walked(tmp_path) == ["src/keep.gen.py", "src/main.py", "src/out/y.py"]


def test_default_excludes(tmp_path: Path):
    for folder in (".git", ".venv", "venv", "node_modules", "cdk.out", ".ipynb_checkpoints", "__pycache__",
                   "dist", "build", ".bedrock2openrouter", "pkg/node_modules"):
        _write(tmp_path, f"{folder}/f.py")
    _write(tmp_path, "src/build/real.py")  # only a top-level build/ is build output
    _write(tmp_path, "app.py")
    assert _walked(tmp_path) == ["app.py", "src/build/real.py"]


def test_extra_excludes_and_git_info_exclude(tmp_path: Path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("secret/\n", encoding="utf-8")
    _write(tmp_path, "secret/a.py")
    _write(tmp_path, "vendor/langchain_aws/chat.py")
    _write(tmp_path, "app.py")
    assert _walked(tmp_path, exclude=["vendor/"]) == ["app.py"]


def test_prefilter_drops_files_that_cannot_mention_bedrock(tmp_path: Path):
    _write(tmp_path, "plain.py", "print('hello')\n")
    _write(tmp_path, "model.swift", 'let m = "us.anthropic.claude-3-haiku-20240307-v1:0"\n')
    _write(tmp_path, "upper.yaml", "Action: BEDROCK:InvokeModel\n")
    result = walk(tmp_path)
    assert [s.relpath for s in result.files] == ["model.swift", "upper.yaml"]
    assert result.files_seen == 3


def test_binaries_and_large_files_are_reported_not_read(tmp_path: Path):
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00bedrock-runtime\x00")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\x00\x00\x00")
    _write(tmp_path, "big.json", '"anthropic.claude-v2"' + " " * 5000)
    _write(tmp_path, "app.py")
    result = walk(tmp_path, max_file_size=4096)
    assert [s.relpath for s in result.files] == ["app.py"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert set(reasons) == {"image.png", "big.json"}  # a binary that never mentions Bedrock is no news
    assert "binary" in reasons["image.png"] and "larger than 4 KiB" in reasons["big.json"]


def test_symlinks_are_never_followed(tmp_path: Path):
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    _write(outside, "secret.py")
    _write(root, "app.py")
    os.symlink(outside, root / "linked_dir")
    os.symlink(outside / "secret.py", root / "linked_file.py")
    os.symlink(root / "app.py", root / "alias.py")
    os.symlink(root, root / "loop")
    result = walk(root)
    assert [s.relpath for s in result.files] == ["app.py"]
    assert sorted(s.path for s in result.skipped) == ["linked_dir", "linked_file.py"]


def test_unicode_file_names(tmp_path: Path):
    _write(tmp_path, "🚀 launch/модель.py")
    _write(tmp_path, "naïve café.ts")
    assert _walked(tmp_path) == ["naïve café.ts", "🚀 launch/модель.py"]


@pytest.mark.parametrize(
    ("data", "python", "encoding", "bom", "newline"),
    [
        (b"x = 1\r\ny = 2\r\n", False, "utf-8", b"", "\r\n"),
        (b"\xef\xbb\xbfx = 'bedrock'\n", True, "utf-8", b"\xef\xbb\xbf", "\n"),
        (b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n", True, "iso-8859-1", b"", "\n"),
        (b"name: caf\xe9\n", False, "utf-8", b"", "\n"),  # not UTF-8, no declaration: carried as surrogates
        ("a = 'ü'\n".encode("utf-16"), False, "utf-16-le", b"\xff\xfe", "\n"),
    ],
)
def test_decoding_round_trips_every_byte(data, python, encoding, bom, newline):
    decoded = decode_source(data, python=python)
    assert (decoded.encoding, decoded.bom, decoded.newline) == (encoding, bom, newline)
    assert decoded.encode(decoded.text) == data


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _walked_files(root: Path) -> list[tuple[str, bytes]]:
    return [(source.relpath, source.data) for source in walk(root).files]


def test_git_grep_sieve_keeps_exactly_what_reading_every_file_keeps(tmp_path: Path, monkeypatch):
    """In a work tree git lists the candidates; tracked, modified, untracked and nested-repository files alike."""
    import shutil

    from bedrock2openrouter import workspace

    from .conftest import FIXTURES

    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "demo" / "thinktank", root / "demo")
    shutil.copytree(FIXTURES / "migrate" / "model-ids" / "before", root / "ids")
    (root / "Notes.txt").write_text("We call BEDROCK here.\n", encoding="utf-8")
    (root / "plain.py").write_text("x = 1\n", encoding="utf-8")
    (root / "ignored.log").write_text("bedrock\n", encoding="utf-8")
    (root / ".gitignore").write_text("*.log\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "start")
    (root / "plain.py").write_text('MODEL = "anthropic.claude-v2"\n', encoding="utf-8")  # modified since
    (root / "new.py").write_text('client = boto3.client("bedrock-runtime")\n', encoding="utf-8")  # untracked
    (root / "vendor" / "lib").mkdir(parents=True)
    (root / "vendor" / "lib" / "call.py").write_text('c.converse(modelId="m")\n', encoding="utf-8")
    _git(root / "vendor", "init", "-q")  # a nested repository: git grep does not look inside

    read: list[str] = []
    real = workspace.may_mention_bedrock
    monkeypatch.setattr(workspace, "may_mention_bedrock", lambda data: read.append(data) or real(data))
    sieved = _walked_files(root)
    seen = walk(root).files_seen
    monkeypatch.setattr(workspace, "_git_candidates", lambda root: None)
    read.clear()
    everything = _walked_files(root)
    assert sieved == everything
    assert {"plain.py", "new.py", "Notes.txt", "vendor/lib/call.py"} <= {path for path, _ in sieved}
    assert "ignored.log" not in {path for path, _ in sieved}
    assert len(read) == seen  # without git every file is read; with it (above) only the candidates are


def test_git_grep_sieve_reads_only_candidates(tmp_path: Path, monkeypatch):
    from bedrock2openrouter import workspace

    for index in range(20):
        (tmp_path / f"m{index}.py").write_text(f"x = {index}\n", encoding="utf-8")
    (tmp_path / "chat.py").write_text('import boto3\nboto3.client("bedrock-runtime")\n', encoding="utf-8")
    _git(tmp_path, "init", "-q")
    read: list[bytes] = []
    real = workspace.may_mention_bedrock
    monkeypatch.setattr(workspace, "may_mention_bedrock", lambda data: read.append(data) or real(data))
    result = walk(tmp_path)
    assert [source.relpath for source in result.files] == ["chat.py"]
    assert result.files_seen == 21 and len(read) == 1
