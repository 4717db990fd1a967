"""Tickets in SQL and the service agents work them through: who sees and may change what,
the SLA clock, mail out and in, exactly-once changes, and an older database upgraded."""

from __future__ import annotations

import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.postgres import EmbeddedPostgres
from core.mail import Outbox
from core.sql import engine_for
from handoff.records.agents import Agent
from handoff.records.archive import Archive, InvalidEmail
from handoff.records.ticket_mail import reference_in, without_quote
from handoff.records.tickets import (
    Forbidden,
    InvalidChange,
    Tickets,
    UnknownTicket,
    breached,
    parse_sla,
)
from handoff.service.tickets import TicketService
from tests.handoff.test_archive import (
    CARD,
    MESSAGES,
    T0,
    archive,
    closed,
    count,
    database_path,
    outbox,
)
from tests.handoff.test_reports import postgres

# The fixtures, from the archive's and the reports' tests.
__all__ = ["archive", "database_path", "outbox", "postgres"]

ANN = Agent("ann", "Ann Lee", "agent", ("billing", "general"), 3)
BOB = Agent("bob", "Bob", "agent", ("technical",), 3)
SUE = Agent("sue", "Sue Park", "supervisor", (), 3)
DANA = "dana@example.com"


@pytest.fixture
def records(archive: Archive) -> Tickets:
    return Tickets(archive.database_url, archive.mail)


@pytest.fixture
def service(records: Tickets, archive: Archive) -> TicketService:
    return TicketService(records, archive)


def billing_ticket(records: Tickets, archive: Archive, at: float = T0) -> str:
    """Dana's ticket from the archived chat conv-1 (skill billing, priority high), made ``at``."""
    archive.archive(closed(resolution="ticket"), MESSAGES)
    return records.create("conv-1", DANA, at, priority="high", skill="billing")


# --- records -------------------------------------------------------------------------


def test_a_ticket_is_kept_and_mailed_with_its_reference_and_nothing_the_customer_wrote(
    records: Tickets, outbox: Outbox
) -> None:
    ticket = records.create("conv-1", " dana@example.com ", T0)
    assert re.fullmatch(r"TKT-[0-9A-F]{8}", ticket)
    [mail] = outbox.newest()
    assert (mail.to, mail.subject) == (DANA, f"Your request {ticket}")
    assert f"Your reference is {ticket}." in mail.body
    # The address is not verified: our words only, never the chat's text or links.
    assert "charged twice" not in mail.body and "http" not in mail.body
    row = records.view(ticket, T0)
    assert (row["status"], row["priority"], row["skill"], row["assignee"]) == (
        "open",
        "normal",
        "general",
        None,
    )
    assert row["due_at"] == T0 + 24 * 3600  # the default SLA of a normal ticket


def test_tickets_are_listed_with_the_archived_conversation(
    records: Tickets, archive: Archive
) -> None:
    first = billing_ticket(records, archive)
    found = archive.conversation("conv-1")
    assert found is not None
    assert found[0]["tickets"] == [first]


@pytest.mark.parametrize(
    "email",
    [
        "",
        "dana",
        "dana@",
        "@example.com",
        "dana@example",
        "a b@example.com",
        "dana@example.com\nBcc: x@evil.example",
        "x" * 320 + "@example.com",
    ],
)
def test_a_bad_email_is_refused_and_nothing_kept(
    records: Tickets, outbox: Outbox, database_path: Path, email: str
) -> None:
    with pytest.raises(InvalidEmail, match="email address"):
        records.create("conv-1", email, T0)
    assert count(database_path, "tickets") == 0
    assert outbox.newest() == []


def test_sla_hours_come_by_priority_and_bad_ones_say_how_to_write_them() -> None:
    assert parse_sla("urgent=0.5, high=2,normal=8") == {"urgent": 0.5, "high": 2, "normal": 8}
    for bad in ("urgent=1,high=4", "urgent=1,high=x,normal=2", "urgent=0,high=1,normal=2"):
        with pytest.raises(ValueError, match="TICKET_SLA_HOURS"):
            parse_sla(bad)


def test_breached_means_answered_late_or_late_now() -> None:
    row = {"due_at": 100.0, "first_response_at": None, "solved_at": None}
    assert not breached(row, 99.0) and breached(row, 101.0)
    assert not breached({**row, "first_response_at": 90.0}, 500.0)
    assert breached({**row, "first_response_at": 110.0}, 500.0)
    assert not breached({**row, "solved_at": 50.0}, 500.0)  # solved in time without a reply
    assert not breached({**row, "due_at": None}, 500.0)


