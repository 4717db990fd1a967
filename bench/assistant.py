"""Benchmark of the assistant on this machine: training, start-up, memory and reply latency.

Run with ``make bench`` (or ``python -m bench.assistant``). It trains a model into a
temporary folder (unless ``--skip-training``), starts its own stack on free ports
with a temporary database, sends bounded numbers of messages over Rasa's REST
channel on 127.0.0.1, prints a table and rewrites docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil
import requests

from bench import latency_row, write_section
from bot.process import QUIET_ENV
from bot.stack import Stack, private_settings
from bot.training import train_if_needed
from core.settings import ROOT, Settings

# A turn the rules answer with a response alone, and one that runs one custom action.
PLAIN_TURN = "hello"
ACTION_TURN = "I want to talk to a person"


@dataclasses.dataclass
class Results:
    training_s: float | None
    actions_ready_s: float
    rasa_ready_s: float
    memory_mb: dict[str, float]
    latency_ms: dict[str, list[float]]


def time_training(out: Path) -> float:
    """Seconds for a full, cold `rasa train` of this project into ``out``.

    Rasa reuses trained components from its cache (.rasa/); an empty cache folder
    makes every component train, as on a fresh clone.
    """
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--out", str(out), "--fixed-model-name", "bench"],
        cwd=ROOT,
        env={**os.environ, **QUIET_ENV, "RASA_CACHE_DIRECTORY": str(out / "cache")},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def measure_turns(stack: Stack, text: str, count: int, senders: int) -> list[float]:
    """Milliseconds per REST round trip, over ``senders`` conversations in turn."""
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    params = {"token": stack.settings.rasa_token}
    run = f"{text[:5]}-{time.monotonic_ns()}"
    samples = []
    with requests.Session() as http:
        for i in range(count):
            body = {"sender": f"bench-{run}-{i % senders}", "message": text}
            started = time.perf_counter()
            reply = http.post(url, params=params, json=body, timeout=30)
            samples.append((time.perf_counter() - started) * 1000)
            reply.raise_for_status()
    return samples


def memory_mb(stack: Stack) -> dict[str, float]:
    """Resident memory of each service process, with its children."""
    sizes = {}
    for name, pid in stack.pids().items():
        process = psutil.Process(pid)
        rss = process.memory_info().rss + sum(
            child.memory_info().rss for child in process.children(recursive=True)
        )
        sizes[name] = rss / 2**20
    return sizes


def run(turns: int, skip_training: bool) -> Results:
    settings = Settings.from_env()
    model = train_if_needed(settings)
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        var = Path(tmp)
        training_s = None if skip_training else time_training(var / "models")
        settings = private_settings(settings, var)
        stack = Stack(settings, model, var_dir=var)
        started = time.perf_counter()
        stack.start(with_rasa=False)
        actions_ready = time.perf_counter() - started
        try:
            started = time.perf_counter()
            stack.start_rasa()
            rasa_ready = time.perf_counter() - started
            measure_turns(stack, PLAIN_TURN, 20, 5)  # warm both paths once
            measure_turns(stack, ACTION_TURN, 20, 5)
            latency = {
                "plain": measure_turns(stack, PLAIN_TURN, turns, 20),
                "action": measure_turns(stack, ACTION_TURN, turns, 20),
            }
            memory = memory_mb(stack)
        finally:
            stack.stop()
    return Results(training_s, actions_ready, rasa_ready, memory, latency)


def report(results: Results, turns: int) -> str:
    """The assistant's section of docs/performance.md, from the measured numbers."""
    lines = [
        f"On {platform.machine()}, {psutil.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}"
        " (`bench/assistant.py`).",
        "",
        "| what | measured | target |",
        "|---|---|---|",
    ]
    if results.training_s is not None:
        training = f"{results.training_s:.0f} s"
        lines.append(f"| training, cold cache (`rasa train`) | {training} | < 300 s |")
    lines += [
        f"| action server ready | {results.actions_ready_s:.1f} s | |",
        f"| Rasa server: model load + one warm-up parse | {results.rasa_ready_s:.1f} s | < 30 s |",
    ]
    for name, mb in results.memory_mb.items():
        lines.append(f"| memory, {name} (RSS) | {mb:.0f} MB | |")
    lines += [
        "",
        f"Bot reply latency over Rasa's REST channel, {turns} turns each, one client, "
        "round-robin over 20 conversations:",
        "",
        "| turn | p50 | p95 | max | target p95 |",
        "|---|---|---|---|---|",
        latency_row(f"no custom action (`{PLAIN_TURN}`)", results.latency_ms["plain"], "< 150 ms"),
        latency_row(
            f"one custom action (`{ACTION_TURN}`)", results.latency_ms["action"], "< 300 ms"
        ),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300, help="messages per kind of turn")
    parser.add_argument(
        "--skip-training", action="store_true", help="do not time a full training run"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/performance.md alone"
    )
    args = parser.parse_args(argv)
    results = run(args.turns, args.skip_training)
    text = report(results, args.turns)
    print(text)
    if not args.no_write:
        write_section("Assistant", text)
        print("Wrote the Assistant section of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
