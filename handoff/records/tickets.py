"""Tickets: follow-ups by email, kept in SQL with what was written on them.

A ticket is made when a customer nobody could chat with leaves an email, or when an
agent closes a chat as "follow up by email". Its status is ``open`` (ours to answer),
``pending`` (waiting on the customer) or ``solved``; a customer's mail reopens it. The
first answer is due within TICKET_SLA_HOURS of its priority. Every change an agent makes
carries the client's message id and is applied once (``ticket_commands``): the change
and the record of its answer commit together, and a repeat gets that answer back. Card
numbers are masked before anything is stored or mailed. The tables are declared with
the archive's (records/archive.py), so one schema has them all. docs/tickets.md.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from core.mail import Mail, Outbox
from core.sql import SqlStore
from core.vocabulary import PRIORITIES
from handoff.records.archive import (
    checked_email,
    metadata,
    ticket_commands,
    ticket_messages,
    tickets,
)
from handoff.records.ticket_mail import (
    answer_body,
    answer_subject,
    first_mail,
    first_subject,
    reference_in,
    without_quote,
)
from handoff.stores.conversations import masked

STATUSES = ("open", "pending", "solved")
UNSOLVED = ("open", "pending")
MAX_TEXT_CHARS = 4000  # an agent's answer or note
MAX_MAIL_CHARS = 20_000  # what is kept of a customer's mail; the rest is cut
PREVIEW_CHARS = 140
LIST_LIMIT = 200
DEFAULT_SLA_HOURS = "urgent=1,high=4,normal=24"


class TicketError(Exception):
    """Base of the tickets' refusals."""


class UnknownTicket(TicketError):
    """No such ticket, or not one the asker may see: the same answer."""


class Forbidden(TicketError):
    """A change of a ticket the asker sees but may not make (only supervisors make it)."""


class InvalidChange(TicketError):
    """A change that cannot be made as asked (the message says why)."""


def parse_sla(text: str) -> dict[str, float]:
    """Hours to the first answer by priority, from ``urgent=1,high=4,normal=24``; raises
    ``ValueError`` naming TICKET_SLA_HOURS when a priority is missing or a number bad."""
    hours: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            hours[name.strip()] = float(value)
        except ValueError:
            hours[name.strip()] = -1.0
    if set(hours) != set(PRIORITIES) or any(h <= 0 for h in hours.values()):
        raise ValueError(
            "TICKET_SLA_HOURS gives the hours to a ticket's first answer for each priority, "
            f"{', '.join(PRIORITIES)}, each above 0, such as {DEFAULT_SLA_HOURS}"
        )
    return hours


def breached(row: Mapping[str, Any], now: float) -> bool:
    """The first answer came (or the ticket was solved) after it was due, or is late now."""
    if row["due_at"] is None:
        return False
    answered = row["first_response_at"] or row["solved_at"]
    return (answered if answered is not None else now) > row["due_at"]


@dataclass(frozen=True)
class Applied:
    """What a change answers (kept for repeats) and the mail to deliver once it commits."""

    answer: dict[str, Any]
    mail: Mail | None = None


# A change, given the transaction and the ticket's row (locked for it).
Change = Callable[[Connection, dict[str, Any]], Applied]
# The asker's rule: raises ``UnknownTicket`` (may not see it) or ``InvalidChange``.
Check = Callable[[dict[str, Any]], None]