def test_references_and_quotes_are_found_the_simple_way() -> None:
    assert reference_in("Re: Your request tkt-abcd1234 [TKT-ABCD1234]", "") == "TKT-ABCD1234"
    assert reference_in("Hello", "about TKT-0000ABCD, thanks") == "TKT-0000ABCD"
    assert reference_in("TKT-ABCD12345", "no") is None
    reply = "Still broken.\n\nOn Tue, 1 Dec 2026 at 10:00, Support wrote:\n> Try again\n> ok"
    assert without_quote(reply) == "Still broken."
    assert without_quote("Yes\n> quoted\nthanks") == "Yes\nthanks"


# --- the service: who sees what -------------------------------------------------------


def test_agents_see_theirs_and_the_unassigned_ones_of_their_skills(
    service: TicketService, records: Tickets, archive: Archive
) -> None:
    billing = billing_ticket(records, archive)
    technical = records.create("conv-2", "tom@example.com", T0, skill="technical")
    bobs = records.create("conv-3", "eve@example.com", T0, skill="billing", assignee="bob")

    def ids(agent: Agent, view: str, status: str | None = None) -> set[str]:
        return {t["id"] for t in service.inbox(agent, view, status)["tickets"]}

    assert ids(ANN, "queue") == {billing} and ids(ANN, "mine") == set()
    assert ids(BOB, "queue") == {technical} and ids(BOB, "mine") == {bobs}
    assert ids(SUE, "all") == {billing, technical, bobs}
    assert ids(SUE, "queue") == {billing, technical}
    assert service.inbox(ANN, "queue", None)["backlog"] is None
    assert service.inbox(SUE, "all", None)["backlog"] == {"open": 3, "pending": 0, "breached": 3}
    with pytest.raises(Forbidden):
        service.inbox(ANN, "all", None)
    with pytest.raises(InvalidChange):
        service.inbox(ANN, "everything", None)
    # Another's ticket and one that does not exist: the same refusal.
    for unknown in (bobs, technical, "TKT-00000000"):
        with pytest.raises(UnknownTicket):
            service.open(ANN, unknown)
        with pytest.raises(UnknownTicket):
            service.note(ANN, unknown, "hi", "m1")


def test_an_agent_opens_a_ticket_with_its_chat_and_customer(
    service: TicketService, records: Tickets, archive: Archive
) -> None:
    ticket = billing_ticket(records, archive)
    opened = service.open(ANN, ticket)
    assert opened["ticket"]["id"] == ticket and opened["messages"] == []
    assert opened["conversation"]["reason"] == "failed_task"
    assert [m["kind"] for m in opened["transcript"]] == ["customer", "bot", "system", "agent"]
    assert opened["customer"] == {"customer_id": "ACC-1001", "verified": True, "name": "Dana"} | {
        "email": DANA
    }
    variables = service.canned_variables(ANN, ticket)
    assert variables["customer"] == {"verified": True, "name": "Dana", "id": "ACC-1001"}


# --- the service: changes -------------------------------------------------------------


def test_a_reply_is_mailed_kept_takes_the_ticket_and_is_the_first_response(
    service: TicketService, records: Tickets, archive: Archive, outbox: Outbox
) -> None:
    ticket = billing_ticket(records, archive, at=time.time())
    answer = service.answer(ANN, ticket, f"Refunded. Card {CARD}?", "r1")
    assert answer["message"]["direction"] == "out" and answer["message"]["author"] == "ann"
    assert CARD not in answer["message"]["text"]
    after = answer["ticket"]
    assert (after["status"], after["assignee"], after["breached"]) == ("pending", "ann", False)
    assert after["first_response_at"] is not None and after["preview"].startswith("Refunded.")
    mail = outbox.newest()[0]
    assert (mail.to, mail.subject) == (DANA, f"Re: Your request {ticket} [{ticket}]")
    assert mail.body.startswith("Refunded. Card") and CARD not in mail.body
    assert f"keep {ticket} in the subject" in mail.body
    # The same message id again: the first answer, nothing mailed or kept twice.
    assert service.answer(ANN, ticket, "Refunded again?", "r1") == answer
    assert len(outbox.newest()) == 2 and len(records.messages(ticket)) == 1
    solved = service.answer(ANN, ticket, "All done.", "r2", status="solved")["ticket"]
    assert solved["status"] == "solved" and solved["solved_at"] is not None
    assert solved["first_response_at"] == after["first_response_at"]


