"""PostgreSQL for tests and trials: a private server of Debian's PostgreSQL 15.

``EmbeddedPostgres`` runs ``initdb`` and ``postgres`` in a temporary directory on
a free 127.0.0.1 port, with password (SCRAM) logins only, and makes a database
owned by an ordinary role; ``create_database`` makes more, one per test stack.
PostgreSQL refuses to run as root, so under uid 0 (CI) both run as the
``postgres`` system user, which owns the directory.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from bot.process import ChildProcess, free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
INSTALL = "apt-get install -y postgresql"
SYSTEM_USER = "postgres"
ADMIN = "postgres"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresError(RuntimeError):
    """PostgreSQL is missing or could not be started."""


@dataclass(frozen=True)
class PostgresInfo:
    """How to reach one database of the server as its owner."""

    host: str
    port: int
    user: str
    database: str
    password: str = field(default="", repr=False)

    @property
    def url(self) -> str:
        """The SQLAlchemy URL (``DATABASE_URL``) of the database."""
        return (
            f"postgresql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{self.database}"
        )


def binaries(bin_dir: Path = PG_BIN) -> tuple[Path, Path]:
    """``initdb`` and ``postgres`` of ``bin_dir``; raises ``PostgresError`` naming the install."""
    found = tuple(bin_dir / name for name in ("initdb", "postgres"))
    missing = [str(path) for path in found if not os.access(path, os.X_OK)]
    if missing:
        raise PostgresError(
            f"PostgreSQL 15 is not installed ({', '.join(missing)} missing); "
            f"install it with: {INSTALL}"
        )
    return found[0], found[1]


def as_user(command: list[str], uid: int, user: str = SYSTEM_USER) -> list[str]:
    """``command`` as it must run: unchanged, or through ``runuser`` as ``user`` for root.

    ``runuser`` stays the parent of the server as root, so the server still stops
    when the process that started it dies (``bot.process`` sets that up).
    """
    return ["runuser", "-u", user, "--", *command] if uid == 0 else command


def server_config(port: int, socket_dir: Path) -> str:
    """``postgresql.conf`` for a throwaway server: local TCP only, speed over durability.

    The data is discarded at stop, so fsync and full-page writes buy nothing.
    Several test stacks, each with pooled connections from several processes,
    share one server, hence the connection limit.
    """
    return "\n".join(
        [
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            f"unix_socket_directories = '{socket_dir}'",
            "max_connections = 300",
            "shared_buffers = 32MB",
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "log_min_messages = warning",
            "",
        ]
    )


def checked_name(name: str) -> str:
    """``name`` if it is a plain lower-case SQL identifier (it goes into DDL unquoted)."""
    if not _NAME.fullmatch(name):
        raise PostgresError(f"{name!r} is not a plain lower-case SQL name")
    return name


class EmbeddedPostgres:
    """A private PostgreSQL server; use ``with`` or ``start()``/``stop()``.

    ``start`` returns the database ``tandem`` owned by the role ``tandem``, both
    made with a random password; the directory is removed at ``stop``.
    """

    def __init__(self, log_path: Path, bin_dir: Path = PG_BIN, database: str = "tandem") -> None:
        self.log_path = log_path
        self.bin_dir = bin_dir
        self.database = checked_name(database)
        self.root: Path | None = None
        self._process: ChildProcess | None = None
        self._admin_password = ""
        self._info: PostgresInfo | None = None

    @property
    def process(self) -> ChildProcess | None:
        return self._process

    @property
    def info(self) -> PostgresInfo:
        if self._info is None:
            raise PostgresError("the server is not started")
        return self._info

    def start(self, timeout: float = 30.0) -> PostgresInfo:
        """Create the cluster, start the server and make the database; how to reach it."""
        initdb, postgres = binaries(self.bin_dir)
        uid = os.getuid()
        try:
            self.root = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
            data = self.root / "data"
            self._admin_password = secrets.token_urlsafe(24)
            password_file = self.root / "admin-password"
            password_file.write_text(self._admin_password)
            if uid == 0:
                # The server's user must own the directory; the parent stays 0700.
                owner = pwd.getpwnam(SYSTEM_USER)
                for path in (self.root, password_file):
                    os.chown(path, owner.pw_uid, owner.pw_gid)
            self._run_initdb(initdb, data, password_file, uid)
            password_file.unlink()
            port = free_port()
            # postgresql.auto.conf is read after postgresql.conf and overrides it.
            (data / "postgresql.auto.conf").write_text(server_config(port, data))
            self._process = ChildProcess(
                "postgres", as_user([str(postgres), "-D", str(data)], uid), self.log_path
            )
            self._process.start()
            self._wait(port, timeout)
            self._info = self._make_owner(port)
            self.create_database(self.database)
        except BaseException:
            self.stop()
            raise
        return self._info

    def create_database(self, name: str) -> PostgresInfo:
        """A new, empty database owned by the role of ``info``; how to reach it."""
        import psycopg2

        info = self.info
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE {checked_name(name)} OWNER "{info.user}"')
        except psycopg2.Error as error:
            raise PostgresError(f"could not create database {name}: {error}") from error
        finally:
            connection.close()
        return replace(info, database=name)

    def stop(self) -> None:
        """Fast shutdown (SIGINT: roll back, disconnect, checkpoint), then remove the data."""
        if self._process is not None:
            self._process.stop(stop_signal=signal.SIGINT, grace=15.0)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        self._info = None

    def __enter__(self) -> PostgresInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run_initdb(self, initdb: Path, data: Path, password_file: Path, uid: int) -> None:
        command = [
            str(initdb),
            "-D",
            str(data),
            "--username",
            ADMIN,
            "--pwfile",
            str(password_file),
            "--auth",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]
        initialising = ChildProcess(
            "initdb", as_user(command, uid), self.log_path.with_suffix(".initdb.log")
        )
        initialising.start()
        code = initialising.wait(120.0)
        if code != 0:
            raise PostgresError(
                f"initdb failed with code {code}; see {initialising.log_path}:\n"
                f"{initialising.log_tail()}"
            )

    def _wait(self, port: int, timeout: float) -> None:
        import psycopg2

        assert self._process is not None
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._admin(port).close()
                return
            except psycopg2.OperationalError as error:
                if not self._process.running:
                    raise PostgresError(
                        f"postgres exited with code {self._process.returncode}; see "
                        f"{self._process.log_path}:\n{self._process.log_tail()}"
                    ) from error
                if time.monotonic() > deadline:
                    raise PostgresError(
                        f"PostgreSQL on port {port} did not accept logins within "
                        f"{timeout:.0f} s ({error})"
                    ) from error
            time.sleep(0.1)

    def _make_owner(self, port: int) -> PostgresInfo:
        """The ordinary role that owns the databases: no superuser rights for the application."""
        info = PostgresInfo(
            host="127.0.0.1",
            port=port,
            user="tandem",
            database=self.database,
            password=secrets.token_urlsafe(24),
        )
        connection = self._admin(port)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE ROLE "{info.user}" LOGIN PASSWORD %s', (info.password,))
        finally:
            connection.close()
        return info

    def _admin(self, port: int | None = None) -> Any:
        """An autocommit connection as the superuser (CREATE DATABASE needs autocommit)."""
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1",
            port=port if port is not None else self.info.port,
            user=ADMIN,
            password=self._admin_password,
            dbname="postgres",
            connect_timeout=2,
        )
        connection.autocommit = True
        return connection
