"""How much the tool costs, as ratios against floors measured in the same run.

    python benchmarks/bench.py                  # full run: 400 service modules, 3000 noise files, best of 3
    python benchmarks/bench.py --quick          # smoke run, under a minute; sizes too small for the targets
    python benchmarks/bench.py --files 400 --noise 3000 --repeat 3 --json benchmarks/results.json [--check]

Absolute times depend on the machine, so every figure is a ratio against
something measured in the same process on the same files: libcst's own parse
and print (what any libcst codemod pays anyway), ``git grep`` (what finding
Bedrock files can cost), one worker (what a second one should buy), and the
same tree with half the noise (memory must not grow with files that never
mention Bedrock). Times are the best of ``--repeat`` runs.

Two trees (see ``trees.py``): (a) Bedrock service modules that are all
rewritten; (b) a committed repository with a small Bedrock package, IaC,
notebooks and ``--noise`` unrelated files. The floor parses exactly the Python
the walk keeps: each Bedrock module, and each notebook's code cells joined
into one module (IaC templates have no libcst floor; their cost is in the
ratio).

The table goes to stdout, progress to stderr, everything to ``--json``. The
exit status is 0 whatever the figures, unless ``--check`` is given: then 1
when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TypeVar

import libcst
from trees import add_noise, notebook_code, write_mixed_tree, write_service_tree

import bedrock2openrouter
from bedrock2openrouter import parsing
from bedrock2openrouter.config import Settings
from bedrock2openrouter.engine import plan_migration, scan
from bedrock2openrouter.workspace import walk

BENCHMARKS = Path(__file__).resolve().parent
PEAK_MEMORY_SCRIPT = BENCHMARKS / "peak_memory.py"
FULL_SIZES = {"files": 400, "noise": 3000, "repeat": 3}
QUICK_SIZES = {"files": 8, "noise": 200, "repeat": 1}

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """A bound on a ratio: ``value <= limit`` (or ``>=`` when ``at_least``)."""

    limit: float
    at_least: bool = False

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit

    def __str__(self) -> str:
        return f"{'≥' if self.at_least else '≤'} {self.limit:g}×"


SCAN_TARGET = Target(2.0)
PLAN_TARGET = Target(3.0)
WALK_TARGET = Target(3.0)
WORKERS_TARGET = Target(1.7, at_least=True)
MEMORY_TARGET = Target(1.1)


@dataclass
class Figure:
    """One printed line: what was measured, its value, and the target it is held to (if any)."""

    key: str
    label: str
    value: float
    unit: str  # "x" for ratios, "s" or "MB" for the informative absolute figures
    target: str | None = None
    met: bool | None = None
    detail: str = ""

    @classmethod
    def ratio(cls, key: str, label: str, value: float, target: Target, detail: str = "") -> Figure:
        return cls(key, label, value, "x", str(target), target.met(value), detail)

    def cells(self) -> tuple[str, str, str, str, str]:
        value = f"{self.value:.2f}×" if self.unit == "x" else f"{self.value:.2f} {self.unit}"
        mark = "" if self.met is None else ("✓" if self.met else "✗")
        return self.label, value, self.target or "", mark, self.detail


@dataclass
class Report:
    sizes: dict[str, object]
    figures: list[Figure] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # every raw timing, for the JSON
    # 1-minute load average at start and end: other work on the machine skews times, the jobs figure most
    load_average: list[float] = field(default_factory=lambda: [os.getloadavg()[0]])

    @property
    def all_met(self) -> bool:
        return all(figure.met is not False for figure in self.figures)


_STARTED = time.perf_counter()


def progress(message: str) -> None:
    """A line on stderr per step, so that a run of many minutes shows where it is."""
    print(f"[{time.perf_counter() - _STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def timed(function: Callable[[], T]) -> tuple[float, T]:
    """One run from a clean start: no garbage left over, no parse remembered from an earlier run."""
    parsing.forget()
    gc.collect()
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def best_of(function: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The fastest of ``repeat`` runs (the one least disturbed by the rest of the machine), and a result."""
    runs = [timed(function) for _ in range(repeat)]
    return min(seconds for seconds, _ in runs), runs[-1][1]


def best_of_interleaved(functions: list[Callable[[], object]], repeat: int) -> list[tuple[float, object]]:
    """The fastest run of each function, the functions taking turns: a change of load hits floor and tool alike."""
    runs: list[list[tuple[float, object]]] = [[] for _ in functions]
    for _ in range(repeat):
        for function, found in zip(functions, runs):
            found.append(timed(function))
    return [(min(seconds for seconds, _ in found), found[-1][1]) for found in runs]


