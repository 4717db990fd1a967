"""The running Tandem stack: Redis, the action server, Rasa and the gateway.

Each service is a child process with its output in ``var/logs/<name>.log``. They
start in dependency order, each waited on until it really answers, and stop in
reverse order (SIGTERM, then SIGKILL) when the stack stops or on Ctrl-C. Once up,
the stack watches them: a service that dies is restarted with a growing delay, and
the stack says so, while the others keep serving.

One process of each by default (``make run``). With several gateways (``--gateways``)
HAProxy sits in front of them on GATEWAY_PORT; with several Rasa servers (``--rasa``)
the gateways spread conversations over them (docs/deployment.md).
"""

from __future__ import annotations

import dataclasses
import functools
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

from bot.balancer import (
    Backend,
    BalancerMissing,
    haproxy_command,
    haproxy_config,
    max_connections,
    write_config,
)
from bot.demo import demo_allowed, seed_customers
from bot.process import QUIET_ENV, ChildProcess, free_port
from bot.redis_server import (
    EmbeddedRedis,
    RedisError,
    RedisInfo,
    parse_redis_url,
    wait_for_redis,
)
from bot.supervisor import Service, Supervisor, report_to_stderr
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
    "METRICS_TOKEN": ("gateway",),
    "INBOUND_MAIL_KEY": ("gateway",),
    # Only `python -m bot mail fetch` reads the mailbox, in its own process: no service does.
    "IMAP_PASSWORD": (),
}


def child_env(settings: Settings, name: str, extra: dict[str, str]) -> dict[str, str]:
    """The environment of the service ``name``: only the secrets it needs (CHILD_SECRETS).

    ``rasa-2`` or ``gateway-1`` is a service of the kind ``rasa`` or ``gateway``.
    """
    env = settings.child_env(extra)
    kind = name.split("-")[0]
    for variable, services in CHILD_SECRETS.items():
        if kind not in services:
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
        metrics_token=secrets.token_urlsafe(32),
        demo=True,  # its own database: the demo customers belong there
    )


class StackError(RuntimeError):
    """A service failed to start; the message names its log file."""


