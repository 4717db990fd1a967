"""Shared fixtures of the unit tests: a real SQLite account backend per test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from actions.accounts import AccountClient
from actions.reset_tokens import ResetTokens
from bot.demo import seed_customers
from core.mail import Outbox
from core.settings import Settings
from tests.unit.helpers import SmtpSink


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
    seed_customers(f"sqlite:///{database_path}")
    client = AccountClient(f"sqlite:///{database_path}", now=clock)
    yield client
    client.close()


@pytest.fixture
def outbox(database_path: Path, clock: Clock) -> Iterator[Outbox]:
    """The outbox of the test's database (no SMTP server: mail is kept)."""
    store = Outbox(f"sqlite:///{database_path}", now=clock)
    store.create_schema()
    yield store
    store.close()


@pytest.fixture
def resets(
    accounts: AccountClient, outbox: Outbox, database_path: Path, clock: Clock
) -> ResetTokens:
    """Password reset links for the seeded accounts, mailed to the outbox."""
    link_base = Settings.from_env({}).reset_link_base
    return ResetTokens(f"sqlite:///{database_path}", outbox, link_base, now=clock)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on a free port that keeps every message it is sent."""
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    yield sink
    sink.shutdown()
    sink.server_close()
