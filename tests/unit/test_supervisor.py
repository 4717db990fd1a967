"""The supervisor restarts what dies, later each time it keeps dying, and says so."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from bot.process import ChildProcess
from bot.supervisor import FIRST_BACKOFF, MAX_BACKOFF, STABLE_SECONDS, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def wait_until(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_killed_service_is_restarted_and_reported(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(said.append)
    child = ChildProcess("sleeper", SLEEPER, tmp_path / "sleeper.log")
    child.start()
    supervisor.watch(supervisor.add(child, lambda: child.running))
    supervisor.start()
    try:
        first = child.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: child.running and child.pid != first)
        wait_until(lambda: any("is back" in line for line in said))
        assert supervisor.restarts() == {"sleeper": 1}
        assert said[0].startswith("sleeper exited with code -9; restarting it in 1 s")
    finally:
        supervisor.stop()
        child.stop()


def test_a_service_not_yet_ready_is_left_alone(tmp_path: Path) -> None:
    """Until its first readiness the stack's start-up owns it, and reports its failure."""
    supervisor = Supervisor(lambda line: None)
    child = ChildProcess("early", [sys.executable, "-c", "pass"], tmp_path / "early.log")
    child.start()
    service = supervisor.add(child, lambda: False)
    wait_until(lambda: not child.running)
    supervisor.look_after(service, time.monotonic())
    assert service.restart_at is None and service.restarts == 0


def test_the_delay_doubles_while_it_keeps_dying_and_resets_once_stable(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(said.append)
    child = ChildProcess("crasher", [sys.executable, "-c", "pass"], tmp_path / "crasher.log")
    child.start()
    service = supervisor.add(child, lambda: True)
    supervisor.watch(service)
    now = time.monotonic()
    delays = []
    for _ in range(7):
        wait_until(lambda: not child.running)
        supervisor.look_after(service, now)  # notices the exit, schedules the restart
        delays.append(service.restart_at - now)  # type: ignore[operator]
        now = service.restart_at  # type: ignore[assignment]
        supervisor.look_after(service, now)  # restarts it
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert delays[0] == FIRST_BACKOFF and delays[-1] == MAX_BACKOFF
    assert service.restarts == 7
    assert "(log: " in said[0] and str(tmp_path / "crasher.log") in said[0]
    # A restart that stays up past STABLE_SECONDS starts again from the first delay.
    stable = ChildProcess("stable", SLEEPER, tmp_path / "stable.log")
    stable.start()
    kept = supervisor.add(stable, lambda: True)
    supervisor.watch(kept)
    kept.backoff = MAX_BACKOFF
    supervisor.look_after(kept, kept.ready_since + STABLE_SECONDS + 1)
    assert kept.backoff == FIRST_BACKOFF
    stable.stop()
    child.stop()
