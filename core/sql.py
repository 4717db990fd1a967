"""The SQL engine of each database, and the base of every SQL store.

A process opens one engine per database URL, however many stores use it: the
accounts, the outbox, the agents, the archive and the canned responses of one
database share its connection pool. SQLite is the embedded default; PostgreSQL
(``postgresql://``, through psycopg2) is the production engine and is tested too.
Stores use only SQL both understand; where they differ (concurrent schema
creation, serialising a check-then-write), the difference is here.
"""

from __future__ import annotations

import threading
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar

from sqlalchemy import MetaData, create_engine, func, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import QueuePool, StaticPool

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(database_url: str) -> Engine:
    """This process's engine for ``database_url``, made on first use and shared by threads."""
    with _engines_lock:
        engine = _engines.get(database_url)
        if engine is None:
            engine = _engines[database_url] = _create_engine(database_url)
        return engine


def _create_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(
            url,
            future=True,
            hide_parameters=True,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
        )
    sqlite = {"check_same_thread": False, "timeout": 15}
    if not url.database or url.database == ":memory:":
        # One in-memory database exists per connection: share that one.
        return create_engine(
            url,
            future=True,
            hide_parameters=True,
            connect_args=sqlite,
            poolclass=StaticPool,
        )
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(
        url,
        future=True,
        hide_parameters=True,
        connect_args=sqlite,
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=10,
    )


class SqlStore:
    """Tables of one database, reached through the process's engine for its URL.

    A subclass names its tables' ``metadata``; ``create_schema`` creates what is missing.
    """

    metadata: ClassVar[MetaData]

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engine = engine_for(database_url)

    def create_schema(self) -> None:
        """Create the tables that are missing, then ``upgrade``; safe to repeat.

        The gateway and the action server start together and both create the
        schema: on PostgreSQL a lock makes the second wait, then find it done.
        """
        with self._engine.begin() as conn:
            serialize(conn, "schema")
            self.metadata.create_all(conn)
            self.upgrade(conn)

    def upgrade(self, conn: Connection) -> None:
        """Bring tables made by an older version up to date, inside ``create_schema``."""

    def close(self) -> None:
        """Release pooled connections (the engine opens new ones if it is used again)."""
        self._engine.dispose()


def serialize(conn: Connection, key: str) -> None:
    """Make transactions that call this with ``key`` run one at a time, until this one ends.

    For a check-then-write (count, then insert) that must not interleave. On
    PostgreSQL it takes a transaction-scoped advisory lock; SQLite has one writer
    at a time already, and its transactions here are short.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_lock_id(key))))


def _lock_id(key: str) -> int:
    """A number for ``key`` that is the same in every process (``hash()`` is not)."""
    return zlib.crc32(key.encode()) - 2**31


def utc_naive(moment: datetime) -> datetime:
    """Naive UTC, the form every timestamp is stored in (``DateTime`` keeps no zone on SQLite)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