def walk_with_default_settings(root: Path):
    defaults = Settings()
    return walk(root, exclude=defaults.exclude, max_file_size=defaults.max_file_size,
                respect_gitignore=defaults.respect_gitignore)


def bedrock_modules(root: Path) -> dict[str, str]:
    """The Python code the floor parses, by path: Bedrock files the prefilter keeps, a notebook as one module."""
    modules: dict[str, str] = {}
    for source in walk_with_default_settings(root).files:
        text = source.data.decode("utf-8")
        if source.relpath.endswith(".py"):
            modules[source.relpath] = text
        elif source.relpath.endswith(".ipynb"):
            modules[source.relpath] = notebook_code(text)
    return modules


def libcst_round_trip(sources: list[str]) -> list[str]:
    return [libcst.parse_module(code).code for code in sources]


def measure_against_floor(report: Report, tree: str, root: Path, repeat: int) -> float:
    """Floor, scan/floor and plan/floor on one tree, all in this process; returns plan's time with jobs=1."""
    modules = bedrock_modules(root)
    sources = list(modules.values())
    notebooks = sum(path.endswith(".ipynb") for path in modules)
    what = f"{len(modules) - notebooks} Bedrock modules" + (f" + {notebooks} notebooks" if notebooks else "")
    one_process = Settings(jobs=1)
    progress(f"tree ({tree}): floor ({what}), scan and plan_migration with jobs=1, taking turns")
    (floor, _), (scanned, _), (planned, plan) = best_of_interleaved(
        [lambda: libcst_round_trip(sources), lambda: scan(root, one_process), lambda: plan_migration(root, one_process)],
        repeat)
    rewritten = sum(change.path in modules for change in plan.changes)
    report.seconds.update({f"floor_{tree}": floor, f"scan_{tree}": scanned, f"plan_{tree}": planned})
    report.figures += [
        Figure(f"floor_{tree}", f"({tree}) floor: libcst parse+print of {what}", floor, "s"),
        Figure.ratio(f"scan_{tree}", f"({tree}) scan(jobs=1) / floor", scanned / floor, SCAN_TARGET,
                     f"{scanned:.2f} s"),
        Figure.ratio(f"plan_{tree}", f"({tree}) plan_migration(jobs=1) / floor", planned / floor, PLAN_TARGET,
                     f"{planned:.2f} s; {rewritten} of {len(modules)} rewritten"),
    ]
    return planned


def measure_workers(report: Report, root: Path, files: int, one_worker: float, repeat: int) -> None:
    progress(f"tree (a): plan_migration, jobs=2, {files} files")
    two_workers, _ = best_of(lambda: plan_migration(root, Settings(jobs=2)), repeat)
    report.seconds["plan_a_jobs2"] = two_workers
    report.figures.append(Figure.ratio(
        "workers", f"(a) plan_migration jobs=1 / jobs=2, {files} files", one_worker / two_workers, WORKERS_TARGET,
        f"{one_worker:.2f} s vs {two_workers:.2f} s on {os.cpu_count()} CPUs",
    ))


