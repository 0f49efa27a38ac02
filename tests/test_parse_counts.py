"""A whole migration plan parses each file version at most once with each parser.

Every parser is declared in `parsing.PARSERS`; the test wraps them all with a
counter keyed by what they were asked to parse, then plans the migration of
every fixture tree (Python rules, infrastructure, whole projects, the demo).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from bedrock2openrouter import parsing
from bedrock2openrouter.iac import terraform  # noqa: F401 - each of these declares its parser
from bedrock2openrouter.javascript import parser  # noqa: F401
from bedrock2openrouter.python import detect, notebook  # noqa: F401
from bedrock2openrouter.config import Settings
from bedrock2openrouter.findings import ParseFailure
from bedrock2openrouter.engine import plan_migration, scan

from .conftest import FIXTURES

TREES = sorted({*FIXTURES.glob("*/*/before"), FIXTURES / "demo" / "thinktank", *FIXTURES.glob("behaviour/[0-9]*")})


@pytest.fixture
def parses(monkeypatch) -> Counter:
    """(parser, what it parsed) -> how often the real parser ran."""
    counts: Counter = Counter()
    assert set(parsing.PARSERS) == {"libcst", "tree-sitter", "yaml", "hcl", "notebook"}
    for name, function in list(parsing.PARSERS.items()):
        def counting(*args, _name=name, _function=function, **kwargs):
            counts[(_name, args, tuple(sorted(kwargs.items())))] += 1
            return _function(*args, **kwargs)

        monkeypatch.setitem(parsing.PARSERS, name, counting)
    parsing.forget()
    yield counts
    parsing.forget()


def _repeated(counts: Counter) -> list[tuple[str, str, int]]:
    return [(name, repr(args[0])[:80], count) for (name, args, _), count in counts.items() if count > 1]


@pytest.mark.parametrize("tree", TREES, ids=[str(tree.relative_to(FIXTURES)) for tree in TREES])
def test_a_migration_plan_parses_each_version_once_per_parser(tree: Path, parses: Counter):
    plan = plan_migration(tree, Settings(jobs=1), wire_secret="app/openrouter" if "cdk-wire" in str(tree) else None)
    assert plan.scan.files_parsed > 0
    assert parses, "the plan parsed nothing: the counters are not in the parsers' path"
    assert _repeated(parses) == []


def test_one_plan_over_every_fixture_at_once(parses: Counter, tmp_path: Path):
    """Many files in one plan: a version must not be parsed again after the memo has moved on."""
    for tree in TREES:
        shutil.copytree(tree, tmp_path / str(tree.relative_to(FIXTURES)).replace("/", "-"))
    plan = plan_migration(tmp_path, Settings(jobs=1))
    assert plan.scan.files_parsed > 50
    # Files with the same bytes (each program's behaviour.json) are one version each: parsed once per file.
    copies = Counter(path.read_bytes().decode("utf-8", "replace") for path in tmp_path.rglob("*") if path.is_file())
    assert [(name, text[:80], count) for (name, (text, *_), _), count in parses.items()
            if count > max(copies.get(text, 1), 1)] == []


def test_the_count_sees_a_second_parse(parses: Counter, tmp_path: Path):
    """The guard itself: two scans in a row with the memo cleared in between do count twice."""
    (tmp_path / "template.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n# bedrock\n", encoding="utf-8")
    scan(tmp_path, Settings(jobs=1))
    parsing.forget()
    scan(tmp_path, Settings(jobs=1))
    assert [name for name, _, count in _repeated(parses)] == ["yaml"]


def test_a_rewritten_tree_is_adopted_as_the_parse_of_its_code(parses: Counter):
    """The analysis after a rewrite reads the tree the rewrite built; broken code is refused, not adopted."""
    import libcst as cst

    module = cst.parse_module("x = 1\n").with_changes(body=[cst.parse_statement("client = make()\n")])
    assert detect.adopt_tree(module.code, module) is None
    assert detect.parse_python(module.code) is module
    assert parses == Counter()  # adopted, never parsed
    failure = detect.adopt_tree("def f(:\n", module)
    assert failure is not None and failure.message.startswith("Python syntax error")
    with pytest.raises(ParseFailure):
        detect.parse_python("def f(:\n")
