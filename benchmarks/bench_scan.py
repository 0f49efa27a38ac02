"""Scan cost as a ratio against libcst's own parse + print of the same files, measured in one run.

    python benchmarks/bench_scan.py [--files 400]

Absolute times depend on the machine; the ratio says what the analysis adds on top
of the parse every libcst codemod pays anyway.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import libcst

from bedrock2openrouter.config import Settings
from bedrock2openrouter.engine import plan_migration, scan

TEMPLATE = '''\
import json
import boto3

client = boto3.client("bedrock-runtime", region_name="us-east-1")
MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


class Service{index}:
    def __init__(self):
        self.client = boto3.Session().client("bedrock-runtime")

    def ask(self, prompt: str) -> str:
        response = self.client.converse(modelId=MODEL, messages=[{{"role": "user", "content": [{{"text": prompt}}]}}])
        return response["output"]["message"]["content"][0]["text"]

''' + "\n".join(f"def helper_{n}(x):\n    return [x * {n} for _ in range(3)]\n" for n in range(40))


def _best(function, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=400)
    files = parser.parse_args().files
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for index in range(files):
            (root / f"service_{index:04d}.py").write_text(TEMPLATE.format(index=index), encoding="utf-8")
        sources = [path.read_text(encoding="utf-8") for path in sorted(root.glob("*.py"))]
        settings = Settings(jobs=1)
        floor = _best(lambda: [libcst.parse_module(code).code for code in sources])
        scanned = _best(lambda: scan(root, settings))
        planned = _best(lambda: plan_migration(root, settings))
    print(f"{files} files, one process")
    print(f"libcst parse+print (floor): {floor:.2f} s")
    print(f"scan:                       {scanned:.2f} s  = {scanned / floor:.2f}x floor")
    print(f"migrate plan (no writes):   {planned:.2f} s  = {planned / floor:.2f}x floor")


if __name__ == "__main__":
    main()
