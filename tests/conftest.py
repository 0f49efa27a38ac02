"""Shared test helpers: fixture locations and copies of fixture trees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SCAN_FIXTURES = FIXTURES / "scan"

# A Bedrock call that must never be reported when it sits in an excluded folder.
BEDROCK_SNIPPET = 'import boto3\nboto3.client("bedrock-runtime").converse(modelId="anthropic.claude-v2", messages=[])\n'


@pytest.fixture
def copy_fixture(tmp_path: Path):
    """Copy a fixture project into a temporary directory and return its path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(SCAN_FIXTURES / name, target, symlinks=True)
        return target

    return copy


def plant_excluded_folders(root: Path) -> list[str]:
    """Put Bedrock code where the walk must never look; return the planted paths."""
    planted = [
        ".venv/lib/python3.11/site-packages/langchain_aws/chat.py",
        "node_modules/@aws-sdk/client-bedrock-runtime/index.js",
        "cdk.out/asset.123/handler.py",
        "notebooks/.ipynb_checkpoints/explore-checkpoint.py",
        "build/lib/service/chat.py",
        "scratch/try_bedrock.py",
        ".bedrock2openrouter/report.py",
        "service/__pycache__/chat.py",
        "server.log",
    ]
    for relative in planted:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BEDROCK_SNIPPET, encoding="utf-8")
    return planted