class Tickets(SqlStore):
    """Tickets and their messages in the archive's database; mail goes through ``mail``."""

    metadata = metadata

    def __init__(self, database_url: str, mail: Outbox, sla_hours: str = DEFAULT_SLA_HOURS) -> None:
        super().__init__(database_url)
        self._mail = mail
        self.sla_hours = parse_sla(sla_hours)

    def create(
        self,
        conversation_id: str,
        email: str,
        now: float,
        *,
        priority: str | None = None,
        skill: str | None = None,
        assignee: str | None = None,
        after_chat: bool = False,
    ) -> str:
        """Keep a follow-up request and mail the customer its reference; the ticket id.

        Raises ``InvalidEmail`` when ``email`` cannot be an address. The address is
        not verified, so the mail carries only the reference and our own words:
        nothing the customer (or anyone posing as them) wrote, and no links.
        ``after_chat``: an agent closed the chat promising to write (else nobody could come).
        """
        address = checked_email(email)
        priority = priority if priority in PRIORITIES else "normal"
        ticket = f"TKT-{secrets.token_hex(4).upper()}"
        subject = first_subject(ticket)
        with self._engine.begin() as conn:
            conn.execute(
                insert(tickets).values(
                    id=ticket,
                    conversation_id=conversation_id,
                    email=address,
                    created_at=now,
                    status="open",
                    priority=priority,
                    skill=skill or "general",
                    assignee=assignee,
                    subject=subject,
                    due_at=now + self.sla_hours[priority] * 3600,
                    updated_at=now,
                )
            )
        self._mail.send(address, subject, first_mail(ticket, after_chat))
        return ticket

    def get(self, ticket_id: str) -> dict[str, Any] | None:
        """The ticket's row, or None."""
        with self._engine.connect() as conn:
            found = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
        return None if found is None else dict(found._mapping)

    def view(self, ticket_id: str, now: float) -> dict[str, Any]:
        """The ticket as the console shows it; raises ``UnknownTicket``."""
        with self._engine.connect() as conn:
            return self._view(conn, _locked(conn, ticket_id, lock=False), now)

    def messages(self, ticket_id: str) -> list[dict[str, Any]]:
        """What was written on the ticket, oldest first."""
        m = ticket_messages.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(ticket_messages).where(m.ticket_id == ticket_id).order_by(m.id)
            ).all()
        return [_message(row) for row in rows]

    def listing(
        self,
        now: float,
        *,
        statuses: Iterable[str],
        assignee: str | None = None,
        unassigned: bool = False,
        skills: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Tickets in ``statuses``, last changed first: ``assignee``'s or the ``unassigned``
        ones (or everyone's), of ``skills`` if given."""
        t = tickets.c
        where: list[ColumnElement[bool]] = [t.status.in_(list(statuses))]
        if assignee is not None:
            where.append(t.assignee == assignee)
        if unassigned:
            where.append(t.assignee.is_(None))
        if skills is not None:
            where.append(t.skill.in_(list(skills)))
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(tickets).where(*where).order_by(t.updated_at.desc()).limit(LIST_LIMIT)
            ).all()
            last = _last_messages(conn, [row.id for row in rows])
        return [_ticket_view(dict(row._mapping), last.get(row.id), now) for row in rows]

    def backlog(self, now: float) -> dict[str, int]:
        """Unsolved tickets: open, pending, and how many of them are past their SLA."""
        t = tickets.c
        late = and_(t.due_at.isnot(None), func.coalesce(t.first_response_at, now) > t.due_at)
        with self._engine.connect() as conn:
            row = conn.execute(
                select(
                    func.count().filter(t.status == "open"),
                    func.count().filter(t.status == "pending"),
                    func.count().filter(late),
                ).where(t.status.in_(UNSOLVED))
            ).one()
        return {"open": row[0], "pending": row[1], "breached": row[2]}

    # --- changes, each once per message id -----------------------------------------

    def once(
        self, ticket_id: str, actor: str, message_id: str, check: Check, change: Change
    ) -> dict[str, Any]:
        """Apply ``change`` unless ``actor`` applied ``message_id`` to the ticket already; the
        answer, the first one's for a repeat. ``check`` runs on the locked row first;
        a refusal keeps nothing, so a corrected retry with the same id is applied."""
        c = ticket_commands.c
        key = and_(c.ticket_id == ticket_id, c.actor == actor, c.message_id == message_id)
        for _ in range(2):  # a second look when a concurrent first try committed meanwhile
            try:
                with self._engine.begin() as conn:
                    kept = conn.execute(select(c.answer).where(key)).scalar()
                    if kept is not None:
                        answer: dict[str, Any] = json.loads(kept)
                        return answer
                    row = _locked(conn, ticket_id)
                    check(row)
                    applied = change(conn, row)
                    conn.execute(
                        insert(ticket_commands).values(
                            ticket_id=ticket_id,
                            actor=actor,
                            message_id=message_id,
                            answer=json.dumps(applied.answer),
                            at=applied.answer["ticket"]["updated_at"],
                        )
                    )
                    if applied.mail is not None:
                        self._mail.keep(conn, applied.mail)
            except IntegrityError:
                continue
            if applied.mail is not None:
                self._mail.deliver(applied.mail)
            return applied.answer
        raise InvalidChange("That change is being made already; try again in a moment.")

    def reply_change(
        self, author: str, text: str, status: str, now: float, *, take: bool
    ) -> Change:
        """An agent's answer: mailed to the customer with the reference in the subject, kept on
        the ticket; the first one is the first response. ``take``: the ticket becomes theirs."""
        text = _checked_text(text)
        _checked_status(status)

        def change(conn: Connection, row: dict[str, Any]) -> Applied:
            message = self._add(conn, row["id"], "out", author, text, now)
            values: dict[str, Any] = {"first_response_at": row["first_response_at"] or now}
            if take and row["assignee"] is None:
                values["assignee"] = author
            ticket = self._update(conn, row, now, status, **values)
            mail = Mail(row["email"], answer_subject(row["id"]), answer_body(row["id"], text))
            return Applied({"message": message, "ticket": ticket}, mail)

        return change

    def note_change(self, author: str, text: str, now: float) -> Change:
        """An internal note: for agents and supervisors, never mailed."""
        text = _checked_text(text)

        def change(conn: Connection, row: dict[str, Any]) -> Applied:
            message = self._add(conn, row["id"], "note", author, text, now)
            return Applied({"message": message, "ticket": self._update(conn, row, now)})

        return change

    def status_change(self, status: str, now: float) -> Change:
        _checked_status(status)

        def change(conn: Connection, row: dict[str, Any]) -> Applied:
            return Applied({"ticket": self._update(conn, row, now, status)})

        return change

    def assign_change(self, agent_id: str | None, now: float) -> Change:
        def change(conn: Connection, row: dict[str, Any]) -> Applied:
            return Applied({"ticket": self._update(conn, row, now, assignee=agent_id)})

        return change

    def receive(
        self, sender: str, subject: str, text: str, message_id: str, now: float
    ) -> str | None:
        """Thread a customer's mail onto the ticket its subject (or body) names and reopen it;
        the ticket's id. None, and nothing kept, when there is no such ticket or the mail
        is not from its address. The same ``message_id`` again is kept once."""
        ticket_id = reference_in(subject, text)
        address = parseaddr(sender)[1].strip().lower()
        if ticket_id is None or not address:
            return None
        body = without_quote(text)[:MAX_MAIL_CHARS] or "(no text)"
        try:
            with self._engine.begin() as conn:
                row = _locked(conn, ticket_id)
                if row["email"].strip().lower() != address:
                    return None
                self._add(conn, ticket_id, "in", address, body, now, message_id[:200])
                self._update(conn, row, now, "open")
        except UnknownTicket:
            return None
        except IntegrityError:  # this mail was threaded already
            pass
        return ticket_id

    def _add(
        self,
        conn: Connection,
        ticket_id: str,
        direction: str,
        author: str,
        text: str,
        at: float,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        row = {
            "ticket_id": ticket_id,
            "direction": direction,
            "author": author,
            "text": masked(text),
            "at": at,
            "message_id": message_id,
        }
        new_id = conn.execute(insert(ticket_messages).values(**row)).inserted_primary_key[0]
        return {**_public_message(row), "id": new_id}

    def _update(
        self,
        conn: Connection,
        row: dict[str, Any],
        now: float,
        status: str | None = None,
        **values: Any,
    ) -> dict[str, Any]:
        """Change the ticket (status, with its solved time; ``values``); its view after."""
        values["updated_at"] = now
        if status is not None and status != row["status"]:
            values["status"] = status
            values["solved_at"] = now if status == "solved" else None
        conn.execute(update(tickets).where(tickets.c.id == row["id"]).values(**values))
        return self._view(conn, {**row, **values}, now)

    def _view(self, conn: Connection, row: dict[str, Any], now: float) -> dict[str, Any]:
        return _ticket_view(row, _last_messages(conn, [row["id"]]).get(row["id"]), now)


def _locked(conn: Connection, ticket_id: str, lock: bool = True) -> dict[str, Any]:
    """The ticket's row, locked for this transaction (PostgreSQL; SQLite has one writer)."""
    query = select(tickets).where(tickets.c.id == ticket_id)
    found = conn.execute(query.with_for_update() if lock else query).first()
    if found is None:
        raise UnknownTicket("No such ticket.")
    return dict(found._mapping)


def _last_messages(conn: Connection, ticket_ids: list[str]) -> dict[str, Row[Any]]:
    """The latest message that is not a note, of each ticket: the inbox's preview."""
    m = ticket_messages.c
    if not ticket_ids:
        return {}
    latest = (
        select(func.max(m.id))
        .where(m.ticket_id.in_(ticket_ids), m.direction != "note")
        .group_by(m.ticket_id)
    )
    rows = conn.execute(select(ticket_messages).where(m.id.in_(latest))).all()
    return {row.ticket_id: row for row in rows}


def _ticket_view(row: dict[str, Any], last: Row[Any] | None, now: float) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "priority": row["priority"],
        "skill": row["skill"],
        "email": row["email"],
        "subject": row["subject"] or first_subject(row["id"]),
        "assignee": row["assignee"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "due_at": row["due_at"],
        "breached": breached(row, now),
        "first_response_at": row["first_response_at"],
        "solved_at": row["solved_at"],
        "conversation_id": row["conversation_id"],
        "preview": "" if last is None else last.text[:PREVIEW_CHARS],
        # The customer wrote last and nobody answered since.
        "unread": last is not None and last.direction == "in",
    }


def _public_message(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("direction", "author", "text", "at")}


def _message(row: Row[Any]) -> dict[str, Any]:
    return {"id": row.id, **_public_message(row._mapping)}


def _checked_text(text: str) -> str:
    """An agent's text as kept and mailed: trimmed, card numbers masked."""
    if not text.strip():
        raise InvalidChange("Write something first.")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidChange(f"At most {MAX_TEXT_CHARS} characters.")
    return str(masked(text.strip()))


def _checked_status(status: str) -> None:
    if status not in STATUSES:
        raise InvalidChange(f"Status is one of {', '.join(STATUSES)}.")


def may_take(skills: Iterable[str], row: Mapping[str, Any]) -> bool:
    """Whether an agent with ``skills`` may take the ticket: unassigned, and theirs to handle
    ("general" is everyone's)."""
    return row["assignee"] is None and (row["skill"] == "general" or row["skill"] in skills)


def unassigned_skills(skills: Iterable[str]) -> list[str]:
    """The skills whose unassigned tickets an agent with ``skills`` sees."""
    return list(dict.fromkeys(["general", *skills]))
