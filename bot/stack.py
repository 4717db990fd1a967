"""The running Tandem stack: Redis, the action server and the Rasa server.

Each service is a child process with its output in ``var/logs/<name>.log``. They
start in dependency order, each waited on until it really answers, and stop in
reverse order (SIGTERM, then SIGKILL) when the stack stops, on Ctrl-C, or when
any of them dies, so a half-running stack never lingers.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from bot.demo import demo_allowed, seed_customers
from bot.process import QUIET_ENV, ChildProcess, free_port
from bot.redis_server import EmbeddedRedis, RedisInfo, parse_redis_url, wait_for_redis
from core.settings import Settings

# Secrets and mail settings, and the services that need each: every other child runs without.
CHILD_SECRETS = {
    "SECRET_KEY": ("gateway",),
    "CUSTOMER_TOKEN_SECRET": ("gateway",),
    "RASA_TOKEN": ("rasa", "gateway"),
    "ACTIONS_TOKEN": ("rasa", "actions"),
    "DATABASE_URL": ("actions", "gateway"),  # may carry the database's password
    "OUTBOX_KEY": ("actions", "gateway"),
    "SMTP_HOST": ("actions", "gateway"),
    "SMTP_PORT": ("actions", "gateway"),
    "MAIL_FROM": ("actions", "gateway"),
}


def child_env(settings: Settings, name: str, extra: dict[str, str]) -> dict[str, str]:
    """The environment of the service ``name``: only the secrets it needs (CHILD_SECRETS)."""
    env = settings.child_env(extra)
    for variable, services in CHILD_SECRETS.items():
        if name not in services:
            env.pop(variable, None)
    return env


def private_settings(settings: Settings, var: Path) -> Settings:
    """``settings`` on free ports, embedded Redis, a database in ``var`` and new secrets.

    A stack on them runs beside any other: tests, benchmarks and `test-bot` use it.
    """
    gateway_port = free_port()
    return dataclasses.replace(
        settings,
        database_url=f"sqlite:///{var / 'tandem.db'}",
        redis_url=None,
        rasa_port=free_port(),
        actions_port=free_port(),
        gateway_port=gateway_port,
        allowed_origins=(f"http://127.0.0.1:{gateway_port}",),
        rasa_token=secrets.token_urlsafe(32),
        actions_token=secrets.token_urlsafe(32),
        secret_key=secrets.token_urlsafe(32),
        demo=True,  # its own database: the demo customers belong there
    )


class StackError(RuntimeError):
    """A service failed to start or died; the message names its log file."""


class Stack:
    """Start and stop Tandem's services; usable as a context manager.

    Tests pass their own ``Settings`` (ports, tokens, a temporary DATABASE_URL)
    and ``var_dir``; the CLI uses the repository's ``var/``.
    """

    def __init__(
        self,
        settings: Settings,
        model_path: Path,
        var_dir: Path | None = None,
        rasa_timeout: float = 180.0,
        actions_timeout: float = 60.0,
    ) -> None:
        if not settings.rasa_token or not settings.actions_token or not settings.secret_key:
            raise StackError("The stack needs RASA_TOKEN, ACTIONS_TOKEN and SECRET_KEY.")
        self.settings = settings
        self.model_path = model_path
        self.var_dir = var_dir or settings.root / "var"
        self.rasa_timeout = rasa_timeout
        self.actions_timeout = actions_timeout
        self.rasa_url = f"http://127.0.0.1:{settings.rasa_port}"
        self.actions_url = f"http://127.0.0.1:{settings.actions_port}"
        self.gateway_url = f"http://127.0.0.1:{settings.gateway_port}"
        self.redis: RedisInfo | None = None
        self._embedded_redis: EmbeddedRedis | None = None
        self._children: list[ChildProcess] = []

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "logs"

    def start(self, with_rasa: bool = True) -> None:
        """Start Redis and actions; then, unless ``with_rasa`` is False, Rasa and the gateway."""
        try:
            self._start_redis()
            if demo_allowed(self.settings):
                seed_customers(self.settings.database_url)
            _ensure_port_free(self.settings.actions_port, "ACTIONS_PORT")
            actions = self._spawn("actions", [sys.executable, "-m", "actions.server"])
            self._wait_until(actions, self.actions_timeout, "GET /health", self._actions_ready)
        except BaseException:
            self.stop()
            raise
        if with_rasa:
            self.start_rasa()
            self.start_gateway()

    def start_rasa(self) -> None:
        """Start the Rasa server once the rest runs (benchmarks time it on its own)."""
        try:
            _ensure_port_free(self.settings.rasa_port, "RASA_PORT")
            rasa = self._spawn(
                "rasa", [sys.executable, "-m", "bot.rasa_server", "--model", str(self.model_path)]
            )
            self._wait_until(rasa, self.rasa_timeout, "model loaded", self._rasa_ready)
        except BaseException:
            self.stop()
            raise

    def start_gateway(self) -> None:
        """Start the handoff gateway, the service browsers talk to."""
        try:
            _ensure_port_free(self.settings.gateway_port, "GATEWAY_PORT")
            gateway = self._spawn("gateway", [sys.executable, "-m", "handoff"])
            self._wait_until(gateway, self.actions_timeout, "GET /health", self._gateway_ready)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every service, newest first; safe to call more than once."""
        for child in reversed(self._children):
            child.stop()
        self._children.clear()
        if self._embedded_redis is not None:
            self._embedded_redis.stop()
            self._embedded_redis = None

    def check(self) -> None:
        """Raise StackError if any service has exited."""
        for child in self._all_children():
            if not child.running:
                raise StackError(
                    f"{child.name} exited with code {child.returncode}; "
                    f"see {child.log_path}:\n{child.log_tail()}"
                )

    def wait(self, poll: float = 0.5) -> None:
        """Block until a service dies (raises StackError) or Ctrl-C."""
        while True:
            self.check()
            time.sleep(poll)

    def log_files(self) -> dict[str, Path]:
        return {child.name: child.log_path for child in self._all_children()}

    def pids(self) -> dict[str, int]:
        """Process id of each running service, by name."""
        return {child.name: child.pid for child in self._all_children() if child.pid is not None}

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _all_children(self) -> list[ChildProcess]:
        redis = self._embedded_redis.process if self._embedded_redis else None
        return ([redis] if redis else []) + self._children

    def _start_redis(self) -> None:
        if self.settings.redis_url:
            self.redis = parse_redis_url(self.settings.redis_url)
            wait_for_redis(self.redis, timeout=10)
            return
        self._embedded_redis = EmbeddedRedis(self.var_dir / "redis", self.log_dir / "redis.log")
        self.redis = self._embedded_redis.start()

    def _spawn(self, name: str, command: list[str]) -> ChildProcess:
        assert self.redis is not None
        env = child_env(self.settings, name, {**QUIET_ENV, **self.redis.env()})
        child = ChildProcess(name, command, self.log_dir / f"{name}.log", env, self.settings.root)
        self._children.append(child)
        child.start()
        return child

    def _wait_until(
        self, child: ChildProcess, timeout: float, what: str, ready: Callable[[], bool]
    ) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            self.check()
            if time.monotonic() > deadline:
                raise StackError(
                    f"{child.name} was not ready ({what}) within {timeout:.0f} s; "
                    f"see {child.log_path}:\n{child.log_tail()}"
                )
            time.sleep(0.25)

    def _actions_ready(self) -> bool:
        return _http(f"{self.actions_url}/health") == 200

    def _gateway_ready(self) -> bool:
        return _http(f"{self.gateway_url}/health") == 200

    def _rasa_ready(self) -> bool:
        """Status answers once the model is loaded; one parse warms the NLU pipeline.

        Rasa's API takes its token only as ``?token=`` (Bearer means JWT to it).
        """
        query = urllib.parse.urlencode({"token": self.settings.rasa_token})
        if _http(f"{self.rasa_url}/status?{query}") != 200:
            return False
        return _http(f"{self.rasa_url}/model/parse?{query}", {"text": "hello"}, timeout=60) == 200


def _ensure_port_free(port: int, setting: str) -> None:
    """Refuse to start beside another server, whose answers would pass for ours."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise StackError(
                f"Port {port} ({setting}) is already in use, perhaps by another Tandem; "
                "stop it or choose another port."
            )


def _http(url: str, body: dict[str, str] | None = None, timeout: float = 2.0) -> int | None:
    """Status code of a GET (or a JSON POST when ``body`` is given); None if unreachable."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None