class Stack:
    """Start, watch and stop Tandem's services; usable as a context manager.

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
        gateways: int = 1,
        rasa_servers: int = 1,
        report: Callable[[str], None] = report_to_stderr,
    ) -> None:
        if not settings.rasa_token or not settings.actions_token or not settings.secret_key:
            raise StackError("The stack needs RASA_TOKEN, ACTIONS_TOKEN and SECRET_KEY.")
        if gateways < 1 or rasa_servers < 1:
            raise StackError("The stack needs at least one gateway and one Rasa server.")
        self.settings = settings
        self.model_path = model_path
        self.var_dir = var_dir or settings.root / "var"
        self.rasa_timeout = rasa_timeout
        self.actions_timeout = actions_timeout
        self.rasa_url = f"http://127.0.0.1:{settings.rasa_port}"
        self.actions_url = f"http://127.0.0.1:{settings.actions_port}"
        # Where clients connect: the balancer's port with several gateways, else the gateway's.
        self.gateway_url = f"http://127.0.0.1:{settings.gateway_port}"
        self.rasa_ports = [settings.rasa_port] + [free_port() for _ in range(rasa_servers - 1)]
        self.rasa_urls = [f"http://127.0.0.1:{port}" for port in self.rasa_ports]
        self.gateway_ports = (
            [settings.gateway_port] if gateways == 1 else [free_port() for _ in range(gateways)]
        )
        self.gateway_urls = [f"http://127.0.0.1:{port}" for port in self.gateway_ports]
        self.redis: RedisInfo | None = None
        self._embedded_redis: EmbeddedRedis | None = None
        self._supervisor = Supervisor(report)
        self._services = self._supervisor.services

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "logs"

    @property
    def balanced(self) -> bool:
        """True when a load balancer sits in front of several gateways."""
        return len(self.gateway_ports) > 1

    def start(self, with_rasa: bool = True) -> None:
        """Start Redis and actions; then, unless ``with_rasa`` is False, Rasa and the gateway."""
        try:
            self._start_redis()
            if demo_allowed(self.settings):
                seed_customers(self.settings.database_url)
            _ensure_port_free(self.settings.actions_port, "ACTIONS_PORT")
            self._start(
                self._spawn("actions", [sys.executable, "-m", "actions.server"]),
                self.actions_timeout,
                functools.partial(_answers, f"{self.actions_url}/health"),
            )
        except BaseException:
            self.stop()
            raise
        self._supervisor.start()
        if with_rasa:
            self.start_rasa()
            self.start_gateway()

    def start_rasa(self) -> None:
        """Start the Rasa servers once the rest runs (benchmarks time it on their own).

        Several load the model side by side; each is waited on until it parses a line.
        """
        try:
            starting = []
            for number, port in enumerate(self.rasa_ports, start=1):
                _ensure_port_free(port, "RASA_PORT")
                child = self._spawn(
                    self._name("rasa", number, len(self.rasa_ports)),
                    [sys.executable, "-m", "bot.rasa_server", "--model", str(self.model_path)],
                    {"RASA_PORT": str(port)},
                )
                starting.append((child, f"http://127.0.0.1:{port}"))
            for child, url in starting:
                self._start(child, self.rasa_timeout, functools.partial(self._rasa_ready, url))
        except BaseException:
            self.stop()
            raise

    def start_gateway(self) -> None:
        """Start the gateways, and the balancer in front when there are several."""
        try:
            _ensure_port_free(self.settings.gateway_port, "GATEWAY_PORT")
            for number, port in enumerate(self.gateway_ports, start=1):
                child = self._spawn(
                    self._name("gateway", number, len(self.gateway_ports)),
                    [sys.executable, "-m", "handoff"],
                    self._gateway_env(port),
                )
                self._start(
                    child,
                    self.actions_timeout,
                    functools.partial(_answers, f"http://127.0.0.1:{port}/health"),
                )
            if self.balanced:
                self._start_balancer()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop watching, then every service, newest first; safe to call more than once."""
        self._supervisor.stop()
        for service in reversed(self._services):
            service.child.stop()
        self._services.clear()
        if self._embedded_redis is not None:
            self._embedded_redis.stop()
            self._embedded_redis = None

    def check(self) -> None:
        """Raise StackError if a service exited that the stack does not restart."""
        for child in self._all_children():
            service = self._service(child.name)
            if not child.running and not (service and service.supervised):
                raise StackError(
                    f"{child.name} exited with code {child.returncode}; "
                    f"see {child.log_path}:\n{child.log_tail()}"
                )

    def wait(self, poll: float = 0.5) -> None:
        """Block until Ctrl-C or SIGTERM; crashed services are restarted meanwhile."""
        while True:
            self.check()
            time.sleep(poll)

    def restarts(self) -> dict[str, int]:
        """How often each service was restarted after it died."""
        return self._supervisor.restarts()

    def ready(self, name: str) -> bool:
        """True when the service ``name`` runs and answers its readiness check."""
        service = self._service(name)
        return bool(service and service.child.running and service.ready())

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
        return [service.child for service in self._services]

    def _service(self, name: str) -> Service | None:
        return next((service for service in self._services if service.name == name), None)

    @staticmethod
    def _name(kind: str, number: int, count: int) -> str:
        """``rasa`` when there is one, ``rasa-1``, ``rasa-2``... when there are several."""
        return kind if count == 1 else f"{kind}-{number}"

    def _gateway_env(self, port: int) -> dict[str, str]:
        env = {"RASA_URLS": ",".join(self.settings.rasa_urls or self.rasa_urls)}
        if self.balanced:
            env["GATEWAY_LISTEN_PORT"] = str(port)
            # The balancer names the client in X-Forwarded-For: trust one more proxy.
            env["TRUSTED_PROXIES"] = str(self.settings.trusted_proxies + 1)
        return env

    def _start_redis(self) -> None:
        if self.settings.redis_url:
            self.redis = parse_redis_url(self.settings.redis_url)
            wait_for_redis(self.redis, timeout=10)
            return
        self._embedded_redis = EmbeddedRedis(self.var_dir / "redis", self.log_dir / "redis.log")
        self.redis = self._embedded_redis.start()
        assert self._embedded_redis.process is not None
        self._supervisor.watch(
            self._supervisor.add(
                self._embedded_redis.process, functools.partial(_redis_answers, self.redis)
            )
        )

    def _start_balancer(self) -> None:
        backends = [
            Backend(f"gateway-{number}", "127.0.0.1", port)
            for number, port in enumerate(self.gateway_ports, start=1)
        ]
        config = write_config(
            self.var_dir / "balancer" / "haproxy.cfg",
            haproxy_config(
                "127.0.0.1",
                self.settings.gateway_port,
                backends,
                secure_cookie=self.settings.served_over_https,
                maxconn=max_connections(),
            ),
        )
        try:
            command = haproxy_command(config)
        except BalancerMissing as error:
            raise StackError(str(error)) from None
        self._start(
            self._spawn("balancer", command),
            self.actions_timeout,
            functools.partial(_answers, f"{self.gateway_url}/health"),
        )

    def _spawn(
        self, name: str, command: list[str], extra: dict[str, str] | None = None
    ) -> ChildProcess:
        assert self.redis is not None
        env = child_env(self.settings, name, {**QUIET_ENV, **self.redis.env(), **(extra or {})})
        child = ChildProcess(name, command, self.log_dir / f"{name}.log", env, self.settings.root)
        child.start()
        return child

    def _start(self, child: ChildProcess, timeout: float, ready: Callable[[], bool]) -> None:
        """Wait until ``child`` is ready, then keep it running (it is watched from now on)."""
        service = self._supervisor.add(child, ready)
        deadline = time.monotonic() + timeout
        while not ready():
            self.check()
            if time.monotonic() > deadline:
                raise StackError(
                    f"{child.name} was not ready within {timeout:.0f} s; "
                    f"see {child.log_path}:\n{child.log_tail()}"
                )
            time.sleep(0.25)
        self._supervisor.watch(service)

    def _rasa_ready(self, url: str) -> bool:
        """Status answers once the model is loaded; one parse warms the NLU pipeline.

        Rasa's API takes its token only as ``?token=`` (Bearer means JWT to it).
        """
        query = urllib.parse.urlencode({"token": self.settings.rasa_token})
        if _http(f"{url}/status?{query}") != 200:
            return False
        return _http(f"{url}/model/parse?{query}", {"text": "hello"}, timeout=60) == 200


def _answers(url: str) -> bool:
    """A readiness check: the URL answers 200."""
    return _http(url) == 200


def _redis_answers(info: RedisInfo) -> bool:
    try:
        wait_for_redis(info, timeout=0)
    except RedisError:
        return False
    return True


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
