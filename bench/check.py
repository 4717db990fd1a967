"""Benchmark of `make check`, the editors' content check: wall time from the shell, as they run it.

Run with ``python -m bench.check``. Each run is `make check`'s two commands as
new processes (Python start-up and imports count, as they do for an editor), on
a copy of the project's content, in five cases:

- nothing changed since the last check (every answer kept in var/check/);
- a clean tree: no var/check/, as in a fresh clone (everything runs);
- after an example is added (Rasa's loading runs again);
- after a rule is renamed (the same; Rasa's story check leaves rules out);
- after a story is renamed (Rasa's story check runs again, with TensorFlow).

The cases take turns, so a change of load on this shared machine touches them
all alike. Prints a table and rewrites the "Content check" section of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import psutil

from bench import write_section
from bot.process import QUIET_ENV
from core.settings import ROOT

TARGET_SECONDS = 5.0
# What `check --root` needs of the project: the content, the tests it reads, the code it scans.
CONTENT = (
    "config.yml",
    "domain.yml",
    "data",
    "tests/stories",
    "tests/conversations",
    "tests/scenarios",
    "actions",
    "bot",
)


def copy_content(into: Path) -> Path:
    """The project's content in ``into``; its root."""
    for name in CONTENT:
        source, target = ROOT / name, into / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    return into


def rename_first(path: Path, key: str, number: int) -> None:
    """A real edit: the first `- <key>: title` of ``path`` gets ``(edit N)`` on its title."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"^(  - {key}: .*?)(?: \(edit \d+\))?$", re.MULTILINE)
    path.write_text(pattern.sub(rf"\1 (edit {number})", text, count=1), encoding="utf-8")


def unchanged(root: Path, number: int) -> None:
    """No edit: every answer is kept from the last check."""


def clean(root: Path, number: int) -> None:
    shutil.rmtree(root / "var", ignore_errors=True)


def new_example(root: Path, number: int) -> None:
    """A real edit: one more example under the first intent of data/nlu/general.yml."""
    path = root / "data" / "nlu" / "general.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  examples: |\n", f"  examples: |\n    - hello there {number}\n", 1),
        encoding="utf-8",
    )


def renamed_rule(root: Path, number: int) -> None:
    rename_first(root / "data" / "rules" / "general.yml", "rule", number)


def renamed_story(root: Path, number: int) -> None:
    rename_first(root / "data" / "stories" / "tasks.yml", "story", number)


CASES: dict[str, Callable[[Path, int], None]] = {
    "with nothing changed since the last check": unchanged,
    "on a clean tree (no var/check/, as in a fresh clone)": clean,
    "after adding an example": new_example,
    "after renaming a rule": renamed_rule,
    "after renaming a story (Rasa's story check runs, with TensorFlow)": renamed_story,
}


def make_check(root: Path) -> tuple[float, float]:
    """Wall and CPU seconds (all its processes) of what `make check` runs on ``root``.

    Fails on any problem.
    """
    started, cpu = time.perf_counter(), _children_cpu()
    for command in (["check", "--root", str(root)], ["protocol-docs", "--check"]):
        subprocess.run(
            [sys.executable, "-m", "bot", *command],
            cwd=ROOT,
            env={**os.environ, **QUIET_ENV},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - started, _children_cpu() - cpu


def _children_cpu() -> float:
    """CPU seconds of this process's finished children and theirs (the forked story check)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measure(runs: int) -> dict[str, list[tuple[float, float]]]:
    """Each case's wall and CPU seconds, ``runs`` times, the cases taking turns on one copy."""
    samples: dict[str, list[tuple[float, float]]] = {case: [] for case in CASES}
    with tempfile.TemporaryDirectory(prefix="tandem-check-") as tmp:
        root = copy_content(Path(tmp))
        make_check(root)
        for number in range(runs):
            for case, edit in CASES.items():
                edit(root, number)
                samples[case].append(make_check(root))
    return samples


def report(samples: dict[str, list[tuple[float, float]]], loads: tuple[float, float]) -> str:
    rows = "\n".join(row(case, times) for case, times in samples.items())
    runs = len(next(iter(samples.values())))
    return (
        f"On {platform.machine()}, {psutil.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d} "
        f"(`bench/check.py`): {runs} runs of each case, each `make check`'s two commands as new "
        "processes (Python start-up and imports included) on a copy of the project's content; "
        f"load average {loads[0]:.1f} when it started and {loads[1]:.1f} when it ended (this "
        "machine is shared: other work slows the slowest run, and the target is met on the "
        "median). CPU is the time the processes computed, summed over both cores: what "
        "other work on the machine does not change.\n\n"
        "| what | median | slowest | CPU (median) | target | met |\n"
        "|---|---|---|---|---|---|\n" + rows
    )


def row(case: str, samples: list[tuple[float, float]]) -> str:
    """A table row: the median, which meets the target or not, the slowest run, the CPU."""
    median = statistics.median(wall for wall, _ in samples)
    return (
        f"| `make check` {case} | {median:.1f} s | {max(wall for wall, _ in samples):.1f} s "
        f"| {statistics.median(cpu for _, cpu in samples):.1f} s "
        f"| < {TARGET_SECONDS:.0f} s | {'yes' if median < TARGET_SECONDS else 'no'} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each case")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/performance.md alone"
    )
    args = parser.parse_args(argv)
    started = os.getloadavg()[0]
    samples = measure(args.runs)
    text = report(samples, (started, os.getloadavg()[0]))
    print(text)
    if not args.no_write:
        write_section("Content check", text)
        print("Wrote the Content check section of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
