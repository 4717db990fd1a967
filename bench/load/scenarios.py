"""The load scenarios, each a bounded Locust run against one running stack, and what they measure.

Redis memory (INFO used_memory, DBSIZE) and the gateways' RSS are sampled before, during and
after each run by a thread of this process; Locust itself only sees the sockets.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis

from bench import percentile
from bench.load.locust import Row, failure_reasons, finish, run_locust
from bot.gateway_client import Customer
from bot.stack import Stack

AGENT_PASSWORD = "load bench password"
# The bot's greeting, as the locustfile's first turn expects it (domain.yml utter_greet).
GREETING_END = "What can I do for you?"


@dataclass(frozen=True)
class Load:
    """How hard and how long each scenario pushes, from the command line."""

    duration: int
    users: int
    escalating: int
    agents: int
    idle: int
    spawn_rate: float
    idle_spawn_rate: float
    think: float


@dataclass
class Sample:
    redis_bytes: int
    redis_keys: int
    gateway_rss: int


@dataclass
class Outcome:
    """One scenario's Locust statistics and the resource samples taken around it."""

    seconds: float
    rows: dict[str, Row]
    before: Sample
    peak: Sample
    after: Sample
    failures: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self, name: str) -> Row:
        empty = Row(name, 0, 0, math.nan, math.nan, math.nan, math.nan)
        return self.rows.get(name, empty)

    @property
    def errors(self) -> int:
        return sum(row.failures for row in self.rows.values())

    @property
    def events(self) -> int:
        return sum(row.count for row in self.rows.values())

    def finished(self, name: str) -> int:
        """Conversations of that event name that went to the end without a failure."""
        row = self.row(name)
        return row.count - row.failures


def gateway_processes(stack: Stack) -> list[psutil.Process]:
    """Every gateway process of the stack (several behind a load balancer)."""
    return [psutil.Process(pid) for name, pid in stack.pids().items() if name.startswith("gateway")]


def sample(stack: Stack) -> Sample:
    assert stack.redis is not None
    client = redis.Redis.from_url(stack.redis.url)
    try:
        memory = int(client.info("memory")["used_memory"])
        keys = int(client.dbsize())
    finally:
        client.close()
    rss = sum(process.memory_info().rss for process in gateway_processes(stack))
    return Sample(memory, keys, rss)


