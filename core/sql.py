"""The SQL engine of each database, and the base of every SQL store.

A process opens one engine per database URL, however many stores use it: the
accounts, the outbox, the agents, the archive and the canned responses of one
database share its connection pool. SQLite is the embedded default; any
SQLAlchemy URL (PostgreSQL in production) works the same way.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine, make_url
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
        self._engine = engine_for(database_url)

    def create_schema(self) -> None:
        """Create the tables that are missing; safe to repeat."""
        self.metadata.create_all(self._engine)

    def close(self) -> None:
        """Release pooled connections (the engine opens new ones if it is used again)."""
        self._engine.dispose()


def utc_naive(moment: datetime) -> datetime:
    """Naive UTC, the form every timestamp is stored in (SQLite keeps no time zone)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
