"""Keeps the stack's services running: a service that dies is restarted, and the stack says so.

The delay before a restart doubles while a service keeps dying (a broken configuration
must not spin the machine) and falls back once it has stayed up for a while.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.process import ChildProcess

# A restarted service waits this long first, doubling on each crash up to the last.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
# A service up this long is stable again: its next crash restarts it after FIRST_BACKOFF.
STABLE_SECONDS = 60.0
SUPERVISE_EVERY = 0.25


def report_to_stderr(line: str) -> None:
    """How the stack says what it does to its services, unless told otherwise."""
    print(f"{time.strftime('%H:%M:%S')} stack: {line}", file=sys.stderr, flush=True)


@dataclass
class Service:
    """A child process the stack keeps running, and how to tell it is ready."""

    child: ChildProcess
    ready: Callable[[], bool]
    supervised: bool = False  # from its first readiness on
    restarts: int = 0
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None
    restarted_at: float | None = None
    ready_since: float = 0.0

    @property
    def name(self) -> str:
        return self.child.name


class Supervisor:
    """Watches services from a thread of its own; ``report`` hears every exit and return."""

    def __init__(self, report: Callable[[str], None] = report_to_stderr) -> None:
        self.report = report
        self.services: list[Service] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, child: ChildProcess, ready: Callable[[], bool]) -> Service:
        """Know ``child``; it is restarted only once ``watch`` says it was ready."""
        service = Service(child, ready)
        self.services.append(service)
        return service

    def watch(self, service: Service) -> None:
        """``service`` is up: from now on, restart it whenever it dies."""
        service.ready_since = time.monotonic()
        service.supervised = True

    def restarts(self) -> dict[str, int]:
        return {service.name: service.restarts for service in self.services}

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop watching (the services keep running); safe to call more than once."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(SUPERVISE_EVERY):
            for service in list(self.services):
                if not self._stopping.is_set():
                    self.look_after(service, time.monotonic())

    def look_after(self, service: Service, now: float) -> None:
        """One look at ``service`` at time ``now``: note a return, or schedule or do a restart."""
        if not service.supervised:
            return
        child = service.child
        if child.running:
            if service.restarted_at is not None and service.ready():
                self.report(
                    f"{service.name} is back after {now - service.restarted_at:.1f} s "
                    f"(restart {service.restarts})"
                )
                service.restarted_at = None
                service.ready_since = now
            elif service.restarted_at is None and now - service.ready_since > STABLE_SECONDS:
                service.backoff = FIRST_BACKOFF
            return
        if service.restart_at is None:
            service.restart_at = now + service.backoff
            self.report(
                f"{service.name} exited with code {child.returncode}; restarting it in "
                f"{service.backoff:g} s (log: {child.log_path})"
            )
            service.backoff = min(service.backoff * 2, MAX_BACKOFF)
        elif now >= service.restart_at:
            service.restart_at = None
            service.restarts += 1
            service.restarted_at = now
            child.start(append=True)
