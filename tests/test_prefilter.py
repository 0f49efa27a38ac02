"""A large tree: only the files that can mention Bedrock are ever parsed."""

from __future__ import annotations

from pathlib import Path

import libcst

from bedrock2openrouter import engine
from bedrock2openrouter.config import Settings

TOTAL = 5000
MENTIONING = 50  # 1%


def _generate(root: Path) -> set[str]:
    mentioning = set()
    for index in range(TOTAL):
        folder = root / f"pkg{index // 100:02d}"
        folder.mkdir(exist_ok=True)
        relative = f"pkg{index // 100:02d}/module_{index:04d}.py"
        if index % (TOTAL // MENTIONING) == 0:
            body = f"import boto3\nclient = boto3.client('bedrock-runtime')\nMODEL_{index} = 'anthropic.claude-v2'\n"
            mentioning.add(relative)
        else:
            body = f"def f_{index}(x):\n    return x * {index}  # plain code, nothing to migrate\n"
        (root / relative).write_text(body, encoding="utf-8")
    return mentioning


def test_only_files_that_mention_bedrock_are_parsed(tmp_path: Path, monkeypatch):
    mentioning = _generate(tmp_path)
    parsed: list[int] = []
    real_parse = libcst.parse_module

    def counting_parse(source, *args, **kwargs):
        parsed.append(1)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", counting_parse)
    analyzed: list[str] = []
    real_analyse = engine.analyse
    monkeypatch.setattr(engine, "analyse", lambda source, *context: analyzed.append(source.relpath) or real_analyse(source))

    result = engine.scan(tmp_path, Settings(jobs=1))

    assert result.files_scanned == TOTAL
    assert result.files_parsed == MENTIONING
    assert set(analyzed) == mentioning
    assert len(parsed) == MENTIONING
    assert {f.path for f in result.findings} == mentioning
