"""The gateway's Prometheus figures, served at ``/metrics`` (handoff/web/metrics.py).

Two kinds, so that several gateway processes add up correctly:
- this process's own (``tandem_sockets``, ``tandem_bot_turn_seconds``, ``tandem_*_total``):
  scrape every gateway process and sum them;
- the cluster's state (``tandem_cluster_*``), read from Redis at each scrape: every
  process reports the same value, so take any one of them (``max``), never the sum.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# Bot turns are judged against 300 ms; the buckets are finer below a second.
TURN_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0)
MODES = ("bot", "queued", "assigned")


@dataclass(frozen=True)
class ClusterState:
    """What every gateway sees alike, read from Redis when scraped."""

    conversations: dict[str, int]  # live conversations by mode
    queue_length: int
    longest_wait_seconds: float


class _ClusterCollector(Collector):
    def __init__(self, read: Callable[[], ClusterState]) -> None:
        self._read = read

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The names alone, so registering reads nothing from Redis."""
        return self._families(ClusterState({}, 0, 0.0))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return self._families(self._read())

    @staticmethod
    def _families(state: ClusterState) -> Iterator[GaugeMetricFamily]:
        by_mode = GaugeMetricFamily(
            "tandem_cluster_conversations",
            "Live conversations by mode, across every gateway (take one process's value).",
            labels=["mode"],
        )
        for mode in MODES:
            by_mode.add_metric([mode], state.conversations.get(mode, 0))
        yield by_mode
        yield GaugeMetricFamily(
            "tandem_cluster_queue_length", "Chats waiting for an agent.", state.queue_length
        )
        yield GaugeMetricFamily(
            "tandem_cluster_queue_longest_wait_seconds",
            "How long the longest-waiting chat has waited (0 when none waits).",
            state.longest_wait_seconds,
        )


class Metrics:
    """One gateway process's figures, on a registry of its own (none at import time)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.sockets = Gauge(
            "tandem_sockets",
            "Open Socket.IO connections of this process, by namespace.",
            ["namespace"],
            registry=self.registry,
        )
        self.bot_turn_seconds = Histogram(
            "tandem_bot_turn_seconds",
            "From a customer's line reaching the gateway to Rasa's replies coming back.",
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.rasa_errors = Counter(
            "tandem_rasa_errors",
            "Rasa calls that failed: timeout, unavailable (unreachable, 5xx), refused (4xx) or "
            "empty (a customer's turn answered with nothing: a custom action failed).",
            ["kind"],
            registry=self.registry,
        )
        self.handoffs = Counter(
            "tandem_handoffs",
            "Chats handed to the human queue, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "tandem_rate_limit_refusals",
            "Requests refused by a rate limit: events, messages, connections or logins.",
            ["limit"],
            registry=self.registry,
        )

    def watch_cluster(self, read: Callable[[], ClusterState]) -> None:
        """Report the cluster's state, read by ``read`` at every scrape."""
        self.registry.register(_ClusterCollector(read))

    def bot_turn(self) -> _Timer:
        """``with metrics.bot_turn():`` around a call to Rasa records its duration."""
        return _Timer(self.bot_turn_seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


class _Timer:
    def __init__(self, histogram: Histogram) -> None:
        self._histogram = histogram
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._histogram.observe(time.perf_counter() - self._started)
