"""`migrate`, `check` and `rollback` on real git repositories made in temporary folders."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bedrock2openrouter.changeset import (
    FileChange,
    PatchError,
    apply_changes,
    render_rollback_patch,
    rollback,
)
from bedrock2openrouter.cli import app
from bedrock2openrouter.config import Settings
from bedrock2openrouter.engine import plan_migration
from bedrock2openrouter.modelmap import ModelMap

from .conftest import FIXTURES

runner = CliRunner()
MODEL_IDS = FIXTURES / "migrate" / "model-ids"
OUT = ".bedrock2openrouter"


def _git(root: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "user.email=test@example.com", "-c", "user.name=test", "-c", "core.autocrlf=false", *args],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return completed.stdout


def _repo(tmp_path: Path, source: Path = MODEL_IDS / "before") -> Path:
    root = tmp_path / "repo"
    shutil.copytree(source, root)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "before")
    return root


def _tree(root: Path, skip: str = OUT) -> dict[str, str]:
    """Every file under root (but .git and the output folder) -> SHA-256 of its bytes."""
    hashes = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith((".git/", f"{skip}/")):
            hashes[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _migrate(root: Path, *args: str):
    return runner.invoke(app, ["migrate", str(root), *args])


def test_migrate_produces_exactly_the_expected_tree(tmp_path: Path):
    root = _repo(tmp_path)
    result = _migrate(root)
    assert result.exit_code == 2, result.output  # legacy/broken.py cannot be parsed: reported, never silent
    assert _tree(root) == _tree(MODEL_IDS / "after")
    assert result.stdout.splitlines()[-1] == "Scanned 15 files: changed 13, 7 follow-ups, 1 error."
    for artifact in ("migration.diff", "rollback.patch", "report.md", "report.json"):
        assert (root / OUT / artifact).is_file()
    report = json.loads((root / OUT / "report.json").read_text(encoding="utf-8"))
    assert report["summary"] == {"files_scanned": 15, "files_changed": 13, "follow_ups": 7, "errors": 1}
    markdown = (root / OUT / "report.md").read_text(encoding="utf-8")
    assert "### `config/models.yaml`" in markdown and "line 5: **B2O401**" in markdown
    assert "`legacy/broken.py` line 3" in markdown
    assert "still calls Bedrock" not in result.stdout  # the last client moved: IDs everywhere can follow


def test_rollback_restores_every_byte_and_patch_tools_accept_it(tmp_path: Path):
    root = _repo(tmp_path)
    before = _tree(root)
    assert _migrate(root).exit_code == 2
    assert _tree(root) != before
    patch = root / OUT / "rollback.patch"
    for command in (["git", "apply", "--check", str(patch)], ["patch", "-p1", "--dry-run", "-s", "-i", str(patch)]):
        checked = subprocess.run(command, cwd=root, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    forward = subprocess.run(["git", "apply", "--check", "-R", str(root / OUT / "migration.diff")], cwd=root,
                             capture_output=True, text=True)
    assert forward.returncode == 0, forward.stderr

    result = runner.invoke(app, ["rollback", str(patch)])
    assert result.exit_code == 0, result.output
    assert "Restored 13 files" in result.stdout
    assert _tree(root) == before
    again = runner.invoke(app, ["rollback", str(patch)])
    assert again.exit_code == 0 and "nothing to roll back" in again.stdout


def test_git_apply_of_the_rollback_patch_restores_the_same_bytes(tmp_path: Path):
    root = _repo(tmp_path)
    before = _tree(root)
    _migrate(root)
    subprocess.run(["git", "apply", str(root / OUT / "rollback.patch")], cwd=root, check=True)
    assert _tree(root) == before


def test_rollback_default_patch_location_is_the_current_project(tmp_path: Path, monkeypatch):
    root = _repo(tmp_path)
    before = _tree(root)
    _migrate(root)
    monkeypatch.chdir(root)
    assert runner.invoke(app, ["rollback"]).exit_code == 0
    assert _tree(root) == before


def test_created_and_deleted_files_round_trip(tmp_path: Path):
    root = tmp_path / "project"
    root.mkdir()
    (root / "keep.txt").write_bytes(b"one\r\ntwo\r\n")
    (root / "old.py").write_bytes(b"print('bye')\n")
    before = _tree(root)
    changes = [
        FileChange("keep.txt", b"one\r\ntwo\r\n", b"one\r\nTWO\r\n"),
        FileChange("old.py", b"print('bye')\n", None),
        FileChange("pkg/_openrouter.py", None, b"API = 'x'\n", 0o600),
    ]
    applied, failed = apply_changes(root, changes)
    assert failed == [] and len(applied) == 3
    assert not (root / "old.py").exists()
    assert stat.S_IMODE((root / "pkg" / "_openrouter.py").stat().st_mode) == 0o600
    out = root / OUT
    out.mkdir()
    (out / "rollback.patch").write_bytes(render_rollback_patch(applied, root))
    checked = subprocess.run(["git", "apply", "--check", str(out / "rollback.patch")], cwd=root,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    outcome = rollback(out / "rollback.patch")
    assert sorted(outcome.restored) == ["keep.txt", "old.py", "pkg/_openrouter.py"]
    assert _tree(root) == before


def test_dirty_tree_is_refused_with_one_line_and_nothing_written(tmp_path: Path):
    root = _repo(tmp_path)
    (root / "config" / "models.json").write_text("{}\n", encoding="utf-8")
    before = _tree(root)
    result = _migrate(root)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "uncommitted or untracked" in result.stderr and "--allow-dirty" in result.stderr
    assert _tree(root) == before and not (root / OUT).exists()


def test_untracked_file_counts_as_dirty_but_allow_dirty_proceeds(tmp_path: Path):
    root = _repo(tmp_path)
    (root / "notes.txt").write_text("scratch\n", encoding="utf-8")
    assert _migrate(root).exit_code == 2 and not (root / OUT).exists()
    assert _migrate(root, "--allow-dirty").exit_code == 2  # runs; exit 2 for broken.py
    assert (root / OUT / "rollback.patch").is_file()


def test_dry_run_writes_nothing_not_even_out(tmp_path: Path):
    root = _repo(tmp_path)
    (root / "untracked.txt").write_text("dirty is fine for a dry run\n", encoding="utf-8")
    before = _tree(root)
    out = tmp_path / "elsewhere"
    result = _migrate(root, "--dry-run", "--out", str(out))
    assert result.exit_code == 2
    assert "-summarize: \"mistral.mistral-large-2407-v1:0\"" in result.stdout
    assert "+summarize: \"mistralai/mistral-large-2407\"" in result.stdout
    assert _tree(root) == before
    assert not out.exists() and not (root / OUT).exists()


def test_second_run_changes_nothing_and_exits_like_check(tmp_path: Path):
    root = tmp_path / "clean"
    root.mkdir()
    (root / "models.json").write_text('{"model": "anthropic.claude-3-haiku-20240307-v1:0"}\n', encoding="utf-8")
    (root / "embed.env").write_text("EMBED=amazon.titan-embed-text-v2:0\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "before")
    assert runner.invoke(app, ["check", str(root)]).exit_code == 1
    first = _migrate(root)
    assert first.exit_code == 1  # the embedding model stays: a follow-up
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "migrated")
    migrated = _tree(root, skip="")
    second = _migrate(root)
    assert second.exit_code == runner.invoke(app, ["check", str(root)]).exit_code == 1
    assert "Nothing to change." in second.stdout
    assert _tree(root, skip="") == migrated  # not even the artifacts of the first run were touched


def test_check_exit_codes_before_and_after(tmp_path: Path):
    root = tmp_path / "ids"
    root.mkdir()
    (root / "Models.swift").write_text('let model = "us.anthropic.claude-3-5-haiku-20241022-v1:0"\n', encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "before")
    before = runner.invoke(app, ["check", str(root), "--diff"])
    assert before.exit_code == 1
    assert '+let model = "anthropic/claude-3.5-haiku"' in before.stdout
    assert "1 file would change" in before.stdout
    as_json = json.loads(runner.invoke(app, ["check", str(root), "--format", "json"]).stdout)
    assert as_json["changes"] == [{"path": "Models.swift", "kind": "modify"}]
    assert _migrate(root).exit_code == 0
    after = runner.invoke(app, ["check", str(root)])
    assert after.exit_code == 0, after.output
    assert "No Bedrock dependency found." in after.stdout


def test_check_github_annotations(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("model: anthropic.claude-3-haiku-20240307-v1:0\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(tmp_path), "--format", "github"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::notice file=a.yaml,line=1,col=8,title=B2O401 bedrock-model-id::"
        "Bedrock model ID 'anthropic.claude-3-haiku-20240307-v1:0'"
    ]


def test_read_only_and_unparsable_files_are_reported_and_left_alone(tmp_path: Path):
    root = _repo(tmp_path)
    locked = root / "config" / "models.yaml"
    original = locked.read_bytes()
    locked.chmod(0o444)
    result = _migrate(root)
    assert result.exit_code == 2
    assert "config/models.yaml: read-only file, not changed" in result.stdout
    assert locked.read_bytes() == original and stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert (root / "legacy" / "broken.py").read_bytes() == (MODEL_IDS / "before" / "legacy" / "broken.py").read_bytes()
    assert (root / "assets" / "blob.bin").read_bytes() == (MODEL_IDS / "before" / "assets" / "blob.bin").read_bytes()
    patch = (root / OUT / "rollback.patch").read_bytes()
    assert b"config/models.yaml" not in patch  # not applied, so not in the rollback either


def test_drift_is_refused_then_forced(tmp_path: Path):
    root = _repo(tmp_path)
    _migrate(root)
    settings = root / "scripts" / "settings.py"
    settings.write_text(settings.read_text(encoding="utf-8") + "\nEXTRA = 1\n", encoding="utf-8")
    migrated = _tree(root)
    patch = str(root / OUT / "rollback.patch")
    refused = runner.invoke(app, ["rollback", patch])
    assert refused.exit_code == 2
    assert "scripts/settings.py" in refused.stderr and "nothing was restored" in refused.stderr
    assert _tree(root) == migrated
    forced = runner.invoke(app, ["rollback", patch, "--force"])
    assert forced.exit_code == 0, forced.output
    restored = settings.read_text(encoding="utf-8")
    assert 'DEFAULT_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"' in restored
    assert restored.endswith("\nEXTRA = 1\n")  # the later edit is kept where it does not collide
    assert (root / "app" / "Models.swift").read_bytes() == (MODEL_IDS / "before" / "app" / "Models.swift").read_bytes()


def test_an_earlier_rollback_patch_is_never_overwritten(tmp_path: Path):
    root = _repo(tmp_path)
    (root / OUT).mkdir()
    (root / OUT / "rollback.patch").write_text("earlier\n", encoding="utf-8")
    result = _migrate(root)
    assert result.exit_code == 2 and "earlier migration" in result.stderr
    assert (root / OUT / "rollback.patch").read_text(encoding="utf-8") == "earlier\n"
    assert _tree(root) == _tree(MODEL_IDS / "before")


def _evil_patch(path: str) -> bytes:
    manifest = {"format": 1, "root": "/nonexistent",
                "files": [{"path": path, "kind": "modify", "before": "0" * 64, "after": "1" * 64, "mode": 420}]}
    return (
        b"# bedrock2openrouter-manifest: " + json.dumps(manifest).encode() + b"\n"
        + f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-x\n+y\n".encode()
    )


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/passwd", "a/../../outside.txt", "link/secret.txt"])
def test_patch_leaving_the_project_is_refused(tmp_path: Path, path: str):
    root = tmp_path / "project"
    (root / OUT).mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("x\n", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("x\n", encoding="utf-8")
    os.symlink(outside, root / "link")
    patch = root / OUT / "rollback.patch"
    patch.write_bytes(_evil_patch(path))
    with pytest.raises(PatchError, match="leaves the project"):
        rollback(patch, force=True)
    result = runner.invoke(app, ["rollback", str(patch), "--force"])
    assert result.exit_code == 2 and "leaves the project" in result.stderr
    assert (outside / "secret.txt").read_text(encoding="utf-8") == "x\n"
    assert (tmp_path / "outside.txt").read_text(encoding="utf-8") == "x\n"


def test_rollback_of_a_file_that_is_not_a_patch(tmp_path: Path):
    patch = tmp_path / "rollback.patch"
    patch.write_text("hello\n", encoding="utf-8")
    result = runner.invoke(app, ["rollback", str(patch)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {patch}: not a bedrock2openrouter rollback patch (no manifest line)"
    missing = runner.invoke(app, ["rollback", str(tmp_path / "none.patch")])
    assert missing.exit_code == 2 and "no such rollback patch" in missing.stderr


def test_permission_bits_survive_the_rewrite(tmp_path: Path):
    root = tmp_path / "bits"
    root.mkdir()
    script = root / "run.sh"
    script.write_text('#!/bin/sh\nexec ask --model "anthropic.claude-3-haiku-20240307-v1:0"\n', encoding="utf-8")
    script.chmod(0o755)
    assert _migrate(root).exit_code == 0
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert '"anthropic/claude-3-haiku"' in script.read_text(encoding="utf-8")


def test_pre_commit_hook_runs_the_check_command():
    import yaml

    from .conftest import REPO

    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["entry"] == "bedrock2openrouter check" and hook["pass_filenames"] is False
    assert runner.invoke(app, hook["entry"].split()[1:] + ["--help"]).exit_code == 0


def test_a_mapped_id_that_would_break_a_python_literal_is_refused(tmp_path: Path):
    """A user's map may name an ID with a quote: written into the string it would end it, so nothing is written."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text('MODEL = "anthropic.claude-3-haiku-20240307-v1:0"\n', encoding="utf-8")
    user_map = tmp_path / "models.yaml"
    user_map.write_text("models:\n  - bedrock_id: anthropic.claude-3-haiku-20240307-v1:0\n"
                        "    openrouter_id: 'acme/odd\"id'\n", encoding="utf-8")
    plan = plan_migration(project, Settings(jobs=1), ModelMap.load(user_map))
    assert plan.changes == []
    assert [error.message.split(":")[0] for error in plan.errors] == ["model ID rewrite dropped"]