class Sampler(threading.Thread):
    """Samples every few seconds while a scenario runs, keeping the peak."""

    def __init__(self, stack: Stack, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.stack, self.every = stack, every
        self.peak = sample(stack)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            now = sample(self.stack)
            self.peak = Sample(
                max(self.peak.redis_bytes, now.redis_bytes),
                max(self.peak.redis_keys, now.redis_keys),
                max(self.peak.gateway_rss, now.gateway_rss),
            )

    def stop(self) -> Sample:
        self.stopped.set()
        self.join()
        return self.peak


def locust_env(stack: Stack, logins: list[str], load: Load, escalating: int = 0) -> dict[str, str]:
    """What the locustfile reads from its environment (see its docstring)."""
    return {
        "TANDEM_ORIGIN": stack.settings.allowed_origins[0],
        "TANDEM_AGENT_ORIGIN": stack.settings.own_origins[0],
        "TANDEM_AGENT_LOGINS": ",".join(logins),
        "TANDEM_AGENT_PASSWORD": AGENT_PASSWORD,
        "TANDEM_ESCALATING": str(escalating),
        "TANDEM_THINK_SECONDS": str(load.think),
    }


def timed_run(
    stack: Stack, classes: list[str], users: int, load: Load, out: Path, env: dict[str, str]
) -> Outcome:
    """A Locust run of ``load.duration`` seconds, with resources sampled around it."""
    before = sample(stack)
    sampler = Sampler(stack)
    sampler.start()
    started = time.monotonic()
    process = run_locust(
        stack.gateway_url, classes, users, load.spawn_rate, load.duration, out, env
    )
    try:
        rows = finish(process, out, timeout=load.duration + 120)
    finally:
        peak = sampler.stop()
    seconds = time.monotonic() - started
    return Outcome(seconds, rows, before, peak, sample(stack), failure_reasons(out))


def bot_conversations(stack: Stack, load: Load, out: Path) -> Outcome:
    """(a) Bot customers only: the 6-turn conversation over and over."""
    env = locust_env(stack, [], load)
    return timed_run(stack, ["BotCustomer"], load.users, load, out, env)


def escalations(stack: Stack, logins: list[str], load: Load, out: Path) -> Outcome:
    """(b) Customers handed to agents, beside as many bot customers as in (a)."""
    env = locust_env(stack, logins, load, escalating=load.escalating)
    users = len(logins) + load.escalating + load.users
    classes = ["Agent", "EscalatingCustomer", "BotCustomer"]
    return timed_run(stack, classes, users, load, out, env)


def idle_sockets(stack: Stack, load: Load, out: Path, say: Any) -> Outcome:
    """(c) ``load.idle`` customers that only hold their sockets; meanwhile new customers
    (this process, one at a time) time their first bot turn."""
    spawn_seconds = math.ceil(load.idle / load.idle_spawn_rate)
    seconds = spawn_seconds + load.duration
    env = locust_env(stack, [], load)
    before = sample(stack)
    sampler = Sampler(stack)
    sampler.start()
    started = time.monotonic()
    process = run_locust(
        stack.gateway_url, ["IdleCustomer"], load.idle, load.idle_spawn_rate, seconds, out, env
    )
    try:
        held = wait_for_held(stack, load.idle, started + spawn_seconds + 30, say)
        opened = time.monotonic() - started
        threads = sum(process.num_threads() for process in gateway_processes(stack))
        rss = sum(process.memory_info().rss for process in gateway_processes(stack))
        probes, probe_errors = first_turns(stack, until=started + seconds - 10)
        rows = finish(process, out, timeout=seconds + 120)
    finally:
        peak = sampler.stop()
    outcome = Outcome(
        time.monotonic() - started, rows, before, peak, sample(stack), failure_reasons(out)
    )
    outcome.extra = {
        "held": held,
        "opened_s": opened,
        "threads": threads,
        "rss": rss,
        "probes": probes,
        "probe_errors": probe_errors,
    }
    return outcome


def held_sockets(stack: Stack) -> int:
    """Established connections to the ports the gateway processes listen on."""
    held = 0
    for process in gateway_processes(stack):
        connections = process.net_connections(kind="tcp")
        ports = {c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN}
        held += sum(
            1 for c in connections if c.status == psutil.CONN_ESTABLISHED and c.laddr.port in ports
        )
    return held


def wait_for_held(stack: Stack, wanted: int, deadline: float, say: Any) -> int:
    """Poll until the gateway holds ``wanted`` sockets or the deadline passes; the count."""
    last_said = 0.0
    while True:
        held = held_sockets(stack)
        if held >= wanted or time.monotonic() > deadline:
            return held
        if time.monotonic() - last_said > 15:
            say(f"    {held} of {wanted} idle sockets open")
            last_said = time.monotonic()
        time.sleep(1)


def first_turns(stack: Stack, until: float, pause: float = 2.0) -> tuple[list[float], int]:
    """Milliseconds of a new customer's first turn ("hi"), repeated until ``until``."""
    samples: list[float] = []
    errors = 0
    while time.monotonic() < until:
        customer = Customer(stack)
        try:
            customer.start()
            started = time.perf_counter()
            customer.say("hi")
            customer.bot_says(GREETING_END, timeout=10)
            samples.append((time.perf_counter() - started) * 1000)
        except Exception:  # a refused socket, no reply: counted, and the probe goes on
            errors += 1
        finally:
            customer.close()
        time.sleep(pause)
    return samples, errors


def summary_ms(samples: list[float]) -> str:
    if not samples:
        return "n/a"
    return f"{statistics.median(samples):.0f} / {percentile(samples, 95):.0f} ms"