def git_grep(root: Path) -> list[str]:
    result = subprocess.run(["git", "-C", str(root), "grep", "-l", "-i", "bedrock"],
                            capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def measure_walk(report: Report, root: Path, repeat: int) -> None:
    """walk+prefilter in process against ``git grep`` as a command, its start-up included, as a user runs it."""
    progress("tree (b): walk+prefilter and git grep")
    walked, walk_result = best_of(lambda: walk_with_default_settings(root), repeat)
    grepped, grep_listed = best_of(lambda: git_grep(root), repeat)
    report.seconds.update({"walk_b": walked, "git_grep_b": grepped})
    report.figures.append(Figure.ratio(
        "walk", "(b) walk+prefilter / git grep -l -i bedrock", walked / grepped, WALK_TARGET,
        f"{walked:.3f} s vs {grepped:.3f} s; {walk_result.files_seen} files, "
        f"kept {len(walk_result.files)}, grep listed {len(grep_listed)}",
    ))


def peak_scan_memory_mb(root: Path | None) -> float:
    """Peak RSS of scan(root) in a fresh interpreter; ``None`` measures the imports alone."""
    argument = str(root) if root is not None else "--imports-only"
    output = subprocess.run([sys.executable, str(PEAK_MEMORY_SCRIPT), argument],
                            capture_output=True, text=True, check=True).stdout
    return int(output.split()[-1]) / 1024  # ru_maxrss is in KiB on Linux


def measure_memory(report: Report, root: Path, noise: int) -> None:
    """Peak of scan with ``noise`` and ``2 * noise`` non-Bedrock files: it should not grow with them."""
    progress(f"tree (b): peak memory of scan, {noise} and {2 * noise} non-Bedrock files")
    imports_only = peak_scan_memory_mb(None)
    single = peak_scan_memory_mb(root)
    add_noise(root, noise, noise)
    double = peak_scan_memory_mb(root)
    report.figures += [
        Figure("memory_n", f"(b) peak RSS of scan, {noise} non-Bedrock files", single, "MB",
               detail=f"of which {imports_only:.1f} MB before scan (interpreter, imports)"),
        Figure("memory_2n", f"(b) peak RSS of scan, {2 * noise} non-Bedrock files", double, "MB"),
        Figure.ratio("memory", f"(b) peak({2 * noise}) / peak({noise})", double / single, MEMORY_TARGET),
    ]


def run(files: int, noise: int, repeat: int) -> Report:
    report = Report({"files": files, "noise": noise, "repeat": repeat})
    with tempfile.TemporaryDirectory(prefix="b2o-bench-a-") as folder:
        services = Path(folder)
        write_service_tree(services, files)
        one_worker = measure_against_floor(report, "a", services, repeat)
        measure_workers(report, services, files, one_worker, repeat)
    with tempfile.TemporaryDirectory(prefix="b2o-bench-b-") as folder:
        mixed = Path(folder)
        write_mixed_tree(mixed, noise)
        measure_against_floor(report, "b", mixed, repeat)
        measure_walk(report, mixed, repeat)
        measure_memory(report, mixed, noise)  # last: it adds noise to the tree
    report.load_average.append(os.getloadavg()[0])
    return report


def print_table(report: Report, quick: bool) -> None:
    sizes = report.sizes
    print(f"bedrock2openrouter benchmark: tree (a) {sizes['files']} service modules, "
          f"tree (b) {sizes['noise']} non-Bedrock files, best of {sizes['repeat']}, {os.cpu_count()} CPUs, "
          f"load average {report.load_average[0]:.1f} at start, {report.load_average[-1]:.1f} at end")
    if quick:
        print("quick run: sizes are too small for the targets to mean anything; this is a smoke test")
    rows = [("measured", "value", "target", "", "detail"), *(figure.cells() for figure in report.figures)]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])
    missed = sum(figure.met is False for figure in report.figures)
    print("all targets met" if not missed else f"{missed} target{'s' * (missed != 1)} missed")


def environment() -> dict[str, object]:
    """What was measured on what: the package measured may be a working tree ahead of the commit."""
    commit = subprocess.run(["git", "-C", str(BENCHMARKS), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    return {"python": platform.python_version(), "libcst": metadata.version("libcst"), "cpus": os.cpu_count(),
            "platform": platform.platform(), "commit": commit or None,
            "package": str(Path(bedrock2openrouter.__file__).parent)}


def write_json(report: Report, path: Path, quick: bool) -> None:
    document = {"sizes": report.sizes, "quick": quick, "environment": environment(),
                "load_average": report.load_average, "seconds": report.seconds, "figures": [asdict(figure) for figure in report.figures],
                "all_targets_met": report.all_met}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, help=f"service modules in tree (a) (default {FULL_SIZES['files']})")
    parser.add_argument("--noise", type=int, help=f"non-Bedrock files in tree (b) (default {FULL_SIZES['noise']})")
    parser.add_argument("--repeat", type=int, help=f"runs per timing, the best counts (default {FULL_SIZES['repeat']})")
    parser.add_argument("--json", type=Path, default=BENCHMARKS / "results.json", help="where to write the results")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: defaults become {QUICK_SIZES}")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    arguments = parser.parse_args()
    defaults = QUICK_SIZES if arguments.quick else FULL_SIZES
    for name, default in defaults.items():
        if getattr(arguments, name) is None:
            setattr(arguments, name, default)
        if getattr(arguments, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    report = run(arguments.files, arguments.noise, arguments.repeat)
    print_table(report, arguments.quick)
    write_json(report, arguments.json, arguments.quick)
    print(f"results written to {arguments.json}")
    return 1 if arguments.check and not report.all_met else 0


if __name__ == "__main__":
    sys.exit(main())
