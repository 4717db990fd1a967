"""Child processes of the stack: started with a log file, stopped politely then firmly."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

# Environment that quiets TensorFlow, Rasa telemetry and library deprecation notices in children.
QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONUNBUFFERED": "1",
}

_PR_SET_PDEATHSIG = 1


class CommandError(RuntimeError):
    """A child command or service failed; the message says why (and which log) in one line.

    `python -m bot` prints it without a traceback. Its subclasses live beside
    their code, so the command line catches them without importing that code.
    """


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, get SIGTERM if the parent dies.

    Children live in their own session (so Ctrl-C reaches only the parent, which
    stops them in order); this keeps them from outliving a killed parent.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ChildProcess:
    """One named service process whose output goes to ``log_path``."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        log_path: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, append: bool = False) -> None:
        """Start the process; its output replaces the previous log, or follows it (a restart)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is not None:
            self._log.close()
        self._log = self.log_path.open("ab" if append else "wb")
        self._process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        """None while running (or never started), else the exit code."""
        return self._process.poll() if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def wait(self, timeout: float) -> int:
        """Wait for a process that is meant to end by itself (a setup step); its exit code.

        Raises ``subprocess.TimeoutExpired`` after ``timeout`` seconds, having stopped it.
        """
        assert self._process is not None
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def stop(self, grace: float = 5.0, stop_signal: int = signal.SIGTERM) -> None:
        """Send ``stop_signal`` to the process group, SIGKILL it after ``grace`` s; idempotent.

        SIGTERM suits most servers; PostgreSQL takes SIGINT as its fast shutdown.
        """
        process = self._process
        if process is not None and process.poll() is None:
            self._signal(stop_signal)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _signal(self, signum: int) -> None:
        assert self._process is not None
        # The child leads its own session, so this also reaches its workers.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signum)
