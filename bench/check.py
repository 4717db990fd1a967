"""Benchmark of `make check`, the editors' content check: wall time from the shell, as they run it.

Run with ``python -m bench.check``. Each run is a fresh process, so Python
start-up and imports count, as they do for an editor. Two cases: `make check` on
this project as it is (what an editor sees after changing examples or
responses), and `python -m bot check` on a copy whose rules changed before each
run, so Rasa's story check (which imports TensorFlow) runs again each time.
Prints a table and rewrites the "Content check" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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


def time_check(runs: int) -> list[float]:
    """Seconds for each of ``runs`` runs of `make check`; stops if one finds a problem."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            ["make", "--no-print-directory", "check"],
            cwd=ROOT,
            env={**os.environ, **QUIET_ENV},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        samples.append(time.perf_counter() - started)
    return samples


def time_rule_edits(runs: int) -> list[float]:
    """Seconds for each of ``runs`` runs of `bot check` on a copy, each after a rule changed."""
    samples = []
    with tempfile.TemporaryDirectory(prefix="tandem-check-") as tmp:
        copy = Path(tmp)
        for name in CONTENT:
            source, target = ROOT / name, copy / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, target)
        rules = copy / "data" / "rules" / "general.yml"
        for number in range(runs):
            with rules.open("a", encoding="utf-8") as file:
                file.write(f"# edit {number}\n")
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "bot", "check", "--root", str(copy)],
                cwd=ROOT,
                env={**os.environ, **QUIET_ENV},
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            samples.append(time.perf_counter() - started)
    return samples


def report(samples: list[float], edits: list[float], load: float) -> str:
    meets = "yes" if max(samples) < TARGET_SECONDS else "no"
    return (
        f"On {platform.machine()}, {psutil.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d} "
        f"(`bench/check.py`): {len(samples)} runs of `make check` on this project's content, "
        "each a new process (Python start-up and importing Rasa included); load average "
        f"{load:.1f} when it started (other work on the machine slows the slowest run).\n\n"
        "| what | median | slowest | target | met |\n"
        "|---|---|---|---|---|\n"
        f"| `make check` (content as it is, or examples and responses edited) "
        f"| {statistics.median(samples):.1f} s | {max(samples):.1f} s "
        f"| < {TARGET_SECONDS:.0f} s | {meets} |\n"
        f"| `python -m bot check` after a rule or story changed (Rasa's story check runs) "
        f"| {statistics.median(edits):.1f} s | {max(edits):.1f} s | | |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="how many times to run make check")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/performance.md alone"
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    text = report(time_check(args.runs), time_rule_edits(args.runs), load)
    print(text)
    if not args.no_write:
        write_section("Content check", text)
        print("Wrote the Content check section of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
