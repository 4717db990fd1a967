"""Benchmark of `make check`, the editors' content check: wall time from the shell, as they run it.

Run with ``python -m bench.check``. Each run is a fresh
`make check` process, so Python start-up and importing Rasa count, as they do
for an editor. Prints a table and rewrites the "Content check" section of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

import psutil

from bench import write_section
from bot.process import QUIET_ENV
from core.settings import ROOT

TARGET_SECONDS = 10.0


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


def report(samples: list[float], load: float) -> str:
    meets = "yes" if max(samples) < TARGET_SECONDS else "no"
    return (
        f"On {platform.machine()}, {psutil.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d} "
        f"(`bench/check.py`): {len(samples)} runs of `make check` on this project's content, "
        "each a new process (Python start-up and importing Rasa included); load average "
        f"{load:.1f} when it started (other work on the machine slows the slowest run).\n\n"
        "| what | median | slowest | target | met |\n"
        "|---|---|---|---|---|\n"
        f"| `make check` | {statistics.median(samples):.1f} s | {max(samples):.1f} s "
        f"| < {TARGET_SECONDS:.0f} s | {meets} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="how many times to run make check")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/performance.md alone"
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    text = report(time_check(args.runs), load)
    print(text)
    if not args.no_write:
        write_section("Content check", text)
        print("Wrote the Content check section of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
