"""Every rule `migrate` fixes can be found by its code: its module, its fixture pairs, its tests."""

from __future__ import annotations

import pytest

from bedrock2openrouter.findings import RULES

from ..conftest import FIXTURES

PACKAGE = FIXTURES.parent / "bedrock2openrouter"
TESTS = FIXTURES.parent / "tests" / "rules"
FIXABLE = sorted(code for code, rule in RULES.items() if rule.fixable)


def test_the_fixable_rules_are_the_ones_built():
    assert FIXABLE == ["B2O101", "B2O102", "B2O103", "B2O401", "B2O402", "B2O601", "B2O602", "B2O603"]


@pytest.mark.parametrize("code", FIXABLE)
def test_a_fixable_rule_has_a_module_a_fixture_pair_and_tests(code: str):
    (module,) = PACKAGE.glob(f"*/rules/{code.lower()}_*.py")
    assert f'CODE = "{code}"' in module.read_text(encoding="utf-8")
    pairs = list(FIXTURES.glob(f"*/{code}_*"))
    assert pairs and all((pair / "before").is_dir() and (pair / "after").is_dir() for pair in pairs)
    (tests,) = TESTS.glob(f"test_{code.lower()}_*.py")
    assert "assert_fixture_pair" in tests.read_text(encoding="utf-8")
