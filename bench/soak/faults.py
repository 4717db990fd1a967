"""The soak's faults, injected on a schedule, and the memory of every process, sampled.

Faults are the fault tests' own (``tests/clusters.py``): a service killed with SIGKILL, which
the stack restarts, and Redis stopped with SIGSTOP for a few seconds.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from bot.stack import Stack
from tests.clusters import back_up, crash

REDIS_PAUSE = 3.0
# A process's first minute (loading, warming caches) is left out of its growth.
WARM_UP = 60.0


def pause_redis(stack: Stack) -> None:
    pid = stack.pids()["redis"]
    os.kill(pid, signal.SIGSTOP)
    time.sleep(REDIS_PAUSE)
    os.kill(pid, signal.SIGCONT)


def killed(name: str) -> Callable[[Stack], None]:
    def kill(stack: Stack) -> None:
        crash(stack, name)
        back_up(stack, name)

    return kill


# In turn, one every interval: each kind of process, both gateways and both Rasa servers.
FAULTS: list[tuple[str, Callable[[Stack], None]]] = [
    ("kill -9 gateway-1", killed("gateway-1")),
    ("kill -9 rasa-1", killed("rasa-1")),
    ("restart Redis (kill -9)", killed("redis")),
    ("kill -9 the action server", killed("actions")),
    (f"SIGSTOP Redis {REDIS_PAUSE:.0f} s", pause_redis),
    ("kill -9 gateway-2", killed("gateway-2")),
    ("kill -9 rasa-2", killed("rasa-2")),
]


@dataclass
class Injected:
    """The faults done so far: (seconds into the soak, what, seconds until all was back)."""

    done: list[tuple[float, str, float]] = field(default_factory=list)


def inject(
    stack: Stack, every: float, stop: threading.Event, injected: Injected, started: float
) -> None:
    """One fault every ``every`` seconds, in FAULTS' order, until ``stop``."""
    n = 0
    while not stop.wait(every):
        name, fault = FAULTS[n % len(FAULTS)]
        at = time.monotonic()
        print(f"soak: {name}", flush=True)
        fault(stack)
        injected.done.append((at - started, name, time.monotonic() - at))
        n += 1


@dataclass
class Memory:
    """RSS samples of each service (its children included): name -> [(seconds, pid, bytes)]."""

    samples: dict[str, list[tuple[float, int, int]]] = field(default_factory=dict)

    def sample(self, stack: Stack, at: float) -> None:
        for name, pid in stack.pids().items():
            try:
                process = psutil.Process(pid)
                rss = process.memory_info().rss + sum(
                    child.memory_info().rss for child in process.children(recursive=True)
                )
            except psutil.Error:  # died between the two looks: the next sample has it
                continue
            self.samples.setdefault(name, []).append((at, pid, rss))

    def summary(self, name: str) -> dict[str, float]:
        """Start, peak and end in MB, and growth per hour over the process's longest life
        after its first minute."""
        samples = self.samples[name]
        lives: dict[int, list[tuple[float, int]]] = {}
        for at, pid, rss in samples:
            lives.setdefault(pid, []).append((at, rss))
        longest = max(lives.values(), key=lambda life: life[-1][0] - life[0][0])
        settled = [(at, rss) for at, rss in longest if at - longest[0][0] >= WARM_UP]
        return {
            "start": samples[0][2] / 2**20,
            "peak": max(rss for _, _, rss in samples) / 2**20,
            "end": samples[-1][2] / 2**20,
            "growth": slope(settled) * 3600 / 2**20,
            "lives": len(lives),
        }


def slope(points: list[tuple[float, int]]) -> float:
    """Least-squares slope of (seconds, bytes): bytes a second."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def sample(
    stack: Stack, every: float, stop: threading.Event, memory: Memory, started: float
) -> None:
    """A sample every ``every`` seconds until ``stop``."""
    while True:
        memory.sample(stack, time.monotonic() - started)
        if stop.wait(every):
            return