def test_notes_status_and_assignment_follow_who_may_do_what(
    service: TicketService, records: Tickets, archive: Archive, outbox: Outbox
) -> None:
    ticket = billing_ticket(records, archive)
    noted = service.note(ANN, ticket, "Check the refund first.", "n1")
    assert noted["message"]["direction"] == "note" and noted["ticket"]["preview"] == ""
    assert len(outbox.newest()) == 1  # the reference only: notes are never mailed
    with pytest.raises(Forbidden, match="supervisors"):
        service.assign(ANN, ticket, "bob", "a0")
    with pytest.raises(Forbidden, match="only tickets of yours"):
        service.assign(ANN, ticket, None, "a0")
    assert service.assign(ANN, ticket, "ann", "a1")["ticket"]["assignee"] == "ann"
    assert service.set_status(ANN, ticket, "pending", "s1")["ticket"]["status"] == "pending"
    with pytest.raises(InvalidChange):
        service.set_status(ANN, ticket, "closed", "s2")
    # The refused id is free again: corrected, it is applied.
    assert service.set_status(ANN, ticket, "solved", "s2")["ticket"]["status"] == "solved"
    assert service.assign(SUE, ticket, "bob", "a2")["ticket"]["assignee"] == "bob"
    with pytest.raises(UnknownTicket):  # bob's now: ann no longer sees it
        service.assign(ANN, ticket, None, "a3")
    assert service.assign(BOB, ticket, None, "a4")["ticket"]["assignee"] is None
    for bad in ("", " ", "x" * 4001):
        with pytest.raises(InvalidChange):
            service.note(SUE, ticket, bad, "n2")


def test_a_customers_mail_threads_onto_its_ticket_and_reopens_it(
    service: TicketService, records: Tickets, archive: Archive
) -> None:
    ticket = billing_ticket(records, archive)
    service.answer(ANN, ticket, "Solved, I think.", "r1", status="solved")
    body = f"It is not, card {CARD}.\n\nOn Tue, Support wrote:\n> Solved, I think."
    subject = f"Re: Your request {ticket} [{ticket}]"
    assert service.receive_mail(f"Dana <{DANA.upper()}>", subject, body, "<m1@mail>") == ticket
    after = records.view(ticket, T0)
    assert (after["status"], after["solved_at"], after["unread"]) == ("open", None, True)
    last = records.messages(ticket)[-1]
    assert (last["direction"], last["author"]) == ("in", DANA)
    assert last["text"].startswith("It is not, card") and CARD not in last["text"]
    assert "Solved, I think" not in last["text"]
    # The same mail again (fetched twice, or posted again): kept once.
    assert service.receive_mail(DANA, subject, body, "<m1@mail>") == ticket
    assert len(records.messages(ticket)) == 2
    # Nothing is kept for a stranger, a forged reference or none.
    assert service.receive_mail("eve@example.com", subject, "hi", "<m2@mail>") is None
    assert service.receive_mail(DANA, "Re: TKT-00000000", "hi", "<m3@mail>") is None
    assert service.receive_mail(DANA, "Hello", "no reference", "<m4@mail>") is None
    assert len(records.messages(ticket)) == 2


# --- the schema ---------------------------------------------------------------------


def test_an_older_database_gets_the_new_columns_and_keeps_its_tickets(
    database_path: Path,
) -> None:
    database_path.parent.mkdir(parents=True)
    with sqlite3.connect(database_path) as db:
        db.execute(
            "CREATE TABLE tickets (id VARCHAR(16) PRIMARY KEY, conversation_id VARCHAR(128) "
            "NOT NULL, email VARCHAR(320) NOT NULL, created_at FLOAT NOT NULL)"
        )
        db.execute(f"INSERT INTO tickets VALUES ('TKT-0000AAAA', 'c', '{DANA}', {T0})")
    archive = Archive(f"sqlite:///{database_path}")
    archive.create_schema()
    archive.create_schema()  # safe to repeat
    records = Tickets(archive.database_url, archive.mail)
    row = records.view("TKT-0000AAAA", T0)
    assert (row["status"], row["priority"], row["skill"], row["updated_at"]) == (
        "open",
        "normal",
        "general",
        T0,
    )
    assert row["breached"] is False  # no due time was ever set for it
    archive.close()


def test_on_postgresql_an_old_table_is_upgraded_and_racing_repeats_apply_once(
    postgres: EmbeddedPostgres,
) -> None:
    url = postgres.create_database("tickets_upgrade").url
    with engine_for(url).begin() as conn:  # the table as the version before tickets made it
        conn.execute(
            text(
                "CREATE TABLE tickets (id VARCHAR(16) PRIMARY KEY, conversation_id VARCHAR(128) "
                "NOT NULL, email VARCHAR(320) NOT NULL, created_at FLOAT NOT NULL)"
            )
        )
        conn.execute(text(f"INSERT INTO tickets VALUES ('TKT-0000AAAA', 'c', '{DANA}', {T0})"))
    mail = Outbox(url, key=Fernet.generate_key().decode())
    archive = Archive(url, mail)
    archive.create_schema()
    records = Tickets(url, mail)
    assert records.view("TKT-0000AAAA", T0)["status"] == "open"
    service = TicketService(records, archive)
    ticket = records.create("conv-1", DANA, time.time(), skill="billing")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: service.answer(ANN, ticket, "Hi", "r1"), range(4)))

    assert all(answer == answers[0] for answer in answers)
    assert len(records.messages(ticket)) == 1
    assert [m.subject for m in mail.newest()].count(f"Re: Your request {ticket} [{ticket}]") == 1
    archive.close()
