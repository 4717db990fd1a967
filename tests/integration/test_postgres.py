"""Every SQL store on a real PostgreSQL: the embedded server, then each store's round trip.

Runs always (it needs Debian's postgresql package, not TANDEM_TEST_DATABASE): the
gateway and integration suites use PostgreSQL only when that variable asks for it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect

from actions.accounts import AccountClient
from actions.reset_tokens import InvalidResetToken, ResetRateLimited, ResetTokens
from actions.verification import VerificationGuard
from bot.demo import reset_customers, seed_customers
from bot.postgres import EmbeddedPostgres, PostgresInfo
from core.mail import Outbox
from core.sql import engine_for
from handoff.records.agents import AgentDirectory, AgentExists, BadLogin
from handoff.records.archive import Archive
from handoff.records.canned import CannedExists, CannedResponses
from handoff.records.reports import DateRange, Reports
from handoff.records.tickets import Tickets
from handoff.stores.conversations import Conversation
from handoff.stores.transcripts import Message

T0 = 1_700_000_000.0
PASSWORD = "correct horse battery"
NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("postgres") / "postgres.log")
    with embedded:
        yield embedded


@pytest.fixture
def database(server: EmbeddedPostgres) -> PostgresInfo:
    """A fresh database for one test."""
    return server.create_database(f"test_{next(NUMBERS)}")


def test_server_takes_only_password_logins_and_stops_cleanly(tmp_path: Path) -> None:
    embedded = EmbeddedPostgres(tmp_path / "postgres.log")
    with embedded as info:
        assert embedded.root is not None
        root = embedded.root
        connection = psycopg2.connect(info.url)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, current_database(), rolsuper FROM pg_roles "
                "WHERE rolname = current_user"
            )
            assert cursor.fetchone() == ("tandem", "tandem", False)
        connection.close()
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(info.url.replace(info.password, "wrong"), connect_timeout=2)
        assert embedded.process is not None
        cmdline = Path(f"/proc/{embedded.process.pid}/cmdline").read_bytes()
        assert info.password.encode() not in cmdline
    assert not embedded.process.running
    assert embedded.process.returncode == 0  # fast shutdown, not a kill
    assert not root.exists()
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(info.url, connect_timeout=2)


def test_accounts_payments_and_addresses(database: PostgresInfo) -> None:
    assert seed_customers(database.url) > 0
    assert seed_customers(database.url) == 0
    accounts = AccountClient(database.url)
    dana = accounts.find("DANA@example.com")
    assert dana is not None and dana.balance > Decimal("1")
    assert accounts.verify("dana@example.com", dana.phone_last4) == dana
    with ThreadPoolExecutor(4) as pool:
        receipts = list(
            pool.map(lambda _: accounts.pay(dana.id, Decimal("1.00"), "key-1"), range(4))
        )
    assert len({receipt.number for receipt in receipts}) == 1  # charged once
    assert accounts.get(dana.id).balance == dana.balance - Decimal("1.00")
    reference = accounts.update_address(dana.id, "1 Elm St", "Springfield", "MA", "12345")
    assert reference.startswith("ADR-")
    assert accounts.get(dana.id).street == "1 Elm St"
    reset_customers(database.url)
    assert accounts.get(dana.id) == dana


def test_reset_links_and_the_outbox(database: PostgresInfo) -> None:
    seed_customers(database.url)
    outbox = Outbox(database.url, key=Fernet.generate_key().decode())
    outbox.create_schema()
    resets = ResetTokens(database.url, outbox, "https://example.test/reset?token=")
    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(lambda _: _try_reset(resets), range(6)))
    assert outcomes.count("ok") == 3  # the limit holds when requests race
    [*_, first] = outbox.newest()
    assert first.to == "dana@example.com" and first.created_at.tzinfo is timezone.utc
    token = first.body.split("token=")[1].split()[0]
    account_id = resets.redeem(token)
    assert account_id.startswith("ACC-")
    with pytest.raises(InvalidResetToken):
        resets.redeem(token)


def _try_reset(resets: ResetTokens) -> str:
    try:
        resets.request("dana@example.com", "conv-race")
    except ResetRateLimited:
        return "limited"
    return "ok"


def test_verification_lockout(database: PostgresInfo) -> None:
    clock = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    guard = VerificationGuard(database.url, now=lambda: clock[0])
    guard.create_schema()
    assert [guard.failed("account:ACC-1", "client:a", "c") for _ in range(3)] == [
        False, False, True,
    ]  # fmt: skip
    assert guard.locked("account:ACC-1", "client:b")
    clock[0] += timedelta(minutes=16)
    assert not guard.locked("account:ACC-1", "client:b")


def test_agents_and_canned_responses(database: PostgresInfo) -> None:
    directory = AgentDirectory(database.url)
    canned = CannedResponses(database.url)
    # The gateway's processes create the schema at once: each waits for the first.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda store: store.create_schema(), [directory, canned] * 2))
    defaults = canned.all()
    assert defaults and len({response.title for response in defaults}) == len(defaults)
    ann = directory.add("Ann", "Ann Lee", PASSWORD, skills=["billing"])
    with pytest.raises(AgentExists):
        directory.add("ann", "Ann Again", PASSWORD)
    assert directory.authenticate("ANN", PASSWORD) == ann
    with pytest.raises(BadLogin):
        directory.authenticate("ann", "wrong password!")
    directory.set_role("ann", "supervisor")
    assert directory.generation("ann") == 1
    added = canned.add("Thanks", "Thank you, {{ customer.name }}.", by="ann")
    assert canned.get(added.id) == added
    with pytest.raises(CannedExists):
        canned.add("Thanks", "again", by="ann")


def test_archive_tickets_and_stats(database: PostgresInfo) -> None:
    archive = Archive(database.url, Outbox(database.url, key=Fernet.generate_key().decode()))
    archive.create_schema()
    conversation = Conversation(
        id="conv-1",
        mode="closed",
        agent_id="ann",
        skill="billing",
        priority="high",
        reason="failed_task",
        packet={"reason": "failed_task"},
        customer={"customer_id": "ACC-1001", "verified": True},
        created_at=T0,
        queued_at=T0 + 10,
        assigned_at=T0 + 40,
        first_agent_reply_at=T0 + 50,
        closed_at=T0 + 340,
        resolution="resolved",
        csat=5,
        last_seq=2,
    )
    lines = [
        Message(
            seq=1, kind="customer", text="card 4111 1111 1111 1111", sender=None, at=T0 + 1, data={}
        ),
        Message(seq=2, kind="agent", text="Done.", sender="Ann", at=T0 + 2, data={"x": 1}),
    ]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: archive.archive(conversation, lines), range(3)))
    stored = archive.conversation("conv-1")
    assert stored is not None
    row, messages = stored
    assert row["verified"] is True and row["customer"]["customer_id"] == "ACC-1001"
    assert [m["seq"] for m in messages] == [1, 2] and "4111 1111" not in messages[0]["text"]
    ticket = Tickets(archive.database_url, archive.mail).create("conv-1", "dana@example.com", T0)
    figures = Reports(archive.database_url).overall(DateRange.day_of(T0), sla_seconds=120)
    assert figures["closed"] == 1 and figures["p90_wait_seconds"] == 30.0
    assert figures["avg_wait_seconds"] == 30.0 and figures["avg_csat"] == 5.0
    assert figures["resolution_rate"] == 1.0
    assert archive.conversation("conv-1")[0]["tickets"] == [ticket]  # type: ignore[index]


def test_one_engine_per_url_reaches_every_table(database: PostgresInfo) -> None:
    AccountClient(database.url).create_schema()
    Archive(database.url, Outbox(database.url, key="unused")).create_schema()
    tables = set(inspect(engine_for(database.url)).get_table_names())
    assert {"accounts", "payments", "reset_tokens", "archived_messages", "outbox"} <= tables
    assert os.environ.get("PGPASSWORD") is None  # nothing leaked into the environment
