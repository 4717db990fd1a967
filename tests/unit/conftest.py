"""Shared fixtures of the unit tests: a real SQLite account backend per test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from actions.accounts import AccountClient


class Clock:
    """A clock that stands still until a test moves it on."""

    def __init__(self) -> None:
        self.current = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    """Where the test's SQLite file lives (its folder does not exist yet)."""
    return tmp_path / "db" / "accounts.db"


@pytest.fixture
def accounts(database_path: Path, clock: Clock) -> Iterator[AccountClient]:
    """An AccountClient on a fresh SQLite file, seeded with the demo customers."""
    client = AccountClient(f"sqlite:///{database_path}", now=clock)
    client.create_schema()
    client.seed_demo()
    yield client
    client.close()
