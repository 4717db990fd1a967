"""Benchmark of the editor's loop: one conversation test on a warm stack, a new FAQ end to end.

Run with ``python -m bench.editing``. It copies the project (code, content and
Rasa's training cache, as an editor's clone has them) to a temporary folder,
starts `python -m bot warm` there, and times, each as a new process as an editor
runs it:

- `python -m bot test-bot tests/conversations/general.yml`: one conversation test
  file through the warm stack;
- `python -m bot test-bot "<a story test's name>"`: one story test, run by the warm
  stack's Rasa on the model it has loaded;
- a new FAQ: write data/faq/<name>.yml, `python -m bot check`, then
  `python -m bot test-bot data/faq/<name>.yml`, which trains what changed, loads the
  model into the warm stack and asks the FAQ.

Prints a table and rewrites the "Editor's loop" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
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

TEST_FILE = "tests/conversations/general.yml"
STORY = "two misunderstandings in a row go to a person"
ONE_TEST_TARGET = 30.0
FAQ_TARGET = 180.0
WARM_TIMEOUT = 300.0
# Not copied: environments, outputs and what each run makes again.
SKIPPED = (".venv", ".venv-bench", "var", "results", "reports", ".git", "node_modules")
FAQ = """version: "3.1"

nlu:
  - intent: faq/paper_bills
    examples: |
      - can i still get paper bills
      - do you send bills by post
      - how do i get my bill on paper
      - i want a printed bill
      - can you post me my bill
      - send my bills by mail please
      - is a paper statement possible
      - i'd like bills through the letterbox
      - can my bill come in the post
      - do you offer printed bills

responses:
  utter_faq/paper_bills:
    - text: "Yes: a person on our team can switch your bills to paper. Ask me for a person."
"""


def copy_project(into: Path) -> Path:
    """The project, with its trained model and Rasa's cache, in ``into``; its root."""
    root = into / "tandem"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(*SKIPPED, "__pycache__"))
    return root


def run(root: Path, *args: str) -> float:
    """Seconds for `python -m bot ARGS` in ``root``; fails the benchmark if the command fails."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=root,
        env={**os.environ, **QUIET_ENV},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def warm_stack(root: Path) -> subprocess.Popen[str]:
    """`python -m bot warm` in ``root``, once it says it is ready."""
    log = (root / "warm.log").open("w", encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "warm"],
        cwd=root,
        env={**os.environ, **QUIET_ENV},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + WARM_TIMEOUT
    while "Warm stack ready" not in (root / "warm.log").read_text(encoding="utf-8"):
        if child.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"bot warm did not start; see {root / 'warm.log'}")
        time.sleep(1)
    return child


def measure(runs: int) -> tuple[list[float], list[float], list[float], float]:
    """One-test and one-story seconds, then the FAQ's check and test-bot seconds."""
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        root = copy_project(Path(tmp))
        warm = warm_stack(root)
        try:
            one_test = [run(root, "test-bot", TEST_FILE) for _ in range(runs)]
            one_story = [run(root, "test-bot", STORY) for _ in range(runs)]
            (root / "data" / "faq" / "paper_bills.yml").write_text(FAQ, encoding="utf-8")
            checked = run(root, "check")
            tested = run(root, "test-bot", "data/faq/paper_bills.yml")
        finally:
            warm.send_signal(signal.SIGTERM)
            warm.wait(timeout=60)
    return one_test, one_story, [checked], tested


def report(
    one_test: list[float], one_story: list[float], check: list[float], faq_test: float, load: float
) -> str:
    faq = check[0] + faq_test
    return (
        f"On {platform.machine()}, {psutil.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d} "
        f"(`bench/editing.py`): on a copy of the project with its trained model and Rasa's "
        f"training cache, `python -m bot warm` running; each step a new process, as an editor "
        f"types it. Load average {load:.1f} when it started.\n\n"
        "| step | median | slowest | target | met |\n"
        "|---|---|---|---|---|\n"
        + one_test_row(f"one conversation test file (`test-bot {TEST_FILE}`)", one_test)
        + one_test_row(f'one story test by name (`test-bot "{STORY}"`)', one_story)
        + f"| a new FAQ: `check` | {check[0]:.1f} s | | | |\n"
        f"| a new FAQ: `test-bot data/faq/<new>.yml` (trains, loads the model into the warm "
        f"stack, asks it) | {faq_test:.1f} s | | | |\n"
        f"| a new FAQ, live and tested (both) | {faq:.1f} s | | < {FAQ_TARGET / 60:.0f} min "
        f"| {'yes' if faq < FAQ_TARGET else 'no'} |"
    )


def one_test_row(step: str, samples: list[float]) -> str:
    """A table row for a step run on the warm stack, against the one-test target."""
    met = "yes" if max(samples) < ONE_TEST_TARGET else "no"
    return (
        f"| {step}, warm stack | {statistics.median(samples):.1f} s | {max(samples):.1f} s "
        f"| < {ONE_TEST_TARGET:.0f} s | {met} |\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=5, help="runs of the one-test and one-story steps"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/performance.md alone"
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    text = report(*measure(args.runs), load)
    print(text)
    if not args.no_write:
        write_section("Editor's loop", text)
        print("Wrote the Editor's loop section of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
